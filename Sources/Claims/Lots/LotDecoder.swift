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

    /// The sender and lot number of the lot header at the start of `bytes`, as stored and not yet checked
    /// (a receiver reads the sender first, to find the key the lot must be verified with); `nil` when
    /// `bytes` is too short to hold them. Nothing else of the lot is read: ``decode(_:verifyingWith:)`` then
    /// checks everything, these two fields included.
    public static func peekHeader(_ bytes: some Collection<UInt8>) -> (sender: UInt32, lotNumber: UInt32)? {
        guard bytes.count >= LotWire.Header.lotNumber + MemoryLayout<UInt32>.size else { return nil }
        return bytes.withWireReader { r in (sender: r.u32(LotWire.Header.sender), lotNumber: r.u32(LotWire.Header.lotNumber)) }
    }

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
        typealias H = LotWire.Header
        typealias T = LotWire.Trailer
        let n = r.count
        guard n >= LotWire.magicSize else { throw LotDecodingError(.truncated, offset: n, field: "magic") }
        guard r.u32(H.magic) == LotWire.magic else { throw LotDecodingError(.badMagic, offset: H.magic, field: "magic") }
        guard n >= LotWire.headerSize else { throw LotDecodingError(.truncated, offset: n, field: "header") }
        let flags = r.u8(H.flags)
        guard flags & ~LotWire.testFlag == 0 else { throw LotDecodingError(.nonCanonical, offset: H.flags, field: "flags") }
        guard r.u8(H.reserved) == 0, r.u16(H.reserved + 1) == 0 else {
            throw LotDecodingError(.nonCanonical, offset: H.reserved, field: "reserved")
        }
        let declared = r.u64(H.lotLength)
        guard declared <= UInt64(limits.maximumBytes) else {
            throw LotDecodingError(.oversized, offset: H.lotLength, field: "lot length (\(declared), limit \(limits.maximumBytes))")
        }
        let length = Int(declared)
        guard length >= LotLimits.minimumBytes else { throw LotDecodingError(.badLength, offset: H.lotLength, field: "lot length") }
        guard length <= n else { throw LotDecodingError(.truncated, offset: n, field: "lot (lot length says \(length) bytes)") }
        guard length == n else { throw LotDecodingError(.trailingBytes, offset: length, field: "after the lot") }

        guard let sender = BillingNumber(value: r.u32(H.sender)) else {
            throw LotDecodingError(.invalidValue, offset: H.sender, field: "sender")
        }
        let lotNumber = r.u32(H.lotNumber)
        guard lotNumber >= 1, lotNumber <= LotHeader.maximumLotNumber else {
            throw LotDecodingError(.invalidValue, offset: H.lotNumber, field: "lot number")
        }
        guard let date = ClaimDate(yyyymmdd: r.u32(H.creationDate)) else {
            throw LotDecodingError(.invalidValue, offset: H.creationDate, field: "creation date")
        }
        let time = r.u32(H.creationTime)
        guard time <= 235_959, time % 100 < 60, time / 100 % 100 < 60 else {
            throw LotDecodingError(.invalidValue, offset: H.creationTime, field: "creation time")
        }
        let destination = DestinationOrganism(
            regime: r.u8(H.destinationRegime), fund: r.u16(H.destinationFund),
            computingCentre: r.u16(H.destinationComputingCentre)
        )
        guard destination.isWellFormed else {
            throw LotDecodingError(.invalidValue, offset: H.destinationRegime, field: "destination organism")
        }
        guard r.u8(H.reservedAfterDestination) == 0, r.u16(H.reservedAfterDestination + 1) == 0 else {
            throw LotDecodingError(.nonCanonical, offset: H.reservedAfterDestination, field: "reserved")
        }
        let fseCount = Int(r.u32(H.fseCount))
        guard fseCount >= 1 else { throw LotDecodingError(.invalidValue, offset: H.fseCount, field: "FSE count") }
        guard fseCount <= limits.maximumFSEs else {
            throw LotDecodingError(.tooManyFSEs, offset: H.fseCount, field: "FSE count (\(fseCount), limit \(limits.maximumFSEs))")
        }
        let fingerprint = r.bytes32(H.signerFingerprint)
        guard fingerprint == key.fingerprint else {
            throw LotDecodingError(.wrongSigner, offset: H.signerFingerprint, field: "signer fingerprint")
        }
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
                throw LotDecodingError(.wrongSender, offset: offset + FSEWire.Field.billingNumber, field: "billing number", invoice: index)
            }
            guard fse.destination == destination else {
                throw LotDecodingError(.wrongDestination, offset: offset + FSEWire.Field.amoRegime, field: "AMO organism", invoice: index)
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
        guard r.u32(trailerStart + T.magic) == LotWire.trailerMagic else {
            throw LotDecodingError(.badMagic, offset: trailerStart + T.magic, field: "trailer magic")
        }
        guard Int(r.u32(trailerStart + T.fseCount)) == fseCount else {
            throw LotDecodingError(.countMismatch, offset: trailerStart + T.fseCount, field: "trailer FSE count")
        }
        let stated = LotTotals(
            total: r.u64(trailerStart + T.total), amo: r.u64(trailerStart + T.amo),
            amc: r.u64(trailerStart + T.amc), patient: r.u64(trailerStart + T.patient)
        )
        guard stated == totals else {
            throw LotDecodingError(.totalsMismatch, offset: trailerStart + T.total, field: "trailer totals")
        }
        let digestAt = trailerStart + T.digest
        let digest = sha256(r.slice(0, digestAt))
        let computed = Bytes32(digest)
        let stored = r.bytes32(digestAt)
        guard computed == stored else { throw LotDecodingError(.digestMismatch, offset: digestAt, field: "digest") }
        let signatureAt = trailerStart + T.signature
        let signature = r.signature(signatureAt)
        let publicKey = key.key
        guard ClaimPublicKey.isValid(signature, for: digest, key: publicKey) else {
            throw LotDecodingError(.badLotSignature, offset: signatureAt, field: "lot signature")
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
