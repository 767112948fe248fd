import Emulator
import Foundation
import ISO7816
import TestSupport

/// Fixture loading and APDU helpers for the emulator tests.
enum Fixtures {
    static var cardsDirectory: URL { RepositoryPaths.fixtures.appendingPathComponent("cards") }

    static var allImageURLs: [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: cardsDirectory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func image(_ name: String) throws -> CardImage {
        try CardImage.load(from: cardsDirectory.appendingPathComponent(name))
    }

    static func card(_ name: String) throws -> EmulatedCard {
        EmulatedCard(image: try image(name))
    }
}

func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

extension EmulatedCard {
    /// Processes a hex APDU and splits the answer.
    func run(_ apdu: String) -> (data: [UInt8], sw: UInt16) {
        let r = process(hex(apdu))
        return (Array(r.dropLast(2)), UInt16(r[r.count - 2]) << 8 | UInt16(r[r.count - 1]))
    }
}

/// The `65` TLVs of a file, each as its children keyed by tag, stopping at padding.
func persons(_ file: [UInt8]) throws -> [[UInt32: String]] {
    try TLV.parseAll(file).filter { $0.tag == 0x65 }.map { person in
        var out: [UInt32: String] = [:]
        for child in try person.children() { out[child.tag.rawValue] = String(decoding: child.value, as: UTF8.self) }
        return out
    }
}
