import Crypto

extension LotLimits {
    /// The bytes one FSE takes in a lot: its record and its signature.
    @inlinable
    public static func bytesInLot(of invoice: SignedFSE) -> Int { invoice.fse.encodedByteCount + LotWire.signatureSize }

    /// The bytes of a lot's fixed parts (header and trailer).
    public static let fixedBytes = LotWire.headerSize + LotWire.trailerSize

    /// Cuts FSEs of one destination, in order, into consecutive lots that respect these limits: the one rule by
    /// which the outbox forms lots. `sizes` are the bytes each FSE takes in a lot (record and signature,
    /// ``bytesInLot(of:)``); the answer is the ranges of `sizes`' indices, one per lot. Throws
    /// ``LotBuildError/invoiceTooLarge(invoice:)`` (1-based) for an FSE that alone exceeds ``maximumBytes``.
    /// (An array, not any collection: an unspecialized generic walk allocates for every element.)
    public func cut(_ sizes: [Int]) throws(LotBuildError) -> [Range<Int>] {
        var lots: [Range<Int>] = []
        var start = 0
        var count = 0
        var bytes = Self.fixedBytes
        for index in sizes.indices {
            let size = sizes[index]
            guard Self.fixedBytes + size <= maximumBytes else { throw .invoiceTooLarge(invoice: index + 1) }
            if count > 0, count == maximumFSEs || bytes + size > maximumBytes {
                lots.append(start..<index)
                start = index
                count = 0
                bytes = Self.fixedBytes
            }
            count += 1
            bytes += size
        }
        if count > 0 { lots.append(start..<(start + count)) }
        return lots
    }

    /// These limits, with at most `fses` FSEs per lot (a setting can only lower the format's limit).
    public func capped(atFSEs fses: Int) -> LotLimits {
        LotLimits(maximumFSEs: Swift.max(1, Swift.min(maximumFSEs, fses)), maximumBytes: maximumBytes)
    }
}

/// Encodes lots into one reusable buffer (``signedLot(header:invoices:signer:limits:)`` is the whole step).
public struct LotEncoder: Sendable {
    /// The lot being built (complete after ``appendSignature(_:)``).
    public private(set) var buffer: [UInt8] = []
    /// Sums of the last lot encoded.
    public private(set) var totals = LotTotals()

    public init() {}

    /// Clears the buffer (keeping its capacity) and encodes header, FSEs with their signatures and the
    /// trailer up to its digest; returns the digest the lot signature must sign.
    public mutating func encodeUnsigned(header: LotHeader, invoices: [SignedFSE]) throws(LotBuildError) -> SHA256.Digest {
        buffer.removeAll(keepingCapacity: true)
        totals = LotTotals()
        var count: UInt32 = 0
        typealias H = LotWire.Header
        typealias T = LotWire.Trailer
        buffer.appendWire(count: LotWire.headerSize) { w in
            w.u32(H.magic, LotWire.magic)
            w.u8(H.flags, header.isTest ? LotWire.testFlag : 0)
            // H.lotLength: written at the end.
            w.u32(H.sender, header.sender.value)
            w.u32(H.lotNumber, header.lotNumber)
            w.u32(H.creationDate, header.creationDate.yyyymmdd)
            w.u32(H.creationTime, header.creationTime)
            w.u8(H.destinationRegime, header.destination.regime)
            w.u16(H.destinationFund, header.destination.fund)
            w.u16(H.destinationComputingCentre, header.destination.computingCentre)
            w.u32(H.fseCount, UInt32(header.count))
            w.bytes32(H.signerFingerprint, header.signerFingerprint)
        }
        for invoice in invoices {
            do { try invoice.fse.encode(into: &buffer) } catch { throw .encoding(error) }
            buffer.appendWire(count: LotWire.signatureSize) { w in w.signature(0, invoice.signature) }
            totals.add(invoice.fse.totals)
            count += 1
        }
        precondition(Int(count) == header.count, "header count differs from the FSEs given")
        let totals = self.totals
        let trailerStart = buffer.count
        // The trailer up to its digest, which covers everything before it.
        buffer.appendWire(count: T.digest) { w in
            w.u32(T.magic, LotWire.trailerMagic)
            w.u32(T.fseCount, count)
            w.u64(T.total, totals.total)
            w.u64(T.amo, totals.amo)
            w.u64(T.amc, totals.amc)
            w.u64(T.patient, totals.patient)
        }
        let length = UInt64(trailerStart + LotWire.trailerSize)
        buffer.withUnsafeMutableBytes { raw in WireWriter(base: raw.baseAddress!, count: raw.count).u64(H.lotLength, length) }
        let digest = buffer.withUnsafeBytes { sha256($0) }
        let digestBytes = Bytes32(digest)
        buffer.appendWire(count: LotWire.digestSize) { w in w.bytes32(0, digestBytes) }
        return digest
    }

