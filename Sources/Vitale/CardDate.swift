/// A date as written on a card: 8 ASCII digits `YYYYMMDD`, kept exactly as read.
///
/// Dates of birth may be lunar (date de naissance lunaire: month `19`-`25` or day `32`, for people whose exact
/// birth date is unknown). They are kept, never rejected nor "corrected"; ``isLunar`` tells them apart and
/// ``isCalendarDate`` says whether the value names a real day. Ordering compares the written digits, which is
/// the chronological order for calendar dates.
public struct CardDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value as the number `YYYYMMDD` (for example 19780512).
    public let value: Int

    /// Year, as written.
    public var year: Int { value / 10_000 }
    /// Month, as written (01-12, or 19-25 for a lunar date).
    public var month: Int { value / 100 % 100 }
    /// Day, as written (01-31, or 32 for a lunar date).
    public var day: Int { value % 100 }

    /// Builds a date from its parts without calendar checks other than the ranges a card may hold
    /// (month 1-12 or 19-25, day 1-32); nil outside them.
    public init?(year: Int, month: Int, day: Int) {
        guard (0...9999).contains(year), (1...12).contains(month) || (19...25).contains(month), (1...32).contains(day) else {
            return nil
        }
        value = year * 10_000 + month * 100 + day
    }

    /// Parses the 8 ASCII digits of a card field (`'19780512'`). Throws a description of what is wrong.
    public init<Bytes: Collection<UInt8>>(ascii bytes: Bytes) throws(CardDateError) {
        guard bytes.count == 8 else { throw .wrongLength(bytes.count) }
        var v = 0
        for b in bytes {
            guard b >= 0x30, b <= 0x39 else { throw .notDigits }
            v = v * 10 + Int(b - 0x30)
        }
        guard let date = CardDate(year: v / 10_000, month: v / 100 % 100, day: v % 100) else { throw .outOfRange }
        self = date
    }

    /// Parses `YYYYMMDD` text.
    public init(_ text: some StringProtocol) throws(CardDateError) {
        try self.init(ascii: Array(text.utf8))
    }

    /// True for a lunar date of birth (month 19-25 or day 32).
    public var isLunar: Bool { month > 12 || day > 31 }

    /// True when the value names a real day of the Gregorian calendar.
    public var isCalendarDate: Bool {
        guard !isLunar, day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }

    /// `YYYYMMDD`, as on the card.
    public var compact: String {
        let s = String(value)
        return String(repeating: "0", count: max(0, 8 - s.count)) + s
    }

    /// `YYYY-MM-DD` (a lunar date keeps its written month and day, for example `1962-20-32`).
    public var iso: String {
        let c = Array(compact)
        return String(c[0..<4]) + "-" + String(c[4..<6]) + "-" + String(c[6..<8])
    }

    /// The ISO form `YYYY-MM-DD`.
    public var description: String { iso }

    public static func < (lhs: CardDate, rhs: CardDate) -> Bool { lhs.value < rhs.value }
}

extension CardDate: Codable {
    /// Encodes as `"YYYY-MM-DD"` (lunar dates as written: `"1962-20-32"`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }

    /// Decodes `"YYYY-MM-DD"` or `"YYYYMMDD"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self).filter { $0 != "-" }
        do { self = try CardDate(text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid date: \(error)")
        }
    }
}

/// Why 8 bytes are not a card date.
public enum CardDateError: Error, Hashable, Sendable, CustomStringConvertible {
    case wrongLength(Int)
    case notDigits
    case outOfRange

    public var description: String {
        switch self {
        case .wrongLength(let n): return "date of \(n) character(s), expected 8 (YYYYMMDD)"
        case .notDigits: return "date holds characters other than digits"
        case .outOfRange: return "date has a month or day out of range (month 01-12 or 19-25, day 01-32)"
        }
    }
}

/// A period of time with an inclusive start and an inclusive end, open-ended when the end is absent.
public struct DatePeriod: Sendable, Hashable, Codable, CustomStringConvertible {
    /// First day covered.
    public var start: CardDate
    /// Last day covered; nil: open-ended.
    public var end: CardDate?

    public init(start: CardDate, end: CardDate? = nil) {
        self.start = start
        self.end = end
    }

    /// True when `date` falls within the period (both ends included).
    public func contains(_ date: CardDate) -> Bool {
        date >= start && (end.map { date <= $0 } ?? true)
    }

    public var description: String { "\(start) – \(end.map { "\($0)" } ?? "open")" }
}
