/// A status word (SW1 SW2) closing every response APDU, with its ISO 7816-4 meaning.
public struct StatusWord: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ sw1: UInt8, _ sw2: UInt8) { self.rawValue = UInt16(sw1) << 8 | UInt16(sw2) }

    public var sw1: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 8) }
    public var sw2: UInt8 { UInt8(truncatingIfNeeded: rawValue) }

    /// `9000`: normal processing.
    public static let success = StatusWord(rawValue: 0x9000)
    /// `6281`: part of the returned data may be corrupted.
    public static let dataMayBeCorrupted = StatusWord(rawValue: 0x6281)
    /// `6282`: end of file or record reached before reading Le bytes.
    public static let endOfFile = StatusWord(rawValue: 0x6282)
    /// `6581`: memory failure.
    public static let memoryFailure = StatusWord(rawValue: 0x6581)
    /// `6700`: wrong length.
    public static let wrongLength = StatusWord(rawValue: 0x6700)
    /// `6982`: security status not satisfied.
    public static let securityStatusNotSatisfied = StatusWord(rawValue: 0x6982)
    /// `6983`: authentication method blocked.
    public static let authenticationBlocked = StatusWord(rawValue: 0x6983)
    /// `6984`: reference data not usable.
    public static let referenceDataNotUsable = StatusWord(rawValue: 0x6984)
    /// `6985`: conditions of use not satisfied.
    public static let conditionsNotSatisfied = StatusWord(rawValue: 0x6985)
    /// `6986`: command not allowed, no current EF.
    public static let noCurrentEF = StatusWord(rawValue: 0x6986)
    /// `6A80`: incorrect parameters in the data field.
    public static let incorrectData = StatusWord(rawValue: 0x6A80)
    /// `6A81`: function not supported.
    public static let functionNotSupported = StatusWord(rawValue: 0x6A81)
    /// `6A82`: file or application not found.
    public static let fileNotFound = StatusWord(rawValue: 0x6A82)
    /// `6A83`: record not found.
    public static let recordNotFound = StatusWord(rawValue: 0x6A83)
    /// `6A86`: incorrect parameters P1-P2.
    public static let incorrectP1P2 = StatusWord(rawValue: 0x6A86)
    /// `6A88`: referenced data not found.
    public static let referencedDataNotFound = StatusWord(rawValue: 0x6A88)
    /// `6B00`: wrong parameters P1-P2 (offset beyond the end of the file).
    public static let wrongP1P2 = StatusWord(rawValue: 0x6B00)
    /// `6D00`: instruction code not supported.
    public static let insNotSupported = StatusWord(rawValue: 0x6D00)
    /// `6E00`: class not supported.
    public static let claNotSupported = StatusWord(rawValue: 0x6E00)
    /// `6F00`: no precise diagnosis.
    public static let noPreciseDiagnosis = StatusWord(rawValue: 0x6F00)

    /// `61XX`: XX more bytes are waiting for GET RESPONSE.
    public static func bytesAvailable(_ count: UInt8) -> StatusWord { StatusWord(0x61, count) }
    /// `6CXX`: wrong Le; XX is the exact length.
    public static func wrongLe(_ exact: UInt8) -> StatusWord { StatusWord(0x6C, exact) }
    /// `63CX`: verification failed, X tries left.
    public static func verificationFailed(triesLeft: Int) -> StatusWord {
        StatusWord(0x63, 0xC0 | UInt8(clamping: min(max(triesLeft, 0), 15)))
    }

    /// True for `9000` and for the `61XX` family that also signals success.
    public var isSuccess: Bool { rawValue == 0x9000 || sw1 == 0x61 }

    /// True for the answers of a card that has no such file or application, or does not know the command:
    /// `6A82` (file or application not found), `6A81` (function not supported), `6A86` (incorrect P1-P2),
    /// `6D00` (instruction not supported), `6E00` (class not supported). To a SELECT of an application a card
    /// of another kind answers one of these.
    public var isNotFoundOrNotSupported: Bool {
        switch rawValue {
        case 0x6A82, 0x6A81, 0x6A86, 0x6D00, 0x6E00: true
        default: false
        }
    }

    /// For `63CX`, the number of tries left.
    public var triesLeft: Int? { sw1 == 0x63 && sw2 & 0xF0 == 0xC0 ? Int(sw2 & 0x0F) : nil }

    /// The ISO 7816-4 meaning of this status word, in one sentence.
    public var meaning: String {
        switch rawValue {
        case 0x9000: return "normal processing"
        case 0x6281: return "part of the returned data may be corrupted"
        case 0x6282: return "end of file or record reached before reading Le bytes"
        case 0x6581: return "memory failure"
        case 0x6700: return "wrong length"
        case 0x6982: return "security status not satisfied"
        case 0x6983: return "authentication method blocked"
        case 0x6984: return "reference data not usable"
        case 0x6985: return "conditions of use not satisfied"
        case 0x6986: return "command not allowed (no current EF)"
        case 0x6A80: return "incorrect parameters in the data field"
        case 0x6A81: return "function not supported"
        case 0x6A82: return "file or application not found"
        case 0x6A83: return "record not found"
        case 0x6A86: return "incorrect parameters P1-P2"
        case 0x6A88: return "referenced data not found"
        case 0x6B00: return "wrong parameters P1-P2 (offset outside the file)"
        case 0x6D00: return "instruction code not supported or invalid"
        case 0x6E00: return "class not supported"
        case 0x6F00: return "no precise diagnosis"
        default:
            switch sw1 {
            case 0x61: return "\(sw2 == 0 ? 256 : Int(sw2)) bytes still available (GET RESPONSE)"
            case 0x6C: return "wrong Le field; exact length is \(sw2 == 0 ? 256 : Int(sw2))"
            case 0x63 where sw2 & 0xF0 == 0xC0: return "verification failed, \(sw2 & 0x0F) tries left"
            case 0x62: return "warning: state of non-volatile memory unchanged"
            case 0x63: return "warning: state of non-volatile memory changed"
            case 0x64: return "execution error: state of non-volatile memory unchanged"
            case 0x65: return "execution error: state of non-volatile memory changed"
            case 0x66: return "security-related issue"
            case 0x67: return "wrong length"
            case 0x68: return "functions in CLA not supported"
            case 0x69: return "command not allowed"
            case 0x6A: return "wrong parameters P1-P2"
            default: return "unknown status"
            }
        }
    }

    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - hex.count) + hex
    }
}
