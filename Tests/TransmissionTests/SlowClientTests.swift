import Foundation
import TestSupport
import Testing

/// The gateway against clients that lie about their body, stop halfway or never speak (issue 13, defect 1):
/// each is answered or closed within its documented deadline, and the gateway keeps serving.
@Suite("insurer-gateway against slow and lying clients", .serialized)
struct SlowClientTests {
    /// Short deadlines so the tests measure them: 1 s for headers, 2 s for a body, 2 s idle.
    static func flags(idle: Int = 2) -> [String] {
        ["--header-timeout", "1", "--body-timeout", "2", "--idle-timeout", String(idle), "--max-lot-bytes", "100000"]
    }

    func lotHead(_ practice: Practice, contentLength: String) -> String {
        "POST /v1/lots HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(practice.practitioner.token)\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Length: \(contentLength)\r\n\r\n"
    }

    @Test func aHugeContentLengthIsRefusedBeforeAnyBodyIsRead() async throws {
        let practice = try Practice()
        // A long body deadline: the 413 must come from the announced length, not from a timeout.
        let gateway = try await practice.startGateway(flags: ["--body-timeout", "60", "--max-lot-bytes", "100000"])
        defer { Task { try? await gateway.stop() } }
        let head = lotHead(practice, contentLength: "1000000000000")
        let (answer, elapsed) = try await onOwnThread {
            let connection = try RawConnection(port: gateway.port)
            let start = ContinuousClock.now
            try connection.send(head)
            let answer = connection.readUntilClosed(timeout: .seconds(10))
            return (answer, ContinuousClock.now - start)
        }
        #expect(answer.status == 413, "answer: \(answer.text.prefix(200))")
        #expect(answer.text.contains("too_large"))
        #expect(answer.closed, "the connection must be closed after an answer sent before the body")
        #expect(elapsed < .seconds(5), "413 took \(elapsed)")
        // Same for a body of no announced length that outgrows the bound (chunked).
        let chunked = try await onOwnThread {
            let connection = try RawConnection(port: gateway.port)
            try connection.send("POST /v1/lots HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(practice.practitioner.token)\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = String(repeating: "A", count: 0x8000)
            for _ in 0..<4 { try? connection.send("8000\r\n\(chunk)\r\n") }
            return connection.readUntilClosed(timeout: .seconds(10))
        }
        #expect(chunked.status == 413, "answer: \(chunked.text.prefix(200))")
        #expect(try gateway.counts().acceptedLots + gateway.counts().refusedLots == 0)
    }

    @Test func headersThatNeverEndAreClosedAtTheHeaderDeadline() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway(flags: Self.flags())
        defer { Task { try? await gateway.stop() } }
        let (answer, elapsed) = try await onOwnThread {
            let connection = try RawConnection(port: gateway.port)
            let start = ContinuousClock.now
            try connection.send("POST /v1/lots HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let answer = connection.readUntilClosed(timeout: .seconds(10))
            return (answer, ContinuousClock.now - start)
        }
        #expect(answer.closed)
        #expect(answer.status == 408, "answer: \(answer.text.prefix(200))")
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(5), "closed after \(elapsed)")
    }

    @Test func aBodyThatNeverComesOrTricklesIsClosedAtTheBodyDeadline() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway(flags: Self.flags())
        defer { Task { try? await gateway.stop() } }
        let head = lotHead(practice, contentLength: "50000")
        // Headers, then nothing.
        let (silent, silentElapsed) = try await onOwnThread {
            let connection = try RawConnection(port: gateway.port)
            let start = ContinuousClock.now
            try connection.send(head)
            let answer = connection.readUntilClosed(timeout: .seconds(10))
            return (answer, ContinuousClock.now - start)
        }
        #expect(silent.closed && silent.status == 408, "answer: \(silent.text.prefix(200))")
        #expect(silentElapsed >= .milliseconds(1900) && silentElapsed < .seconds(6), "closed after \(silentElapsed)")
        // Headers, then 100 bytes every 100 ms (1 000 bytes/s): steady, but the body is not done in 2 s.
        let (trickle, trickleElapsed) = try await onOwnThread {
            let connection = try RawConnection(port: gateway.port)
            let start = ContinuousClock.now
            try connection.send(head)
            let piece = [UInt8](repeating: 0x41, count: 100)
            var answer = RawConnection.Received(bytes: [], closed: false)
            while ContinuousClock.now - start < .seconds(10) {
                do { try connection.send(piece) } catch { break }
                answer = connection.readUntilClosed(timeout: .milliseconds(100))
                if answer.closed || !answer.bytes.isEmpty { break }
            }
            if !answer.closed { answer = connection.readUntilClosed(timeout: .seconds(5)) }
            return (answer, ContinuousClock.now - start)
        }
        #expect(trickle.closed, "a trickling body must be closed")
        #expect(trickleElapsed < .seconds(6), "closed after \(trickleElapsed)")
        #expect(try gateway.counts().acceptedLots + gateway.counts().refusedLots == 0)
    }

    @Test func idleConnectionsAreClosedAndNeverLockOutARequest() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway(flags: Self.flags(idle: 30) + ["--max-connections", "20"])
        defer { Task { try? await gateway.stop() } }
        let port = gateway.port
        // 100 connections that never speak: five times the bound.
        let idle = try await onOwnThread { try (0..<100).map { _ in try RawConnection(port: port) } }
        // A request on a new connection is still answered, at once.
        let health = try await onOwnThread {
            let connection = try RawConnection(port: port)
            try connection.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            return connection.readAnswer(timeout: .seconds(5))
        }
        #expect(health.status == 200, "answer: \(health.text.prefix(200))")
        // The bound held: at most 20 of the 100 idle ones are still open (the others were closed by the gateway).
        let stillOpen = await onOwnThread { idle.filter { !$0.readUntilClosed(timeout: .milliseconds(20)).closed }.count }
        #expect(stillOpen <= 20, "\(stillOpen) idle connections still open")

        // And an idle connection is closed after --idle-timeout (2 s here).
        let short = try await practice.startGateway(flags: Self.flags(), name: "gateway-idle")
        defer { Task { try? await short.stop() } }
        let (closed, elapsed) = try await onOwnThread {
            let connection = try RawConnection(port: short.port)
            let start = ContinuousClock.now
            let answer = connection.readUntilClosed(timeout: .seconds(10))
            return (answer.closed, ContinuousClock.now - start)
        }
        #expect(closed)
        #expect(elapsed >= .milliseconds(1900) && elapsed < .seconds(6), "closed after \(elapsed)")
    }

    @Test func deadlinesAreValidated() async throws {
        let practice = try Practice()
        for flags in [["--header-timeout", "0"], ["--body-timeout", "-1"], ["--max-connections", "0"]] {
            let child = try ChildProcess("insurer-gateway", [
                "serve", "--database", practice.folder.path("g.sqlite"), "--registry", practice.folder.path("registry.json"),
            ] + flags, folder: practice.folder, name: "bad-\(flags[0])")
            let status = try await child.wait(timeout: .seconds(30))
            #expect(status == 64, "\(flags): exit \(status), \(child.stderr)")
            #expect(child.stderr.contains(flags[0]), "\(child.stderr)")
        }
    }
}
