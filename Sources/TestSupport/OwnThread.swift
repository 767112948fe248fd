import Foundation

/// Runs a blocking `body` on a new thread and returns its result, so blocking calls (sockets, waits, child
/// processes) never occupy Swift's cooperative thread pool (two threads on a two-core machine).
public func onOwnThread<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result: Result<T, E> = await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: Result(catching: body)) }
        thread.start()
    }
    return try result.get()
}
