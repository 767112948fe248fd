import Claims
import Crypto
import Foundation
import Gateway
import GatewayAPI
import TestSupport
import Testing
import Transmission
import Vitale

/// The gateway with the real lot format and claim rules (Claims), over loopback.
@Suite("insurer gateway with Claims lots")
struct ClaimsLotGatewayTests {
    let folder: TemporaryFolder
    let alice = TestPractitioner("101234567")
    static let tariffs = try! TariffTable(contentsOfDirectory: RepositoryPaths.fixtures.appendingPathComponent("tariffs"))
    static let pricer = ClaimPricer(tariffs: tariffs)

    init() throws { folder = try TemporaryFolder() }

    var signer: SoftwareClaimSigner { SoftwareClaimSigner(privateKey: alice.key) }
    var situation: PractitionerSituation { PractitionerSituation(billingNumber: try! BillingNumber(alice.billingNumber)) }
    var yesterday: ClaimDate { ClaimDate.today(now: Date().addingTimeInterval(-86_400)) }
    static let cpam = AMOOrganism(regime: 1, fund: 751, centre: 1, computingCentre: 751)

    func startGateway() async throws -> RunningGateway {
        let config = GatewayConfiguration(databasePath: folder.path("gateway.sqlite"), registry: PractitionerRegistry([alice.registration]))
        return try await InsurerGateway(configuration: config, processor: ClaimsLotProcessor(tariffs: Self.tariffs), logger: quietLogger).start()
    }

    func fse(_ number: UInt32, acts: [Act]? = nil, rights: RightsPeriod? = nil) -> FSE {
        let beneficiary = Beneficiary(nir: try! NIR("185057800608491"), birthDate: BirthDate(yyyymmdd: 19850512)!, rights: rights)
        return FSE(invoiceNumber: number, invoiceDate: yesterday, practitioner: situation, beneficiary: beneficiary, amo: Self.cpam,
                   parcours: .treatingDoctor, acts: acts ?? [.ngap("G", date: yesterday)])
    }

    func lot(_ number: Int64, _ fses: [FSE], signer: SoftwareClaimSigner? = nil, now: Date = Date()) async throws -> [UInt8] {
        let signer = signer ?? self.signer
        var signed: [(id: ClaimID, invoiceNumber: String, signedFSE: [UInt8])] = []
        for fse in fses {
            signed.append((ClaimID(rawValue: Int64(fse.invoiceNumber)), String(fse.invoiceNumber), try OutboxFSE.bytes(try await SignedFSE.sign(fse, with: signer))))
        }
        var assembler = ClaimsLotAssembler(signer: signer)
        assembler.now = { now }
        return try await assembler.assemble(LotRequest(lotID: 1, billingNumber: try BillingNumber(alice.billingNumber), lotNumber: number, organism: fses[0].destination, fses: signed))
    }

    @Test func paysOrRejectsEachFSEWithItsReason() async throws {
        let gateway = try await startGateway()
        let client = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        let good = try Self.pricer.price(fse(1), today: .today())
        // Rights closed on the care date: priced as if open, then sent with the closed period.
        var closed = try Self.pricer.price(fse(2), today: .today())
        closed.beneficiary.rights = RightsPeriod(start: try ClaimDate("2020-01-01"), end: try ClaimDate("2020-12-31"))
        // An act the tariff does not know, with amounts made up by the sender.
        var unknown = try Self.pricer.price(fse(3), today: .today())
        unknown.acts[0].code = "ZZZ"
        // Amounts that disagree with the tariff.
        var inflated = try Self.pricer.price(fse(4), today: .today())
        // Amounts that add up but claim 5 € more than the tariff gives.
        inflated.acts[0].amounts.base += 500
        inflated.acts[0].amounts.total += 500
        inflated.acts[0].amounts.amo += 500
        inflated.totals.base += 500
        inflated.totals.total += 500
        inflated.totals.amo += 500
        let arl = try await client.submit(lot: try await lot(1, [good, closed, unknown, inflated]))
        #expect(arl.isPositive && arl.invoiceCount == 4, "\(arl)")
        let returns = try await client.returns(after: 0).returns
        #expect(returns.map(\.invoiceNumber) == ["1", "2", "3", "4"])
        #expect(returns[0].isPaid && returns[0].paidCents == 1900 && returns[0].claimedCents == 1900)
        #expect(returns[1].reasonCode == .rightsClosed)
        #expect(returns[2].reasonCode == .unknownAct && returns[2].reasonText?.contains("ZZZ") == true)
        #expect(returns[3].reasonCode == .inconsistentAmounts)
        #expect(returns[1...].allSatisfy { !$0.isPaid && $0.paidCents == 0 && $0.paymentDate == nil })
        await gateway.stop()
    }

