import Crypto

/// Reads and verifies a lot received from the network (the gateway's entry point for untrusted bytes).
///
/// ```swift
/// let lot = try LotDecoder(limits: .standard).decode(bytes, verifyingWith: practitionerKey)
/// for invoice in lot.invoices { pay(invoice.fse.amoPayableToPractitioner) }
/// ```
///
/// A lot is accepted only when every byte is accounted for: the header, each FSE record (strictly decoded,
/// see `FSE(decoding:)`), each FSE signature, the trailer's count and sums, the digest and the lot signature,
/// all verified against the practitioner's public key. Anything else throws a ``LotDecodingError`` naming
/// what is wrong, the byte offset and the FSE (1-based) when it is inside one. The size limits are checked
/// before anything is parsed, and nothing crashes on any input.
public struct LotDecoder: Sendable {
    public var limits: LotLimits

    public init(limits: LotLimits = .standard) { self.limits = limits }

    /// Decodes `bytes` (exactly one lot) and verifies it was signed with `key`.
    public func decode(_ bytes: some Collection<UInt8>, verifyingWith key: ClaimPublicKey) throws(LotDecodingError) -> DecodedLot {
        let count = bytes.count
        guard count <= limits.maximumBytes else {
            throw LotDecodingError(.oversized, offset: limits.maximumBytes, field: "lot (\(count) bytes, limit \(limits.maximumBytes))")
        }
        return try bytes.withWireReader { (r: WireReader) throws(LotDecodingError) -> DecodedLot in
            try decode(r, key: key)
        }
    }

    private func decode(_ r: WireReader, key: ClaimPublicKey) throws(LotDecodingError) -> DecodedLot {
        let n = r.count
        guard n >= 4 else { throw LotDecodingError(.truncated, offset: n, field: "magic") }
        guard r.u32(0) == LotWire.magic else { throw LotDecodingError(.badMagic, offset: 0, field: "magic") }
        guard n >= LotWire.headerSize else { throw LotDecodingError(.truncated, offset: n, field: "header") }
        let flags = r.u8(4)
        guard flags & ~LotWire.testFlag == 0 else { throw LotDecodingError(.nonCanonical, offset: 4, field: "flags") }
        guard r.u8(5) == 0, r.u16(6) == 0 else { throw LotDecodingError(.nonCanonical, offset: 5, field: "reserved") }
        let declared = r.u64(8)
        guard declared <= UInt64(limits.maximumBytes) else {
            throw LotDecodingError(.oversized, offset: 8, field: "lot length (\(declared), limit \(limits.maximumBytes))")
        }
        let length = Int(declared)
        guard length >= LotLimits.minimumBytes else { throw LotDecodingError(.badLength, offset: 8, field: "lot length") }
        guard length <= n else { throw LotDecodingError(.truncated, offset: n, field: "lot (lot length says \(length) bytes)") }
        guard length == n else { throw LotDecodingError(.trailingBytes, offset: length, field: "after the lot") }

        guard let sender = BillingNumber(value: r.u32(16)) else { throw LotDecodingError(.invalidValue, offset: 16, field: "sender") }
        let lotNumber = r.u32(20)
        guard lotNumber >= 1, lotNumber <= LotHeader.maximumLotNumber else { throw LotDecodingError(.invalidValue, offset: 20, field: "lot number") }
        guard let date = ClaimDate(yyyymmdd: r.u32(24)) else { throw LotDecodingError(.invalidValue, offset: 24, field: "creation date") }
        let time = r.u32(28)
        guard time <= 235_959, time % 100 < 60, time / 100 % 100 < 60 else {
            throw LotDecodingError(.invalidValue, offset: 28, field: "creation time")
        }
        let destination = DestinationOrganism(regime: r.u8(32), fund: r.u16(33), computingCentre: r.u16(35))
        guard destination.isWellFormed else { throw LotDecodingError(.invalidValue, offset: 32, field: "destination organism") }
        guard r.u8(37) == 0, r.u16(38) == 0 else { throw LotDecodingError(.nonCanonical, offset: 37, field: "reserved") }
        let fseCount = Int(r.u32(40))
        guard fseCount >= 1 else { throw LotDecodingError(.invalidValue, offset: 40, field: "FSE count") }
        guard fseCount <= limits.maximumFSEs else {
            throw LotDecodingError(.tooManyFSEs, offset: 40, field: "FSE count (\(fseCount), limit \(limits.maximumFSEs))")
        }
        let fingerprint = r.bytes32(44)
        guard fingerprint == key.fingerprint else { throw LotDecodingError(.wrongSigner, offset: 44, field: "signer fingerprint") }
        let header = LotHeader(
            sender: sender, lotNumber: lotNumber, creationDate: date, creationTime: time, destination: destination,
            count: fseCount, isTest: flags & LotWire.testFlag != 0, signerFingerprint: fingerprint
        )

        // FSEs and their signatures.
        let trailerStart = length - LotWire.trailerSize
        var invoices: [SignedFSE] = []
        invoices.reserveCapacity(fseCount)
        var records: [Range<Int>] = []
        records.reserveCapacity(fseCount)
        var totals = LotTotals()
        var offset = LotWire.headerSize
        for index in 1...fseCount {
            let fse: FSE, recordLength: Int
            do {
                (fse, recordLength) = try FSE.decodeRecord(r, at: offset, end: trailerStart, reportingFrom: 0)
            } catch {
                throw LotDecodingError(.invalidFSE(error.reason), offset: error.offset, field: "\(error.field)", invoice: index)
            }
            guard fse.practitioner.billingNumber == sender else {
                throw LotDecodingError(.wrongSender, offset: offset + 25, field: "billing number", invoice: index)
            }
            guard fse.destination == destination else {
                throw LotDecodingError(.wrongDestination, offset: offset + 81, field: "AMO organism", invoice: index)
            }
            let signatureAt = offset + recordLength
            guard signatureAt + LotWire.signatureSize <= trailerStart else {
                throw LotDecodingError(.truncated, offset: min(signatureAt, trailerStart), field: "FSE signature", invoice: index)
            }
            records.append(offset..<signatureAt)
            invoices.append(SignedFSE(fse: fse, signature: r.signature(signatureAt)))
            totals.add(fse.totals)
            offset = signatureAt + LotWire.signatureSize
        }
        guard offset == trailerStart else {
            throw LotDecodingError(.badLength, offset: offset, field: "trailer position (FSE count or lot length wrong)")
        }

        // Trailer.
        guard r.u32(trailerStart) == LotWire.trailerMagic else {
            throw LotDecodingError(.badMagic, offset: trailerStart, field: "trailer magic")
        }
        guard Int(r.u32(trailerStart + 4)) == fseCount else {
            throw LotDecodingError(.countMismatch, offset: trailerStart + 4, field: "trailer FSE count")
        }
        let stated = LotTotals(
            total: r.u64(trailerStart + 8), amo: r.u64(trailerStart + 16),
            amc: r.u64(trailerStart + 24), patient: r.u64(trailerStart + 32)
        )
        guard stated == totals else { throw LotDecodingError(.totalsMismatch, offset: trailerStart + 8, field: "trailer totals") }
        let digestAt = trailerStart + LotWire.digestOffset
        let digest = sha256(r.slice(0, digestAt))
        let computed = Bytes32(digest)
        let stored = r.bytes32(digestAt)
        guard computed == stored else { throw LotDecodingError(.digestMismatch, offset: digestAt, field: "digest") }
        let signature = r.signature(digestAt + 32)
        let publicKey = key.key
        guard ClaimPublicKey.isValid(signature, for: digest, key: publicKey) else {
            throw LotDecodingError(.badLotSignature, offset: digestAt + 32, field: "lot signature")
        }
        for (index, range) in records.enumerated() {
            let recordDigest = sha256(r.slice(range.lowerBound, range.count))
            guard ClaimPublicKey.isValid(invoices[index].signature, for: recordDigest, key: publicKey) else {
                throw LotDecodingError(.badFSESignature, offset: range.upperBound, field: "FSE signature", invoice: index + 1)
            }
        }
        return DecodedLot(header: header, invoices: invoices, totals: totals, digest: stored, signature: signature)
    }
}

