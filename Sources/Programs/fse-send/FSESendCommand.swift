import ArgumentParser
import Foundation
import Secrets
import Logging

/// `fse-send`: batch sending of FSEs through the durable outbox (docs/fse-send.md).
@main
struct FSESendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fse-send",
        abstract: "Build, sign, batch and send FSEs from claim files; follow their ARL and RSP (docs/fse-send.md).",
        discussion: """
            Exit codes: 0 done (every lot acknowledged); 2 some lots refused (negative ARL); 64 usage error; \
            65 invalid claims (nothing sent); 66 input file unreadable; 69 signer or card unavailable; \
            75 lots left to send (gateway unreachable): run `fse-send resume`; 77 the gateway refused the token; \
            1 any other error.
            """,
        subcommands: [Submit.self, Resume.self, Status.self, Returns.self])
}

/// Exit codes (sysexits.h where one fits).
enum ExitStatus {
    static let lotsRefused: Int32 = 2
    static let invalidClaims: Int32 = 65  // EX_DATAERR
    static let noInput: Int32 = 66  // EX_NOINPUT
    static let unavailable: Int32 = 69  // EX_UNAVAILABLE
    static let pending: Int32 = 75  // EX_TEMPFAIL
    static let unauthorized: Int32 = 77  // EX_NOPERM
}

/// Options shared by every subcommand.
struct OutboxOptions: ParsableArguments {
    @Option(help: "The outbox database (created 0600). Default: $OPENVITALE_OUTBOX or ~/.local/share/openvitale/outbox.sqlite.")
    var outbox: String?

    @Option(help: "Log level on standard error (trace … critical).")
    var logLevel = "warning"

    var outboxPath: String {
        if let outbox { return outbox }
        if let env = ProcessInfo.processInfo.environment["OPENVITALE_OUTBOX"], !env.isEmpty { return env }
        let dir = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/openvitale")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return dir.appendingPathComponent("outbox.sqlite").path
    }

    func bootstrapLogging() {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Where and how to reach the gateway.
struct GatewayOptions: ParsableArguments {
    @Option(help: "The insurer gateway's URL. Default: $OPENVITALE_GATEWAY or http://127.0.0.1:8480.")
    var gateway: String?

    @Option(help: "File holding the practitioner's gateway token (mode 0600: refused when others may read it). Default: $OPENVITALE_GATEWAY_TOKEN_FILE.")
    var tokenFile: String?

    @Option(help: "Attempts per lot in this run before leaving it for `resume`.")
    var attempts = 6

    @Option(help: "Seconds this run may spend retrying before leaving lots for `resume`.")
    var deadline: Double = 120

    @Option(help: "Lots sent at the same time (1 to 16).")
    var parallelLots = 4

    mutating func validate() throws {
        guard (1...16).contains(parallelLots) else { throw ValidationError("--parallel-lots must be from 1 to 16") }
    }

    var gatewayURL: String {
        gateway ?? ProcessInfo.processInfo.environment["OPENVITALE_GATEWAY"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8480"
    }

    func token() throws -> String {
        guard let path = tokenFile ?? ProcessInfo.processInfo.environment["OPENVITALE_GATEWAY_TOKEN_FILE"] else {
            throw ValidationError("no gateway token: give --token-file (or set OPENVITALE_GATEWAY_TOKEN_FILE)")
        }
        let token: String
        do { token = try SecretFile.readFirstLine(path, what: "token") } catch {
            throw ValidationError("--token-file \(error.description)")
        }
        return token
    }
}
