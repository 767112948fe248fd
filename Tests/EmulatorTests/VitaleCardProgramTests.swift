import Foundation
import Testing
import TestSupport

/// The `vitale-card` program: refuses a bad image, presents a card through pcscd, obeys its stdin commands.
@Suite("vitale-card program", .serialized)
struct VitaleCardProgramTests {
    static var executable: String {
        // The test bundle sits in the same build folder as the products.
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/" {
            let candidate = url.appendingPathComponent("vitale-card")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            url.deleteLastPathComponent()
        }
        return RepositoryPaths.root.appendingPathComponent(".build/debug/vitale-card").path
    }

    @Test("A malformed image is refused with the file and the field, non-zero exit")
    func refusesBadImage() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vitale-card-bad-\(UUID().uuidString).json")
        try Data(#"{"format": "openvitale-card-image/1", "kind": "vitale2", "purpose": "x", "test": true}"#.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let result = try await Subprocess.run(Self.executable, [url.path, "--port", "1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("\(url.lastPathComponent): vitale: is missing"), "\(result.stderr)")
    }

    @Test("Presents a card, takes it out and puts it back on stdin commands")
    func controlThroughStdin() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let reader = "\(lease.friendlyName) 00 00"
        let program = try InteractiveProcess(Self.executable, [Fixtures.cardsDirectory.appendingPathComponent("twins.json").path,
                                                                  "--port", "\(lease.slot0Port)"])
        defer { program.terminate() }
        #expect(try await program.nextLine(timeout: .seconds(10))?.hasPrefix("ready vitale2 twins.json") == true)

        func atr() async throws -> String? { try await ThroughPCSCDTests.scan()[reader] }
        #expect(try await eventually(timeout: .seconds(20)) { try await atr() == "3B 75 13 00 00 44 09 EA 90 00" ? true : nil } == true)
        let read = try await Subprocess.run("/usr/bin/python3", [ThroughPCSCDTests.pythonScript, reader])
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

/// A child process fed line by line on stdin, whose stdout lines are read with a deadline.
final class InteractiveProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let condition = NSCondition()
    private var lines: [String] = []
    private var buffer = Data()
    private var ended = false

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = output.fileHandleForReading
        Thread { [self] in
            while true {
                let chunk = handle.availableData
                condition.lock()
                if chunk.isEmpty {
                    ended = true
                } else {
                    buffer.append(chunk)
                    while let newline = buffer.firstIndex(of: 0x0A) {
                        lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                        buffer.removeSubrange(buffer.startIndex...newline)
                    }
                }
                condition.broadcast()
                condition.unlock()
                if chunk.isEmpty { return }
            }
        }.start()
    }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// The next line the program printed, or nil at the deadline or end of output.
    func nextLine(timeout: Duration) async throws -> String? {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        return await withCheckedContinuation { continuation in
            Thread { [self] in
                condition.lock()
                while lines.isEmpty && !ended {
                    if !condition.wait(until: deadline) { break }
                }
                let line = lines.isEmpty ? nil : lines.removeFirst()
                condition.unlock()
                continuation.resume(returning: line)
            }.start()
        }
    }

    func terminate() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
