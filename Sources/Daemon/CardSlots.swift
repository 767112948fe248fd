import CPS
import CPSSigning
import Claims
import Crypto
import Foundation
import ISO7816
import Logging
import Vitale

/// A reader or card event, as the card watcher reports it (from pcscd's events).
public enum SlotEvent: Sendable, Equatable {
    case readerAdded(String)
    case readerRemoved(String)
    case cardInserted(reader: String, atr: [UInt8])
    case cardRemoved(reader: String)
    case cardMute(reader: String)
    /// pcscd cannot be reached (the reason names the PC/SC error).
    case serviceLost(String)
    case serviceRestored
}

/// A connection to the card in a reader.
public protocol CardConnection: Sendable {
    /// The channel APDUs go through.
    var channel: any CardChannel { get }
    /// Runs `body` with exclusive use of the card (a PC/SC transaction).
    func exclusive<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T
    /// Ends the connection; `reset` resets the card (a verified PIN is forgotten).
    func disconnect(reset: Bool) async
}

/// Connects to the card in a reader (PC/SC in the daemon; anything in unit tests).
public protocol CardConnector: Sendable {
    func connect(reader: String) async throws -> any CardConnection
    /// Drops cached contexts (pcscd went away).
    func reset() async
}

/// What the Vitale slot holds, as the API shows it.
public enum VitaleSlotState: Sendable {
    /// The configured reader is not connected (or pcscd is not running).
    case noReader
    /// No card in the reader.
    case empty
    /// A card was inserted and is being read.
    case reading
    /// The card was read.
    case present(VitaleCard, readAt: Date, readMilliseconds: Int)
    /// A card is in the reader but could not be read (not a Vitale, legacy Vitale 1, pulled out mid-read, mute…).
    case unreadable(String)

    var name: String {
        switch self {
        case .noReader: "no_reader"
        case .empty: "empty"
        case .reading: "reading"
        case .present: "present"
        case .unreadable: "unreadable"
        }
    }
}

/// Where the CPS's PIN (code porteur) stands.
public enum PINState: Sendable, Equatable {
    /// Asked: `triesLeft` before the card blocks (nil when unknown).
    case required(triesLeft: Int?)
    /// Verified: the session is open.
    case verified
    /// Blocked: the card no longer signs.
    case blocked

    var name: String {
        switch self {
        case .required: "required"
        case .verified: "verified"
        case .blocked: "blocked"
        }
    }
}

/// What the CPS slot holds.
public enum CPSSlotState: Sendable {
    case noReader
    case empty
    case reading
    case present(PractitionerCard, pin: PINState)
    case unreadable(String)

    var name: String {
        switch self {
        case .noReader: "no_reader"
        case .empty: "empty"
        case .reading: "reading"
        case .present: "present"
        case .unreadable: "unreadable"
        }
    }
}

/// Why a PIN was not accepted.
public enum PINSubmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    case noCPS
    case invalidFormat
    case wrong(triesLeft: Int)
    case blocked
    case noSituationAllowedToSign
    case card(String)

    public var description: String {
        switch self {
        case .noCPS: "no CPS has been read in the CPS reader"
        case .invalidFormat: "the PIN (code porteur) is 4 digits"
        case .wrong(let n): "wrong PIN: \(n) tr\(n == 1 ? "y" : "ies") left before the card blocks"
        case .blocked: "the CPS PIN is blocked: the card no longer signs"
        case .noSituationAllowedToSign: "no situation of this CPS may sign invoices (or the configured cpsSituation does not exist)"
        case .card(let s): s
        }
    }
}

