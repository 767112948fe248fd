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
    /// A card of another kind is in the reader: not a carte Vitale, known from its ATR or from its answers to the
    /// SELECT of the carte Vitale's files (the text says which).
    case foreign(String)
    /// A card is in the reader but could not be read (legacy Vitale 1, pulled out mid-read, mute, corrupted…).
    case unreadable(String)

    var name: String {
        switch self {
        case .noReader: "no_reader"
        case .empty: "empty"
        case .reading: "reading"
        case .present: "present"
        case .foreign: "foreign"
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
    /// A card of another kind is in the reader: not a CPS, known from its ATR or from its answer to the SELECT of
    /// the CPS application (the text says which).
    case foreign(String)
    /// A card is in the reader but could not be read (pulled out mid-read, mute, corrupted…).
    case unreadable(String)

    var name: String {
        switch self {
        case .noReader: "no_reader"
        case .empty: "empty"
        case .reading: "reading"
        case .present: "present"
        case .foreign: "foreign"
        case .unreadable: "unreadable"
        }
    }
}

/// Why a PIN was not accepted.
public enum PINSubmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    case noCPS
    /// The card in the CPS reader is not a CPS (the text says why); no PIN is sent to it.
    case notACPS(String)
    case invalidFormat
    case wrong(triesLeft: Int)
    case blocked
    case noSituationAllowedToSign
    case card(String)

    public var description: String {
        switch self {
        case .noCPS: "no CPS has been read in the CPS reader"
        case .notACPS(let why): "the card in the CPS reader is \(why): no PIN is sent to it"
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
    /// The ATR of the CPS in the reader (to open a connection again after a reset).
    private var cpsATR: [UInt8] = []
    /// Numbers the connections to the CPS: a signer or a PIN submission that finds its connection reset names it,
    /// so that one reconnection replaces it, and a connection already replaced is not replaced again.
    private var cpsConnection = 0
    /// The reconnection in progress, and the connection it replaces.
    private var cpsReconnection: (connection: Int, task: Task<CPSSession?, Never>)?
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
        var result: Result<VitaleCard, any Error>
        var attempt = 1
        while true {
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
            // Reset under the connection (pcscd cleaning up after a program that died mid-exchange): read it again
            // on a new connection.
            guard case .failure(let error) = result, Self.isReset(error), attempt < Self.reconnectAttempts, generation == vitaleGeneration else { break }
            logger.notice("the carte Vitale was reset under the daemon's connection; reading it again", metadata: ["attempt": "\(attempt)"])
            attempt += 1
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
            vitale = Self.isForeign(error) ? .foreign(text) : .unreadable(text)
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
        cpsATR = atr
        events.publish(.cpsInserted)
        cpsTask = Task { await self.readCPS(generation: generation, atr: atr) }
    }

    private func forgetCPS(to state: CPSSlotState) async {
        cpsGeneration += 1
        cpsTask?.cancel()
        cpsTask = nil
        cpsReconnection = nil
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
            let opened = try await openCPS(atr: atr)
            guard generation == cpsGeneration else {
                await opened.card.disconnect(reset: false)
                return
            }
            adopt(opened)
            events.publish(.cpsRead, ["situations": "\(opened.practitioner.situations.count)", "pin": opened.pin.name])
            logger.info("CPS read", metadata: ["situations": "\(opened.practitioner.situations.count)", "pin": "\(opened.pin.name)"])
        } catch {
            guard generation == cpsGeneration else { return }
            let text = Self.describe(error)
            cps = Self.isForeign(error) ? .foreign(text) : .unreadable(text)
            events.publish(.cpsError, ["error": text])
            logger.warning("CPS not read", metadata: ["error": "\(text)"])
        }
    }

    /// A connection to the CPS, the card read through it and its PIN state.
    private struct OpenedCPS: Sendable {
        var card: any CardConnection
        var session: CPSSession
        var practitioner: PractitionerCard
        var pin: PINState
    }

    /// How many times a connection reset under the daemon is opened again in a row before giving up.
    static let reconnectAttempts = 3

    /// Whether `error` says the card was reset under the connection (``CardTransportFailure/cardReset``), from a
    /// decoder or from the PC/SC transaction around it.
    static func isReset(_ error: any Error) -> Bool {
        switch error {
        case VitaleError.cardReset, CPSError.cardReset: true
        case let transport as any CardTransportError: transport.transportFailure == .cardReset
        default: false
        }
    }

    /// Connects to the CPS, reads it and asks its PIN state (without using a try). When the card is reset under
    /// the new connection (``CPSError/cardReset(step:)``: pcscd finishing and cleaning up after a program that
    /// died in the middle of an exchange, such as a `vitaled` killed during a signature, resets the card under
    /// the connections opened meanwhile), the connection is dropped and opened again, up to
    /// ``reconnectAttempts`` times.
    private func openCPS(atr: [UInt8]) async throws -> OpenedCPS {
        var attempt = 1
        while true {
            let card = try await connector.connect(reader: configuration.cpsReader)
            do {
                let session = try CPSSession(channel: card.channel, atr: atr)
                let practitioner = try await session.read()
                let pin: PINState
                switch try await session.pinStatus() {
                case .verified: pin = .required(triesLeft: nil)  // verified by another program: ask anyway
                case .notVerified(let n): pin = .required(triesLeft: n)
                case .blocked: pin = .blocked
                }
                return OpenedCPS(card: card, session: session, practitioner: practitioner, pin: pin)
            } catch {
                await card.disconnect(reset: false)
                guard Self.isReset(error), attempt < Self.reconnectAttempts else { throw error }
                logger.notice("the CPS was reset under the daemon's connection; connecting again", metadata: ["attempt": "\(attempt)"])
                attempt += 1
            }
        }
    }

    /// Makes `opened` the CPS slot's connection, card and PIN state; a new connection number.
    private func adopt(_ opened: OpenedCPS) {
        cpsConnection += 1
        cpsCard = opened.card
        cpsSession = opened.session
        cps = .present(opened.practitioner, pin: opened.pin)
    }

    /// Presents the PIN to the CPS; on success opens the practitioner's session (never storing the PIN).
    ///
    /// When the card was reset under the daemon's connection (``CPSError/cardReset(step:)``), the connection is
    /// opened again (``reconnectCPS(generation:connection:reason:)``) and the PIN presented on the new one: the
    /// practitioner is typing it now, and the reset card has forgotten any PIN verified before.
    public func submitPIN(_ pin: String) async throws(PINSubmissionError) -> PractitionerSession {
        if case .foreign(let why) = cps { throw .notACPS(why) }
        guard case .present(_, let state) = cps, var session = cpsSession else { throw .noCPS }
        // A card known blocked is never sent a PIN again: only another card (a new read) clears the state.
        guard state != .blocked else { throw .blocked }
        let generation = cpsGeneration
        var connection = cpsConnection
        var outcome = await verify(pin, on: session)
        if case .failure(.cardReset) = outcome {
            guard let fresh = await reconnectCPS(generation: generation, connection: connection, reason: "the CPS was reset under the daemon's connection")
            else {
                guard generation == cpsGeneration else { throw .noCPS }
                throw .card(Self.cpsStateText(cps))
            }
            session = fresh
            connection = cpsConnection
            guard case .present(_, let state) = cps else { throw .noCPS }
            guard state != .blocked else { throw .blocked }
            outcome = await verify(pin, on: session)
        }
        guard generation == cpsGeneration, case .present(let practitioner, _) = cps else { throw .noCPS }
        // The connection replaced meanwhile (the card reset under it): what it verified is gone.
        guard connection == cpsConnection else { throw .card("the CPS was reset during the PIN verification: give the PIN again") }
        if case .failure(let error) = outcome {
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
            case .cardReset:
                // Reset again under the connection just opened: leave it to the next submission.
                await cpsConnectionReset(generation: generation, connection: connection)
                throw .card(error.description)
            default: throw .card(error.description)
            }
        }
        let chosen: CPSSituation? = configuration.cpsSituation.map { n in practitioner.situation(n) } ?? practitioner.situations.first { $0.maySignInvoice }
        guard let situation = chosen, situation.maySignInvoice, let practitionerSituation = try? PractitionerSituation(situation) else {
            throw .noSituationAllowedToSign
        }
        let card: CPSCardSigner
        do { card = try CPSCardSigner(session: session, card: practitioner, situation: situation) } catch {
            throw .card("the CPS certificate's public key is unreadable: \(error)")
        }
        let signer = CPSClaimSigner(card: card, slots: self, generation: generation, connection: connection)
        let opened = PractitionerSession(situation: practitionerSituation, signer: signer, origin: .cps)
        sessions.set(opened)
        cps = .present(practitioner, pin: .verified)
        events.publish(.cpsSessionOpened, ["situation": "\(situation.number)"])
        logger.info("practitioner session opened", metadata: ["situation": "\(situation.number)"])
        onSessionOpened()
        return opened
    }

    /// VERIFY on `session`, as a result.
    private func verify(_ pin: String, on session: CPSSession) async -> Result<Void, CPSError> {
        do {
            try await session.verifyPIN(pin)
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    /// What the CPS slot shows, for an error message.
    static func cpsStateText(_ state: CPSSlotState) -> String {
        switch state {
        case .unreadable(let text), .foreign(let text): text
        case .present: "the CPS asks for its PIN"
        case .reading: "the CPS is being read again"
        case .empty: "no CPS in the reader"
        case .noReader: "the CPS reader is not connected"
        }
    }

    /// Called by the signer when the card asks for the PIN again (it was reset by another program, or lost power).
    func pinNeededAgain(generation: Int) {
        guard generation == cpsGeneration, case .present(let practitioner, _) = cps else { return }
        if sessions.session?.origin == .cps { sessions.set(nil) }
        cps = .present(practitioner, pin: .required(triesLeft: nil))
        events.publish(.cpsSessionClosed, ["reason": "the card asks for the PIN again"])
    }

    /// Called when an exchange on connection `connection` found the card reset under it
    /// (``CPSError/cardReset(step:)``): the connection is opened again and the PIN asked again
    /// (``reconnectCPS(generation:connection:reason:)``). Nothing happens when the card was removed or the
    /// connection was already replaced.
    func cpsConnectionReset(generation: Int, connection: Int) async {
        _ = await reconnectCPS(generation: generation, connection: connection, reason: "the CPS was reset: give its PIN again")
    }

    /// Replaces connection `connection` to the CPS, which pcscd reset (the card forgot its verified PIN, every
    /// exchange on it fails): closes the practitioner's session (its signer used that connection, the claims it
    /// did not sign stay built and are signed once the PIN is given again), connects again, reads the card and
    /// asks its PIN again (``openCPS(atr:)``). Concurrent callers share one reconnection. Returns the session on
    /// the new connection; nil when the card was removed meanwhile, or could not be read (the slot then says why).
    func reconnectCPS(generation: Int, connection: Int, reason: String) async -> CPSSession? {
        guard generation == cpsGeneration else { return nil }
        if connection != cpsConnection { return cpsSession }  // already replaced
        if let running = cpsReconnection, running.connection == connection { return await running.task.value }
        let task = Task { await self.performReconnection(generation: generation, reason: reason) }
        cpsReconnection = (connection, task)
        let session = await task.value
        if cpsReconnection?.connection == connection { cpsReconnection = nil }
        return session
    }

    private func performReconnection(generation: Int, reason: String) async -> CPSSession? {
        if sessions.session?.origin == .cps {
            sessions.set(nil)
            events.publish(.cpsSessionClosed, ["reason": reason])
        }
        logger.notice("the CPS was reset under the daemon's connection; connecting again")
        cpsSession = nil
        if case .present(let practitioner, _) = cps { cps = .present(practitioner, pin: .required(triesLeft: nil)) }
        let old = cpsCard
        cpsCard = nil
        await old?.disconnect(reset: false)
        guard generation == cpsGeneration else { return nil }
        do {
            let opened = try await openCPS(atr: cpsATR)
            guard generation == cpsGeneration else {
                await opened.card.disconnect(reset: false)
                return nil
            }
            adopt(opened)
            events.publish(.cpsRead, ["situations": "\(opened.practitioner.situations.count)", "pin": opened.pin.name])
            logger.info("CPS read again on a new connection", metadata: ["situations": "\(opened.practitioner.situations.count)", "pin": "\(opened.pin.name)"])
            return opened.session
        } catch {
            guard generation == cpsGeneration else { return nil }
            let text = Self.describe(error)
            cps = Self.isForeign(error) ? .foreign(text) : .unreadable(text)
            events.publish(.cpsError, ["error": text])
            logger.warning("CPS not read again after it was reset", metadata: ["error": "\(text)"])
            return nil
        }
    }

    /// Stops the reads in progress and closes the connections (shutdown).
    func close() async {
        vitaleTask?.cancel()
        cpsTask?.cancel()
        await forgetCPS(to: .noReader)
        forgetVitale(to: .noReader)
        await connector.reset()
    }

    /// Whether `error` says the card is of another kind (``VitaleError/notAVitaleCard(atr:reason:)``,
    /// ``CPSError/notACPS(atr:reason:)``).
    static func isForeign(_ error: any Error) -> Bool {
        switch error {
        case VitaleError.notAVitaleCard, CPSError.notACPS: true
        default: false
        }
    }

    /// Error text without personal data (the decoders' messages never carry names or NIRs).
    static func describe(_ error: any Error) -> String { "\(error)" }
}

/// Signs with the CPS in the reader (the identity of Claims' ``CPSCardSigner``; PSO: COMPUTE DIGITAL SIGNATURE after
/// the PIN was verified), one signature at a time, and tells the slots when the card asks for its PIN again or was
/// reset under the connection.
struct CPSClaimSigner: ClaimSigner {
    let card: CPSCardSigner
    let slots: CardSlots
    let generation: Int
    /// The connection to the CPS the session was opened on (``CardSlots``' numbering).
    let connection: Int
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
            if case .cardReset = error { await slots.cpsConnectionReset(generation: generation, connection: connection) }
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
            case .foreign(let text): detail = "the card in the Vitale reader is \(text): insert the carte Vitale, or give a 'patient'"
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
