import Crypto
import ISO7816

/// A small ISO 7816-4 card operating system: SELECT, READ BINARY, READ RECORD, GET RESPONSE, VERIFY and
/// PSO: COMPUTE DIGITAL SIGNATURE over a ``CardFileSystem``, with the T=0 answers of a real Vitale 2
/// (`61XX` for case 4, `6CXX` for a wrong short Le). Any bytes in give a response with a status word out.
///
/// It is a value: the owner (``EmulatedCard``) serialises access. See `docs/card-layout.md`.
public struct CardOS: Sendable {
    /// How the card reacts to commands.
    public enum Personality: String, Sendable, Hashable {
        /// The ISO 7816-4 engine.
        case iso7816
        /// A Vitale 1 card (class `BC`): only its ATR is emulated; it answers `6E00` to class `00` and
        /// `6D00` to class `BC`.
        case legacyVitale1
    }

    /// A PIN (code porteur): its reference (VERIFY P2), value and try counter.
    public struct PIN: Sendable, Hashable {
        public var reference: UInt8
        public var value: [UInt8]
        public var maxTries: Int
        public var triesLeft: Int

        public init(reference: UInt8, value: [UInt8], maxTries: Int = 3, triesLeft: Int? = nil) {
            self.reference = reference
            self.value = value
            self.maxTries = maxTries
            self.triesLeft = triesLeft ?? maxTries
        }
    }

    /// A P-256 signing key usable by PSO: COMPUTE DIGITAL SIGNATURE when `application` is the current DF
    /// and the PIN is verified.
    public struct SigningKey: Sendable, Hashable {
        /// The raw 32-byte private scalar.
        public var privateKey: [UInt8]
        /// The index (in the file system) of the DF the key belongs to.
        public var application: Int

        public init(privateKey: [UInt8], application: Int) {
            self.privateKey = privateKey
            self.application = application
        }
    }

    public private(set) var fileSystem: CardFileSystem
    public let personality: Personality
    /// Answer case-4 commands with `61XX` and wrong short Le with `6CXX`, as a T=0 card does.
    public let t0: Bool
    public private(set) var pin: PIN?
    public let signingKey: SigningKey?

    // Volatile state, cleared by power off, power on and reset.
    private(set) var currentDF = CardFileSystem.masterFile
    private(set) var currentEF: Int?
    private var pending: [UInt8]?
    public private(set) var pinVerified = false

    public init(
        fileSystem: CardFileSystem, personality: Personality = .iso7816, t0: Bool = true,
        pin: PIN? = nil, signingKey: SigningKey? = nil
    ) {
        self.fileSystem = fileSystem
        self.personality = personality
        self.t0 = t0
        self.pin = pin
        self.signingKey = signingKey
    }

    /// Clears what a power cycle or a reset clears on a real card: current DF and EF, data waiting for GET
    /// RESPONSE, PIN verification. The PIN try counter stays.
    public mutating func resetVolatileState() {
        currentDF = CardFileSystem.masterFile
        currentEF = nil
        pending = nil
        pinVerified = false
    }

    /// Processes one command APDU and returns the response (data, SW1, SW2). Never traps.
    public mutating func process(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let sw = process(bytes, into: &out)
        out.append(sw.sw1)
        out.append(sw.sw2)
        return out
    }

    private mutating func process(_ bytes: [UInt8], into out: inout [UInt8]) -> StatusWord {
        guard bytes.count >= 4 else { pending = nil; return .wrongLength }
        let cla = bytes[0]
        if personality == .legacyVitale1 {
            return cla == 0xBC ? .insNotSupported : .claNotSupported
        }
        guard cla & 0xFC == 0 else { pending = nil; return .claNotSupported }
        guard cla & 0x03 == 0 else { pending = nil; return StatusWord(rawValue: 0x6881) }
        let command: CommandAPDU
        do {
            command = try CommandAPDU(bytes: bytes)
        } catch {
            pending = nil
            return .wrongLength
        }
        if command.ins != 0xC0 { pending = nil }
        switch command.ins {
        case 0xA4: return select(command, into: &out)
        case 0xB0: return readBinary(command, into: &out)
        case 0xB2: return readRecord(command, into: &out)
        case 0xC0: return getResponse(command, into: &out)
        case 0x20: return verify(command)
        case 0x2A: return performSecurityOperation(command, into: &out)
        default: return .insNotSupported
        }
    }

    // MARK: Responses with data

    /// Either returns `data` now or, under T=0 for a command that carried data, leaves it for GET RESPONSE.
    private mutating func respond(_ data: [UInt8], commandHadData: Bool, into out: inout [UInt8]) -> StatusWord {
        if t0 && commandHadData {
            pending = data
            return .bytesAvailable(UInt8(truncatingIfNeeded: min(data.count, 256)))
        }
        out.append(contentsOf: data)
        return .success
    }

