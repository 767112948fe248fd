import Crypto
import Foundation
import DurableStorage
import GRDB
import GatewayAPI

/// The gateway's durable storage: every lot received (with its ARL) and every RSP, in SQLite (WAL,
/// synchronous FULL, file mode 0600).
public final class GatewayStore: Sendable {
    let pool: DatabasePool

    /// Opens (creating when needed) the database at `path`.
    public init(path: String) throws {
        pool = try DurableDatabase.open(path: path, busyTimeout: 10)
        try Self.migrator.migrate(pool)
    }

    /// SQLite's `synchronous` setting of the connection that writes (2 = FULL: every commit is synced to disk).
    public func writerSynchronousSetting() throws -> Int {
        try DurableDatabase.writerSynchronousSetting(pool)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE receipt (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    practitioner TEXT NOT NULL,
                    digest BLOB NOT NULL,
                    lot_number INTEGER,
                    organism TEXT,
                    positive INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    text TEXT NOT NULL,
                    invoice_count INTEGER NOT NULL,
                    received_at REAL NOT NULL,
                    size INTEGER NOT NULL,
                    bytes BLOB NOT NULL,
                    UNIQUE (practitioner, digest)
                );
                CREATE UNIQUE INDEX receipt_accepted_lot ON receipt (practitioner, lot_number) WHERE positive = 1;
                CREATE TABLE rsp (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
                    receipt_id INTEGER NOT NULL REFERENCES receipt (id),
                    practitioner TEXT NOT NULL,
                    lot_number INTEGER NOT NULL,
                    invoice_number TEXT NOT NULL,
                    organism TEXT NOT NULL,
                    paid INTEGER NOT NULL,
                    claimed_cents INTEGER NOT NULL,
                    paid_cents INTEGER NOT NULL,
                    payment_date TEXT,
                    reason_code TEXT,
                    reason_text TEXT,
                    available_at REAL NOT NULL,
                    UNIQUE (practitioner, lot_number, invoice_number)
                );
                CREATE INDEX rsp_stream ON rsp (practitioner, sequence);
                CREATE INDEX rsp_invoice ON rsp (practitioner, invoice_number);
                """)
        }
        m.registerMigration("v2: covering index for the duplicate-invoice lookup") { db in
            // Without statistics SQLite answered `practitioner = ? AND invoice_number = ?` from the covering unique
            // index (practitioner, lot_number, invoice_number) on `practitioner` alone: a scan of every RSP of the
            // practitioner for each FSE received, which made ingest quadratic. This index covers the lookup.
            try db.execute(sql: """
                DROP INDEX rsp_invoice;
                CREATE INDEX rsp_invoice_lot ON rsp (practitioner, invoice_number, lot_number);
                """)
        }
        registerBeneficiaryMigrations(&m)
        return m
    }

    /// What ``record(_:)`` did.
    public enum RecordResult: Sendable {
        /// A new receipt was stored with this ARL.
        case stored(ARL)
        /// The same bytes were already received from this practitioner: their ARL, unchanged.
        case replayed(ARL)
    }

    /// A lot received, ready to store.
    public struct IncomingLot: Sendable {
        public var practitioner: String
        public var bytes: [UInt8]
        public var verdict: Result<ProcessedLot, LotRefusal>
        public var receivedAt: Date
    }

    /// Stores a lot and its returns in one durable transaction, or returns the ARL already given for the same
    /// bytes. `midWrite` runs inside the transaction after the receipt row is written (fault injection).
    func record(
        _ lot: IncomingLot, processingDelay: TimeInterval, paymentDelayDays: Int,
        midWrite: @escaping @Sendable () -> Void = {}
    ) async throws -> RecordResult {
        let digest = Array(SHA256.hash(data: lot.bytes))
        return try await pool.write { db -> RecordResult in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM receipt WHERE practitioner = ? AND digest = ?", arguments: [lot.practitioner, Data(digest)]) {
                return .replayed(try Self.arl(row))
            }
            var verdict = lot.verdict
            if case .success(let processed) = verdict,
               let existing = try Row.fetchOne(db, sql: "SELECT id FROM receipt WHERE practitioner = ? AND lot_number = ? AND positive = 1", arguments: [lot.practitioner, processed.lotNumber]) {
                let id: Int64 = existing["id"]
                verdict = .failure(LotRefusal(.lotNumberReused, "lot number \(processed.lotNumber) was already accepted (ARL \(id)) with different content", lotNumber: processed.lotNumber))
            }
            let receivedAt = lot.receivedAt.timeIntervalSince1970
            switch verdict {
            case .failure(let refusal):
                try db.execute(sql: """
                    INSERT INTO receipt (practitioner, digest, lot_number, organism, positive, code, text, invoice_count, received_at, size, bytes)
                    VALUES (?, ?, ?, NULL, 0, ?, ?, 0, ?, ?, ?)
                    """, arguments: [lot.practitioner, Data(digest), refusal.lotNumber, refusal.code.rawValue, refusal.text, receivedAt, lot.bytes.count, Data(lot.bytes)])
            case .success(let processed):
                try db.execute(sql: """
                    INSERT INTO receipt (practitioner, digest, lot_number, organism, positive, code, text, invoice_count, received_at, size, bytes)
                    VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
                    """, arguments: [lot.practitioner, Data(digest), processed.lotNumber, processed.organism, ARLCode.accepted.rawValue,
                                     "lot \(processed.lotNumber) received: \(processed.invoices.count) FSE", processed.invoices.count,
                                     receivedAt, lot.bytes.count, Data(lot.bytes)])
                let receiptID = db.lastInsertedRowID
                midWrite()
                let available = receivedAt + processingDelay
                let paymentDate = Timestamps.day(lot.receivedAt.addingTimeInterval(Double(paymentDelayDays) * 86_400))
                let duplicateLookup = try db.cachedStatement(sql: "SELECT lot_number FROM rsp WHERE practitioner = ? AND invoice_number = ? LIMIT 1")
                let insertRSP = try db.cachedStatement(sql: """
                    INSERT INTO rsp (receipt_id, practitioner, lot_number, invoice_number, organism, paid, claimed_cents, paid_cents, payment_date, reason_code, reason_text, available_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (practitioner, lot_number, invoice_number) DO NOTHING
                    """)
                for invoice in processed.invoices {
                    var outcome = invoice.outcome
                    if let previous = try Int64.fetchOne(duplicateLookup, arguments: [lot.practitioner, invoice.invoiceNumber]) {
                        outcome = .rejected(.duplicateInvoice(lotNumber: previous))
                    }
                    let paid: Bool, paidCents: Int64, reason: RejectionReason?
                    switch outcome {
                    case .paid(let cents): (paid, paidCents, reason) = (true, cents, nil)
                    case .rejected(let r): (paid, paidCents, reason) = (false, 0, r)
                    }
                    try insertRSP.execute(arguments: [receiptID, lot.practitioner, processed.lotNumber, invoice.invoiceNumber, processed.organism,
                                         paid, invoice.claimedCents, paidCents, paid ? paymentDate : nil, reason?.code.rawValue, reason?.text, available])
                }
            }
            guard let receipt = try Row.fetchOne(db, sql: "SELECT * FROM receipt WHERE practitioner = ? AND digest = ?", arguments: [lot.practitioner, Data(digest)]) else {
                throw DatabaseError(resultCode: .SQLITE_INTERNAL, message: "receipt vanished inside its own transaction")
            }
            return .stored(try Self.arl(receipt))
        }
    }

    /// The ARL of the lot `lotNumber` of `practitioner`: the accepted one when there is one, otherwise the
    /// latest refusal naming that number.
    public func arl(practitioner: String, lotNumber: Int64) async throws -> ARL? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM receipt WHERE practitioner = ? AND lot_number = ? ORDER BY positive DESC, id DESC LIMIT 1
                """, arguments: [practitioner, lotNumber]).map(Self.arl)
        }
    }

    /// The ARL with identifier `id`, if it belongs to `practitioner`.
    public func arl(practitioner: String, id: Int64) async throws -> ARL? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM receipt WHERE practitioner = ? AND id = ?", arguments: [practitioner, id]).map(Self.arl)
        }
    }

    /// Returns of `practitioner` after `cursor`, at most `limit`, available at `now`.
    public func returns(practitioner: String, after cursor: Int64, limit: Int, now: Date) async throws -> ReturnsPage {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM rsp WHERE practitioner = ? AND sequence > ? AND available_at <= ? ORDER BY sequence LIMIT ?
                """, arguments: [practitioner, cursor, now.timeIntervalSince1970, limit])
            let returns = try rows.map { row in
                RSP(
                    sequence: row["sequence"], lotNumber: row["lot_number"], invoiceNumber: row["invoice_number"],
                    organism: row["organism"], status: (row["paid"] as Bool) ? .paid : .rejected,
                    claimedCents: row["claimed_cents"], paidCents: row["paid_cents"], paymentDate: row["payment_date"],
                    reasonCode: try Self.stored(RejectionCode.self, row["reason_code"], column: "rsp.reason_code"), reasonText: row["reason_text"])
            }
            return ReturnsPage(returns: returns, nextCursor: returns.last?.sequence ?? cursor)
        }
    }

    /// Counts, for tests and operators.
    public struct Counts: Sendable, Equatable {
        /// Lots accepted (positive ARL).
        public var acceptedLots: Int
        /// Lots refused (negative ARL).
        public var refusedLots: Int
        /// FSEs received in accepted lots (one RSP each).
        public var invoices: Int
        /// Distinct invoice numbers received.
        public var distinctInvoices: Int
        /// FSEs paid, and the sum paid in cents.
        public var paid: Int
        public var paidCents: Int64

        public init(acceptedLots: Int, refusedLots: Int, invoices: Int, distinctInvoices: Int, paid: Int, paidCents: Int64) {
            self.acceptedLots = acceptedLots
            self.refusedLots = refusedLots
            self.invoices = invoices
            self.distinctInvoices = distinctInvoices
            self.paid = paid
            self.paidCents = paidCents
        }
    }

    /// Counts over all practitioners, or one.
    public func counts(practitioner: String? = nil) throws -> Counts {
        try pool.read { db in
            let filter = practitioner == nil ? "1 = 1" : "practitioner = ?"
            let args: StatementArguments = practitioner.map { [$0] } ?? []
            let accepted = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM receipt WHERE positive = 1 AND \(filter)", arguments: args) ?? 0
            let refused = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM receipt WHERE positive = 0 AND \(filter)", arguments: args) ?? 0
            let invoices = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rsp WHERE \(filter)", arguments: args) ?? 0
            let distinct = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT practitioner || '/' || invoice_number) FROM rsp WHERE \(filter)", arguments: args) ?? 0
            let paid = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rsp WHERE paid = 1 AND \(filter)", arguments: args) ?? 0
            let cents = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(paid_cents), 0) FROM rsp WHERE \(filter)", arguments: args) ?? 0
            return Counts(acceptedLots: accepted, refusedLots: refused, invoices: invoices, distinctInvoices: distinct, paid: paid, paidCents: cents)
        }
    }

    static func arl(_ row: Row) throws -> ARL {
        let positive: Bool = row["positive"]
        let digest: Data = row["digest"]
        let rawCode: String = row["code"]
        guard let code = ARLCode(rawValue: rawCode) else { throw CorruptValue(column: "receipt.code", value: rawCode) }
        return ARL(
            arlId: row["id"], lotNumber: row["lot_number"], status: positive ? .positive : .negative,
            code: code, text: row["text"], organism: row["organism"], invoiceCount: row["invoice_count"],
            digest: Hex.encode(digest), receivedAt: Timestamps.iso8601(Date(timeIntervalSince1970: row["received_at"])))
    }

    /// A stored code this version does not know: the store was written by something else, or damaged.
    public struct CorruptValue: Error, CustomStringConvertible, Sendable {
        /// `table.column`.
        public var column: String
        /// The value found (a code, never personal data).
        public var value: String
        public var description: String { "the gateway store holds '\(value.prefix(40))' in \(column), which is not a known code" }
    }

    static func stored<T: RawRepresentable>(_ type: T.Type, _ raw: String?, column: String) throws -> T? where T.RawValue == String {
        guard let raw else { return nil }
        guard let value = T(rawValue: raw) else { throw CorruptValue(column: column, value: raw) }
        return value
    }
}
