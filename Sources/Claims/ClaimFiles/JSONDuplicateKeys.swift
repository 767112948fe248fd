/// Finds a key given twice in one JSON object, which `JSONSerialization` and `JSONDecoder` silently resolve
/// (the last one wins): a claim whose `care_date` is given twice must be refused, not guessed.
///
/// A single pass over the bytes with a stack of the keys seen per open object; no recursion, so any input,
/// however deep or malformed, is scanned in linear time (malformed JSON is left to the JSON parser to report).
public enum JSONDuplicateKeys {
    private enum Container { case object(keys: Set<[UInt8]>, name: String), array }

    /// The first key repeated within one object, as a dotted path from the top (`patient.nir`), or nil.
    public static func first(in bytes: some Collection<UInt8>) -> String? {
        var stack: [Container] = []
        var expectingKey = false
        var lastKey: [UInt8]?
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "\""):
                // A string: read it whole (escapes kept as written, which is enough to compare keys).
                var string: [UInt8] = []
                var escaped = false
                while let c = iterator.next() {
                    if escaped { string.append(c); escaped = false; continue }
                    if c == UInt8(ascii: "\\") { string.append(c); escaped = true; continue }
                    if c == UInt8(ascii: "\"") { break }
                    string.append(c)
                }
                if expectingKey, case .object(var keys, let name) = stack.last {
                    if keys.contains(string) {
                        let key = String(decoding: string, as: UTF8.self)
                        return name.isEmpty ? key : "\(name).\(key)"
                    }
                    keys.insert(string)
                    stack[stack.count - 1] = .object(keys: keys, name: name)
                    lastKey = string
                    expectingKey = false
                }
            case UInt8(ascii: "{"):
                var name = ""
                if case .object(_, let parent) = stack.last, let lastKey {
                    let key = String(decoding: lastKey, as: UTF8.self)
                    name = parent.isEmpty ? key : "\(parent).\(key)"
                }
                stack.append(.object(keys: [], name: name))
                expectingKey = true
                lastKey = nil
            case UInt8(ascii: "["):
                stack.append(.array)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !stack.isEmpty { stack.removeLast() }
                expectingKey = false
            case UInt8(ascii: ","):
                if case .object = stack.last { expectingKey = true }
            default:
                break
            }
        }
        return nil
    }
}
