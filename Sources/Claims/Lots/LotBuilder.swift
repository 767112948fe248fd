import Crypto

/// Groups signed FSEs into lots (one destination organism per lot, split to respect ``LotLimits``), numbers
/// them from a ``LotNumberStore`` and has the ``ClaimSigner`` sign each lot.
public struct LotBuilder: Sendable {
    public let signer: any ClaimSigner
    public let numbers: LotNumberStore
    public let limits: LotLimits

    public init(signer: any ClaimSigner, numbers: LotNumberStore, limits: LotLimits = .standard) {
        self.signer = signer
        self.numbers = numbers
        self.limits = limits
    }

    /// Builds the lots of `invoices` for `sender`, created on `date` at `time` (`HHMMSS`).
    ///
    /// Every FSE must be billed by `sender`. Lots are ordered by destination organism; within a lot the FSEs
    /// keep their order. Lot numbers are reserved (durably) before the lots are signed, so a failure
    /// afterwards leaves a gap but never a reused number.
    public func build(
        _ invoices: [SignedFSE], sender: BillingNumber, date: ClaimDate, time: UInt32
    ) async throws -> [Lot] {
        guard signer.identity.maySignLot else { throw ClaimSigningError.notAllowedToSignLots }
        guard time <= 235_959, time % 100 < 60, time / 100 % 100 < 60 else { throw LotBuildError.invalidTime(time) }
        let plan = try LotBuilder.plan(invoices, sender: sender, limits: limits)
        guard !plan.isEmpty else { return [] }
        let first = try numbers.reserve(plan.count, for: sender)
        var lots: [Lot] = []
        lots.reserveCapacity(plan.count)
        var encoder = LotEncoder()
        for (offset, group) in plan.enumerated() {
            let header = LotHeader(
                sender: sender, lotNumber: first + UInt32(offset), creationDate: date, creationTime: time,
                destination: invoices[group[0]].fse.destination, count: group.count,
                isTest: signer.identity.isTestCard, signerFingerprint: signer.identity.publicKey.fingerprint
            )
            let digest = try encoder.encodeUnsigned(header: header, invoices: invoices, indices: group)
            let signature = try await signer.sign(digest: digest, purpose: .lot)
            encoder.appendSignature(signature)
            lots.append(Lot(header: header, totals: encoder.totals, bytes: encoder.buffer))
        }
        return lots
    }

    /// Splits `invoices` into lots: indices grouped by destination organism (in ascending organism order,
    /// FSE order kept), each group cut so that no lot exceeds `limits`.
    public static func plan(_ invoices: [SignedFSE], sender: BillingNumber, limits: LotLimits) throws(LotBuildError) -> [[Int]] {
        var groups: [DestinationOrganism: [Int]] = [:]
        for (index, invoice) in invoices.enumerated() {
            guard invoice.fse.practitioner.billingNumber == sender else { throw .foreignSender(invoice: index + 1) }
            guard (1...FSE.maximumActs).contains(invoice.fse.acts.count) else { throw .encoding(.actCount(invoice.fse.acts.count)) }
            guard invoice.fse.destination.isWellFormed else { throw .invalidDestination(invoice: index + 1) }
            groups[invoice.fse.destination, default: []].append(index)
        }
        let fixed = LotWire.headerSize + LotWire.trailerSize
        var lots: [[Int]] = []
        for destination in groups.keys.sorted() {
            var current: [Int] = []
            var bytes = fixed
            for index in groups[destination]! {
                let size = invoices[index].fse.encodedByteCount + LotWire.signatureSize
                guard fixed + size <= limits.maximumBytes else { throw .invoiceTooLarge(invoice: index + 1) }
                if !current.isEmpty, current.count == limits.maximumFSEs || bytes + size > limits.maximumBytes {
                    lots.append(current)
                    current = []
                    bytes = fixed
                }
                current.append(index)
                bytes += size
            }
            if !current.isEmpty { lots.append(current) }
        }
        return lots
    }
}

/// Encodes lots into one reusable buffer (the builder's engine, usable on its own: benchmarks, tools).
public struct LotEncoder: Sendable {
    /// The lot being built (complete after ``appendSignature(_:)``).
    public private(set) var buffer: [UInt8] = []
    /// Sums of the last lot encoded.
    public private(set) var totals = LotTotals()

    public init() {}

    /// Clears the buffer (keeping its capacity) and encodes header, FSEs with their signatures and the
    /// trailer up to its digest; returns the digest the lot signature must sign.
    public mutating func encodeUnsigned(
        header: LotHeader, invoices: [SignedFSE], indices: some Collection<Int>
    ) throws(LotBuildError) -> SHA256.Digest {
        buffer.removeAll(keepingCapacity: true)
        totals = LotTotals()
        var count: UInt32 = 0
        buffer.appendWire(count: LotWire.headerSize) { w in
            w.u32(0, LotWire.magic)
            w.u8(4, header.isTest ? LotWire.testFlag : 0)
            // 8: lot length, written at the end.
            w.u32(16, header.sender.value)
            w.u32(20, header.lotNumber)
            w.u32(24, header.creationDate.yyyymmdd)
            w.u32(28, header.creationTime)
            w.u8(32, header.destination.regime)
            w.u16(33, header.destination.fund)
            w.u16(35, header.destination.computingCentre)
            w.u32(40, UInt32(header.count))
            w.bytes32(44, header.signerFingerprint)
        }
        for index in indices {
            let invoice = invoices[index]
            do { try invoice.fse.encode(into: &buffer) } catch { throw .encoding(error) }
            buffer.appendWire(count: LotWire.signatureSize) { w in w.signature(0, invoice.signature) }
            totals.add(invoice.fse.totals)
            count += 1
        }
        precondition(Int(count) == header.count, "header count differs from the FSEs given")
        let totals = self.totals
        buffer.appendWire(count: LotWire.digestOffset) { w in
            w.u32(0, LotWire.trailerMagic)
            w.u32(4, count)
            w.u64(8, totals.total)
            w.u64(16, totals.amo)
            w.u64(24, totals.amc)
            w.u64(32, totals.patient)
        }
        let length = UInt64(buffer.count + 32 + LotWire.signatureSize)
        buffer.withUnsafeMutableBytes { raw in WireWriter(base: raw.baseAddress!).u64(8, length) }
        let digest = buffer.withUnsafeBytes { sha256($0) }
        let digestBytes = Bytes32(digest)
        buffer.appendWire(count: 32) { w in w.bytes32(0, digestBytes) }
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

    public var description: String {
        switch self {
        case .foreignSender(let i): return "FSE \(i) is billed by another numéro de facturation than the lot's sender"
        case .invoiceTooLarge(let i): return "FSE \(i) alone exceeds the byte limit of a lot"
        case .invalidDestination(let i): return "FSE \(i): AMO organism is not a valid destination"
        case .encoding(let e): return "\(e)"
        case .invalidTime(let t): return "creation time \(t) is not HHMMSS"
        }
    }
}
