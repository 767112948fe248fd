import ArgumentParser
import Claims
import Crypto
import Foundation

/// Who signs: the CPS in a PC/SC reader (`--reader`, `--pin-file`), or a software key with a practitioner file
/// (`--key`, `--practitioner`: tests and demos), both through Claims' `ClaimSigner`.
struct SignerOptions: ParsableArguments {
    @Option(help: "PC/SC reader holding the practitioner's CPS (e.g. \"Virtual PCD 00 01\").")
    var reader: String?

    @Option(help: "File holding the CPS PIN (mode 0600; read once, never stored). Default: $OPENVITALE_CPS_PIN_FILE.")
    var pinFile: String?

    @Option(help: "CPS situation number to bill with (default: the first that may sign invoices and lots).")
    var situation: Int?

    @Option(help: "PEM P-256 private key that signs FSEs and lots (software signer, marked as a test signer).")
    var key: String?

    @Option(help: "JSON file describing the practitioner's situation (billing number, convention, specialty…); see docs/fse-send.md.")
    var practitioner: String?

    @Option(help: "Folder of tariff tables. Default: $OPENVITALE_TARIFFS or Fixtures/tariffs next to the working directory.")
    var tariffs: String?

    func load() async throws -> (signer: any ClaimSigner, practitioner: PractitionerSituation) {
        if let reader {
            guard let path = pinFile ?? ProcessInfo.processInfo.environment["OPENVITALE_CPS_PIN_FILE"] else {
                throw SignerUnavailable(message: "--reader needs the CPS PIN: give --pin-file (or set OPENVITALE_CPS_PIN_FILE)")
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SignerUnavailable(message: "--pin-file \(path): cannot read it")
            }
            let opened = try await CardSignerOpener.open(reader: reader, pin: text.trimmingCharacters(in: .whitespacesAndNewlines), situationNumber: situation)
            return (opened.signer, opened.practitioner)
        }
        guard let key, let practitioner else {
            throw SignerUnavailable(message: "no signer: give --reader and --pin-file (CPS), or --key and --practitioner (software key)")
        }
        let pem: String
        do { pem = try String(contentsOfFile: key, encoding: .utf8) } catch {
            throw SignerUnavailable(message: "--key \(key): cannot read it")
        }
        let privateKey: P256.Signing.PrivateKey
        do { privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch {
            throw SignerUnavailable(message: "--key \(key): not a PEM P-256 private key")
        }
        let file: SoftwarePractitionerFile
        do { file = try JSONDecoder().decode(SoftwarePractitionerFile.self, from: Data(contentsOf: URL(fileURLWithPath: practitioner))) } catch {
            throw SignerUnavailable(message: "--practitioner \(practitioner): \(error)")
        }
        let situation: PractitionerSituation
        do { situation = try file.situation() } catch {
            throw SignerUnavailable(message: "--practitioner \(practitioner): billingNumber: \(error)")
        }
        let signer = SoftwarePractitionerFile.signer(for: situation, privateKey: privateKey)
        return (signer, situation)
    }

    func tariffTable() throws -> TariffTable {
        let path = tariffs ?? ProcessInfo.processInfo.environment["OPENVITALE_TARIFFS"] ?? "Fixtures/tariffs"
        do { return try TariffTable(contentsOfDirectory: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("--tariffs \(path): \(error)")
        }
    }
}

struct SignerUnavailable: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
