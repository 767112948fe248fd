import Claims
import Crypto
import Foundation
import Gateway
import GRDB
import GatewayAPI
import Testing
import TestSupport
import Transmission
import Vitale

/// The outbox against a real gateway over loopback (fake lot format, see FakeLots.swift).
@Suite("outbox and transmitter")
struct OutboxTests {
    let folder: TemporaryFolder
    let alice = TestPractitioner("101234567")
    var billing: BillingNumber { try! BillingNumber(alice.billingNumber) }
    static let cpam = DestinationOrganism(regime: 1, fund: 751, computingCentre: 1)
    static let nir = try! NIR("1850578006084", key: "91")

    init() throws { folder = try TemporaryFolder() }

    func gatewayConfig(faults: FaultInjection = .init(), port: Int = 0) -> GatewayConfiguration {
        var config = GatewayConfiguration(databasePath: folder.path("gateway.sqlite"), registry: PractitionerRegistry([alice.registration]))
        config.faults = faults
        config.port = port
        return config
    }

    func startGateway(faults: FaultInjection = .init(), port: Int = 0) async throws -> RunningGateway {
        try await InsurerGateway(configuration: gatewayConfig(faults: faults, port: port), processor: FakeLotProcessor(), logger: quietLogger).start()
    }

    /// Adds `count` claims, signs them (fake signature: the FSE bytes are `invoice|claimed|reject`).
    func fill(_ outbox: Outbox, count: Int, organism: DestinationOrganism = Self.cpam, reject: (Int) -> String? = { _ in nil }) async throws -> [ClaimID] {
        let first = try await outbox.reserve(.invoice, count: count, billingNumber: billing)
        let claims = try (0..<count).map { i in
            let invoice = String(format: "%09lld", first + Int64(i))
            return NewClaim(billingNumber: billing, invoiceNumber: invoice, organism: organism, careDate: try ClaimDate("2026-11-27"),
                            patientMasked: Self.nir.masked, totalCents: 3000, amoCents: 1900,
                            fse: Array("\(invoice)|1900|\(reject(i) ?? "")".utf8), source: "test:\(i + 1)")
        }
        let ids = try await outbox.add(claims)
        var signed: [(id: ClaimID, signedFSE: [UInt8])] = []
        for id in ids { signed.append((id, try await outbox.builtFSE(id)!)) }
        try await outbox.markSigned(signed)
        return ids
    }

