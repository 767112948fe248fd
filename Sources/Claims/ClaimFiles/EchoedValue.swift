/// How a value given in a claim (a claim file's field, an API body's field) may appear in an error message.
///
/// A value typed into the wrong field can be personal data: a NIR in the organism column, a surname in the
/// parcours column. Messages therefore quote a value only when it is too short to be either (a code, an amount:
/// at most 6 characters, at most 3 letters, no run of 5 digits or more); otherwise they give its shape only
/// ("a value of 13 digits", "a value of 6 characters"). The field is always named by the message itself.
public enum EchoedValue {
    /// `'30.00'` for a short code or amount, `a value of 13 digits` for anything that could be personal.
    public static func quoted(_ value: some StringProtocol) -> String {
        var letters = 0
        var digitRun = 0
        var longestDigitRun = 0
        var count = 0
        for character in value {
            count += 1
            if character.isNumber {
                digitRun += 1
                longestDigitRun = max(longestDigitRun, digitRun)
            } else {
                digitRun = 0
                if character.isLetter { letters += 1 }
            }
        }
        if count <= 6, letters <= 3, longestDigitRun < 5 { return "'\(value)'" }
        if count == longestDigitRun { return "a value of \(count) digits" }
        return "a value of \(count) characters"
    }

    /// A key as it may name a field in a message: as given when it looks like a field name (ASCII letters, `_`
    /// and `.`, at most 40), else its shape, so that a value typed as a key is not repeated either.
    public static func fieldName(_ key: some StringProtocol) -> String {
        key.count <= 40 && key.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "_" || $0 == ".") }) ? String(key) : quoted(key)
    }
}