/// The two slots of the practitioner's reader and the connections to their cards. An actor: card events,
/// API requests and signatures meet here; generations discard the result of a read whose card is gone.
public actor CardSlots {
    let configuration: DaemonConfiguration
    let events: EventHub
    let sessions: SessionStore
    let logger: Logger
    let onSessionOpened: @Sendable () -> Void

    public private(set) var vitale: VitaleSlotState = .noReader
    public private(set) var cps: CPSSlotState = .noReader
    private var vitaleGeneration = 0
    private var cpsGeneration = 0
    private var vitaleTask: Task<Void, Never>?
    private var cpsTask: Task<Void, Never>?
    private var cpsCard: (any CardConnection)?
    private var cpsSession: CPSSession?
    private var insertedAt: ContinuousClock.Instant?
    let connector: any CardConnector

    init(configuration: DaemonConfiguration, connector: any CardConnector, events: EventHub, sessions: SessionStore, logger: Logger,
         onSessionOpened: @escaping @Sendable () -> Void) {
        self.connector = connector
        self.configuration = configuration
        self.events = events
        self.sessions = sessions
        self.logger = logger
        self.onSessionOpened = onSessionOpened
    }

    // MARK: Events from the watcher

    func handle(_ event: SlotEvent) async {
        switch event {
        case .readerAdded(let reader):
            if reader == configuration.vitaleReader, case .noReader = vitale { vitale = .empty; events.publish(.readerAdded, ["slot": "vitale"]) }
            if reader == configuration.cpsReader, case .noReader = cps { cps = .empty; events.publish(.readerAdded, ["slot": "cps"]) }
        case .readerRemoved(let reader):
            if reader == configuration.vitaleReader { forgetVitale(to: .noReader); events.publish(.readerRemoved, ["slot": "vitale"]) }
            if reader == configuration.cpsReader { await forgetCPS(to: .noReader); events.publish(.readerRemoved, ["slot": "cps"]) }
        case .cardInserted(let reader, let atr):
            if reader == configuration.vitaleReader { vitaleInserted(atr: atr) }
            if reader == configuration.cpsReader { await cpsInserted(atr: atr) }
        case .cardRemoved(let reader):
            if reader == configuration.vitaleReader {
                forgetVitale(to: .empty)
                events.publish(.vitaleRemoved)
            }
            if reader == configuration.cpsReader {
                await forgetCPS(to: .empty)
                events.publish(.cpsRemoved)
            }
        case .cardMute(let reader):
            if reader == configuration.vitaleReader {
                forgetVitale(to: .unreadable("the card does not answer (mute): turn it over or clean its chip"))
                events.publish(.vitaleError, ["error": "mute card"])
            }
            if reader == configuration.cpsReader {
                await forgetCPS(to: .unreadable("the CPS does not answer (mute)"))
                events.publish(.cpsError, ["error": "mute card"])
            }
        case .serviceLost(let error):
            logger.warning("pcscd unreachable; waiting for it", metadata: ["error": "\(error)"])
            events.publish(.pcscLost, ["error": error])
            forgetVitale(to: .noReader)
            await forgetCPS(to: .noReader)
            await connector.reset()
        case .serviceRestored:
            logger.notice("pcscd reachable again")
            events.publish(.pcscRestored)
        }
    }

    // MARK: Vitale

    private func vitaleInserted(atr: [UInt8]) {
        vitaleGeneration += 1
        let generation = vitaleGeneration
        vitaleTask?.cancel()
        vitale = .reading
        insertedAt = .now
        events.publish(.vitaleInserted)
        vitaleTask = Task { await self.readVitale(generation: generation, atr: atr) }
    }

    private func forgetVitale(to state: VitaleSlotState) {
        vitaleGeneration += 1
        vitaleTask?.cancel()
        vitaleTask = nil
        vitale = state
    }

    private func readVitale(generation: Int, atr: [UInt8]) async {
        let start = insertedAt ?? .now
        let result: Result<VitaleCard, any Error>
        do {
            let card = try await connector.connect(reader: configuration.vitaleReader)
            do {
                let channel = card.channel
                let read = try await card.exclusive {
                    try await VitaleReader().read(from: channel, atr: atr)
                }
                await card.disconnect(reset: false)
                result = .success(read)
            } catch {
                await card.disconnect(reset: false)
                throw error
            }
        } catch {
            result = .failure(error)
        }
        guard generation == vitaleGeneration else { return }  // removed or replaced meanwhile: forget it
        let elapsed = ContinuousClock.now - start
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        switch result {
        case .success(let card):
            vitale = .present(card, readAt: Date(), readMilliseconds: ms)
            events.publish(.vitaleRead, ["beneficiaries": "\(card.beneficiaries.count)", "readMs": "\(ms)", "rightsReadable": "\(card.rightsReadable)"])
            logger.info("carte Vitale read", metadata: ["beneficiaries": "\(card.beneficiaries.count)", "ms": "\(ms)"])
        case .failure(let error):
            let text = Self.describe(error)
            vitale = .unreadable(text)
            events.publish(.vitaleError, ["error": text])
            logger.warning("carte Vitale not read", metadata: ["error": "\(text)"])
        }
    }

    /// The card just read, if any.
    public var vitaleCard: VitaleCard? {
        if case .present(let card, _, _) = vitale { card } else { nil }
    }

    /// Whether a read is in progress.
    public var isReadingVitale: Bool { if case .reading = vitale { true } else { false } }

    // MARK: CPS

    private func cpsInserted(atr: [UInt8]) async {
        await forgetCPS(to: .reading)
        let generation = cpsGeneration
        events.publish(.cpsInserted)
        cpsTask = Task { await self.readCPS(generation: generation, atr: atr) }
    }

    private func forgetCPS(to state: CPSSlotState) async {
        cpsGeneration += 1
        cpsTask?.cancel()
        cpsTask = nil
        let hadSession = sessions.session?.origin == .cps
        if hadSession { sessions.set(nil) }
        cpsSession = nil
        if let card = cpsCard {
            cpsCard = nil
            await card.disconnect(reset: true)  // the card forgets the verified PIN too
        }
        cps = state
        if hadSession { events.publish(.cpsSessionClosed) }
    }

    private func readCPS(generation: Int, atr: [UInt8]) async {
        do {
            let card = try await connector.connect(reader: configuration.cpsReader)
            let session: CPSSession
            let practitioner: PractitionerCard
            let pin: PINStatus
            do {
                session = try CPSSession(channel: card.channel, atr: atr)
                practitioner = try await session.read()
                pin = try await session.pinStatus()
            } catch {
                await card.disconnect(reset: false)
                throw error
            }
            guard generation == cpsGeneration else {
                await card.disconnect(reset: false)
                return
            }
            cpsCard = card
            cpsSession = session
            let state: PINState
            switch pin {
            case .verified: state = .required(triesLeft: nil)  // verified by another program: ask anyway
            case .notVerified(let n): state = .required(triesLeft: n)
            case .blocked: state = .blocked
            }
            cps = .present(practitioner, pin: state)
            events.publish(.cpsRead, ["situations": "\(practitioner.situations.count)", "pin": state.name])
            logger.info("CPS read", metadata: ["situations": "\(practitioner.situations.count)", "pin": "\(state.name)"])
        } catch {
            guard generation == cpsGeneration else { return }
            let text = Self.describe(error)
            cps = .unreadable(text)
            events.publish(.cpsError, ["error": text])
            logger.warning("CPS not read", metadata: ["error": "\(text)"])
        }
    }

    /// Presents the PIN to the CPS; on success opens the practitioner's session (never storing the PIN).
    public func submitPIN(_ pin: String) async throws(PINSubmissionError) -> PractitionerSession {
        guard case .present(let practitioner, let state) = cps, let session = cpsSession else { throw .noCPS }
        // A card known blocked is never sent a PIN again: only another card (a new read) clears the state.
        guard state != .blocked else { throw .blocked }
        let generation = cpsGeneration
        do {
            try await session.verifyPIN(pin)
        } catch {
            guard generation == cpsGeneration else { throw .noCPS }
            switch error {
            case .invalidPINFormat: throw .invalidFormat
            case .wrongPIN(let n):
                cps = .present(practitioner, pin: .required(triesLeft: n))
                events.publish(.cpsPINWrong, ["triesLeft": "\(n)"])
                throw .wrong(triesLeft: n)
            case .pinBlocked:
                cps = .present(practitioner, pin: .blocked)
                events.publish(.cpsPINBlocked)
                throw .blocked
            default: throw .card(error.description)
            }
        }
        guard generation == cpsGeneration else { throw .noCPS }
        let chosen: CPSSituation? = configuration.cpsSituation.map { n in practitioner.situation(n) } ?? practitioner.situations.first { $0.maySignInvoice }
        guard let situation = chosen, situation.maySignInvoice, let practitionerSituation = try? PractitionerSituation(situation) else {
            throw .noSituationAllowedToSign
        }
        let card: CPSCardSigner
        do { card = try CPSCardSigner(session: session, card: practitioner, situation: situation) } catch {
            throw .card("the CPS certificate's public key is unreadable: \(error)")
        }
        let signer = CPSClaimSigner(card: card, slots: self, generation: generation)
        let opened = PractitionerSession(situation: practitionerSituation, signer: signer, origin: .cps)
        sessions.set(opened)
        cps = .present(practitioner, pin: .verified)
        events.publish(.cpsSessionOpened, ["situation": "\(situation.number)"])
        logger.info("practitioner session opened", metadata: ["situation": "\(situation.number)"])
        onSessionOpened()
        return opened
    }

    /// Called by the signer when the card asks for the PIN again (it was reset by another program, or lost power).
    func pinNeededAgain(generation: Int) {
        guard generation == cpsGeneration, case .present(let practitioner, _) = cps else { return }
        if sessions.session?.origin == .cps { sessions.set(nil) }
        cps = .present(practitioner, pin: .required(triesLeft: nil))
        events.publish(.cpsSessionClosed, ["reason": "the card asks for the PIN again"])
    }

    /// Stops the reads in progress and closes the connections (shutdown).
    func close() async {
        vitaleTask?.cancel()
        cpsTask?.cancel()
        await forgetCPS(to: .noReader)
        forgetVitale(to: .noReader)
        await connector.reset()
    }

    /// Error text without personal data (the decoders' messages never carry names or NIRs).
    static func describe(_ error: any Error) -> String { "\(error)" }
}

