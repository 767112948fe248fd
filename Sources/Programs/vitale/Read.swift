import ArgumentParser
import Foundation
import PCSC
import Vitale

/// Options shared by the commands that print a carte Vitale.
struct VitaleOutputOptions: ParsableArguments {
    @Flag(help: "Print JSON for programs instead of tables.")
    var json = false

    @Flag(help: "Show NIRs in clear (personal data: do not paste them in logs or tickets).")
    var reveal = false

    @Option(help: "The date the coverage and tiers-payant answers refer to, YYYYMMDD (default: today).")
    var date: String?

    func day() throws -> CardDate {
        guard let date else { return CardAccess.today() }
        do { return try CardDate(date) } catch { throw ValidationError("--date \(date): \(error)") }
    }

    struct Envelope: Encodable {
        var reader: String
        var card: VitaleCard
        var answers: [Answers]
    }

    struct Answers: Encodable {
        var beneficiary: Int
        var date: CardDate
        var coverage: CoverageAnswer
        var tiersPayant: TiersPayantAnswer
    }

    func render(_ card: VitaleCard, reader: String, compact: Bool = false) throws -> String {
        let day = try day()
        if json {
            let encoder = VitaleCard.jsonEncoder(revealNIRs: reveal)
            if compact { encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes] }
            let answers = card.beneficiaries.map {
                Answers(beneficiary: $0.position, date: day, coverage: card.coverage(of: $0, on: day),
                        tiersPayant: card.tiersPayant(for: $0, on: day))
            }
            return String(decoding: try encoder.encode(Envelope(reader: reader, card: card, answers: answers)), as: UTF8.self)
        }
        return Rendering.vitale(card, reader: reader, reveal: reveal, on: day)
    }
}

/// `vitale read`: reads the carte Vitale in a reader.
struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read the carte Vitale in a reader: card, insured, beneficiaries, rights.",
        discussion: "Without --reader, reads the first reader holding a carte Vitale.")

    @Option(help: "The reader (exact name, or a part of the name that matches one reader).")
    var reader: String?

    @Flag(help: "Read each file with one extended APDU (virtual readers only; real Vitale 2 cards are T=0).")
    var extended = false

    @OptionGroup var output: VitaleOutputOptions

    func run() async throws {
        _ = try output.day()
        try await exiting {
            let context = try await CardAccess.context()
            let name = try await CardAccess.chooseReader(context, requested: reader, preferred: .vitale2)
            let vitaleReader = VitaleReader(options: .init(extendedLength: extended))
            let card = try await CardAccess.withCard(context, reader: name) { card, atr in
                try await vitaleReader.read(from: card, atr: atr)
            }
            print(try output.render(card, reader: name))
        }
    }
}
