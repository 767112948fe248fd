import Foundation
import ISO7816

/// A card image: the human-readable description of one emulated card (`Fixtures/cards/*.json`), in the
/// format of `docs/card-layout.md` section 4.
public struct CardImage: Sendable, Hashable {
    /// The card generations an image can describe.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A carte Vitale 2 (T=0, identity, NIR and rights files).
        case vitale2
        /// A carte Vitale 1: only its ATR is emulated.
        case vitale1
        /// A CPS (carte de professionnel de santé).
        case cps
    }

    /// Deliberate defects an image may declare; the loader accepts them instead of refusing the image.
    public enum Defect: String, Sendable, Hashable, CaseIterable {
        /// NIR keys are not checked (a card carrying a wrong NIR key).
        case wrongNIRKey = "wrong-nir-key"
        /// The identity file's content is given raw, as bytes that do not parse.
        case corruptedIdentityFile = "corrupted-identity-file"
    }

    /// What is on the card.
    public enum Content: Sendable, Hashable {
        case vitale2(VitaleCardImage)
        case vitale1
        case cps(CPSCardImage)
    }

    /// The image format identifier (`format` key).
    public static let formatIdentifier = "openvitale-card-image/1"

    /// The file the image was read from (its last path component), or a label.
    public var name: String
    public var kind: Kind { switch content { case .vitale2: .vitale2; case .vitale1: .vitale1; case .cps: .cps } }
    /// Why the image exists.
    public var purpose: String
    /// True for a test card.
    public var isTestCard: Bool
    public var atr: [UInt8]
    public var defects: Set<Defect>
    public var content: Content

    public init(name: String, purpose: String, isTestCard: Bool, atr: [UInt8], defects: Set<Defect> = [], content: Content) {
        self.name = name
        self.purpose = purpose
        self.isTestCard = isTestCard
        self.atr = atr
        self.defects = defects
        self.content = content
    }

    /// The Vitale data, for a Vitale 2 image.
    public var vitale: VitaleCardImage? { if case .vitale2(let v) = content { v } else { nil } }
    /// The CPS data, for a CPS image.
    public var cps: CPSCardImage? { if case .cps(let c) = content { c } else { nil } }

    /// The default ATR of each kind.
    public static func defaultATR(for kind: Kind) -> [UInt8] {
        switch kind {
        case .vitale2: [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00]
        case .vitale1: [0x3F, 0x65, 0x25, 0x00, 0x52, 0x09, 0x6A, 0x90, 0x00]
        case .cps: [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00]
        }
    }

    /// Reads and validates the image at `url`.
    public static func load(from url: URL) throws(CardImageError) -> CardImage {
        let name = url.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CardImageError(file: name, field: "", problem: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(data, name: name)
    }

    /// Parses and validates an image; `name` is used in errors.
    public static func parse(_ data: Data, name: String) throws(CardImageError) -> CardImage {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw CardImageError(file: name, field: "", problem: "is not valid JSON (\(Self.describe(error)))")
        }
        return try CardImageParser(file: name).parse(root)
    }

    /// Parses and validates an image given as bytes; `name` is used in errors.
    public static func parse(_ bytes: [UInt8], name: String) throws(CardImageError) -> CardImage {
        try parse(Data(bytes), name: name)
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError as NSError? {
                return underlying.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
            }
            return context.debugDescription
        }
        return "\(error)"
    }
}

/// Why a card image was refused: the file, the field (a path such as `vitale.beneficiaries[2].nir`) and the
/// problem. Personal values (NIRs, names) are never quoted.
public struct CardImageError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var field: String
    public var problem: String

    public init(file: String, field: String, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    public var description: String {
        field.isEmpty ? "\(file): \(problem)" : "\(file): \(field): \(problem)"
    }
}

/// A JSON value, decoded without losing the distinction between booleans and numbers.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let b = try? container.decode(Bool.self) { self = .bool(b); return }
        if let n = try? container.decode(Double.self) { self = .number(n); return }
        if let s = try? container.decode(String.self) { self = .string(s); return }
        if let a = try? container.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try container.decode([String: JSONValue].self))
    }

    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
