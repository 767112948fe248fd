import Foundation
import GatewayAPI
import Hummingbird
import Logging
import NIOCore
import ServerLimits
import Synchronization

/// The request context of the gateway: Hummingbird's core context, the connection (to drop it when a fault
/// says so) and the authenticated practitioner.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The practitioner authenticated by the bearer token, set by the authentication middleware.
    public var practitioner: RegisteredPractitioner?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The mock insurer: an HTTP server (Hummingbird) that receives lots, answers ARLs and serves RSPs, as
/// described in docs/gateway-openapi.yaml and docs/gateway.md.
public struct InsurerGateway: Sendable {
    public let configuration: GatewayConfiguration
    public let store: GatewayStore
    let processor: any LotProcessor
    let faults: FaultState
    let logger: Logger

    /// Opens the store and prepares the server (call ``run()`` or ``start()``).
    public init(configuration: GatewayConfiguration, processor: any LotProcessor, logger: Logger = Logger(label: "insurer-gateway")) throws {
        self.configuration = configuration
        self.store = try GatewayStore(path: configuration.databasePath)
        if let base = configuration.beneficiaryBase {
            switch try store.loadBeneficiaries(from: base) {
            case .unchanged(let persons): logger.notice("beneficiary base unchanged", metadata: ["persons": "\(persons)"])
            case .replaced(let persons): logger.notice("beneficiary base loaded", metadata: ["persons": "\(persons)"])
            }
        }
        self.processor = processor
        self.faults = FaultState(configuration.faults)
        self.logger = logger
    }

