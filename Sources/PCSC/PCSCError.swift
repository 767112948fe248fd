/// An error reported by pcsc-lite (a `SCARD_E_…`, `SCARD_F_…`, `SCARD_W_…` or `SCARD_P_…` code), or one of the
/// few failures the binding itself detects.
///
/// Modelled on swift-system's `Errno`: a raw-value struct with a named constant per code, so callers compare
/// with named values (`error == .removedCard`, `case PCSCError.noSmartcard`) and never see a bare number.
/// ``name`` gives the C constant and ``meaning`` a sentence saying what it means.
public struct PCSCError: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as pcsc-lite returns it (`LONG`, `0x8010xxxx`), or a binding code with the customer bit
    /// (`0xA010xxxx`).
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The C constant's name (`"SCARD_W_REMOVED_CARD"`).
    public var name: String { Self.table[rawValue]?.name ?? "SCARD error 0x\(String(rawValue, radix: 16, uppercase: true))" }

    /// What the code means, in one sentence.
    public var meaning: String { Self.table[rawValue]?.meaning ?? "an error code pcsc-lite does not document" }

    public var description: String { "\(name): \(meaning)" }

    /// True for the codes that mean the card left the reader or is no longer reachable through this handle:
    /// ``removedCard``, ``noSmartcard``, ``truncatedResponse``.
    public var isCardGone: Bool { self == .removedCard || self == .noSmartcard || self == .truncatedResponse }

    /// True for the codes that mean the resource manager (pcscd) went away or the context is no longer valid:
    /// a new context has to be established.
    public var isServiceLost: Bool {
        self == .noService || self == .serviceStopped || self == .invalidHandle || self == .commError
    }

    /// Lets `catch PCSCError.removedCard` match.
    public static func ~= (lhs: PCSCError, rhs: any Error) -> Bool {
        (rhs as? PCSCError) == lhs
    }

    // MARK: Codes

    /// `SCARD_F_INTERNAL_ERROR`: an internal consistency check failed.
    public static var internalError: PCSCError { .init(rawValue: 0x8010_0001) }
    /// `SCARD_E_CANCELLED`: the action was cancelled by an `SCardCancel` request.
    public static var cancelled: PCSCError { .init(rawValue: 0x8010_0002) }
    /// `SCARD_E_INVALID_HANDLE`: the supplied context or card handle is not (or no longer) valid.
    public static var invalidHandle: PCSCError { .init(rawValue: 0x8010_0003) }
    /// `SCARD_E_INVALID_PARAMETER`: one or more of the supplied parameters could not be interpreted.
    public static var invalidParameter: PCSCError { .init(rawValue: 0x8010_0004) }
    /// `SCARD_E_INVALID_TARGET`: registry startup information is missing or invalid.
    public static var invalidTarget: PCSCError { .init(rawValue: 0x8010_0005) }
    /// `SCARD_E_NO_MEMORY`: not enough memory available to complete this command.
    public static var noMemory: PCSCError { .init(rawValue: 0x8010_0006) }
    /// `SCARD_F_WAITED_TOO_LONG`: an internal consistency timer has expired.
    public static var waitedTooLong: PCSCError { .init(rawValue: 0x8010_0007) }
    /// `SCARD_E_INSUFFICIENT_BUFFER`: the buffer given for the returned data is too small.
    public static var insufficientBuffer: PCSCError { .init(rawValue: 0x8010_0008) }
    /// `SCARD_E_UNKNOWN_READER`: the specified reader name is not recognized.
    public static var unknownReader: PCSCError { .init(rawValue: 0x8010_0009) }
    /// `SCARD_E_TIMEOUT`: the user-specified timeout value has expired.
    public static var timeout: PCSCError { .init(rawValue: 0x8010_000A) }
    /// `SCARD_E_SHARING_VIOLATION`: the card cannot be accessed because of other connections outstanding.
    public static var sharingViolation: PCSCError { .init(rawValue: 0x8010_000B) }
    /// `SCARD_E_NO_SMARTCARD`: the operation requires a card, but no card is in the reader.
    public static var noSmartcard: PCSCError { .init(rawValue: 0x8010_000C) }
    /// `SCARD_E_UNKNOWN_CARD`: the specified card name is not recognized.
    public static var unknownCard: PCSCError { .init(rawValue: 0x8010_000D) }
    /// `SCARD_E_CANT_DISPOSE`: the system could not dispose of the card in the requested manner.
    public static var cantDispose: PCSCError { .init(rawValue: 0x8010_000E) }
    /// `SCARD_E_PROTO_MISMATCH`: the requested protocols are incompatible with the protocol in use with the card.
    public static var protocolMismatch: PCSCError { .init(rawValue: 0x8010_000F) }
    /// `SCARD_E_NOT_READY`: the reader or card is not ready to accept commands.
    public static var notReady: PCSCError { .init(rawValue: 0x8010_0010) }
    /// `SCARD_E_INVALID_VALUE`: one or more of the supplied parameter values could not be interpreted.
    public static var invalidValue: PCSCError { .init(rawValue: 0x8010_0011) }
    /// `SCARD_E_SYSTEM_CANCELLED`: the action was cancelled by the system, presumably to log off or shut down.
    public static var systemCancelled: PCSCError { .init(rawValue: 0x8010_0012) }
    /// `SCARD_F_COMM_ERROR`: an internal communications error (between the client library and pcscd).
    public static var commError: PCSCError { .init(rawValue: 0x8010_0013) }
    /// `SCARD_F_UNKNOWN_ERROR`: an internal error has been detected, but the source is unknown.
    public static var unknownError: PCSCError { .init(rawValue: 0x8010_0014) }
    /// `SCARD_E_INVALID_ATR`: an ATR obtained from the registry is not a valid ATR string.
    public static var invalidATR: PCSCError { .init(rawValue: 0x8010_0015) }
    /// `SCARD_E_NOT_TRANSACTED`: the reader failed to carry the exchange (or a non-existent transaction was ended).
    public static var notTransacted: PCSCError { .init(rawValue: 0x8010_0016) }
    /// `SCARD_E_READER_UNAVAILABLE`: the specified reader is not currently available for use.
    public static var readerUnavailable: PCSCError { .init(rawValue: 0x8010_0017) }
    /// `SCARD_P_SHUTDOWN`: the operation has been aborted to allow the server application to exit.
    public static var shutdown: PCSCError { .init(rawValue: 0x8010_0018) }
    /// `SCARD_E_PCI_TOO_SMALL`: the PCI receive buffer was too small.
    public static var pciTooSmall: PCSCError { .init(rawValue: 0x8010_0019) }
    /// `SCARD_E_READER_UNSUPPORTED`: the reader driver does not meet minimal requirements for support.
    public static var readerUnsupported: PCSCError { .init(rawValue: 0x8010_001A) }
    /// `SCARD_E_DUPLICATE_READER`: the reader driver did not produce a unique reader name.
    public static var duplicateReader: PCSCError { .init(rawValue: 0x8010_001B) }
    /// `SCARD_E_CARD_UNSUPPORTED`: the card does not meet minimal requirements for support.
    public static var cardUnsupported: PCSCError { .init(rawValue: 0x8010_001C) }
    /// `SCARD_E_NO_SERVICE`: the smart card resource manager (pcscd) is not running.
    public static var noService: PCSCError { .init(rawValue: 0x8010_001D) }
    /// `SCARD_E_SERVICE_STOPPED`: the smart card resource manager has shut down (or speaks another protocol version).
    public static var serviceStopped: PCSCError { .init(rawValue: 0x8010_001E) }
    /// `SCARD_E_UNSUPPORTED_FEATURE` (same value as `SCARD_E_UNEXPECTED`): the card or reader does not support
    /// the requested feature.
    public static var unsupportedFeature: PCSCError { .init(rawValue: 0x8010_001F) }
    /// `SCARD_E_ICC_INSTALLATION`: no primary provider can be found for the card.
    public static var iccInstallation: PCSCError { .init(rawValue: 0x8010_0020) }
    /// `SCARD_E_ICC_CREATEORDER`: the requested order of object creation is not supported.
    public static var iccCreateOrder: PCSCError { .init(rawValue: 0x8010_0021) }
    /// `SCARD_E_DIR_NOT_FOUND`: the identified directory does not exist in the card.
    public static var directoryNotFound: PCSCError { .init(rawValue: 0x8010_0023) }
    /// `SCARD_E_FILE_NOT_FOUND`: the identified file does not exist in the card.
    public static var fileNotFound: PCSCError { .init(rawValue: 0x8010_0024) }
    /// `SCARD_E_NO_DIR`: the supplied path does not represent a card directory.
    public static var noDirectory: PCSCError { .init(rawValue: 0x8010_0025) }
    /// `SCARD_E_NO_FILE`: the supplied path does not represent a card file.
    public static var noFile: PCSCError { .init(rawValue: 0x8010_0026) }
    /// `SCARD_E_NO_ACCESS`: access is denied to this file.
    public static var noAccess: PCSCError { .init(rawValue: 0x8010_0027) }
    /// `SCARD_E_WRITE_TOO_MANY`: the card does not have enough memory to store the information.
    public static var writeTooMany: PCSCError { .init(rawValue: 0x8010_0028) }
    /// `SCARD_E_BAD_SEEK`: an error occurred trying to set the card file object pointer.
    public static var badSeek: PCSCError { .init(rawValue: 0x8010_0029) }
    /// `SCARD_E_INVALID_CHV`: the supplied PIN is incorrect.
    public static var invalidCHV: PCSCError { .init(rawValue: 0x8010_002A) }
    /// `SCARD_E_UNKNOWN_RES_MNG`: an unrecognized error code was returned from a layered component.
    public static var unknownResourceManager: PCSCError { .init(rawValue: 0x8010_002B) }
    /// `SCARD_E_NO_SUCH_CERTIFICATE`: the requested certificate does not exist.
    public static var noSuchCertificate: PCSCError { .init(rawValue: 0x8010_002C) }
    /// `SCARD_E_CERTIFICATE_UNAVAILABLE`: the requested certificate could not be obtained.
    public static var certificateUnavailable: PCSCError { .init(rawValue: 0x8010_002D) }
    /// `SCARD_E_NO_READERS_AVAILABLE`: no smart card reader can be found.
    public static var noReadersAvailable: PCSCError { .init(rawValue: 0x8010_002E) }
    /// `SCARD_E_COMM_DATA_LOST`: a communications error with the card has been detected; retry the operation.
    public static var commDataLost: PCSCError { .init(rawValue: 0x8010_002F) }
    /// `SCARD_E_NO_KEY_CONTAINER`: the requested key container does not exist on the card.
    public static var noKeyContainer: PCSCError { .init(rawValue: 0x8010_0030) }
    /// `SCARD_E_SERVER_TOO_BUSY`: the smart card resource manager is too busy to complete this operation.
    public static var serverTooBusy: PCSCError { .init(rawValue: 0x8010_0031) }
    /// `SCARD_W_UNSUPPORTED_CARD`: the reader cannot communicate with the card, due to ATR configuration conflicts.
    public static var unsupportedCard: PCSCError { .init(rawValue: 0x8010_0065) }
    /// `SCARD_W_UNRESPONSIVE_CARD`: the card is not responding to a reset (a mute card).
    public static var unresponsiveCard: PCSCError { .init(rawValue: 0x8010_0066) }
    /// `SCARD_W_UNPOWERED_CARD`: power has been removed from the card, so further communication is not possible.
    public static var unpoweredCard: PCSCError { .init(rawValue: 0x8010_0067) }
    /// `SCARD_W_RESET_CARD`: the card has been reset, so any shared state information is invalid.
    public static var resetCard: PCSCError { .init(rawValue: 0x8010_0068) }
    /// `SCARD_W_REMOVED_CARD`: the card has been removed, so further communication is not possible.
    public static var removedCard: PCSCError { .init(rawValue: 0x8010_0069) }
    /// `SCARD_W_SECURITY_VIOLATION`: access was denied because of a security violation.
    public static var securityViolation: PCSCError { .init(rawValue: 0x8010_006A) }
    /// `SCARD_W_WRONG_CHV`: the card cannot be accessed because the wrong PIN was presented.
    public static var wrongCHV: PCSCError { .init(rawValue: 0x8010_006B) }
    /// `SCARD_W_CHV_BLOCKED`: the maximum number of PIN entry attempts has been reached.
    public static var chvBlocked: PCSCError { .init(rawValue: 0x8010_006C) }
    /// `SCARD_W_EOF`: the end of the card file has been reached.
    public static var endOfFile: PCSCError { .init(rawValue: 0x8010_006D) }
    /// `SCARD_W_CANCELLED_BY_USER`: the user pressed "Cancel" on a card selection dialog.
    public static var cancelledByUser: PCSCError { .init(rawValue: 0x8010_006E) }
    /// `SCARD_W_CARD_NOT_AUTHENTICATED`: no PIN was presented to the card.
    public static var cardNotAuthenticated: PCSCError { .init(rawValue: 0x8010_006F) }

    /// No C constant (the binding's own, customer bit set): `SCardTransmit` succeeded but returned fewer than the
    /// two status bytes. Through the virtual reader driver this is how a card pulled out during a command first
    /// shows; the binding reports ``removedCard`` instead when the reader confirms the card is gone.
    public static var truncatedResponse: PCSCError { .init(rawValue: 0xA010_0001) }

    private static let table: [UInt32: (name: String, meaning: String)] = {
        let entries: [(PCSCError, String)] = [
            (.internalError, "SCARD_F_INTERNAL_ERROR"), (.cancelled, "SCARD_E_CANCELLED"),
            (.invalidHandle, "SCARD_E_INVALID_HANDLE"), (.invalidParameter, "SCARD_E_INVALID_PARAMETER"),
            (.invalidTarget, "SCARD_E_INVALID_TARGET"), (.noMemory, "SCARD_E_NO_MEMORY"),
            (.waitedTooLong, "SCARD_F_WAITED_TOO_LONG"), (.insufficientBuffer, "SCARD_E_INSUFFICIENT_BUFFER"),
            (.unknownReader, "SCARD_E_UNKNOWN_READER"), (.timeout, "SCARD_E_TIMEOUT"),
            (.sharingViolation, "SCARD_E_SHARING_VIOLATION"), (.noSmartcard, "SCARD_E_NO_SMARTCARD"),
            (.unknownCard, "SCARD_E_UNKNOWN_CARD"), (.cantDispose, "SCARD_E_CANT_DISPOSE"),
            (.protocolMismatch, "SCARD_E_PROTO_MISMATCH"), (.notReady, "SCARD_E_NOT_READY"),
            (.invalidValue, "SCARD_E_INVALID_VALUE"), (.systemCancelled, "SCARD_E_SYSTEM_CANCELLED"),
            (.commError, "SCARD_F_COMM_ERROR"), (.unknownError, "SCARD_F_UNKNOWN_ERROR"),
            (.invalidATR, "SCARD_E_INVALID_ATR"), (.notTransacted, "SCARD_E_NOT_TRANSACTED"),
            (.readerUnavailable, "SCARD_E_READER_UNAVAILABLE"), (.shutdown, "SCARD_P_SHUTDOWN"),
            (.pciTooSmall, "SCARD_E_PCI_TOO_SMALL"), (.readerUnsupported, "SCARD_E_READER_UNSUPPORTED"),
            (.duplicateReader, "SCARD_E_DUPLICATE_READER"), (.cardUnsupported, "SCARD_E_CARD_UNSUPPORTED"),
            (.noService, "SCARD_E_NO_SERVICE"), (.serviceStopped, "SCARD_E_SERVICE_STOPPED"),
            (.unsupportedFeature, "SCARD_E_UNSUPPORTED_FEATURE"), (.iccInstallation, "SCARD_E_ICC_INSTALLATION"),
            (.iccCreateOrder, "SCARD_E_ICC_CREATEORDER"), (.directoryNotFound, "SCARD_E_DIR_NOT_FOUND"),
            (.fileNotFound, "SCARD_E_FILE_NOT_FOUND"), (.noDirectory, "SCARD_E_NO_DIR"),
            (.noFile, "SCARD_E_NO_FILE"), (.noAccess, "SCARD_E_NO_ACCESS"),
            (.writeTooMany, "SCARD_E_WRITE_TOO_MANY"), (.badSeek, "SCARD_E_BAD_SEEK"),
            (.invalidCHV, "SCARD_E_INVALID_CHV"), (.unknownResourceManager, "SCARD_E_UNKNOWN_RES_MNG"),
            (.noSuchCertificate, "SCARD_E_NO_SUCH_CERTIFICATE"),
            (.certificateUnavailable, "SCARD_E_CERTIFICATE_UNAVAILABLE"),
            (.noReadersAvailable, "SCARD_E_NO_READERS_AVAILABLE"), (.commDataLost, "SCARD_E_COMM_DATA_LOST"),
            (.noKeyContainer, "SCARD_E_NO_KEY_CONTAINER"), (.serverTooBusy, "SCARD_E_SERVER_TOO_BUSY"),
            (.unsupportedCard, "SCARD_W_UNSUPPORTED_CARD"), (.unresponsiveCard, "SCARD_W_UNRESPONSIVE_CARD"),
            (.unpoweredCard, "SCARD_W_UNPOWERED_CARD"), (.resetCard, "SCARD_W_RESET_CARD"),
            (.removedCard, "SCARD_W_REMOVED_CARD"), (.securityViolation, "SCARD_W_SECURITY_VIOLATION"),
            (.wrongCHV, "SCARD_W_WRONG_CHV"), (.chvBlocked, "SCARD_W_CHV_BLOCKED"), (.endOfFile, "SCARD_W_EOF"),
            (.cancelledByUser, "SCARD_W_CANCELLED_BY_USER"),
            (.cardNotAuthenticated, "SCARD_W_CARD_NOT_AUTHENTICATED"),
            (.truncatedResponse, "OPENVITALE_E_TRUNCATED_RESPONSE"),
        ]
        let meanings: [UInt32: String] = [
            0x8010_0001: "an internal consistency check failed",
            0x8010_0002: "the action was cancelled by an SCardCancel request",
            0x8010_0003: "the context or card handle is not (or no longer) valid",
            0x8010_0004: "one or more of the supplied parameters could not be interpreted",
            0x8010_0005: "registry startup information is missing or invalid",
            0x8010_0006: "not enough memory available to complete this command",
            0x8010_0007: "an internal consistency timer has expired",
            0x8010_0008: "the buffer given for the returned data is too small",
            0x8010_0009: "the specified reader name is not recognized",
            0x8010_000A: "the timeout expired",
            0x8010_000B: "the card cannot be accessed because of other connections outstanding",
            0x8010_000C: "the operation requires a card, but no card is in the reader",
            0x8010_000D: "the specified card name is not recognized",
            0x8010_000E: "the card could not be disposed of in the requested manner",
            0x8010_000F: "the requested protocols are incompatible with the protocol in use with the card",
            0x8010_0010: "the reader or card is not ready to accept commands",
            0x8010_0011: "one or more of the supplied parameter values could not be interpreted",
            0x8010_0012: "the action was cancelled by the system, presumably to log off or shut down",
            0x8010_0013: "an internal communications error between the client library and pcscd was detected",
            0x8010_0014: "an internal error has been detected, but the source is unknown",
            0x8010_0015: "an ATR obtained from the registry is not a valid ATR string",
            0x8010_0016: "the reader failed to carry the exchange, or a non-existent transaction was ended",
            0x8010_0017: "the specified reader is not currently available for use",
            0x8010_0018: "the operation has been aborted to allow the server application to exit",
            0x8010_0019: "the PCI receive buffer was too small",
            0x8010_001A: "the reader driver does not meet minimal requirements for support",
            0x8010_001B: "the reader driver did not produce a unique reader name",
            0x8010_001C: "the card does not meet minimal requirements for support",
            0x8010_001D: "the smart card resource manager (pcscd) is not running",
            0x8010_001E: "the smart card resource manager has shut down or speaks another protocol version",
            0x8010_001F: "the card or reader does not support the requested feature",
            0x8010_0020: "no primary provider can be found for the card",
            0x8010_0021: "the requested order of object creation is not supported",
            0x8010_0023: "the identified directory does not exist in the card",
            0x8010_0024: "the identified file does not exist in the card",
            0x8010_0025: "the supplied path does not represent a card directory",
            0x8010_0026: "the supplied path does not represent a card file",
            0x8010_0027: "access is denied to this file",
            0x8010_0028: "the card does not have enough memory to store the information",
            0x8010_0029: "an error occurred trying to set the card file object pointer",
            0x8010_002A: "the supplied PIN is incorrect",
            0x8010_002B: "an unrecognized error code was returned from a layered component",
            0x8010_002C: "the requested certificate does not exist",
            0x8010_002D: "the requested certificate could not be obtained",
            0x8010_002E: "no smart card reader can be found",
            0x8010_002F: "a communications error with the card has been detected; retry the operation",
            0x8010_0030: "the requested key container does not exist on the card",
            0x8010_0031: "the smart card resource manager is too busy to complete this operation",
            0x8010_0065: "the reader cannot communicate with the card, due to ATR configuration conflicts",
            0x8010_0066: "the card is not responding to a reset (mute card)",
            0x8010_0067: "power has been removed from the card, so further communication is not possible",
            0x8010_0068: "the card has been reset, so any shared state information is invalid",
            0x8010_0069: "the card has been removed, so further communication is not possible",
            0x8010_006A: "access was denied because of a security violation",
            0x8010_006B: "the card cannot be accessed because the wrong PIN was presented",
            0x8010_006C: "the maximum number of PIN entry attempts has been reached",
            0x8010_006D: "the end of the card file has been reached",
            0x8010_006E: "the user cancelled a card selection dialog",
            0x8010_006F: "no PIN was presented to the card",
            0xA010_0001: "the reader returned fewer than the two status bytes of a response APDU",
        ]
        var table: [UInt32: (name: String, meaning: String)] = [:]
        for (code, name) in entries { table[code.rawValue] = (name, meanings[code.rawValue] ?? "") }
        return table
    }()
}
