import Claims
import Foundation
import Gateway
import TestSupport
import Testing
import Vitale

/// The insurer's beneficiary base (issue 14): the fixture base covers every fixture card's people and people
/// without a card; a bad base is refused whole, naming line and field, never a NIR or a name.
@Suite("insurer beneficiary base")
struct BeneficiaryBaseTests {
    static let fixture = RepositoryPaths.fixtures.appendingPathComponent("gateway/beneficiaries.jsonl")

    @Test func theFixtureBaseCoversEveryFixtureCardsPeople() async throws {
        let folder = try TemporaryFolder()
        let store = try GatewayStore(path: folder.path("gateway.sqlite"))
        #expect(try store.loadBeneficiaries(from: Self.fixture) == .replaced(persons: 24))
        #expect(try store.loadBeneficiaries(from: Self.fixture) == .unchanged(persons: 24))
        struct Image: Decodable {
            struct Vitale: Decodable { var beneficiaries: [Person] }
            struct Person: Decodable { var nir: String; var dateOfBirth: String; var rang: Int }
            var vitale: Vitale?
        }
        let cards = try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.fixtures.appendingPathComponent("cards").path)
        var checked = 0
        for name in cards.sorted() where name.hasSuffix(".json") && name != "wrong-nir-key.json" {
            let image = try JSONDecoder().decode(Image.self, from: Data(contentsOf: RepositoryPaths.fixtures.appendingPathComponent("cards/\(name)")))
            for person in image.vitale?.beneficiaries ?? [] {
                let found = try await store.insuredPersons(nir: try NIR(person.nir))
                #expect(found.contains { $0.birthDate == BirthDate(person.dateOfBirth) && Int($0.rank) == person.rang }, "\(name): a person is missing")
                checked += 1
            }
        }
        #expect(checked == 21)
        // Twins share a NIR prefix but have their own NIRs; a lunar date is kept as registered.
        let lunar = try await store.insuredPersons(nir: try NIR("157209935002788"))
        #expect(lunar.first?.birthDate.isLunar == true)
        // People without a card: a student with a provisional NIA, rights closed last month, maternity and C2S.
        let student = try await store.insuredPersons(nir: try NIR("799049912345672"))
        #expect(student.first?.nir.isProvisional == true && student.first?.card == InsuredPerson.CardState.none)
        let closed = try #require(try await store.insuredPersons(nir: try NIR("168037511405689")).first)
        let lastDay = try ClaimDate("2026-10-31"), nextDay = try ClaimDate("2026-11-01")
        #expect(closed.hasRights(on: lastDay) && !closed.hasRights(on: nextDay))
        let mother = try #require(try await store.insuredPersons(nir: try NIR("292017512341149")).first)
        let today = try ClaimDate("2026-12-02")
        #expect(InsuredPerson.Coverage.entitles(mother.coverages(on: today), to: .pregnancy))
        #expect(!InsuredPerson.Coverage.entitles(mother.coverages(on: today), to: .ald41))
        #expect(mother.complementary?.management == .separate)
        #expect(try await store.insuredPersons(nir: try NIR("185057800608491")).isEmpty, "an unknown person is not in the base")
    }

    @Test func aBadBaseIsRefusedWholeNamingLineAndField() throws {
        let text = """
            {"format": "openvitale-beneficiaries/1"}
            {"nir": "295109912611193", "birth_date": "1995-10-31", "last_name": "MARTIN", "first_name": "ALICE", "amo": "01 349 0001", "rights": [{"start": "2025-01-01"}]}
            {"nir": "295109912611199", "birth_date": "1995-10-31", "last_name": "MARTIN", "first_name": "ALICE", "amo": "01 349 0001"}
            {"nir": "295109912611193", "birth_date": "1995-02-30", "last_name": "MARTIN", "first_name": "ALICE", "amo": "1850578006084", "rank": 12}
            {"nir": "295109912611193", "birth_date": "1995-10-31", "last_name": "MARTIN", "first_name": "ALICE", "amo": "01 349 0001", "eyes": "blue"}
            {"nir": "295109912611193", "birth_date": "1995-10-31", "last_name": "MARTIN", "first_name": "ALICE", "amo": "01 349 0001"}
            {"nir": "178057505612343", "birth_date": "1978-05-12", "quality": 2, "last_name": "X", "first_name": "Y", "amo": "01 349 0001", "rights": [{"start": "2026-01-01", "end": "2025-01-01"}], "coverages": [{"kind": "luck", "start": "2025-01-01"}], "amc": {"number": "12ab", "management": "both"}, "card": "lost"}
            not json
            """
        do {
            _ = try BeneficiaryBaseFile.read(Array(text.utf8), name: "base.jsonl")
            Issue.record("a bad base was accepted")
        } catch {
            let report = error.description
            for expected in [
                "base.jsonl:3: nir:", "base.jsonl:4: birth_date: day 30 of month 2 does not exist", "base.jsonl:4: rank: must be a whole number from 1 to 9",
                "base.jsonl:4: amo: a value of 13 digits", "base.jsonl:5: eyes: unknown field", "base.jsonl:6: nir: the same person (NIR, date of birth, rang) as line 2",
                "base.jsonl:7: insured_nir: required when quality is not 0", "base.jsonl:7: rights[0].end: before the start", "base.jsonl:7: coverages[0].kind",
                "base.jsonl:7: amc.number", "base.jsonl:7: amc.management", "base.jsonl:7: card: must be valid, outdated or none", "base.jsonl:8: not a JSON object",
            ] {
                #expect(report.contains(expected), "missing '\(expected)' in:\n\(report)")
            }
            for personal in ["295109912611193", "1850578006084", "MARTIN", "ALICE", "1995-10-31"] {
                #expect(!report.contains(personal), "'\(personal)' echoed:\n\(report)")
            }
        }
        #expect(throws: BeneficiaryBaseFile.Refused.self) { try BeneficiaryBaseFile.read(Array(#"{"nir": "295109912611193"}"#.utf8), name: "x") }
        #expect(throws: BeneficiaryBaseFile.Refused.self) { try BeneficiaryBaseFile.read([], name: "x") }
    }

    /// Through the program: loaded at start, unchanged at the next start, and a bad base leaves the loaded one intact.
    @Test func theGatewayLoadsTheBaseAtStartAndNeverHalfLoads() async throws {
        let practice = try Practice()
        let first = try await practice.startGateway(flags: ["--beneficiaries", Self.fixture.path, "--log-level", "notice"], name: "g1")
        try await first.stop()
        #expect(first.child.stderr.contains("beneficiary base loaded") && first.child.stderr.contains("persons=24"), "\(first.child.stderr)")
        let second = try await practice.startGateway(flags: ["--beneficiaries", Self.fixture.path, "--log-level", "notice"], name: "g2")
        try await second.stop()
        #expect(second.child.stderr.contains("beneficiary base unchanged"), "\(second.child.stderr)")

        var broken = try String(contentsOf: Self.fixture, encoding: .utf8)
        broken += #"{"nir": "295109912611193", "birth_date": "1995-13-31", "last_name": "MARTIN", "first_name": "ALICE", "amo": "01 349 0001"}"# + "\n"
        let path = practice.folder.path("broken.jsonl")
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try ChildProcess("insurer-gateway", [
            "serve", "--database", practice.folder.path("gateway.sqlite"), "--registry", practice.folder.path("registry.json"),
            "--beneficiaries", path, "--port", "0",
        ], folder: practice.folder, name: "refused")
        #expect(try await refused.wait(timeout: .seconds(30)) == 64)
        #expect(refused.stderr.contains("broken.jsonl:26: birth_date:"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("MARTIN") && !refused.stderr.contains("295109912611193"), "\(refused.stderr)")
        let store = try GatewayStore(path: practice.folder.path("gateway.sqlite"))
        #expect(try store.insuredPersonCount() == 24, "the base loaded before stays whole")
    }
}
