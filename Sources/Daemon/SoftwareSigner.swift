import Claims

/// Loads a software session (``DaemonConfiguration/SoftwareSignerSettings``) through Claims'
/// ``SoftwareSignerFiles``, the same loader as `fse-send --key --practitioner`.
enum SoftwareSignerLoader {
    static func load(_ settings: DaemonConfiguration.SoftwareSignerSettings) throws -> PractitionerSession {
        let files: SoftwareSignerFiles
        do {
            files = try SoftwareSignerFiles(privateKeyFile: settings.privateKeyFile, practitionerFile: settings.practitionerFile,
                                            keyField: "softwareSigner.privateKeyFile", practitionerField: "softwareSigner.practitionerFile")
        } catch {
            throw Daemon.StartupError(error.description)
        }
        return PractitionerSession(situation: files.situation, signer: files.signer, origin: .software)
    }
}
