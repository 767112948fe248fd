/// A whole exchange with a card written as a value: from the answers so far it names the next command, until it
/// has its result. Written this way, a transport can run the conversation where the card is, in one go: PC/SC runs
/// it on its context's thread inside one PC/SC transaction, with one thread hop for the whole conversation instead
/// of one per APDU. ``CardChannel/converse(_:exchangeTimeout:)`` runs it anywhere.
public protocol CardConversation: Sendable {
    /// What the conversation produces.
    associatedtype Output: Sendable

    /// The next step: a command to send, or the result. `response` answers the previous command (the T=0 loops
    /// already applied); it is nil on the first call. Errors thrown here end the conversation and reach the
    /// caller unchanged.
    mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<Output>
}

/// What a ``CardConversation`` does next.
public enum ConversationStep<Output: Sendable>: Sendable {
    /// Send this command. `step` names it in errors ("READ BINARY identity"); `options` sets the T=0 loops.
    case send(CommandAPDU, step: String, options: SendOptions = .t0)
    /// The conversation is over.
    case finished(Output)
}

/// A failure of the exchange itself while a ``CardConversation`` ran, with the step it happened at.
public struct CardConversationError: Error, CustomStringConvertible {
    /// The step of the command in flight.
    public var step: String
    /// What happened.
    public var kind: Kind

    /// What went wrong with the exchange.
    public enum Kind: Sendable {
        /// The transport failed; its error, which may conform to ``CardTransportError``.
        case transport(any Error)
        /// The card gave no answer within the exchange timeout.
        case timedOut(Duration)
    }

    public init(step: String, kind: Kind) {
        self.step = step
        self.kind = kind
    }

    /// What the failure means for the card (a timeout is a mute card).
    public var transportFailure: CardTransportFailure {
        switch kind {
        case .timedOut: return .cardMute
        case .transport(let error): return (error as? any CardTransportError)?.transportFailure ?? .other
        }
    }

    public var description: String {
        switch kind {
        case .timedOut(let timeout): return "\(step): no answer from the card within \(timeout)"
        case .transport(let error): return "\(step): \(error)"
        }
    }
}

extension CardChannel {
    /// Runs `conversation` one ``send(_:options:)`` at a time; the default of
    /// ``CardChannel/converse(_:exchangeTimeout:)``.
    public func converseBySending<C: CardConversation>(_ conversation: C, exchangeTimeout: Duration?) async throws -> C.Output {
        try await withExchangeDeadline(exchangeTimeout) { progress in
            var conversation = conversation
            var response: ResponseAPDU?
            while true {
                switch try conversation.next(after: response) {
                case .finished(let output):
                    return output
                case .send(let command, let step, let options):
                    progress.begin(step)
                    do { response = try await send(command, options: options) } catch {
                        throw CardConversationError(step: step, kind: .transport(error))
                    }
                }
            }
        }
    }
}
