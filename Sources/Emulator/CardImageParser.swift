import ISO7816

/// Validates a decoded JSON image field by field, naming the field path in every error.
struct CardImageParser {
    let file: String

    func fail(_ path: String, _ problem: String) -> CardImageError {
        CardImageError(file: file, field: path, problem: problem)
    }

    /// An object whose keys are consumed one by one; ``finish()`` refuses the ones left (typos).
    struct Object {
        let parser: CardImageParser
        let path: String
        var fields: [String: JSONValue]

        func sub(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        mutating func take(_ key: String) -> JSONValue? {
            guard let value = fields.removeValue(forKey: key) else { return nil }
            if case .null = value { return nil }
            return value
        }

        mutating func required(_ key: String) throws(CardImageError) -> JSONValue {
            guard let value = take(key) else { throw parser.fail(sub(key), "is missing") }
            return value
        }

        func finish() throws(CardImageError) {
            if let extra = fields.keys.sorted().first {
                throw parser.fail(sub(extra), "is not a known field")
            }
        }

        // Typed accessors.

        mutating func string(_ key: String, optional: Bool = false) throws(CardImageError) -> String? {
            guard let value = optional ? take(key) : try required(key) else { return nil }
            guard case .string(let s) = value else { throw parser.fail(sub(key), "must be a string, found \(value.typeName)") }
            return s
        }

        mutating func text(_ key: String, maxLength: Int = 40) throws(CardImageError) -> String {
            try parser.checkText(try string(key)!, path: sub(key), maxLength: maxLength)
        }

        mutating func optionalText(_ key: String, maxLength: Int = 40) throws(CardImageError) -> String? {
            guard let s = try string(key, optional: true) else { return nil }
            return try parser.checkText(s, path: sub(key), maxLength: maxLength)
        }

        mutating func digits(_ key: String, count: ClosedRange<Int>, allowed: Set<String>? = nil) throws(CardImageError) -> String {
            try parser.checkDigits(try string(key)!, path: sub(key), count: count, allowed: allowed)
        }


        mutating func date(_ key: String, lunar: Bool = false) throws(CardImageError) -> String {
            try parser.checkDate(try string(key)!, path: sub(key), lunar: lunar)
        }

        mutating func optionalDate(_ key: String) throws(CardImageError) -> String? {
            guard let s = try string(key, optional: true) else { return nil }
            return try parser.checkDate(s, path: sub(key), lunar: false)
        }

        mutating func bool(_ key: String, default fallback: Bool? = nil) throws(CardImageError) -> Bool {
            guard let value = take(key) else {
                if let fallback { return fallback }
                throw parser.fail(sub(key), "is missing")
            }
            guard case .bool(let b) = value else { throw parser.fail(sub(key), "must be true or false, found \(value.typeName)") }
            return b
        }

        mutating func integer(_ key: String, range: ClosedRange<Int>, default fallback: Int? = nil) throws(CardImageError) -> Int {
            guard let value = take(key) else {
                if let fallback { return fallback }
                throw parser.fail(sub(key), "is missing")
            }
            guard case .number(let n) = value, n.rounded() == n, let i = Int(exactly: n) else {
                throw parser.fail(sub(key), "must be an integer, found \(value.typeName)")
            }
            guard range.contains(i) else { throw parser.fail(sub(key), "\(i) is outside \(range.lowerBound)...\(range.upperBound)") }
            return i
        }

        mutating func hex(_ key: String, optional: Bool = false) throws(CardImageError) -> [UInt8]? {
            guard let s = try string(key, optional: optional) else { return nil }
            guard let bytes = Hex.decode(s) else { throw parser.fail(sub(key), "is not hexadecimal (pairs of 0-9 A-F, spaces allowed)") }
            return bytes
        }

        mutating func object(_ key: String, optional: Bool = false) throws(CardImageError) -> Object? {
            guard let value = optional ? take(key) : try required(key) else { return nil }
            return try parser.object(value, path: sub(key))
        }

        mutating func array(_ key: String, count: ClosedRange<Int>) throws(CardImageError) -> [(String, JSONValue)] {
            let value = take(key) ?? .array([])
            guard case .array(let items) = value else { throw parser.fail(sub(key), "must be an array, found \(value.typeName)") }
            guard count.contains(items.count) else {
                throw parser.fail(sub(key), "has \(items.count) entries, expected \(count.lowerBound) to \(count.upperBound)")
            }
            return items.enumerated().map { ("\(sub(key))[\($0.offset)]", $0.element) }
        }
    }

