import Claims
import Testing
import Vitale

@Suite("FSE serialization")
struct SerializationTests {
    @Test func roundTripBitForBit() throws {
        for fse in [Samples.rich(), try Samples.pricer.price(Samples.fse(acts: [.ngap("G", date: Samples.day)]), today: Samples.today)] {
            let bytes = try fse.encoded()
            #expect(bytes.count == fse.encodedByteCount)
            let decoded = try FSE(decoding: bytes)
            #expect(decoded == fse)
            #expect(try decoded.encoded() == bytes)
            // From a slice in the middle of a larger buffer, without copying.
            let framed = [0xAA, 0xBB] + bytes + [0xCC]
            #expect(try FSE(decoding: framed[2..<(2 + bytes.count)]) == fse)
        }
    }

    @Test func everyOptionalFieldRoundTrips() throws {
        var fse = Samples.rich()
        fse.operation = .correction
        fse.correctedInvoice = CorrectedInvoice(number: 41, date: Samples.day)
        fse.beneficiary.identification = .attestationWithoutCard
        fse.beneficiary.rights = nil
        fse.beneficiary.birthDate = BirthDate(yyyymmdd: 19_802_132)!  // lunar: kept as read
        fse.parcours = .notApplicable
        fse.insuranceNature = .workAccident
        fse.exoneration = .exoneratingActs
        fse.practitioner.maySignLot = false
        let bytes = try fse.encoded()
        #expect(try FSE(decoding: bytes) == fse)
    }

    @Test func encodingIntoAReusedBufferAppends() throws {
        let fse = Samples.rich()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        try fse.encode(into: &buffer)
        let one = buffer
        try fse.encode(into: &buffer)
        #expect(buffer == one + one)
        buffer.removeAll(keepingCapacity: true)
        try fse.encode(into: &buffer)
        #expect(buffer == one)
        var empty = fse
        empty.acts = []
        #expect(throws: FSEEncodingError.actCount(0)) { try empty.encode(into: &buffer) }
    }

    @Test func refusesEveryTruncation() throws {
        let bytes = try Samples.rich().encoded()
        for length in 0..<bytes.count {
            #expect(throws: FSEDecodingError.self) { try FSE(decoding: bytes[0..<length]) }
        }
        #expect(throws: FSEDecodingError(.trailingBytes, bytes.count, "end of record")) { try FSE(decoding: bytes + [0]) }
    }

    @Test func namesTheFieldAndByte() throws {
        var bytes = try Samples.rich().encoded()
        bytes[0] = 0x58
        #expect(throws: FSEDecodingError(.badMagic, 0, "magic")) { try FSE(decoding: bytes) }
        bytes = try Samples.rich().encoded()
        bytes[48] ^= 0x01  // a digit of the NIR: the key no longer matches
        do { _ = try FSE(decoding: bytes); Issue.record("accepted a bad NIR") } catch {
            #expect(error.field.description == "NIR")
            #expect(error.offset == 35)
            #expect(!error.description.contains("29510"))
        }
        bytes = try Samples.rich().encoded()
        bytes[111] &+= 1  // AMC total
        #expect(throws: FSEDecodingError(.inconsistentAmounts, 100, "totals")) { try FSE(decoding: bytes) }
        bytes = try Samples.rich().encoded()
        bytes[6] |= 0x80
        #expect(throws: FSEDecodingError(.nonCanonical, 6, "presence flags")) { try FSE(decoding: bytes) }
    }

    @Test func singleBitFlipsNeverCrashAndNeverDecodeDifferently() throws {
        let bytes = try Samples.rich().encoded()
        var accepted = 0
        for index in bytes.indices {
            for bit in 0..<8 {
                var mutated = bytes
                mutated[index] ^= UInt8(1 << bit)
                if let fse = try? FSE(decoding: mutated) {
                    accepted += 1
                    #expect(try fse.encoded() == mutated)  // whatever is accepted re-encodes to the same bytes
                }
            }
        }
        #expect(accepted < bytes.count * 8)
    }
}
