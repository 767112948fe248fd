import Crypto
import Foundation
import Gateway
import GatewayAPI
import Transmission

/// A stand-in lot format for the unit tests of the gateway and the outbox (JSON, signed with P-256), used
/// where the tests are about storage, HTTP, states and faults rather than the lot format. The real lot
/// format is Claims' (docs/fse-format.md); end-to-end tests use it.
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
        var rejectCode: RejectionCode?
    }

    func signed(with key: P256.Signing.PrivateKey) throws -> [UInt8] {
        var copy = self
        copy.signature = nil
        let body = try FakeLot.encoder.encode(copy)
        copy.signature = try key.signature(for: body).rawRepresentation.base64EncodedString()
        return Array(try FakeLot.encoder.encode(copy))
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
        return ProcessedLot(
            lotNumber: lot.lotNumber, senderBillingNumber: lot.sender, organism: lot.organism, createdAt: lot.createdAt,
            invoices: lot.invoices.map {
                InvoiceDecision(invoiceNumber: $0.number, claimedCents: $0.claimedCents,
                                outcome: $0.rejectCode.map { .rejected(RejectionReason(code: $0, text: "rejected: \($0.rawValue)")) } ?? .paid(amountCents: $0.claimedCents))
            })
    }
}

/// Assembles outbox lots in the fake format.
struct FakeAssembler: LotAssembler {
    let keyBytes: [UInt8]
    var createdAt = Date()
    var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: keyBytes) }

    init(key: P256.Signing.PrivateKey, createdAt: Date = Date()) {
        keyBytes = Array(key.rawRepresentation)
        self.createdAt = createdAt
    }

    func assemble(_ request: LotRequest) async throws -> [UInt8] {
        let invoices = request.fses.map { fse in
            // The fake signed FSE is "invoice|claimed|rejectCode".
            let parts = String(decoding: fse.signedFSE, as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false)
            return FakeLot.Invoice(number: fse.invoiceNumber, claimedCents: Int64(parts[1])!, rejectCode: parts[2].isEmpty ? nil : RejectionCode(rawValue: String(parts[2])) ?? .invalidClaim)
        }
        return try FakeLot(lotNumber: request.lotNumber, sender: request.billingNumber.description, organism: request.organism.description,
                           createdAt: createdAt, invoices: invoices).signed(with: key)
    }
}
