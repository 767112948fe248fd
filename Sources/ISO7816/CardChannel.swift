/// A way to exchange APDUs with one card: a PC/SC connection, an emulated card in-process, a test double.
///
/// Implementations move raw bytes only. The T=0 rules (`61XX` → GET RESPONSE, `6CXX` → resend) are applied
/// on top by ``CardChannel/send(_:options:)``, because pcscd and most transports leave them to the application.
public protocol CardChannel: Sendable {
    /// Sends one command APDU and returns the raw response (data then SW1 SW2).
    func transmit(_ command: [UInt8]) async throws -> [UInt8]

    /// Runs a whole ``CardConversation`` and returns its result, arming `watch` (when given) around each exchange.
    /// Transport failures come as ``CardConversationError`` naming the step. The default sends one command at a
    /// time (``converseBySending(_:watch:)``); a transport whose calls block on a thread of its own runs the
    /// whole conversation there in one go. Callers put a deadline on the exchanges with
    /// ``withAPDUDeadline(_:on:as:_:)`` and ``DeadlineChannel/converse(_:)``.
    func converse<C: CardConversation>(_ conversation: C, watch: ExchangeWatch?) async throws -> C.Output
}

extension CardChannel {
    public func converse<C: CardConversation>(_ conversation: C, watch: ExchangeWatch?) async throws -> C.Output {
        try await converseBySending(conversation, watch: watch)
    }
}

/// How ``CardChannel/send(_:options:)`` handles the T=0 status words.
public struct SendOptions: Hashable, Sendable {
    /// Send GET RESPONSE on `61XX` and append the data.
    public var followGetResponse: Bool
    /// Resend the command with Le = XX on `6CXX`.
    public var resendOnWrongLe: Bool
    /// The most rounds (GET RESPONSE or resend) allowed for one command.
    public var maxRounds: Int

    public init(followGetResponse: Bool = true, resendOnWrongLe: Bool = true, maxRounds: Int = 32) {
        self.followGetResponse = followGetResponse
        self.resendOnWrongLe = resendOnWrongLe
        self.maxRounds = maxRounds
    }

    /// The default: both loops on, at most 32 rounds.
    public static let t0 = SendOptions()
    /// Both loops off: the raw answer of the card.
    public static let raw = SendOptions(followGetResponse: false, resendOnWrongLe: false)
}

extension CardChannel {
    /// Sends `command`, applying the T=0 loops unless `options` turn them off, and returns the whole response.
    public func send(_ command: CommandAPDU, options: SendOptions = .t0) async throws -> ResponseAPDU {
        var exchange = T0Exchange(command, options: options)
        while true {
            if let response = try exchange.receive(try await transmit(exchange.next.bytes)) { return response }
        }
    }

    /// Sends `command` and returns its data, throwing unless the final status word is `9000`.
    public func sendExpectingSuccess(_ command: CommandAPDU, options: SendOptions = .t0) async throws -> [UInt8] {
        try await send(command, options: options).requireSuccess(command.description)
    }
}

/// The class byte for GET RESPONSE: interindustry classes keep only their logical-channel bits,
/// proprietary classes (bit 8 set, such as `BC` on old cards) are kept as they are.
func getResponseClass(_ cla: UInt8) -> UInt8 {
    switch cla {
    case 0x00...0x3F: return cla & 0x03
    case 0x40...0x7F: return cla & 0x4F
    default: return cla
    }
}
