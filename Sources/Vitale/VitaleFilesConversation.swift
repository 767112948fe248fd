import ISO7816

extension VitaleReader {
    /// The whole read of a carte Vitale 2 as a ``CardConversation``: SELECT MF, READ BINARY identity (SFI 2),
    /// SELECT VITALE, READ BINARY NIR (SFI 2), READ BINARY rights (SFI 3), each file chunk after chunk until its
    /// end marker (`docs/card-layout.md`, 2.5). Its result is the raw files; ``VitaleReader/read(from:atr:)``
    /// decodes them. Errors it throws are ``VitaleError``s.
    public struct FilesConversation: CardConversation {
        let options: Options
        private var stage = Stage.start
        private var file: FileRead
        private var identity: [UInt8] = []
        private var nir: [UInt8] = []
        /// Whether the next answer is the first one to the identity file's READ BINARY.
        private var identityFirstAnswer = true

        private enum Stage: Sendable {
            case start, selectMF, identity, selectVitale, nir, rights
            /// The identity file's first READ BINARY answered `failure`'s status word that a card of another
            /// kind would: SELECT VITALE tells a foreign card (no VITALE application) from a damaged carte Vitale.
            case probeVitale(failure: VitaleError, status: StatusWord)
        }

        /// A conversation reading with `options` (extended length, file size limit).
        public init(options: Options) {
            self.options = options
            file = FileRead(sfi: 2, file: .identity, absentAllowed: false, options: options)
        }

        public mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<Files> {
            switch stage {
            case .start:
                stage = .selectMF
                return .send(try Self.command(.selectMF), step: "SELECT MF")
            case .selectMF:
                try Self.expectSuccess(response, step: "SELECT MF", foreignReason: "no master file")
                stage = .identity
                identityFirstAnswer = true
                file = FileRead(sfi: 2, file: .identity, absentAllowed: false, options: options)
                return try file.start()
            case .identity:
                let first = identityFirstAnswer
                identityFirstAnswer = false
                let next: FileRead.Next
                do {
                    next = try file.receive(response)
                } catch {
                    guard first, case .unexpectedStatus(let status, _) = error, status.isNotFoundOrNotSupported else { throw error }
                    stage = .probeVitale(failure: error, status: status)
                    return .send(try Self.command(.selectVitale), step: "SELECT VITALE application")
                }
                switch next {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let content):
                    guard let content else { throw VitaleError.unexpectedStatus(.fileNotFound, step: "READ BINARY \(VitaleFile.identity)") }
                    identity = content
                    stage = .selectVitale
                    return .send(try Self.command(.selectVitale), step: "SELECT VITALE application")
                }
            case .probeVitale(let failure, let identityStatus):
                guard let response else { throw VitaleError.transport(step: "SELECT VITALE application", detail: "no response") }
                guard response.statusWord.isNotFoundOrNotSupported else { throw failure }
                throw VitaleError.notAVitaleCard(
                    atr: "", reason: "no identity file (READ BINARY \(VitaleFile.identity) answered \(identityStatus)) and no VITALE "
                        + "application (SELECT VITALE application answered \(response.statusWord), \(response.statusWord.meaning))")
            case .selectVitale:
                try Self.expectSuccess(response, step: "SELECT VITALE application", foreignReason: "no VITALE application")
                stage = .nir
                file = FileRead(sfi: 2, file: .nir, absentAllowed: false, options: options)
                return try file.start()
            case .nir:
                switch try file.receive(response) {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let content):
                    guard let content else { throw VitaleError.unexpectedStatus(.fileNotFound, step: "READ BINARY \(VitaleFile.nir)") }
                    nir = content
                    stage = .rights
                    file = FileRead(sfi: 3, file: .rights, absentAllowed: true, options: options)
                    return try file.start()
                }
            case .rights:
                switch try file.receive(response) {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let rights): return .finished(Files(identity: identity, nir: nir, rights: rights))
                }
            }
        }

        enum Fixed { case selectMF, selectVitale }

        static func command(_ which: Fixed) throws(VitaleError) -> CommandAPDU {
            do {
                switch which {
                case .selectMF: return try CommandAPDU(ins: 0xA4, p1: 0x00, p2: 0x0C, data: [0x3F, 0x00])
                case .selectVitale: return try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: VitaleReader.vitaleAID)
                }
            } catch {
                throw .transport(step: "building a command", detail: error.description)
            }
        }

        /// Checks that `step` succeeded. A card of another kind (``StatusWord/isNotFoundOrNotSupported``) is not a
        /// carte Vitale (``VitaleError/notAVitaleCard(atr:reason:)``, `foreignReason` and the answer); any other
        /// status word is unexpected.
        static func expectSuccess(_ response: ResponseAPDU?, step: String, foreignReason: String) throws(VitaleError) {
            guard let response else { throw .transport(step: step, detail: "no response") }
            let status = response.statusWord
            guard status == .success else {
                guard status.isNotFoundOrNotSupported else { throw .unexpectedStatus(status, step: step) }
                throw .notAVitaleCard(atr: "", reason: "\(foreignReason) (\(step) answered \(status), \(status.meaning))")
            }
        }
    }

    /// One file read by SFI, chunk after chunk until its end marker (or in one extended READ BINARY).
    typealias FileRead = CardFileRead<VitaleError>
}

extension VitaleError: CardFileReadError {}

extension CardFileRead where Failure == VitaleError {
    /// A read of `file` with the reader's `options` (extended length, file size limit).
    init(sfi: UInt8, file: VitaleFile, absentAllowed: Bool, options: VitaleReader.Options) {
        self.init(sfi: sfi, file: file, absentAllowed: absentAllowed, maxFileSize: options.maxFileSize,
                  extendedLength: options.extendedLength)
    }
}
