import Foundation

/// Tariffs of NGAP key letters, NGAP majorations and CCAM codes, in integer cents, each with the date it
/// takes effect. Loaded from the project's own text format (see `Fixtures/tariffs/README.md`):
///
/// ```
/// # kind  code     valid-from   euros   label
/// NGAP    G        2024-12-22   30.00   Consultation de médecine générale
/// MAJ     MEG      2024-12-22    5.00   Majoration enfant de moins de 6 ans
/// CCAM    DEQP003  2024-12-22   14.52   Électrocardiographie
/// ```
public struct TariffTable: Sendable {
    /// A tariff kind (the first column).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `NGAP`: the value of a key letter (× coefficient).
        case ngap = "NGAP"
        /// `MAJ`: an NGAP majoration (flat amount added to the act).
        case majoration = "MAJ"
        /// `CCAM`: the tariff of a CCAM act (activity 1).
        case ccam = "CCAM"
    }

    /// One tariff line.
    public struct Entry: Sendable, Hashable {
        public var kind: Kind
        public var code: ActCode
        public var validFrom: ClaimDate
        public var cents: UInt32
        public var label: String
    }

    private struct Key: Hashable { var kind: Kind; var code: ActCode }
    /// Per code, entries sorted by `validFrom` descending.
    private var entries: [Key: [Entry]] = [:]

    /// An empty table.
    public init() {}

    /// Parses `text` in the tariff format; `source` names it in errors.
    public init(parsing text: String, source: String = "tariffs") throws(TariffTableError) {
        try add(parsing: text, source: source)
    }

    /// Loads every `*.tariffs` file of `directory` (sorted by name).
    public init(contentsOfDirectory directory: URL) throws(TariffTableError) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw TariffTableError(source: directory.path, line: 0, message: "cannot list the directory: \(error.localizedDescription)")
        }
        for name in names.sorted() where name.hasSuffix(".tariffs") {
            let url = directory.appendingPathComponent(name)
            let text: String
            do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                throw TariffTableError(source: url.path, line: 0, message: "cannot read: \(error.localizedDescription)")
            }
            try add(parsing: text, source: url.path)
        }
        guard !entries.isEmpty else { throw TariffTableError(source: directory.path, line: 0, message: "no *.tariffs file with a tariff") }
    }

    /// Adds the lines of `text`.
    public mutating func add(parsing text: String, source: String) throws(TariffTableError) {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            func fail(_ message: String) -> TariffTableError { TariffTableError(source: source, line: lineNumber, message: message) }
            guard fields.count >= 4 else { throw fail("expected: kind code valid-from euros [label]") }
            guard let kind = Kind(rawValue: String(fields[0])) else { throw fail("unknown kind \(fields[0]) (NGAP, MAJ or CCAM)") }
            let code: ActCode
            do { code = try ActCode(fields[1]) } catch { throw fail("code \(fields[1]): \(error)") }
            if kind == .ccam, !TariffTable.isCCAMCode(code) { throw fail("CCAM code \(code) is not 4 letters and 3 digits") }
            let date: ClaimDate
            do { date = try ClaimDate(String(fields[2])) } catch { throw fail("valid-from: \(error)") }
            guard let cents = TariffTable.parseEuros(fields[3]) else { throw fail("amount \(fields[3]) is not euros with 2 decimals (30.00)") }
            let label = fields.dropFirst(4).joined(separator: " ")
            let key = Key(kind: kind, code: code)
            if entries[key, default: []].contains(where: { $0.validFrom == date }) {
                throw fail("\(kind.rawValue) \(code) already has a tariff from \(date)")
            }
            entries[key, default: []].append(Entry(kind: kind, code: code, validFrom: date, cents: cents, label: label))
            entries[key]!.sort { $0.validFrom > $1.validFrom }
        }
    }

    /// `true` for 4 letters then 3 digits.
    static func isCCAMCode(_ code: ActCode) -> Bool {
        let text = Array(code.description.utf8)
        guard text.count == 7 else { return false }
        return text[0..<4].allSatisfy { $0 >= 0x41 && $0 <= 0x5A } && text[4..<7].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `30`, `30.0`, `30.00`, `14.52` → cents; no floating point.
    static func parseEuros(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let euros = UInt32(parts[0]), euros < 10_000_000 else { return nil }
        var cents: UInt32 = 0
        if parts.count == 2 {
            let decimals = parts[1]
            guard (1...2).contains(decimals.count), let value = UInt32(decimals) else { return nil }
            cents = decimals.count == 1 ? value * 10 : value
        }
        return euros * 100 + cents
    }

    /// Whether any tariff exists for the code, whatever the date.
    public func contains(_ kind: Kind, _ code: ActCode) -> Bool { entries[Key(kind: kind, code: code)] != nil }

    /// The tariff in force on `date`, or `nil`.
    public func tariff(_ kind: Kind, _ code: ActCode, on date: ClaimDate) -> Entry? {
        entries[Key(kind: kind, code: code)]?.first { $0.validFrom <= date }
    }

    /// Every line, sorted by kind, code and date.
    public var allEntries: [Entry] {
        entries.values.flatMap { $0 }.sorted {
            ($0.kind.rawValue, $0.code, $0.validFrom) < ($1.kind.rawValue, $1.code, $1.validFrom)
        }
    }
}

/// A tariff file that cannot be read: the file, the line and what is wrong.
public struct TariffTableError: Error, Hashable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int
    public var message: String
    public init(source: String, line: Int, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }
    public var description: String { line > 0 ? "\(source):\(line): \(message)" : "\(source): \(message)" }
}