    func object(_ value: JSONValue, path: String) throws(CardImageError) -> Object {
        guard case .object(let fields) = value else { throw fail(path, "must be an object, found \(value.typeName)") }
        return Object(parser: self, path: path, fields: fields)
    }

    // MARK: Field checks (values of personal fields are never quoted)

    func checkText(_ s: String, path: String, maxLength: Int) throws(CardImageError) -> String {
        guard !s.isEmpty else { throw fail(path, "is empty") }
        guard s.utf8.count <= maxLength else { throw fail(path, "is \(s.utf8.count) characters long, at most \(maxLength) allowed") }
        guard s.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw fail(path, "must be printable ASCII (upper case without accents, as on the card)")
        }
        guard s.first != " ", s.last != " " else { throw fail(path, "has a leading or trailing space") }
        return s
    }

    func checkDigits(_ s: String, path: String, count: ClosedRange<Int>, allowed: Set<String>?) throws(CardImageError) -> String {
        guard s.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw fail(path, "must contain digits only")
        }
        guard count.contains(s.utf8.count) else {
            let expected = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            throw fail(path, "has \(s.utf8.count) digits, expected \(expected)")
        }
        if let allowed, !allowed.contains(s) {
            throw fail(path, "'\(s)' is not one of \(allowed.sorted().joined(separator: ", "))")
        }
        return s
    }

    /// `YYYYMMDD`; with `lunar`, months 19-25 and day 32 are accepted (kept as written).
    func checkDate(_ s: String, path: String, lunar: Bool) throws(CardImageError) -> String {
        let b = Array(s.utf8)
        guard b.count == 8, b.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw fail(path, "must be a date of 8 digits YYYYMMDD")
        }
        func number(_ r: Range<Int>) -> Int { b[r].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } }
        let (year, month, day) = (number(0..<4), number(4..<6), number(6..<8))
        guard (1800...2199).contains(year) else { throw fail(path, "year \(year) is outside 1800-2199") }
        if lunar, (19...25).contains(month) || day == 32 {
            guard (1...32).contains(day) else { throw fail(path, "lunar date has day \(day)") }
            guard (1...12).contains(month) || (19...25).contains(month) else { throw fail(path, "lunar date has month \(month)") }
            return s
        }
        guard (1...12).contains(month) else { throw fail(path, "month \(month) is not 01-12\(lunar ? " (nor a lunar 19-25)" : "")") }
        let days = [31, (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { throw fail(path, "day \(day) does not exist in month \(month) of \(year)") }
        return s
    }

    /// A NIR: format always, key unless the image declares the `wrong-nir-key` defect.
    func checkNIR(_ s: String, path: String, checkKey: Bool) throws(CardImageError) -> String {
        let b = Array(s.utf8)
        guard b.count == 15 else { throw fail(path, "a NIR has 15 characters (13 + 2-digit key), found \(b.count)") }
        let isDigit: (UInt8) -> Bool = { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        guard [UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "7"), UInt8(ascii: "8")].contains(b[0]) else {
            throw fail(path, "the NIR's first character (sex) must be 1, 2, 3, 4, 7 or 8")
        }
        let corsica = b[5] == UInt8(ascii: "2") && (b[6] == UInt8(ascii: "A") || b[6] == UInt8(ascii: "B"))
        for (i, c) in b.enumerated() where !(isDigit(c) || (corsica && i == 6)) {
            throw fail(path, "the NIR has a character that is not a digit at position \(i + 1) (only 2A/2B at positions 6-7)")
        }
        if checkKey {
            guard let expected = CheckDigits.nirKey(s.prefix(13)) else { throw fail(path, "is not a NIR") }
            let found = Int(String(decoding: b[13...], as: UTF8.self))!
            guard found == expected else {
                throw fail(path, "NIR key \(String(decoding: b[13...], as: UTF8.self)) is wrong, expected \(expected < 10 ? "0" : "")\(expected)")
            }
        }
        return s
    }
}

