import PCSC

extension PCSCContext {
    /// Waits until pcscd reports a card in `reader` (`present`) or none, throwing ``DeadlineExceeded`` after
    /// `deadline`. Wakes on ``ReaderEvents`` (no polling interval to tune) and checks the reader's state each time.
    public func waitForCard(in reader: String, present: Bool = true, deadline: Duration = .seconds(10)) async throws {
        let what = present ? "a card in \(reader)" : "no card in \(reader)"
        try await withDeadline(deadline, "waiting for \(what)") { [self] in
            var events = ReaderEvents(wakeInterval: .milliseconds(500)).makeAsyncIterator()
            while true {
                if try await states(of: [reader]).first?.hasCard == present { return }
                // The watcher reports every reader once when it starts, then each change: wake on the next one.
                while let event = await events.next() {
                    if event.reader == reader { break }
                }
                try Task.checkCancellation()
            }
        }
    }

    /// Waits until pcscd lists `reader` (after pcscd started or restarted).
    public func waitForReader(_ reader: String, deadline: Duration = .seconds(15)) async throws {
        try await withDeadline(deadline, "waiting for reader \(reader)") { [self] in
            var events = ReaderEvents(wakeInterval: .milliseconds(500)).makeAsyncIterator()
            while true {
                if try await readers().contains(reader) { return }
                while let event = await events.next() {
                    if event.reader == reader || event == .serviceRestored { break }
                }
                try Task.checkCancellation()
            }
        }
    }
}
