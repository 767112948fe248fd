import Claims
import Foundation
import Logging
import ServerLimits

/// Everything `vitaled` needs to run, read from a JSON configuration file (docs/daemon-api.md, "Configuration")
/// and then overridden by command-line flags.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Where the local API listens: ``ListenAddress``.
    public var listen: ListenAddress = .tcp(host: "127.0.0.1", port: 8490)
    /// The file holding the API's bearer token (mode 0600; created with a random token when missing).
    public var apiTokenFile: String = "/var/lib/vitaled/api-token"
    /// The folder of the daemon's durable state (the outbox `outbox.sqlite`), created 0700.
    public var stateDirectory: String = "/var/lib/vitaled"
    /// The PC/SC reader (slot) holding the carte Vitale.
    public var vitaleReader: String = "Virtual PCD 00 00"
    /// The PC/SC reader (slot) holding the CPS.
    public var cpsReader: String = "Virtual PCD 00 01"
    /// The insurer gateway; nil when claims are only kept in the outbox.
    public var gateway: GatewaySettings?
    /// Seconds between two background sending rounds (lots sent, returns fetched).
    public var sendInterval: Double = 60
    /// Seconds a round waits after being woken by a new claim, so that claims made in a burst go in one lot
    /// instead of one lot each (each lot is signed by the CPS). 0: send at once.
    public var lotGatherDelay: Double = 0.5
    /// Most FSEs in one lot: 1 to ``maximumFSEsPerLot`` (what the gateway accepts).
    public var maxFSEsPerLot: Int = 500
    /// Attempts per lot within one sending round (the next round tries again).
    public var sendAttemptsPerRound: Int = 4
    /// Longest time one sending round may spend retrying, in seconds.
    public var sendRoundDeadline: Double = 60
    /// The CPS situation (1-8) to bill with; nil for the first situation allowed to sign invoices.
    public var cpsSituation: Int?
    /// Whether API clients may ask for NIRs in clear (`?reveal=true`).
    public var allowNIRReveal: Bool = false
    /// Seconds to finish in-flight work after SIGTERM before it is cancelled.
    public var shutdownGracePeriod: Double = 20
    /// The folder of tariff tables (NGAP, CCAM) claims are priced with.
    public var tariffsDirectory: String = "/usr/share/openvitale/tariffs"
    /// A software signer instead of the CPS (practices whose key is held in software, demos): nil to sign
    /// with the CPS in ``cpsReader``.
    public var softwareSigner: SoftwareSignerSettings?
    /// Log level (`trace` … `critical`).
    public var logLevel: Logger.Level = .info
    /// Log format: one JSON object per line, or `key=value` text.
    public var logFormat: LogFormat = .json
    /// Open API connections at most (lowered to fit the descriptor limit). At the bound a new connection
    /// closes the one idle the longest, so idle connections never lock out a request.
    public var maxConnections: Int = 256
    /// Seconds an API connection may stay silent, before its first request or between requests.
    public var idleTimeout: Double = 30
    /// Seconds from a request's first byte to the end of its headers (then 408 and close).
    public var headerTimeout: Double = 10
    /// Seconds from the end of a request's headers to the end of its body (then 408 and close).
    public var bodyTimeout: Double = 30
    /// The largest request body the API reads (a claim): longer is answered 413 before it is read.
    public static let maximumBodyBytes = 256 << 10

    /// The limits the API holds its connections to, ``maxConnections`` lowered to leave descriptors for
    /// the outbox, the card reader and the gateway under the soft limit `softFileLimit`.
    public func connectionLimits(softFileLimit: Int) -> ConnectionLimits {
        ConnectionLimits(
            idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout), bodyTimeout: .seconds(bodyTimeout),
            maxConnections: FileDescriptorLimit.connectionBound(maxConnections, softLimit: softFileLimit),
            maxBodyBytes: Self.maximumBodyBytes)
    }

    /// The insurer gateway the daemon sends lots to.
    public struct GatewaySettings: Sendable, Equatable {
        /// Base URL, e.g. `http://127.0.0.1:8480`.
        public var url: String
        /// File holding the practitioner's gateway token (mode 0600).
        public var tokenFile: String

        public init(url: String, tokenFile: String) {
            self.url = url
            self.tokenFile = tokenFile
        }
    }

    /// A software signing key and the practitioner's situation (the format of `fse-send --practitioner`).
    public struct SoftwareSignerSettings: Sendable, Equatable {
        /// PEM P-256 private key (mode 0600).
        public var privateKeyFile: String
        /// JSON: `{"billingNumber", "situationNumber"?, "practiceMode"?, "conventionCode"?, "specialty"?,
        /// "tariffZone"?, "ikZone"?, "maySignInvoice"?, "maySignLot"?}`.
        public var practitionerFile: String

        public init(privateKeyFile: String, practitionerFile: String) {
            self.privateKeyFile = privateKeyFile
            self.practitionerFile = practitionerFile
        }
    }

    /// How log lines are written.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        case json, text
    }

    public init() {}

    /// The outbox database inside ``stateDirectory``.
    public var outboxPath: String { (stateDirectory as NSString).appendingPathComponent("outbox.sqlite") }

    /// A configuration problem, naming the file and the field.
    public struct Problem: Error, CustomStringConvertible, Sendable, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    static let knownKeys: Set<String> = Set(File.Key.allCases.map(\.rawValue))

    /// Reads a configuration file (JSON object; every key optional, unknown keys refused).
    public static func load(path: String) throws(Problem) -> DaemonConfiguration {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Problem("\(path): cannot read the configuration: \(error.localizedDescription)")
        }
        return try parse(data, name: path)
    }

    /// Parses configuration JSON; `name` is used in messages.
    public static func parse(_ data: Data, name: String) throws(Problem) -> DaemonConfiguration {
        do {
            return try JSONDecoder().decode(File.self, from: data).configuration
        } catch let problem as File.Invalid {
            throw Problem("\(name): \(problem.message)")
        } catch let DecodingError.dataCorrupted(context) {
            throw Problem("\(name): not valid JSON: \(context.debugDescription)")
        } catch {
            throw Problem("\(name): not valid JSON: \(error.localizedDescription)")
        }
    }

    /// The configuration file as JSON gives it: every key optional, unknown keys refused, each value checked
    /// (type and range) with a message naming the field. Decoded by type, so JSON `0` and `1` are numbers and
    /// `true` and `false` booleans, never one for the other.
    struct File: Decodable {
        var configuration = DaemonConfiguration()

        /// A problem found while decoding, without the file name (``DaemonConfiguration/parse(_:name:)`` adds it).
        struct Invalid: Error {
            var message: String
            init(_ message: String) { self.message = message }
        }

        enum Key: String, CodingKey, CaseIterable {
            case listen, apiTokenFile, stateDirectory, vitaleReader, cpsReader, gateway, sendInterval, lotGatherDelay, maxFSEsPerLot
            case sendAttemptsPerRound, sendRoundDeadline, cpsSituation, allowNIRReveal, shutdownGracePeriod, logLevel, logFormat
            case tariffsDirectory, softwareSigner, maxConnections, idleTimeout, headerTimeout, bodyTimeout
        }

        enum GatewayKey: String, CodingKey, CaseIterable {
            case url, tokenFile
        }

        enum SoftwareSignerKey: String, CodingKey, CaseIterable {
            case privateKeyFile, practitionerFile
        }

        /// Any key, to find the unknown ones.
        struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            guard let all = try? decoder.container(keyedBy: AnyKey.self) else {
                throw Invalid("the configuration must be a JSON object")
            }
            try Self.refuseUnknownKeys(in: all, known: Key.self, prefix: "")
            let object = try decoder.container(keyedBy: Key.self)
            func value<T: Decodable>(_ type: T.Type, _ key: Key, _ requirement: @autoclosure () -> String) throws -> T? {
                guard object.contains(key) else { return nil }
                do { return try object.decode(T.self, forKey: key) } catch { throw Invalid("'\(key.rawValue)' \(requirement())") }
            }
            func string(_ key: Key) throws -> String? {
                guard let s = try value(String.self, key, "must be a non-empty string") else { return nil }
                guard !s.isEmpty else { throw Invalid("'\(key.rawValue)' must be a non-empty string") }
                return s
            }
            func number(_ key: Key, min: Double, max: Double = .infinity) throws -> Double? {
                let requirement = "must be a number from \(min.formatted()) to \(max.isInfinite ? "∞" : max.formatted())"
                guard let d = try value(Double.self, key, requirement) else { return nil }
                guard d >= min, d <= max else { throw Invalid("'\(key.rawValue)' \(requirement)") }
                return d
            }
            func integer(_ key: Key, min: Int, max: Int) throws -> Int? {
                guard let d = try number(key, min: Double(min), max: Double(max)) else { return nil }
                guard d == d.rounded() else { throw Invalid("'\(key.rawValue)' must be a whole number") }
                return Int(d)
            }
            var c = DaemonConfiguration()
            if let s = try string(.listen) {
                do { c.listen = try ListenAddress(parsing: s) } catch { throw Invalid("'listen': \(error.description)") }
            }
            if let s = try string(.apiTokenFile) { c.apiTokenFile = s }
            if let s = try string(.stateDirectory) { c.stateDirectory = s }
            if let s = try string(.vitaleReader) { c.vitaleReader = s }
            if let s = try string(.cpsReader) { c.cpsReader = s }
            if object.contains(.gateway), try !object.decodeNil(forKey: .gateway) {
                guard let all = try? object.nestedContainer(keyedBy: AnyKey.self, forKey: .gateway) else {
                    throw Invalid("'gateway' must be an object {\"url\", \"tokenFile\"}")
                }
                try Self.refuseUnknownKeys(in: all, known: GatewayKey.self, prefix: "gateway.")
                let g = try object.nestedContainer(keyedBy: GatewayKey.self, forKey: .gateway)
                guard let url = try? g.decode(String.self, forKey: .url), url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw Invalid("'gateway.url' must be an http:// or https:// URL")
                }
                guard let tokenFile = try? g.decode(String.self, forKey: .tokenFile), !tokenFile.isEmpty else {
                    throw Invalid("'gateway.tokenFile' must name the file holding the gateway token")
                }
                c.gateway = GatewaySettings(url: url, tokenFile: tokenFile)
            }
            if let d = try number(.sendInterval, min: 0.05) { c.sendInterval = d }
            if let d = try number(.lotGatherDelay, min: 0) { c.lotGatherDelay = d }
            if let d = try number(.maxFSEsPerLot, min: 1) {
                guard d == d.rounded() else { throw Invalid("'maxFSEsPerLot' must be a whole number") }
                let limit = DaemonConfiguration.maximumFSEsPerLot
                guard d <= Double(limit) else {
                    throw Invalid("'maxFSEsPerLot' must be at most \(limit), the most FSEs the gateway accepts in one lot")
                }
                c.maxFSEsPerLot = Int(d)
            }
            if let i = try integer(.sendAttemptsPerRound, min: 1, max: 100) { c.sendAttemptsPerRound = i }
            if let d = try number(.sendRoundDeadline, min: 0.1) { c.sendRoundDeadline = d }
            if let i = try integer(.cpsSituation, min: 1, max: 8) { c.cpsSituation = i }
            if let b = try value(Bool.self, .allowNIRReveal, "must be true or false") { c.allowNIRReveal = b }
            if let d = try number(.shutdownGracePeriod, min: 0) { c.shutdownGracePeriod = d }
            if let s = try string(.tariffsDirectory) { c.tariffsDirectory = s }
            if let i = try integer(.maxConnections, min: 1, max: 1 << 20) { c.maxConnections = i }
            if let d = try number(.idleTimeout, min: 0.01, max: 86_400) { c.idleTimeout = d }
            if let d = try number(.headerTimeout, min: 0.01, max: 86_400) { c.headerTimeout = d }
            if let d = try number(.bodyTimeout, min: 0.01, max: 86_400) { c.bodyTimeout = d }
            if object.contains(.softwareSigner), try !object.decodeNil(forKey: .softwareSigner) {
                guard let all = try? object.nestedContainer(keyedBy: AnyKey.self, forKey: .softwareSigner) else {
                    throw Invalid("'softwareSigner' must be an object {\"privateKeyFile\", \"practitionerFile\"}")
                }
                try Self.refuseUnknownKeys(in: all, known: SoftwareSignerKey.self, prefix: "softwareSigner.")
                let g = try object.nestedContainer(keyedBy: SoftwareSignerKey.self, forKey: .softwareSigner)
                guard let key = try? g.decode(String.self, forKey: .privateKeyFile), !key.isEmpty,
                      let practitioner = try? g.decode(String.self, forKey: .practitionerFile), !practitioner.isEmpty else {
                    throw Invalid("'softwareSigner' needs both 'privateKeyFile' and 'practitionerFile'")
                }
                c.softwareSigner = SoftwareSignerSettings(privateKeyFile: key, practitionerFile: practitioner)
            }
            if let s = try string(.logLevel) {
                guard let level = Logger.Level(rawValue: s) else {
                    throw Invalid("'logLevel' must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                c.logLevel = level
            }
            if let s = try string(.logFormat) {
                guard let format = LogFormat(rawValue: s) else { throw Invalid("'logFormat' must be json or text") }
                c.logFormat = format
            }
            configuration = c
        }

        /// Refuses the first unknown key (in sorted order), naming it with `prefix` and listing the known ones.
        static func refuseUnknownKeys<K: CodingKey & CaseIterable & RawRepresentable<String>>(
            in container: KeyedDecodingContainer<AnyKey>, known: K.Type, prefix: String
        ) throws {
            let names = Set(K.allCases.map(\.rawValue))
            for key in container.allKeys.map(\.stringValue).sorted() where !names.contains(key) {
                throw Invalid("unknown key '\(prefix)\(key)' (known: \(names.sorted().joined(separator: ", ")))")
            }
        }
    }

    /// The most FSEs a lot may hold: what the gateway accepts (``LotLimits/standard``). A larger
    /// ``maxFSEsPerLot`` is refused when the configuration is read.
    public static let maximumFSEsPerLot = LotLimits.standard.maximumFSEs
}

/// Where the local API listens: TCP on a loopback address, or a Unix socket.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// `HOST:PORT` with a loopback host (`127.0.0.1`, `::1`, `localhost`); port 0 picks a free port.
    case tcp(host: String, port: Int)
    /// `unix:PATH`: a Unix socket created with mode 0600.
    case unix(path: String)

    /// Parses `127.0.0.1:8490`, `[::1]:8490`, `localhost:8490` or `unix:/run/vitaled/api.sock`. Refuses any
    /// address that is not loopback: the API serves personal health data.
    public init(parsing text: String) throws(DaemonConfiguration.Problem) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else { throw .init("'\(text)': the Unix socket path must be absolute") }
            self = .unix(path: path)
            return
        }
        var host: String
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .init("'\(text)': expected [IPv6]:PORT")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .init("'\(text)': expected HOST:PORT or unix:/PATH") }
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else { throw .init("'\(text)': the port must be 0-65535") }
        if host == "localhost" { host = "127.0.0.1" }
        guard host == "::1" || host.hasPrefix("127.") else {
            throw .init("'\(text)': the API listens only on loopback (127.0.0.0/8, ::1) or a Unix socket")
        }
        self = .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }
}
