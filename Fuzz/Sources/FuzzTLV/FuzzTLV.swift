import ISO7816

/// The fuzz target (called by libFuzzer for every input): BER-TLV parsing never traps, nested objects included, and what parses re-encodes to
/// something that parses to the same objects.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTLV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let objects = try? TLV.parseAll(bytes) else { return 0 }
    var writer = TLVWriter()
    for object in objects {
        walk(object, depth: 0)
        writer.append(tag: object.tag, value: object.value)
    }
    guard let again = try? TLV.parseAll(writer.bytes) else { fatalError("re-encoded TLVs do not parse") }
    guard again.count == objects.count else { fatalError("re-encoded TLVs differ in number") }
    for (a, b) in zip(objects, again) where a.tag != b.tag || Array(a.value) != Array(b.value) {
        fatalError("re-encoded TLV \(a.tag) differs")
    }
    return 0
}

private func walk(_ object: TLV, depth: Int) {
    guard depth < 16, object.tag.isConstructed, let children = try? object.children() else { return }
    for child in children { walk(child, depth: depth + 1) }
}
