#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Durable, monotonic lot numbers per practitioner (numéro de facturation).
///
/// The state lives in one small text file (`lot-numbers`, mode 0600) in the directory given, one line per
/// sender: `<9-digit billing number> <last lot number>`. Every reservation takes an exclusive `flock` on
/// `lot-numbers.lock` (so processes and instances sharing the directory never hand out the same number),
/// reads the file, writes the new state to a temporary file, `fsync`s it, renames it over the old one and
/// `fsync`s the directory: a number is durable before it is returned, and a crash leaves either the old
/// or the new file, never a torn one. Numbers are never reused, even when a lot built with one is dropped.
///
/// The calls block for the few milliseconds of the `fsync`s.
public struct LotNumberStore: Sendable {
    /// The directory holding the state.
    public let directory: URL
    /// The largest lot number.
    public static let maximum: UInt32 = 999_999_999

    /// A store in `directory` (created, mode 0700, when missing).
    public init(directory: URL) throws(LotNumberStoreError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LotNumberStoreError(path: directory.path, message: "cannot create the directory: \(error.localizedDescription)")
        }
    }

    private var statePath: String { directory.appendingPathComponent("lot-numbers").path }
    private var lockPath: String { directory.appendingPathComponent("lot-numbers.lock").path }

    /// The last number handed out for `sender` (0 when none).
    public func lastNumber(for sender: BillingNumber) throws(LotNumberStoreError) -> UInt32 {
        try withLock { () throws(LotNumberStoreError) -> UInt32 in try read()[sender.value] ?? 0 }
    }

    /// Reserves `count` consecutive numbers for `sender` and makes them durable; returns the first.
    public func reserve(_ count: Int = 1, for sender: BillingNumber) throws(LotNumberStoreError) -> UInt32 {
        precondition(count >= 1, "reserve at least one lot number")
        return try withLock { () throws(LotNumberStoreError) -> UInt32 in
            var state = try read()
            let last = state[sender.value] ?? 0
            guard UInt64(last) + UInt64(count) <= UInt64(LotNumberStore.maximum) else {
                throw LotNumberStoreError(path: statePath, message: "lot numbers exhausted for sender \(sender)")
            }
            state[sender.value] = last + UInt32(count)
            try write(state)
            return last + 1
        }
    }

    // MARK: File handling

    private func withLock<R>(_ body: () throws(LotNumberStoreError) -> R) throws(LotNumberStoreError) -> R {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error("cannot open the lock file", path: lockPath) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw error("cannot lock", path: lockPath) }
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }

    private func read() throws(LotNumberStoreError) -> [UInt32: UInt32] {
        guard FileManager.default.fileExists(atPath: statePath) else { return [:] }
        guard let data = FileManager.default.contents(atPath: statePath) else { throw error("cannot read", path: statePath) }
        var state: [UInt32: UInt32] = [:]
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let fields = line.split(separator: " ")
            guard fields.count == 2, fields[0].count == 9, let sender = UInt32(fields[0]), let last = UInt32(fields[1]),
                  last <= LotNumberStore.maximum, state[sender] == nil
            else {
                throw LotNumberStoreError(path: statePath, message: "line \(index + 1) is not '<9-digit billing number> <last lot number>'")
            }
            state[sender] = last
        }
        return state
    }

    private func write(_ state: [UInt32: UInt32]) throws(LotNumberStoreError) {
        var text = ""
        for (sender, last) in state.sorted(by: { $0.key < $1.key }) {
            text += "\(BillingNumber(value: sender)!) \(last)\n"
        }
        let temporary = statePath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error("cannot create", path: temporary) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { close(fd); throw error("cannot write", path: temporary) }
            written += n
        }
        guard fchmod(fd, 0o600) == 0, fsync(fd) == 0 else { close(fd); throw error("cannot sync", path: temporary) }
        close(fd)
        guard rename(temporary, statePath) == 0 else { throw error("cannot rename over", path: statePath) }
        let dirfd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            defer { close(dirfd) }
            guard fsync(dirfd) == 0 else { throw error("cannot sync the directory", path: directory.path) }
        }
    }

    private func error(_ what: String, path: String) -> LotNumberStoreError {
        LotNumberStoreError(path: path, message: "\(what): \(String(cString: strerror(errno)))")
    }
}

private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, pointer, count)
    #else
    return Darwin.write(fd, pointer, count)
    #endif
}

/// A failure of the lot number store: the file and what went wrong.
public struct LotNumberStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "lot numbers (\(path)): \(message)" }
}
