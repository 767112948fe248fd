#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`).
public enum FileDescriptorLimit {
    /// The soft and hard limits.
    public static func current() -> (soft: Int, hard: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (1024, 1024) }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit (as far as the system allows) and returns the soft limit in
    /// force afterwards.
    @discardableResult
    public static func raiseSoftLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return current().soft }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 {
                // Some systems refuse an unlimited or very large hard limit: try the kernel's per-process maximum.
                raised.rlim_cur = min(limit.rlim_max, 1 << 20)
                _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
            }
        }
        return current().soft
    }

    /// The connection bound that leaves `reserve` descriptors for everything else (database, card reader,
    /// logs, outgoing connections) under a soft limit of `softLimit`.
    public static func connectionBound(_ wanted: Int, softLimit: Int, reserve: Int = 64) -> Int {
        max(1, min(wanted, softLimit - reserve))
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value >= rlim_t(Int.max) ? Int.max : Int(value)
    }
}
