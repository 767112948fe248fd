import ArgumentParser
import Claims
import Foundation
import Gateway
import Logging

/// `insurer-gateway`: the mock insurer (docs/gateway.md).
@main
struct InsurerGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insurer-gateway",
        abstract: "The OpenVitale mock insurer: receives lots, answers ARLs, publishes RSPs (docs/gateway.md).",
        subcommands: [Serve.self, Register.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway until SIGTERM or SIGINT.")

    @Option(help: "SQLite database of what the gateway receives (created 0600).")
    var database: String
    @Option(help: "Registry of practitioners (JSON; see docs/gateway.md).")
    var registry: String
    @Option(help: "Address to bind.")
    var host = "127.0.0.1"
    @Option(help: "Port to bind (0: any free port; see --port-file).")
    var port = 8480
    @Option(help: "Write the bound port to this file once listening.")
    var portFile: String?
    @Option(help: "Largest accepted lot, in bytes.")
    var maxLotBytes = 16 << 20
    @Option(help: "Seconds a lot's creation date may be ahead of the gateway's clock.")
    var futureTolerance: Double = 300
    @Option(help: "Seconds between a lot's acceptance and its returns becoming visible.")
    var processingDelay: Double = 0
    @Option(help: "Folder of tariff tables used to price FSEs. Default: $OPENVITALE_TARIFFS or Fixtures/tariffs.")
    var tariffs: String?
    @Option(help: "Days between reception and the payment date of a paid FSE.")
    var paymentDelayDays = 1
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "info"
    @Option(help: "Beneficiary base to load at start (openvitale-beneficiaries/1, docs/rights.md); refused whole on any bad line.")
    var beneficiaries: String?
    @Option(help: "Open connections at most; at the bound a new one closes the longest idle (lowered to fit the descriptor limit).")
    var maxConnections = 4096
    @Option(help: "Seconds a connection may stay silent, before its first request or between requests.")
    var idleTimeout: Double = 60
    @Option(help: "Seconds from a request's first byte to the end of its headers (then 408 and close).")
    var headerTimeout: Double = 10
    @Option(help: "Seconds from the end of a request's headers to the end of its body (then 408 and close).")
    var bodyTimeout: Double = 120

    @Option(help: "Fault: milliseconds added to every request.")
    var latencyMs = 0
    @Option(help: "Fault: share (0-1) of requests answered 503.")
    var unavailableRate = 0.0
    @Option(help: "Fault: the first N requests are answered 503.")
    var unavailableFirst = 0
    @Option(help: "Fault: share (0-1) of requests whose connection is closed once the request is read.")
    var dropAfterReadRate = 0.0
    @Option(help: "Fault: share (0-1) of lot submissions whose connection is closed after the lot is stored.")
    var dropAfterStoreRate = 0.0
    @Option(help: "Fault: kill the process (SIGKILL) in the middle of writing the N-th accepted lot.")
    var crashDuringWrite: Int?
    @Option(help: "Fault: seed of the fault generator.")
    var faultSeed: UInt64?

    func validate() throws {
        for (name, rate) in [("unavailable-rate", unavailableRate), ("drop-after-read-rate", dropAfterReadRate), ("drop-after-store-rate", dropAfterStoreRate)]
        where !(0...1).contains(rate) {
            throw ValidationError("--\(name) must be between 0 and 1")
        }
        for (name, seconds) in [("idle-timeout", idleTimeout), ("header-timeout", headerTimeout), ("body-timeout", bodyTimeout)]
        where !(seconds > 0 && seconds <= 86_400) {
            throw ValidationError("--\(name) must be a number of seconds from more than 0 to 86400")
        }
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxLotBytes >= 1 else { throw ValidationError("--max-lot-bytes must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level \(logLevel)") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "insurer-gateway")
        let registry: PractitionerRegistry
        do { registry = try PractitionerRegistry.load(contentsOf: URL(fileURLWithPath: self.registry)) } catch {
            throw ValidationError("\(error)")
        }
        let tariffPath = tariffs ?? ProcessInfo.processInfo.environment["OPENVITALE_TARIFFS"] ?? "Fixtures/tariffs"
        let tariffTable: TariffTable
        do { tariffTable = try TariffTable(contentsOfDirectory: URL(fileURLWithPath: tariffPath)) } catch {
            throw ValidationError("--tariffs \(tariffPath): \(error)")
        }
        var config = GatewayConfiguration(databasePath: database, registry: registry)
        config.paymentDelayDays = paymentDelayDays
        config.host = host
        config.port = port
        config.maxLotBytes = maxLotBytes
        config.futureTolerance = futureTolerance
        config.processingDelay = processingDelay
        config.maxConnections = maxConnections
        config.idleTimeout = .seconds(idleTimeout)
        config.headerTimeout = .seconds(headerTimeout)
        config.bodyTimeout = .seconds(bodyTimeout)
        config.faults.latency = .milliseconds(latencyMs)
        config.faults.unavailableRate = unavailableRate
        config.faults.unavailableFirst = unavailableFirst
        config.faults.dropAfterReadRate = dropAfterReadRate
        config.faults.dropAfterStoreRate = dropAfterStoreRate
        config.faults.crashDuringWrite = crashDuringWrite
        config.faults.seed = faultSeed
        config.beneficiaryBase = beneficiaries.map { URL(fileURLWithPath: $0) }
        let gateway: InsurerGateway
        do {
            gateway = try InsurerGateway(configuration: config, processor: ClaimsLotProcessor(tariffs: tariffTable), logger: logger)
        } catch let refused as BeneficiaryBaseFile.Refused {
            FileHandle.standardError.write(Data("insurer-gateway: the beneficiary base is refused, nothing was loaded:\n\(refused)\n".utf8))
            throw ExitCode(64)
        }
        let portFile = self.portFile
        let host = config.host
        try await gateway.run { port in
            logger.notice("listening", metadata: ["host": "\(host)", "port": "\(port)", "practitioners": "\(registry.practitioners.count)"])
            if let portFile {
                try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile), options: .atomic)
            }
        }
    }
}

struct Register: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register a practitioner (or renew its token) and print its new access token once.")

    @Option(help: "Registry file to create or update.")
    var registry: String
    @Option(help: "The practitioner's numéro de facturation.")
    var billingNumber: String
    @Option(help: "The CPS signing public key: a PEM file, or the hex X9.63 point.")
    var publicKey: String
    @Option(help: "A label for operators.")
    var label: String?

    func run() throws {
        let url = URL(fileURLWithPath: registry)
        var current = FileManager.default.fileExists(atPath: registry) ? try PractitionerRegistry.load(contentsOf: url) : PractitionerRegistry([])
        let keyText = FileManager.default.fileExists(atPath: publicKey) ? try String(contentsOfFile: publicKey, encoding: .utf8) : publicKey
        guard let key = PractitionerRegistry.parsePublicKey(keyText) else {
            throw ValidationError("--public-key: neither a PEM P-256 public key nor a hex X9.63 point")
        }
        let token = PractitionerRegistry.newToken()
        current.register(RegisteredPractitioner(billingNumber: billingNumber, label: label, publicKey: key, tokenSHA256: PractitionerRegistry.hash(token: token)))
        try current.write(to: url)
        print(token)
    }
}
