import Synchronization

/// The unanswered exchanges of a mute test card: ``hold()`` waits, ignoring cancellation as a blocking PC/SC
/// call does, until ``release()`` (the card is pulled out), so tests can check that a deadline ends the wait.
public final class HeldExchanges: Sendable {
    private let state = Mutex<(released: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    /// How many exchanges are held now.
    public var count: Int { state.withLock { $0.waiting.count } }

    /// Waits until ``release()``; returns at once once released.
    public func hold() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.released { return true }
                s.waiting.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    /// Ends every held exchange, and every later one at once.
    public func release() {
        let waiting = state.withLock { s in
            s.released = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in waiting { c.resume() }
    }
}
