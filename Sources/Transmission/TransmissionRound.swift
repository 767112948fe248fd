import Claims
import Foundation

/// What happened during ``Transmitter/prepareLots(signer:limits:assembleLots:progress:)`` and
/// ``Transmitter/sendAndFollow(concurrency:progress:)``: the one progress vocabulary of `fse-send` and `vitaled`.
public enum RoundEvent: Sendable {
    /// FSEs signed so far out of those that were built (after each batch).
    case signed(done: Int, total: Int)
    /// A lot was numbered, encoded, signed and stored, ready to send.
    case assembled(lotNumber: Int64, organism: DestinationOrganism, fseCount: Int, bytes: Int)
    /// A lot's transmission moved on.
    case lot(SendEvent)
    /// Returns were fetched and reconciled.
    case returns(Outbox.Reconciliation)
}

/// What ``Transmitter/prepareLots(signer:limits:assembleLots:progress:)`` did.
public struct PreparedLots: Sendable {
    /// FSEs signed (they were built, unsigned).
    public var signed = 0
    /// Lots assembled (resumed ones first), ready to send.
    public var assembled: [LotRequest] = []
}

/// What ``Transmitter/sendAndFollow(concurrency:progress:)`` did.
public struct FollowedLots: Sendable {
    /// The lots sent and their ARLs.
    public var sent: SendReport
    /// The returns reconciled, when some FSEs were waiting for theirs and the gateway answered.
    public var returns: Outbox.Reconciliation?
    /// Why returns could not be fetched, when they were due.
    public var returnsError: (any Error)?
}

extension Transmitter {
    /// The first half of a round: signs every FSE of the practitioner still built with `signer`, then (when
    /// `assembleLots`) assembles lots, resumed ones first, cut by `limits` and signed by `signer` (Claims' lot
    /// format, ``ClaimsLotAssembler``).
    public func prepareLots(
        signer: any ClaimSigner, limits: LotLimits = .standard, assembleLots: Bool = true,
        progress: @escaping @Sendable (RoundEvent) -> Void = { _ in }
    ) async throws -> PreparedLots {
        var prepared = PreparedLots()
        prepared.signed = try await outbox.signBuiltFSEs(billingNumber: billingNumber, with: signer) { done, total in
            progress(.signed(done: done, total: total))
        }
        guard assembleLots else { return prepared }
        prepared.assembled = try await self.assembleLots(with: ClaimsLotAssembler(signer: signer), limits: limits) { request, bytes in
            progress(.assembled(lotNumber: request.lotNumber, organism: request.organism, fseCount: request.fses.count, bytes: bytes))
        }
        return prepared
    }

    /// The second half of a round: sends every lot without an ARL (``sendPending(concurrency:progress:)``), then,
    /// when FSEs of the practitioner are waiting for their returns, fetches and reconciles them.
    public func sendAndFollow(concurrency: Int = 1, progress: @escaping @Sendable (RoundEvent) -> Void = { _ in }) async throws -> FollowedLots {
        let sent = try await sendPending(concurrency: concurrency) { progress(.lot($0)) }
        var followed = FollowedLots(sent: sent)
        guard !sent.unauthorized,
              try await !outbox.claims(in: [.sent, .acknowledged], billingNumber: billingNumber, limit: 1).isEmpty
        else { return followed }
        do {
            let returns = try await fetchReturns()
            followed.returns = returns
            progress(.returns(returns))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            followed.returnsError = error
        }
        return followed
    }
}
