import CPS
import Foundation
import ISO7816
import PCSC
import Vitale

/// The kind of card an ATR announces, as `vitale` reports it.
enum CardKind: String, Encodable {
    case vitale2 = "carte Vitale 2"
    case vitale1 = "Vitale 1 (legacy, not supported)"
    case cps = "CPS"
    case unknown = "unknown card"

    init(atr: [UInt8]) {
        switch VitaleGeneration(atr: atr) {
        case .vitale2: self = .vitale2
        case .vitale1: self = .vitale1
        case .notVitale: self = CPSSession.isCPS(atr: atr) ? .cps : .unknown
        }
    }
}

/// PC/SC access for the subcommands: context, reader choice, connection, and the mapping of every failure to
/// an exit status with a clear message.
enum CardAccess {
    static func context() async throws -> PCSCContext {
        do {
            return try await PCSCContext(recoveryTimeout: .milliseconds(500))
        } catch {
            throw failure(error, step: "connecting to pcscd")
        }
    }

    static func readers(_ context: PCSCContext) async throws -> [String] {
        do {
            let names = try await context.readers()
            guard !names.isEmpty else { throw CommandFailure(status: .noReader, message: "no smart card reader found") }
            return names
        } catch let error as PCSCError {
            if error == .noReadersAvailable { throw CommandFailure(status: .noReader, message: "no smart card reader found") }
            throw failure(error, step: "listing readers")
        }
    }

    static func states(_ context: PCSCContext, _ readers: [String]) async throws -> [ReaderState] {
        do { return try await context.states(of: readers) } catch { throw failure(error, step: "reading the readers' state") }
    }

    /// The reader to use: `requested` (exact name, else the only reader whose name contains it), or the first
    /// reader holding a card of `preferred` kind, or else the first reader holding any card.
    static func chooseReader(_ context: PCSCContext, requested: String?, preferred: CardKind) async throws -> String {
        let names = try await readers(context)
        if let requested {
            if names.contains(requested) { return requested }
            let matches = names.filter { $0.localizedCaseInsensitiveContains(requested) }
            guard matches.count == 1 else {
                throw CommandFailure(
                    status: .noReader,
                    message: matches.isEmpty
                        ? "no reader named \"\(requested)\" (see `vitale readers`)"
                        : "\"\(requested)\" matches \(matches.count) readers: \(matches.joined(separator: ", "))")
            }
            return matches[0]
        }
        let states = try await Self.states(context, names).filter(\.hasCard)
        if let match = states.first(where: { CardKind(atr: $0.atr) == preferred }) { return match.reader }
        if preferred == .vitale2, let legacy = states.first(where: { CardKind(atr: $0.atr) == .vitale1 }) { return legacy.reader }
        guard let any = states.first else {
            throw CommandFailure(status: .noCard, message: "no card in any reader (\(names.count) reader(s))")
        }
        return any.reader
    }

    /// Connects to the card in `reader`, runs `body` inside a PC/SC transaction, and disconnects.
    static func withCard<T>(_ context: PCSCContext, reader: String, _ body: (PCSCCard, [UInt8]) async throws -> T) async throws -> T {
        let card: PCSCCard
        let atr: [UInt8]
        do {
            card = try await context.connect(to: reader)
            atr = try await card.atr()
        } catch where error == .noSmartcard || error == .removedCard {
            throw CommandFailure(status: .noCard, message: "no card in \"\(reader)\"")
        } catch {
            throw failure(error, step: "connecting to the card in \"\(reader)\"")
        }
        do {
            let value = try await card.withTransaction { try await body(card, atr) }
            try? await card.disconnect()
            return value
        } catch {
            try? await card.disconnect()
            throw failure(error, step: "reading the card in \"\(reader)\"")
        }
    }

    /// Maps any error to a ``CommandFailure``; messages never contain a NIR or a name (the decoders' errors
    /// guarantee it, PC/SC errors carry none).
    static func failure(_ error: any Error, step: String) -> CommandFailure {
        switch error {
        case let f as CommandFailure:
            return f
        case let e as VitaleError:
            switch e {
            case .notAVitaleCard: return CommandFailure(status: .wrongCard, message: e.description)
            case .legacyVitale1: return CommandFailure(status: .legacyVitale1, message: e.description)
            case .cardRemoved: return CommandFailure(status: .cardRemoved, message: e.description)
            case .serviceUnavailable:
                return CommandFailure(status: .pcscdNotRunning, message: "\(e) (start it: Hardware/pcscd-ctl start)")
            case .readerUnavailable: return CommandFailure(status: .noReader, message: e.description)
            default: return CommandFailure(status: .unreadable, message: e.description)
            }
        case let e as CPSError:
            switch e {
            case .notACPS: return CommandFailure(status: .wrongCard, message: e.description)
            case .cardRemoved: return CommandFailure(status: .cardRemoved, message: e.description)
            case .wrongPIN, .pinBlocked, .invalidPINFormat: return CommandFailure(status: .pinRefused, message: e.description)
            case .serviceUnavailable: return CommandFailure(status: .pcscdNotRunning, message: "\(e) (start it: Hardware/pcscd-ctl start)")
            case .readerUnavailable: return CommandFailure(status: .noReader, message: e.description)
            default: return CommandFailure(status: .unreadable, message: e.description)
            }
        case let e as PCSCError:
            if e.isServiceLost || e == .noService {
                return CommandFailure(
                    status: .pcscdNotRunning,
                    message: "pcscd is not running (\(e.name)) while \(step): start it with Hardware/pcscd-ctl start")
            }
            if e.isCardGone { return CommandFailure(status: .cardRemoved, message: "card removed while \(step)") }
            if e == .unknownReader || e == .readerUnavailable || e == .noReadersAvailable {
                return CommandFailure(status: .noReader, message: "reader gone while \(step): \(e)")
            }
            if e == .unresponsiveCard { return CommandFailure(status: .unreadable, message: "mute card while \(step): \(e)") }
            return CommandFailure(status: .unreadable, message: "\(step): \(e)")
        default:
            return CommandFailure(status: .unreadable, message: "\(step): \(error)")
        }
    }

    /// Today as a card date (local time).
    static func today() -> CardDate {
        let c = Calendar.current.dateComponents([.year, .month, .day], from: Date())
        return CardDate(year: c.year!, month: c.month!, day: c.day!)!
    }
}
