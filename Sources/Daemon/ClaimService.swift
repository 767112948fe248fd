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

    /// The request fields (docs/daemon-api.md, "Create a claim"), the names of the claim file format.
    static let requestFields: Set<String> = [
        "reference", "beneficiary", "patient", "care_date", "invoice_date", "insurance", "parcours", "exoneration", "tiers_payant", "acts",
        "total_cents", "amo_cents",
    ]
    /// The fields of `patient` (a beneficiary entered from the attestation de droits, or by the software).
    static let patientFields: Set<String> = ["nir", "nir_key", "birth_date", "rank", "quality", "amo", "amc", "rights_start", "rights_end", "without_card"]

    /// Creates a claim from the JSON `body`. `cardBeneficiary` gives the claim-file fields of the beneficiary
    /// at a position of the card in the reader (nil when there is no card).
    public func create(body: [UInt8], cardBeneficiary: @Sendable (Int) async -> Result<[String: String], ClaimCreationError>) async throws(ClaimCreationError) -> ClaimCreation {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw ClaimCreationError(status: 400, code: "bad_request", message: "the body must be a JSON object (docs/daemon-api.md)")
        }
        var problems: [ClaimCreationError.Problem] = []
        for key in object.keys.sorted() where !Self.requestFields.contains(key) {
            problems.append(.init(field: key, reason: "unknown field"))
        }
        var fields: [String: String] = [:]
        for (key, value) in object where Self.requestFields.contains(key) && key != "patient" && key != "beneficiary" {
            switch Self.text(value, acts: key == "acts") {
            case .success(let text?): fields[key] = text
            case .success(nil): break
            case .failure(let reason): problems.append(.init(field: key, reason: reason.description))
            }
        }
        if let reference = fields["reference"], reference.count > 64 {
            problems.append(.init(field: "reference", reason: "at most 64 characters"))
        }
        // Who: a beneficiary of the card in the reader, or a patient entered by hand.
        switch (object["beneficiary"], object["patient"]) {
        case (let b?, nil):
            guard let n = b as? NSNumber, String(cString: n.objCType) != "c", let position = Int(exactly: n.doubleValue), position >= 1 else {
                problems.append(.init(field: "beneficiary", reason: "must be the beneficiary's position on the card (1, 2, …)"))
                break
            }
            switch await cardBeneficiary(position) {
            case .success(let card): fields.merge(card) { request, _ in request }
            case .failure(let error): throw error
            }
        case (nil, let p?):
            guard let patient = p as? [String: Any] else {
                problems.append(.init(field: "patient", reason: "must be an object with nir, nir_key, birth_date, amo …"))
                break
            }
            for key in patient.keys.sorted() where !Self.patientFields.contains(key) {
                problems.append(.init(field: "patient.\(key)", reason: "unknown field"))
            }
            for (key, value) in patient where Self.patientFields.contains(key) {
                switch Self.text(value, acts: false) {
                case .success(let text?): fields[key] = text
                case .success(nil): break
                case .failure(let reason): problems.append(.init(field: "patient.\(key)", reason: reason.description))
                }
            }
        case (nil, nil):
            problems.append(.init(field: "beneficiary", reason: "required: the beneficiary's position on the card, or a 'patient' object"))
        case (_?, _?):
            problems.append(.init(field: "beneficiary", reason: "give either 'beneficiary' (from the card) or 'patient', not both"))
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
        let row = ClaimFileRow(file: "request", line: 1, fields: fields)
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
            let built = fse
            let careDate = fields["care_date"] ?? ""
            let addition = try await outbox.addNumbered(billingNumber: billing, count: 1, source: source) { number in
                guard let invoice = UInt32(exactly: number) else { throw Reason("invoice numbers exhausted") }
                var numbered = built
                numbered.invoiceNumber = invoice
                return [NewClaim(
                    billingNumber: billing, invoiceNumber: String(invoice), organism: numbered.destination.description, careDate: careDate,
                    patientMasked: "\(numbered.beneficiary.nir)", totalCents: Int64(numbered.totals.total), amoCents: Int64(numbered.totals.amo),
                    fse: try numbered.encoded(), source: source ?? "api")]
            }
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

    /// A JSON value as claim-file text: strings, integers, booleans; `acts` also as an array of strings.
    struct Reason: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func text(_ value: Any, acts: Bool) -> Result<String?, Reason> {
        switch value {
        case is NSNull: return .success(nil)
        case let s as String: return .success(s.trimmingCharacters(in: .whitespaces).isEmpty ? nil : s.trimmingCharacters(in: .whitespaces))
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .success(n.boolValue ? "1" : "0") }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 1e15 else { return .failure(Reason("must be a whole number (amounts are integer cents)")) }
            return .success(String(Int64(d)))
        case let list as [Any] where acts:
            guard let strings = list as? [String], !strings.isEmpty else { return .failure(Reason("must be a non-empty array of act strings, e.g. [\"G\", \"MU\"]")) }
            return .success(strings.joined(separator: ";"))
        default:
            return .failure(Reason(acts ? "must be a string or an array of strings" : "must be a string or a number"))
        }
    }
}
