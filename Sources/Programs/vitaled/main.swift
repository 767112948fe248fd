import ArgumentParser
import Daemon
import Foundation
import Logging

/// `vitaled`: the daemon attached to the practitioner's reader (docs/daemon-api.md).
@main
struct VitaledCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vitaled",
        abstract: "The OpenVitale daemon: reads the carte Vitale and the CPS, serves the local API, sends claims.",
        discussion: """
            Configuration comes from --config (JSON, see docs/daemon-api.md) and then from the flags.
            Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 64 for a bad configuration or flag,
            70 when the daemon cannot start (state folder, token file, outbox, listening address).
            """)

    @Option(name: .long, help: "Configuration file (JSON).")
    var config: String?

    @Option(name: .long, help: "API address: 127.0.0.1:PORT, [::1]:PORT or unix:/PATH.")
    var listen: String?

    @Option(name: .long, help: "File holding the API bearer token (0600; created when missing).")
    var tokenFile: String?

    @Option(name: .long, help: "Folder of the daemon's state (the outbox).")
    var stateDirectory: String?

    @Option(name: .long, help: "PC/SC reader holding the carte Vitale.")
    var vitaleReader: String?

    @Option(name: .long, help: "PC/SC reader holding the CPS.")
    var cpsReader: String?

    @Option(name: .long, help: "Insurer gateway base URL.")
    var gatewayURL: String?

    @Option(name: .long, help: "File holding the gateway token (0600).")
    var gatewayTokenFile: String?

    @Option(name: .long, help: "Folder of the NGAP/CCAM tariff tables claims are priced with.")
    var tariffs: String?

    @Option(name: .long, help: "Seconds between background sending rounds.")
    var sendInterval: Double?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Option(name: .long, help: "Log format: json or text.")
    var logFormat: String?

    @Flag(name: .long, help: "Check the configuration and the token files, print the result and exit.")
    var checkConfig = false

    func run() async throws {
        var c: DaemonConfiguration
        do {
            c = try config.map { try DaemonConfiguration.load(path: $0) } ?? DaemonConfiguration()
            if let listen { c.listen = try ListenAddress(parsing: listen) }
        } catch {
            FileHandle.standardError.write(Data("vitaled: \(error)\n".utf8))
            throw ExitCode(64)
        }
        if let tokenFile { c.apiTokenFile = tokenFile }
        if let stateDirectory { c.stateDirectory = stateDirectory }
        if let vitaleReader { c.vitaleReader = vitaleReader }
        if let cpsReader { c.cpsReader = cpsReader }
        if let tariffs { c.tariffsDirectory = tariffs }
        if gatewayURL != nil || gatewayTokenFile != nil {
            guard let url = gatewayURL ?? c.gateway?.url, let file = gatewayTokenFile ?? c.gateway?.tokenFile else {
                FileHandle.standardError.write(Data("vitaled: --gateway-url and --gateway-token-file go together (or complete the 'gateway' of the configuration)\n".utf8))
                throw ExitCode(64)
            }
            c.gateway = .init(url: url, tokenFile: file)
        }
        if let sendInterval {
            guard sendInterval >= 0.05 else {
                FileHandle.standardError.write(Data("vitaled: --send-interval must be at least 0.05 seconds\n".utf8))
                throw ExitCode(64)
            }
            c.sendInterval = sendInterval
        }
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel) else {
                FileHandle.standardError.write(Data("vitaled: --log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
                throw ExitCode(64)
            }
            c.logLevel = level
        }
        if let logFormat {
            guard let format = DaemonConfiguration.LogFormat(rawValue: logFormat) else {
                FileHandle.standardError.write(Data("vitaled: --log-format must be json or text\n".utf8))
                throw ExitCode(64)
            }
            c.logFormat = format
        }
        let settings = c
        LoggingSystem.bootstrap { label in
            switch settings.logFormat {
            case .json: return JSONLogHandler(label: label, level: settings.logLevel)
            case .text:
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = settings.logLevel
                return h
            }
        }
        let logger = Logger(label: "vitaled")
        let daemon: Daemon
        do {
            daemon = try Daemon(configuration: settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("vitaled: \(error)\n".utf8))
            throw ExitCode(70)
        }
        if checkConfig {
            print("configuration OK: API on \(settings.listen), state in \(settings.stateDirectory), Vitale reader '\(settings.vitaleReader)', CPS reader '\(settings.cpsReader)', gateway \(settings.gateway?.url ?? "none")")
            return
        }
        logger.info("starting", metadata: ["listen": "\(settings.listen)", "vitaleReader": "\(settings.vitaleReader)", "cpsReader": "\(settings.cpsReader)", "gateway": "\(settings.gateway?.url ?? "none")"])
        do {
            try await daemon.run()
        } catch {
            logger.critical("stopped on error", metadata: ["error": "\(error)"])
            throw ExitCode(70)
        }
        logger.info("stopped cleanly")
    }
}
