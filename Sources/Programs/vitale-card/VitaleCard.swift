import ArgumentParser
import Emulator
import Foundation
import Logging
import VPCD

/// `vitale-card`: presents an emulated card (a card image of `Fixtures/cards/`) in a slot of the virtual
/// reader driver of pcscd and keeps it there, taking control commands on standard input.
@main
struct VitaleCard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vitale-card",
        abstract: "Present an emulated carte Vitale or CPS in a virtual reader slot (vpcd) of pcscd.",
        discussion: """
            The card stays in the slot until the program ends. Control commands, one per line on standard input \
            (each answered with a line starting with "ok" or "error"):
              status                 the slot's state: card, connection, APDUs answered, an APDU held, resets, faults
              remove                 take the card out
              insert [IMAGE]         put the card back (or another image) in the slot
              swap IMAGE             remove the card and insert another image
              fault remove-after N   answer N more APDUs, then pull the card out during the next one
              fault mute             stop answering APDUs (until "clear" or "remove")
              fault slow MS          answer every APDU after MS milliseconds
              fault comm-error [N]   garble the answers of the next N APDUs (default 1)
              clear                  clear every fault
              quit                   remove the card and exit
            End of input leaves the card in place. See docs/vitale-card.md.
            """)

    @Argument(help: "The card image (JSON, see docs/card-layout.md).")
    var image: String

    @Option(help: "The vpcd port: default 35963 (Virtual PCD slot 0) for a Vitale, 35964 (slot 1) for a CPS.")
    var port: UInt16?

    @Option(help: "The host of the vpcd driver (connect mode) or the address to listen on (--listen).")
    var host: String = "127.0.0.1"

    @Flag(help: "Listen for the driver (reversed mode: DEVICENAME host:port in reader.conf) instead of connecting.")
    var listen = false

    @Flag(help: "Start with the slot empty (insert with the \"insert\" command).")
    var empty = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() throws {
        var logger = Logger(label: "vitale-card")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let first = try Self.loadImage(image)
        let port = self.port ?? (first.kind == .cps ? 35964 : 35963)
        let mode: VirtualSlot.Mode = listen ? .listen(host: host, port: port) : .connect(host: host, port: port)
        let slot = VirtualSlot(mode: mode, logger: logger)
        try slot.start()
        var current = first
        var currentPath = image
        if !empty { slot.insert(EmulatedCard(image: first)) }
        Self.say("ready \(first.kind.rawValue) \(first.name) \(mode)\(empty ? " (empty)" : "")")

        while let line = readLine() {
            let words = line.split(separator: " ").map(String.init)
            guard let command = words.first else { continue }
            do {
                switch (command, words.count) {
                case ("status", 1):
                    let s = slot.status
                    Self.say("ok card=\(s.isCardPresent ? current.name : "none") connected=\(s.isConnected) apdus=\(s.apdusSinceInsertion) "
                        + "connections=\(s.connections) holding=\(s.isHoldingAPDU) resets=\(s.powerControls) faults=\(s.faults.map(\.description).joined(separator: "; "))")
                case ("remove", 1):
                    slot.remove()
                    Self.say("ok removed")
                case ("insert", 1):
                    current = try Self.loadImage(currentPath)
                    slot.insert(EmulatedCard(image: current))
                    Self.say("ok inserted \(current.name)")
                case ("insert", 2), ("swap", 2):
                    let next = try Self.loadImage(words[1])
                    slot.remove()
                    slot.insert(EmulatedCard(image: next))
                    current = next
                    currentPath = words[1]
                    Self.say("ok inserted \(next.name)")
                case ("fault", 3) where words[1] == "remove-after":
                    slot.inject(.removeAfter(apdus: try Self.number(words[2])))
                    Self.say("ok")
                case ("fault", 2) where words[1] == "mute":
                    slot.inject(.mute)
                    Self.say("ok")
                case ("fault", 3) where words[1] == "slow":
                    slot.inject(.slow(milliseconds: try Self.number(words[2])))
                    Self.say("ok")
                case ("fault", 2) where words[1] == "comm-error", ("fault", 3) where words[1] == "comm-error":
                    slot.inject(.communicationError(count: words.count == 3 ? try Self.number(words[2]) : 1))
                    Self.say("ok")
                case ("clear", 1):
                    slot.clearFaults()
                    Self.say("ok")
                case ("quit", 1):
                    slot.stop()
                    Self.say("ok bye")
                    return
                default:
                    Self.say("error unknown command \"\(line)\" (status, remove, insert [IMAGE], swap IMAGE, fault remove-after N|mute|slow MS|comm-error [N], clear, quit)")
                }
            } catch {
                Self.say("error \(error)")
            }
        }
        // End of input: keep presenting the card until killed.
        while true { pause() }
    }

    struct NotANumber: Error, CustomStringConvertible {
        var text: String
        var description: String { "\"\(text)\" is not a non-negative integer" }
    }

    static func number(_ text: String) throws -> Int {
        guard let n = Int(text), n >= 0 else { throw NotANumber(text: text) }
        return n
    }

    static func loadImage(_ path: String) throws -> CardImage {
        do {
            return try CardImage.load(from: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    static func say(_ line: String) {
        print(line)
        fflush(nil)
    }
}

/// `vitale-card` presents the emulated card OS in a vpcd slot (VPCD itself knows no card OS).
extension EmulatedCard: VirtualCard {}
