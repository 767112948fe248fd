import Secrets
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport
@testable import Daemon

/// The API's router without a server (Hummingbird's router test framework): authentication, views, errors.
@Suite("API router")
struct RouterTests {
    let folder: TemporaryFolder
    let alice = TestPractitioner("101234567")

    init() throws { folder = try TemporaryFolder() }

    /// The daemon's router in an application that is never started, with in-process readers (no card), and its token.
    func application(session: PractitionerSession? = nil) throws -> (some ApplicationProtocol, HTTPFields) {
        let readers = InProcessReaders(readers: [])
        let daemon = try Daemon(configuration: try .forTests(in: folder), logger: quietLogger, session: session,
                                cards: (connector: readers, events: readers.events))
        let token = try SecretFile.read(folder.path("api-token"))
        return (Application(router: daemon.makeRouter(), logger: quietLogger), [.authorization: "Bearer \(token)"])
    }

    func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    struct Problem: Decodable {
        var error: String
        var message: String
        var problems: [Field]?
        struct Field: Decodable { var field: String?; var reason: String }
    }

    @Test func theTokenIsRequiredButNotForHealth() async throws {
        let (app, _) = try application()
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"], [.authorization: "Basic x"]] {
                try await client.execute(uri: "/v1/status", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="vitaled""#)
                    let problem = try decode(Problem.self, response.body)
                    #expect(problem.error == "unauthorized" && problem.message.contains("apiTokenFile"))
                }
            }
            try await client.execute(uri: "/v1/claims", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test func statusView() async throws {
        struct Status: Decodable {
            var vitale: String
            var cps: String
            var session: String?
            var sender: Sender
            var outbox: Outbox
            var eventSubscribers: Int
            struct Sender: Decodable { var enabled: Bool; var rounds: Int }
            struct Outbox: Decodable { var claims: [String: Line]; var lots: [String: Int] }
            struct Line: Decodable { var count: Int }
        }
        let (app, auth) = try application(session: alice.session)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/status", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.headers[.cacheControl] == "no-store")
                let status = try decode(Status.self, response.body)
                #expect(status.vitale == "no_reader" && status.cps == "no_reader")
                #expect(status.session == "software")
                #expect(!status.sender.enabled && status.sender.rounds == 0)
                #expect(status.outbox.claims.values.allSatisfy { $0.count == 0 } && status.eventSubscribers == 0)
            }
            try await client.execute(uri: "/v1/session", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains(#""open":true"#) && text.contains(#""billingNumber":"101234567""#) && text.contains(#""origin":"software""#))
            }
            try await client.execute(uri: "/v1/card", method: .get, headers: auth) { response in
                #expect(response.status == .ok && String(buffer: response.body) == #"{"state":"no_reader"}"#)
            }
            try await client.execute(uri: "/v1/card?reveal=true", method: .get, headers: auth) { response in
                #expect(response.status == .forbidden)
                let decoded = try decode(Problem.self, response.body)
                #expect(decoded.error == "reveal_not_allowed")
            }
        }
    }

