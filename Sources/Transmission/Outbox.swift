import Claims
import Crypto
import DurableStorage
import Foundation
import GatewayAPI
import GRDB
import Logging

/// The durable outbox of FSEs and lots (SQLite in WAL mode, synchronous FULL, file mode 0600).
///
/// Every FSE is stored before anything else happens to it; each move to a later state is one durable
/// transaction. A lot's number and bytes are stored before the lot is sent, so after a crash the same lot is
/// resent byte for byte and the insurer counts it once.
public final class Outbox: Sendable {
    let pool: DatabasePool
    let logger: Logger

    /// Errors of the outbox: what went wrong (``Kind``) and, for a person, where.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        /// What went wrong.
        public enum Kind: Sendable, Equatable {
            /// The invoice number is already in the outbox for the practitioner.
            case duplicateInvoice
            /// The FSE or lot is not in the state the move starts from.
            case wrongState
            /// A stored state this version does not know (a newer version wrote it, or the file is damaged).
            case unknownState
            /// A stored record that cannot be what it should (a lot without FSEs, a signed FSE too short…).
            case corruptRecord
        }
        public var kind: Kind
        public var description: String
        init(_ kind: Kind, _ description: String) {
            self.kind = kind
            self.description = description
        }
    }

    /// Opens (creating when needed) the outbox at `path`.
    public init(path: String, logger: Logger = Logger(label: "openvitale.outbox")) throws {
        pool = try DurableDatabase.open(path: path, busyTimeout: 30)
        self.logger = logger
        try Self.migrator.migrate(pool)
    }

    /// SQLite's `synchronous` setting of the connection that writes (2 = FULL: every commit is synced to disk).
    public func writerSynchronousSetting() async throws -> Int {
        try await pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE lot (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    billing_number TEXT NOT NULL,
                    lot_number INTEGER NOT NULL,
                    organism TEXT NOT NULL,
                    state TEXT NOT NULL,
                    bytes BLOB,
                    fse_count INTEGER NOT NULL,
                    amo_cents INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    arl_id INTEGER,
                    arl_code TEXT,
                    arl_text TEXT,
                    created_at REAL NOT NULL,
                    sent_at REAL,
                    answered_at REAL,
                    UNIQUE (billing_number, lot_number)
                );
                CREATE TABLE claim (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    billing_number TEXT NOT NULL,
                    invoice_number TEXT NOT NULL,
                    organism TEXT NOT NULL,
                    care_date TEXT NOT NULL,
                    patient_masked TEXT NOT NULL,
                    total_cents INTEGER NOT NULL,
                    amo_cents INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    fse BLOB NOT NULL,
                    signed_fse BLOB,
                    lot_id INTEGER REFERENCES lot (id),
                    source TEXT,
                    paid_cents INTEGER,
                    payment_date TEXT,
                    reason_code TEXT,
                    reason_text TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    UNIQUE (billing_number, invoice_number)
                );
                CREATE INDEX claim_state ON claim (state, billing_number, organism);
                CREATE INDEX claim_lot ON claim (lot_id);
                CREATE TABLE counter (
                    billing_number TEXT NOT NULL,
                    name TEXT NOT NULL,
                    value INTEGER NOT NULL,
                    PRIMARY KEY (billing_number, name)
                );
                """)
        }
        m.registerMigration("v2-claim-source") { db in
            try db.execute(sql: "CREATE INDEX claim_source ON claim (source, billing_number)")
        }
        return m
    }

    // MARK: Numbering

    /// The outbox's durable counters, per practitioner.
    public enum Counter: String, Sendable, CaseIterable, DatabaseValueConvertible {
        /// The last invoice number (numéro de facture) given.
        case invoice
        /// The last lot number (numéro de lot) given.
        case lot
        /// The sequence of the last return (RSP) reconciled: the cursor of `GET /v1/returns`.
        case returnsCursor = "returns-cursor"
    }

    /// Reserves `count` consecutive numbers of the counter `name` of a practitioner, durably, and returns the
    /// first. Used for invoice numbers (`invoice`) and lot numbers (`lot`).
    public func reserve(_ name: Counter, count: Int = 1, billingNumber: BillingNumber) async throws -> Int64 {
        try await pool.write { db in try Self.reserve(db, name, count: count, billingNumber: billingNumber) }
    }

    static func reserve(_ db: Database, _ name: Counter, count: Int, billingNumber: BillingNumber) throws -> Int64 {
        let current = try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE billing_number = ? AND name = ?", arguments: [billingNumber, name]) ?? 0
        try db.execute(sql: """
            INSERT INTO counter (billing_number, name, value) VALUES (?, ?, ?)
            ON CONFLICT (billing_number, name) DO UPDATE SET value = excluded.value
            """, arguments: [billingNumber, name, current + Int64(count)])
        return current + 1
    }

    /// The current value of the counter `name` (the last number reserved; 0 when none).
    public func counter(_ name: Counter, billingNumber: BillingNumber) async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE billing_number = ? AND name = ?", arguments: [billingNumber, name]) ?? 0
        }
    }

    /// The practitioners (numéros de facturation) the outbox holds FSEs for.
    public func practitioners() async throws -> [BillingNumber] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT DISTINCT billing_number FROM claim ORDER BY billing_number")
                .map { try StoredValue.decode(BillingNumber.self, $0, "billing_number", table: "claim") }
        }
    }

    /// The practitioners with something to send or to follow: lots ready or sent without ARL, FSEs sent or
    /// acknowledged and waiting for their return.
    public func billingNumbersWithWork() async throws -> [BillingNumber] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT billing_number FROM lot WHERE state IN (?, ?)
                UNION SELECT billing_number FROM claim WHERE state IN (?, ?)
                ORDER BY billing_number
                """, arguments: [LotState.ready, LotState.sent, ClaimState.sent, ClaimState.acknowledged])
                .map { try StoredValue.decode(BillingNumber.self, $0, "billing_number", table: "lot or claim") }
        }
    }

    /// Makes sure the counter `name` is at least `value` (e.g. lot numbers already used elsewhere).
    public func raise(_ name: Counter, to value: Int64, billingNumber: BillingNumber) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO counter (billing_number, name, value) VALUES (?, ?, ?)
                ON CONFLICT (billing_number, name) DO UPDATE SET value = max(value, excluded.value)
                """, arguments: [billingNumber, name, value])
        }
    }

    // MARK: FSEs

    /// Stores built FSEs (state ``ClaimState/built``) in one durable transaction; returns their ids in order.
    /// Refuses an invoice number already in the outbox for the same practitioner.
    @discardableResult
    public func add(_ claims: [NewClaim]) async throws -> [ClaimID] {
        try await pool.write { db in try Self.insert(db, claims) }
    }

    /// What ``addNumbered(billingNumber:count:source:_:)`` did.
    public enum NumberedAddition: Sendable, Equatable {
        /// The claims were stored with invoice numbers from `firstInvoice` on; their ids in order.
        case added(ids: [ClaimID], firstInvoice: Int64)
        /// An FSE of the practitioner already came from the same source (a retried request): nothing stored.
        case existing(ClaimID)
    }

    /// Reserves `count` invoice numbers of `billingNumber` and stores the claims `build` makes with the first of
    /// them, all in one durable transaction. When `source` is given and an FSE of the practitioner already came
    /// from it, stores nothing and answers that FSE (so concurrent retries of one request store it once).
    public func addNumbered(
        billingNumber: BillingNumber, count: Int, source: String? = nil, _ build: @escaping @Sendable (_ firstInvoice: Int64) throws -> [NewClaim]
    ) async throws -> NumberedAddition {
        try await pool.write { db in
            if let source, let existing = try ClaimID.fetchOne(db, sql: """
                SELECT id FROM claim WHERE source = ? AND billing_number = ? ORDER BY id LIMIT 1
                """, arguments: [source, billingNumber]) {
                return .existing(existing)
            }
            let first = try Self.reserve(db, .invoice, count: count, billingNumber: billingNumber)
            return .added(ids: try Self.insert(db, try build(first)), firstInvoice: first)
        }
    }

    static func insert(_ db: Database, _ claims: [NewClaim]) throws -> [ClaimID] {
        let now = Date().timeIntervalSince1970
        var ids: [ClaimID] = []
        ids.reserveCapacity(claims.count)
        for c in claims {
            do {
                try db.execute(sql: """
                    INSERT INTO claim (billing_number, invoice_number, organism, care_date, patient_masked, total_cents, amo_cents,
                                       state, fse, source, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [c.billingNumber, c.invoiceNumber, c.organism, c.careDate, c.patientMasked, c.totalCents, c.amoCents,
                                     ClaimState.built, Data(c.fse), c.source, now, now])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw Error(.duplicateInvoice, "invoice \(c.invoiceNumber) of practitioner \(c.billingNumber) is already in the outbox")
            }
            ids.append(ClaimID(rawValue: db.lastInsertedRowID))
        }
        return ids
    }

    /// Stores one built FSE.
    public func add(_ claim: NewClaim) async throws -> ClaimID { try await add([claim])[0] }

    /// The built (unsigned) bytes of an FSE.
    public func builtFSE(_ id: ClaimID) async throws -> [UInt8]? {
        try await pool.read { db in try Data.fetchOne(db, sql: "SELECT fse FROM claim WHERE id = ?", arguments: [id]).map { Array($0) } }
    }

    /// The FSEs of `billingNumber` still built (stored, not signed), oldest first, with their encoded bytes.
    public func builtFSEs(billingNumber: BillingNumber) async throws -> [(id: ClaimID, fse: [UInt8])] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, fse FROM claim WHERE state = ? AND billing_number = ? ORDER BY id", arguments: [ClaimState.built, billingNumber])
                .map { (id: try $0.decode(forColumn: "id"), fse: Array(try $0.decode(Data.self, forColumn: "fse"))) }
        }
    }

    /// Records the CPS signature of FSEs: built → signed (several in one transaction).
    public func markSigned(_ signed: [(id: ClaimID, signedFSE: [UInt8])]) async throws {
        try await pool.write { db in
            let now = Date().timeIntervalSince1970
            for (id, bytes) in signed {
                try db.execute(sql: "UPDATE claim SET state = ?, signed_fse = ?, updated_at = ? WHERE id = ? AND state = ?",
                               arguments: [ClaimState.signed, Data(bytes), now, id, ClaimState.built])
                guard db.changesCount == 1 else { throw Error(.wrongState, "FSE \(id) is not in state built") }
            }
        }
    }

    /// FSEs in a state, oldest first.
    public func claims(in states: Set<ClaimState>? = nil, billingNumber: BillingNumber? = nil, limit: Int = .max) async throws -> [ClaimRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let states {
                conditions.append("c.state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
                args += states.sorted().map { $0 as any DatabaseValueConvertible }
            }
            if let billingNumber { conditions.append("c.billing_number = ?"); args.append(billingNumber) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try ClaimRecord.fetchAll(db, sql: """
                SELECT c.*, l.lot_number FROM claim c LEFT JOIN lot l ON l.id = c.lot_id \(whereClause) ORDER BY c.id LIMIT ?
                """, arguments: StatementArguments(args + [limit]))
        }
    }

    /// One FSE by id.
    public func claim(_ id: ClaimID) async throws -> ClaimRecord? {
        try await pool.read { db in
            try ClaimRecord.fetchOne(db, sql: "SELECT c.*, l.lot_number FROM claim c LEFT JOIN lot l ON l.id = c.lot_id WHERE c.id = ?", arguments: [id])
        }
    }

    /// The FSE stored with `source` for a practitioner (e.g. an API client's idempotency reference), if any.
    public func claim(source: String, billingNumber: BillingNumber) async throws -> ClaimRecord? {
        try await pool.read { db in
            try ClaimRecord.fetchOne(db, sql: """
                SELECT c.*, l.lot_number FROM claim c LEFT JOIN lot l ON l.id = c.lot_id
                WHERE c.source = ? AND c.billing_number = ? ORDER BY c.id LIMIT 1
                """, arguments: [source, billingNumber])
        }
    }

    // MARK: Lots

    /// Forms lots from signed FSEs: one lot per (practitioner, organism), cut by the lot format's limits
    /// (``LotLimits/cut(_:)``: at most `limits.maximumFSEs` FSEs and `limits.maximumBytes` bytes each).
    /// Allocates each lot's number and moves its FSEs to ``ClaimState/inLot`` in one transaction; the lot is
    /// ``LotState/assembling`` until ``storeLotBytes(_:bytes:)``. Returns what each lot must contain.
    public func formLots(limits: LotLimits = .standard, billingNumber: BillingNumber? = nil) async throws -> [LotRequest] {
        try await pool.write { db in
            let now = Date().timeIntervalSince1970
            var filter = ""
            var args: [any DatabaseValueConvertible] = [ClaimState.signed]
            if let billingNumber { filter = "AND billing_number = ?"; args.append(billingNumber) }
            let groups = try Row.fetchAll(db, sql: """
                SELECT billing_number, organism FROM claim WHERE state = ? \(filter) GROUP BY billing_number, organism ORDER BY MIN(id)
                """, arguments: StatementArguments(args))
            let insertLot = try db.cachedStatement(sql: """
                INSERT INTO lot (billing_number, lot_number, organism, state, fse_count, amo_cents, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            let moveClaim = try db.cachedStatement(sql: "UPDATE claim SET state = ?, lot_id = ?, updated_at = ? WHERE id = ?")
            var requests: [LotRequest] = []
            for group in groups {
                let billing = try StoredValue.decode(BillingNumber.self, group, "billing_number", table: "claim")
                let organism = try StoredValue.decode(DestinationOrganism.self, group, "organism", table: "claim")
                let rows = try Row.fetchAll(db, sql: """
                    SELECT id, invoice_number, amo_cents, signed_fse FROM claim
                    WHERE state = ? AND billing_number = ? AND organism = ? ORDER BY id
                    """, arguments: [ClaimState.signed, billing, organism])
                var fses: [(id: ClaimID, invoiceNumber: String, amoCents: Int64, signedFSE: [UInt8])] = []
                fses.reserveCapacity(rows.count)
                for row in rows {
                    fses.append((try row.decode(forColumn: "id"), try row.decode(forColumn: "invoice_number"),
                                 try row.decode(forColumn: "amo_cents"), Array(try row.decode(Data.self, forColumn: "signed_fse"))))
                }
                // A stored signed FSE is the record and its signature: exactly what it takes in a lot.
                let cuts: [Range<Int>]
                do { cuts = try limits.cut(fses.map { $0.signedFSE.count }) } catch {
                    throw Error(.corruptRecord, "practitioner \(billing), organism \(organism): \(error)")
                }
                for cut in cuts {
                    let number = try Self.reserve(db, .lot, count: 1, billingNumber: billing)
                    let members = fses[cut]
                    let amo = members.reduce(Int64(0)) { $0 + $1.amoCents }
                    try insertLot.execute(arguments: [billing, number, organism, LotState.assembling, members.count, amo, now])
                    let lotID = LotID(rawValue: db.lastInsertedRowID)
                    for member in members { try moveClaim.execute(arguments: [ClaimState.inLot, lotID, now, member.id]) }
                    requests.append(LotRequest(lotID: lotID, billingNumber: billing, lotNumber: number, organism: organism,
                                               fses: members.map { ($0.id, $0.invoiceNumber, $0.signedFSE) }))
                }
            }
            return requests
        }
    }

    /// Lots still assembling (their bytes were never stored, e.g. after a crash): what they must contain, with
    /// their number unchanged.
    public func lotsToAssemble() async throws -> [LotRequest] {
        try await pool.read { db in
            let lots = try Row.fetchAll(db, sql: "SELECT id, billing_number, lot_number, organism FROM lot WHERE state = ? ORDER BY id",
                                        arguments: [LotState.assembling])
            return try lots.map { lot in
                let id: LotID = try lot.decode(forColumn: "id")
                let rows = try Row.fetchAll(db, sql: "SELECT id, invoice_number, signed_fse FROM claim WHERE lot_id = ? ORDER BY id", arguments: [id])
                return LotRequest(lotID: id, billingNumber: try StoredValue.decode(BillingNumber.self, lot, "billing_number", table: "lot"),
                                  lotNumber: try lot.decode(forColumn: "lot_number"),
                                  organism: try StoredValue.decode(DestinationOrganism.self, lot, "organism", table: "lot"),
                                  fses: try rows.map { (try $0.decode(forColumn: "id"), try $0.decode(forColumn: "invoice_number"),
                                                        Array(try $0.decode(Data.self, forColumn: "signed_fse"))) })
            }
        }
    }

    /// Stores a lot's signed bytes: assembling → ready. From then on the lot is only ever sent with these bytes.
    public func storeLotBytes(_ lotID: LotID, bytes: [UInt8]) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE lot SET state = ?, bytes = ? WHERE id = ? AND state = ?",
                           arguments: [LotState.ready, Data(bytes), lotID, LotState.assembling])
            guard db.changesCount == 1 else { throw Error(.wrongState, "lot \(lotID) is not assembling") }
        }
    }

    /// Lots to send (ready, or sent without an ARL), oldest first.
    public func lotsToSend(billingNumber: BillingNumber? = nil) async throws -> [LotRecord] {
        try await lots(in: [.ready, .sent], billingNumber: billingNumber)
    }

    /// Lots in some states.
    public func lots(in states: Set<LotState>? = nil, billingNumber: BillingNumber? = nil) async throws -> [LotRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var args: [any DatabaseValueConvertible] = []
            if let states {
                conditions.append("state IN (\(states.map { _ in "?" }.joined(separator: ",")))")
                args += states.map { $0 as any DatabaseValueConvertible }
            }
            if let billingNumber { conditions.append("billing_number = ?"); args.append(billingNumber) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return try LotRecord.fetchAll(db, sql: "SELECT * FROM lot \(whereClause) ORDER BY id", arguments: StatementArguments(args))
        }
    }

    /// Records that a lot is about to be transmitted: ready → sent (its FSEs in_lot → sent), attempts + 1.
    /// Done before the request leaves, so a crash during the request leaves the lot to resend.
    public func markSending(_ lotID: LotID) async throws {
        try await pool.write { db in
            let now = Date().timeIntervalSince1970
            try db.execute(sql: "UPDATE lot SET state = ?, attempts = attempts + 1, sent_at = ? WHERE id = ? AND state IN (?, ?)",
                           arguments: [LotState.sent, now, lotID, LotState.ready, LotState.sent])
            guard db.changesCount == 1 else { throw Error(.wrongState, "lot \(lotID) is not ready to send") }
            try db.execute(sql: "UPDATE claim SET state = ?, updated_at = ? WHERE lot_id = ? AND state = ?",
                           arguments: [ClaimState.sent, now, lotID, ClaimState.inLot])
        }
    }

    /// Records a failed transmission (no ARL): the lot stays to resend.
    public func recordFailure(_ lotID: LotID, error: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE lot SET last_error = ? WHERE id = ?", arguments: [error, lotID])
        }
    }

    /// Records the ARL of a lot: positive → the lot and its FSEs acknowledged; negative → refused, with the reason.
    public func recordARL(_ lotID: LotID, _ arl: ARL) async throws {
        try await pool.write { db in
            let now = Date().timeIntervalSince1970
            let state: LotState = arl.isPositive ? .acknowledged : .refused
            try db.execute(sql: """
                UPDATE lot SET state = ?, arl_id = ?, arl_code = ?, arl_text = ?, answered_at = ?, last_error = NULL
                WHERE id = ? AND state IN (?, ?)
                """, arguments: [state, arl.arlId, arl.code.rawValue, arl.text, now, lotID, LotState.ready, LotState.sent])
            guard db.changesCount == 1 else { return }  // already answered: keep the first ARL
            if arl.isPositive {
                try db.execute(sql: "UPDATE claim SET state = ?, updated_at = ? WHERE lot_id = ? AND state IN (?, ?)",
                               arguments: [ClaimState.acknowledged, now, lotID, ClaimState.inLot, ClaimState.sent])
            } else {
                try db.execute(sql: """
                    UPDATE claim SET state = ?, reason_code = ?, reason_text = ?, updated_at = ? WHERE lot_id = ? AND state IN (?, ?)
                    """, arguments: [ClaimState.refused, arl.code.rawValue, arl.text, now, lotID, ClaimState.inLot, ClaimState.sent])
            }
        }
    }

    /// Puts FSEs refused with their lot back to ``ClaimState/signed``, to go in a new lot (with a new number).
    @discardableResult
    public func requeueRefused(billingNumber: BillingNumber? = nil) async throws -> Int {
        try await pool.write { db in
            var filter = ""
            var args: [any DatabaseValueConvertible] = [ClaimState.signed, Date().timeIntervalSince1970, ClaimState.refused]
            if let billingNumber { filter = "AND billing_number = ?"; args.append(billingNumber) }
            try db.execute(sql: """
                UPDATE claim SET state = ?, lot_id = NULL, reason_code = NULL, reason_text = NULL, updated_at = ? WHERE state = ? \(filter)
                """, arguments: StatementArguments(args))
            return db.changesCount
        }
    }

    // MARK: Returns

    /// The cursor of the returns already reconciled for a practitioner.
    public func returnsCursor(billingNumber: BillingNumber) async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE billing_number = ? AND name = ?", arguments: [billingNumber, Counter.returnsCursor]) ?? 0
        }
    }

    /// What a reconciliation did.
    public struct Reconciliation: Sendable, Equatable {
        public var paid = 0
        public var rejected = 0
        /// Returns naming an invoice the outbox does not hold (reported, not applied).
        public var unmatched: [String] = []
        public var paidCents: Int64 = 0

        public init() {}
    }

    /// Applies a page of returns to the FSEs they name and moves the cursor, in one transaction.
    public func reconcile(_ page: ReturnsPage, billingNumber: BillingNumber) async throws -> Reconciliation {
        try await pool.write { db in
            let now = Date().timeIntervalSince1970
            var result = Reconciliation()
            for rsp in page.returns {
                let state: ClaimState = rsp.isPaid ? .paid : .rejected
                try db.execute(sql: """
                    UPDATE claim SET state = ?, paid_cents = ?, payment_date = ?, reason_code = ?, reason_text = ?, updated_at = ?
                    WHERE billing_number = ? AND invoice_number = ?
                      AND lot_id IN (SELECT id FROM lot WHERE billing_number = ? AND lot_number = ?)
                      AND state IN (?, ?, ?, ?)
                    """, arguments: [state, rsp.paidCents, rsp.paymentDate, rsp.reasonCode?.rawValue, rsp.reasonText, now,
                                     billingNumber, rsp.invoiceNumber, billingNumber, rsp.lotNumber,
                                     ClaimState.sent, ClaimState.acknowledged, ClaimState.paid, ClaimState.rejected])
                if db.changesCount == 0 {
                    result.unmatched.append("lot \(rsp.lotNumber) invoice \(rsp.invoiceNumber)")
                } else if rsp.isPaid {
                    result.paid += 1
                    result.paidCents += rsp.paidCents
                } else {
                    result.rejected += 1
                }
            }
            try db.execute(sql: """
                INSERT INTO counter (billing_number, name, value) VALUES (?, ?, ?)
                ON CONFLICT (billing_number, name) DO UPDATE SET value = max(value, excluded.value)
                """, arguments: [billingNumber, Counter.returnsCursor, page.nextCursor])
            return result
        }
    }

    // MARK: Summary

    /// Counts and amounts per state.
    public func summary(billingNumber: BillingNumber? = nil) async throws -> OutboxSummary {
        try await pool.read { db in
            let filter = billingNumber == nil ? "" : "WHERE billing_number = ?"
            let args: StatementArguments = billingNumber.map { [$0] } ?? []
            var claims: [ClaimState: OutboxSummary.Line] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT state, COUNT(*) AS n, SUM(total_cents) AS total, SUM(amo_cents) AS amo, COALESCE(SUM(paid_cents), 0) AS paid
                FROM claim \(filter) GROUP BY state
                """, arguments: args) {
                let state = try StoredState.decode(ClaimState.self, row, table: "claim")
                claims[state] = .init(count: try row.decode(forColumn: "n"), totalCents: try row.decode(forColumn: "total"),
                                      amoCents: try row.decode(forColumn: "amo"), paidCents: try row.decode(forColumn: "paid"))
            }
            var lots: [LotState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM lot \(filter) GROUP BY state", arguments: args) {
                lots[try StoredState.decode(LotState.self, row, table: "lot")] = try row.decode(forColumn: "n")
            }
            return OutboxSummary(claims: claims, lots: lots)
        }
    }
}
