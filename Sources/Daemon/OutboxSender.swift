import Claims
import Foundation
import GatewayAPI
import Logging
import ServiceLifecycle
import Transmission
import Synchronization

/// What one sending round did.
public struct SendRoundReport: Sendable, Equatable, Codable {
    /// When the round started (ISO 8601).
    public var startedAt: String
    /// FSEs signed in this round (built while the CPS was away).
    public var signed = 0
    /// Lots assembled (numbered, encoded and signed by the CPS).
    public var lotsAssembled = 0
    /// Lots with a positive ARL.
    public var lotsAcknowledged = 0
    /// Lots with a negative ARL.
    public var lotsRefused = 0
    /// Lots still waiting for an ARL (gateway unreachable or failing).
    public var lotsPending = 0
    /// Returns reconciled: paid and rejected FSEs.
    public var paid = 0
    public var rejected = 0
    /// Why the round stopped early or what failed last, without personal data.
    public var error: String?
}

/// Where the sender gets the CPS's help: signing FSEs left unsigned and assembling signed lots. Both need the
/// practitioner's session (CPS present, PIN verified); without it, lots already assembled are still sent.
public protocol SigningSource: Sendable {
    /// The open session's numéro de facturation (as the outbox stores it), its signer, and whether it may sign
    /// lots; nil when no session is open.
    func currentSigner() async -> (billingNumber: BillingNumber, signer: any ClaimSigner, maySignLot: Bool)?
}

/// Sends lots from the outbox to the insurer gateway in the background, on a schedule and on demand, and
/// fetches returns: the daemon's side of the same outbox `fse-send` uses.
public final class OutboxSender: Service, Sendable {
    let outbox: Outbox
    let client: GatewayClient?
    let signing: any SigningSource
    let configuration: DaemonConfiguration
    let events: EventHub
    let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let wakeupContinuation: AsyncStream<Void>.Continuation
    private let serial = RoundSerializer()
    private let status: Mutex<SenderStatus>

    /// The sender's state, for `GET /v1/status`.
    public struct SenderStatus: Sendable, Equatable, Codable {
        /// False when no gateway is configured.
        public var enabled = false
        /// The last round's report.
        public var lastRound: SendRoundReport?
        /// When the gateway last answered (ISO 8601).
        public var lastContact: String?
        /// Rounds run since start.
        public var rounds = 0
    }

    public init(outbox: Outbox, client: GatewayClient?, signing: any SigningSource, configuration: DaemonConfiguration,
                events: EventHub, logger: Logger) {
        self.outbox = outbox
        self.client = client
        self.signing = signing
        self.configuration = configuration
        self.events = events
        self.logger = logger
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        var initial = SenderStatus()
        initial.enabled = client != nil
        status = Mutex(initial)
    }

    public var currentStatus: SenderStatus { status.withLock { $0 } }

    /// Asks for a round soon (e.g. a claim was just signed), without waiting for it.
    public func wake() { wakeupContinuation.yield() }

    /// Runs a round now (after the one in progress, if any) and returns its report.
    public func sendNow() async -> SendRoundReport {
        await serial.run { await self.round() }
    }

