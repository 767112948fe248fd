import Claims
import Foundation
import GatewayAPI
import Logging
import Synchronization

/// Encodes and signs a lot (Claims' lot encoder with the CPS key); may take time (the card signs).
public protocol LotAssembler: Sendable {
    /// The signed bytes of the lot `request` describes. Must be deterministic in its content (same FSEs,
    /// same number) but need not be byte-identical across calls: bytes are stored once and then reused.
    func assemble(_ request: LotRequest) async throws -> [UInt8]
}

/// What happened while sending.
public enum SendEvent: Sendable {
    /// A lot is about to be transmitted (attempt ≥ 1).
    case sending(lotNumber: Int64, attempt: Int)
    /// A transmission failed; the lot will be retried after `retryIn`, or left for later when nil.
    case failed(lotNumber: Int64, reason: String, retryIn: Duration?)
    /// The lot got its ARL.
    case answered(lotNumber: Int64, arl: ARL, fseCount: Int)
}

/// The outcome of ``Transmitter/sendPending(progress:)``.
public struct SendReport: Sendable, Equatable {
    /// Lots with a positive ARL in this run.
    public var acknowledged: [LotRecord] = []
    /// Lots with a negative ARL in this run.
    public var refused: [LotRecord] = []
    /// Lots still without ARL (left for a later run), with the last error.
    public var pending: [LotRecord] = []
    /// True when the gateway refused the credentials (nothing more was tried).
    public var unauthorized = false
}

/// Moves lots out of the outbox to the gateway and brings returns back: the sending half of the outbox.
public struct Transmitter: Sendable {
    public let outbox: Outbox
    public let client: GatewayClient
    public let billingNumber: BillingNumber
    public var retry: RetryPolicy
    let logger: Logger

    public init(outbox: Outbox, client: GatewayClient, billingNumber: BillingNumber, retry: RetryPolicy = RetryPolicy(),
                logger: Logger = Logger(label: "openvitale.transmission")) {
        self.outbox = outbox
        self.client = client
        self.billingNumber = billingNumber
        self.retry = retry
        self.logger = logger
    }

    /// Assembles lots: first those left assembling by an interruption (same numbers, same FSEs), then new
    /// ones from the signed FSEs, cut by `limits` (the lot format's, possibly lowered by a setting). Returns the
    /// lots now ready.
    @discardableResult
    public func assembleLots(
        with assembler: some LotAssembler, limits: LotLimits = .standard,
        assembled: (_ request: LotRequest, _ bytes: Int) -> Void = { _, _ in }
    ) async throws -> [LotRequest] {
        var requests = try await outbox.lotsToAssemble().filter { $0.billingNumber == billingNumber }
        requests += try await outbox.formLots(limits: limits, billingNumber: billingNumber)
        for request in requests {
            let bytes = try await assembler.assemble(request)
            try await outbox.storeLotBytes(request.lotID, bytes: bytes)
            assembled(request, bytes.count)
            logger.info("lot assembled", metadata: ["lot": "\(request.lotNumber)", "organism": "\(request.organism)", "fse": "\(request.fses.count)", "bytes": "\(bytes.count)"])
        }
        return requests
    }

