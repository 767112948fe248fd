import ArgumentParser
import Foundation
import ISO7816
import PCSC

/// `vitale readers`: every reader and what is in it.
struct Readers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the readers and the card in each (kind and ATR).")

    @Flag(help: "Print JSON for programs.")
    var json = false

    struct Entry: Encodable {
        var reader: String
        var state: String
        var card: String?
        var atr: String?
    }

    func run() async throws {
        try await exiting {
            let context = try await CardAccess.context()
            let names = try await CardAccess.readers(context)
            let states = try await CardAccess.states(context, names)
            let entries = states.map { s -> Entry in
                if s.flags.contains(.mute) { return Entry(reader: s.reader, state: "mute card", card: nil, atr: nil) }
                guard s.hasCard else { return Entry(reader: s.reader, state: "empty", card: nil, atr: nil) }
                var state = "card present"
                if s.flags.contains(.exclusive) { state += ", held exclusively" } else if s.flags.contains(.inUse) { state += ", in use" }
                return Entry(reader: s.reader, state: state, card: CardKind(atr: s.atr).rawValue, atr: Hex.encode(s.atr, separator: " "))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(entries), as: UTF8.self))
            } else {
                var rows = [["Reader", "State", "Card", "ATR"]]
                rows += entries.map { [$0.reader, $0.state, $0.card ?? "-", $0.atr ?? "-"] }
                print(Rendering.table(rows, indent: ""))
            }
        }
    }
}
