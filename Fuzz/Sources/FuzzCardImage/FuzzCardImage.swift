import Emulator

/// The fuzz target: any bytes given as a card image file are accepted or refused with a ``CardImageError``,
/// never a trap; an accepted image builds a card that answers a SELECT.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCardImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let image = try? CardImage.parse(bytes, name: "fuzz.json") {
        let card = EmulatedCard(image: image)
        guard card.process([0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]).count >= 2 else { fatalError("no status word") }
    }
    return 0
}
