import Hummingbird

/// Answers a request whose `Content-Length` is over `maxBytes` before any of its body is read (the
/// connection is then closed by ``ConnectionDeadlineHandler``). Bodies without a length are bounded where
/// they are collected (`collectBody(upTo:)`).
public struct BodySizeLimit<Context: RequestContext>: RouterMiddleware {
    public let maxBytes: Int
    /// The server's own `413` answer.
    public let tooLarge: @Sendable (_ maxBytes: Int) throws -> Response

    public init(maxBytes: Int, tooLarge: @escaping @Sendable (_ maxBytes: Int) throws -> Response) {
        self.maxBytes = maxBytes
        self.tooLarge = tooLarge
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let raw = request.headers[.contentLength] {
            // Too large for an Int counts as too large.
            let length = Int(raw) ?? Int.max
            if length > maxBytes { return try tooLarge(maxBytes) }
        }
        return try await next(request, context)
    }
}
