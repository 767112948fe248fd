import ISO7816
@testable import Vitale

/// Builds Vitale 2 file contents by hand, following docs/card-layout.md 2.3-2.4 (unit tests only).
struct TestPerson {
    var qualite = "0"
    var rang = "1"
    var nir = "295109912611193"
    var nomUsuel = "MARTIN"
    var nomPatronymique = "MARTIN"
    var prenom = "CLAIRE"
    var dateOfBirth = "19951031"
    var periods: [(String, String?)] = [("20250101", "20271231")]
    var coverages: [(String, String?, String, String)] = [("20250101", nil, "0", "0100")]
    var amcs: [(number: String, tp: String, start: String, end: String?)] = []
}

enum CardBuilder {
    static func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func pad(_ content: [UInt8]) -> [UInt8] {
        content + [UInt8](repeating: 0, count: (content.count / 256 + 1) * 256 - content.count)
    }

    static func identity(_ people: [TestPerson]) -> [UInt8] {
        var w = TLVWriter()
        for p in people {
            w.appendConstructed(tag: 0x65) { w in
                w.append(tag: 0x80, value: ascii(p.nomUsuel))
                w.append(tag: 0x81, value: ascii(p.prenom))
                w.append(tag: 0x82, value: ascii(p.dateOfBirth))
            }
        }
        return pad(w.bytes)
    }

    static func nirs(_ people: [TestPerson]) -> [UInt8] {
        var w = TLVWriter()
        for p in people {
            w.appendConstructed(tag: 0x65) { w in w.append(tag: 0x93, value: ascii(p.nir)) }
        }
        return pad(w.bytes)
    }

    static func rights(_ people: [TestPerson], insuredNIR: String = "295109912611193", regime: String = "01", end: String = "20311231") -> [UInt8] {
        var w = TLVWriter()
        w.appendConstructed(tag: 0x66) { w in w.append(tag: 0x80, value: ascii("20210315")) }
        w.appendConstructed(tag: 0xE1) { w in
            w.append(tag: 0xC1, value: ascii(regime))
            w.append(tag: 0xC2, value: ascii("349"))
            w.append(tag: 0xC3, value: ascii("0001"))
            w.append(tag: 0xC4, value: ascii("10"))
            w.append(tag: 0xC5, value: ascii("0100000001"))
            w.append(tag: 0xC6, value: ascii(end))
            w.append(tag: 0xC7, value: ascii(insuredNIR))
            w.append(tag: 0xDF01, value: ascii("unknown tag, skipped"))
        }
        for p in people {
            w.appendConstructed(tag: 0xE2) { w in
                w.append(tag: 0xC1, value: ascii(p.qualite))
                w.append(tag: 0xC2, value: ascii(p.rang))
                w.append(tag: 0xC3, value: ascii(p.nir))
                w.append(tag: 0xC4, value: ascii(p.nomUsuel))
                w.append(tag: 0xC5, value: ascii(p.nomPatronymique))
                w.append(tag: 0xC6, value: ascii(p.prenom))
                w.append(tag: 0xC7, value: ascii(p.dateOfBirth))
                for (s, e) in p.periods {
                    w.appendConstructed(tag: 0xE3) { w in
                        w.append(tag: 0xC1, value: ascii(s))
                        if let e { w.append(tag: 0xC2, value: ascii(e)) }
                    }
                }
                for (s, e, ald, sit) in p.coverages {
                    w.appendConstructed(tag: 0xE4) { w in
                        w.append(tag: 0xC1, value: ascii(s))
                        if let e { w.append(tag: 0xC2, value: ascii(e)) }
                        w.append(tag: 0xC3, value: ascii(ald))
                        w.append(tag: 0xC4, value: ascii(sit))
                    }
                }
                for a in p.amcs {
                    w.appendConstructed(tag: 0xE5) { w in
                        w.append(tag: 0xC1, value: ascii(a.number))
                        w.append(tag: 0xC3, value: ascii(a.tp))
                        w.append(tag: 0xC4, value: ascii(a.start))
                        if let e = a.end { w.append(tag: 0xC5, value: ascii(e)) }
                    }
                }
            }
        }
        return pad(w.bytes)
    }
}
