import Foundation

/// A calendar date of a claim (date of the invoice, of an act, of a rights period), stored as the
/// integer `YYYYMMDD` (so dates compare as integers). Always a real calendar date.
public struct ClaimDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// `year * 10000 + month * 100 + day`.
    public let yyyymmdd: UInt32

    /// A date; throws when it is not a calendar date between 1900 and 2199.
    public init(year: Int, month: Int, day: Int) throws(ClaimDateError) {
        guard (1900...2199).contains(year), (1...12).contains(month),
              day >= 1, day <= ClaimDate.daysIn(month: month, year: year)
        else { throw ClaimDateError(value: year * 10000 + month * 100 + day) }
        yyyymmdd = UInt32(year * 10000 + month * 100 + day)
    }

    /// Reads the integer form; `nil` when it is not a calendar date.
    @inlinable
    public init?(yyyymmdd value: UInt32) {
        let year = Int(value / 10000), month = Int(value / 100 % 100), day = Int(value % 100)
        guard (1900...2199).contains(year), (1...12).contains(month),
              day >= 1, day <= ClaimDate.daysIn(month: month, year: year)
        else { return nil }
        yyyymmdd = value
    }

    /// Reads `YYYY-MM-DD` or `YYYYMMDD`.
    public init(_ text: String) throws(ClaimDateError) {
        let digits = text.filter { $0 != "-" }
        guard digits.count == 8, let value = UInt32(digits), let date = ClaimDate(yyyymmdd: value) else {
            throw ClaimDateError(value: Int(UInt32(digits) ?? 0))
        }
        self = date
    }

    /// Today's date in France (Europe/Paris), or in `timeZone`.
    public static func today(in timeZone: TimeZone = TimeZone(identifier: "Europe/Paris") ?? .current, now: Date = Date()) -> ClaimDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: now)
        return ClaimDate(yyyymmdd: UInt32(parts.year! * 10000 + parts.month! * 100 + parts.day!))!
    }

    public var year: Int { Int(yyyymmdd / 10000) }
    public var month: Int { Int(yyyymmdd / 100 % 100) }
    public var day: Int { Int(yyyymmdd % 100) }

    @inlinable
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (lhs: ClaimDate, rhs: ClaimDate) -> Bool { lhs.yyyymmdd < rhs.yyyymmdd }

    /// `YYYY-MM-DD`.
    public var description: String {
        let y = String(year), m = month < 10 ? "0\(month)" : "\(month)", d = day < 10 ? "0\(day)" : "\(day)"
        return "\(y)-\(m)-\(d)"
    }
}

/// A value that is not a calendar date.
public struct ClaimDateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rejected `YYYYMMDD` value.
    public var value: Int
    public var description: String { "\(value) is not a calendar date (YYYYMMDD, 1900-2199)" }
}

/// A date of birth kept exactly as read from the card or the attestation: lunar dates (month 19-25, day 32,
/// for people whose exact date is unknown) are valid and kept.
public struct BirthDate: Sendable, Hashable, CustomStringConvertible {
    /// `year * 10000 + month * 100 + day`, month 1-12 or 19-25 (lunar), day 1-32.
    public let yyyymmdd: UInt32

    /// Accepts month 1-12 or 19-25 and day 1-32 (no calendar check: lunar dates are legitimate).
    @inlinable
    public init?(yyyymmdd value: UInt32) {
        let year = value / 10000, month = value / 100 % 100, day = value % 100
        guard (1850...2199).contains(year), (1...12).contains(month) || (19...25).contains(month), (1...32).contains(day)
        else { return nil }
        yyyymmdd = value
    }

    /// Reads `YYYYMMDD` (or the 12-character card form `YYYYMMDD0000`).
    public init?(_ text: String) {
        let chars = Array(text.utf8)
        let digits: [UInt8]
        switch chars.count {
        case 12 where text.hasSuffix("0000"): digits = Array(chars[0..<8])
        case 10 where chars[4] == UInt8(ascii: "-") && chars[7] == UInt8(ascii: "-"): digits = Array(chars[0..<4] + chars[5..<7] + chars[8..<10])
        case 8: digits = chars
        default: return nil
        }
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }), let value = UInt32(String(decoding: digits, as: UTF8.self)) else { return nil }
        self.init(yyyymmdd: value)
    }

    public var year: Int { Int(yyyymmdd / 10000) }
    public var month: Int { Int(yyyymmdd / 100 % 100) }
    public var day: Int { Int(yyyymmdd % 100) }
    /// `true` for a lunar date (month above 12 or day 32).
    public var isLunar: Bool { month > 12 || day > 31 }

    /// For a date that is not lunar: whether the day exists in its month (no 30 February, no 31 April).
    public var existsInTheCalendar: Bool {
        guard !isLunar else { return true }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// Age in whole years on `date`. An unknown (lunar) month or day counts as January / the 1st, so a
    /// person is never taken for younger than they may be.
    public func age(on date: ClaimDate) -> Int {
        let month = self.month > 12 ? 1 : self.month
        let day = self.day > 31 ? 1 : self.day
        var age = date.year - year
        if date.month < month || (date.month == month && date.day < day) { age -= 1 }
        return age
    }

    /// Dates of birth are personal data: only the year is shown.
    public var description: String { "\(year)-**-**" }
}
