/// A whole exchange with a card written as a value: from the answers so far it names the next command, until it
/// has its result. Written this way, a transport can run the conversation where the card is, in one go: PC/SC runs
/// it on its context's thread inside one PC/SC transaction, with one thread hop for the whole conversation instead
/// of one per APDU. ``CardChannel/converse(_:watch:)`` runs it anywhere; ``DeadlineChannel/converse(_:)`` under a
/// per-exchange deadline.
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

/// A transport failure while a ``CardConversation`` ran, with the step it happened at.
public struct CardConversationError: Error, CustomStringConvertible {
    /// The step of the command in flight.
    public var step: String
    /// The transport's error, which may conform to ``CardTransportError``.
    public var underlying: any Error

    public init(step: String, underlying: any Error) {
        self.step = step
        self.underlying = underlying
    }

    public var description: String { "\(step): \(underlying)" }
}

extension CardChannel {
    /// Runs `conversation` one ``send(_:options:)`` at a time, arming `watch` around each exchange; the default
    /// of ``CardChannel/converse(_:watch:)``.
    public func converseBySending<C: CardConversation>(_ conversation: C, watch: ExchangeWatch?) async throws -> C.Output {
        var conversation = conversation
        var response: ResponseAPDU?
        while true {
            switch try conversation.next(after: response) {
            case .finished(let output):
                return output
            case .send(let command, let step, let options):
                let ticket = watch?.arm(step)
                defer { if let ticket { watch?.disarm(ticket) } }
                do { response = try await send(command, options: options) } catch {
                    throw CardConversationError(step: step, underlying: error)
                }
            }
        }
    }
}

extension CardConversation {
    /// Runs the conversation with a blocking `transmit` (raw command → raw response), applying the T=0 rules and
    /// arming `watch` around each exchange: for transports that run whole conversations on a thread of their own.
    /// Transport failures come as ``CardConversationError`` naming the step.
    public consuming func runBlocking(watch: ExchangeWatch?, transmit: ([UInt8]) throws -> [UInt8]) throws -> Output {
        var response: ResponseAPDU?
        while true {
            switch try next(after: response) {
            case .finished(let output):
                return output
            case .send(let command, let step, let options):
                let ticket = watch?.arm(step)
                defer { if let ticket { watch?.disarm(ticket) } }
                var exchange = T0Exchange(command, options: options)
                do {
                    while true {
                        if let whole = try exchange.receive(try transmit(exchange.next.bytes)) {
                            response = whole
                            break
                        }
                    }
                } catch {
                    throw CardConversationError(step: step, underlying: error)
                }
            }
        }
    }
}
