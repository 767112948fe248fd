import ISO7816

extension CPSSession {
    /// The whole read of a CPS as a ``CardConversation``: SELECT the CPS application, then READ BINARY the holder
    /// (SFI 1), situations (SFI 2) and certificate (SFI 3) files, each chunk after chunk until its end marker
    /// (`docs/card-layout.md`, section 3), each decoded as soon as it is read. Errors it throws are ``CPSError``s.
    public struct ReadConversation: CardConversation {
        let atr: [UInt8]
        private var stage = Stage.start
        private var file = FileRead(sfi: 1, file: .holder)
        private var holder: CPSHolder?
        private var situations: [CPSSituation] = []

        private enum Stage: Sendable { case start, select, holder, situations, certificate }

        /// The read of the CPS whose ATR is `atr` (kept in the result).
        public init(atr: [UInt8]) { self.atr = atr }

        public mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<PractitionerCard> {
            switch stage {
            case .start:
                stage = .select
                return .send(try CPSSession.selectCommand(), step: CPSSession.selectStep)
            case .select:
                guard let response else { throw CPSError.transport(step: CPSSession.selectStep, detail: "no response") }
                guard response.statusWord == .success else {
                    throw CPSSession.selectFailure(response.statusWord, atr: atr)
                }
                stage = .holder
                file = FileRead(sfi: 1, file: .holder)
                return try file.start()
            case .holder:
                switch try file.receive(response) {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let content):
                    holder = try CPSParser.holder(content ?? [])
                    stage = .situations
                    file = FileRead(sfi: 2, file: .situations)
                    return try file.start()
                }
            case .situations:
                switch try file.receive(response) {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let content):
                    situations = try CPSParser.situations(content ?? [])
                    stage = .certificate
                    file = FileRead(sfi: 3, file: .certificate)
                    return try file.start()
                }
            case .certificate:
                switch try file.receive(response) {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let content):
                    guard let holder else { throw CPSError.transport(step: "READ BINARY \(CPSFile.holder)", detail: "no holder") }
                    let certificate = try CPSCertificate.parse(content ?? [])
                    return .finished(PractitionerCard(
                        atr: Hex.encode(atr, separator: " "), holder: holder, situations: situations, certificate: certificate))
                }
            }
        }
    }

    /// One CPS file read by SFI, chunk after chunk until its end marker; step names are `READ BINARY <file>`
    /// whatever the offset.
    typealias FileRead = CardFileRead<CPSError>
}

extension CPSError: CardFileReadError {
    /// A file running past `limit` bytes without its end marker: ``CPSError/invalidField(file:field:problem:)``.
    public static func fileTooLarge(file: CPSFile, limit: Int) -> CPSError {
        .invalidField(file: file, field: "file", problem: "exceeds \(limit) bytes without an end marker")
    }
}

extension CardFileRead where Failure == CPSError {
    /// A read of the CPS file `file` (never absent, at most 16 KiB).
    init(sfi: UInt8, file: CPSFile) {
        self.init(sfi: sfi, file: file, absentAllowed: false, maxFileSize: 16 * 1024, extendedLength: false, namesOffsets: false)
    }
}
