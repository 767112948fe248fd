import Claims
import Crypto
import Foundation

/// Loads a software session (``DaemonConfiguration/SoftwareSignerSettings``): a PEM P-256 key and the
/// practitioner's situation, the same files as `fse-send --key --practitioner`.
enum SoftwareSignerLoader {
    struct PractitionerFile: Codable {
        var billingNumber: String
        var situationNumber: UInt8?
        var practiceMode: UInt8?
        var conventionCode: UInt8?
        var specialty: UInt8?
        var tariffZone: UInt8?
        var ikZone: UInt8?
        var maySignInvoice: Bool?
        var maySignLot: Bool?
    }

    static func load(_ settings: DaemonConfiguration.SoftwareSignerSettings) throws -> PractitionerSession {
        let pem: String
        do { pem = try SecretFile.readText(settings.privateKeyFile) } catch {
            throw Daemon.StartupError("softwareSigner.privateKeyFile: \(error.description)")
        }
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch {
            throw Daemon.StartupError("\(settings.privateKeyFile): not a PEM P-256 private key")
        }
        let file: PractitionerFile
        do { file = try JSONDecoder().decode(PractitionerFile.self, from: Data(contentsOf: URL(fileURLWithPath: settings.practitionerFile))) } catch {
            throw Daemon.StartupError("\(settings.practitionerFile): not a practitioner file: \(error)")
        }
        let billing: BillingNumber
        do { billing = try BillingNumber(file.billingNumber) } catch {
            throw Daemon.StartupError("\(settings.practitionerFile): billingNumber: \(error)")
        }
        let situation = PractitionerSituation(
            billingNumber: billing, situationNumber: file.situationNumber ?? 1, practiceMode: file.practiceMode ?? 0,
            conventionCode: file.conventionCode ?? 1, specialty: file.specialty ?? 1, tariffZone: file.tariffZone ?? 10,
            ikZone: file.ikZone ?? 0, maySignInvoice: file.maySignInvoice ?? true, maySignLot: file.maySignLot ?? true)
        let signer = SoftwareClaimSigner(privateKey: key, maySignInvoice: situation.maySignInvoice, maySignLot: situation.maySignLot, isTestCard: true)
        return PractitionerSession(situation: situation, signer: signer, origin: .software)
    }
}
