import Crypto
import Foundation
import Gateway
import Transmission

/// A registered practitioner with its key and token.
struct TestPractitioner: Sendable {
    let billingNumber: String
    let keyBytes: [UInt8]
    let token: String
    var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: keyBytes) }

    init(_ billingNumber: String) {
        self.billingNumber = billingNumber
        keyBytes = Array(P256.Signing.PrivateKey().rawRepresentation)
        token = PractitionerRegistry.newToken()
    }

    var registration: RegisteredPractitioner {
        RegisteredPractitioner(billingNumber: billingNumber, label: "test", publicKey: Array(key.publicKey.x963Representation),
                               tokenSHA256: PractitionerRegistry.hash(token: token))
    }
}
