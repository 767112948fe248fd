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

        let process = Process()
        process.executableURL = RepositoryPaths.root.appendingPathComponent("scripts/demo")
        process.arguments = ["--reader", lease.friendlyName, "--port", String(lease.slot0Port)]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENVITALE_BIN"] = Executables.url("vitaled").deletingLastPathComponent().path
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
    }
}