/// Signs with the CPS in the reader (the identity of Claims' ``CPSCardSigner``; PSO: COMPUTE DIGITAL SIGNATURE after
/// the PIN was verified), one signature at a time, and tells the slots when the card asks for its PIN again.
struct CPSClaimSigner: ClaimSigner {
    let card: CPSCardSigner
    let slots: CardSlots
    let generation: Int
    let serial = RoundSerializer()

    var identity: SignerIdentity { card.identity }

    func sign(digest: SHA256.Digest, purpose: SigningPurpose) async throws -> ClaimSignature {
        try checkAllowed(purpose)
        let bytes = Array(digest)
        let session = card.session
        let result: Result<[UInt8], CPSError> = await serial.run {
            do { return .success(try await session.sign(digest: bytes)) } catch let error as CPSError { return .failure(error) } catch {
                return .failure(.transport(step: "signing", detail: "\(error)"))
            }
        }
        switch result {
        case .success(let raw): return try ClaimSignature(rawRepresentation: raw)
        case .failure(let error):
            if error == .pinRequired { await slots.pinNeededAgain(generation: generation) }
            throw ClaimSigningError.cardFailure(error.description)
        }
    }
}

extension CardSlots {
    /// The claim-file fields of the beneficiary at `position` on the card in the reader (docs/claim-files.md):
    /// the insured's NIR (ouvrant droit), the beneficiary's birth date, rang and qualité, the AMO organism, the
    /// rights period and the complementary insurance.
    func claimFileFields(ofBeneficiary position: Int) -> Result<[String: String], ClaimCreationError> {
        guard case .present(let card, _, _) = vitale else {
            let detail: String
            switch vitale {
            case .reading: detail = "the carte Vitale is still being read: retry in a moment"
            case .unreadable(let text): detail = "the card in the reader could not be read (\(text))"
            default: detail = "no carte Vitale in the reader: insert it, or give a 'patient'"
            }
            return .failure(ClaimCreationError(status: 409, code: "no_card", message: detail))
        }
        guard let beneficiary = card.beneficiaries.first(where: { $0.position == position }) else {
            return .failure(ClaimCreationError(status: 404, code: "no_such_beneficiary", message: "the card has \(card.beneficiaries.count) beneficiar\(card.beneficiaries.count == 1 ? "y" : "ies"); no position \(position)"))
        }
        guard let insured = card.insured else {
            return .failure(ClaimCreationError(status: 409, code: "rights_unreadable", message: "the card's rights (AMO organism) are not readable: give a 'patient' from the attestation de droits"))
        }
        let nir = insured.nir.revealed
        var fields: [String: String] = [
            "nir": String(nir.prefix(13)), "nir_key": String(nir.suffix(2)), "birth_date": beneficiary.dateOfBirth.iso,
            "rank": "\(beneficiary.rang ?? 1)", "quality": beneficiary.qualite?.code ?? "0",
            "amo": "\(insured.organism.regime.code) \(insured.organism.caisse) \(insured.organism.centre)",
        ]
        if let period = beneficiary.amoPeriods.last {
            fields["rights_start"] = period.start.iso
            if let end = period.end { fields["rights_end"] = end.iso }
        }
        if let amc = beneficiary.complementaryInsurances.first { fields["amc"] = amc.number }
        return .success(fields)
    }
}
