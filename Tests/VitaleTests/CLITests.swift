import Emulator
import Foundation
import PCSC
import Testing
import TestSupport
import VPCD

/// Runs the built `vitale` executable (next to the test bundle, or in .build/debug).
struct VitaleCLI {
    static var executable: URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vitale")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return RepositoryPaths.root.appendingPathComponent(".build/debug/vitale")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Starts `vitale` with `arguments`; output goes to temporary files.
    final class Running: @unchecked Sendable {
        let process = Process()
        let out: URL
        let err: URL
        let exit = AsyncStream<Int32>.makeStream()

        init(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("vitale-cli-\(UUID().uuidString)")
            out = base.appendingPathExtension("out")
            err = base.appendingPathExtension("err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = VitaleCLI.executable
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            if let stdin {
                let pipe = Pipe()
                process.standardInput = pipe
                pipe.fileHandleForWriting.write(Data(stdin.utf8))
                try pipe.fileHandleForWriting.close()
            }
            let continuation = exit.continuation
            process.terminationHandler = { p in
                continuation.yield(p.terminationStatus)
                continuation.finish()
            }
            try process.run()
        }

        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        func wait(deadline: Duration = .seconds(30)) async throws -> Result {
            let stream = exit.stream
            let status = try await withDeadline(deadline, "vitale \(process.arguments ?? [])") {
                var it = stream.makeAsyncIterator()
                return await it.next() ?? -1
            }
            defer {
                try? FileManager.default.removeItem(at: out)
                try? FileManager.default.removeItem(at: err)
            }
            return Result(status: status, stdout: stdout, stderr: stderr)
        }

        /// Waits until standard output contains `text` (checking after each write, up to `deadline`).
        func waitForOutput(containing text: String, deadline: Duration = .seconds(15)) async throws {
            let clock = ContinuousClock()
            let end = clock.now + deadline
            while !stdout.contains(text) {
                guard clock.now < end, process.isRunning else {
                    throw OutputNotSeen(text: text, stdout: stdout, stderr: stderr)
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    struct OutputNotSeen: Error, CustomStringConvertible {
        var text: String
        var stdout: String
        var stderr: String
        var description: String { "vitale never printed \"\(text)\" (stdout: \(stdout); stderr: \(stderr))" }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) async throws -> Result {
        try await Running(arguments, environment: environment, stdin: stdin).wait()
    }
}

@Suite("vitale command against emulated cards behind pcscd", .serialized)
struct CLITests {
    @Test func readPrintsATableWithMaskedNIRsAndJSONRevealsOnlyWhenAsked() async throws {
        let bench = try await PCSCBench()
        defer { Task { await bench.close() } }
        try await bench.present(EmulatedCard(image: try Fixtures.image("family.json")))
        let reader = bench.readerName

        let listed = try await VitaleCLI.run(["readers"])
        #expect(listed.status == 0)
        #expect(listed.stdout.split(separator: "\n").contains { $0.contains(reader) && $0.contains("carte Vitale 2") })

        let table = try await VitaleCLI.run(["read", "--reader", reader, "--date", "20260115"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("SOPHIE") && table.stdout.contains("LEFEBVRE"))
        #expect(table.stdout.contains("1 78 05 ** *** *** **"))
        #expect(!table.stdout.contains("178057505612343") && !table.stdout.contains("1 78 05 75 056 123 43"))
        #expect(table.stdout.contains("Covered on 2026-01-15  yes"))

        let json = try await VitaleCLI.run(["read", "--reader", reader, "--json"])
        #expect(json.status == 0)
        #expect(!json.stdout.contains("178057505612343"))
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let card = try #require(object?["card"] as? [String: Any])
        #expect((card["beneficiaries"] as? [Any])?.count == 4)

        let revealed = try await VitaleCLI.run(["read", "--reader", reader, "--json", "--reveal"])
        #expect(revealed.status == 0)
        #expect(revealed.stdout.contains("178057505612343"))
        await bench.close()
    }

    @Test func exitCodes() async throws {
        let bench = try await PCSCBench()
        defer { Task { await bench.close() } }
        let reader = bench.readerName

        let unknown = try await VitaleCLI.run(["read", "--reader", "No Such Reader"])
        #expect(unknown.status == 4)

        let empty = try await VitaleCLI.run(["read", "--reader", reader])
        #expect(empty.status == 5, "\(empty.stderr)")
        #expect(empty.stderr.contains("no card"))

        let noPCSCD = try await VitaleCLI.run(["read"], environment: ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"])
        #expect(noPCSCD.status == 3, "\(noPCSCD.stderr)")
        #expect(noPCSCD.stderr.contains("Hardware/pcscd-ctl start"))

        try await bench.present(EmulatedCard(image: try Fixtures.image("cps-gp-secteur1.json")))
        let cpsAsVitale = try await VitaleCLI.run(["read", "--reader", reader])
        #expect(cpsAsVitale.status == 6)
        #expect(cpsAsVitale.stderr.contains("not a carte Vitale"))
        let cps = try await VitaleCLI.run(["cps", "--reader", reader])
        #expect(cps.status == 0, "\(cps.stderr)")
        #expect(cps.stdout.contains("not verified, 3 tries left"))
        let wrongPIN = try await VitaleCLI.run(["cps", "--reader", reader, "--pin-stdin"], stdin: "0000\n")
        #expect(wrongPIN.status == 9)
        #expect(wrongPIN.stderr.contains("wrong PIN") && !wrongPIN.stderr.contains("0000"))

        try await bench.present(EmulatedCard(image: try Fixtures.image("vitale1.json")))
        let legacy = try await VitaleCLI.run(["read", "--reader", reader])
        #expect(legacy.status == 7)
        #expect(legacy.stderr.contains("legacy Vitale 1 card, not supported"))

        try await bench.present(EmulatedCard(image: try Fixtures.image("wrong-nir-key.json")))
        let wrongKey = try await VitaleCLI.run(["read", "--reader", reader])
        #expect(wrongKey.status == 1)
        #expect(wrongKey.stderr.contains("invalid NIR") && !wrongKey.stderr.contains("295109912611199"))

        try await bench.present(EmulatedCard(image: try Fixtures.image("family.json")))
        bench.slot.inject(.removeAfter(apdus: 2))
        let removed = try await VitaleCLI.run(["read", "--reader", reader])
        #expect(removed.status == 8, "\(removed.stderr)")
        #expect(removed.stdout.isEmpty)
        bench.slot.clearFaults()
        await bench.close()
    }

    @Test func watchReportsInsertionsReadsCardsAndStopsOnInterrupt() async throws {
        let bench = try await PCSCBench()
        defer { Task { await bench.close() } }
        let watch = try VitaleCLI.Running(["watch", "--reader", bench.readerName, "--json"])
        try await watch.waitForOutput(containing: "\"readerAdded\"")
        try await bench.present(EmulatedCard(image: try Fixtures.image("single-insured.json")))
        try await watch.waitForOutput(containing: "\"beneficiaries\"")
        bench.slot.remove()
        try await watch.waitForOutput(containing: "\"cardRemoved\"")
        kill(watch.process.processIdentifier, SIGINT)
        let result = try await watch.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0.contains("\"cardInserted\"") && $0.contains("carte Vitale 2") })
        #expect(!result.stdout.contains("295109912611193"))
        await bench.close()
    }
}
