import Foundation
import GatewayAPI

/// The seam between the gateway and the claim rules: decodes a lot, checks its signatures and adjudicates
/// each FSE (feuille de soins électronique) it carries.
///
/// The gateway itself checks what any insurer checks whatever the format (authentication, the sender, the
/// creation date, the lot number already used); a processor knows the lot format and the pricing rules.
public protocol LotProcessor: Sendable {
    /// Decodes `bytes` as a lot, verifies its signatures with the key registered for the lot's sender, and
    /// decides each invoice. Throws a ``LotRefusal`` (a negative ARL) for anything wrong with the lot as a
    /// whole. Must never crash on any input: the bytes come from the network.
    func process(_ bytes: [UInt8], keys: any SenderKeys, now: Date) throws(LotRefusal) -> ProcessedLot
}

/// Looks up the public key registered for a practitioner's numéro de facturation.
public protocol SenderKeys: Sendable {
    /// The registered key of `billingNumber` (X9.63 uncompressed P-256 point), or nil when not registered.
    func publicKey(forBillingNumber billingNumber: String) -> [UInt8]?
}

/// A lot decoded, verified and adjudicated by a ``LotProcessor``.
public struct ProcessedLot: Sendable, Equatable {
    /// The lot number (numéro de lot), monotonic per sender.
    public var lotNumber: Int64
    /// The sender's numéro de facturation, as written in the lot header.
    public var senderBillingNumber: String
    /// The destination AMO organism code.
    public var organism: String
    /// The lot's creation date, as written in its header.
    public var createdAt: Date
    /// One decision per FSE, in lot order.
    public var invoices: [InvoiceDecision]

    public init(lotNumber: Int64, senderBillingNumber: String, organism: String, createdAt: Date, invoices: [InvoiceDecision]) {
        self.lotNumber = lotNumber
        self.senderBillingNumber = senderBillingNumber
        self.organism = organism
        self.createdAt = createdAt
        self.invoices = invoices
    }
}

/// The insurer's decision on one FSE: what becomes its RSP (rejet / signalement / paiement).
public struct InvoiceDecision: Sendable, Equatable {
    /// The invoice number (numéro de facture) of the FSE.
    public var invoiceNumber: String
    /// The AMO amount the FSE claims, in cents.
    public var claimedCents: Int64
    /// Paid or rejected.
    public var outcome: Outcome

    /// Paid with an amount, or rejected with a reason.
    public enum Outcome: Sendable, Equatable {
        /// Paid: the AMO amount in cents computed by the insurer's rules.
        case paid(amountCents: Int64)
        /// Rejected, with the reason.
        case rejected(RejectionReason)
    }

    public init(invoiceNumber: String, claimedCents: Int64, outcome: Outcome) {
        self.invoiceNumber = invoiceNumber
        self.claimedCents = claimedCents
        self.outcome = outcome
    }
}

/// Why an FSE is rejected (motif de rejet), as code and text. The codes are the project's own.
public struct RejectionReason: Sendable, Equatable, Hashable {
    /// Stable machine code, e.g. ``RejectionCode/rightsClosed``.
    public var code: RejectionCode
    /// Human-readable explanation, without personal data.
    public var text: String

    public init(code: RejectionCode, text: String) {
        self.code = code
        self.text = text
    }

    /// The beneficiary's rights were not open on the care date.
    public static func rightsClosed(_ detail: String) -> Self { .init(code: .rightsClosed, text: "rights not open on the care date: \(detail)") }
    /// The NIR key (clé) does not match the NIR.
    public static let nirKey = Self(code: .nirKey, text: "the NIR key does not match the NIR")
    /// An act code is not in the tariff.
    public static func unknownAct(_ code: String) -> Self { .init(code: .unknownAct, text: "unknown act code \(code)") }
    /// The amounts in the FSE disagree with the tariff or with each other.
    public static func inconsistentAmounts(_ detail: String) -> Self { .init(code: .inconsistentAmounts, text: "inconsistent amounts: \(detail)") }
    /// The invoice number was already received in another lot from the same practitioner.
    public static func duplicateInvoice(lotNumber: Int64) -> Self {
        .init(code: .duplicateInvoice, text: "invoice already received in lot \(lotNumber)")
    }
}

/// A negative ARL (accusé de réception logique): the whole lot is refused.
public struct LotRefusal: Error, Sendable, Equatable {
    /// Stable machine code.
    public var code: Code
    /// Human-readable explanation naming what is wrong and where, without personal data.
    public var text: String
    /// The lot number when the header could be read.
    public var lotNumber: Int64?

    public init(_ code: Code, _ text: String, lotNumber: Int64? = nil) {
        self.code = code
        self.text = text
        self.lotNumber = lotNumber
    }

    /// The reasons a lot is refused (the wire contract's ``LotRefusalCode``).
    public typealias Code = LotRefusalCode
}
