import Foundation
import ServerLimits

/// Faults the gateway injects, set at start-up, so clients can be tested against a misbehaving insurer.
public struct FaultInjection: Sendable, Equatable {
    /// Added to every request before it is handled.
    public var latency: Duration = .zero
    /// Share (0…1) of requests answered 503 Service Unavailable without being handled.
    public var unavailableRate: Double = 0
    /// The first N requests are answered 503 (a burst at start-up).
    public var unavailableFirst: Int = 0
    /// Share (0…1) of lot submissions whose connection is closed without an answer after the lot is stored
    /// (the client cannot know the lot was received).
    public var dropAfterStoreRate: Double = 0
    /// Share (0…1) of requests whose connection is closed as soon as the request is read, before handling.
    public var dropAfterReadRate: Double = 0
    /// When set, the process kills itself (SIGKILL) in the middle of writing the N-th accepted lot
    /// (1-based), inside the open transaction: the write must leave no trace.
    public var crashDuringWrite: Int? = nil
    /// Seed of the fault generator (deterministic runs); nil for a random seed.
    public var seed: UInt64? = nil

    public init() {}

    /// True when no fault is configured.
    public var isEmpty: Bool { self == FaultInjection() }
}

/// Everything the gateway needs to run.
public struct GatewayConfiguration: Sendable {
    /// Host to bind (loopback by default).
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free port (read it from ``RunningGateway/port``).
    public var port: Int = 0
    /// Path of the SQLite database (created 0600, WAL, synchronous FULL).
    public var databasePath: String
    /// The registered practitioners.
    public var registry: PractitionerRegistry
    /// Largest accepted lot body, in bytes (larger gets 413).
    public var maxLotBytes: Int = 16 << 20
    /// How far in the future a lot's creation date may be (clock skew) before the lot is refused.
    public var futureTolerance: TimeInterval = 300
    /// Delay between a lot's acceptance and its returns (RSP) becoming visible.
    public var processingDelay: TimeInterval = 0
    /// Days between processing and the payment date of a paid FSE.
    public var paymentDelayDays: Int = 1
    /// Faults to inject.
    public var faults = FaultInjection()
    /// The beneficiary base file (``BeneficiaryBaseFile``) loaded into the store at start; nil keeps what the
    /// store holds.
    public var beneficiaryBase: URL?
    /// Deadlines and the connection bound (docs/gateway.md, "Slow clients and connection bounds"); the body
    /// bound is ``maxLotBytes``.
    public var idleTimeout: Duration = .seconds(60)
    public var headerTimeout: Duration = .seconds(10)
    public var bodyTimeout: Duration = .seconds(120)
    public var maxConnections: Int = 4096

    /// The limits the server holds its connections to (``maxConnections`` lowered to fit the process's
    /// descriptor limit `softFileLimit`).
    public func connectionLimits(softFileLimit: Int) -> ConnectionLimits {
        ConnectionLimits(
            idleTimeout: idleTimeout, headerTimeout: headerTimeout, bodyTimeout: bodyTimeout,
            maxConnections: FileDescriptorLimit.connectionBound(maxConnections, softLimit: softFileLimit),
            maxBodyBytes: maxLotBytes)
    }

    public init(databasePath: String, registry: PractitionerRegistry) {
        self.databasePath = databasePath
        self.registry = registry
    }
}
