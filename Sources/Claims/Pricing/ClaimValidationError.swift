import Vitale

/// Why an FSE cannot be billed as it stands. The messages name the field (act line numbers are 1-based)
/// and never contain a NIR or a name.
public enum ClaimValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The CPS situation lacks the flag "may sign an invoice".
    case situationMayNotSignInvoices
    /// A NIR (or NIA) entered by hand is wrong (its key, length or characters).
    case invalidNIR(NIRError)
    /// A numéro de facturation that is not 9 digits.
    case invalidBillingNumber
    /// A provisional NIA can only be billed from an attestation de droits ("without card").
    case provisionalNIRWithCard
    /// The act code is not in the tariff tables (act line, code).
    case unknownActCode(act: Int, code: ActCode)
    /// The majoration is not in the tariff tables.
    case unknownMajoration(act: Int, code: ActCode)
    /// The code is known but has no tariff in force on the act's date.
    case noTariffOnDate(act: Int, code: ActCode, date: ClaimDate)
    /// The act is dated after today.
    case actDateInFuture(act: Int, date: ClaimDate, today: ClaimDate)
    /// The act is dated outside the beneficiary's AMO rights period.
    case actDateOutsideRights(act: Int, date: ClaimDate)
    /// The act is dated after the invoice.
    case actDateAfterInvoice(act: Int, date: ClaimDate)
    /// The invoice is dated after today.
    case invoiceDateInFuture(date: ClaimDate, today: ClaimDate)
    /// An act dated before the beneficiary's birth.
    case actBeforeBirth(act: Int)
    /// The beneficiary would be older than ``FSE/maximumAge`` on the act date.
    case implausibleAge(act: Int, years: Int)
    /// No act line, or more than ``FSE/maximumActs``.
    case actCount(Int)
    /// A field is out of its range (field name, what is wrong).
    case invalidField(String, String)
    /// More than two CCAM acts in one session (same date): association rules beyond the second act (paid at
    /// 50 %) are not supported; bill them separately.
    case tooManyCCAMActsInSession(date: ClaimDate)
    /// An overcharge (dépassement) on a situation in secteur 1 (code conventionnel 1).
    case overchargeNotAllowed(act: Int)
    /// A correction without the corrected invoice, or an invoice naming one.
    case correctedInvoiceMismatch
    /// Tiers payant AMC, or an AMC share, without an AMC organism; or the reverse.
    case amcMissing
    /// The amounts stated by a received FSE differ from the amounts the tariffs give (where).
    case amountMismatch(String)
    /// An amount overflowed (more than 42 949 672.95 €).
    case amountOverflow

    public var description: String {
        switch self {
        case .situationMayNotSignInvoices: return "this CPS situation is not allowed to sign invoices"
        case .invalidNIR(let e): return "beneficiary: \(e)"
        case .invalidBillingNumber: return "numéro de facturation must be 9 digits"
        case .provisionalNIRWithCard: return "beneficiary: a provisional NIA can only be billed without card (from the attestation de droits)"
        case .unknownActCode(let act, let code): return "act \(act): unknown act code \(code)"
        case .unknownMajoration(let act, let code): return "act \(act): unknown majoration \(code)"
        case .noTariffOnDate(let act, let code, let date): return "act \(act): no tariff for \(code) on \(date)"
        case .actDateInFuture(let act, let date, let today): return "act \(act): date \(date) is in the future (today is \(today))"
        case .actDateOutsideRights(let act, let date): return "act \(act): date \(date) is outside the beneficiary's rights period"
        case .actDateAfterInvoice(let act, let date): return "act \(act): date \(date) is after the invoice date"
        case .invoiceDateInFuture(let date, let today): return "invoice date \(date) is in the future (today is \(today))"
        case .actBeforeBirth(let act): return "act \(act): dated before the beneficiary's birth"
        case .implausibleAge(let act, let years): return "act \(act): the beneficiary would be \(years) years old, over the \(FSE.maximumAge) allowed"
        case .actCount(let n): return "an FSE holds 1 to \(FSE.maximumActs) acts, not \(n)"
        case .invalidField(let field, let why): return "\(field): \(why)"
        case .tooManyCCAMActsInSession(let date): return "more than two CCAM acts on \(date): association beyond the second act is not supported"
        case .overchargeNotAllowed(let act): return "act \(act): overcharge (dépassement) not allowed in secteur 1 (code conventionnel 1)"
        case .correctedInvoiceMismatch: return "a correction must name the corrected invoice, and only a correction may"
        case .amcMissing: return "tiers payant AMC needs an AMC organism"
        case .amountOverflow: return "amount too large"
        case .amountMismatch(let where_): return "\(where_): stated amounts differ from the tariff"
        }
    }
}
