import ArgumentParser
import Claims
import Foundation
import Secrets

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
            let pin: String
            do { pin = try SecretFile.readFirstLine(path, what: "PIN") } catch {
                throw SignerUnavailable(message: "--pin-file \(error.description)")
            }
            let opened = try await CardSignerOpener.open(reader: reader, pin: pin, situationNumber: situation)
            return (opened.signer, opened.practitioner)
        }
        guard let key, let practitioner else {
            throw SignerUnavailable(message: "no signer: give --reader and --pin-file (CPS), or --key and --practitioner (software key)")
        }
        do {
            let files = try SoftwareSignerFiles(privateKeyFile: key, practitionerFile: practitioner, keyField: "--key", practitionerField: "--practitioner")
            return (files.signer, files.situation)
        } catch {
            throw SignerUnavailable(message: error.description)
        }
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
