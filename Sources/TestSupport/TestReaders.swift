import Synchronization
import Foundation
import PCSC
#if canImport(Glibc)
import Glibc
#endif

/// One of the two-slot virtual test readers of `Hardware/reader.conf.d/openvitale-test-readers`, leased by a
/// single test at a time (across processes too, through a lock file), so tests never share a slot.
public final class TestReaderLease: Sendable {
    /// 0 to 5.
    public let index: Int
    private let fd: Int32
    private let usersFD: Int32

    /// The pcscd name prefix of the reader (`"OpenVitale Test 3"`); slot names add `" 00 00"`-style suffixes.
    public var friendlyName: String { "OpenVitale Test \(index)" }
    /// The vpcd TCP port of slot 0 (a card connects here to be "inserted" in slot 0).
    public var slot0Port: UInt16 { UInt16(36000 + 2 * index) }
    /// The vpcd TCP port of slot 1.
    public var slot1Port: UInt16 { slot0Port + 1 }

    /// The name pcscd gives slot `slot` (0 or 1) of this reader: `"OpenVitale Test 3 00 01"` (pcscd names readers
    /// `"<FRIENDLYNAME> %02X %02X"`, a number among readers of the same name, then the slot).
    public func readerName(slot: Int) -> String {
        "\(friendlyName) 00 0\(slot)"
    }

    init(index: Int, fd: Int32, usersFD: Int32) {
        self.index = index
        self.fd = fd
        self.usersFD = usersFD
    }

    private let released = Mutex(false)

    /// Waits (up to `deadline`) until pcscd lists both slots and reports no card in them. A card still there
    /// after the deadline is reported on standard error and left for the test to trip on.
    func waitUntilEmpty(deadline: Duration = .seconds(10)) async {
        do {
            let context = try await PCSCContext()
            defer { Task { await context.release() } }
            for slot in 0...1 {
                try await context.waitForReader(readerName(slot: slot), deadline: deadline)
                try await context.waitForCard(in: readerName(slot: slot), present: false, deadline: deadline)
            }
        } catch {
            FileHandle.standardError.write(Data("TestReaders: \(friendlyName) not empty at lease: \(error)\n".utf8))
        }
    }

    /// Gives the reader back (also done on deinit).
    public func release() {
        released.withLock { released in
            guard !released else { return }
            released = true
            close(fd)
            if usersFD >= 0 {
                close(usersFD)
                TestReaders.heldLeases.add(-1)
            }
        }
    }

    deinit { release() }
}

/// Hands out the virtual test readers.
///
/// Every lease also holds a shared lock on `/tmp/openvitale-pcscd-users.lock`; the one test that restarts pcscd
/// (``PCSCDaemon/withExclusiveUse(deadline:_:)``) takes it exclusively, after announcing itself through
/// `/tmp/openvitale-pcscd-restart.lock` so that no new lease starts meanwhile. Tests in other processes and
/// other test targets are thus never disturbed by the restart: they wait for it.
public enum TestReaders {
    public static let count = 6

    static let usersLockPath = "/tmp/openvitale-pcscd-users.lock"
    static let restartLockPath = "/tmp/openvitale-pcscd-restart.lock"

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "no OpenVitale test reader became free before the deadline" }
    }

    /// Makes sure pcscd runs with the project's readers, then leases a free test reader, waiting up to `deadline`.
    ///
    /// The lease is handed over once pcscd reports both slots empty (up to 10 s), so a card the previous holder
    /// pulled out just before releasing the reader is never mistaken for the next test's card.
    public static func lease(deadline: Duration = .seconds(120)) async throws -> TestReaderLease {
        let lease = try await lease(deadline: deadline, shareUsersLock: true)
        await lease.waitUntilEmpty()
        return lease
    }

    static func lease(deadline: Duration, shareUsersLock: Bool) async throws -> TestReaderLease {
        try await acquire(deadline: deadline, shareUsersLock: shareUsersLock)
    }

    private static func acquire(deadline: Duration, shareUsersLock: Bool) async throws -> TestReaderLease {
        try await onOwnThread { try PCSCDaemon.ensureRunning() }
        let clock = ContinuousClock()
        let end = clock.now + deadline
        var usersFD: Int32 = -1
        if shareUsersLock {
            usersFD = try await acquireUsersLock(until: end)
        }
        while true {
            for index in 0..<count {
                let path = "/tmp/openvitale-test-reader-\(index).lock"
                let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
                guard fd >= 0 else { continue }
                if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                    if usersFD >= 0 { heldLeases.add(1) }
                    return TestReaderLease(index: index, fd: fd, usersFD: usersFD)
                }
                close(fd)
            }
            guard clock.now < end else {
                if usersFD >= 0 { close(usersFD) }
                throw Unavailable()
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Leases held by this process: a test already holding one may take another even while a restart is pending
    /// (the restart waits for it anyway), so nested leases cannot deadlock with the restart test.
    static let heldLeases = LockedCounter()

    /// Shared lock on the users file, taken only while no restart is pending.
    private static func acquireUsersLock(until end: ContinuousClock.Instant) async throws -> Int32 {
        let clock = ContinuousClock()
        while true {
            let restartFD = open(restartLockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
            let usersFD = open(usersLockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
            let nested = heldLeases.value > 0
            if restartFD >= 0, usersFD >= 0, nested || flock(restartFD, LOCK_SH | LOCK_NB) == 0 {
                let shared = flock(usersFD, LOCK_SH | LOCK_NB) == 0
                close(restartFD)
                if shared { return usersFD }
            } else if restartFD >= 0 {
                close(restartFD)
            }
            if usersFD >= 0 { close(usersFD) }
            guard clock.now < end else { throw Unavailable() }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Exclusive use of pcscd: waits until no lease is held (and blocks new ones), then runs `body`.
    static func withExclusiveUse<T>(deadline: Duration, _ body: () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        let restartFD = open(restartLockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        let usersFD = open(usersLockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        defer {
            if usersFD >= 0 { close(usersFD) }
            if restartFD >= 0 { close(restartFD) }
        }
        guard restartFD >= 0, usersFD >= 0 else { throw Unavailable() }
        while flock(restartFD, LOCK_EX | LOCK_NB) != 0 {
            guard clock.now < end else { throw ExclusiveUseUnavailable(deadline: deadline) }
            try await Task.sleep(for: .milliseconds(50))
        }
        while flock(usersFD, LOCK_EX | LOCK_NB) != 0 {
            guard clock.now < end else { throw ExclusiveUseUnavailable(deadline: deadline) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await body()
    }

    public struct ExclusiveUseUnavailable: Error, CustomStringConvertible {
        public var deadline: Duration
        public var description: String {
            "other tests kept test readers leased for \(deadline): pcscd could not be taken for exclusive use"
        }
    }
}

/// An Int behind a lock.
final class LockedCounter: Sendable {
    private let count = Mutex(0)

    var value: Int { count.withLock { $0 } }

    func add(_ delta: Int) { count.withLock { $0 += delta } }
}
