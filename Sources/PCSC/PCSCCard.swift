import Foundation
import ISO7816

/// A connection to the card in one reader (`SCARDHANDLE`), obtained from ``PCSCContext/connect(to:share:protocols:)``.
///
/// It is an ISO 7816 ``CardChannel``: ``transmit(_:)`` moves raw APDUs, and `send(_:options:)` from the
/// ISO7816 module adds the T=0 loops (`61XX` → GET RESPONSE, `6CXX` → resend) that pcscd leaves to applications.
/// Its blocking calls run on the thread of its context. Drop it or call ``disconnect(_:)`` to end it.
public final class PCSCCard: CardChannel, @unchecked Sendable {
    // `@unchecked Sendable`: `handle`, `protocolCode` and `transactionDepth` are only touched on the context's
    // thread (and in deinit, when no job can still reference the card); `publishedProtocol` is guarded by `lock`.

    /// The context the card was connected through.
    public let context: PCSCContext
    /// The reader's name.
    public let reader: String

    private var handle: SCard.Handle?
    private var protocolCode: UInt
    /// Transactions this connection holds through ``withTransaction(endingWith:isolation:_:)`` (context thread only).
    private var transactionDepth = 0
    private let lock = NSLock()
    private var publishedProtocol: CardProtocol?

    init(context: PCSCContext, reader: String, handle: SCard.Handle, protocolCode: UInt) {
        self.context = context
        self.reader = reader
        self.handle = handle
        self.protocolCode = protocolCode
        self.publishedProtocol = CardProtocol(code: protocolCode)
    }

    deinit {
        if let handle { context.thread.runAndWait { _ = try? SCard.disconnect(handle, disposition: Disposition.leave.code) } }
    }

    /// The protocol negotiated with the card (T=0 for a Vitale card), nil for a direct connection.
    public var activeProtocol: CardProtocol? {
        lock.withLock { publishedProtocol }
    }

    /// Sends one command APDU (`SCardTransmit`, with a 65548-byte receive buffer) and returns the raw response,
    /// data then SW1 SW2.
    ///
    /// Throws ``PCSCError/invalidParameter`` for a command shorter than the 4 header bytes (the virtual reader
    /// driver would take a 1-byte command for a power control), ``PCSCError/removedCard`` when the card left the
    /// reader during the exchange, ``PCSCError/truncatedResponse`` when the reader returned fewer than 2 bytes
    /// with the card still present.
    public func transmit(_ command: [UInt8]) async throws(PCSCError) -> [UInt8] {
        guard command.count >= 4 else { throw .invalidParameter }
        return try await context.thread.run { [self] () throws(PCSCError) -> [UInt8] in
            try transmitOnThread(try liveHandle(), command)
        }
    }

    /// On the context thread: one `SCardTransmit` into the context's receive buffer; a reply shorter than the
    /// status word or a suspicious failure is checked against the reader's state (``PCSCError/removedCard``).
    private func transmitOnThread(_ handle: SCard.Handle, _ command: [UInt8]) throws(PCSCError) -> [UInt8] {
        if context.receiveBuffer.count < SCard.receiveBufferSize {
            context.receiveBuffer = [UInt8](repeating: 0, count: SCard.receiveBufferSize)
        }
        do throws(PCSCError) {
            let reply = try SCard.transmit(handle, protocol: protocolCode, command: command, buffer: &context.receiveBuffer)
            guard reply.count >= 2 else { throw .truncatedResponse }
            return reply
        } catch {
            throw context.confirmRemoval(error, reader: reader)
        }
    }

    /// Runs a whole ``CardConversation`` on the context's thread in one go, inside a PC/SC transaction (its own,
    /// unless the caller holds one through ``withTransaction(endingWith:isolation:_:)``): `SCardBeginTransaction`, every APDU with the T=0 loops,
    /// `SCardEndTransaction`, with one thread hop for all of it instead of one per APDU.
    ///
    /// Transport failures come as ``CardConversationError`` wrapping the ``PCSCError`` and naming the step. `watch`
    /// is armed around each exchange, so a deadline (``withAPDUDeadline(_:on:as:_:)``) can give up on a mute card;
    /// the blocked call is then left to the context's thread, which stays busy until pcscd gives up.
    public func converse<C: CardConversation>(_ conversation: C, watch: ExchangeWatch?) async throws -> C.Output {
        try await context.thread.run { [self] () throws -> C.Output in
            try runOnThread(conversation, watch: watch)
        }
    }