    /// Sends every lot without an ARL, each with its stored bytes, retrying transient failures with
    /// exponential backoff and jitter (``RetryPolicy``). Up to `concurrency` lots are in flight at once (each
    /// lot's state is committed to the outbox on its own, so an interruption leaves every lot resumable); the
    /// report lists lots in lot-number order.
    public func sendPending(concurrency: Int = 1, progress: @escaping @Sendable (SendEvent) -> Void = { _ in }) async throws -> SendReport {
        let lots = try await outbox.lotsToSend(billingNumber: billingNumber).filter { $0.bytes != nil }
        let run = SendRun(start: .now, deadline: retry.deadline)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for lot in lots {
                if inFlight >= max(1, concurrency) {
                    try await group.next()
                    inFlight -= 1
                }
                group.addTask { try await send(lot, run: run, progress: progress) }
                inFlight += 1
            }
            try await group.waitForAll()
        }
        return run.report()
    }

    /// Sends one lot until its ARL, a permanent failure, its last attempt or the run's deadline.
    private func send(_ lot: LotRecord, run: SendRun, progress: @Sendable (SendEvent) -> Void) async throws {
        guard let bytes = lot.bytes else { return }
        if run.unauthorized || run.overDeadline {
            run.add(lot, to: .pending)
            return
        }
        var rng = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            try Task.checkCancellation()
            attempt += 1
            try await outbox.markSending(lot.id)
            progress(.sending(lotNumber: lot.lotNumber, attempt: attempt))
            let outcome: Result<ARL, GatewayClient.Failure>
            do { outcome = .success(try await client.submit(lot: bytes)) } catch { outcome = .failure(error) }
            switch outcome {
            case .success(let arl):
                try await outbox.recordARL(lot.id, arl)
                logger.info("ARL", metadata: ["lot": "\(lot.lotNumber)", "status": "\(arl.status)", "code": "\(arl.code)", "arl": "\(arl.arlId)"])
                progress(.answered(lotNumber: lot.lotNumber, arl: arl, fseCount: lot.fseCount))
                var updated = lot
                updated.arlID = arl.arlId
                updated.arlCode = arl.code.rawValue
                updated.arlText = arl.text
                updated.state = arl.isPositive ? .acknowledged : .refused
                run.add(updated, to: arl.isPositive ? .acknowledged : .refused)
                return
            case .failure(let error):
                try await outbox.recordFailure(lot.id, error: error.description)
                var updated = lot
                updated.lastError = error.description
                if error.isUnauthorized { run.markUnauthorized() }
                let retryable = error.isTransient && attempt < retry.maxAttempts && !run.overDeadline && !run.unauthorized
                let delay = retryable ? retry.delay(afterAttempt: attempt, using: &rng) : nil
                logger.warning("lot not sent", metadata: ["lot": "\(lot.lotNumber)", "attempt": "\(attempt)", "error": "\(error.description)"])
                progress(.failed(lotNumber: lot.lotNumber, reason: error.description, retryIn: delay))
                guard let delay else {
                    run.add(updated, to: .pending)
                    return
                }
                try await Task.sleep(for: delay)
            }
        }
    }

    /// Fetches every return after the stored cursor and reconciles each with its FSE.
    public func fetchReturns(pageSize: Int = 500) async throws -> Outbox.Reconciliation {
        var total = Outbox.Reconciliation()
        while true {
            let cursor = try await outbox.returnsCursor(billingNumber: billingNumber)
            let page = try await client.returns(after: cursor, limit: pageSize)
            let r = try await outbox.reconcile(page, billingNumber: billingNumber)
            total.paid += r.paid
            total.rejected += r.rejected
            total.paidCents += r.paidCents
            total.unmatched += r.unmatched
            if page.returns.count < pageSize { break }
        }
        if !total.unmatched.isEmpty {
            logger.warning("returns naming unknown invoices", metadata: ["count": "\(total.unmatched.count)"])
        }
        return total
    }
}

/// The shared state of one ``Transmitter/sendPending(concurrency:progress:)``: the report being built, the 401
/// seen by any lot, the run's deadline.
private final class SendRun: Sendable {
    private struct State {
        var report = SendReport()
    }
    private let state = Mutex(State())
    private let start: ContinuousClock.Instant
    private let deadline: Duration?

    init(start: ContinuousClock.Instant, deadline: Duration?) {
        self.start = start
        self.deadline = deadline
    }

    var overDeadline: Bool { deadline.map { ContinuousClock.now - start > $0 } ?? false }
    var unauthorized: Bool { state.withLock { $0.report.unauthorized } }
    func markUnauthorized() { state.withLock { $0.report.unauthorized = true } }

    enum Outcome { case acknowledged, refused, pending }

    func add(_ lot: LotRecord, to outcome: Outcome) {
        state.withLock {
            switch outcome {
            case .acknowledged: $0.report.acknowledged.append(lot)
            case .refused: $0.report.refused.append(lot)
            case .pending: $0.report.pending.append(lot)
            }
        }
    }

    /// The report, each list in lot-number order.
    func report() -> SendReport {
        var report = state.withLock { $0.report }
        report.acknowledged.sort { $0.lotNumber < $1.lotNumber }
        report.refused.sort { $0.lotNumber < $1.lotNumber }
        report.pending.sort { $0.lotNumber < $1.lotNumber }
        return report
    }
}
