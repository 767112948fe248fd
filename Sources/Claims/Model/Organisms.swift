/// The organism a lot is addressed to: code régime, caisse and computing centre. FSEs for different
/// destination organisms go into different lots.
public struct DestinationOrganism: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Code régime (2 digits: 01 régime général, 02 MSA …).
    public var regime: UInt8
    /// Caisse (3 digits).
    public var fund: UInt16
    /// Computing centre (centre informatique, 3 digits).
    public var computingCentre: UInt16

    public init(regime: UInt8, fund: UInt16, computingCentre: UInt16) {
        self.regime = regime
        self.fund = fund
        self.computingCentre = computingCentre
    }

    /// Reads `RR CCC III` (8 digits, spaces ignored), the form ``description`` writes; nil otherwise.
    public init?(parsing text: some StringProtocol) {
        let digits = text.utf8.filter { $0 != 0x20 }
        guard digits.count == 8, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        self.init(regime: UInt8(number(0..<2)), fund: UInt16(number(2..<5)), computingCentre: UInt16(number(5..<8)))
    }

    /// `true` when every part fits its digits (régime ≤ 99, caisse ≤ 999, centre ≤ 999).
    public var isWellFormed: Bool { regime <= 99 && fund <= 999 && computingCentre <= 999 }

    /// `RR CCC III`.
    public var description: String {
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(Int(regime), 2)) \(pad(Int(fund), 3)) \(pad(Int(computingCentre), 3))"
    }

    public static func < (lhs: DestinationOrganism, rhs: DestinationOrganism) -> Bool {
        (lhs.regime, lhs.fund, lhs.computingCentre) < (rhs.regime, rhs.fund, rhs.computingCentre)
    }
}

/// The AMO organism (assurance maladie obligatoire) of the beneficiary (group 1310).
public struct AMOOrganism: Sendable, Hashable {
    /// Code régime (2 digits).
    public var regime: UInt8
    /// Caisse gestionnaire (3 digits).
    public var fund: UInt16
    /// Centre gestionnaire (4 digits).
    public var centre: UInt16
    /// Computing centre that receives the lots (3 digits).
    public var computingCentre: UInt16

    public init(regime: UInt8, fund: UInt16, centre: UInt16, computingCentre: UInt16) {
        self.regime = regime
        self.fund = fund
        self.centre = centre
        self.computingCentre = computingCentre
    }

    /// Where the FSE's lot goes.
    public var destination: DestinationOrganism {
        DestinationOrganism(regime: regime, fund: fund, computingCentre: computingCentre)
    }

    /// `true` when every part fits its digits.
    public var isWellFormed: Bool { regime <= 99 && fund <= 999 && centre <= 9999 && computingCentre <= 999 }

    /// Reads `RR FFF CCCC` or `RR FFF CCCC KKK` (régime, caisse, centre, computing centre; without the computing
    /// centre it is the caisse), the form claim files and the insurer's base use; nil otherwise.
    public init?(parsing text: some StringProtocol) {
        let words = text.split(separator: " ")
        let parts = words.compactMap { $0.utf8.allSatisfy({ (0x30...0x39).contains($0) }) ? Int($0) : nil }
        guard (3...4).contains(parts.count), parts.count == words.count,
              (0...99).contains(parts[0]), (0...999).contains(parts[1]), (0...9999).contains(parts[2]),
              (0...999).contains(parts.count == 4 ? parts[3] : parts[1]) else { return nil }
        self.init(regime: UInt8(parts[0]), fund: UInt16(parts[1]), centre: UInt16(parts[2]),
                  computingCentre: UInt16(parts.count == 4 ? parts[3] : parts[1]))
    }

    /// `RR FFF CCCC KKK`.
    public var text: String {
        func pad(_ v: some BinaryInteger, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(regime, 2)) \(pad(fund, 3)) \(pad(centre, 4)) \(pad(computingCentre, 3))"
    }
}

/// The complementary insurer (AMC, group 1321) when it takes part (tiers payant or complementary share).
public struct AMCOrganism: Sendable, Hashable {
    /// Numéro AMC (up to 10 digits, non zero).
    public var number: UInt64
    public init(number: UInt64) { self.number = number }
    /// `true` for 1 to 10 digits, non zero.
    public var isWellFormed: Bool { number > 0 && number <= 9_999_999_999 }
}