    /// On the context thread: the conversation, in a transaction.
    private func runOnThread<C: CardConversation>(_ conversation: C, watch: ExchangeWatch?) throws -> C.Output {
        // Inside the caller's transaction, the conversation needs no transaction of its own.
        let ownTransaction = transactionDepth == 0
        let handle: SCard.Handle
        do throws(PCSCError) {
            handle = try liveHandle()
            if ownTransaction { try SCard.beginTransaction(handle) }
        } catch {
            throw CardConversationError(step: "beginning the PC/SC transaction", underlying: context.confirmRemoval(error, reader: reader))
        }
        defer { if ownTransaction { _ = try? SCard.endTransaction(handle, disposition: Disposition.leave.code) } }
        return try conversation.runBlocking(watch: watch) { command throws(PCSCError) -> [UInt8] in
            try transmitOnThread(handle, command)
        }
    }

    /// The card's status (`SCardStatus`): reader, state, active protocol, ATR.
    public func status() async throws(PCSCError) -> CardStatus {
        try await context.thread.run { [self] () throws(PCSCError) -> CardStatus in
            let status = try SCard.status(try liveHandle())
            return CardStatus(
                readerNames: status.readers, state: CardStatus.State(rawValue: UInt32(status.state & 0xFFFF)),
                activeProtocol: CardProtocol(code: status.protocol), atr: status.atr)
        }
    }

    /// The card's answer-to-reset.
    public func atr() async throws(PCSCError) -> [UInt8] { try await status().atr }

    /// Reconnects (`SCardReconnect`), for instance after ``PCSCError/resetCard``, or to reset the card on purpose.
    public func reconnect(
        share: ShareMode = .shared, protocols: CardProtocols = .any, initialization: Disposition = .leave
    ) async throws(PCSCError) {
        try await context.thread.run { [self] () throws(PCSCError) in
            let active = try SCard.reconnect(
                try liveHandle(), share: share.code, protocols: UInt(protocols.rawValue), initialization: initialization.code)
            protocolCode = active
            lock.withLock { publishedProtocol = CardProtocol(code: active) }
        }
    }

    /// Ends the connection (`SCardDisconnect`), leaving, resetting, powering down or ejecting the card. Later calls
    /// throw ``PCSCError/invalidHandle``; a second disconnect does nothing.
    public func disconnect(_ disposition: Disposition = .leave) async throws(PCSCError) {
        try await context.thread.run { [self] () throws(PCSCError) in
            guard let handle else { return }
            self.handle = nil
            try SCard.disconnect(handle, disposition: disposition.code)
        }
    }

    /// Runs `body` inside a PC/SC transaction (`SCardBeginTransaction` … `SCardEndTransaction`): no other
    /// connection to the card can use it meanwhile. The transaction always ends, whether `body` returns, throws or
    /// is cancelled; `body`'s error wins over an error ending the transaction.
    public func withTransaction<T>(
        endingWith disposition: Disposition = .leave,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> T
    ) async throws -> T {
        try await context.thread.run { [self] () throws(PCSCError) in
            try SCard.beginTransaction(try liveHandle())
            transactionDepth += 1
        }
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body())
        } catch {
            outcome = .failure(error)
        }
        let ended: PCSCError? = await context.thread.run { [self] () -> PCSCError? in
            transactionDepth -= 1
            guard let handle else { return .invalidHandle }
            do throws(PCSCError) {
                try SCard.endTransaction(handle, disposition: disposition.code)
                return nil
            } catch {
                return error
            }
        }
        let value = try outcome.get()
        if let ended { throw ended }
        return value
    }

    /// Sends a control code to the reader (`SCardControl`) and returns its answer.
    /// - Parameter code: a full control code; build one with ``controlCode(_:)``.
    public func control(_ code: UInt32, input: [UInt8] = []) async throws(PCSCError) -> [UInt8] {
        try await context.thread.run { [self] () throws(PCSCError) -> [UInt8] in
            let handle = try liveHandle()
            if context.receiveBuffer.count < SCard.receiveBufferSize {
                context.receiveBuffer = [UInt8](repeating: 0, count: SCard.receiveBufferSize)
            }
            return try SCard.control(handle, code: UInt(code), input: input, buffer: &context.receiveBuffer)
        }
    }

    /// `SCARD_CTL_CODE(function)` as pcsc-lite defines it (`0x42000000 + function`), e.g. `controlCode(3400)`
    /// for `CM_IOCTL_GET_FEATURE_REQUEST`.
    public static func controlCode(_ function: UInt32) -> UInt32 { 0x4200_0000 + function }

    /// On the context thread: the handle, or ``PCSCError/invalidHandle`` after ``disconnect(_:)``.
    private func liveHandle() throws(PCSCError) -> SCard.Handle {
        guard let handle else { throw .invalidHandle }
        return handle
    }
}
