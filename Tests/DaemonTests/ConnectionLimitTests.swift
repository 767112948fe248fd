import Daemon
import Foundation
import Secrets
import Testing
import TestSupport

/// `vitaled` against another local user who opens idle connections until its descriptors run out, and
/// against slow and lying clients (issue 13, defects 1 and 9): its health and the practitioner's requests
/// keep answering.
@Suite("vitaled process: connection bounds and deadlines", .serialized)
struct ConnectionLimitTests {
    let folder: TemporaryFolder

    init() throws { folder = try TemporaryFolder() }

    func writeConfiguration(port: Int, extra: [String: Any] = [:]) throws -> String {
        var config: [String: Any] = [
            "listen": "127.0.0.1:\(port)", "apiTokenFile": folder.path("api-token"), "stateDirectory": folder.path("state"),
            "vitaleReader": "No Such Reader 00 00", "cpsReader": "No Such Reader 00 01", "tariffsDirectory": tariffsDirectory,
            "logLevel": "info",
        ]
        for (k, v) in extra { config[k] = v }
        let path = folder.path("vitaled.json")
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Starts vitaled under `prlimit --nofile=SOFT:HARD` and waits for its health over `port`.
    func launch(port: Int, nofile: (soft: Int, hard: Int), extra: [String: Any] = [:], name: String) async throws -> ChildProcess {
        let config = try writeConfiguration(port: port, extra: extra)
        let child = try ChildProcess(URL(fileURLWithPath: "/usr/bin/prlimit"), [
            "--nofile=\(nofile.soft):\(nofile.hard)", Executables.url("vitaled").path, "--config", config,
        ], folder: folder.url, name: name)
        try await Wait.until("vitaled listening", timeout: .seconds(30)) {
            if !child.isRunning { throw Wait.Timeout(description: "vitaled exited: \(child.stderr)") }
            return (try? await onOwnThread { () throws -> Int? in
                let connection = try RawConnection(port: port)
                try connection.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                return connection.readAnswer(timeout: .seconds(2)).status
            }) == 200
        }
        return child
    }

    func stop(_ child: ChildProcess) async throws {
        child.kill(SIGTERM)
        _ = try await child.wait(timeout: .seconds(30))
    }

    static func get(_ path: String, port: Int, token: String?) throws -> RawConnection.Received {
        let connection = try RawConnection(port: port)
        let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        try connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)\r\n")
        return connection.readAnswer(timeout: .seconds(5))
    }

    /// A soft limit of 150 descriptors (hard 300) and 1 000 idle connections from another user: vitaled
    /// raises its soft limit, bounds its connections below it, and keeps answering health and the practitioner.
    @Test func idleConnectionsCannotExhaustTheDescriptors() async throws {
        let port = try RawConnection.freePort()
        let child = try await launch(port: port, nofile: (150, 300), name: "vitaled-fd")
        defer { Task { try? await stop(child) } }
        let limits = try String(contentsOfFile: "/proc/\(child.process.processIdentifier)/limits", encoding: .utf8)
        let openFiles = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") }.map(String.init) ?? ""
        #expect(openFiles.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first == "300",
                "the soft limit must be raised to the hard one: \(openFiles)")
        let token = try SecretFile.readFirstLine(folder.path("api-token"), what: "the API token")

        let idle = try await onOwnThread { () throws -> [RawConnection] in
            var opened: [RawConnection] = []
            for _ in 0..<1000 { opened.append(try RawConnection(port: port)) }
            return opened
        }
        let (health, status) = try await onOwnThread {
            (try Self.get("/v1/health", port: port, token: nil), try Self.get("/v1/status", port: port, token: token))
        }
        #expect(health.status == 200, "health: \(health.text.prefix(200))")
        #expect(status.status == 200, "status: \(status.text.prefix(200))")
        // Many of the idle ones were closed by vitaled to make room (bound: 300 - 64 = 236 at most open).
        let stillOpen = await onOwnThread { idle.filter { !$0.readUntilClosed(timeout: .milliseconds(5)).closed }.count }
        #expect(stillOpen <= 236, "\(stillOpen) idle connections still open")
        #expect(child.isRunning)
    }

    /// Headers that never end get 408 at the header deadline; a body announced too large gets 413 at once.
    @Test func slowAndLyingClientsAreClosed() async throws {
        let port = try RawConnection.freePort()
        let child = try await launch(port: port, nofile: (1024, 1024), extra: ["headerTimeout": 1, "bodyTimeout": 2, "idleTimeout": 2],
                                     name: "vitaled-slow")
        defer { Task { try? await stop(child) } }
        let token = try SecretFile.readFirstLine(folder.path("api-token"), what: "the API token")
        let (partial, partialElapsed) = try await onOwnThread {
            let connection = try RawConnection(port: port)
            let start = ContinuousClock.now
            try connection.send("GET /v1/status HTTP/1.1\r\nHost: x\r\n")
            let answer = connection.readUntilClosed(timeout: .seconds(10))
            return (answer, ContinuousClock.now - start)
        }
        #expect(partial.closed && partial.status == 408, "answer: \(partial.text.prefix(200))")
        #expect(partialElapsed >= .milliseconds(900) && partialElapsed < .seconds(5), "closed after \(partialElapsed)")

        let (huge, hugeElapsed) = try await onOwnThread {
            let connection = try RawConnection(port: port)
            let start = ContinuousClock.now
            try connection.send("POST /v1/claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                                + "Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n")
            let answer = connection.readUntilClosed(timeout: .seconds(10))
            return (answer, ContinuousClock.now - start)
        }
        #expect(huge.closed && huge.status == 413, "answer: \(huge.text.prefix(200))")
        #expect(huge.text.contains("too_large"))
        #expect(hugeElapsed < .seconds(1.5), "413 after \(hugeElapsed)")

        let (body, bodyElapsed) = try await onOwnThread {
            let connection = try RawConnection(port: port)
            let start = ContinuousClock.now
            try connection.send("POST /v1/claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
                                + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ref")
            let answer = connection.readUntilClosed(timeout: .seconds(10))
            return (answer, ContinuousClock.now - start)
        }
        #expect(body.closed && body.status == 408, "answer: \(body.text.prefix(200))")
        #expect(bodyElapsed >= .milliseconds(1900) && bodyElapsed < .seconds(6), "closed after \(bodyElapsed)")
        #expect(try Self.get("/v1/health", port: port, token: nil).status == 200)
    }
}
