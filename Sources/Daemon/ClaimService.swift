import Claims
import Foundation
import Logging
import Transmission

/// Why a claim could not be created, with the HTTP status the API answers.
public struct ClaimCreationError: Error, Sendable, CustomStringConvertible {
    /// 400 bad JSON, 404 no such beneficiary, 409 no session / no card, 422 invalid claim.
    public var status: Int
    /// Stable code, e.g. `invalid_claim`, `pin_required`.
    public var code: String
    public var message: String
    /// Every problem of the claim, by field (never the NIR or the birth date in clear).
    public var problems: [Problem] = []

    /// One problem of one field.
    public struct Problem: Sendable, Codable, Equatable {
        public var field: String?
        public var reason: String
    }

    public var description: String { "\(code): \(message)" + problems.map { " [\($0.field ?? "-"): \($0.reason)]" }.joined() }
}

/// What `POST /v1/claims` answers: the claim and whether it was created now or found by its reference.
public struct ClaimCreation: Sendable {
    public var claim: ClaimRecord
    /// False when a claim with the same `reference` already existed (the request was a retry).
    public var created: Bool
    /// Why the FSE is not signed yet (the CPS was pulled out, the PIN is needed again), if so.
    public var signaturePending: String?
}

/// Creates claims: checks and prices them (Claims' rules, the tariff tables), stores them in the outbox
/// before anything else, signs them with the session's signer (the CPS), and wakes the sender. One at a time:
/// the card signs one digest at a time anyway, and a `reference` seen twice must create one claim.
public actor ClaimService {
    let outbox: Outbox
    let sessions: SessionStore
    let tariffs: TariffTable
    let events: EventHub
    let logger: Logger
    let afterSigning: @Sendable () -> Void

    init(outbox: Outbox, sessions: SessionStore, tariffs: TariffTable, events: EventHub, logger: Logger, afterSigning: @escaping @Sendable () -> Void) {
        self.outbox = outbox
        self.sessions = sessions
        self.tariffs = tariffs
        self.events = events
        self.logger = logger
        self.afterSigning = afterSigning
    }

    /// Creates a claim from the JSON `body` (``ClaimRequest``). `cardBeneficiary` gives the claim-file fields of
    /// the beneficiary at a position of the card in the reader (nil when there is no card).
    public func create(body: [UInt8], cardBeneficiary: @Sendable (Int) async -> Result<[String: String], ClaimCreationError>) async throws(ClaimCreationError) -> ClaimCreation {
        let request: ClaimRequest
        do { request = try JSONDecoder().decode(ClaimRequest.self, from: Data(body)) } catch {
            throw ClaimCreationError(status: 400, code: "bad_request", message: "the body must be a JSON object (docs/daemon-api.md)")
        }
        if let repeated = JSONDuplicateKeys.first(in: body) {
            throw ClaimCreationError(status: 400, code: "bad_request", message: "a key is given more than once in the body",
                                     problems: [.init(field: EchoedValue.fieldName(repeated), reason: "given more than once")])
        }
        var fields = request.fields
        var fromCard: Set<String> = []
        let problems = request.problems
        // Who: a beneficiary of the card in the reader (its fields; those of the request win), or a patient entered by hand.
        if case .beneficiary(let position) = request.who {
            switch await cardBeneficiary(position) {
            case .success(let card):
                fromCard = Set(card.keys.filter { fields[$0] == nil })
                fields.merge(card) { given, _ in given }
            case .failure(let error): throw error
            }
        }
        guard problems.isEmpty else {
            throw ClaimCreationError(status: 422, code: "invalid_claim", message: "the claim has \(problems.count) problem\(problems.count == 1 ? "" : "s")", problems: problems)
        }
        guard let session = sessions.session else {
            throw ClaimCreationError(status: 409, code: "pin_required", message: "no practitioner session: insert the CPS and give its PIN (POST /v1/cps/pin)")
        }
        guard session.situation.maySignInvoice else {
            throw ClaimCreationError(status: 409, code: "not_allowed", message: "the CPS situation \(session.situation.situationNumber) may not sign invoices")
        }
        let billing = session.billingNumber
        let source = fields["reference"].map { "api:\($0)" }
        if let source {
            do {
                if let existing = try await outbox.claim(source: source, billingNumber: billing) {
                    return ClaimCreation(claim: existing, created: false, signaturePending: nil)
                }
            } catch {
                throw ClaimCreationError(status: 500, code: "outbox", message: "reading the outbox: \(error)")
            }
        }
        let converter = ClaimFileConverter(practitioner: session.situation, tariffs: tariffs, today: .today())
        let row = ClaimFileRow(file: "request", line: 1, fields: fields, readFromCard: fromCard)
        let converted: ConvertedClaim
        switch converter.convert(row) {
        case .success(let c): converted = c
        case .failure(let lineProblems):
            throw ClaimCreationError(status: 422, code: "invalid_claim", message: "the claim breaks the rules",
                                     problems: lineProblems.problems.map { .init(field: $0.field, reason: $0.reason) })
        }
        // Stored first (built), durably; then signed. The store looks for the reference again in its own transaction:
        // a concurrent retry may have stored it since the check above.
        var fse = converted.fse
        let id: ClaimID
        do {
            let addition = try await outbox.addPriced([PricedClaim(fse: fse, careDate: converted.careDate, source: source ?? "api")],
                                                      billingNumber: billing, retryOf: source)
            switch addition {
            case .existing(let existing):
                guard let record = try await outbox.claim(existing) else { throw Reason("claim \(existing) vanished") }
                return ClaimCreation(claim: record, created: false, signaturePending: nil)
            case .added(let ids, let first):
                id = ids[0]
                fse.invoiceNumber = UInt32(first)
            }
        } catch let error as ClaimCreationError {
            throw error
        } catch {
            throw ClaimCreationError(status: 500, code: "outbox", message: "storing the claim: \(error)")
        }
        events.publish(.claimCreated, ["claim": "\(id)", "state": ClaimState.built.rawValue])
        var pending: String?
        do {
            let signed = try await SignedFSE.sign(fse, with: session.signer)
            try await outbox.markSigned([(id, try OutboxFSE.bytes(signed))])
            events.publish(.claimSigned, ["claim": "\(id)"])
        } catch {
            pending = "\(error)"
            logger.warning("claim stored, signature pending", metadata: ["claim": "\(id)", "error": "\(error)"])
        }
        logger.info("claim created", metadata: ["claim": "\(id)", "organism": "\(fse.destination)", "totalCents": "\(fse.totals.total)", "signed": "\(pending == nil)"])
        guard let record = try? await outbox.claim(id) else {
            throw ClaimCreationError(status: 500, code: "outbox", message: "claim \(id) stored but cannot be read back")
        }
        // The sender is woken once the answer's record is read: it shows the claim as this request left it
        // (signed), not already taken into a lot by the round that starts.
        if pending == nil { afterSigning() }
        return ClaimCreation(claim: record, created: true, signaturePending: pending)
    }

    struct Reason: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}