    /// Applies Le to `available` bytes: exact or smaller Le → data; larger short Le → `6CXX` (T=0) or
    /// data and `6282`; larger extended Le → data and `6282`.
    private func answer(_ available: ArraySlice<UInt8>, ne: Int, extended: Bool, into out: inout [UInt8]) -> StatusWord {
        if ne <= available.count {
            out.append(contentsOf: available.prefix(ne))
            return .success
        }
        if !extended && t0 {
            return .wrongLe(UInt8(truncatingIfNeeded: available.count))
        }
        out.append(contentsOf: available)
        return .endOfFile
    }

    // MARK: SELECT

    private mutating func select(_ command: CommandAPDU, into out: inout [UInt8]) -> StatusWord {
        let p2 = command.p2
        guard p2 & 0xF3 == 0x00 || p2 == 0x04 || p2 == 0x0C else { return .incorrectP1P2 }
        let data = command.data
        let target: Int?
        switch command.p1 {
        case 0x00:
            if data.isEmpty {
                target = CardFileSystem.masterFile
            } else {
                guard data.count == 2 else { return .wrongLength }
                target = fileSystem.resolve(fid: UInt16(data[0]) << 8 | UInt16(data[1]), from: currentDF)
            }
        case 0x01, 0x02:
            guard data.count == 2 else { return .wrongLength }
            let fid = UInt16(data[0]) << 8 | UInt16(data[1])
            let wantDF = command.p1 == 0x01
            target = fileSystem.child(of: currentDF, fid: fid).flatMap {
                fileSystem.file($0).isDedicated == wantDF ? $0 : nil
            }
        case 0x03:
            guard data.isEmpty else { return .wrongLength }
            target = fileSystem.parent(of: currentDF)
        case 0x04:
            guard !data.isEmpty, data.count <= 16 else { return .wrongLength }
            target = fileSystem.dedicatedFile(named: data[...])
        case 0x08, 0x09:
            guard !data.isEmpty, data.count % 2 == 0 else { return .wrongLength }
            var node: Int? = command.p1 == 0x08 ? CardFileSystem.masterFile : currentDF
            var index = 0
            if command.p1 == 0x08, data[0] == 0x3F, data[1] == 0x00 { index = 2 }
            while index < data.count, let here = node {
                guard fileSystem.file(here).isDedicated else { node = nil; break }
                node = fileSystem.child(of: here, fid: UInt16(data[index]) << 8 | UInt16(data[index + 1]))
                index += 2
            }
            target = node
        default:
            return .incorrectP1P2
        }
        guard let target else { return .fileNotFound }
        let file = fileSystem.file(target)
        if file.isDedicated {
            currentDF = target
            currentEF = nil
        } else {
            currentDF = fileSystem.parent(of: target) ?? CardFileSystem.masterFile
            currentEF = target
        }
        if p2 == 0x0C { return .success }
        let template: TLVTag = p2 == 0x04 ? 0x62 : 0x6F
        return respond(controlParameters(of: file, template: template), commandHadData: !data.isEmpty, into: &out)
    }

