import Claims
import Foundation
import Vitale

/// The insurer's beneficiary base as a file: JSON Lines, the project's own format `openvitale-beneficiaries/1`
/// (docs/rights.md). The first line is `{"format": "openvitale-beneficiaries/1"}`; each other line is one
/// ``InsuredPerson``. A file with any bad line is refused whole, every problem named by line and field, never a
/// NIR, a name or a date of birth.
public enum BeneficiaryBaseFile {
    public static let format = "openvitale-beneficiaries/1"
    /// The longest line accepted, in bytes.
    public static let maximumLineBytes = 8192

    /// A problem of the file: `file:line: field: reason`.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var field: String?
        public var reason: String

        public var description: String {
            [file + (line.map { ":\($0)" } ?? ""), field, reason].compactMap { $0 }.joined(separator: ": ")
        }
    }

    /// Every problem of a refused file (at most the first 100 are kept, and their count).
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public var problems: [Problem]
        public var total: Int
        public var description: String {
            problems.map(\.description).joined(separator: "\n") + (total > problems.count ? "\n… and \(total - problems.count) more" : "")
        }
    }

    static let keys: Set<String> = [
        "nir", "birth_date", "rank", "quality", "insured_nir", "last_name", "first_name", "birth_name", "amo", "rights",
        "coverages", "amc", "card", "card_updated",
    ]

    /// Reads the file at `url`.
    public static func read(_ url: URL) throws(Refused) -> [InsuredPerson] {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: url)) } catch {
            throw Refused(problems: [Problem(file: url.path, line: nil, reason: "cannot be read: \(error.localizedDescription)")], total: 1)
        }
        return try read(bytes, name: url.path)
    }

    /// Reads a whole base from `bytes`, named `name` in problems.
    public static func read(_ bytes: [UInt8], name: String) throws(Refused) -> [InsuredPerson] {
        var people: [InsuredPerson] = []
        var problems: [Problem] = []
        var total = 0
        func add(_ problem: Problem) {
            total += 1
            if problems.count < 100 { problems.append(problem) }
        }
        var seen: [Identity: Int] = [:]
        var sawFormat = false
        var lineNumber = 0
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
            lineNumber += 1
            var line = bytes[start..<end]
            start = end < bytes.endIndex ? end + 1 : end
            if line.last == 0x0D { line = line.dropLast() }
            if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard line.count <= maximumLineBytes else {
                add(Problem(file: name, line: lineNumber, reason: "longer than \(maximumLineBytes) bytes"))
                continue
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                add(Problem(file: name, line: lineNumber, reason: "not a JSON object"))
                continue
            }
            if let repeated = JSONDuplicateKeys.first(in: line) {
                add(Problem(file: name, line: lineNumber, field: EchoedValue.fieldName(repeated), reason: "given more than once"))
                continue
            }
            if !sawFormat {
                guard object.count == 1, object["format"] as? String == format else {
                    add(Problem(file: name, line: lineNumber, field: "format", reason: "the first line must be {\"format\": \"\(format)\"}"))
                    break
                }
                sawFormat = true
                continue
            }
            switch person(object) {
            case .success(let person):
                let identity = Identity(nir: person.nir, birthDate: person.birthDate, rank: person.rank)
                if let first = seen[identity] {
                    add(Problem(file: name, line: lineNumber, field: "nir", reason: "the same person (NIR, date of birth, rang) as line \(first)"))
                } else {
                    seen[identity] = lineNumber
                    people.append(person)
                }
            case .failure(let lineProblems):
                for p in lineProblems.problems { add(Problem(file: name, line: lineNumber, field: p.field, reason: p.reason)) }
            }
        }
        if !sawFormat && total == 0 {
            add(Problem(file: name, line: nil, reason: "empty: the first line must be {\"format\": \"\(format)\"}"))
        }
        guard total == 0 else { throw Refused(problems: problems, total: total) }
        return people
    }

    /// What identifies a person in the base.
    public struct Identity: Hashable, Sendable {
        public var nir: NIR
        public var birthDate: BirthDate
        public var rank: UInt8
    }

    struct FieldProblem {
        var field: String
        var reason: String
    }

    struct LineProblems: Error {
        var problems: [FieldProblem]
    }

    /// One line's person, or every problem of the line.
    static func person(_ object: [String: Any]) -> Result<InsuredPerson, LineProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ reason: String) { problems.append(FieldProblem(field: field, reason: reason)) }
        for key in object.keys.sorted() where !keys.contains(key) {
            problem(EchoedValue.fieldName(key), "unknown field (see docs/rights.md)")
        }
        func string(_ key: String, required: Bool = true) -> String? {
            guard let value = object[key], !(value is NSNull) else {
                if required { problem(key, "required") }
                return nil
            }
            guard let text = value as? String, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                problem(key, "must be a non-empty string")
                return nil
            }
            return text
        }
        func small(_ key: String, _ range: ClosedRange<Int>, default value: Int) -> UInt8 {
            guard let raw = object[key], !(raw is NSNull) else { return UInt8(value) }
            guard type(of: raw) != Bool.self, let number = raw as? NSNumber, let int = Int(exactly: number.doubleValue), range.contains(int) else {
                problem(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
                return UInt8(value)
            }
            return UInt8(int)
        }
        func nir(_ key: String, required: Bool) -> NIR? {
            guard let text = string(key, required: required) else { return nil }
            do { return try NIR(text) } catch { problem(key, "not a NIR or NIA of 15 characters with its key (\(error.description))"); return nil }
        }
        func date(_ value: Any?, _ field: String) -> ClaimDate? {
            guard let text = value as? String else { problem(field, "must be a date YYYY-MM-DD"); return nil }
            do { return try ClaimDate(text) } catch { problem(field, "not a date YYYY-MM-DD"); return nil }
        }
        func period(_ value: Any, _ field: String) -> RightsPeriod? {
            guard let object = value as? [String: Any] else { problem(field, "must be an object {\"start\", \"end\"?}"); return nil }
            for key in object.keys.sorted() where !["start", "end", "kind"].contains(key) { problem("\(field).\(EchoedValue.fieldName(key))", "unknown field") }
            guard let start = date(object["start"], "\(field).start") else { return nil }
            var end: ClaimDate?
            if let raw = object["end"], !(raw is NSNull) {
                end = date(raw, "\(field).end")
                if let e = end, e < start { problem("\(field).end", "before the start") }
            }
            return RightsPeriod(start: start, end: end)
        }

        let ownNIR = nir("nir", required: true)
        var birth: BirthDate?
        if let text = string("birth_date") {
            birth = BirthDate(text)
            if birth == nil {
                problem("birth_date", "not a date YYYY-MM-DD or YYYYMMDD (lunar months 19-25 and day 32 are kept)")
            } else if let b = birth, !b.existsInTheCalendar {
                problem("birth_date", "day \(b.day) of month \(b.month) does not exist (a lunar date has month 19-25 or day 32)")
            }
        }
        let rank = small("rank", 1...9, default: 1)
        let quality = small("quality", 0...9, default: 0)
        let insured = nir("insured_nir", required: false)
        if quality != 0 && insured == nil && object["insured_nir"] == nil {
            problem("insured_nir", "required when quality is not 0 (the insured the person depends on)")
        }
        let last = string("last_name")
        let first = string("first_name")
        let birthName = string("birth_name", required: false)
        for (key, value) in [("last_name", last), ("first_name", first), ("birth_name", birthName)] {
            if let value, value.count > 80 || value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                problem(key, "at most 80 characters, no control characters")
            }
        }
        var organism: AMOOrganism?
        if let text = string("amo") {
            organism = AMOOrganism(parsing: text)
            if organism == nil { problem("amo", "\(EchoedValue.quoted(text)) is not 'RR FFF CCCC' or 'RR FFF CCCC KKK'") }
        }
        var rights: [RightsPeriod] = []
        if let raw = object["rights"], !(raw is NSNull) {
            if let list = raw as? [Any] {
                for (i, item) in list.enumerated() { if let p = period(item, "rights[\(i)]") { rights.append(p) } }
            } else {
                problem("rights", "must be an array of {\"start\", \"end\"?}")
            }
        }
        var coverages: [InsuredPerson.Coverage] = []
        if let raw = object["coverages"], !(raw is NSNull) {
            if let list = raw as? [Any] {
                for (i, item) in list.enumerated() {
                    let field = "coverages[\(i)]"
                    guard let kindText = (item as? [String: Any])?["kind"] as? String, let kind = InsuredPerson.Coverage.Kind(rawValue: kindText) else {
                        problem("\(field).kind", "must be one of \(InsuredPerson.Coverage.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                        continue
                    }
                    if let p = period(item, field) { coverages.append(.init(kind: kind, period: p)) }
                }
            } else {
                problem("coverages", "must be an array of {\"kind\", \"start\", \"end\"?}")
            }
        }
        var complementary: InsuredPerson.ComplementaryContract?
        if let raw = object["amc"], !(raw is NSNull) {
            if let amc = raw as? [String: Any] {
                for key in amc.keys.sorted() where !["number", "management", "start", "end"].contains(key) {
                    problem("amc.\(EchoedValue.fieldName(key))", "unknown field")
                }
                let number = (amc["number"] as? String).flatMap { $0.count <= 10 && $0.utf8.allSatisfy({ (0x30...0x39).contains($0) }) ? UInt64($0) : nil }
                if number == nil || number == 0 { problem("amc.number", "must be the AMC number, 1 to 10 digits, as a string") }
                let management = (amc["management"] as? String).flatMap(InsuredPerson.ComplementaryContract.Management.init(rawValue:))
                if management == nil { problem("amc.management", "must be joint (gestion unique) or separate (gestion séparée)") }
                var periodFields = amc
                periodFields["number"] = nil
                periodFields["management"] = nil
                if let number, number > 0, let management, let p = period(periodFields, "amc") {
                    complementary = .init(organism: AMCOrganism(number: number), management: management, period: p)
                }
            } else {
                problem("amc", "must be an object {\"number\", \"management\", \"start\", \"end\"?}")
            }
        }
        var card = InsuredPerson.CardState.valid(updated: nil)
        switch object["card"] as? String ?? (object["card"] == nil ? "valid" : "?") {
        case "valid":
            if let raw = object["card_updated"], !(raw is NSNull) { card = .valid(updated: date(raw, "card_updated")) }
        case "outdated": card = .outdated
        case "none": card = .none
        default: problem("card", "must be valid, outdated or none")
        }
        guard problems.isEmpty, let ownNIR, let birth, let last, let first, let organism else {
            return .failure(LineProblems(problems: problems))
        }
        return .success(InsuredPerson(nir: ownNIR, birthDate: birth, rank: rank, quality: quality, insuredNIR: insured,
                                      lastName: last, firstName: first, birthName: birthName, organism: organism,
                                      rights: rights, coverages: coverages, complementary: complementary, card: card))
    }
}
