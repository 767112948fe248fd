/// Whether an FSE was paid or rejected (the status of an RSP).
public enum RSPStatus: String, Codable, Sendable, CaseIterable {
    case paid
    case rejected
}

/// Why the insurer rejects one FSE (motif de rejet of an RSP). The codes are the project's own.
public enum RejectionCode: String, Codable, Sendable, CaseIterable {
    /// The beneficiary's rights were not open on the care date.
    case rightsClosed = "RIGHTS_CLOSED"
    /// The NIR key (clé) does not match the NIR.
    case nirKey = "NIR_KEY"
    /// An act code is not in the tariff (or has no tariff on the act date).
    case unknownAct = "UNKNOWN_ACT"
    /// The amounts in the FSE disagree with the tariff or with each other.
    case inconsistentAmounts = "INCONSISTENT_AMOUNTS"
    /// The invoice number was already received in another lot from the same practitioner.
    case duplicateInvoice = "DUPLICATE_INVOICE"
    /// Any other rule of the claim is broken (the text says which).
    case invalidClaim = "INVALID_CLAIM"
}

/// One RSP (rejet / signalement / paiement), one per FSE of an accepted lot, as the gateway's API carries it.
public struct RSP: Codable, Sendable, Equatable {
    /// Position in the practitioner's stream of returns; the cursor of `GET /v1/returns`.
    public var sequence: Int64
    /// The lot the FSE came in.
    public var lotNumber: Int64
    /// The FSE's invoice number (numéro de facture).
    public var invoiceNumber: String
    /// The destination organism (`RR CCC III`).
    public var organism: String
    /// Paid or rejected.
    public var status: RSPStatus
    /// The AMO amount claimed by the FSE, in cents.
    public var claimedCents: Int64
    /// The amount paid, in cents (0 when rejected).
    public var paidCents: Int64
    /// The payment date (`yyyy-MM-dd`) when paid.
    public var paymentDate: String?
    /// Why the FSE is rejected.
    public var reasonCode: RejectionCode?
    /// The rejection's explanation, without personal data.
    public var reasonText: String?

    public init(sequence: Int64, lotNumber: Int64, invoiceNumber: String, organism: String, status: RSPStatus, claimedCents: Int64,
                paidCents: Int64, paymentDate: String?, reasonCode: RejectionCode?, reasonText: String?) {
        self.sequence = sequence
        self.lotNumber = lotNumber
        self.invoiceNumber = invoiceNumber
        self.organism = organism
        self.status = status
        self.claimedCents = claimedCents
        self.paidCents = paidCents
        self.paymentDate = paymentDate
        self.reasonCode = reasonCode
        self.reasonText = reasonText
    }

    /// True when the FSE was paid.
    public var isPaid: Bool { status == .paid }
}

/// A page of returns after a cursor (`GET /v1/returns`).
public struct ReturnsPage: Codable, Sendable, Equatable {
    /// The returns, in ``RSP/sequence`` order.
    public var returns: [RSP]
    /// Pass as `after` to read the next page (equal to the request's cursor when the page is empty).
    public var nextCursor: Int64

    public init(returns: [RSP], nextCursor: Int64) {
        self.returns = returns
        self.nextCursor = nextCursor
    }
}
