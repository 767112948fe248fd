import Claims
import Foundation
import GatewayAPI

/// The gateway's ``LotProcessor`` for the project's own lot format (docs/fse-format.md): decodes and verifies
/// a lot with Claims' ``LotDecoder`` and adjudicates each FSE with Claims' pricing rules (``ClaimPricer``).
public struct ClaimsLotProcessor: LotProcessor {
    let decoder: LotDecoder
    let pricer: ClaimPricer

    /// A processor pricing with `tariffs`.
    public init(tariffs: TariffTable, limits: LotLimits = .standard) {
        decoder = LotDecoder(limits: limits)
        pricer = ClaimPricer(tariffs: tariffs)
    }

    public func process(_ bytes: [UInt8], keys: any SenderKeys, now: Date) throws(LotRefusal) -> ProcessedLot {
        // The sender is read from the header first, to find the key that must have signed the lot.
        guard let peeked = LotDecoder.peekHeader(bytes) else {
            throw LotRefusal(.malformed, "truncated lot: \(bytes.count) bytes, no complete header")
        }
        guard let sender = BillingNumber(value: peeked.sender) else {
            throw LotRefusal(.malformed, "lot header: sender is not a numéro de facturation")
        }
        let lotNumber: Int64? = peeked.lotNumber >= 1 ? Int64(peeked.lotNumber) : nil
        guard let keyBytes = keys.publicKey(forBillingNumber: sender.description) else {
            throw LotRefusal(.unregisteredSender, "the lot's sender \(sender) is not a registered practitioner", lotNumber: lotNumber)
        }
        let key: ClaimPublicKey
        do { key = try ClaimPublicKey(x963Representation: keyBytes) } catch {
            throw LotRefusal(.unregisteredSender, "the registered key of \(sender) is not a P-256 key", lotNumber: lotNumber)
        }
        let lot: DecodedLot
        do { lot = try decoder.decode(bytes, verifyingWith: key) } catch {
            let code: LotRefusal.Code = error.isSignatureFailure ? .badSignature : .malformed
            throw LotRefusal(code, error.description, lotNumber: lotNumber)
        }
        let today = ClaimDate.today(now: now)
        let invoices = lot.invoices.map { adjudicate($0.fse, today: today) }
        return ProcessedLot(
            lotNumber: Int64(lot.header.lotNumber), senderBillingNumber: lot.header.sender.description,
            organism: lot.header.destination.description, createdAt: Self.date(lot.header.creationDate, time: lot.header.creationTime),
            invoices: invoices)
    }

    /// The insurer's decision on one FSE: re-priced from the tariffs; paid the AMO amount when everything agrees.
    func adjudicate(_ fse: FSE, today: ClaimDate) -> InvoiceDecision {
        let claimed = Int64(fse.totals.amo)
        let number = String(fse.invoiceNumber)
        var unpriced = fse
        unpriced.totals = ClaimTotals()
        for i in unpriced.acts.indices { unpriced.acts[i].amounts = ActAmounts() }
        let priced: FSE
        do { priced = try pricer.price(unpriced, today: today) } catch {
            return InvoiceDecision(invoiceNumber: number, claimedCents: claimed, outcome: .rejected(Self.reason(for: error)))
        }
        guard priced.totals == fse.totals, priced.acts.map(\.amounts) == fse.acts.map(\.amounts) else {
            let detail = "claimed total \(fse.totals.total) AMO \(fse.totals.amo), the tariff gives total \(priced.totals.total) AMO \(priced.totals.amo) (cents)"
            return InvoiceDecision(invoiceNumber: number, claimedCents: claimed, outcome: .rejected(.inconsistentAmounts(detail)))
        }
        return InvoiceDecision(invoiceNumber: number, claimedCents: claimed, outcome: .paid(amountCents: Int64(priced.totals.amo)))
    }

    static func reason(for error: ClaimValidationError) -> RejectionReason {
        switch error {
        case .unknownActCode(_, let code), .unknownMajoration(_, let code): return .unknownAct(code.description)
        case .noTariffOnDate(_, let code, _): return .unknownAct("\(code) (no tariff on the act date)")
        case .actDateOutsideRights(_, let date): return .rightsClosed("act dated \(date)")
        case .invalidNIR: return .nirKey
        default: return RejectionReason(code: .invalidClaim, text: error.description)
        }
    }

    static func date(_ day: ClaimDate, time: UInt32) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        let components = DateComponents(year: day.year, month: day.month, day: day.day,
                                        hour: Int(time / 10000), minute: Int(time / 100 % 100), second: Int(time % 100))
        return calendar.date(from: components) ?? .distantFuture
    }
}

extension LotDecodingError {
    /// True when the lot is well formed but its signatures or digest do not verify.
    var isSignatureFailure: Bool {
        switch reason {
        case .badLotSignature, .badFSESignature, .wrongSigner, .digestMismatch: true
        default: false
        }
    }
}