extension CardImageParser {
    func parse(_ root: JSONValue) throws(CardImageError) -> CardImage {
        var top = try object(root, path: "")
        let format = try top.string("format")!
        guard format == CardImage.formatIdentifier else {
            throw fail("format", "'\(format)' is not \(CardImage.formatIdentifier)")
        }
        let kindText = try top.string("kind")!
        guard let kind = CardImage.Kind(rawValue: kindText) else {
            throw fail("kind", "'\(kindText)' is not one of vitale2, vitale1, cps")
        }
        let purpose = try top.string("purpose")!
        guard !purpose.isEmpty else { throw fail("purpose", "is empty") }
        let isTest = try top.bool("test")
        var defects: Set<CardImage.Defect> = []
        for (path, value) in try top.array("defects", count: 0...4) {
            guard case .string(let s) = value, let defect = CardImage.Defect(rawValue: s) else {
                throw fail(path, "must be one of \(CardImage.Defect.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            defects.insert(defect)
        }
        var atr = CardImage.defaultATR(for: kind)
        if let given = try top.hex("atr", optional: true) {
            let parsed: ATR
            do { parsed = try ATR(bytes: given) } catch { throw fail("atr", "is not a valid ATR: \(error)") }
            switch kind {
            case .vitale2, .cps:
                guard parsed.convention == .direct, parsed.protocols == [0] else {
                    throw fail("atr", "a \(kind.rawValue) ATR uses the direct convention and offers T=0 only")
                }
            case .vitale1:
                guard parsed.convention == .inverse else { throw fail("atr", "a Vitale 1 ATR uses the inverse convention (3F)") }
            }
            atr = given
        }
        let content: CardImage.Content
        switch kind {
        case .vitale2:
            guard var v = try top.object("vitale") else { throw fail("vitale", "is missing") }
            content = .vitale2(try parseVitale(&v, defects: defects))
            if top.fields["cps"] != nil { throw fail("cps", "is only allowed for kind cps") }
        case .cps:
            guard var c = try top.object("cps") else { throw fail("cps", "is missing") }
            content = .cps(try parseCPS(&c))
            if top.fields["vitale"] != nil { throw fail("vitale", "is only allowed for kind vitale2") }
        case .vitale1:
            content = .vitale1
        }
        try top.finish()
        if defects.contains(.corruptedIdentityFile), content.vitaleIdentityOverride == nil {
            throw fail("defects", "corrupted-identity-file needs vitale.identityFileHex")
        }
        return CardImage(name: file, purpose: purpose, isTestCard: isTest, atr: atr, defects: defects, content: content)
    }

    func parseVitale(_ v: inout Object, defects: Set<CardImage.Defect>) throws(CardImageError) -> VitaleCardImage {
        let checkKey = !defects.contains(.wrongNIRKey)
        let start = try v.date("startOfValidity")
        guard var i = try v.object("insured") else { throw fail("vitale.insured", "is missing") }
        let insured = VitaleCardImage.Insured(
            regime: try i.digits("regime", count: 2...2),
            caisse: try i.digits("caisse", count: 3...3),
            centre: try i.digits("centre", count: 4...4),
            codeGestion: try i.digits("codeGestion", count: 2...2),
            serialNumber: try i.digits("serialNumber", count: 1...20),
            endOfValidity: try i.date("endOfValidity"),
            nir: try checkNIR(try i.string("nir")!, path: i.sub("nir"), checkKey: checkKey))
        try i.finish()
        var beneficiaries: [VitaleCardImage.Beneficiary] = []
        for (path, value) in try v.array("beneficiaries", count: 1...6) {
            var b = try object(value, path: path)
            let nom = try b.text("nomUsuel")
            var beneficiary = VitaleCardImage.Beneficiary(
                qualite: try b.digits("qualite", count: 1...1, allowed: ["0", "1", "2", "3", "4", "5", "6", "8", "9"]),
                rang: try b.integer("rang", range: 1...3, default: 1),
                nir: try checkNIR(try b.string("nir")!, path: b.sub("nir"), checkKey: checkKey),
                nomUsuel: nom,
                nomPatronymique: try b.optionalText("nomPatronymique") ?? nom,
                prenom: try b.text("prenom"),
                dateOfBirth: try b.date("dateOfBirth", lunar: true))
            for (p, value) in try b.array("amoPeriods", count: 0...3) {
                var o = try object(value, path: p)
                beneficiary.amoPeriods.append(.init(start: try o.date("start"), end: try o.optionalDate("end")))
                try o.finish()
            }
            for (p, value) in try b.array("coverages", count: 0...7) {
                var o = try object(value, path: p)
                beneficiary.coverages.append(.init(
                    start: try o.date("start"), end: try o.optionalDate("end"), ald: try o.bool("ald"),
                    situation: try o.digits("situation", count: 4...4)))
                try o.finish()
            }
            for (p, value) in try b.array("complementary", count: 0...2) {
                var o = try object(value, path: p)
                beneficiary.complementary.append(.init(
                    number: try o.digits("number", count: 1...10),
                    member: try o.optionalText("member", maxLength: 20),
                    tiersPayant: try o.digits("tiersPayant", count: 2...2, allowed: ["00", "01", "02", "62", "71"]),
                    start: try o.date("start"), end: try o.optionalDate("end"),
                    routing: try o.optionalText("routing", maxLength: 10),
                    name: try o.optionalText("name")))
                try o.finish()
            }
            try b.finish()
            beneficiaries.append(beneficiary)
        }
        let override = try v.hex("identityFileHex", optional: true)
        if override != nil, !defects.contains(.corruptedIdentityFile) {
            throw fail(v.sub("identityFileHex"), "is only allowed with the corrupted-identity-file defect")
        }
        try v.finish()
        return VitaleCardImage(startOfValidity: start, insured: insured, beneficiaries: beneficiaries, identityFileOverride: override)
    }

    func parseCPS(_ c: inout Object) throws(CardImageError) -> CPSCardImage {
        let cardType = try c.digits("cardType", count: 1...1, allowed: ["0", "1", "2", "3", "4"])
        let idType = try c.digits("nationalIdType", count: 1...1, allowed: ["0", "8"])
        let nationalId = try c.digits("nationalId", count: idType == "8" ? 12...12 : 10...10)
        guard nationalId.first == Character(idType) else {
            throw fail(c.sub("nationalId"), "must start with \(idType) for national id type \(idType)")
        }
        let civility = try c.text("civility", maxLength: 10)
        let lastName = try c.text("lastName")
        let firstName = try c.text("firstName")
        let end = try c.date("endOfValidity")
        let pin = try c.digits("pin", count: 4...4)
        let tries = try c.integer("pinTriesLeft", range: 0...3, default: 3)
        let key = try c.hex("signingKey")!
        guard key.count == 32 else { throw fail(c.sub("signingKey"), "must be 32 bytes (64 hex digits), found \(key.count)") }
        do { _ = try P256Key.validate(key) } catch { throw fail(c.sub("signingKey"), "is not a valid P-256 private key") }
        let notBefore = try c.date("certificateNotBefore")
        let notAfter = try c.date("certificateNotAfter")
        var situations: [CPSCardImage.Situation] = []
        for (path, value) in try c.array("situations", count: 1...8) {
            var s = try object(value, path: path)
            let number = try s.digits("billingNumber", count: 8...8)
            let keyDigit = try s.digits("billingKey", count: 1...1)
            let expected = CheckDigits.luhn(number)!
            guard keyDigit == String(expected) else {
                throw fail(s.sub("billingKey"), "\(keyDigit) is not the Luhn key of the numéro de facturation, expected \(expected)")
            }
            situations.append(.init(
                modeExercice: try s.digits("modeExercice", count: 1...1, allowed: ["0", "1", "4"]),
                billingNumber: number, billingKey: keyDigit,
                codeConventionnel: try s.digits("codeConventionnel", count: 1...1, allowed: ["0", "1", "2", "3"]),
                specialite: try s.digits("specialite", count: 2...2),
                zoneTarifaire: try s.digits("zoneTarifaire", count: 2...2),
                zoneIK: try s.digits("zoneIK", count: 2...2),
                maySignInvoice: try s.bool("maySignInvoice"),
                maySignLot: try s.bool("maySignLot"),
                structure: try s.optionalText("structure")))
            try s.finish()
        }
        try c.finish()
        return CPSCardImage(cardType: cardType, nationalIdType: idType, nationalId: nationalId, civility: civility, lastName: lastName,
                            firstName: firstName, endOfValidity: end, pin: pin, pinTriesLeft: tries, signingKey: key,
                            certificateNotBefore: notBefore, certificateNotAfter: notAfter, situations: situations)
    }
}

extension CardImage.Content {
    var vitaleIdentityOverride: [UInt8]? { if case .vitale2(let v) = self { v.identityFileOverride } else { nil } }
}
