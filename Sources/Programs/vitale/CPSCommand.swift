import ArgumentParser
import CPS
import Foundation
import PCSC

/// `vitale cps`: reads the practitioner's card.
struct CPSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cps",
        abstract: "Read the CPS (practitioner card) in a reader: holder, situations, certificate, PIN state.",
        discussion: """
            Without --reader, reads the first reader holding a CPS. The PIN state is asked without using a try. \
            With --pin-stdin, the PIN (4 digits) is read from standard input and presented to the card: a wrong \
            PIN uses one of the 3 tries.
            """)

    @Option(help: "The reader (exact name, or a part of the name that matches one reader).")
    var reader: String?

    @Flag(help: "Print JSON for programs.")
    var json = false

    @Flag(help: "Read the PIN from standard input and present it to the card.")
    var pinStdin = false

    struct Output: Encodable {
        var reader: String
        var card: PractitionerCard
        var pin: String
    }

    func run() async throws {
        try await exiting {
            let pin: String? = pinStdin ? (readLine(strippingNewline: true) ?? "") : nil
            let context = try await CardAccess.context()
            let name = try await CardAccess.chooseReader(context, requested: reader, preferred: .cps)
            let (card, status) = try await CardAccess.withCard(context, reader: name) { card, atr in
                let session = try CPSSession(channel: card, atr: atr)
                let read = try await session.read()
                if let pin { try await session.verifyPIN(pin) }
                return (read, try await session.pinStatus())
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(Output(reader: name, card: card, pin: status.description)), as: UTF8.self))
            } else {
                print(Rendering.cps(card, reader: name, pin: status))
            }
        }
    }
}
