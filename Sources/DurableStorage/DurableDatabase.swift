import Foundation
import GRDB

/// Opens the project's SQLite databases (the outbox, the insurer gateway's store) the one way that keeps what
/// they promise: files created 0600 (they hold claims), WAL, and `synchronous = FULL` on the writer so that every
/// commit is on disk when it returns.
public enum DurableDatabase {
    /// A database file that cannot be created.
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Opens (creating when needed) the database at `path`, waiting up to `busyTimeout` seconds for a lock.
    public static func open(path: String, busyTimeout: TimeInterval) throws -> DatabasePool {
        try protect(path: path)
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        let pool = try DatabasePool(path: path, configuration: config)
        // GRDB turns WAL on when it opens the pool, setting `synchronous = NORMAL` on the writer (a commit may then
        // be lost on a power cut): set FULL on the writer, outside a transaction, so every commit is synced.
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        protectCompanions(of: path)
        return pool
    }

    /// SQLite's `synchronous` setting of the connection that writes (2 = FULL: every commit is synced to disk).
    public static func writerSynchronousSetting(_ pool: DatabasePool) throws -> Int {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Creates the database file with mode 0600 before SQLite opens it (SQLite gives the WAL and shared-memory
    /// files the mode of the database file). Only before: closing a descriptor of a database this process has
    /// open would drop SQLite's POSIX locks on it.
    static func protect(path: String) throws {
        let fd = Foundation.open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Error(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o600)
        close(fd)
        protectCompanions(of: path)
    }

    /// Sets 0600 on the WAL and shared-memory files when they exist (by path: no descriptor is opened).
    static func protectCompanions(of path: String) {
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            chmod(path + suffix, 0o600)
        }
    }
}
