/// Check digits used on the cards: the NIR key and the Luhn digit of a numéro de facturation.
public enum CheckDigits {
    /// The key of a NIR's first 13 characters: 97 − (number mod 97), with `2A` read as `19` and `2B` as
    /// `18` at positions 6-7. Nil when the 13 characters are not a NIR body.
    public static func nirKey(_ body: some StringProtocol) -> Int? {
        let chars = Array(body.utf8)
        guard chars.count == 13 else { return nil }
        var digits = chars
        if chars[5] == UInt8(ascii: "2") && (chars[6] == UInt8(ascii: "A") || chars[6] == UInt8(ascii: "B")) {
            let replacement: [UInt8] = chars[6] == UInt8(ascii: "A") ? Array("19".utf8) : Array("18".utf8)
            digits[5] = replacement[0]
            digits[6] = replacement[1]
        }
        var remainder = 0
        for c in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
            remainder = (remainder * 10 + Int(c - UInt8(ascii: "0"))) % 97
        }
        return 97 - remainder
    }

    /// The Luhn check digit of a string of digits; nil if a character is not a digit.
    public static func luhn(_ digits: some StringProtocol) -> Int? {
        var sum = 0
        for (i, c) in digits.utf8.reversed().enumerated() {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
            var d = Int(c - UInt8(ascii: "0"))
            if i % 2 == 0 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return (10 - sum % 10) % 10
    }
}
