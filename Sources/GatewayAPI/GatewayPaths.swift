/// The paths and limits of the gateway's API (docs/gateway-openapi.yaml), shared by the server and the client.
public enum GatewayPaths {
    /// `GET`: liveness, no authentication.
    public static let health = "/v1/health"
    /// `POST`: submit a lot (body: the lot bytes); answers its ARL.
    public static let lots = "/v1/lots"
    /// `GET /v1/returns?after=&limit=`: a ``ReturnsPage``.
    public static let returns = "/v1/returns"
    /// `GET`: the ARL of a lot number.
    public static func lotARL(_ lotNumber: Int64) -> String { "/v1/lots/\(lotNumber)/arl" }
    /// `GET`: an ARL by its identifier.
    public static func arl(_ id: Int64) -> String { "/v1/arl/\(id)" }
    /// `GET`: a page of returns after `cursor`.
    public static func returns(after cursor: Int64, limit: Int) -> String { "\(returns)?after=\(cursor)&limit=\(limit)" }

    /// Route patterns (Hummingbird's syntax) below the `/v1` group.
    public enum Route {
        public static let version = "/v1"
        public static let health = "/v1/health"
        public static let lots = "/lots"
        public static let lotARL = "/lots/:lotNumber/arl"
        public static let arl = "/arl/:arlId"
        public static let returns = "/returns"
    }

    /// The default and largest page of returns.
    public static let defaultReturnsLimit = 500
    public static let maximumReturnsLimit = 1000
}
