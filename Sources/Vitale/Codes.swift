/// The qualité of a beneficiary: how the person relates to the insured (code of SESAM-Vitale group 104).
///
/// The code is kept as read; ``label`` names the documented codes.
public struct Qualite: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One digit, `0`-`9`.
    public let code: String

    public init(code: String) { self.code = code }

    /// 0: the insured (assuré).
    public static let insured = Qualite(code: "0")
    /// 2: spouse (conjoint).
    public static let spouse = Qualite(code: "2")
    /// 6: child (enfant).
    public static let child = Qualite(code: "6")

    /// The French term of the code, nil for an undocumented code.
    public var label: String? {
        switch code {
        case "0": return "assuré"
        case "1": return "ascendant, descendant, collatéral"
        case "2": return "conjoint"
        case "3": return "conjoint divorcé"
        case "4": return "concubin"
        case "5": return "conjoint séparé"
        case "6": return "enfant"
        case "8": return "conjoint veuf"
        case "9": return "autre ayant droit"
        default: return nil
        }
    }

    /// True for the insured himself or herself (code 0).
    public var isInsured: Bool { code == "0" }

    public var description: String { label.map { "\(code) (\($0))" } ?? code }

    private enum CodingKeys: String, CodingKey { case code, label }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encodeIfPresent(label, forKey: .label)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
    }
}

/// The code régime: which health insurance scheme the insured belongs to (2 digits, group 101).
public struct Regime: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Two digits, for example `01`.
    public let code: String

    public init(code: String) { self.code = code }

    /// 01: régime général.
    public static let general = Regime(code: "01")

    /// The scheme's name, nil for a code the table does not list.
    public var name: String? {
        switch code {
        case "01": return "régime général"
        case "02": return "régime agricole (MSA)"
        case "03": return "AMPI"
        case "04": return "SNCF"
        case "05": return "RATP"
        case "06": return "ENIM (marins)"
        case "07": return "mines"
        case "08": return "CNMSS (militaires)"
        case "09": return "Banque de France"
        case "10": return "CRPCEN"
        case "12": return "CCIP"
        case "14": return "Assemblée nationale"
        case "15": return "Sénat"
        case "16": return "port autonome de Bordeaux"
        case "90": return "CAVIMAC"
        case "91": return "MGEN"
        case "92": return "MGPTT"
        case "93": return "MGP"
        case "94": return "MFP"
        case "95": return "MNH"
        case "96": return "MNAM"
        case "99": return "sections locales mutualistes"
        default: return nil
        }
    }

    public var description: String { name.map { "\(code) (\($0))" } ?? code }

    private enum CodingKeys: String, CodingKey { case code, name }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encodeIfPresent(name, forKey: .name)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
    }
}

/// The tiers-payant indicator of a complementary insurance (indicateur de tiers payant, group 109).
public struct TiersPayantIndicator: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Two digits: `00`, `01`, `02`, `62` or `71`.
    public let code: String

    public init(code: String) { self.code = code }

    /// 00: no tiers payant.
    public static let none = TiersPayantIndicator(code: "00")
    /// 01: tiers payant by agreement (convention).
    public static let agreement = TiersPayantIndicator(code: "01")

    /// What the code means, nil for an undocumented code.
    public var label: String? {
        switch code {
        case "00": return "pas de tiers payant"
        case "01": return "tiers payant conventionnel"
        case "02": return "tiers payant réglementaire"
        case "62": return "CMU"
        case "71": return "sortant CMU"
        default: return nil
        }
    }

    /// True when the indicator allows the practitioner to bill the complementary part to the insurer:
    /// every documented code except `00`. An undocumented code does not allow it.
    public var allowsTiersPayant: Bool { ["01", "02", "62", "71"].contains(code) }

    public var description: String { label.map { "\(code) (\($0))" } ?? code }

    private enum CodingKeys: String, CodingKey { case code, label, allowsTiersPayant }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encodeIfPresent(label, forKey: .label)
        try c.encode(allowsTiersPayant, forKey: .allowsTiersPayant)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
    }
}