/// The body of `POST /v1/claims` (docs/daemon-api.md, "Create a claim"): the fields of the claim file format, as
/// claim-file text, and who the claim is for. Decoded field by field, keeping every problem by field instead of
/// stopping at the first; a body that is not a JSON object fails to decode.
struct ClaimRequest: Decodable {
    /// The request fields (the names of the claim file format), `beneficiary` and `patient` included.
    static let fieldNames: Set<String> = [
        "reference", "beneficiary", "patient", "care_date", "invoice_date", "insurance", "parcours", "exoneration", "tiers_payant", "acts",
        "total_cents", "amo_cents",
    ]
    /// The fields of `patient` (a beneficiary entered from the attestation de droits, or by the software).
    static let patientFieldNames: Set<String> = ["nir", "nir_key", "birth_date", "rank", "quality", "amo", "amc", "rights_start", "rights_end", "without_card"]

    /// Who the claim is for.
    enum Who: Equatable {
        /// The beneficiary at this position (1, 2, …) of the card in the reader.
        case beneficiary(Int)
        /// A patient given by hand: the fields are in ``fields``.
        case patient
        /// Not said, or said wrongly (see ``problems``).
        case unknown
    }

    /// The claim-file fields given, as text (a patient's included; nothing from the card yet).
    var fields: [String: String] = [:]
    var who: Who = .unknown
    /// Every problem found, by field.
    var problems: [ClaimCreationError.Problem] = []

