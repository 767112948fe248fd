import Crypto
import Daemon
import Foundation
import Gateway
import Transmission

/// A stand-in lot format for the daemon tests that are about the API, the lifecycle and the outbox wiring
/// (JSON, signed with a software P-256 key). The end-to-end tests use Claims' format and the emulated CPS.
struct FakeLot: Codable {
    var lotNumber: Int64
    var sender: String
    var organism: String
    var createdAt: Date
    var invoices: [Invoice]
    var signature: String?

    struct Invoice: Codable {
        var number: String
        var claimedCents: Int64
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        e.dateEncodingStrategy = .secondsSince1970
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()
}

struct FakeLotProcessor: LotProcessor {
    func process(_ bytes: [UInt8], keys: any SenderKeys, now: Date) throws(LotRefusal) -> ProcessedLot {
        guard let lot = try? FakeLot.decoder.decode(FakeLot.self, from: Data(bytes)), let sig = lot.signature,
              let sigBytes = Data(base64Encoded: sig) else {
            throw LotRefusal(.malformed, "not a lot")
        }
        guard let keyBytes = keys.publicKey(forBillingNumber: lot.sender) else {
            throw LotRefusal(.unregisteredSender, "sender not registered", lotNumber: lot.lotNumber)
        }
        var unsigned = lot
        unsigned.signature = nil
        guard let key = try? P256.Signing.PublicKey(x963Representation: keyBytes),
              let signature = try? P256.Signing.ECDSASignature(rawRepresentation: sigBytes),
              let body = try? FakeLot.encoder.encode(unsigned),
              key.isValidSignature(signature, for: body) else {
            throw LotRefusal(.badSignature, "lot signature does not verify", lotNumber: lot.lotNumber)
        }
        return ProcessedLot(lotNumber: lot.lotNumber, senderBillingNumber: lot.sender, organism: lot.organism, createdAt: lot.createdAt,
                            invoices: lot.invoices.map { InvoiceDecision(invoiceNumber: $0.number, claimedCents: $0.claimedCents, outcome: .paid(amountCents: $0.claimedCents)) })
    }
}

/// A software "session": signs FSEs (fake: the signed FSE is the built one) and lots with a P-256 key.
struct FakeSigning: SigningSource {
    let billingNumber: String
    let keyBytes: [UInt8]

    init(billingNumber: String, key: P256.Signing.PrivateKey) {
        self.billingNumber = billingNumber
        keyBytes = Array(key.rawRepresentation)
    }

    func sessionBillingNumber() async -> String? { billingNumber }

    func signPendingFSEs(in outbox: Outbox) async throws -> Int {
        let built = try outbox.claims(in: [.built], billingNumber: billingNumber)
        try outbox.markSigned(try built.map { ($0.id, try outbox.builtFSE($0.id)!) })
        return built.count
    }

    func lotAssembler() async -> (any LotAssembler)? { Assembler(keyBytes: keyBytes) }

    struct Assembler: LotAssembler {
        let keyBytes: [UInt8]
        func assemble(_ request: LotRequest) async throws -> [UInt8] {
            let key = try P256.Signing.PrivateKey(rawRepresentation: keyBytes)
            let invoices = request.fses.map { FakeLot.Invoice(number: $0.invoiceNumber, claimedCents: Int64(String(decoding: $0.signedFSE, as: UTF8.self))!) }
            var lot = FakeLot(lotNumber: request.lotNumber, sender: request.billingNumber, organism: request.organism, createdAt: Date(), invoices: invoices)
            let body = try FakeLot.encoder.encode(lot)
            lot.signature = try key.signature(for: body).rawRepresentation.base64EncodedString()
            return Array(try FakeLot.encoder.encode(lot))
        }
    }
}

/// A practitioner registered with the test gateway.
struct TestPractitioner: Sendable {
    let billingNumber: String
    let keyBytes: [UInt8]
    let token: String
    var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: keyBytes) }

    init(_ billingNumber: String, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.billingNumber = billingNumber
        keyBytes = Array(key.rawRepresentation)
        token = PractitionerRegistry.newToken()
    }

    var registration: RegisteredPractitioner {
        RegisteredPractitioner(billingNumber: billingNumber, label: "test", publicKey: Array(key.publicKey.x963Representation),
                               tokenSHA256: PractitionerRegistry.hash(token: token))
    }
}
