import CPS
import Emulator
import Foundation
import ISO7816
import Synchronization
import Testing
import TestSupport
import Vitale

/// The card images of Fixtures/cards.
enum Fixtures {
    static var directory: URL { RepositoryPaths.fixtures.appendingPathComponent("cards") }

    static func urls(kind: CardImage.Kind) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "json" }
            .filter { (try? CardImage.load(from: $0).kind) == kind }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Vitale 2 images without deliberate defects: they must read completely.
    static var goodVitaleNames: [String] {
        urls(kind: .vitale2).filter { (try? CardImage.load(from: $0).defects.isEmpty) == true }.map(\.lastPathComponent)
    }

    static var cpsNames: [String] { urls(kind: .cps).map(\.lastPathComponent) }

    static func image(_ name: String) throws -> CardImage {
        try CardImage.load(from: directory.appendingPathComponent(name))
    }
}

/// Wraps a channel: counts APDUs, and injects failures (unit tests only).
final class ProbeChannel<Base: CardChannel>: CardChannel, Sendable {
    enum Failure: Sendable {
        case none, throwAfter(Int, any Error & Sendable), statusAfter(Int, UInt16)
        /// After that many APDUs the card never answers, ignoring cancellation as a blocking PC/SC call does,
        /// until ``ProbeChannel/release()`` (then the held APDUs fail as removed).
        case hangAfter(Int)
    }
    struct MuteError: CardTransportError, Sendable { var transportFailure: CardTransportFailure { .cardMute } }

    let base: Base
    let failure: Failure
    private let state = Mutex<(count: Int, log: [[UInt8]])>((0, []))
    private let held = HeldExchanges()

    init(_ base: Base, failure: Failure = .none) {
        self.base = base
        self.failure = failure
    }

    var count: Int { state.withLock { $0.count } }
    var log: [[UInt8]] { state.withLock { $0.log } }

    func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        let n = state.withLock { s in s.count += 1; s.log.append(command); return s.count }
        switch failure {
        case .throwAfter(let after, let error) where n > after: throw error
        case .statusAfter(let after, let sw) where n == after + 1: return [UInt8(sw >> 8), UInt8(sw & 0xFF)]
        case .hangAfter(let after) where n > after:
            await held.hold()
            throw EmulatedCard.TransmitError.unpowered
        default: return try await base.transmit(command)
        }
    }

    /// Ends the APDUs held by ``Failure/hangAfter(_:)`` (the mute card is pulled out).
    func release() { held.release() }

    /// The number of APDUs held unanswered.
    var heldCount: Int { held.count }
}

/// Compares a decoded card with its image, field by field.
func expectMatches(_ card: VitaleCard, _ image: CardImage, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let v = try #require(image.vitale, sourceLocation: sourceLocation)
    #expect(card.atr == Hex.encode(image.atr, separator: " "), sourceLocation: sourceLocation)
    let info = try #require(card.card, sourceLocation: sourceLocation)
    #expect(info.startOfValidity.compact == v.startOfValidity, sourceLocation: sourceLocation)
    #expect(info.endOfValidity.compact == v.insured.endOfValidity, sourceLocation: sourceLocation)
    #expect(info.serialNumber == v.insured.serialNumber, sourceLocation: sourceLocation)
    let insured = try #require(card.insured, sourceLocation: sourceLocation)
    #expect(insured.nir.revealed == v.insured.nir, sourceLocation: sourceLocation)
    #expect(insured.organism.regime.code == v.insured.regime, sourceLocation: sourceLocation)
    #expect(insured.organism.caisse == v.insured.caisse, sourceLocation: sourceLocation)
    #expect(insured.organism.centre == v.insured.centre, sourceLocation: sourceLocation)
    #expect(insured.organism.codeGestion == v.insured.codeGestion, sourceLocation: sourceLocation)
    try #require(card.beneficiaries.count == v.beneficiaries.count, sourceLocation: sourceLocation)
    for (i, (b, e)) in zip(card.beneficiaries, v.beneficiaries).enumerated() {
        #expect(b.position == i + 1, sourceLocation: sourceLocation)
        #expect(b.qualite?.code == e.qualite, sourceLocation: sourceLocation)
        #expect(b.rang == e.rang, sourceLocation: sourceLocation)
        #expect(b.nir.revealed == e.nir, sourceLocation: sourceLocation)
        #expect(b.nomUsuel == e.nomUsuel, sourceLocation: sourceLocation)
        #expect(b.nomPatronymique == e.nomPatronymique, sourceLocation: sourceLocation)
        #expect(b.prenom == e.prenom, sourceLocation: sourceLocation)
        #expect(b.dateOfBirth.compact == e.dateOfBirth, sourceLocation: sourceLocation)
        #expect(b.amoPeriods.map { [$0.start.compact, $0.end?.compact] } == e.amoPeriods.map { [$0.start, $0.end] },
                sourceLocation: sourceLocation)
        #expect(b.coverages.map { "\($0.period.start.compact) \($0.period.end?.compact ?? "-") \($0.ald) \($0.situation)" }
                == e.coverages.map { "\($0.start) \($0.end ?? "-") \($0.ald) \($0.situation)" }, sourceLocation: sourceLocation)
        #expect(b.complementaryInsurances.count == e.complementary.count, sourceLocation: sourceLocation)
        for (a, x) in zip(b.complementaryInsurances, e.complementary) {
            #expect(a.number == x.number, sourceLocation: sourceLocation)
            #expect(a.memberNumber == x.member, sourceLocation: sourceLocation)
            #expect(a.tiersPayant.code == x.tiersPayant, sourceLocation: sourceLocation)
            #expect(a.period.start.compact == x.start, sourceLocation: sourceLocation)
            #expect(a.period.end?.compact == x.end, sourceLocation: sourceLocation)
            #expect(a.routingCode == x.routing, sourceLocation: sourceLocation)
            #expect(a.name == x.name, sourceLocation: sourceLocation)
        }
    }
}

