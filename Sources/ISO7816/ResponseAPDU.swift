/// A response APDU: the response data followed by the status word.
public struct ResponseAPDU: Hashable, Sendable, CustomStringConvertible {
    public var data: [UInt8]
    public var statusWord: StatusWord

    public init(data: [UInt8] = [], statusWord: StatusWord) {
        self.data = data
        self.statusWord = statusWord
    }

    /// Parses a raw response; fewer than two bytes is an error.
    public init<Bytes: Collection>(bytes: Bytes) throws(ISO7816Error) where Bytes.Element == UInt8 {
        let count = bytes.count
        guard count >= 2 else { throw .responseTooShort(length: count) }
        let body = Array(bytes)
        self.data = Array(body[..<(count - 2)])
        self.statusWord = StatusWord(body[count - 2], body[count - 1])
    }

    /// The raw bytes: data then SW1 SW2.
    public var bytes: [UInt8] { data + [statusWord.sw1, statusWord.sw2] }

    /// Throws `unexpectedStatus` unless the status word is `9000`.
    @discardableResult
    public func requireSuccess(_ what: @autoclosure () -> String = "command") throws(ISO7816Error) -> [UInt8] {
        guard statusWord == .success else { throw .unexpectedStatus(statusWord, command: what()) }
        return data
    }

    public var description: String { "\(data.count) byte(s) + \(statusWord)" }
}
