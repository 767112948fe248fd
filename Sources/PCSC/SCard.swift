import CPCSC
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The pcsc-lite calls, one Swift function each. This is the only file that touches C types, unsafe pointers
/// and raw return codes; everything it returns is Swift values, everything it throws is a ``PCSCError``.
///
/// On 64-bit Linux `DWORD` is `unsigned long` and `LONG` is `long` (8 bytes): they import as `UInt` and `Int`.
/// Every function here blocks; callers run them on the thread of their context (``ContextThread``).
enum SCard {
    /// `SCARDCONTEXT`.
    typealias Context = Int
    /// `SCARDHANDLE`.
    typealias Handle = Int

    /// `MAX_BUFFER_SIZE_EXTENDED`: a smaller receive buffer makes a long response fail after the card executed it.
    static let receiveBufferSize = Int(cpcsc_max_buffer_size_extended)
    /// `MAX_ATR_SIZE`.
    static let maxATRSize = 33
    /// At most this many reader states per `SCardGetStatusChange` call (`PCSCLITE_MAX_READERS_CONTEXTS`).
    static let maxReaderStates = 16
    /// `\\?PnP?\Notification`: the pseudo-reader that changes when readers come and go.
    static let plugAndPlayReader = #"\\?PnP?\Notification"#

    static let noReadersAvailable = 0x8010_002E
    static let insufficientBuffer = 0x8010_0008

    /// A reader state for ``getStatusChange(_:states:timeoutMilliseconds:)``: the state word the caller knows
    /// (`dwCurrentState`, counter included) and the one pcsc-lite reports (`dwEventState`).
    struct RawReaderState {
        var reader: String
        var currentState: UInt
        var eventState: UInt = 0
        var atr: [UInt8] = []
    }

    @inline(__always)
    static func check(_ code: LONG) throws(PCSCError) {
        guard code == 0 else { throw PCSCError(rawValue: UInt32(truncatingIfNeeded: code)) }
    }

    static func establish(scope: UInt) throws(PCSCError) -> Context {
        var context: SCARDCONTEXT = 0
        try check(SCardEstablishContext(DWORD(scope), nil, nil, &context))
        return context
    }

    static func release(_ context: Context) {
        _ = SCardReleaseContext(context)
    }

    /// Ends a `SCardGetStatusChange` blocked on `context` (from another thread).
    static func cancel(_ context: Context) {
        _ = SCardCancel(context)
    }

    static func listReaders(_ context: Context) throws(PCSCError) -> [String] {
        while true {
            var length: DWORD = 0
            var code = SCardListReaders(context, nil, nil, &length)
            if code == noReadersAvailable { return [] }
            try check(code)
            var buffer = [CChar](repeating: 0, count: Int(length))
            code = buffer.withUnsafeMutableBufferPointer { SCardListReaders(context, nil, $0.baseAddress, &length) }
            if code == noReadersAvailable { return [] }
            if code == insufficientBuffer { continue }  // a reader appeared between the two calls
            try check(code)
            return multiString(buffer.prefix(Int(length)))
        }
    }

    static func connect(
        _ context: Context, reader: String, share: UInt, protocols: UInt
    ) throws(PCSCError) -> (handle: Handle, activeProtocol: UInt) {
        var handle: SCARDHANDLE = 0
        var active: DWORD = 0
        try check(SCardConnect(context, reader, DWORD(share), DWORD(protocols), &handle, &active))
        return (handle, UInt(active))
    }

    static func reconnect(_ handle: Handle, share: UInt, protocols: UInt, initialization: UInt) throws(PCSCError) -> UInt {
        var active: DWORD = 0
        try check(SCardReconnect(handle, DWORD(share), DWORD(protocols), DWORD(initialization), &active))
        return UInt(active)
    }

    static func disconnect(_ handle: Handle, disposition: UInt) throws(PCSCError) {
        try check(SCardDisconnect(handle, DWORD(disposition)))
    }

    static func beginTransaction(_ handle: Handle) throws(PCSCError) {
        try check(SCardBeginTransaction(handle))
    }

