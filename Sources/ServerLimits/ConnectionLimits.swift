/// How long a client may take and how many connections a listener holds: the deadlines and bounds every
/// HTTP server of the project (the insurer gateway, `vitaled`) applies to its connections.
///
/// - `idleTimeout`: a connection that sends nothing, before its first request or between requests, is closed.
/// - `headerTimeout`: from the first byte of a request to the end of its head (request line and headers).
/// - `bodyTimeout`: from the end of the head to the end of the body, however steadily the body trickles in.
///   A request that misses its header or body deadline is answered `408 Request Timeout` and closed.
/// - `maxConnections`: open connections on the listener. At the bound, a new connection closes the
///   connection that has been idle the longest (no request under way); when every connection is busy with a
///   request, the new one is closed at once.
/// - `maxBodyBytes`: a request whose `Content-Length` is larger is answered `413 Content Too Large` before
///   any of its body is read (``BodySizeLimit``), and its connection is closed.
public struct ConnectionLimits: Sendable, Equatable {
    public var idleTimeout: Duration
    public var headerTimeout: Duration
    public var bodyTimeout: Duration
    public var maxConnections: Int
    public var maxBodyBytes: Int
    /// After an answer sent before the request's body was read, how long the rest of the body is read and
    /// dropped before the connection is closed (so the client reads the answer rather than a reset).
    public var lingerTimeout: Duration = .seconds(2)

    public init(idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
                bodyTimeout: Duration = .seconds(60), maxConnections: Int = 1024, maxBodyBytes: Int) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
        self.maxBodyBytes = maxBodyBytes
    }

    /// The problem with these limits, if any (a deadline not positive, a bound below 1).
    public var problem: String? {
        for (name, value) in [("idleTimeout", idleTimeout), ("headerTimeout", headerTimeout), ("bodyTimeout", bodyTimeout)]
        where value <= .zero {
            return "\(name) must be positive"
        }
        if maxConnections < 1 { return "maxConnections must be at least 1" }
        if maxBodyBytes < 1 { return "maxBodyBytes must be at least 1" }
        return nil
    }
}
