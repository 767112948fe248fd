import ISO7816

/// The fuzz target (called by libFuzzer for every input): ATR parsing never traps, and a parsed ATR keeps its bytes and offers a protocol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzATR(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let atr = try? ATR(bytes: bytes) else { return 0 }
    guard atr.bytes == bytes, !atr.protocols.isEmpty else { fatalError("ATR \(atr) lost bytes or protocols") }
    _ = atr.description
    return 0
}
