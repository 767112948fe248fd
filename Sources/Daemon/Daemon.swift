import Claims
import Foundation
import Secrets
import Hummingbird
import Logging
import ServerLimits
import NIOCore
import ServiceLifecycle
import Synchronization
import UnixSignals
import Transmission
#if canImport(Glibc)
import Glibc
#endif

/// `vitaled`: the daemon attached to the practitioner's reader. Watches the readers, keeps the card just read
/// and the practitioner's session, serves the local API and sends claims in the background.
public final class Daemon: Sendable {
    public let configuration: DaemonConfiguration
    public let outbox: Outbox
    public let events: EventHub
    public let sender: OutboxSender
    /// The practitioner's session (CPS with PIN verified, or software signer).
    public let sessions: SessionStore
    public let claims: ClaimService
    /// The Vitale and CPS slots.
    public let slots: CardSlots
    let slotEvents: (@Sendable () -> AsyncStream<SlotEvent>)?
    let apiToken: String
    let logger: Logger
    let boundAddress = Mutex<BoundAddress?>(nil)

    /// Where the API ended up listening.
    public enum BoundAddress: Sendable, Equatable, CustomStringConvertible {
        case tcp(host: String, port: Int)
        case unix(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
            case .unix(let path): "unix:\(path)"
            }
        }
    }

    /// A configuration or start-up problem, stated plainly (file, field, what to do).
    public struct StartupError: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Opens the state (outbox), reads the tokens, the tariffs and a software signer if configured, and
    /// prepares the services; nothing runs until ``run()``. `session` opens a session at once (tests, embedding).
    ///
    /// `cards` replaces pcscd (its connector and its event stream) for in-process use.
    public init(configuration: DaemonConfiguration, logger: Logger, session: PractitionerSession? = nil,
                cards: (connector: any CardConnector, events: @Sendable () -> AsyncStream<SlotEvent>)? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        guard (1...DaemonConfiguration.maximumFSEsPerLot).contains(configuration.maxFSEsPerLot) else {
            throw StartupError("maxFSEsPerLot \(configuration.maxFSEsPerLot): must be 1 to \(DaemonConfiguration.maximumFSEsPerLot), the most FSEs the gateway accepts in one lot")
        }
        try Self.prepareStateDirectory(configuration.stateDirectory)
        do {
            apiToken = try SecretFile.readOrCreate(configuration.apiTokenFile)
        } catch {
            throw StartupError("API token: \(error.description)")
        }
        var client: GatewayClient?
        if let gateway = configuration.gateway {
            let token: String
            do { token = try SecretFile.read(gateway.tokenFile) } catch { throw StartupError("gateway token: \(error.description)") }
            client = GatewayClient(baseURL: gateway.url, token: token)
        }
        do {
            outbox = try Outbox(path: configuration.outboxPath, logger: logger)
        } catch {
            throw StartupError("\(configuration.outboxPath): cannot open the outbox: \(error)")
        }
        let tariffs: TariffTable
        do { tariffs = try TariffTable(contentsOfDirectory: URL(fileURLWithPath: configuration.tariffsDirectory)) } catch {
            throw StartupError("tariffsDirectory \(configuration.tariffsDirectory): \(error)")
        }
        var initial = session
        if initial == nil, let software = configuration.softwareSigner {
            initial = try SoftwareSignerLoader.load(software)
        }
        let events = EventHub()
        self.events = events
        sessions = SessionStore(initial)
        let sender = OutboxSender(outbox: outbox, client: client, signing: SessionSigning(sessions: sessions),
                                  configuration: configuration, events: events, logger: logger)
        self.sender = sender
        claims = ClaimService(outbox: outbox, sessions: sessions, tariffs: tariffs, events: events, logger: logger,
                              afterSigning: { sender.wake() })
        let connector = cards?.connector ?? Self.systemCardConnector()
        slotEvents = cards?.events ?? Self.systemSlotEvents()
        slots = CardSlots(configuration: configuration, connector: connector, events: events, sessions: sessions, logger: logger,
                          onSessionOpened: { sender.wake() })
    }

    static func prepareStateDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw StartupError("\(path): stateDirectory is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StartupError("\(path): cannot create the stateDirectory: \(error.localizedDescription)")
        }
    }

    /// The address the API listens on, once it does.
    public var address: BoundAddress? { boundAddress.withLock { $0 } }

    /// Runs until SIGTERM or SIGINT, then finishes what is in flight (requests being answered, the claim
    /// being signed, the lot being sent) within ``DaemonConfiguration/shutdownGracePeriod`` and returns.
    public func run() async throws {
        let group = makeServiceGroup(signals: [.sigterm, .sigint], onListening: { _ in })
        try await group.run()
    }

    /// Starts the daemon in a task and returns once the API listens (tests, embedding).
    public func start() async throws -> RunningDaemon {
        let (ready, continuation) = AsyncStream.makeStream(of: BoundAddress.self)
        let group = makeServiceGroup(signals: [], onListening: { address in
            continuation.yield(address)
            continuation.finish()
        })
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        for await address in ready {
            return RunningDaemon(address: address, daemon: self, group: group, task: task)
        }
        _ = try await task.value
        throw StartupError("the daemon stopped before its API listened")
    }

    func makeServiceGroup(signals: [UnixSignal], onListening: @escaping @Sendable (BoundAddress) -> Void) -> ServiceGroup {
        let app = makeApplication(onListening: onListening)
        var config = ServiceGroupConfiguration(
            services: [
                .init(service: sender),
                .init(service: CardWatcher(slots: slots, events: slotEvents, logger: logger)),
                .init(service: app),
                .init(service: EventStreamCloser(events: events)),
            ],
            gracefulShutdownSignals: signals,
            cancellationSignals: [],
            logger: logger)
        config.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownGracePeriod * 1000))
        return ServiceGroup(configuration: config)
    }

    /// The API's router: `GET /v1/health` without a token, the areas' route collections behind the bearer token.
    func makeRouter() -> Router<DaemonRequestContext> {
        let router = Router(context: DaemonRequestContext.self)
        router.add(middleware: BodySizeLimit<DaemonRequestContext>(maxBytes: DaemonConfiguration.maximumBodyBytes) { max in
            try APIError(.contentTooLarge, "too_large", "a request body is at most \(max) bytes").response()
        })
        router.get("/v1/health") { _, _ in HealthView() }
        router.group("/v1")
            .add(middleware: BearerAuthentication(token: apiToken))
            .addRoutes(StatusRoutes(outbox: outbox, sessions: sessions, slots: slots, sender: sender, events: events).routes)
            .addRoutes(CardRoutes(slots: slots, events: events, allowNIRReveal: configuration.allowNIRReveal).routes)
            .addRoutes(SessionRoutes(slots: slots, sessions: sessions).routes)
            .addRoutes(ClaimRoutes(outbox: outbox, claims: claims, slots: slots, sender: sender).routes)
            .addRoutes(EventRoutes(events: events).routes)
        return router
    }

    func makeApplication(onListening: @escaping @Sendable (BoundAddress) -> Void) -> some Service {
        let bind: BindAddress
        switch configuration.listen {
        case .tcp(let host, let port): bind = .hostname(host, port: port)
        case .unix(let path):
            // A socket file left by a previous run (e.g. after SIGKILL) would make the bind fail.
            var info = stat()
            if lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
            bind = .unixDomainSocket(path: path)
        }
        let listen = configuration.listen
        let logger = logger
        let softLimit = FileDescriptorLimit.raiseSoftLimit()
        let connections = ConnectionGuard(limits: configuration.connectionLimits(softFileLimit: softLimit), logger: logger)
        logger.info("API connection bounds", metadata: [
            "maxConnections": "\(connections.limits.maxConnections)", "openFileLimit": "\(softLimit)",
        ])
        return Application(
            router: makeRouter(),
            server: connections.http1,
            configuration: ApplicationConfiguration(address: bind, serverName: "vitaled"),
            onServerRunning: { channel in
                let address: BoundAddress
                switch listen {
                case .tcp(let host, _): address = .tcp(host: host, port: channel.localAddress?.port ?? 0)
                case .unix(let path):
                    chmod(path, 0o600)
                    address = .unix(path: path)
                }
                self.boundAddress.withLock { $0 = address }
                logger.info("API listening", metadata: ["address": "\(address)"])
                onListening(address)
            },
            logger: logger)
    }
}

/// Ends the event streams at graceful shutdown, before the HTTP server waits for its open requests.
struct EventStreamCloser: Service {
    let events: EventHub

    func run() async throws {
        try? await gracefulShutdown()
        events.close()
    }
}


/// A daemon started with ``Daemon/start()``.
public struct RunningDaemon: Sendable {
    /// Where the API listens.
    public let address: Daemon.BoundAddress
    public let daemon: Daemon
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// The base URL of a TCP listener (nil for a Unix socket).
    public var baseURL: String? { if case .tcp = address { "\(address)" } else { nil } }

    /// Shuts down gracefully, as on SIGTERM, and waits until everything has stopped.
    public func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
