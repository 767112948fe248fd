/// Whether a lot was received (accusé de réception logique positif) or refused whole (négatif).
public enum ARLStatus: String, Codable, Sendable, CaseIterable {
    /// The lot is received: the practitioner's responsibility for its FSEs ends.
    case positive
    /// The whole lot is refused; its FSEs may go in a new lot.
    case negative
}

/// Why the insurer refuses a lot as a whole (the code of a negative ARL). The codes are the project's own.
public enum LotRefusalCode: String, Codable, Sendable, CaseIterable {
    /// The bytes are not a well-formed lot (truncated, oversized, bad counts or totals).
    case malformed = "MALFORMED"
    /// A lot or FSE signature does not verify with the registered key.
    case badSignature = "BAD_SIGNATURE"
    /// The lot's sender is not a registered practitioner.
    case unregisteredSender = "UNREGISTERED_SENDER"
    /// The lot's sender is registered but is not the authenticated practitioner.
    case senderMismatch = "SENDER_MISMATCH"
    /// The lot's creation date is in the future.
    case futureDate = "FUTURE_DATE"
    /// The lot number was already accepted with different content.
    case lotNumberReused = "LOT_NUMBER_REUSED"
}

/// The code of an ARL: `ACCEPTED` for a positive one, a ``LotRefusalCode`` for a negative one.
public enum ARLCode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The lot is received (`ACCEPTED`).
    case accepted
    /// The lot is refused, with the reason.
    case refused(LotRefusalCode)

    /// `ACCEPTED`.
    public static let acceptedRawValue = "ACCEPTED"

    /// The code from its wire form, or nil for a code this version does not know.
    public init?(rawValue: String) {
        if rawValue == Self.acceptedRawValue {
            self = .accepted
        } else if let refusal = LotRefusalCode(rawValue: rawValue) {
            self = .refused(refusal)
        } else {
            return nil
        }
    }

    /// The wire form: `ACCEPTED` or the refusal code.
    public var rawValue: String {
        switch self {
        case .accepted: Self.acceptedRawValue
        case .refused(let code): code.rawValue
        }
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let code = ARLCode(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown ARL code '\(raw.prefix(40))'"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An ARL (accusé de réception logique), one per lot, as the gateway's API carries it (docs/gateway-openapi.yaml).
public struct ARL: Codable, Sendable, Equatable {
    /// The ARL's identifier at the gateway.
    public var arlId: Int64
    /// The lot number, when the lot header could be read.
    public var lotNumber: Int64?
    /// Positive (received) or negative (refused whole).
    public var status: ARLStatus
    /// `ACCEPTED` or why the lot is refused.
    public var code: ARLCode
    /// Explanation, without personal data.
    public var text: String
    /// The destination organism (`RR CCC III`), when known.
    public var organism: String?
    /// Number of FSEs counted (0 when refused).
    public var invoiceCount: Int
    /// SHA-256 of the lot bytes, lowercase hex.
    public var digest: String
    /// When the gateway received the lot (ISO 8601, UTC).
    public var receivedAt: String

    public init(arlId: Int64, lotNumber: Int64?, status: ARLStatus, code: ARLCode, text: String, organism: String?,
                invoiceCount: Int, digest: String, receivedAt: String) {
        self.arlId = arlId
        self.lotNumber = lotNumber
        self.status = status
        self.code = code
        self.text = text
        self.organism = organism
        self.invoiceCount = invoiceCount
        self.digest = digest
        self.receivedAt = receivedAt
    }

    /// True for a positive ARL.
    public var isPositive: Bool { status == .positive }
}
