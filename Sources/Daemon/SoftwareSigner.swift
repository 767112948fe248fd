import Claims
import Crypto
import Foundation

/// Loads a software session (``DaemonConfiguration/SoftwareSignerSettings``): a PEM P-256 key and the
/// practitioner's situation, the same files as `fse-send --key --practitioner`.
enum SoftwareSignerLoader {
    static func load(_ settings: DaemonConfiguration.SoftwareSignerSettings) throws -> PractitionerSession {
        let pem: String
        do { pem = try SecretFile.readText(settings.privateKeyFile) } catch {
            throw Daemon.StartupError("softwareSigner.privateKeyFile: \(error.description)")
        }
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch {
            throw Daemon.StartupError("\(settings.privateKeyFile): not a PEM P-256 private key")
        }
        let file: SoftwarePractitionerFile
        do { file = try JSONDecoder().decode(SoftwarePractitionerFile.self, from: Data(contentsOf: URL(fileURLWithPath: settings.practitionerFile))) } catch {
            throw Daemon.StartupError("\(settings.practitionerFile): not a practitioner file: \(error)")
        }
        let situation: PractitionerSituation
        do { situation = try file.situation() } catch {
            throw Daemon.StartupError("\(settings.practitionerFile): billingNumber: \(error)")
        }
        let signer = SoftwarePractitionerFile.signer(for: situation, privateKey: key)
        return PractitionerSession(situation: situation, signer: signer, origin: .software)
    }
}
