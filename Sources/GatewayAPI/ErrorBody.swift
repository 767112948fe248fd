/// The machine code of a gateway error answer.
public enum GatewayErrorCode: String, Codable, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case unauthorized
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case tooLarge = "too_large"
    case unavailable
}

/// The body of every gateway answer that is not a success: `{"error": code, "message": text}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// What kind of error.
    public var error: GatewayErrorCode
    /// What is wrong, for a person; never personal data.
    public var message: String

    public init(error: GatewayErrorCode, message: String) {
        self.error = error
        self.message = message
    }
}

/// The body of `GET /v1/health`.
public struct HealthBody: Codable, Sendable, Equatable {
    /// Always `ok` when the gateway answers 200.
    public var status: String

    public init(status: String = "ok") { self.status = status }
}
