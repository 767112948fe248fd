import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One of the two-slot virtual test readers of `Hardware/reader.conf.d/openvitale-test-readers`, leased by a
/// single test at a time (across processes too, through a lock file), so tests never share a slot.
public final class TestReaderLease: @unchecked Sendable {
    /// 0 to 5.
    public let index: Int
    private let fd: Int32

    /// The pcscd name prefix of the reader (`"OpenVitale Test 3"`); slot names add `" 00 00"`-style suffixes.
    public var friendlyName: String { "OpenVitale Test \(index)" }
    /// The vpcd TCP port of slot 0 (a card connects here to be "inserted" in slot 0).
    public var slot0Port: UInt16 { UInt16(36000 + 2 * index) }
    /// The vpcd TCP port of slot 1.
    public var slot1Port: UInt16 { slot0Port + 1 }

    init(index: Int, fd: Int32) {
        self.index = index
        self.fd = fd
    }

    /// Gives the reader back (also done on deinit).
    public func release() { close(fd) }

    deinit { close(fd) }
}

/// Hands out the virtual test readers.
public enum TestReaders {
    public static let count = 6

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "no OpenVitale test reader became free before the deadline" }
    }

    /// Makes sure pcscd runs with the project's readers, then leases a free test reader, waiting up to `deadline`.
    public static func lease(deadline: Duration = .seconds(120)) async throws -> TestReaderLease {
        try PCSCDaemon.ensureRunning()
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            for index in 0..<count {
                let path = "/tmp/openvitale-test-reader-\(index).lock"
                let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
                guard fd >= 0 else { continue }
                if flock(fd, LOCK_EX | LOCK_NB) == 0 { return TestReaderLease(index: index, fd: fd) }
                close(fd)
            }
            guard clock.now < end else { throw Unavailable() }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