    func transmitter(_ outbox: Outbox, _ baseURL: String, retry: RetryPolicy = RetryPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200), maxAttempts: 50)) -> Transmitter {
        Transmitter(outbox: outbox, client: GatewayClient(baseURL: baseURL, token: alice.token), billingNumber: billing, retry: retry, logger: quietLogger)
    }

    @Test func outboxAndGatewayStoreSyncEveryCommit() async throws {
        // GRDB's WAL set-up lowers `synchronous` to NORMAL; both stores set FULL again on their writer.
        #expect(try await Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger).writerSynchronousSetting() == 2)
        #expect(try GatewayStore(path: folder.path("gateway.sqlite")).writerSynchronousSetting() == 2)
    }

    @Test func statesFromBuiltToPaidAndRejected() async throws {
        let gateway = try await startGateway()
        let outbox = try Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger)
        let ids = try await fill(outbox, count: 5, reject: { $0 == 3 ? "NIR_KEY" : nil })
        #expect(try await outbox.summary().count(.signed) == 5)
        let t = transmitter(outbox, gateway.baseURL)
        let lots = try await t.assembleLots(with: FakeAssembler(key: alice.key), limits: LotLimits(maximumFSEs: 2))
        #expect(lots.map(\.lotNumber) == [1, 2, 3])
        #expect(try await outbox.summary().count(.inLot) == 5)
        let report = try await t.sendPending()
        #expect(report.acknowledged.count == 3 && report.pending.isEmpty)
        #expect(try await outbox.summary().count(.acknowledged) == 5)
        let reconciliation = try await t.fetchReturns()
        #expect(reconciliation.paid == 4 && reconciliation.rejected == 1 && reconciliation.unmatched.isEmpty)
        let rejected = try #require(try await outbox.claim(ids[3]))
        #expect(rejected.state == .rejected && rejected.reasonCode == "NIR_KEY")
        #expect(try await outbox.claim(ids[0])?.state == .paid)
        #expect(try await outbox.claim(ids[0])?.paidCents == 1900)
        // Fetching again changes nothing: the cursor is stored.
        #expect(try await t.fetchReturns() == .init())
        #expect(try gateway.store.counts().invoices == 5)
        await gateway.stop()
    }

    @Test func negativeARLRefusesTheFSEsAndTheyCanGoInANewLot() async throws {
        let gateway = try await startGateway()
        let outbox = try Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger)
        _ = try await fill(outbox, count: 2)
        let t = transmitter(outbox, gateway.baseURL)
        try await t.assembleLots(with: FakeAssembler(key: alice.key, createdAt: Date().addingTimeInterval(3600 * 24)), limits: LotLimits(maximumFSEs: 10))
        let report = try await t.sendPending()
        #expect(report.refused.count == 1 && report.refused[0].arlCode == "FUTURE_DATE")
        #expect(try await outbox.summary().count(.refused) == 2)
        #expect(try await outbox.requeueRefused() == 2)
        try await t.assembleLots(with: FakeAssembler(key: alice.key), limits: LotLimits(maximumFSEs: 10))
        #expect(try await t.sendPending().acknowledged.first?.lotNumber == 2)
        #expect(try gateway.store.counts() .invoices == 2)
        await gateway.stop()
    }

    @Test(arguments: [1, 4]) func burstOf503IsRetriedAndCountedOnce(lotsInFlight: Int) async throws {
        var faults = FaultInjection()
        faults.unavailableFirst = 6
        faults.unavailableRate = 0.3
        faults.seed = 42
        let gateway = try await startGateway(faults: faults)
        let outbox = try Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger)
        _ = try await fill(outbox, count: 30)
        let t = transmitter(outbox, gateway.baseURL)
        try await t.assembleLots(with: FakeAssembler(key: alice.key), limits: LotLimits(maximumFSEs: 4))
        let report = try await t.sendPending(concurrency: lotsInFlight)
        #expect(report.acknowledged.count == 8 && report.pending.isEmpty)
        #expect(report.acknowledged.map(\.lotNumber) == Array(1...8))
        #expect(try gateway.store.counts() == .init(acceptedLots: 8, refusedLots: 0, invoices: 30, distinctInvoices: 30, paid: 30, paidCents: 30 * 1900))
        #expect(try await outbox.summary().count(.acknowledged) == 30)
        await gateway.stop()
    }

    @Test(arguments: [1, 4]) func connectionDroppedAfterStoringIsResentAndCountedOnce(lotsInFlight: Int) async throws {
        var faults = FaultInjection()
        faults.dropAfterStoreRate = 0.5
        faults.dropAfterReadRate = 0.2
        faults.seed = 7
        let gateway = try await startGateway(faults: faults)
        let outbox = try Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger)
        _ = try await fill(outbox, count: 20)
        let t = transmitter(outbox, gateway.baseURL)
        try await t.assembleLots(with: FakeAssembler(key: alice.key), limits: LotLimits(maximumFSEs: 2))
        let report = try await t.sendPending(concurrency: lotsInFlight)
        #expect(report.acknowledged.count == 10)
        #expect(try gateway.store.counts() == .init(acceptedLots: 10, refusedLots: 0, invoices: 20, distinctInvoices: 20, paid: 20, paidCents: 20 * 1900))
        #expect(try await outbox.lots(in: [.acknowledged]).allSatisfy { $0.attempts >= 1 })
        await gateway.stop()
    }

    @Test func gatewayDownAtStartThenUp() async throws {
        // Find a free port by starting and stopping a gateway, then send while nothing listens there.
        let probe = try await startGateway()
        let port = probe.port
        await probe.stop()
        let outbox = try Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger)
        _ = try await fill(outbox, count: 3)
        let t = transmitter(outbox, "http://127.0.0.1:\(port)", retry: RetryPolicy(initialDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxAttempts: 2))
        try await t.assembleLots(with: FakeAssembler(key: alice.key), limits: LotLimits(maximumFSEs: 10))
        let down = try await t.sendPending()
        #expect(down.pending.count == 1 && down.acknowledged.isEmpty)
        #expect(try await outbox.lots(in: [.sent]).count == 1)
        let gateway = try await startGateway(port: port)
        let up = try await t.sendPending()
        #expect(up.acknowledged.count == 1)
        #expect(try gateway.store.counts().invoices == 3)
        #expect(try await outbox.summary().count(.acknowledged) == 3)
        await gateway.stop()
    }

    @Test func retryDelaysGrowWithJitterWithinBounds() {
        let policy = RetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(2), multiplier: 2)
        var rng = SystemRandomNumberGenerator()
        for attempt in 1...10 {
            let cap = min(2000.0, 100 * pow(2, Double(attempt - 1)))
            for _ in 0..<20 {
                let d = policy.delay(afterAttempt: attempt, using: &rng)
                let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
                #expect(ms >= cap / 2 - 1 && ms <= cap + 1)
            }
        }
    }

    @Test func outboxFilesAreOwnerOnlyAndInvoiceNumbersUnique() async throws {
        let outbox = try Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger)
        _ = try await fill(outbox, count: 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path("outbox.sqlite"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let claim = try #require(try await outbox.claims().first)
        #expect(claim.patientMasked == "1 85 05 ** *** *** **")
        await #expect(throws: Outbox.Error.self) {
            try await outbox.add(NewClaim(billingNumber: claim.billingNumber, invoiceNumber: claim.invoiceNumber, organism: Self.cpam, careDate: try ClaimDate("2026-11-27"),
                                          patientMasked: "x", totalCents: 1, amoCents: 1, fse: [1]))
        }
    }

    /// A state written by another version (or a damaged file) is reported with the table, the row and the value,
    /// never read as `built`.
    @Test func unknownStateOnDiskIsAnError() async throws {
        let path = folder.path("outbox.sqlite")
        let outbox = try Outbox(path: path, logger: quietLogger)
        let ids = try await fill(outbox, count: 2)
        let db = try DatabaseQueue(path: path)
        try await db.write { try $0.execute(sql: "UPDATE claim SET state = 'archived' WHERE id = ?", arguments: [ids[1]]) }
        #expect(try await outbox.claim(ids[0])?.state == .signed)
        do {
            _ = try await outbox.claim(ids[1])
            Issue.record("an unknown state was read")
        } catch let error as Outbox.Error {
            #expect(error.kind == .unknownState)
            #expect(error.description.contains("claim \(ids[1])") && error.description.contains("'archived'"), "\(error)")
        }
        await #expect(throws: Outbox.Error.self) { try await outbox.claims() }
        await #expect(throws: Outbox.Error.self) { try await outbox.summary() }
        try await db.write { try $0.execute(sql: "UPDATE claim SET state = 'signed' WHERE id = ?", arguments: [ids[1]]) }
        #expect(try await outbox.claims().count == 2)
    }

    /// Lots are cut by the format's limits (count and bytes), whatever setting asks for more.
    @Test func lotsAreCutByTheFormatLimits() async throws {
        let gateway = try await startGateway()
        let outbox = try Outbox(path: folder.path("outbox.sqlite"), logger: quietLogger)
        _ = try await fill(outbox, count: 7)
        // Each fake signed FSE ("000000001|1900|") takes 15 bytes: three fit in the byte limit below.
        let t = transmitter(outbox, gateway.baseURL)
        let lots = try await t.assembleLots(with: FakeAssembler(key: alice.key), limits: LotLimits(maximumFSEs: 1000, maximumBytes: LotLimits.fixedBytes + 3 * 15))
        #expect(lots.map(\.fses.count) == [3, 3, 1])
        #expect(try await t.sendPending().acknowledged.count == 3)
        await gateway.stop()
    }

    /// The client's errors carry the HTTP status: 401 is seen as such, 404 on an ARL means "never received".
    @Test func clientErrorsCarryTheHTTPStatus() async throws {
        let gateway = try await startGateway()
        let good = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        #expect(try await good.arl(lotNumber: 42) == nil)
        let intruder = GatewayClient(baseURL: gateway.baseURL, token: "not-a-token-of-anyone")
        do {
            _ = try await intruder.returns(after: 0)
            Issue.record("an unknown token was accepted")
        } catch {
            #expect(error.httpStatus == 401 && error.isUnauthorized && !error.isTransient)
            #expect(error == .status(401, request: "GET /v1/returns", body: ErrorBody(error: .unauthorized, message: "a registered practitioner's bearer token is required")))
        }
        let down = GatewayClient(baseURL: "http://127.0.0.1:9", token: alice.token)
        do { _ = try await down.returns(after: 0) } catch {
            #expect(error.httpStatus == nil && error.isTransient)
        }
        await gateway.stop()
    }
}
