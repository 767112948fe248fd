import Foundation
import Testing
import TestSupport

/// The `vitale-card` program: refuses a bad image, presents a card through pcscd, obeys its stdin commands.
@Suite("vitale-card program", .serialized)
struct VitaleCardProgramTests {
    @Test("A malformed image is refused with the file and the field, non-zero exit")
    func refusesBadImage() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vitale-card-bad-\(UUID().uuidString).json")
        try Data(#"{"format": "openvitale-card-image/1", "kind": "vitale2", "purpose": "x", "test": true}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try await ChildProcess.run(Executables.url("vitale-card"), [url.path, "--port", "1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(url.lastPathComponent): vitale: is missing"), "\(result.stderr)")
    }

    @Test("Presents a card, takes it out and puts it back on stdin commands")
    func controlThroughStdin() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let reader = "\(lease.friendlyName) 00 00"
        let program = try ChildProcess(Executables.url("vitale-card"), [Fixtures.cardsDirectory.appendingPathComponent("twins.json").path,
                                                                         "--port", "\(lease.slot0Port)"], interactive: true)
        defer { program.kill(SIGTERM) }
        #expect(try await program.nextLine(timeout: .seconds(10))?.hasPrefix("ready vitale2 twins.json") == true)

        func atr() async throws -> String? { try await ThroughPCSCDTests.scan()[reader] }
        #expect(try await eventually(timeout: .seconds(20)) { try await atr() == "3B 75 13 00 00 44 09 EA 90 00" ? true : nil } == true)
        let read = try await ThroughPCSCDTests.readWithPyscard(reader)
        #expect(read.status == 0, "\(read.stderr)")
        #expect(read.stdout.contains("NOLAN"))

        program.send("remove")
        #expect(try await program.nextLine(timeout: .seconds(10)) == "ok removed")
        #expect(try await eventually(timeout: .seconds(20)) { try await atr() == nil ? true : nil } == true)
        program.send("swap \(Fixtures.cardsDirectory.appendingPathComponent("vitale1.json").path)")
        #expect(try await program.nextLine(timeout: .seconds(10)) == "ok inserted vitale1.json")
        #expect(try await eventually(timeout: .seconds(20)) { try await atr() == "3F 65 25 00 52 09 6A 90 00" ? true : nil } == true)
        program.send("fault slow 10")
        #expect(try await program.nextLine(timeout: .seconds(10)) == "ok")
        program.send("status")
        let status = try await program.nextLine(timeout: .seconds(10))
        #expect(status?.hasPrefix("ok card=vitale1.json connected=true") == true, "\(status ?? "")")
        #expect(status?.contains("slow card (10 ms per APDU)") == true)
        program.send("bogus")
        #expect(try await program.nextLine(timeout: .seconds(10))?.hasPrefix("error unknown command") == true)
        program.send("quit")
        #expect(try await program.nextLine(timeout: .seconds(10)) == "ok bye")
    }
}
