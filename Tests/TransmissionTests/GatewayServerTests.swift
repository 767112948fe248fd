import Crypto
import Foundation
import Gateway
import GatewayAPI
import Testing
import TestSupport
import Transmission

@Suite("insurer gateway over loopback")
struct GatewayServerTests {
    let folder: TemporaryFolder
    let alice = TestPractitioner("101234567")
    let bob = TestPractitioner("109876543")

    init() throws { folder = try TemporaryFolder() }

    func startGateway(faults: FaultInjection = .init(), path: String? = nil) async throws -> RunningGateway {
        var config = GatewayConfiguration(databasePath: path ?? folder.path("gateway.sqlite"), registry: PractitionerRegistry([alice.registration, bob.registration]))
        config.faults = faults
        return try await InsurerGateway(configuration: config, processor: FakeLotProcessor(), logger: quietLogger).start()
    }

    func lot(_ number: Int64, sender: TestPractitioner? = nil, invoices: [String], createdAt: Date = Date(), signer: P256.Signing.PrivateKey? = nil) throws -> [UInt8] {
        let sender = sender ?? alice
        return try FakeLot(lotNumber: number, sender: sender.billingNumber, organism: "01751", createdAt: createdAt,
                           invoices: invoices.map { .init(number: $0, claimedCents: 1900, rejectCode: nil) })
            .signed(with: signer ?? sender.key)
    }

    @Test func acceptsOnceAndReplaysTheSameARL() async throws {
        let gateway = try await startGateway()
        let client = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        let bytes = try lot(1, invoices: ["F1", "F2"])
        let first = try await client.submit(lot: bytes)
        #expect(first.isPositive && first.code == .accepted && first.invoiceCount == 2 && first.lotNumber == 1)
        let again = try await client.submit(lot: bytes)
        #expect(again == first)
        #expect(try gateway.store.counts() == .init(acceptedLots: 1, refusedLots: 0, invoices: 2, distinctInvoices: 2, paid: 2, paidCents: 3800))
        #expect(try await client.arl(lotNumber: 1) == first)
        #expect(try await client.arl(lotNumber: 2) == nil)
        let page = try await client.returns(after: 0)
        #expect(page.returns.map(\.invoiceNumber) == ["F1", "F2"])
        #expect(page.returns.allSatisfy { $0.isPaid && $0.paidCents == 1900 && $0.paymentDate != nil })
        #expect(try await client.returns(after: page.nextCursor).returns.isEmpty)
        await gateway.stop()
    }

    @Test func refusesWhatARealInsurerRefuses() async throws {
        let gateway = try await startGateway()
        let client = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        _ = try await client.submit(lot: try lot(7, invoices: ["A"]))
        let reused = try await client.submit(lot: try lot(7, invoices: ["B"]))
        #expect(!reused.isPositive && reused.code == .refused(.lotNumberReused))
        let future = try await client.submit(lot: try lot(8, invoices: ["C"], createdAt: Date().addingTimeInterval(86_400)))
        #expect(future.code == .refused(.futureDate))
        let badSignature = try await client.submit(lot: try lot(9, invoices: ["D"], signer: P256.Signing.PrivateKey()))
        #expect(badSignature.code == .refused(.badSignature))
        let malformed = try await client.submit(lot: Array("garbage".utf8))
        #expect(malformed.code == .refused(.malformed) && malformed.lotNumber == nil)
        let stranger = TestPractitioner("100000001")
        let unregistered = try await client.submit(lot: try lot(10, sender: stranger, invoices: ["E"]))
        #expect(unregistered.code == .refused(.unregisteredSender))
        let otherSender = try await client.submit(lot: try lot(11, sender: bob, invoices: ["F"]))
        #expect(otherSender.code == .refused(.senderMismatch))
        // A refused lot number can be used again with corrected content.
        let corrected = try await client.submit(lot: try lot(8, invoices: ["C"]))
        #expect(corrected.isPositive)
        #expect(try gateway.store.counts().acceptedLots == 2)
        #expect(try gateway.store.counts().invoices == 2)
        await gateway.stop()
    }

    @Test func onlyRegisteredPractitionersReadOnlyTheirOwn() async throws {
        let gateway = try await startGateway()
        let aliceClient = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        let bobClient = GatewayClient(baseURL: gateway.baseURL, token: bob.token)
        let intruder = GatewayClient(baseURL: gateway.baseURL, token: PractitionerRegistry.newToken())
        let arl = try await aliceClient.submit(lot: try lot(1, invoices: ["X"]))
        #expect(arl.isPositive)
        await #expect(throws: GatewayClient.Failure.self) { try await intruder.submit(lot: try lot(2, invoices: ["Y"])) }
        await #expect(throws: GatewayClient.Failure.self) { try await intruder.returns(after: 0) }
        #expect(try await bobClient.arl(lotNumber: 1) == nil)
        #expect(try await bobClient.returns(after: 0).returns.isEmpty)
        #expect(try await aliceClient.returns(after: 0).returns.count == 1)
        await gateway.stop()
    }

    @Test func duplicateInvoiceInAnotherLotIsRejectedNotPaidTwice() async throws {
        let gateway = try await startGateway()
        let client = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        _ = try await client.submit(lot: try lot(1, invoices: ["Z"]))
        _ = try await client.submit(lot: try lot(2, invoices: ["Z"]))
        let returns = try await client.returns(after: 0).returns
        #expect(returns.map(\.status) == [.paid, .rejected])
        #expect(returns[1].reasonCode == .duplicateInvoice)
        await gateway.stop()
    }

    @Test func databaseFilesAreOwnerOnly() async throws {
        let gateway = try await startGateway()
        _ = try await GatewayClient(baseURL: gateway.baseURL, token: alice.token).submit(lot: try lot(1, invoices: ["P"]))
        for suffix in ["", "-wal"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: folder.path("gateway.sqlite") + suffix)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "gateway.sqlite\(suffix)")
        }
        await gateway.stop()
    }
}