    init(from decoder: any Decoder) throws {
        let object = try decoder.container(keyedBy: AnyKey.self)
        for key in object.allKeys.map(\.stringValue).sorted() where !Self.fieldNames.contains(key) {
            problems.append(.init(field: EchoedValue.fieldName(key), reason: "unknown field"))
        }
        for name in Self.fieldNames.sorted() where name != "patient" && name != "beneficiary" && object.contains(AnyKey(name)) {
            add(try object.decode(FieldValue.self, forKey: AnyKey(name)), as: name, field: name)
        }
        if let reference = fields["reference"], reference.count > 64 {
            problems.append(.init(field: "reference", reason: "at most 64 characters"))
        }
        switch (object.contains(AnyKey("beneficiary")), object.contains(AnyKey("patient"))) {
        case (true, false):
            guard case .number(let n) = try object.decode(FieldValue.self, forKey: AnyKey("beneficiary")), let position = Int(exactly: n), position >= 1 else {
                problems.append(.init(field: "beneficiary", reason: "must be the beneficiary's position on the card (1, 2, …)"))
                break
            }
            who = .beneficiary(position)
        case (false, true):
            guard let patient = try? object.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey("patient")) else {
                problems.append(.init(field: "patient", reason: "must be an object with nir, nir_key, birth_date, amo …"))
                break
            }
            for key in patient.allKeys.map(\.stringValue).sorted() where !Self.patientFieldNames.contains(key) {
                problems.append(.init(field: "patient.\(EchoedValue.fieldName(key))", reason: "unknown field"))
            }
            for name in Self.patientFieldNames.sorted() where patient.contains(AnyKey(name)) {
                add(try patient.decode(FieldValue.self, forKey: AnyKey(name)), as: name, field: "patient.\(name)")
            }
            who = .patient
        case (false, false):
            problems.append(.init(field: "beneficiary", reason: "required: the beneficiary's position on the card, or a 'patient' object"))
        case (true, true):
            problems.append(.init(field: "beneficiary", reason: "give either 'beneficiary' (from the card) or 'patient', not both"))
        }
    }

    /// Adds the field `name` (called `field` in problems) from its JSON value.
    private mutating func add(_ value: FieldValue, as name: String, field: String) {
        switch value.claimFileText(acts: name == "acts") {
        case .success(let text?): fields[name] = text
        case .success(nil): break
        case .failure(let reason): problems.append(.init(field: field, reason: reason.description))
        }
    }

    /// Any key, to find the unknown ones.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A JSON value of a claim-file field, by its JSON type.
    enum FieldValue: Decodable {
        case null
        case text(String)
        case flag(Bool)
        case number(Double)
        case texts([String])
        /// An array that is not all strings.
        case otherArray
        /// An object.
        case object

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let s = try? c.decode(String.self) { self = .text(s) }
            else if let b = try? c.decode(Bool.self) { self = .flag(b) }
            else if let d = try? c.decode(Double.self) { self = .number(d) }
            else if let list = try? c.decode([String].self) { self = .texts(list) }
            else if (try? decoder.unkeyedContainer()) != nil { self = .otherArray }
            else { self = .object }
        }

        /// As claim-file text: strings (trimmed; empty is absent), whole numbers, booleans as `1`/`0`; `acts` also
        /// as a non-empty array of strings (joined with `;`).
        func claimFileText(acts: Bool) -> Result<String?, ClaimService.Reason> {
            switch self {
            case .null: return .success(nil)
            case .text(let s):
                let trimmed = s.trimmingCharacters(in: .whitespaces)
                return .success(trimmed.isEmpty ? nil : trimmed)
            case .flag(let b): return .success(b ? "1" : "0")
            case .number(let d):
                guard d == d.rounded(), abs(d) < 1e15 else { return .failure(.init("must be a whole number (amounts are integer cents)")) }
                return .success(String(Int64(d)))
            case .texts(let list) where acts && !list.isEmpty: return .success(list.joined(separator: ";"))
            case .texts where acts, .otherArray where acts:
                return .failure(.init("must be a non-empty array of act strings, e.g. [\"G\", \"MU\"]"))
            case .object where acts: return .failure(.init("must be a string or an array of strings"))
            case .texts, .otherArray, .object: return .failure(.init("must be a string or a number"))
            }
        }
    }
}