    static func endTransaction(_ handle: Handle, disposition: UInt) throws(PCSCError) {
        try check(SCardEndTransaction(handle, DWORD(disposition)))
    }

    static func status(_ handle: Handle) throws(PCSCError) -> (readers: [String], state: UInt, protocol: UInt, atr: [UInt8]) {
        while true {
            var namesLength: DWORD = 0
            var state: DWORD = 0
            var active: DWORD = 0
            var atr = [UInt8](repeating: 0, count: maxATRSize)
            var atrLength = DWORD(maxATRSize)
            try check(SCardStatus(handle, nil, &namesLength, &state, &active, &atr, &atrLength))
            var names = [CChar](repeating: 0, count: Int(namesLength))
            atrLength = DWORD(maxATRSize)
            let code = names.withUnsafeMutableBufferPointer {
                SCardStatus(handle, $0.baseAddress, &namesLength, &state, &active, &atr, &atrLength)
            }
            if code == insufficientBuffer { continue }
            try check(code)
            return (
                multiString(names.prefix(Int(namesLength))), UInt(state), UInt(active),
                Array(atr.prefix(min(Int(atrLength), maxATRSize)))
            )
        }
    }

    /// Sends `command` with the PCI of `protocol` and returns the response, using `buffer` (at least
    /// ``receiveBufferSize`` bytes) to receive it.
    static func transmit(
        _ handle: Handle, protocol: UInt, command: [UInt8], buffer: inout [UInt8]
    ) throws(PCSCError) -> [UInt8] {
        var sendPCI = SCARD_IO_REQUEST(dwProtocol: DWORD(`protocol`), cbPciLength: DWORD(MemoryLayout<SCARD_IO_REQUEST>.size))
        var length = DWORD(buffer.count)
        let code = command.withUnsafeBufferPointer { sent in
            buffer.withUnsafeMutableBufferPointer { received in
                SCardTransmit(handle, &sendPCI, sent.baseAddress, DWORD(sent.count), nil, received.baseAddress, &length)
            }
        }
        try check(code)
        return Array(buffer.prefix(min(Int(length), buffer.count)))
    }

    static func control(_ handle: Handle, code controlCode: UInt, input: [UInt8], buffer: inout [UInt8]) throws(PCSCError) -> [UInt8] {
        var returned: DWORD = 0
        let code = input.withUnsafeBytes { sent in
            buffer.withUnsafeMutableBytes { received in
                SCardControl(
                    handle, DWORD(controlCode), sent.baseAddress, DWORD(sent.count), received.baseAddress,
                    DWORD(received.count), &returned)
            }
        }
        try check(code)
        return Array(buffer.prefix(min(Int(returned), buffer.count)))
    }

    /// Waits up to `timeoutMilliseconds` for one of `states` to differ from its `currentState`, then fills in
    /// `eventState` and `atr`. Throws ``PCSCError/timeout`` when nothing changed.
    static func getStatusChange(_ context: Context, states: inout [RawReaderState], timeoutMilliseconds: UInt) throws(PCSCError) {
        precondition(states.count <= maxReaderStates)
        let names = states.map { strdup($0.reader) }
        defer { for name in names { free(name) } }
        var raw = [SCARD_READERSTATE](repeating: SCARD_READERSTATE(), count: states.count)
        for index in raw.indices {
            raw[index].szReader = UnsafePointer(names[index])
            raw[index].dwCurrentState = DWORD(states[index].currentState)
        }
        let code = raw.withUnsafeMutableBufferPointer {
            SCardGetStatusChange(context, DWORD(timeoutMilliseconds), $0.baseAddress, DWORD($0.count))
        }
        try check(code)
        for index in raw.indices {
            states[index].eventState = UInt(raw[index].dwEventState)
            let count = min(Int(raw[index].cbAtr), maxATRSize)
            states[index].atr = withUnsafeBytes(of: raw[index].rgbAtr) { Array($0.prefix(count)) }
        }
    }

    /// Splits a `\0`-separated, `\0\0`-terminated list of names.
    private static func multiString(_ chars: ArraySlice<CChar>) -> [String] {
        chars.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }
}
