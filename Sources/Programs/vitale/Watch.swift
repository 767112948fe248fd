import ArgumentParser
import Dispatch
import Foundation
import ISO7816
import PCSC
import Vitale

/// `vitale watch`: reports insertions and removals and reads each inserted card, until interrupted.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report card insertions and removals, reading each inserted carte Vitale, until interrupted (Ctrl-C).",
        discussion: "With --json, prints one JSON object per line: {\"event\": ..., \"reader\": ..., ...}.")

    @Option(help: "Watch only this reader (exact name, or a part of the name).")
    var reader: String?

    @OptionGroup var output: VitaleOutputOptions

    func say(_ line: String) {
        print(line)
        fflush(nil)
    }

    func event(_ kind: String, _ reader: String?, _ extra: [String: String] = [:]) -> String {
        var object: [String: String] = ["event": kind, "time": ISO8601DateFormatter().string(from: Date())]
        if let reader { object["reader"] = reader }
        object.merge(extra) { $1 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(object)) ?? Data(), as: UTF8.self)
    }

    func matches(_ name: String?) -> Bool {
        guard let reader, let name else { return true }
        return name == reader || name.localizedCaseInsensitiveContains(reader)
    }

    func run() async throws {
        _ = try output.day()
        try await exiting {
            // Fail early and clearly when pcscd is not there.
            let context = try await CardAccess.context()
            _ = try await CardAccess.readers(context)
            signal(SIGINT, SIG_IGN)
            signal(SIGTERM, SIG_IGN)
            let task = Task { try await watch(context) }
            let sources = [SIGINT, SIGTERM].map { sig in
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
                source.setEventHandler { task.cancel() }
                source.resume()
                return source
            }
            defer { sources.forEach { $0.cancel() } }
            try await task.value
            if !output.json { say("stopped") }
            await context.release()
            // The reader watcher's thread may still be inside libpcsclite for up to its wake interval: leave
            // without running the library's exit-time destructors under it (a crash seen under load).
            fflush(nil)
            _exit(0)
        }
    }

    func watch(_ context: PCSCContext) async throws {
        for await change in ReaderEvents(wakeInterval: .milliseconds(500)) {
            if Task.isCancelled { break }
            guard matches(change.reader) else { continue }
            let json = output.json
            switch change {
            case .readerAdded(let r): say(json ? event("readerAdded", r) : "reader added: \(r)")
            case .readerRemoved(let r): say(json ? event("readerRemoved", r) : "reader removed: \(r)")
            case .cardRemoved(let r): say(json ? event("cardRemoved", r) : "card removed from \(r)")
            case .cardMute(let r): say(json ? event("cardMute", r) : "mute card in \(r): it does not answer its reset")
            case .heldExclusively, .exclusiveReleased: continue
            case .serviceLost(let e):
                say(json ? event("serviceLost", nil, ["error": e.name]) : "pcscd lost (\(e.name)); waiting for it (Hardware/pcscd-ctl start)")
            case .serviceRestored: say(json ? event("serviceRestored", nil) : "pcscd is back")
            case .cardInserted(let r, let atr):
                let kind = CardKind(atr: atr)
                say(json ? event("cardInserted", r, ["card": kind.rawValue, "atr": Hex.encode(atr, separator: " ")])
                    : "card inserted in \(r): \(kind.rawValue) (ATR \(Hex.encode(atr, separator: " ")))")
                guard kind == .vitale2 else { continue }
                do {
                    let card = try await CardAccess.withCard(context, reader: r) { card, atr in
                        try await VitaleReader().read(from: card, atr: atr)
                    }
                    say(try output.render(card, reader: r, compact: true))
                } catch {
                    let failure = CardAccess.failure(error, step: "reading the card in \"\(r)\"")
                    say(json ? event("readFailed", r, ["error": failure.message, "exitStatus": String(failure.status.rawValue)])
                        : "read failed: \(failure.message)")
                }
            }
        }
    }
}
