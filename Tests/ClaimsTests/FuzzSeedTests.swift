import Claims
import Crypto
import Foundation
import TestSupport
import Testing

/// The seeds of the FSE and lot fuzz targets (Fuzz/Seeds/FuzzFSE, Fuzz/Seeds/FuzzLot) must stay valid inputs,
/// so that fuzzing starts past the first checks. `OPENVITALE_WRITE_FUZZ_SEEDS=1 swift test --filter FuzzSeed`
/// writes them again.
@Suite("Fuzz seeds")
struct FuzzSeedTests {
    static var fuzzPrivateKey: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0x11, count: 32)) }
    var seeds: URL { RepositoryPaths.root.appendingPathComponent("Fuzz/Seeds") }

    @Test func seedsDecode() async throws {
        if ProcessInfo.processInfo.environment["OPENVITALE_WRITE_FUZZ_SEEDS"] == "1" { try await write() }
        let key = ClaimPublicKey(Self.fuzzPrivateKey.publicKey)
        for (target, check) in [("FuzzFSE", { (b: [UInt8]) throws in _ = try FSE(decoding: b) }),
                                ("FuzzLot", { (b: [UInt8]) throws in _ = try LotDecoder().decode(b, verifyingWith: key) })] {
            let dir = seeds.appendingPathComponent(target)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { continue }
            for name in names {
                let bytes = Array(try Data(contentsOf: dir.appendingPathComponent(name)))
                #expect(throws: Never.self, "\(target)/\(name)") { try check(bytes) }
            }
        }
    }

    private func write() async throws {
        let fse = seeds.appendingPathComponent("FuzzFSE"), lot = seeds.appendingPathComponent("FuzzLot")
        try FileManager.default.createDirectory(at: fse, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: lot, withIntermediateDirectories: true)
        let simple = try Samples.pricer.price(Samples.fse(acts: [.ngap("G", date: Samples.day)]), today: Samples.today)
        try Data(try simple.encoded()).write(to: fse.appendingPathComponent("g-treating-doctor"))
        try Data(try Samples.rich().encoded()).write(to: fse.appendingPathComponent("child-amc-ccam"))
        let signer = SoftwareClaimSigner(privateKey: Self.fuzzPrivateKey)
        let invoices = [try await SignedFSE.sign(simple, with: signer), try await SignedFSE.sign(Samples.rich(), with: signer)]
        let header = LotHeader(sender: simple.practitioner.billingNumber, lotNumber: 1, creationDate: Samples.today, creationTime: 93000,
                               destination: simple.destination, count: invoices.count, signer: signer.identity)
        var encoder = LotEncoder()
        let built = try await encoder.signedLot(header: header, invoices: invoices, signer: signer)
        try Data(built.bytes).write(to: lot.appendingPathComponent("two-fses"))
    }
}
