import Foundation
import Testing
import TestSupport

/// `scripts/demo`, the README's main command, run end to end on a leased test reader with the programs this
/// test run built: the whole pipeline (emulated cards through pcscd, the mock insurer, the daemon) must end with
/// the paid RSP of 19.00 € for a G with the médecin traitant, and print no NIR in clear.
@Suite("scripts/demo")
struct DemoScriptTests {
    @Test("the demo bills a consultation and shows the ARL and the payment", .timeLimit(.minutes(3)))
    func demoRunsTheWholePipeline() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("openvitale-demo-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }

        // Its own TMPDIR: the demo must leave nothing there.
        let scratch = try TemporaryFolder()
        let process = Process()
        process.executableURL = RepositoryPaths.root.appendingPathComponent("scripts/demo")
        process.arguments = ["--reader", lease.friendlyName, "--port", String(lease.slot0Port)]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENVITALE_BIN"] = Executables.url("vitaled").deletingLastPathComponent().path
        environment["TMPDIR"] = scratch.url.path
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let deadline = ContinuousClock.now + .seconds(150)
        while process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "scripts/demo failed:\n\(text)")
        #expect(text.contains("the Assurance Maladie (AMO) pays 19.00 €"), "\(text)")
        #expect(text.contains("ARL positive"), "\(text)")
        #expect(text.contains("Paid: 19.00 €"), "\(text)")
        // The fixture's NIR (single-insured.json) never appears in clear.
        #expect(!text.contains("295109912611193") && !text.contains("2951099126111"), "a NIR in clear:\n\(text)")
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
        #expect(left.isEmpty, "the demo left \(left) in its TMPDIR")
    }

    /// A demo that fails (a wrong PIN) keeps its logs for a look, never a file with claim or card data.
    @Test("a failed demo keeps only its logs", .timeLimit(.minutes(3)))
    func aFailedDemoKeepsOnlyLogs() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let scratch = try TemporaryFolder()
        let child = try ChildProcess(RepositoryPaths.root.appendingPathComponent("scripts/demo"),
                                     ["--reader", lease.friendlyName, "--port", String(lease.slot0Port), "--pin", "9999"],
                                     environment: ["OPENVITALE_BIN": Executables.url("vitaled").deletingLastPathComponent().path,
                                                   "TMPDIR": scratch.url.path])
        let status = try await child.wait(timeout: .seconds(150))
        #expect(status != 0, "a wrong PIN must fail the demo: \(child.stdout)")
        #expect(child.stderr.contains("session did not open") || child.stdout.contains("session did not open"), "\(child.stdout)\n\(child.stderr)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path)
        #expect(folders.count == 1 && folders[0].hasPrefix("openvitale-demo."), "\(folders)")
        var kept: [String] = []
        if let enumerator = FileManager.default.enumerator(atPath: scratch.url.appendingPathComponent(folders.first ?? "none").path) {
            while let name = enumerator.nextObject() as? String { kept.append(name) }
        }
        #expect(!kept.isEmpty && kept.allSatisfy { $0.hasSuffix(".log") }, "kept: \(kept)")
        var info = stat()
        #expect(stat(scratch.url.appendingPathComponent(folders.first ?? "none").path, &info) == 0 && info.st_mode & 0o077 == 0,
                "the kept folder must be the owner's alone")
    }
}
