import ArgumentParser
import Foundation

/// `vitale`: reads cartes Vitale and CPS cards through PC/SC, for people (tables) and programs (JSON).
@main
struct VitaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vitale",
        abstract: "Read cartes Vitale and practitioner cards (CPS) through PC/SC (pcscd).",
        discussion: """
            NIRs are masked (2 95 10 ** *** *** **) unless --reveal is given. See docs/vitale-command.md.

            Exit codes:
            \(ExitStatus.table)
            """,
        subcommands: [Readers.self, Read.self, Watch.self, CPSCommand.self, Bench.self])
}

/// The exit codes of `vitale`, documented in `--help` and docs/vitale-command.md.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case unreadable = 1
    case pcscdNotRunning = 3
    case noReader = 4
    case noCard = 5
    case wrongCard = 6
    case legacyVitale1 = 7
    case cardRemoved = 8
    case pinRefused = 9
    case usage = 64

    var meaning: String {
        switch self {
        case .success: return "success"
        case .unreadable: return "the card could not be read (corrupted file, invalid NIR, mute card, unexpected status word)"
        case .pcscdNotRunning: return "pcscd is not running (start it: Hardware/pcscd-ctl start)"
        case .noReader: return "no reader (or no reader with the --reader name)"
        case .noCard: return "no card in the reader"
        case .wrongCard: return "not a carte Vitale (`vitale cps`: not a CPS): a card of another kind, from its ATR or its answer to SELECT"
        case .legacyVitale1: return "legacy Vitale 1 card, not supported"
        case .cardRemoved: return "card removed during the read"
        case .pinRefused: return "`vitale cps --pin-stdin`: wrong or blocked PIN"
        case .usage: return "invalid command-line usage"
        }
    }

    static var table: String {
        allCases.map { "  \(String($0.rawValue).padding(toLength: 3, withPad: " ", startingAt: 0)) \($0.meaning)" }
            .joined(separator: "\n")
    }
}

/// A failure that ends the command with a message on standard error and its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String
    var description: String { message }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning a ``CommandFailure`` into its message and exit status.
    func exiting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CommandFailure {
            FileHandle.standardError.write(Data("vitale: \(failure.message)\n".utf8))
            throw ExitCode(failure.status.rawValue)
        }
    }
}