    @Test func badClaimBodiesAreRefusedNamingTheField() async throws {
        let (app, auth) = try application(session: alice.session)
        try await app.test(.router) { client in
            for body in ["not json", "[1]", #""claim""#] {
                try await client.execute(uri: "/v1/claims", method: .post, headers: auth, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    let problem = try decode(Problem.self, response.body)
                    #expect(problem.error == "bad_request" && problem.message.contains("JSON object"))
                }
            }
            try await client.execute(uri: "/v1/claims?state=lost", method: .get, headers: auth) { response in
                #expect(response.status == .badRequest)
                let decoded = try decode(Problem.self, response.body)
                #expect(decoded.message.hasPrefix("state: unknown state 'lost'"))
            }
            try await client.execute(uri: "/v1/claims?limit=0", method: .get, headers: auth) { response in
                #expect(response.status == .badRequest)
                let decoded = try decode(Problem.self, response.body)
                #expect(decoded.message.hasPrefix("limit must be"))
            }
            let body = #"""
                {"patient": {"nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12", "amo": "01 751 0001", "eyes": "blue"},
                 "care_date": "2026-11-20", "acts": [], "total_cents": 12.5, "parcours": ["T"], "colour": "blue"}
                """#
            try await client.execute(uri: "/v1/claims", method: .post, headers: auth, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .unprocessableContent)
                let problem = try decode(Problem.self, response.body)
                #expect(problem.error == "invalid_claim")
                let fields = (problem.problems ?? []).compactMap(\.field)
                #expect(Set(fields) == ["acts", "colour", "patient.eyes", "total_cents", "parcours"], "\(fields)")
                #expect(!String(buffer: response.body).contains("1850578006084"))
            }
            // A NIR or a surname typed into another field is never echoed (issue 13, defect 2): the field is named.
            let misplaced = #"""
                {"patient": {"nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12", "amo": "1850578006084"},
                 "care_date": "2026-11-20", "acts": ["G"], "parcours": "DUPONT"}
                """#
            try await client.execute(uri: "/v1/claims", method: .post, headers: auth, body: ByteBuffer(string: misplaced)) { response in
                #expect(response.status == .unprocessableContent)
                let text = String(buffer: response.body)
                let problem = try decode(Problem.self, response.body)
                #expect(Set((problem.problems ?? []).compactMap(\.field)).isSuperset(of: ["amo", "parcours"]), "\(text)")
                #expect(!text.contains("1850578006084") && !text.contains("DUPONT"), "\(text)")
                #expect(text.contains("a value of 13 digits"), "\(text)")
            }
            // A key given twice is refused, not resolved by the last one (issue 13, defect 3).
            let twice = #"""
                {"patient": {"nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12", "amo": "01 751 0001", "birth_date": "1990-01-01"},
                 "care_date": "2026-11-20", "acts": ["G"]}
                """#
            try await client.execute(uri: "/v1/claims", method: .post, headers: auth, body: ByteBuffer(string: twice)) { response in
                #expect(response.status == .badRequest)
                let problem = try decode(Problem.self, response.body)
                #expect(problem.problems?.compactMap(\.field) == ["patient.birth_date"], "\(String(buffer: response.body))")
            }
            // A birth date the calendar does not have (not lunar), an empty act.
            let impossible = #"""
                {"patient": {"nir": "1850578006084", "nir_key": "91", "birth_date": "1985-02-30", "amo": "01 751 0001"},
                 "care_date": "2026-11-20", "acts": ["G", ""]}
                """#
            try await client.execute(uri: "/v1/claims", method: .post, headers: auth, body: ByteBuffer(string: impossible)) { response in
                #expect(response.status == .unprocessableContent)
                let text = String(buffer: response.body)
                let problem = try decode(Problem.self, response.body)
                #expect(Set((problem.problems ?? []).compactMap(\.field)) == ["birth_date", "acts"], "\(text)")
                #expect(text.contains("does not exist") && text.contains("act 2 is empty"), "\(text)")
                #expect(!text.contains("1985-02-30"), "\(text)")
            }
            try await client.execute(uri: "/v1/claims", method: .post, headers: auth, body: ByteBuffer(string: #"{"beneficiary": true, "acts": "G"}"#)) { response in
                #expect(response.status == .unprocessableContent)
                let decoded = try decode(Problem.self, response.body)
                #expect(decoded.problems?.compactMap(\.field) == ["beneficiary"])
            }
            try await client.execute(uri: "/v1/cps/pin", method: .post, headers: auth, body: ByteBuffer(string: #"{"pin": 1234}"#)) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    /// Claim fields are read by their JSON type: strings trimmed (empty is absent), whole numbers, booleans as 1/0,
    /// null as absent, acts as a string or an array of strings.
    @Test func claimBodiesAreDecodedByJSONType() throws {
        let body = #"""
            {"beneficiary": 1.0, "reference": " r1 ", "total_cents": 3000, "amo_cents": 0, "tiers_payant": true, "exoneration": false,
             "insurance": null, "parcours": "  ", "acts": ["G", "MU"], "care_date": "2026-11-20"}
            """#
        let request = try JSONDecoder().decode(ClaimRequest.self, from: Data(body.utf8))
        #expect(request.problems.isEmpty, "\(request.problems)")
        #expect(request.who == .beneficiary(1))
        #expect(request.fields == ["reference": "r1", "total_cents": "3000", "amo_cents": "0", "tiers_payant": "1", "exoneration": "0",
                                   "acts": "G;MU", "care_date": "2026-11-20"])
        let patient = try JSONDecoder().decode(ClaimRequest.self, from: Data(#"{"patient": {"rank": 1, "quality": 0, "without_card": true}, "acts": "G"}"#.utf8))
        #expect(patient.who == .patient && patient.problems.isEmpty)
        #expect(patient.fields == ["rank": "1", "quality": "0", "without_card": "1", "acts": "G"])
        for (json, field) in [(#"{"beneficiary": 0}"#, "beneficiary"), (#"{"beneficiary": "1"}"#, "beneficiary"), (#"{"patient": 1}"#, "patient"),
                              (#"{"patient": {}, "beneficiary": 1}"#, "beneficiary"), (#"{"acts": {"G": 1}, "beneficiary": 1}"#, "acts"),
                              (#"{"total_cents": 1e16, "beneficiary": 1}"#, "total_cents")] {
            let refused = try JSONDecoder().decode(ClaimRequest.self, from: Data(json.utf8))
            #expect(refused.problems.map(\.field) == [field], "\(json)")
        }
    }

    /// The event names on the wire are those of docs/daemon-api.md.
    @Test func eventKindsKeepTheirWireNames() throws {
        let doc = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("docs/daemon-api.md"), encoding: .utf8)
        for kind in DaemonEvent.Kind.allCases {
            #expect(doc.contains("`\(kind.rawValue)`"), "\(kind.rawValue)")
        }
        #expect(DaemonEvent.Kind.lotFailed.rawValue == "lot.failed" && DaemonEvent.Kind.cpsPINWrong.rawValue == "cps.pin.wrong")
        let event = DaemonEvent(id: 7, type: .lotAnswered, time: "t", data: ["lot": "3"])
        #expect(ServerSentEvents.encode(event) == "id: 7\nevent: lot.answered\ndata: {\"data\":{\"lot\":\"3\"},\"id\":7,\"time\":\"t\",\"type\":\"lot.answered\"}\n\n")
    }
}
