import Claims

/// libFuzzer entry point: the FSE decoder never traps, and whatever it accepts re-encodes to exactly the same
/// bytes (the format is canonical).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFSE(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let fse = try? FSE(decoding: bytes) else { return 0 }
    guard let again = try? fse.encoded() else { fatalError("a decoded FSE does not encode") }
    guard again == bytes else { fatalError("a decoded FSE re-encodes to different bytes") }
    return 0
}