    /// Runs rounds every ``DaemonConfiguration/sendInterval`` seconds and when woken (after
    /// ``DaemonConfiguration/lotGatherDelay``, so a burst of claims makes one lot), until graceful shutdown;
    /// a round in progress at shutdown is finished (its HTTP request answered or failed) before returning.
    public func run() async throws {
        let interval = Duration.milliseconds(Int64(configuration.sendInterval * 1000))
        let gather = Duration.milliseconds(Int64(configuration.lotGatherDelay * 1000))
        let ticker = Task { [wakeupContinuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wakeupContinuation.yield()
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            _ = await self.sendNow()
            for await _ in self.wakeups {
                if Task.isShuttingDownGracefully { break }
                // Let a burst of claims gather into one lot; the wake-ups they send meanwhile are absorbed (the
                // stream keeps only the newest, and the round below takes every signed FSE).
                if gather > .zero { try? await Task.sleep(for: gather) }
                if Task.isShuttingDownGracefully { break }
                _ = await self.sendNow()
            }
        } onGracefulShutdown: {
            self.wakeupContinuation.finish()
        }
        logger.info("sender stopped")
    }

    /// One round: sign what is left unsigned, assemble lots, send them, fetch returns.
    func round() async -> SendRoundReport {
        var report = SendRoundReport(startedAt: Timestamp.now())
        defer {
            let finished = report
            status.withLock { $0.lastRound = finished; $0.rounds += 1 }
        }
        let session = await signing.currentSigner()
        let sessionBilling = session?.billingNumber
        if let session {
            do {
                let prepared = try await transmitter(for: session.billingNumber, client: client).prepareLots(
                    signer: session.signer, limits: lotLimits, assembleLots: session.maySignLot)
                report.signed = prepared.signed
                report.lotsAssembled = prepared.assembled.count
            } catch {
                report.error = "preparing lots: \(error)"
                logger.warning("signing FSEs or assembling lots failed; what was numbered is assembled again next round", metadata: ["error": "\(error)"])
            }
        }
        guard let client else { return report }
        var billingNumbers = Set<BillingNumber>()
        if let sessionBilling { billingNumbers.insert(sessionBilling) }
        do {
            billingNumbers.formUnion(try await outbox.billingNumbersWithWork())
        } catch {
            report.error = "reading the outbox: \(error)"
            return report
        }
        for billing in billingNumbers.sorted() {
            let t = transmitter(for: billing, client: client)
            do {
                let followed = try await t.sendAndFollow { roundEvent in
                    switch roundEvent {
                    case .lot(.failed(let lot, let reason, let retryIn)):
                        self.events.publish(.lotFailed, ["lot": "\(lot)", "reason": reason, "retryInMs": retryIn.map { "\($0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000)" } ?? "next round"])
                    case .lot(.answered(let lot, let arl, let count)):
                        self.status.withLock { $0.lastContact = Timestamp.now() }
                        self.events.publish(.lotAnswered, ["lot": "\(lot)", "status": arl.status.rawValue, "code": arl.code.rawValue, "fse": "\(count)"])
                    case .returns(let r):
                        self.status.withLock { $0.lastContact = Timestamp.now() }
                        if r.paid + r.rejected > 0 {
                            self.events.publish(.returns, ["paid": "\(r.paid)", "rejected": "\(r.rejected)", "paidCents": "\(r.paidCents)"])
                        }
                    case .lot(.sending), .signed, .assembled:
                        break
                    }
                }
                let sent = followed.sent
                report.lotsAcknowledged += sent.acknowledged.count
                report.lotsRefused += sent.refused.count
                report.lotsPending += sent.pending.count
                if let last = sent.pending.last?.lastError { report.error = last }
                if sent.unauthorized { report.error = "the gateway refused the daemon's token (401): check gateway.tokenFile" }
                if let r = followed.returns {
                    report.paid += r.paid
                    report.rejected += r.rejected
                }
                if let error = followed.returnsError { throw error }
            } catch is CancellationError {
                report.error = "cancelled"
                return report
            } catch {
                report.error = "\(error)"
                logger.warning("sending round failed", metadata: ["error": "\(error)"])
            }
        }
        if report.lotsAcknowledged + report.lotsRefused + report.paid + report.rejected + report.lotsAssembled > 0 || report.error != nil {
            logger.info("sending round", metadata: [
                "assembled": "\(report.lotsAssembled)", "acknowledged": "\(report.lotsAcknowledged)", "refused": "\(report.lotsRefused)",
                "pending": "\(report.lotsPending)", "paid": "\(report.paid)", "rejected": "\(report.rejected)", "error": "\(report.error ?? "-")",
            ])
        }
        return report
    }

    /// The lot format's limits, with at most ``DaemonConfiguration/maxFSEsPerLot`` FSEs per lot.
    var lotLimits: LotLimits { LotLimits.standard.capped(atFSEs: configuration.maxFSEsPerLot) }

    func transmitter(for billingNumber: BillingNumber, client: GatewayClient?) -> Transmitter {
        let retry = RetryPolicy(initialDelay: .milliseconds(200), maxDelay: .seconds(10), multiplier: 2,
                                maxAttempts: configuration.sendAttemptsPerRound,
                                deadline: .milliseconds(Int64(configuration.sendRoundDeadline * 1000)))
        return Transmitter(outbox: outbox, client: client ?? GatewayClient(baseURL: "http://127.0.0.1:9", token: "-"),
                           billingNumber: billingNumber, retry: retry, logger: logger)
    }
}

/// Runs async jobs one after the other, in call order.
final class RoundSerializer: Sendable {
    private let tail = Mutex<Task<Void, Never>?>(nil)

    func run<T: Sendable>(_ job: @escaping @Sendable () async -> T) async -> T {
        await withCheckedContinuation { continuation in
            tail.withLock { tail in
                let previous = tail
                tail = Task {
                    await previous?.value
                    continuation.resume(returning: await job())
                }
            }
        }
    }
}
