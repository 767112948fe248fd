/// The error type of a decoder that reads fields out of a card file's TLVs. Enum cases with these names and
/// labels satisfy the requirements (the Vitale and CPS decoders' errors).
public protocol TLVFieldError: Error {
    /// The decoder's name for the file being read (shown in messages).
    associatedtype File
    /// A file's BER-TLV structure is broken at `offset`.
    static func corruptedTLV(file: File, offset: Int, reason: String) -> Self
    /// A field (`path / name`) is missing or breaks the layout.
    static func invalidField(file: File, field: String, problem: String) -> Self
}

/// The children of one constructed TLV of a card file, with typed accessors that name the file and the field
/// path (`beneficiary 2 / C7 date of birth`) in their errors.
public struct TLVFields<Failure: TLVFieldError> {
    /// The children, in card order.
    public let children: [TLV]
    /// The file they come from.
    public let file: Failure.File
    /// The path of the constructed TLV (`E1 holder`), prefixed to field names in errors.
    public let path: String

    /// The children of `tlv`; throws when it is not constructed or its children do not parse.
    public init(_ tlv: TLV, file: Failure.File, path: String) throws(Failure) {
        guard tlv.tag.isConstructed else {
            throw .invalidField(file: file, field: path, problem: "tag \(tlv.tag) is not constructed")
        }
        do {
            children = try tlv.children()
        } catch {
            throw .corruptedTLV(file: file, offset: error.offset, reason: "\(path): \(error.reason.rawValue)")
        }
        self.file = file
        self.path = path
    }

    /// The value of the first child with `tag`.
    public func value(_ tag: TLVTag) -> ArraySlice<UInt8>? {
        children.first { $0.tag == tag }?.value
    }

    /// The error for field `name` of this TLV.
    public func fail(_ name: String, _ problem: String) -> Failure {
        .invalidField(file: file, field: "\(path) / \(name)", problem: problem)
    }

    /// Printable ASCII text of `length` characters; nil when the field is absent.
    public func optionalText(_ tag: TLVTag, _ name: String, length: ClosedRange<Int>) throws(Failure) -> String? {
        guard let v = value(tag) else { return nil }
        guard length.contains(v.count) else {
            throw fail(name, "\(v.count) character(s), expected \(length.lowerBound)-\(length.upperBound)")
        }
        for (i, b) in v.enumerated() where b < 0x20 || b > 0x7E {
            throw fail(name, "character \(i + 1) is not printable ASCII")
        }
        return String(decoding: v, as: UTF8.self)
    }

    /// Printable ASCII text of `length` characters, required.
    public func text(_ tag: TLVTag, _ name: String, length: ClosedRange<Int>) throws(Failure) -> String {
        guard let t = try optionalText(tag, name, length: length) else { throw fail(name, "missing") }
        return t
    }

    /// ASCII digits, `length` of them, required.
    public func digits(_ tag: TLVTag, _ name: String, length: ClosedRange<Int>) throws(Failure) -> String {
        let t = try text(tag, name, length: length)
        guard t.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw fail(name, "must be digits only") }
        return t
    }
}

extension TLVFields: Sendable where Failure.File: Sendable {}
