import Crypto
import Foundation
import Secrets

/// A software signing session loaded from its two files: a PEM P-256 private key (owner-only, like every
/// secret) and a practitioner file (``SoftwarePractitionerFile``). `fse-send --key --practitioner` and
/// `vitaled`'s `softwareSigner` load it here.
public struct SoftwareSignerFiles: Sendable {
    /// The signer, marked as a test signer (a software key is never a CPS).
    public var signer: SoftwareClaimSigner
    /// The billing situation it signs for.
    public var situation: PractitionerSituation

    /// Why the files could not be loaded; `field` is the option or setting that named the file.
    public struct Problem: Error, CustomStringConvertible, Sendable, Equatable {
        public var field: String
        public var description: String
    }

    /// Loads the key in `privateKeyFile` and the situation in `practitionerFile`; `keyField` and
    /// `practitionerField` name the options or settings in messages (e.g. `--key`, `softwareSigner.privateKeyFile`).
    public init(privateKeyFile: String, practitionerFile: String, keyField: String, practitionerField: String) throws(Problem) {
        let pem: String
        do { pem = try SecretFile.readText(privateKeyFile) } catch {
            throw Problem(field: keyField, description: "\(keyField): \(error.description)")
        }
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch {
            throw Problem(field: keyField, description: "\(keyField) \(privateKeyFile): not a PEM P-256 private key")
        }
        let file: SoftwarePractitionerFile
        do { file = try JSONDecoder().decode(SoftwarePractitionerFile.self, from: Data(contentsOf: URL(fileURLWithPath: practitionerFile))) } catch {
            throw Problem(field: practitionerField, description: "\(practitionerField) \(practitionerFile): not a practitioner file: \(error)")
        }
        do { situation = try file.situation() } catch {
            throw Problem(field: practitionerField, description: "\(practitionerField) \(practitionerFile): billingNumber: \(error)")
        }
        signer = SoftwarePractitionerFile.signer(for: situation, privateKey: key)
    }
}
