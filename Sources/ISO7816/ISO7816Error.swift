/// Errors raised by the APDU layer: malformed commands or responses, and status words a caller did not expect.
public enum ISO7816Error: Error, Hashable, Sendable, CustomStringConvertible {
    /// A command APDU could not be built or parsed; the text says which field is wrong.
    case invalidCommand(String)
    /// A response shorter than the two status bytes.
    case responseTooShort(length: Int)
    /// The card answered with a status word the caller did not accept.
    case unexpectedStatus(StatusWord, command: String)
    /// The T=0 loops (`61XX`/`6CXX`) went on for more rounds than allowed.
    case tooManyT0Rounds(Int)

    public var description: String {
        switch self {
        case .invalidCommand(let why): return "invalid command APDU: \(why)"
        case .responseTooShort(let n): return "response APDU of \(n) byte(s): at least the 2 status bytes are required"
        case .unexpectedStatus(let sw, let command): return "\(command): card answered \(sw) (\(sw.meaning))"
        case .tooManyT0Rounds(let n): return "T=0 GET RESPONSE / resend loop stopped after \(n) rounds"
        }
    }
}