    private func controlParameters(of file: CardFile, template: TLVTag) -> [UInt8] {
        var writer = TLVWriter(reservingCapacity: 48)
        writer.appendConstructed(tag: template) { w in
            switch file.body {
            case .dedicated:
                w.append(tag: 0x82, value: [0x38])
            case .transparent(let bytes):
                w.append(tag: 0x80, value: [UInt8(truncatingIfNeeded: bytes.count >> 8), UInt8(truncatingIfNeeded: bytes.count)])
                w.append(tag: 0x82, value: [0x01])
            case .records(let length, let records):
                let size = length * records.count
                w.append(tag: 0x80, value: [UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size)])
                w.append(tag: 0x82, value: [0x02, 0x00, UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
                                            UInt8(truncatingIfNeeded: records.count)])
            }
            if let fid = file.fid { w.append(tag: 0x83, value: [UInt8(fid >> 8), UInt8(truncatingIfNeeded: fid)]) }
            if let name = file.name { w.append(tag: 0x84, value: name) }
            if let sfi = file.sfi { w.append(tag: 0x88, value: [sfi]) }
        }
        return writer.bytes
    }

    // MARK: READ BINARY / READ RECORD

    private mutating func readBinary(_ command: CommandAPDU, into out: inout [UInt8]) -> StatusWord {
        guard command.data.isEmpty, let ne = command.ne else { return .wrongLength }
        let ef: Int
        let offset: Int
        if command.p1 & 0x80 != 0 {
            let sfi = command.p1 & 0x1F
            guard command.p1 & 0x60 == 0, sfi != 0, sfi != 0x1F else { return .incorrectP1P2 }
            guard let found = fileSystem.child(of: currentDF, sfi: sfi) else { return .fileNotFound }
            ef = found
            offset = Int(command.p2)
        } else {
            guard let current = currentEF else { return .noCurrentEF }
            ef = current
            offset = Int(command.p1) << 8 | Int(command.p2)
        }
        guard case .transparent(let content) = fileSystem.file(ef).body else {
            return StatusWord(rawValue: 0x6981)
        }
        currentEF = ef
        guard offset < content.count else { return .wrongP1P2 }
        return answer(content[offset...], ne: ne, extended: command.extended, into: &out)
    }

    private mutating func readRecord(_ command: CommandAPDU, into out: inout [UInt8]) -> StatusWord {
        guard command.data.isEmpty, let ne = command.ne else { return .wrongLength }
        guard command.p2 & 0x07 == 0x04 else { return .incorrectP1P2 }
        let sfi = command.p2 >> 3
        let ef: Int
        if sfi == 0 {
            guard let current = currentEF else { return .noCurrentEF }
            ef = current
        } else {
            guard sfi != 0x1F else { return .incorrectP1P2 }
            guard let found = fileSystem.child(of: currentDF, sfi: sfi) else { return .fileNotFound }
            ef = found
        }
        guard case .records(_, let records) = fileSystem.file(ef).body else {
            return StatusWord(rawValue: 0x6981)
        }
        currentEF = ef
        let number = Int(command.p1)
        guard number >= 1, number <= records.count else { return .recordNotFound }
        return answer(records[number - 1][...], ne: ne, extended: command.extended, into: &out)
    }

    // MARK: GET RESPONSE

    private mutating func getResponse(_ command: CommandAPDU, into out: inout [UInt8]) -> StatusWord {
        guard command.p1 == 0, command.p2 == 0 else { pending = nil; return .incorrectP1P2 }
        guard command.data.isEmpty, let ne = command.ne else { pending = nil; return .wrongLength }
        guard let waiting = pending else { return .conditionsNotSatisfied }
        if ne > waiting.count {
            if command.extended || !t0 {
                out.append(contentsOf: waiting)
                pending = nil
                return .endOfFile
            }
            return .wrongLe(UInt8(truncatingIfNeeded: waiting.count))
        }
        out.append(contentsOf: waiting.prefix(ne))
        let rest = Array(waiting.dropFirst(ne))
        if rest.isEmpty {
            pending = nil
            return .success
        }
        pending = rest
        return .bytesAvailable(UInt8(truncatingIfNeeded: min(rest.count, 256)))
    }

    // MARK: VERIFY

    private mutating func verify(_ command: CommandAPDU) -> StatusWord {
        guard command.p1 == 0x00 else { return .incorrectP1P2 }
        guard var pin, command.p2 == pin.reference else { return .referencedDataNotFound }
        if pin.triesLeft <= 0 { return .authenticationBlocked }
        if command.data.isEmpty {
            return pinVerified ? .success : .verificationFailed(triesLeft: pin.triesLeft)
        }
        guard command.data.count == pin.value.count,
              command.data.allSatisfy({ (0x30...0x39).contains($0) })
        else { return .incorrectData }
        if command.data == pin.value {
            pin.triesLeft = pin.maxTries
            self.pin = pin
            pinVerified = true
            return .success
        }
        pin.triesLeft -= 1
        self.pin = pin
        pinVerified = false
        return .verificationFailed(triesLeft: pin.triesLeft)
    }

    // MARK: PSO: COMPUTE DIGITAL SIGNATURE

    private mutating func performSecurityOperation(_ command: CommandAPDU, into out: inout [UInt8]) -> StatusWord {
        guard let signingKey else { return .insNotSupported }
        guard command.p1 == 0x9E, command.p2 == 0x9A else { return .incorrectP1P2 }
        guard currentDF == signingKey.application else { return .conditionsNotSatisfied }
        if let pin, pin.triesLeft <= 0 { return .authenticationBlocked }
        guard pinVerified else { return .securityStatusNotSatisfied }
        guard command.data.count == SHA256.byteCount else { return .wrongLength }
        do {
            let key = try P256.Signing.PrivateKey(rawRepresentation: signingKey.privateKey)
            let signature = try key.signature(for: PrecomputedDigest(command.data))
            return respond(Array(signature.rawRepresentation), commandHadData: true, into: &out)
        } catch {
            return .noPreciseDiagnosis
        }
    }
}

/// A SHA-256 digest computed elsewhere (sent to the card by the host), so the card signs it as is.
struct PrecomputedDigest: Digest {
    static let byteCount = 32
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    var description: String { "precomputed digest" }

    func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
}
