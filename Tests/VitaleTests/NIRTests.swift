import Foundation
import Testing
import Vitale

@Suite("NIR")
struct NIRTests {
    @Test("valid 15-character NIRs from the reference", arguments: [
        Redacted("295109912611193"), Redacted("253072B07300470"), Redacted("253072A07300443"),
    ])
    func valid15(_ argument: Redacted) throws {
        let text = argument.value
        let nir = try NIR(text)
        #expect(nir.revealed == text)
        #expect(nir.kind == .definitive)
    }

    @Test("valid 13 characters + separate key", arguments: [
        (Redacted("1570167482145"), "62"), (Redacted("172192B999002"), "24"), (Redacted("165192A999001"), "50"),
    ])
    func validSeparateKey(_ argument: Redacted, _ key: String) throws {
        let number = argument.value
        let nir = try NIR(number, key: key)
        #expect(nir.revealed == number + key)
        #expect(nir.key == Int(key))
        #expect(try NIR(number + key) == nir)
    }

    @Test func wrongKeyIsRejected() {
        #expect(throws: NIRError.keyMismatch) { try NIR("295109912611199") }
        #expect(throws: NIRError.keyMismatch) { try NIR("1570167482145", key: "63") }
    }

    @Test func corsicaOnlyAtPositionsSixAndSeven() {
        #expect(throws: NIRError.invalidCharacter(position: 7)) { try NIR("253072C07300443") }
        // A letter anywhere else is a format error.
        #expect(throws: NIRError.invalidCharacter(position: 8)) { try NIR("2530719A7300443") }
        // 2A needs the 2 before it.
        #expect(throws: NIRError.invalidCharacter(position: 7)) { try NIR("253071A07300443") }
        // Lower case is accepted.
        #expect((try? NIR("253072a07300443"))?.revealed == "253072A07300443")
    }

    @Test func lengthsAndSpaces() throws {
        #expect(throws: NIRError.wrongLength(14, expected: 15)) { try NIR("29510991261119") }
        #expect(throws: NIRError.wrongLength(16, expected: 15)) { try NIR("2951099126111934") }
        #expect(throws: NIRError.wrongLength(0, expected: 15)) { try NIR("") }
        let spaced = try NIR("2 95 10 99 126 111 93")
        #expect(spaced.revealed == "295109912611193")
        #expect(spaced.revealedFormatted == "2 95 10 99 126 111 93")
        #expect(throws: NIRError.invalidSex) { try NIR("595109912611193") }
    }

    @Test func provisionalNIA() throws {
        let nia = try NIR("7901299123456", key: "59")
        #expect(nia.kind == .provisional)
        #expect(nia.isProvisional)
        #expect(try NIR("295109912611193").isProvisional == false)
    }

    @Test func masksItselfEverywhere() throws {
        let nir = try NIR("295109912611193")
        let masked = "2 95 10 ** *** *** **"
        #expect(nir.masked == masked)
        #expect(nir.description == masked)
        #expect("\(nir)" == masked)
        #expect(String(describing: nir) == masked)
        #expect(String(reflecting: nir) == "NIR(\(masked))")
        var dumped = ""
        dump(nir, to: &dumped)
        #expect(!dumped.contains("912611193"))
        struct Holder: Encodable { var nir: NIR }
        let json = String(decoding: try JSONEncoder().encode(Holder(nir: nir)), as: UTF8.self)
        #expect(json.contains(masked))
        #expect(!json.contains("295109912611193"))
        // Errors never carry the number.
        for bad in ["295109912611199", "253072C07300443"] {
            do { _ = try NIR(bad); Issue.record("accepted \(bad)") } catch {
                #expect(!"\(error)".contains(bad.prefix(7)))
            }
        }
    }

    @Test func explicitRevealInEncodingRoundTrips() throws {
        let nir = try NIR("253072B07300470")
        let encoder = JSONEncoder()
        encoder.userInfo[NIR.revealInEncoding] = true
        let data = try encoder.encode([nir])
        #expect(try JSONDecoder().decode([NIR].self, from: data) == [nir])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([NIR].self, from: JSONEncoder().encode([nir])) }
    }

    @Test func bytesAndPackedForms() throws {
        let nir = try NIR(asciiBytes: Array("253072A07300443".utf8)[...])
        var out = [UInt8]()
        nir.appendRevealedASCII(to: &out)
        #expect(out == Array("253072A07300443".utf8))
        #expect(try NIR(packedASCII: nir.revealedPackedASCII) == nir)
        #expect(throws: NIRError.self) { try NIR(packedASCII: (0, 0)) }
    }
}

/// A test argument that test output shows masked: NIRs, even the reference's examples, never appear in clear.
struct Redacted: CustomTestStringConvertible, Sendable {
    let value: String
    init(_ value: String) { self.value = value }
    var testDescription: String { "<\(value.count) characters, masked>" }
}