    /// Runs until SIGTERM or SIGINT; `onRunning` receives the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await makeApplication(onRunning: onRunning).runService()
    }

    /// Starts the server in a task and returns once it listens (for tests and embedding).
    public func start() async throws -> RunningGateway {
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = makeApplication { port in continuation.yield(port); continuation.finish() }
        let task = Task {
            do { try await app.runService(gracefulShutdownSignals: []) } catch {
                continuation.finish()
                throw error
            }
        }
        for await port in stream {
            return RunningGateway(port: port, task: task, store: store)
        }
        _ = try await task.value
        throw CancellationError()
    }

    func makeApplication(onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: FaultMiddleware(faults: faults))
        router.add(middleware: MethodMiddleware())
        let limits = configuration.connectionLimits(softFileLimit: FileDescriptorLimit.raiseSoftLimit())
        router.add(middleware: BodySizeLimit<GatewayRequestContext>(maxBytes: limits.maxBodyBytes) { max in
            problem(.contentTooLarge, .tooLarge, "a lot is at most \(max) bytes")
        })
        router.get(RouterPath(GatewayPaths.Route.health)) { _, _ in
            json(.ok, HealthBody())
        }
        let api = router.group(RouterPath(GatewayPaths.Route.version)).add(middleware: AuthenticationMiddleware(registry: configuration.registry))
        api.post(RouterPath(GatewayPaths.Route.lots)) { request, context in try await submit(request, context) }
        api.get(RouterPath(GatewayPaths.Route.lotARL)) { _, context in
            let practitioner = try context.requirePractitioner()
            guard let raw = context.parameters.get("lotNumber"), let number = Int64(raw), number >= 0 else {
                return problem(.badRequest, .badRequest, "lotNumber must be a non-negative integer")
            }
            guard let arl = try await store.arl(practitioner: practitioner.billingNumber, lotNumber: number) else {
                return problem(.notFound, .notFound, "no lot \(number) received from this practitioner")
            }
            return json(.ok, arl)
        }
        api.get(RouterPath(GatewayPaths.Route.arl)) { _, context in
            let practitioner = try context.requirePractitioner()
            guard let raw = context.parameters.get("arlId"), let id = Int64(raw), id >= 0 else {
                return problem(.badRequest, .badRequest, "arlId must be a non-negative integer")
            }
            guard let arl = try await store.arl(practitioner: practitioner.billingNumber, id: id) else {
                return problem(.notFound, .notFound, "no ARL \(id) for this practitioner")
            }
            return json(.ok, arl)
        }
        api.get(RouterPath(GatewayPaths.Route.returns)) { request, context in
            let practitioner = try context.requirePractitioner()
            let query = request.uri.queryParameters
            var after: Int64 = 0
            var limit = GatewayPaths.defaultReturnsLimit
            if let raw = query["after"] {
                guard let value = Int64(String(raw)), value >= 0 else {
                    return problem(.badRequest, .badRequest, "after must be a non-negative integer")
                }
                after = value
            }
            if let raw = query["limit"] {
                guard let value = Int(String(raw)), (1...GatewayPaths.maximumReturnsLimit).contains(value) else {
                    return problem(.badRequest, .badRequest, "limit must be an integer from 1 to \(GatewayPaths.maximumReturnsLimit)")
                }
                limit = value
            }
            let page = try await store.returns(practitioner: practitioner.billingNumber, after: after, limit: limit, now: Date())
            return json(.ok, page)
        }
        let appConfig = ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "openvitale-insurer-gateway")
        let connections = ConnectionGuard(limits: limits, logger: logger)
        return Application(
            router: router, server: connections.http1, configuration: appConfig,
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    func submit(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let practitioner = try context.requirePractitioner()
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxLotBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return problem(.contentTooLarge, .tooLarge, "a lot is at most \(configuration.maxLotBytes) bytes")
        }
        guard body.readableBytes > 0 else {
            return problem(.badRequest, .badRequest, "the request body must be a lot (application/octet-stream), not empty")
        }
        let bytes = Array(buffer: body)
        let now = Date()
        let verdict = verdict(for: bytes, sender: practitioner, now: now)
        let accepted = (try? verdict.get()) != nil
        let faults = self.faults
        let result = try await store.record(
            .init(practitioner: practitioner.billingNumber, bytes: bytes, verdict: verdict, receivedAt: now),
            processingDelay: configuration.processingDelay, paymentDelayDays: configuration.paymentDelayDays,
            // Counted inside the write transaction, which SQLite serializes: with lots arriving in parallel, the N-th
            // accepted write is the one that crashes, whatever order their verdicts were reached in.
            midWrite: { if faults.shouldCrash(accepted: accepted) { FaultState.crashNow() } })
        let (status, arl): (HTTPResponse.Status, ARL)
        switch result {
        case .stored(let a): (status, arl) = (.created, a)
        case .replayed(let a): (status, arl) = (.ok, a)
        }
        logger.info("lot received", metadata: [
            "practitioner": "\(practitioner.billingNumber)", "lot": "\(arl.lotNumber.map(String.init) ?? "-")",
            "arl": "\(arl.arlId)", "code": "\(arl.code)", "fse": "\(arl.invoiceCount)", "replay": "\(status == .ok)",
        ])
        if faults.shouldDropAfterStore() {
            logger.notice("fault: dropping the connection after storing the lot", metadata: ["arl": "\(arl.arlId)"])
            context.channel.close(promise: nil)
            throw FaultError.connectionDropped
        }
        return json(status, arl)
    }

    /// The gateway's own checks around the processor's.
    func verdict(for bytes: [UInt8], sender: RegisteredPractitioner, now: Date) -> Result<ProcessedLot, LotRefusal> {
        let processed: ProcessedLot
        do {
            processed = try processor.process(bytes, keys: configuration.registry, now: now)
        } catch {
            return .failure(error)
        }
        guard configuration.registry.practitioner(billingNumber: processed.senderBillingNumber) != nil else {
            return .failure(.init(.unregisteredSender, "the lot's sender is not a registered practitioner", lotNumber: processed.lotNumber))
        }
        guard processed.senderBillingNumber == sender.billingNumber else {
            return .failure(.init(.senderMismatch, "the lot's sender is not the authenticated practitioner", lotNumber: processed.lotNumber))
        }
        guard processed.createdAt.timeIntervalSince(now) <= configuration.futureTolerance else {
            return .failure(.init(.futureDate, "the lot is dated \(Timestamps.iso8601(processed.createdAt)), after the reception \(Timestamps.iso8601(now))", lotNumber: processed.lotNumber))
        }
        return .success(processed)
    }
}

/// A gateway started with ``InsurerGateway/start()``.
public struct RunningGateway: Sendable {
    /// The port it listens on (loopback by default).
    public let port: Int
    let task: Task<Void, any Error>
    /// Its store, to count what it holds.
    public let store: GatewayStore

