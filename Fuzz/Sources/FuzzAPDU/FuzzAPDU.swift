import ISO7816

/// The fuzz target (called by libFuzzer for every input): command APDUs parse or throw, and a parsed command encodes back to exactly its bytes;
/// response APDUs parse or throw and keep their bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAPDU(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let command = try? CommandAPDU(bytes: bytes) {
        guard command.bytes == bytes else { fatalError("command \(command) does not encode back to its bytes") }
        _ = command.description
        if let ne = command.ne, let resent = try? command.withNe(ne) {
            guard resent == command else { fatalError("withNe changed the command") }
        }
    }
    if let response = try? ResponseAPDU(bytes: bytes) {
        guard response.bytes == bytes else { fatalError("response does not keep its bytes") }
        _ = response.statusWord.meaning
    }
    return 0
}
