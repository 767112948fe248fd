import Claims
import Foundation
import TestSupport
import Testing
import Transmission

@Suite("claim files")
struct ClaimFileTests {
    static let good = RepositoryPaths.fixtures.appendingPathComponent("claims")
    static let bad = good.appendingPathComponent("bad")

    @Test func goodFilesReadWithoutProblems() {
        let csv = ClaimFileReader.read(Self.good.appendingPathComponent("day.csv"))
        #expect(csv.problems.isEmpty)
        #expect(csv.rows.count == 8)
        #expect(csv.rows[0].line == 2 && csv.rows[0].fields["acts"] == "G" && csv.rows[0].fields["total_cents"] == "3000")
        #expect(csv.rows[1].fields["amo_cents"] == nil)
        let jsonl = ClaimFileReader.read(Self.good.appendingPathComponent("day.jsonl"))
        #expect(jsonl.problems.isEmpty)
        #expect(jsonl.rows.count == 4)
        #expect(jsonl.rows[3].fields["acts"] == "G;DEQP003")
        #expect(jsonl.rows[0].fields["total_cents"] == "3000")
    }

    /// Every file of the bad corpus that is wrong in its syntax, with what must be said about it.
    @Test(arguments: [
        ("wrong-columns.csv", nil as Int?, "unknown column 'patient_name'"),
        ("wrong-columns.csv", nil, "missing column acts"),
        ("latin1.csv", 2, "not valid UTF-8 (byte 0xE9 at column 2)"),
        ("decimal-amounts.csv", 2, "total_cents: '30.00' is not whole cents"),
        ("decimal-amounts.csv", 3, "total_cents: '30,00' is not whole cents"),
        ("decimal-amounts.jsonl", 1, "total_cents: '30.5' is not whole cents"),
        ("huge-line.csv", 2, "longer than the 4096 allowed"),
        ("empty.csv", nil, "empty file"),
        ("header-only.csv", nil, "no claims"),
        ("field-count.csv", 2, "7 fields where the header has 8"),
        ("field-count.csv", 3, "9 fields where the header has 8"),
        ("broken.jsonl", 2, "not a JSON object"),
    ])
    func badFileIsReportedWithItsLine(file: String, line: Int?, message: String) {
        let result = ClaimFileReader.read(Self.bad.appendingPathComponent(file))
        let matching = result.problems.filter { $0.description.contains(message) }
        #expect(!matching.isEmpty, "\(file): expected '\(message)' in \(result.problems.map(\.description))")
        if let line { #expect(matching.allSatisfy { $0.line == line }) }
    }

    @Test func problemsNeverEchoPersonalData() {
        let result = ClaimFileReader.read(Self.bad.appendingPathComponent("latin1.csv"))
        #expect(result.rows.count == 1)
        for problem in result.problems {
            #expect(!problem.description.contains("1850578006084"))
        }
    }

    /// Values quoted in messages are short codes or amounts only (issue 13, defect 2).
    @Test func onlyShortCodesAndAmountsAreQuoted() {
        #expect(EchoedValue.quoted("30.00") == "'30.00'")
        #expect(EchoedValue.quoted("ZZZ") == "'ZZZ'")
        #expect(EchoedValue.quoted("1850578006084") == "a value of 13 digits")
        #expect(EchoedValue.quoted("DUPONT") == "a value of 6 characters")
        #expect(EchoedValue.quoted("12345") == "a value of 5 digits")
        #expect(EchoedValue.quoted("Marie Curie") == "a value of 11 characters")
    }

    @Test func garbageNeverCrashesTheReader() {
        var rng = SystemRandomNumberGenerator()
        let header = Array("care_date,nir,nir_key,birth_date,amo,acts\n".utf8)
        for _ in 0..<300 {
            let count = Int.random(in: 0..<600, using: &rng)
            var bytes = header
            bytes += (0..<count).map { _ in [UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "{"), UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng)! }
            _ = ClaimFileReader.read(bytes, name: "fuzz.csv", format: .csv)
            _ = ClaimFileReader.read(Array(bytes.dropFirst(header.count)), name: "fuzz.jsonl", format: .jsonLines)
        }
    }
}

@Suite("claim file conversion")
struct ClaimFileConverterTests {
    static let converter = ClaimFileConverter(
        practitioner: PractitionerSituation(billingNumber: try! BillingNumber("101234567")),
        tariffs: try! TariffTable(contentsOfDirectory: RepositoryPaths.fixtures.appendingPathComponent("tariffs")),
        today: try! ClaimDate("2026-11-27"))

    func row(_ fields: [String: String]) -> ClaimFileRow {
        var base = ["care_date": "2026-11-20", "nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12",
                    "amo": "01 751 0001", "parcours": "T", "acts": "G"]
        for (k, v) in fields { base[k] = v }
        return ClaimFileRow(file: "t.csv", line: 7, fields: base)
    }

    @Test func pricesTheFixtureCases() throws {
        let g = try Self.converter.convert(row([:])).get().fse
        #expect(g.totals.total == 3000 && g.totals.amo == 1900)
        #expect(g.destination.description == "01 751 751")
        let child = try Self.converter.convert(row(["acts": "G+MEG", "birth_date": "2022-06-01"])).get().fse
        #expect(child.totals.total == 3500)
        let visit = try Self.converter.convert(row(["acts": "VG+MD"])).get().fse
        #expect(visit.totals.total == 4000)
        let twoActs = try Self.converter.convert(row(["acts": "G;DEQP003/1/0", "exoneration": "41", "tiers_payant": "AMO"])).get().fse
        #expect(twoActs.acts.count == 2 && twoActs.totals.amoRate == 100)
        let lunar = try Self.converter.convert(row(["birth_date": "1978-09-32"])).get().fse
        #expect(lunar.beneficiary.birthDate.isLunar)
    }

    @Test func reportsEachBadFieldWithoutPersonalData() {
        guard case .failure(let failure) = Self.converter.convert(row([
            "nir_key": "12", "amo": "01-751", "parcours": "Z", "acts": "G*1.234", "insurance": "XX", "care_date": "2026-13-01",
        ])) else { Issue.record("accepted"); return }
        let fields = Set(failure.problems.compactMap(\.field))
        #expect(fields.isSuperset(of: ["nir_key", "amo", "parcours", "insurance", "care_date"]), "\(failure.problems)")
        #expect(failure.problems.allSatisfy { $0.line == 7 && !$0.description.contains("1850578006084") })
    }

    @Test func expectedAmountsMustMatch() {
        guard case .failure(let failure) = Self.converter.convert(row(["total_cents": "3000", "amo_cents": "2100"])) else {
            Issue.record("accepted"); return
        }
        #expect(failure.problems.map(\.field) == ["amo_cents"])
    }
}
