import ArgumentParser
import Claims
import Foundation
import Transmission

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Finish what an interrupted run left: sign built FSEs, assemble lots, resend lots without ARL (same numbers, same bytes), fetch returns.")

    @Option(help: "Most FSEs in one new lot (at most \(LotLimits.standard.maximumFSEs), the lot format's limit).")
    var maxFsesPerLot = LotLimits.standard.maximumFSEs

    func validate() throws {
        try Pipeline.validate(maxFSEsPerLot: maxFsesPerLot)
    }

    @OptionGroup var outboxOptions: OutboxOptions
    @OptionGroup var gatewayOptions: GatewayOptions
    @OptionGroup var signerOptions: SignerOptions

    func run() async throws {
        outboxOptions.bootstrapLogging()
        let out = Output()
        let outbox = try Outbox(path: outboxOptions.outboxPath)
        var needsSigner = try await !outbox.claims(in: [.built, .signed]).isEmpty
        if !needsSigner { needsSigner = try await !outbox.lotsToAssemble().isEmpty }
        var billing = try await outbox.practitioners().first
        var signer: (any ClaimSigner)?
        if needsSigner || billing == nil {
            do {
                let loaded = try await signerOptions.load()
                signer = loaded.signer
                billing = loaded.practitioner.billingNumber
            } catch let error as SignerUnavailable {
                out.error("fse-send: FSEs or lots wait for the CPS: \(error.message)")
                throw ExitCode(ExitStatus.unavailable)
            }
        }
        guard let billing else {
            out.line("outbox empty: nothing to resume")
            return
        }
        let client = GatewayClient(baseURL: gatewayOptions.gatewayURL, token: try gatewayOptions.token())
        let transmitter = Transmitter(outbox: outbox, client: client, billingNumber: billing, retry: Pipeline.retry(gatewayOptions))
        if let signer {
            try await Pipeline.prepare(transmitter, signer: signer, maxFSEsPerLot: maxFsesPerLot, output: out)
        }
        throw ExitCode(try await Pipeline.send(transmitter, parallelLots: gatewayOptions.parallelLots, output: out))
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the outbox: FSEs per state with amounts, lots per state, lots waiting.")

    @OptionGroup var outboxOptions: OutboxOptions

    func run() async throws {
        outboxOptions.bootstrapLogging()
        let outbox = try Outbox(path: outboxOptions.outboxPath)
        let summary = try await outbox.summary()
        print("FSE by state:")
        for state in ClaimState.allCases {
            guard let line = summary.claims[state] else { continue }
            print("  \(state.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0)) \(String(line.count).leftPad(7))  total \(Money.euros(line.totalCents).leftPad(14))  AMO \(Money.euros(line.amoCents).leftPad(14))")
        }
        if summary.totalClaims == 0 { print("  (none)") }
        print("lots by state: " + LotState.allCases.compactMap { s in summary.lots[s].map { "\(s.rawValue) \($0)" } }.joined(separator: ", "))
        for lot in try await outbox.lots(in: [.assembling, .ready, .sent]) {
            print("  lot \(lot.lotNumber) \(lot.state.rawValue): \(lot.fseCount) FSE, organism \(lot.organism), \(lot.attempts) attempt\(lot.attempts == 1 ? "" : "s")\(lot.lastError.map { ", last error: \($0)" } ?? "")")
        }
        for lot in try await outbox.lots(in: [.refused]) {
            print("  lot \(lot.lotNumber) refused: \(lot.arlCode ?? "") \(lot.arlText ?? "")")
        }
    }
}

struct Returns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch returns (RSP) from the gateway and reconcile them: paid, rejected with reasons, pending.")

    @Flag(help: "Do not contact the gateway; show what the outbox already knows.")
    var offline = false

    @OptionGroup var outboxOptions: OutboxOptions
    @OptionGroup var gatewayOptions: GatewayOptions

    func run() async throws {
        outboxOptions.bootstrapLogging()
        let outbox = try Outbox(path: outboxOptions.outboxPath)
        if !offline {
            for billing in try await outbox.practitioners() {
                let client = GatewayClient(baseURL: gatewayOptions.gatewayURL, token: try gatewayOptions.token())
                let transmitter = Transmitter(outbox: outbox, client: client, billingNumber: billing)
                do {
                    let r = try await transmitter.fetchReturns()
                    print("fetched: \(r.paid) paid, \(r.rejected) rejected\(r.unmatched.isEmpty ? "" : ", \(r.unmatched.count) naming unknown invoices")")
                } catch {
                    FileHandle.standardError.write(Data("fse-send: returns not fetched: \(error)\n".utf8))
                    throw ExitCode(ExitStatus.pending)
                }
            }
        }
        let summary = try await outbox.summary()
        let paid = summary.claims[.paid]
        print("paid: \(paid?.count ?? 0) FSE, \(Money.euros(paid?.paidCents ?? 0))")
        let rejected = try await outbox.claims(in: [.rejected, .refused])
        print("rejected: \(rejected.count)")
        for claim in rejected {
            print("  invoice \(claim.invoiceNumber) (\(claim.source ?? "-"), care \(claim.careDate), patient \(claim.patientMasked)): \(claim.state == .refused ? "lot refused" : "rejected") \(claim.reasonCode ?? "") \(claim.reasonText ?? "")")
        }
        let pending = try await outbox.claims(in: [.built, .signed, .inLot, .sent, .acknowledged])
        let waitingRSP = pending.filter { $0.state == .acknowledged }.count
        print("pending: \(pending.count) (\(waitingRSP) acknowledged awaiting payment, \(pending.count - waitingRSP) not yet acknowledged)")
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
