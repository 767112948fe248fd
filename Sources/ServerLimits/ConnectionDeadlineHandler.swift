import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Holds one HTTP/1.1 connection to its ``ConnectionLimits``: idle, header and body deadlines, and the close
/// that follows an answer sent before the request's body was read (a `413` or `401` to a large upload).
///
/// It sits after the HTTP codec (it sees request and response parts) and puts a small probe before the
/// decoder, so that the header deadline starts at the first byte of a request and not at its complete head.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Phase {
        /// No request under way: waiting for one.
        case idle
        /// Bytes of a request arrived; its head is not complete.
        case readingHead
        /// The head arrived; the body has not ended.
        case readingBody
        /// The request was read; the answer has not ended.
        case answering
        /// An answer went out before the body was read: the rest is dropped until the connection closes.
        case lingering
    }

    enum Deadline { case idle, head, body, linger }

    private let connections: ConnectionGuard
    private var phase = Phase.idle
    /// Requests whose head arrived and whose answer has not ended (more than one when pipelined).
    private var requestsInProgress = 0
    /// An answer's head was written and its end was not.
    private var writingAnswer = false
    /// Bytes of a next request arrived while the current one was answered.
    private var nextRequestStarted = false
    private var admitted = false
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(guard connections: ConnectionGuard) {
        self.connections = connections
    }

    private var limits: ConnectionLimits { connections.limits }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        guard connections.admit(context.channel) else {
            context.close(promise: nil)
            return
        }
        admitted = true
        do {
            try context.pipeline.syncOperations.addHandler(InboundByteProbe(owner: self), position: .first)
        } catch {
            context.close(promise: nil)
            return
        }
        becomeIdle()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    private func release() {
        timer?.cancel()
        timer = nil
        if admitted, let channel = context?.channel { connections.remove(channel) }
        admitted = false
    }

    // MARK: Inbound

    /// Called by the probe for every buffer from the socket; false drops it.
    func bytesArrived() -> Bool {
        switch phase {
        case .idle:
            phase = .readingHead
            mark(idle: false)
            schedule(limits.headerTimeout, .head)
        case .answering:
            nextRequestStarted = true
        case .lingering:
            return false
        case .readingHead, .readingBody:
            break
        }
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requestsInProgress += 1
            phase = .readingBody
            mark(idle: false)
            schedule(limits.bodyTimeout, .body)
        case .body:
            break
        case .end:
            phase = .answering
            cancelTimer()
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if phase == .lingering, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            writingAnswer = true
        case .body:
            break
        case .end:
            writingAnswer = false
            requestsInProgress = max(0, requestsInProgress - 1)
            if requestsInProgress == 0 {
                if phase == .readingBody {
                    // Answered before the body was read: the connection cannot carry another request.
                    context.write(data, promise: promise)
                    context.flush()
                    linger(context)
                    return
                }
                if phase == .answering { becomeIdle() }
            }
        }
        context.write(data, promise: promise)
    }

    // MARK: Deadlines

    private func becomeIdle() {
        if nextRequestStarted {
            nextRequestStarted = false
            phase = .readingHead
            mark(idle: false)
            schedule(limits.headerTimeout, .head)
        } else {
            phase = .idle
            mark(idle: true)
            schedule(limits.idleTimeout, .idle)
        }
    }

    private func linger(_ context: ChannelHandlerContext) {
        phase = .lingering
        mark(idle: true)
        schedule(limits.lingerTimeout, .linger)
        context.close(mode: .output, promise: nil)
    }

    private func mark(idle: Bool) {
        if admitted, let channel = context?.channel { connections.mark(channel, idle: idle) }
    }

    private func schedule(_ delay: Duration, _ deadline: Deadline) {
        timer?.cancel()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
            self.timer = nil
            self.deadlinePassed(deadline)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    private func deadlinePassed(_ deadline: Deadline) {
        guard let context else { return }
        switch deadline {
        case .idle:
            connections.count(\.idleClosed)
        case .head, .body:
            connections.count(\.timedOut)
            if !writingAnswer {
                let head = HTTPResponse(status: .requestTimeout, headerFields: [.connection: "close", .contentLength: "0"])
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.end(nil)), promise: nil)
                context.flush()
            }
        case .linger:
            break
        }
        context.close(promise: nil)
    }
}

/// Sits before the HTTP decoder and tells its ``ConnectionDeadlineHandler`` when bytes arrive.
final class InboundByteProbe: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let owner: ConnectionDeadlineHandler

    init(owner: ConnectionDeadlineHandler) {
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if owner.bytesArrived() { context.fireChannelRead(data) }
    }
}
