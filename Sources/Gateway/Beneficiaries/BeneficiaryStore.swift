import Claims
import Crypto
import Foundation
import GRDB
import Vitale

/// The beneficiary base kept in the gateway's SQLite (table `insured_person`, migration v3): loaded from a
/// ``BeneficiaryBaseFile`` at start, replaced whole in one transaction (never half-loaded), looked up by NIR.
extension GatewayStore {
    /// What ``loadBeneficiaries(_:digest:)`` did.
    public enum BaseLoad: Sendable, Equatable {
        /// The base in the store already came from the same file (same SHA-256): nothing written.
        case unchanged(persons: Int)
        /// The store's base was replaced by this one.
        case replaced(persons: Int)
    }

    static func registerBeneficiaryMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3: beneficiary base") { db in
            try db.execute(sql: """
                CREATE TABLE insured_person (
                    id INTEGER PRIMARY KEY,
                    nir TEXT NOT NULL,
                    birth_date INTEGER NOT NULL,
                    rank INTEGER NOT NULL,
                    quality INTEGER NOT NULL,
                    insured_nir TEXT NOT NULL,
                    last_name TEXT NOT NULL,
                    first_name TEXT NOT NULL,
                    birth_name TEXT,
                    organism TEXT NOT NULL,
                    rights TEXT NOT NULL,
                    coverages TEXT NOT NULL,
                    amc_number INTEGER,
                    amc_management TEXT,
                    amc_period TEXT,
                    card TEXT NOT NULL,
                    card_updated INTEGER,
                    UNIQUE (nir, birth_date, rank)
                );
                CREATE TABLE beneficiary_base (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    digest BLOB NOT NULL,
                    persons INTEGER NOT NULL,
                    loaded_at REAL NOT NULL
                );
                """)
        }
    }

    /// Reads the base file at `url` and loads it unless the store already holds that very file.
    public func loadBeneficiaries(from url: URL) throws -> BaseLoad {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BeneficiaryBaseFile.Refused(problems: [.init(file: url.path, line: nil, reason: "cannot be read: \(error.localizedDescription)")], total: 1)
        }
        let digest = Data(SHA256.hash(data: data))
        if let current = try pool.read({ db in try Row.fetchOne(db, sql: "SELECT digest, persons FROM beneficiary_base WHERE id = 1") }),
           (current["digest"] as Data) == digest {
            return .unchanged(persons: current["persons"])
        }
        let people = try BeneficiaryBaseFile.read(Array(data), name: url.path)
        return try loadBeneficiaries(people, digest: digest)
    }

    /// Replaces the base with `people` in one transaction.
    public func loadBeneficiaries(_ people: [InsuredPerson], digest: Data) throws -> BaseLoad {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM insured_person")
            let insert = try db.makeStatement(sql: """
                INSERT INTO insured_person (nir, birth_date, rank, quality, insured_nir, last_name, first_name, birth_name,
                    organism, rights, coverages, amc_number, amc_management, amc_period, card, card_updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for p in people {
                let card: (String, Int64?)
                switch p.card {
                case .valid(let updated): card = ("valid", updated.map { Int64($0.yyyymmdd) })
                case .outdated: card = ("outdated", nil)
                case .none: card = ("none", nil)
                }
                try insert.execute(arguments: [
                    p.nir.revealed, Int64(p.birthDate.yyyymmdd), Int64(p.rank), Int64(p.quality), p.insuredNIR.revealed,
                    p.lastName, p.firstName, p.birthName, p.organism.text, StoredPeriods.encode(p.rights),
                    StoredPeriods.encode(p.coverages), p.complementary.map { Int64($0.organism.number) },
                    p.complementary?.management.rawValue, p.complementary.map { StoredPeriods.encode([$0.period]) },
                    card.0, card.1,
                ])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO beneficiary_base (id, digest, persons, loaded_at) VALUES (1, ?, ?, ?)",
                           arguments: [digest, people.count, Date().timeIntervalSince1970])
            return .replaced(persons: people.count)
        }
    }

    /// The persons registered under `nir` (one, or twins with their rangs; several dates of birth are a mismatch).
    public func insuredPersons(nir: NIR) async throws -> [InsuredPerson] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM insured_person WHERE nir = ?", arguments: [nir.revealed]).map(Self.insuredPerson)
        }
    }

    /// How many persons the base holds.
    public func insuredPersonCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM insured_person") ?? 0 }
    }

    static func insuredPerson(_ row: Row) throws -> InsuredPerson {
        func nir(_ column: String) throws -> NIR {
            do { return try NIR(row[column] as String) } catch { throw CorruptValue(column: "insured_person.\(column)", value: "(a NIR)") }
        }
        func date(_ value: Int64?, _ column: String) throws -> ClaimDate? {
            guard let value else { return nil }
            guard let date = ClaimDate(yyyymmdd: UInt32(clamping: value)) else { throw CorruptValue(column: column, value: String(value)) }
            return date
        }
        guard let birth = BirthDate(yyyymmdd: UInt32(clamping: row["birth_date"] as Int64)) else {
            throw CorruptValue(column: "insured_person.birth_date", value: "(a date of birth)")
        }
        let organismText: String = row["organism"]
        guard let organism = AMOOrganism(parsing: organismText) else { throw CorruptValue(column: "insured_person.organism", value: organismText) }
        var complementary: InsuredPerson.ComplementaryContract?
        if let number = row["amc_number"] as Int64? {
            let management = try stored(InsuredPerson.ComplementaryContract.Management.self, row["amc_management"], column: "insured_person.amc_management")
            guard let management, let period = try StoredPeriods.decodePeriods(row["amc_period"] ?? "", column: "insured_person.amc_period").first else {
                throw CorruptValue(column: "insured_person.amc_period", value: "(missing)")
            }
            complementary = .init(organism: AMCOrganism(number: UInt64(number)), management: management, period: period)
        }
        let card: InsuredPerson.CardState
        let cardText: String = row["card"]
        switch cardText {
        case "valid": card = .valid(updated: try date(row["card_updated"], "insured_person.card_updated"))
        case "outdated": card = .outdated
        case "none": card = .none
        default: throw CorruptValue(column: "insured_person.card", value: cardText)
        }
        return InsuredPerson(
            nir: try nir("nir"), birthDate: birth, rank: UInt8(clamping: row["rank"] as Int64), quality: UInt8(clamping: row["quality"] as Int64),
            insuredNIR: try nir("insured_nir"), lastName: row["last_name"], firstName: row["first_name"], birthName: row["birth_name"],
            organism: organism, rights: try StoredPeriods.decodePeriods(row["rights"], column: "insured_person.rights"),
            coverages: try StoredPeriods.decodeCoverages(row["coverages"], column: "insured_person.coverages"),
            complementary: complementary, card: card)
    }
}

/// Periods as stored: `YYYYMMDD-YYYYMMDD` (an open end is empty), `;` between periods, `kind:` before a coverage's.
enum StoredPeriods {
    static func encode(_ period: RightsPeriod) -> String {
        "\(period.start.yyyymmdd)-\(period.end.map { String($0.yyyymmdd) } ?? "")"
    }

    static func encode(_ periods: [RightsPeriod]) -> String { periods.map(encode).joined(separator: ";") }

    static func encode(_ coverages: [InsuredPerson.Coverage]) -> String {
        coverages.map { "\($0.kind.rawValue):\(encode($0.period))" }.joined(separator: ";")
    }

    static func decodePeriod(_ text: Substring, column: String) throws -> RightsPeriod {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let s = UInt32(parts[0]), let start = ClaimDate(yyyymmdd: s) else {
            throw GatewayStore.CorruptValue(column: column, value: String(text.prefix(40)))
        }
        var end: ClaimDate?
        if !parts[1].isEmpty {
            guard let e = UInt32(parts[1]), let date = ClaimDate(yyyymmdd: e) else { throw GatewayStore.CorruptValue(column: column, value: String(text.prefix(40))) }
            end = date
        }
        return RightsPeriod(start: start, end: end)
    }

    static func decodePeriods(_ text: String, column: String) throws -> [RightsPeriod] {
        try text.split(separator: ";").map { try decodePeriod($0, column: column) }
    }

    static func decodeCoverages(_ text: String, column: String) throws -> [InsuredPerson.Coverage] {
        try text.split(separator: ";").map { item in
            guard let colon = item.firstIndex(of: ":"), let kind = InsuredPerson.Coverage.Kind(rawValue: String(item[..<colon])) else {
                throw GatewayStore.CorruptValue(column: column, value: String(item.prefix(40)))
            }
            return .init(kind: kind, period: try decodePeriod(item[item.index(after: colon)...], column: column))
        }
    }
}
