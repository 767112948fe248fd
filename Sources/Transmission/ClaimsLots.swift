import Claims
import Foundation

/// How the outbox stores a signed FSE: the encoded FSE record (docs/fse-format.md) followed by its 64-byte
/// signature.
public enum OutboxFSE {
    /// The bytes stored for `signed`.
    public static func bytes(_ signed: SignedFSE) throws -> [UInt8] {
        var bytes = try signed.fse.encoded()
        bytes += signed.signature.rawRepresentation
        return bytes
    }

    /// The signed FSE stored as `bytes`.
    public static func signedFSE(_ bytes: [UInt8]) throws -> SignedFSE {
        guard bytes.count > ClaimSignature.byteCount else { throw Outbox.Error(.corruptRecord, "stored signed FSE too short (\(bytes.count) bytes)") }
        let split = bytes.count - ClaimSignature.byteCount
        return SignedFSE(fse: try FSE(decoding: bytes[..<split]), signature: try ClaimSignature(rawRepresentation: bytes[split...]))
    }
}

/// Assembles outbox lots in the project's lot format (Claims' ``LotEncoder``) and signs them with the CPS
/// (any ``ClaimSigner``).
public struct ClaimsLotAssembler: LotAssembler {
    public let signer: any ClaimSigner
    /// The clock used for the lot's creation date and time (Europe/Paris).
    public var now: @Sendable () -> Date = { Date() }

    public init(signer: any ClaimSigner) { self.signer = signer }

    public func assemble(_ request: LotRequest) async throws -> [UInt8] {
        let invoices = try request.fses.map { try OutboxFSE.signedFSE($0.signedFSE) }
        guard let first = invoices.first else { throw Outbox.Error(.corruptRecord, "lot \(request.lotNumber) has no FSE") }
        guard let number = UInt32(exactly: request.lotNumber) else {
            throw Outbox.Error(.corruptRecord, "lot number \(request.lotNumber) out of range")
        }
        let sender = request.billingNumber
        let date = now()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        let c = calendar.dateComponents([.hour, .minute, .second], from: date)
        let header = LotHeader(
            sender: sender, lotNumber: number, creationDate: ClaimDate.today(now: date),
            creationTime: UInt32(c.hour! * 10000 + c.minute! * 100 + c.second!), destination: first.fse.destination,
            count: invoices.count, signer: signer.identity)
        var encoder = LotEncoder()
        return try await encoder.signedLot(header: header, invoices: invoices, signer: signer).bytes
    }
}

extension Outbox {
    /// Signs every FSE of `billingNumber` still built (stored, not yet signed) with `signer` and records the
    /// signatures 500 at a time, calling `progress(done, total)` after each batch. Returns how many were signed.
    @discardableResult
    public func signBuiltFSEs(billingNumber: BillingNumber, with signer: any ClaimSigner,
                              progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) async throws -> Int {
        let built = try await builtFSEs(billingNumber: billingNumber)
        var batch: [(id: ClaimID, signedFSE: [UInt8])] = []
        var done = 0
        for (id, bytes) in built {
            let signed = try await SignedFSE.sign(try FSE(decoding: bytes), with: signer)
            batch.append((id, try OutboxFSE.bytes(signed)))
            if batch.count == 500 {
                try await markSigned(batch)
                done += batch.count
                batch.removeAll(keepingCapacity: true)
                progress(done, built.count)
            }
        }
        try await markSigned(batch)
        done += batch.count
        if !built.isEmpty { progress(done, built.count) }
        return done
    }
}

/// A priced FSE (Claims' model) on its way into the outbox: the one claim intake of `fse-send` and `vitaled`.
public struct PricedClaim: Sendable {
    /// The FSE, priced and checked; its invoice number is given when it is stored.
    public var fse: FSE
    /// The care date (date des soins), for reports.
    public var careDate: ClaimDate
    /// Where it came from (a file line, an API reference), stored with it.
    public var source: String?

    public init(fse: FSE, careDate: ClaimDate, source: String?) {
        self.fse = fse
        self.careDate = careDate
        self.source = source
    }
}

extension Outbox {
    /// Gives `claims` the practitioner's next invoice numbers (numéros de facture) and stores them built, encoded in
    /// Claims' format, in one durable transaction. When `retryOf` names a source already stored for the
    /// practitioner, stores nothing and answers that FSE (a retried request is stored once).
    public func addPriced(_ claims: [PricedClaim], billingNumber: BillingNumber, retryOf: String? = nil) async throws -> NumberedAddition {
        try await addNumbered(billingNumber: billingNumber, count: claims.count, source: retryOf) { first in
            try claims.enumerated().map { offset, claim in
                guard let invoice = UInt32(exactly: first + Int64(offset)) else {
                    throw Outbox.Error(.corruptRecord, "invoice numbers of practitioner \(billingNumber) exhausted")
                }
                var fse = claim.fse
                fse.invoiceNumber = invoice
                return NewClaim(
                    billingNumber: billingNumber, invoiceNumber: String(invoice), organism: fse.destination,
                    careDate: claim.careDate, patientMasked: "\(fse.beneficiary.nir)", totalCents: Int64(fse.totals.total),
                    amoCents: Int64(fse.totals.amo), fse: try fse.encoded(), source: claim.source)
            }
        }
    }
}
