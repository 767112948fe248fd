import Crypto
import Foundation
import Gateway
import Logging
import Transmission

/// A temporary folder removed at the end of a test.
final class TemporaryFolder: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("openvitale-tx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A registered practitioner with its key and token.
struct TestPractitioner: Sendable {
    let billingNumber: String
    let keyBytes: [UInt8]
    let token: String
    var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: keyBytes) }

    init(_ billingNumber: String) {
        self.billingNumber = billingNumber
        keyBytes = Array(P256.Signing.PrivateKey().rawRepresentation)
        token = PractitionerRegistry.newToken()
    }

    var registration: RegisteredPractitioner {
        RegisteredPractitioner(billingNumber: billingNumber, label: "test", publicKey: Array(key.publicKey.x963Representation),
                               tokenSHA256: PractitionerRegistry.hash(token: token))
    }
}

enum Wait {
    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// Polls `condition` until it is true or the deadline passes.
    static func until(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw Timeout(description: "timed out waiting for \(what)")
    }
}

var quietLogger: Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}
