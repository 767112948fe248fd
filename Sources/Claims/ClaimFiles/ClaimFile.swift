import Foundation

/// One claim read from a claim file (CSV or JSON Lines, docs/claim-files.md): its fields as text, with where
/// it came from. Field values are checked for syntax here and for meaning by ``ClaimFileConverter``.
public struct ClaimFileRow: Sendable, Equatable {
    /// The file it came from (as given).
    public var file: String
    /// 1-based line number in the file.
    public var line: Int
    /// Field name → value (only fields present and non-empty).
    public var fields: [String: String]
    /// The fields whose values were read from the carte Vitale rather than typed: kept as the card gives them
    /// (a birth date the calendar does not know is refused when typed, kept when read).
    public var readFromCard: Set<String>

    public init(file: String, line: Int, fields: [String: String], readFromCard: Set<String> = []) {
        self.file = file
        self.line = line
        self.fields = fields
        self.readFromCard = readFromCard
    }

    /// `file:line`, for reports.
    public var location: String { "\(file):\(line)" }
}

/// A problem in a claim file, with its place. Never carries personal data (values of `nir`, `birth_date`
/// are not echoed).
public struct ClaimFileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line, or nil for the file as a whole.
    public var line: Int?
    /// The field concerned, if one.
    public var field: String?
    public var reason: String

    public init(file: String, line: Int?, field: String? = nil, reason: String) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
    }

    public var description: String {
        var place = file
        if let line { place += ":\(line)" }
        if let field { place += ": \(field)" }
        return "\(place): \(reason)"
    }
}

/// Reads claim files: every line is checked and every problem reported, with its line number.
public enum ClaimFileReader {
    /// The longest line accepted, in bytes.
    public static let maxLineBytes = 4096

    /// The fields a claim may carry; see docs/claim-files.md.
    public static let knownFields: Set<String> = [
        "reference", "invoice_date", "care_date", "nir", "nir_key", "birth_date", "rank", "quality", "amo", "amc",
        "rights_start", "rights_end", "without_card", "insurance", "parcours", "exoneration", "tiers_payant", "acts",
        "total_cents", "amo_cents",
    ]
    /// Fields every claim must have.
    public static let requiredFields: [String] = ["care_date", "nir", "nir_key", "birth_date", "amo", "acts"]
    /// Fields holding amounts in integer cents.
    static let centsFields: Set<String> = ["total_cents", "amo_cents"]
    /// Fields whose values are personal data and are never echoed in messages.
    static let personalFields: Set<String> = ["nir", "nir_key", "birth_date"]

    /// The format of a claim file.
    public enum Format: Sendable {
        case csv, jsonLines
    }