/// Compares a decoded CPS with its image, field by field.
func expectMatches(_ card: PractitionerCard, _ image: CardImage, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let c = try #require(image.cps, sourceLocation: sourceLocation)
    #expect(card.holder.cardType == c.cardType, sourceLocation: sourceLocation)
    #expect(card.holder.nationalIdType == c.nationalIdType, sourceLocation: sourceLocation)
    #expect(card.holder.nationalId == c.nationalId, sourceLocation: sourceLocation)
    #expect(card.holder.civility == c.civility, sourceLocation: sourceLocation)
    #expect(card.holder.lastName == c.lastName, sourceLocation: sourceLocation)
    #expect(card.holder.firstName == c.firstName, sourceLocation: sourceLocation)
    #expect(card.holder.endOfValidity == c.endOfValidity, sourceLocation: sourceLocation)
    #expect(card.holder.isTestCard == image.isTestCard, sourceLocation: sourceLocation)
    #expect(card.certificate.notBefore == c.certificateNotBefore, sourceLocation: sourceLocation)
    #expect(card.certificate.notAfter == c.certificateNotAfter, sourceLocation: sourceLocation)
    #expect(card.certificate.issuedByTestAuthority, sourceLocation: sourceLocation)
    #expect(card.certificate.nationalId == c.nationalId, sourceLocation: sourceLocation)
    try #require(card.situations.count == c.situations.count, sourceLocation: sourceLocation)
    for (i, (s, e)) in zip(card.situations, c.situations).enumerated() {
        #expect(s.number == i + 1, sourceLocation: sourceLocation)
        #expect(s.modeExercice == e.modeExercice, sourceLocation: sourceLocation)
        #expect(s.billingNumber == e.billingNumber, sourceLocation: sourceLocation)
        #expect(s.billingKey == e.billingKey, sourceLocation: sourceLocation)
        #expect(s.codeConventionnel == e.codeConventionnel, sourceLocation: sourceLocation)
        #expect(s.specialite == e.specialite, sourceLocation: sourceLocation)
        #expect(s.zoneTarifaire == e.zoneTarifaire, sourceLocation: sourceLocation)
        #expect(s.zoneIK == e.zoneIK, sourceLocation: sourceLocation)
        #expect(s.maySignInvoice == e.maySignInvoice, sourceLocation: sourceLocation)
        #expect(s.maySignLot == e.maySignLot, sourceLocation: sourceLocation)
        #expect(s.structure == e.structure, sourceLocation: sourceLocation)
    }
}

/// The fewest APDUs the layout allows for files of these content lengths (docs/card-layout.md 2.5): two
/// SELECTs and, per file, one 256-byte READ BINARY per chunk up to the one holding the first padding byte.
func minimalAPDUCount(_ files: VitaleReader.Files) -> Int {
    let lengths = [files.identity.count, files.nir.count, files.rights?.count ?? 0]
    return 2 + lengths.map { $0 / 256 + 1 }.reduce(0, +)
}
