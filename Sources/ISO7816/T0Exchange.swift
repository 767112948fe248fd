/// One command's exchange under the T=0 rules, as a value: transmit ``next``, hand the raw answer to
/// ``receive(_:)``, and repeat until it returns the whole response. `61XX` asks for GET RESPONSE (the data is
/// collected), `6CXX` for the same command again with Le = XX.
///
/// ``CardChannel/send(_:options:)`` drives it over an asynchronous transport; transports that run a whole
/// ``CardConversation`` on their own thread drive it with blocking calls. The rules are written once, here.
public struct T0Exchange: Sendable {
    /// The command to transmit now.
    public private(set) var next: CommandAPDU
    private let original: CommandAPDU
    private let options: SendOptions
    private var rounds = 0
    private var collected: [UInt8] = []

    /// Starts the exchange of `command`.
    public init(_ command: CommandAPDU, options: SendOptions = .t0) {
        self.next = command
        self.original = command
        self.options = options
    }

    /// Takes the raw answer (data then SW1 SW2) to ``next``: returns the whole response when the exchange is
    /// over, or nil when ``next`` now holds the command to transmit. Throws for an answer shorter than the
    /// status word and when the loops exceed ``SendOptions/maxRounds``.
    public mutating func receive(_ raw: [UInt8]) throws(ISO7816Error) -> ResponseAPDU? {
        let response = try ResponseAPDU(bytes: raw)
        let sw = response.statusWord
        if sw.sw1 == 0x6C, options.resendOnWrongLe {
            rounds += 1
            guard rounds <= options.maxRounds else { throw .tooManyT0Rounds(options.maxRounds) }
            next = try next.withNe(sw.sw2 == 0 ? 256 : Int(sw.sw2))
            return nil
        }
        if sw.sw1 == 0x61, options.followGetResponse {
            rounds += 1
            guard rounds <= options.maxRounds else { throw .tooManyT0Rounds(options.maxRounds) }
            collected.append(contentsOf: response.data)
            next = try .getResponse(cla: getResponseClass(original.cla), ne: sw.sw2 == 0 ? 256 : Int(sw.sw2))
            return nil
        }
        if collected.isEmpty { return response }
        collected.append(contentsOf: response.data)
        return ResponseAPDU(data: collected, statusWord: sw)
    }
}