    /// Reads `url`; the format comes from the extension (`.csv`, `.jsonl`/`.ndjson`), else from the content.
    public static func read(_ url: URL) -> (rows: [ClaimFileRow], problems: [ClaimFileProblem]) {
        let name = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            return ([], [ClaimFileProblem(file: name, line: nil, reason: "cannot read the file: \(error.localizedDescription)")])
        }
        let ext = url.pathExtension.lowercased()
        let format: Format
        switch ext {
        case "csv": format = .csv
        case "jsonl", "ndjson": format = .jsonLines
        default: format = data.first(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) == UInt8(ascii: "{") ? .jsonLines : .csv
        }
        return read(Array(data), name: name, format: format)
    }

    /// Reads claim file bytes.
    public static func read(_ bytes: [UInt8], name: String, format: Format) -> (rows: [ClaimFileRow], problems: [ClaimFileProblem]) {
        var problems: [ClaimFileProblem] = []
        var rows: [ClaimFileRow] = []
        var lines = splitLines(bytes)
        // A UTF-8 byte order mark is tolerated at the start.
        if let first = lines.first, first.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            lines[0].bytes.removeFirst(3)
        }
        if lines.allSatisfy({ $0.bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } }) {
            return ([], [ClaimFileProblem(file: name, line: nil, reason: "empty file: no claims")])
        }
        var header: [String]?
        for line in lines {
            if line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard line.bytes.count <= maxLineBytes else {
                problems.append(.init(file: name, line: line.number, reason: "line of \(line.bytes.count) bytes, longer than the \(maxLineBytes) allowed"))
                if format == .csv && header == nil { return (rows, problems) }
                continue
            }
            guard let text = String(validating: line.bytes, as: UTF8.self) else {
                let offset = firstInvalidUTF8(line.bytes)
                problems.append(.init(file: name, line: line.number, reason: "not valid UTF-8 (byte 0x\(String(format: "%02X", line.bytes[offset])) at column \(offset + 1)); save the file as UTF-8"))
                if format == .csv && header == nil { return (rows, problems) }
                continue
            }
            switch format {
            case .csv:
                guard let columns = header else {
                    switch parseCSVLine(text) {
                    case .failure(let reason):
                        problems.append(.init(file: name, line: line.number, reason: "header: \(reason)"))
                        return (rows, problems)
                    case .success(let names):
                        let trimmed = names.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                        var headerProblems: [String] = []
                        let unknown = trimmed.filter { !knownFields.contains($0) }
                        if !unknown.isEmpty { headerProblems.append("unknown column\(unknown.count > 1 ? "s" : "") \(unknown.map(Self.columnName).joined(separator: ", "))") }
                        let missing = requiredFields.filter { !trimmed.contains($0) }
                        if !missing.isEmpty { headerProblems.append("missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))") }
                        let duplicates = Dictionary(grouping: trimmed, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
                        if !duplicates.isEmpty { headerProblems.append("column\(duplicates.count > 1 ? "s" : "") repeated: \(duplicates.map(Self.columnName).joined(separator: ", "))") }
                        if !headerProblems.isEmpty {
                            problems.append(.init(file: name, line: line.number, reason: "header: " + headerProblems.joined(separator: "; ") + " (see docs/claim-files.md)"))
                            return (rows, problems)
                        }
                        header = trimmed
                    }
                    continue
                }
                switch parseCSVLine(text) {
                case .failure(let reason):
                    problems.append(.init(file: name, line: line.number, reason: reason.description))
                case .success(let values):
                    guard values.count == columns.count else {
                        problems.append(.init(file: name, line: line.number, reason: "\(values.count) fields where the header has \(columns.count)"))
                        continue
                    }
                    var fields: [String: String] = [:]
                    for (column, value) in zip(columns, values) {
                        let v = value.trimmingCharacters(in: .whitespaces)
                        if !v.isEmpty { fields[column] = v }
                    }
                    check(ClaimFileRow(file: name, line: line.number, fields: fields), into: &rows, problems: &problems)
                }
            case .jsonLines:
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                    problems.append(.init(file: name, line: line.number, reason: "not a JSON object"))
                    continue
                }
                if let repeated = JSONDuplicateKeys.first(in: line.bytes) {
                    problems.append(.init(file: name, line: line.number, field: EchoedValue.fieldName(repeated), reason: "given more than once"))
                    continue
                }
                var fields: [String: String] = [:]
                var lineProblems: [ClaimFileProblem] = []
                for (key, value) in object {
                    guard knownFields.contains(key) else {
                        lineProblems.append(.init(file: name, line: line.number, field: EchoedValue.fieldName(key), reason: "unknown field (see docs/claim-files.md)"))
                        continue
                    }
                    switch value {
                    case let s as String: if !s.trimmingCharacters(in: .whitespaces).isEmpty { fields[key] = s.trimmingCharacters(in: .whitespaces) }
                    case let n as NSNumber:
                        let type = String(cString: n.objCType)
                        if key == "without_card" {
                            fields[key] = n.boolValue ? "1" : "0"
                        } else if type == "d" || type == "f" {
                            fields[key] = "\(n.doubleValue)"  // keeps the decimal point: refused where cents are expected
                        } else {
                            fields[key] = n.stringValue
                        }
                    case let list as [Any] where key == "acts":
                        guard let strings = list as? [String] else {
                            lineProblems.append(.init(file: name, line: line.number, field: key, reason: "must be a string or an array of strings"))
                            continue
                        }
                        fields[key] = strings.joined(separator: ";")
                    case is NSNull: continue
                    default:
                        lineProblems.append(.init(file: name, line: line.number, field: key, reason: "must be a string or a number"))
                    }
                }
                if lineProblems.isEmpty {
                    check(ClaimFileRow(file: name, line: line.number, fields: fields), into: &rows, problems: &problems)
                } else {
                    problems += lineProblems
                }
            }
        }
        if rows.isEmpty && problems.isEmpty {
            problems.append(.init(file: name, line: nil, reason: "no claims (only a header)"))
        }
        return (rows, problems)
    }

    /// A header's column as a message may name it: quoted when it looks like a column name, else its shape (a
    /// file without a header has a NIR in its first line).
    static func columnName(_ column: String) -> String {
        let named = EchoedValue.fieldName(column)
        return named == column ? "'\(column)'" : named
    }

    /// Checks what can be checked without the claim rules: required fields present, amounts in cents.
    static func check(_ row: ClaimFileRow, into rows: inout [ClaimFileRow], problems: inout [ClaimFileProblem]) {
        var rowProblems: [ClaimFileProblem] = []
        for field in requiredFields where row.fields[field] == nil {
            rowProblems.append(.init(file: row.file, line: row.line, field: field, reason: "required, missing or empty"))
        }
        for field in centsFields.sorted() {
            guard let value = row.fields[field] else { continue }
            if value.contains(".") || value.contains(",") {
                rowProblems.append(.init(file: row.file, line: row.line, field: field, reason: "\(EchoedValue.quoted(value)) is not whole cents: amounts are integer cents (30 € is 3000)"))
            } else if !value.utf8.allSatisfy({ (0x30...0x39).contains($0) }) || Int64(value) == nil {
                rowProblems.append(.init(file: row.file, line: row.line, field: field, reason: "\(EchoedValue.quoted(value)) is not a non-negative integer number of cents"))
            }
        }
        if rowProblems.isEmpty { rows.append(row) } else { problems += rowProblems }
    }

    struct Line { var number: Int; var bytes: [UInt8] }

    static func splitLines(_ bytes: [UInt8]) -> [Line] {
        var lines: [Line] = []
        var start = 0
        var number = 1
        for i in bytes.indices where bytes[i] == 0x0A {
            var end = i
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            lines.append(Line(number: number, bytes: Array(bytes[start..<end])))
            number += 1
            start = i + 1
        }
        if start < bytes.count {
            var end = bytes.count
            if bytes[end - 1] == 0x0D { end -= 1 }
            lines.append(Line(number: number, bytes: Array(bytes[start..<end])))
        }
        return lines
    }

    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return i
            }
            guard i + length <= bytes.count else { return i }
            for j in 1..<length where bytes[i + j] & 0xC0 != 0x80 { return i }
            if String(validating: bytes[i..<(i + length)], as: UTF8.self) == nil { return i }
            i += length
        }
        return max(0, bytes.count - 1)
    }

    /// One CSV record on one line (RFC 4180 quoting; a quoted field may not span lines).
    static func parseCSVLine(_ line: String) -> Result<[String], ReasonError> {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var chars = Array(line)
        var i = 0
        if chars.last == "\r" { chars.removeLast() }
        var fieldStart = true
        while i < chars.count {
            let c = chars[i]
            if inQuotes {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { current.append("\""); i += 1 } else { inQuotes = false }
                } else {
                    current.append(c)
                }
            } else if c == "\"" && fieldStart {
                inQuotes = true
            } else if c == "\"" {
                return .failure(ReasonError("stray quote in field \(fields.count + 1)"))
            } else if c == "," {
                fields.append(current)
                current = ""
                fieldStart = true
                i += 1
                continue
            } else {
                current.append(c)
            }
            fieldStart = false
            i += 1
        }
        if inQuotes { return .failure(ReasonError("unterminated quote in field \(fields.count + 1)")) }
        fields.append(current)
        return .success(fields)
    }

    struct ReasonError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}