    /// Appends the lot signature, completing the lot.
    public mutating func appendSignature(_ signature: ClaimSignature) {
        buffer.appendWire(count: LotWire.signatureSize) { w in w.signature(0, signature) }
    }
}

/// Why lots could not be built.
public enum LotBuildError: Error, Hashable, Sendable, CustomStringConvertible {
    /// An FSE (1-based position in the input) billed by another practitioner than the lot's sender.
    case foreignSender(invoice: Int)
    /// An FSE that alone exceeds the byte limit of a lot.
    case invoiceTooLarge(invoice: Int)
    /// An FSE whose AMO organism is not a valid destination.
    case invalidDestination(invoice: Int)
    /// An FSE that cannot be encoded.
    case encoding(FSEEncodingError)
    /// A creation time that is not `HHMMSS`.
    case invalidTime(UInt32)
    /// A lot number outside 1 ... ``LotHeader/maximumLotNumber``.
    case invalidLotNumber(UInt32)
    /// No FSE, or more than the limits allow in one lot.
    case fseCount(Int)
    /// The FSEs together exceed the byte limit of one lot.
    case tooLarge

    public var description: String {
        switch self {
        case .foreignSender(let i): return "FSE \(i) is billed by another numéro de facturation than the lot's sender"
        case .invoiceTooLarge(let i): return "FSE \(i) alone exceeds the byte limit of a lot"
        case .invalidDestination(let i): return "FSE \(i): AMO organism is not a valid destination"
        case .encoding(let e): return "\(e)"
        case .invalidTime(let t): return "creation time \(t) is not HHMMSS"
        case .invalidLotNumber(let n): return "lot number \(n) is not 1 to \(LotHeader.maximumLotNumber)"
        case .fseCount(let n): return "\(n) FSEs cannot make one lot"
        case .tooLarge: return "the FSEs exceed the byte limit of one lot"
        }
    }
}

extension LotEncoder {
    /// Encodes the lot of `invoices` under `header` and has `signer` sign it: the one way a lot is made (the
    /// outbox's ``LotHeader`` comes with its durable number). Checks that the signer may sign lots, that every
    /// FSE is billed by the header's sender, goes to its destination and has 1 to ``FSE/maximumActs`` acts, and
    /// that the lot respects `limits`.
    public mutating func signedLot(
        header: LotHeader, invoices: [SignedFSE], signer: some ClaimSigner, limits: LotLimits = .standard
    ) async throws -> Lot {
        guard signer.identity.maySignLot else { throw ClaimSigningError.notAllowedToSignLots }
        try Self.check(header: header, invoices: invoices, limits: limits)
        let digest = try encodeUnsigned(header: header, invoices: invoices)
        let signature = try await signer.sign(digest: digest, purpose: .lot)
        appendSignature(signature)
        return Lot(header: header, totals: totals, bytes: buffer)
    }
}

extension LotEncoder {
    /// The checks of ``signedLot(header:invoices:signer:limits:)`` before anything is encoded (synchronous: the
    /// loop over the FSEs stays out of the async frame).
    static func check(header: LotHeader, invoices: [SignedFSE], limits: LotLimits) throws(LotBuildError) {
        let time = header.creationTime
        guard time <= 235_959, time % 100 < 60, time / 100 % 100 < 60 else { throw .invalidTime(time) }
        guard header.lotNumber >= 1, header.lotNumber <= LotHeader.maximumLotNumber else { throw .invalidLotNumber(header.lotNumber) }
        guard !invoices.isEmpty, invoices.count <= limits.maximumFSEs else { throw .fseCount(invoices.count) }
        var bytes = LotLimits.fixedBytes
        for index in invoices.indices {
            let fse = invoices[index].fse
            guard fse.practitioner.billingNumber == header.sender else { throw .foreignSender(invoice: index + 1) }
            guard (1...FSE.maximumActs).contains(fse.acts.count) else { throw .encoding(.actCount(fse.acts.count)) }
            guard fse.destination.isWellFormed, fse.destination == header.destination else { throw .invalidDestination(invoice: index + 1) }
            bytes += fse.encodedByteCount + LotWire.signatureSize
        }
        guard bytes <= limits.maximumBytes else { throw .tooLarge }
    }
}

extension LotHeader {
    /// The largest lot number (9 digits).
    public static let maximumLotNumber: UInt32 = 999_999_999
}
