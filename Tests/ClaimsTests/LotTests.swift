import Claims
import Crypto
import Foundation
import Testing

@Suite("Lots")
struct LotTests {
    let signer = SoftwareClaimSigner()
    let sender = Samples.situation.billingNumber
    let other = AMOOrganism(regime: 2, fund: 123, centre: 1, computingCentre: 456)

    func signed(_ count: Int, amo: AMOOrganism = Samples.cpam, by signer: SoftwareClaimSigner? = nil) async throws -> [SignedFSE] {
        var out: [SignedFSE] = []
        for number in 1...count {
            out.append(try await SignedFSE.sign(Samples.rich(number: UInt32(number), amo: amo), with: signer ?? self.signer))
        }
        return out
    }

    func header(_ invoices: [SignedFSE], number: UInt32 = 1, sender: BillingNumber? = nil, time: UInt32 = 101_500,
                signer: SoftwareClaimSigner? = nil) -> LotHeader {
        LotHeader(sender: sender ?? self.sender, lotNumber: number, creationDate: Samples.today, creationTime: time,
                  destination: invoices[0].fse.destination, count: invoices.count, signer: (signer ?? self.signer).identity)
    }

    /// The lots of `invoices` as the outbox makes them: one run per destination, cut by `limits`, numbered on.
    func lots(_ invoices: [SignedFSE], limits: LotLimits = .standard, time: UInt32 = 101_500) async throws -> [Lot] {
        var lots: [Lot] = []
        var encoder = LotEncoder()
        for destination in Set(invoices.map(\.fse.destination)).sorted() {
            let group = invoices.filter { $0.fse.destination == destination }
            for cut in try limits.cut(group.map(LotLimits.bytesInLot(of:))) {
                let members = Array(group[cut])
                lots.append(try await encoder.signedLot(header: header(members, number: UInt32(lots.count + 1), time: time),
                                                         invoices: members, signer: signer, limits: limits))
            }
        }
        return lots
    }

    func oneLot() async throws -> Lot {
        let invoices = try await signed(3)
        var encoder = LotEncoder()
        return try await encoder.signedLot(header: header(invoices), invoices: invoices, signer: signer)
    }

    @Test func buildsOneLotPerDestinationAndDecodes() async throws {
        let invoices = try await signed(3) + (try await signed(2, amo: other))
        let lots = try await lots(invoices)
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
        let sizes = invoices.map(LotLimits.bytesInLot(of:))
        let byCount = try LotLimits(maximumFSEs: 2).cut(sizes)
        #expect(byCount == [0..<2, 2..<4, 4..<5])
        let size = invoices[0].fse.encodedByteCount + 64
        #expect(sizes.allSatisfy { $0 == size })
        let byBytes = try LotLimits(maximumBytes: 76 + 136 + 3 * size).cut(sizes)
        #expect(byBytes == [0..<3, 3..<5])
        #expect(throws: LotBuildError.invoiceTooLarge(invoice: 1)) {
            try LotLimits(maximumBytes: 76 + 136 + size - 1).cut(sizes)
        }
        #expect(LotLimits.standard.capped(atFSEs: 100_000).maximumFSEs == LotLimits.standard.maximumFSEs)
        #expect(LotLimits.standard.capped(atFSEs: 2).maximumFSEs == 2)
        let lots = try await lots(invoices, limits: LotLimits(maximumFSEs: 2), time: 0)
        #expect(lots.map(\.header.count) == [2, 2, 1])
        for lot in lots {
            #expect(throws: Never.self) { try LotDecoder(limits: LotLimits(maximumFSEs: 2)).decode(lot.bytes, verifyingWith: signer.identity.publicKey) }
        }
        #expect(throws: LotDecodingError.self) { try LotDecoder(limits: LotLimits(maximumFSEs: 1)).decode(lots[0].bytes, verifyingWith: signer.identity.publicKey) }
        // A lot over the limits is never made.
        var encoder = LotEncoder()
        await #expect(throws: LotBuildError.fseCount(3)) {
            try await encoder.signedLot(header: header(Array(invoices[0..<3])), invoices: Array(invoices[0..<3]), signer: signer,
                                        limits: LotLimits(maximumFSEs: 2))
        }
    }

    @Test func signedLotRefusesForeignFSEsMixedDestinationsAndSignersWithoutTheLotFlag() async throws {
        let invoices = try await signed(1)
        let foreign = try BillingNumber("123456789")
        var encoder = LotEncoder()
        await #expect(throws: LotBuildError.foreignSender(invoice: 1)) {
            try await encoder.signedLot(header: header(invoices, sender: foreign), invoices: invoices, signer: signer)
        }
        let mixed = invoices + (try await signed(1, amo: other))
        await #expect(throws: LotBuildError.invalidDestination(invoice: 2)) {
            try await encoder.signedLot(header: header(mixed), invoices: mixed, signer: signer)
        }
        let noLot = SoftwareClaimSigner(maySignLot: false)
        await #expect(throws: ClaimSigningError.notAllowedToSignLots) {
            try await encoder.signedLot(header: header(invoices, signer: noLot), invoices: invoices, signer: noLot)
        }
        await #expect(throws: LotBuildError.invalidLotNumber(0)) {
            try await encoder.signedLot(header: header(invoices, number: 0), invoices: invoices, signer: signer)
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
        let strangers = try await signed(2, by: stranger)
        var encoder = LotEncoder()
        let mixed = try await encoder.signedLot(header: header(strangers, time: 0), invoices: strangers, signer: signer)
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
