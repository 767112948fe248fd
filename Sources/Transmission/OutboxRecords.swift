import Claims
import Foundation
import GRDB

/// The row id of an FSE or a lot in the outbox (not its invoice or lot number); `Entity` keeps the two apart.
public struct OutboxID<Entity: OutboxEntity>: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, DatabaseValueConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(integerLiteral value: Int64) { rawValue = value }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue) }
}

/// What an ``OutboxID`` identifies.
public protocol OutboxEntity: Sendable {}
/// An FSE of the outbox (table `claim`).
public enum ClaimEntity: OutboxEntity {}
/// A lot of the outbox (table `lot`).
public enum LotEntity: OutboxEntity {}

/// Identifier of an FSE in the outbox.
public typealias ClaimID = OutboxID<ClaimEntity>
/// Identifier of a lot in the outbox.
public typealias LotID = OutboxID<LotEntity>

/// An FSE to store in the outbox, built but not signed.
public struct NewClaim: Sendable {
    /// The practitioner's numéro de facturation.
    public var billingNumber: BillingNumber
    /// The invoice number (numéro de facture), unique per practitioner.
    public var invoiceNumber: String
    /// The destination AMO organism: one lot per organism.
    public var organism: DestinationOrganism
    /// The care date, `yyyy-MM-dd`.
    public var careDate: ClaimDate
    /// The beneficiary's NIR, masked (Vitale's `NIR.masked`); never the NIR in clear.
    public var patientMasked: String
    /// Total amount of the FSE in cents.
    public var totalCents: Int64
    /// The AMO part claimed, in cents.
    public var amoCents: Int64
    /// The encoded FSE (Claims' format), unsigned.
    public var fse: [UInt8]
    /// Where the claim came from (e.g. `claims.csv:12`), for reports.
    public var source: String?

    public init(billingNumber: BillingNumber, invoiceNumber: String, organism: DestinationOrganism, careDate: ClaimDate, patientMasked: String,
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

/// An FSE as the outbox holds it (a row of `claim`, with its lot's number).
public struct ClaimRecord: Sendable, Equatable, FetchableRecord {
    public var id: ClaimID
    public var billingNumber: BillingNumber
    public var invoiceNumber: String
    public var organism: DestinationOrganism
    public var careDate: ClaimDate
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

    /// Reads a row of `SELECT c.*, l.lot_number FROM claim c LEFT JOIN lot l …`; an unknown state is an error.
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        billingNumber = try StoredValue.decode(BillingNumber.self, row, "billing_number", table: "claim")
        invoiceNumber = try row.decode(forColumn: "invoice_number")
        organism = try StoredValue.decode(DestinationOrganism.self, row, "organism", table: "claim")
        careDate = try StoredValue.decode(ClaimDate.self, row, "care_date", table: "claim")
        patientMasked = try row.decode(forColumn: "patient_masked")
        totalCents = try row.decode(forColumn: "total_cents")
        amoCents = try row.decode(forColumn: "amo_cents")
        state = try StoredState.decode(ClaimState.self, row, table: "claim")
        source = try row.decode(forColumn: "source")
        lotID = try row.decode(forColumn: "lot_id")
        lotNumber = try row.decode(forColumn: "lot_number")
        paidCents = try row.decode(forColumn: "paid_cents")
        paymentDate = try row.decode(forColumn: "payment_date")
        reasonCode = try row.decode(forColumn: "reason_code")
        reasonText = try row.decode(forColumn: "reason_text")
    }
}

/// A lot as the outbox holds it (a row of `lot`).
public struct LotRecord: Sendable, Equatable, FetchableRecord {
    public var id: LotID
    public var billingNumber: BillingNumber
    /// The lot number (numéro de lot), monotonic per practitioner.
    public var lotNumber: Int64
    public var organism: DestinationOrganism
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

    /// Reads a row of `lot`; an unknown state is an error.
    public init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        billingNumber = try StoredValue.decode(BillingNumber.self, row, "billing_number", table: "lot")
        lotNumber = try row.decode(forColumn: "lot_number")
        organism = try StoredValue.decode(DestinationOrganism.self, row, "organism", table: "lot")
        state = try StoredState.decode(LotState.self, row, table: "lot")
        bytes = (try row.decode(Data?.self, forColumn: "bytes")).map { Array($0) }
        fseCount = try row.decode(forColumn: "fse_count")
        amoCents = try row.decode(forColumn: "amo_cents")
        attempts = try row.decode(forColumn: "attempts")
        lastError = try row.decode(forColumn: "last_error")
        arlID = try row.decode(forColumn: "arl_id")
        arlCode = try row.decode(forColumn: "arl_code")
        arlText = try row.decode(forColumn: "arl_text")
    }
}

/// Reads a `state` column into its enum: a value this version does not know is an error naming the table,
/// the row and the value, never a state guessed.
enum StoredState {
    static func decode<S: RawRepresentable>(_ type: S.Type, _ row: Row, table: String) throws -> S where S.RawValue == String {
        let raw: String = try row.decode(forColumn: "state")
        guard let state = S(rawValue: raw) else {
            let id: Int64? = try? row.decode(forColumn: "id")
            throw Outbox.Error(.unknownState, "\(table) \(id.map(String.init) ?? "?") has state '\(raw.prefix(40))', which this version does not know")
        }
        return state
    }
}

/// What a lot must contain, handed to the code that encodes and signs it (Claims' lot encoder and the CPS).
public struct LotRequest: Sendable {
    public var lotID: LotID
    public var billingNumber: BillingNumber
    public var lotNumber: Int64
    public var organism: DestinationOrganism
    /// The signed FSEs, in order.
    public var fses: [(id: ClaimID, invoiceNumber: String, signedFSE: [UInt8])]

    public init(lotID: LotID, billingNumber: BillingNumber, lotNumber: Int64, organism: DestinationOrganism,
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

