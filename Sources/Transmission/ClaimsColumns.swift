import Claims
import GRDB

// How the outbox stores Claims' types: as the text it always wrote (so existing outboxes read back unchanged).

/// A numéro de facturation is stored as its 9 digits.
extension BillingNumber: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> BillingNumber? {
        String.fromDatabaseValue(dbValue).flatMap { try? BillingNumber($0) }
    }
}

/// A destination organism is stored as `RR CCC III`.
extension DestinationOrganism: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> DestinationOrganism? {
        String.fromDatabaseValue(dbValue).flatMap { DestinationOrganism(parsing: $0) }
    }
}

/// A claim date is stored as `YYYY-MM-DD`.
extension ClaimDate: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> ClaimDate? {
        String.fromDatabaseValue(dbValue).flatMap { try? ClaimDate($0) }
    }
}

/// Reads typed columns of outbox rows: a stored value that is not what the column holds is an error naming the
/// table, the row and the column (never the row's other values, which include the FSE).
enum StoredValue {
    static func decode<T: DatabaseValueConvertible>(_ type: T.Type, _ row: Row, _ column: String, table: String) throws -> T {
        let value: DatabaseValue = row[column] ?? .null
        guard let decoded = T.fromDatabaseValue(value) else {
            let id: Int64? = row["id"]
            throw Outbox.Error(.corruptRecord, "\(table) \(id.map(String.init) ?? "?"): column \(column) does not hold a \(T.self)")
        }
        return decoded
    }
}
