import Foundation

/// Exponential backoff with jitter for resending lots.
public struct RetryPolicy: Sendable, Equatable {
    /// Delay before the first retry.
    public var initialDelay: Duration
    /// Ceiling of a single delay.
    public var maxDelay: Duration
    /// Growth factor between consecutive delays.
    public var multiplier: Double
    /// Attempts per lot in one sending run (the lot stays in the outbox afterwards, for the next run).
    public var maxAttempts: Int
    /// Overall time budget of one sending run; nil for none.
    public var deadline: Duration?

    public init(initialDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(30), multiplier: Double = 2,
                maxAttempts: Int = 8, deadline: Duration? = nil) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
        self.deadline = deadline
    }

    /// The delay after the `attempt`-th failure (1-based): a random value between half and all of
    /// `min(maxDelay, initialDelay × multiplier^(attempt-1))` ("equal jitter"), so clients that failed together
    /// do not retry together.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = Double(initialDelay.components.seconds) + Double(initialDelay.components.attoseconds) / 1e18
        let cap = Double(maxDelay.components.seconds) + Double(maxDelay.components.attoseconds) / 1e18
        let exp = min(cap, base * pow(multiplier, Double(max(0, attempt - 1))))
        let seconds = exp / 2 + Double.random(in: 0...(exp / 2), using: &generator)
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