extension LotTotals {
    init(total: UInt64, amo: UInt64, amc: UInt64, patient: UInt64) {
        self.init()
        self.total = total
        self.amo = amo
        self.amc = amc
        self.patient = patient
    }
}

/// Why a lot was refused: what is wrong, where (byte offset from the start of the lot, field name) and in
/// which FSE (1-based) when inside one. The text never contains personal data.
public struct LotDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of defect.
    public enum Reason: Sendable, Hashable {
        /// The input ends before the lot does.
        case truncated
        /// The input, or the length it declares, exceeds ``LotLimits/maximumBytes``.
        case oversized
        /// More FSEs than ``LotLimits/maximumFSEs``.
        case tooManyFSEs
        /// A magic number is wrong (not a lot, or not a trailer where one must be).
        case badMagic
        /// A length or position field is inconsistent.
        case badLength
        /// A reserved byte or bit is not zero.
        case nonCanonical
        /// A header field out of its domain.
        case invalidValue
        /// An FSE record is invalid (the FSE decoder's reason).
        case invalidFSE(FSEDecodingError.Reason)
        /// An FSE billed by another practitioner than the lot's sender.
        case wrongSender
        /// An FSE for another organism than the lot's destination.
        case wrongDestination
        /// The lot names another signer than the key it is verified with.
        case wrongSigner
        /// The trailer's FSE count differs from the header's.
        case countMismatch
        /// The trailer's sums differ from the sums of the FSEs.
        case totalsMismatch
        /// The digest does not match the lot's bytes (tampered or corrupted).
        case digestMismatch
        /// The lot signature does not verify.
        case badLotSignature
        /// An FSE signature does not verify.
        case badFSESignature
        /// Bytes after the lot.
        case trailingBytes
    }

    public var reason: Reason
    public var offset: Int
    public var field: String
    /// The FSE (1-based) the defect is in, if any.
    public var invoice: Int?

    public init(_ reason: Reason, offset: Int, field: String, invoice: Int? = nil) {
        self.reason = reason
        self.offset = offset
        self.field = field
        self.invoice = invoice
    }

    public var description: String {
        let what: String
        switch reason {
        case .truncated: what = "truncated"
        case .oversized: what = "too large"
        case .tooManyFSEs: what = "too many FSEs"
        case .badMagic: what = "wrong magic number"
        case .badLength: what = "inconsistent length"
        case .nonCanonical: what = "reserved bytes not zero"
        case .invalidValue: what = "invalid value"
        case .invalidFSE(let r): what = "invalid FSE (\(r))"
        case .wrongSender: what = "FSE from another practitioner than the sender"
        case .wrongDestination: what = "FSE for another organism than the lot's destination"
        case .wrongSigner: what = "signed by another key than expected"
        case .countMismatch: what = "trailer count differs from the header"
        case .totalsMismatch: what = "trailer totals differ from the FSEs"
        case .digestMismatch: what = "digest does not match (tampered or corrupted)"
        case .badLotSignature: what = "lot signature does not verify"
        case .badFSESignature: what = "FSE signature does not verify"
        case .trailingBytes: what = "unexpected bytes"
        }
        let inside = invoice.map { " in FSE \($0)" } ?? ""
        return "lot refused: \(what)\(inside), field '\(field)' at byte \(offset)"
    }
}
