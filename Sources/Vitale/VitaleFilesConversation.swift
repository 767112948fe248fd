import ISO7816

extension VitaleReader {
    /// The whole read of a carte Vitale 2 as a ``CardConversation``: SELECT MF, READ BINARY identity (SFI 2),
    /// SELECT VITALE, READ BINARY NIR (SFI 2), READ BINARY rights (SFI 3), each file chunk after chunk until its
    /// end marker (`docs/card-layout.md`, 2.5). Its result is the raw files; ``VitaleReader/read(from:atr:)``
    /// decodes them. Errors it throws are ``VitaleError``s.
    public struct FilesConversation: CardConversation {
        let options: Options
        private var stage = Stage.start
        private var file = FileRead(sfi: 2, file: .identity, absentAllowed: false)
        private var identity: [UInt8] = []
        private var nir: [UInt8] = []

        private enum Stage: Sendable { case start, selectMF, identity, selectVitale, nir, rights }

        /// A conversation reading with `options` (extended length, file size limit).
        public init(options: Options) { self.options = options }

        public mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<Files> {
            switch stage {
            case .start:
                stage = .selectMF
                return .send(try Self.command(.selectMF), step: "SELECT MF")
            case .selectMF:
                try Self.expectSuccess(response, step: "SELECT MF")
                stage = .identity
                file = FileRead(sfi: 2, file: .identity, absentAllowed: false)
                return try file.start(options)
            case .identity:
                switch try file.receive(response, options) {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let content):
                    guard let content else { throw VitaleError.unexpectedStatus(.fileNotFound, step: "READ BINARY \(VitaleFile.identity)") }
                    identity = content
                    stage = .selectVitale
                    return .send(try Self.command(.selectVitale), step: "SELECT VITALE application")
                }
            case .selectVitale:
                try Self.expectSuccess(response, step: "SELECT VITALE application")
                stage = .nir
                file = FileRead(sfi: 2, file: .nir, absentAllowed: false)
                return try file.start(options)
            case .nir:
                switch try file.receive(response, options) {
                case .send(let command, let step): return .send(command, step: step)
                case .done(let content):
                    guard let content else { throw VitaleError.unexpectedStatus(.fileNotFound, step: "READ BINARY \(VitaleFile.nir)") }
                    nir = content
                    stage = .rights
                    file = FileRead(sfi: 3, file: .rights, absentAllowed: true)
                    return try file.start(options)
                }
            case .rights:
                switch try file.receive(response, options) {
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

        static func expectSuccess(_ response: ResponseAPDU?, step: String) throws(VitaleError) {
            guard let response else { throw .transport(step: step, detail: "no response") }
            guard response.statusWord == .success else { throw .unexpectedStatus(response.statusWord, step: step) }
        }
    }

    /// One file read by SFI, chunk after chunk until its end marker (or in one extended READ BINARY).
    struct FileRead: Sendable {
        let sfi: UInt8
        let file: VitaleFile
        let absentAllowed: Bool
        private var data: [UInt8] = []
        private var offset = 0

        init(sfi: UInt8, file: VitaleFile, absentAllowed: Bool) {
            self.sfi = sfi
            self.file = file
            self.absentAllowed = absentAllowed
        }

        enum Next {
            case send(CommandAPDU, step: String)
            /// The content up to the end marker; nil for an absent file (`6A82`) when allowed.
            case done([UInt8]?)
        }

        private var step: String { "READ BINARY \(file)" }
        private var stepHere: String { offset == 0 ? step : "\(step) at offset \(offset)" }

        /// The first READ BINARY.
        func start(_ options: Options) throws(VitaleError) -> ConversationStep<Files> {
            do {
                let command = options.extendedLength
                    ? try CommandAPDU(ins: 0xB0, p1: 0x80 | sfi, p2: 0, ne: 65536, extended: true)
                    : try CommandAPDU.readBinary(sfi: sfi, offset: 0, ne: 256)
                return .send(command, step: step)
            } catch {
                throw .transport(step: step, detail: error.description)
            }
        }

        /// Takes the answer to the last READ BINARY.
        mutating func receive(_ response: ResponseAPDU?, _ options: Options) throws(VitaleError) -> Next {
            guard let r = response else { throw .transport(step: stepHere, detail: "no response") }
            if options.extendedLength {
                switch r.statusWord {
                case .success, .endOfFile: break
                case .fileNotFound where absentAllowed: return .done(nil)
                default: throw .unexpectedStatus(r.statusWord, step: step)
                }
                guard r.data.count <= options.maxFileSize else { throw .fileTooLarge(file: file, limit: options.maxFileSize) }
                return .done(try content(r.data, complete: true))
            }
            switch r.statusWord {
            case .success, .endOfFile:
                break
            case .fileNotFound where offset == 0 && absentAllowed:
                return .done(nil)
            case .wrongP1P2 where offset > 0:
                // Offset at the end of the file: the file is over.
                return .done(try content(data, complete: true))
            default:
                throw .unexpectedStatus(r.statusWord, step: stepHere)
            }
            data.append(contentsOf: r.data)
            guard data.count <= options.maxFileSize else { throw .fileTooLarge(file: file, limit: options.maxFileSize) }
            if r.statusWord == .endOfFile || r.data.count < 256 { return .done(try content(data, complete: true)) }
            if let c = try content(data, complete: false) { return .done(c) }
            offset += r.data.count
            guard offset <= 0x7FFF else { throw .fileTooLarge(file: file, limit: 0x7FFF) }
            do {
                return .send(try .readBinary(offset: offset, ne: 256), step: stepHere)
            } catch {
                throw .transport(step: stepHere, detail: error.description)
            }
        }

        /// The content up to the end marker; nil when more must be read (only when `complete` is false).
        private func content(_ data: [UInt8], complete: Bool) throws(VitaleError) -> [UInt8]? {
            let end: Int?
            do { end = try VitaleDecoder.contentEnd(data) } catch {
                throw .corruptedTLV(file: file, offset: error.offset, reason: error.reason.rawValue)
            }
            if let end { return Array(data[..<end]) }
            // No end marker: a file that ends inside a TLV is reported by the decoder's full parse.
            return complete ? data : nil
        }
    }
}
