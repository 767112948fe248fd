import Foundation

/// Identifier of an FSE in the outbox.
public typealias ClaimID = Int64
/// Identifier of a lot in the outbox (not its lot number).
public typealias LotID = Int64

/// An FSE to store in the outbox, built but not signed.
public struct NewClaim: Sendable {
    /// The practitioner's numéro de facturation.
    public var billingNumber: String
    /// The invoice number (numéro de facture), unique per practitioner.
    public var invoiceNumber: String
    /// The destination AMO organism: one lot per organism.
    public var organism: String
    /// The care date, `yyyy-MM-dd`.
    public var careDate: String
    /// The beneficiary's NIR, masked (see ``Masking/nir(_:)``); never the NIR in clear.
    public var patientMasked: String
    /// Total amount of the FSE in cents.
    public var totalCents: Int64
    /// The AMO part claimed, in cents.
    public var amoCents: Int64
    /// The encoded FSE (Claims' format), unsigned.
    public var fse: [UInt8]
    /// Where the claim came from (e.g. `claims.csv:12`), for reports.
    public var source: String?

    public init(billingNumber: String, invoiceNumber: String, organism: String, careDate: String, patientMasked: String,
                totalCents: Int64, amoCents: Int64, fse: [UInt8], source: String? = nil) {
        self.billingNumber = billingNumber
        self.invoiceNumber = invoiceNumber
        self.organism = organism
        self.careDate = careDate
        self.patientMasked = patientMasked
        self.totalCents = totalCents
        self.amoCents = amoCents
        self.fse = fse
        self.source = source
    }
}

/// An FSE as the outbox holds it.
public struct ClaimRecord: Sendable, Equatable {
    public var id: ClaimID
    public var billingNumber: String
    public var invoiceNumber: String
    public var organism: String
    public var careDate: String
    public var patientMasked: String
    public var totalCents: Int64
    public var amoCents: Int64
    public var state: ClaimState
    public var source: String?
    /// The lot it went in, once in one.
    public var lotID: LotID?
    public var lotNumber: Int64?
    /// From the RSP: the amount paid in cents and the payment date.
    public var paidCents: Int64?
    public var paymentDate: String?
    /// From a negative ARL or a rejecting RSP: why.
    public var reasonCode: String?
    public var reasonText: String?
}

/// A lot as the outbox holds it.
public struct LotRecord: Sendable, Equatable {
    public var id: LotID
    public var billingNumber: String
    /// The lot number (numéro de lot), monotonic per practitioner.
    public var lotNumber: Int64
    public var organism: String
    public var state: LotState
    /// The signed lot bytes, once assembled (the same bytes at every resend).
    public var bytes: [UInt8]?
    public var fseCount: Int
    public var amoCents: Int64
    public var attempts: Int
    public var lastError: String?
    /// From the ARL.
    public var arlID: Int64?
    public var arlCode: String?
    public var arlText: String?
}

/// What a lot must contain, handed to the code that encodes and signs it (Claims' lot encoder and the CPS).
public struct LotRequest: Sendable {
    public var lotID: LotID
    public var billingNumber: String
    public var lotNumber: Int64
    public var organism: String
    /// The signed FSEs, in order.
    public var fses: [(id: ClaimID, invoiceNumber: String, signedFSE: [UInt8])]

    public init(lotID: LotID, billingNumber: String, lotNumber: Int64, organism: String,
                fses: [(id: ClaimID, invoiceNumber: String, signedFSE: [UInt8])]) {
        self.lotID = lotID
        self.billingNumber = billingNumber
        self.lotNumber = lotNumber
        self.organism = organism
        self.fses = fses
    }
}

/// Counts and amounts per state.
public struct OutboxSummary: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var count: Int
        public var totalCents: Int64
        public var amoCents: Int64
        public var paidCents: Int64
    }
    public var claims: [ClaimState: Line]
    public var lots: [LotState: Int]

    public func count(_ state: ClaimState) -> Int { claims[state]?.count ?? 0 }
    public var totalClaims: Int { claims.values.reduce(0) { $0 + $1.count } }
}

/// An ARL as received from the gateway.
public struct ARL: Sendable, Equatable, Codable {
    public var arlId: Int64
    public var lotNumber: Int64?
    public var status: String
    public var code: String
    public var text: String
    public var organism: String?
    public var invoiceCount: Int
    public var digest: String
    public var receivedAt: String
    public var isPositive: Bool { status == "positive" }
}

/// An RSP as received from the gateway.
public struct RSP: Sendable, Equatable, Codable {
    public var sequence: Int64
    public var lotNumber: Int64
    public var invoiceNumber: String
    public var organism: String
    public var status: String
    public var claimedCents: Int64
    public var paidCents: Int64
    public var paymentDate: String?
    public var reasonCode: String?
    public var reasonText: String?
    public var isPaid: Bool { status == "paid" }
}

/// A page of RSPs.
public struct RSPPage: Sendable, Equatable, Codable {
    public var returns: [RSP]
    public var nextCursor: Int64
}

/// Masking of personal data for logs, messages and the outbox's readable columns.
public enum Masking {
    /// A NIR masked for display: sex and year of birth kept, the rest hidden, e.g. `1 85 ** ** *** *** **`.
    public static func nir(_ nir: String) -> String {
        let digits = nir.filter { !$0.isWhitespace }
        guard digits.count >= 3 else { return "***" }
        let chars = Array(digits)
        return "\(chars[0]) \(chars[1])\(chars[2]) ** ** *** *** **"
    }
}
