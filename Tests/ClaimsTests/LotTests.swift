import Claims
import Crypto
import Foundation
import Testing

@Suite("Lots")
struct LotTests {
    let signer = SoftwareClaimSigner()
    let sender = Samples.situation.billingNumber
    let other = AMOOrganism(regime: 2, fund: 123, centre: 1, computingCentre: 456)

    func temporaryStore() throws -> LotNumberStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lots-\(UUID().uuidString)")
        return try LotNumberStore(directory: dir)
    }

    func signed(_ count: Int, amo: AMOOrganism = Samples.cpam, by signer: SoftwareClaimSigner? = nil) async throws -> [SignedFSE] {
        var out: [SignedFSE] = []
        for number in 1...count {
            out.append(try await SignedFSE.sign(Samples.rich(number: UInt32(number), amo: amo), with: signer ?? self.signer))
        }
        return out
    }

    func oneLot() async throws -> Lot {
        let builder = LotBuilder(signer: signer, numbers: try temporaryStore())
        return try await builder.build(try await signed(3), sender: sender, date: Samples.today, time: 101_500)[0]
    }

    @Test func buildsOneLotPerDestinationAndDecodes() async throws {
        let invoices = try await signed(3) + (try await signed(2, amo: other))
        let builder = LotBuilder(signer: signer, numbers: try temporaryStore())
        let lots = try await builder.build(invoices, sender: sender, date: Samples.today, time: 101_500)
        #expect(lots.count == 2)
        #expect(lots.map(\.header.lotNumber) == [1, 2])
        #expect(lots.map(\.header.destination) == [Samples.cpam.destination, other.destination])
        #expect(lots.map(\.header.count) == [3, 2])
        let decoder = LotDecoder()
        for lot in lots {
            let decoded = try decoder.decode(lot.bytes, verifyingWith: signer.identity.publicKey)
            #expect(decoded.header == lot.header)
            #expect(decoded.totals == lot.totals)
            #expect(decoded.header.isTest)
            #expect(decoded.totals.amo == UInt64(lot.header.count) * UInt64(Samples.rich().totals.amo))
            for invoice in decoded.invoices { #expect(invoice.isValid(for: signer.identity.publicKey)) }
        }
        let first = try decoder.decode(lots[0].bytes, verifyingWith: signer.identity.publicKey)
        #expect(first.invoices.map(\.fse) == invoices[0..<3].map(\.fse))
    }

    @Test func splitsOnCountAndBytes() async throws {
        let invoices = try await signed(5)
        let byCount = try LotBuilder.plan(invoices, sender: sender, limits: LotLimits(maximumFSEs: 2))
        #expect(byCount == [[0, 1], [2, 3], [4]])
        let size = invoices[0].fse.encodedByteCount + 64
        let byBytes = try LotBuilder.plan(invoices, sender: sender, limits: LotLimits(maximumBytes: 76 + 136 + 3 * size))
        #expect(byBytes == [[0, 1, 2], [3, 4]])
        #expect(throws: LotBuildError.invoiceTooLarge(invoice: 1)) {
            try LotBuilder.plan(invoices, sender: sender, limits: LotLimits(maximumBytes: 76 + 136 + size - 1))
        }
        let builder = LotBuilder(signer: signer, numbers: try temporaryStore(), limits: LotLimits(maximumFSEs: 2))
        let lots = try await builder.build(invoices, sender: sender, date: Samples.today, time: 0)
        #expect(lots.map(\.header.count) == [2, 2, 1])
        for lot in lots {
            #expect(throws: Never.self) { try LotDecoder(limits: LotLimits(maximumFSEs: 2)).decode(lot.bytes, verifyingWith: signer.identity.publicKey) }
        }
        #expect(throws: LotDecodingError.self) { try LotDecoder(limits: LotLimits(maximumFSEs: 1)).decode(lots[0].bytes, verifyingWith: signer.identity.publicKey) }
    }

    @Test func lotNumbersAreMonotonicAndPersisted() async throws {
        let store = try temporaryStore()
        let lots = try await LotBuilder(signer: signer, numbers: store).build(try await signed(1), sender: sender, date: Samples.today, time: 0)
        #expect(lots[0].header.lotNumber == 1)
        // A new instance over the same directory (another process, a restart) continues the series.
        let reopened = try LotNumberStore(directory: store.directory)
        #expect(try reopened.lastNumber(for: sender) == 1)
        let again = try await LotBuilder(signer: signer, numbers: reopened).build(try await signed(1), sender: sender, date: Samples.today, time: 0)
        #expect(again[0].header.lotNumber == 2)
        #expect(try reopened.reserve(3, for: sender) == 3)
        #expect(try store.reserve(for: sender) == 6)
        let otherSender = try BillingNumber("111111111")
        #expect(try store.reserve(for: otherSender) == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: store.directory.appendingPathComponent("lot-numbers").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // A corrupted state file is reported, not silently reset.
        try Data("garbage\n".utf8).write(to: store.directory.appendingPathComponent("lot-numbers"))
        #expect(throws: LotNumberStoreError.self) { try store.reserve(for: sender) }
    }

    @Test func concurrentReservationsNeverCollide() async throws {
        let store = try temporaryStore()
        let sender = self.sender
        let numbers = try await withThrowingTaskGroup(of: UInt32.self) { group in
            for _ in 0..<16 { group.addTask { try LotNumberStore(directory: store.directory).reserve(for: sender) } }
            return try await group.reduce(into: [UInt32]()) { $0.append($1) }
        }
        #expect(Set(numbers) == Set(1...16))
    }

    @Test func builderRefusesForeignFSEsAndSignersWithoutTheLotFlag() async throws {
        let invoices = try await signed(1)
        let foreign = try BillingNumber("123456789")
        await #expect(throws: LotBuildError.foreignSender(invoice: 1)) {
            try await LotBuilder(signer: signer, numbers: try temporaryStore()).build(invoices, sender: foreign, date: Samples.today, time: 0)
        }
        let noLot = SoftwareClaimSigner(maySignLot: false)
        await #expect(throws: ClaimSigningError.notAllowedToSignLots) {
            try await LotBuilder(signer: noLot, numbers: try temporaryStore()).build(invoices, sender: sender, date: Samples.today, time: 0)
        }
    }

    // MARK: The decoder on bad input

    @Test func refusesEveryTruncationAndTrailingBytes() async throws {
        let bytes = try await oneLot().bytes
        let key = signer.identity.publicKey
        for length in 0..<bytes.count {
            #expect(throws: LotDecodingError.self) { try LotDecoder().decode(bytes[0..<length], verifyingWith: key) }
        }
        do { _ = try LotDecoder().decode(bytes[0..<500], verifyingWith: key) } catch {
            #expect(error.reason == .truncated)
            #expect(error.offset == 500)
        }
        #expect(throws: LotDecodingError(.trailingBytes, offset: bytes.count, field: "after the lot")) {
            try LotDecoder().decode(bytes + [0], verifyingWith: key)
        }
    }

    @Test func refusesOversizedLots() async throws {
        let lot = try await oneLot()
        let key = signer.identity.publicKey
        do { _ = try LotDecoder(limits: LotLimits(maximumBytes: lot.bytes.count - 1)).decode(lot.bytes, verifyingWith: key) } catch {
            #expect(error.reason == .oversized)
        }
        // A header announcing a huge lot is refused before anything is read.
        var bytes = lot.bytes
        bytes.replaceSubrange(8..<16, with: [0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(throws: LotDecodingError(.oversized, offset: 8, field: "lot length (\(0x7FFF_FFFF_0000_0000), limit \(LotLimits.standard.maximumBytes))")) {
            try LotDecoder().decode(bytes, verifyingWith: key)
        }
    }

    @Test func refusesWrongSignerAndBadSignatures() async throws {
        let lot = try await oneLot()
        let stranger = SoftwareClaimSigner()
        #expect(throws: LotDecodingError(.wrongSigner, offset: 44, field: "signer fingerprint")) {
            try LotDecoder().decode(lot.bytes, verifyingWith: stranger.identity.publicKey)
        }
        // The lot signature replaced by another key's signature over the same digest.
        var forged = lot.bytes
        let digest = SHA256.hash(data: Array(forged[0..<(forged.count - 96)]))
        #expect(Array(digest) == Array(forged[(forged.count - 96)..<(forged.count - 64)]))
        let strangerSignature = try stranger.signSynchronously(digest: digest, purpose: .lot)
        forged.replaceSubrange((forged.count - 64)..., with: strangerSignature.rawRepresentation)
        do { _ = try LotDecoder().decode(forged, verifyingWith: signer.identity.publicKey); Issue.record("accepted") } catch {
            #expect(error.reason == .badLotSignature)
            #expect(error.offset == forged.count - 64)
        }
        // FSEs signed by another card inside a lot signed by the right one.
        let builder = LotBuilder(signer: signer, numbers: try temporaryStore())
        let mixed = try await builder.build(try await signed(2, by: stranger), sender: sender, date: Samples.today, time: 0)[0]
        do { _ = try LotDecoder().decode(mixed.bytes, verifyingWith: signer.identity.publicKey); Issue.record("accepted") } catch {
            #expect(error.reason == .badFSESignature)
            #expect(error.invoice == 1)
        }
    }

    @Test func refusesTamperedLots() async throws {
        let lot = try await oneLot()
        let key = signer.identity.publicKey
        // Any single byte changed anywhere is refused.
        for index in stride(from: 0, to: lot.bytes.count, by: 7) {
            var bytes = lot.bytes
            bytes[index] ^= 0x20
            #expect(throws: LotDecodingError.self) { try LotDecoder().decode(bytes, verifyingWith: key) }
        }
        // An amount changed inside an FSE (kept self-consistent) is caught by the trailer or the digest.
        var bytes = lot.bytes
        bytes[76 + 100 + 3] &+= 1  // total of the first FSE
        do { _ = try LotDecoder().decode(bytes, verifyingWith: key) } catch {
            #expect(error.invoice == 1)
            #expect(error.description.contains("FSE 1"))
        }
        // The trailer totals changed.
        bytes = lot.bytes
        let trailer = bytes.count - 136
        bytes[trailer + 15] &+= 1
        #expect(throws: LotDecodingError(.totalsMismatch, offset: trailer + 8, field: "trailer totals")) {
            try LotDecoder().decode(bytes, verifyingWith: key)
        }
        // A byte of the first FSE's signature changed: the digest no longer matches.
        bytes = lot.bytes
        let firstSignature = 76 + Samples.rich().encodedByteCount
        bytes[firstSignature] ^= 1
        #expect(throws: LotDecodingError(.digestMismatch, offset: trailer + 40, field: "digest")) {
            try LotDecoder().decode(bytes, verifyingWith: key)
        }
    }
}
