import Foundation

/// An ARL (accusé de réception logique) as the gateway's API returns it (docs/gateway-openapi.yaml).
public struct ARLMessage: Codable, Sendable, Equatable {
    /// The ARL's identifier at the gateway.
    public var arlId: Int64
    /// The lot number, when the lot header could be read.
    public var lotNumber: Int64?
    /// `positive` (the lot is received; the practitioner's responsibility ends) or `negative` (refused whole).
    public var status: String
    /// `ACCEPTED` or a ``LotRefusal/Code`` raw value.
    public var code: String
    /// Explanation.
    public var text: String
    /// The destination organism, when known.
    public var organism: String?
    /// Number of FSEs counted (0 when refused).
    public var invoiceCount: Int
    /// SHA-256 of the lot bytes, hex.
    public var digest: String
    /// When the gateway received the lot (ISO 8601, UTC).
    public var receivedAt: String
}

/// One RSP (rejet / signalement / paiement) as the gateway's API returns it.
public struct RSPMessage: Codable, Sendable, Equatable {
    /// Position in the practitioner's stream of returns; the cursor of `GET /v1/returns`.
    public var sequence: Int64
    public var lotNumber: Int64
    public var invoiceNumber: String
    public var organism: String
    /// `paid` or `rejected`.
    public var status: String
    /// The AMO amount claimed by the FSE, in cents.
    public var claimedCents: Int64
    /// The amount paid, in cents (0 when rejected).
    public var paidCents: Int64
    /// The payment date (yyyy-MM-dd) when paid.
    public var paymentDate: String?
    public var reasonCode: String?
    public var reasonText: String?
}

/// A page of returns after a cursor.
public struct ReturnsPage: Codable, Sendable, Equatable {
    public var returns: [RSPMessage]
    /// Pass as `after` to read the next page (equal to the request's cursor when the page is empty).
    public var nextCursor: Int64
}

/// An error body.
public struct ErrorMessage: Codable, Sendable, Equatable {
    public var error: String
    public var message: String
}

enum Timestamps {
    static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Paris")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