    /// The base URL, e.g. `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops the server and waits until it has stopped.
    public func stop() async {
        task.cancel()
        _ = await task.result
    }
}

enum FaultError: Error { case connectionDropped, unavailable }

extension GatewayRequestContext {
    func requirePractitioner() throws -> RegisteredPractitioner {
        guard let practitioner else { throw HTTPError(.unauthorized) }
        return practitioner
    }
}

/// Checks `Authorization: Bearer TOKEN` against the registry.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let registry: PractitionerRegistry

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              let practitioner = registry.practitioner(forToken: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))
        else {
            var response = problem(.unauthorized, .unauthorized, "a registered practitioner's bearer token is required")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"openvitale-insurer-gateway\""
            return response
        }
        var context = context
        context.practitioner = practitioner
        return try await next(request, context)
    }
}

/// 405 Method Not Allowed (with `Allow`) for a known path asked with a method the API does not define.
struct MethodMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static func allowed(_ path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        switch Array(parts) {
        case ["v1", "health"], ["v1", "returns"]: return [.get]
        case ["v1", "lots"]: return [.post]
        case let p where p.count == 4 && p[0] == "v1" && p[1] == "lots" && p[3] == "arl": return [.get]
        case let p where p.count == 3 && p[0] == "v1" && p[1] == "arl": return [.get]
        default: return nil
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let allowed = Self.allowed(request.uri.path), !allowed.contains(request.method) {
            var response = problem(.methodNotAllowed, .methodNotAllowed, "\(request.method) is not defined on \(request.uri.path)")
            response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
        }
        return try await next(request, context)
    }
}

/// Latency, 503s and connections dropped after the request is read.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let faults: FaultState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if faults.latency > .zero { try await Task.sleep(for: faults.latency) }
        if faults.shouldAnswerUnavailable() {
            var response = problem(.serviceUnavailable, .unavailable, "the insurer is unavailable (injected fault)")
            response.headers[.retryAfter] = "1"
            return response
        }
        if faults.shouldDropAfterRead() {
            var request = request
            _ = try? await request.collectBody(upTo: 64 << 20)
            context.channel.close(promise: nil)
            throw FaultError.connectionDropped
        }
        return try await next(request, context)
    }
}

/// The fault generator (seeded, thread-safe).
final class FaultState: Sendable {
    let config: FaultInjection
    let latency: Duration
    private struct Counters {
        var rng: SplitMix64
        var requests = 0
        var acceptedWrites = 0
    }
    private let counters: Mutex<Counters>

    init(_ config: FaultInjection) {
        self.config = config
        latency = config.latency
        counters = Mutex(Counters(rng: SplitMix64(seed: config.seed ?? UInt64.random(in: .min ... .max))))
    }

    private func draw(_ rate: Double) -> Bool {
        guard rate > 0 else { return false }
        return counters.withLock { Double($0.rng.next() >> 11) / Double(1 << 53) < rate }
    }

    func shouldAnswerUnavailable() -> Bool {
        let first = counters.withLock { counters -> Bool in
            counters.requests += 1
            return counters.requests <= config.unavailableFirst
        }
        return first || draw(config.unavailableRate)
    }

    func shouldDropAfterRead() -> Bool { draw(config.dropAfterReadRate) }
    func shouldDropAfterStore() -> Bool { draw(config.dropAfterStoreRate) }

    func shouldCrash(accepted: Bool) -> Bool {
        guard let n = config.crashDuringWrite, accepted else { return false }
        return counters.withLock {
            $0.acceptedWrites += 1
            return $0.acceptedWrites == n
        }
    }

    static func crashNow() -> Never {
        FileHandle.standardError.write(Data("insurer-gateway: fault: crashing in the middle of a write\n".utf8))
        kill(getpid(), SIGKILL)
        fatalError("unreachable")
    }
}

/// SplitMix64, a small seeded generator for reproducible faults.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let jsonEncoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
}()

func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
    let data = (try? jsonEncoder.encode(value)) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

func problem(_ status: HTTPResponse.Status, _ code: GatewayErrorCode, _ message: String) -> Response {
    json(status, ErrorBody(error: code, message: message))
}