    /// The insurer refuses impossible FSEs too, whatever the sender checked (issue 13, defect 3).
    @Test func rejectsCareBeforeBirthAndImplausibleAges() async throws {
        let gateway = try await startGateway()
        let client = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        var unborn = try Self.pricer.price(fse(1), today: .today())
        unborn.beneficiary.birthDate = BirthDate(yyyymmdd: UInt32(ClaimDate.today().yyyymmdd) + 10000)!
        var ancient = try Self.pricer.price(fse(2), today: .today())
        ancient.beneficiary.birthDate = BirthDate(yyyymmdd: 18700101)!
        let arl = try await client.submit(lot: try await lot(1, [unborn, ancient]))
        #expect(arl.isPositive, "\(arl)")
        let returns = try await client.returns(after: 0).returns
        #expect(returns.count == 2 && returns.allSatisfy { !$0.isPaid && $0.reasonCode == .invalidClaim }, "\(returns)")
        #expect(returns[0].reasonText?.contains("before the beneficiary's birth") == true)
        #expect(returns[1].reasonText?.contains("over the 130 allowed") == true)
        await gateway.stop()
    }

    @Test func refusesBadLots() async throws {
        let gateway = try await startGateway()
        let client = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        let good = try Self.pricer.price(fse(10), today: .today())
        let otherKey = SoftwareClaimSigner(privateKey: P256.Signing.PrivateKey())
        #expect(try await client.submit(lot: try await lot(1, [good], signer: otherKey)).code == .refused(.badSignature))
        #expect(try await client.submit(lot: try await lot(2, [good], now: Date().addingTimeInterval(2 * 86_400))).code == .refused(.futureDate))
        let bytes = try await lot(3, [good])
        #expect(try await client.submit(lot: Array(bytes.prefix(bytes.count - 10))).code == .refused(.malformed))
        // A NIR key changed inside the FSE record: the format makes the FSE invalid, so the whole lot is refused.
        var tampered = bytes
        let headerSize = 76
        tampered[headerSize + 35 + 14] = tampered[headerSize + 35 + 14] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        let nirARL = try await client.submit(lot: tampered)
        #expect(!nirARL.isPositive, "\(nirARL)")
        #expect(try await client.submit(lot: bytes).isPositive)
        #expect(try gateway.store.counts().acceptedLots == 1)
        await gateway.stop()
    }

    /// Mutated lots never crash the gateway and always get an ARL (negative unless the mutation is a no-op).
    @Test func mutatedLotsAlwaysGetAnARL() async throws {
        let gateway = try await startGateway()
        let client = GatewayClient(baseURL: gateway.baseURL, token: alice.token)
        let bytes = try await lot(1, [try Self.pricer.price(fse(20), today: .today()), try Self.pricer.price(fse(21), today: .today())])
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<150 {
            var m = bytes
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: m[Int.random(in: 0..<m.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: m = Array(m.prefix(Int.random(in: 1..<m.count, using: &rng)))  // an empty body is a 400, not a lot
            default: m += (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
            let arl = try await client.submit(lot: m)
            #expect(!arl.isPositive)
        }
        #expect(try gateway.store.counts().acceptedLots == 0)
        await gateway.stop()
    }
}
