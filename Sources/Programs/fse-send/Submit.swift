import ArgumentParser
import Claims
import Foundation
import GatewayAPI
import Logging
import Transmission
import Synchronization

struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read claim files, check every line, then build, sign, batch and send the FSEs.")

    @Argument(help: "Claim files (CSV or JSON Lines, docs/claim-files.md).")
    var files: [String]

    @Flag(help: "Send the valid lines even when some lines are invalid (the invalid ones are reported and left out).")
    var skipInvalid = false

    @Flag(help: "Build and sign the lots and write them as files instead of sending (the outbox is not changed).")
    var dryRun = false

    @Option(help: "Folder for the lot files of --dry-run.")
    var lotDir = "."

    @Option(help: "Most FSEs in one lot (at most \(LotLimits.standard.maximumFSEs), the lot format's limit).")
    var maxFsesPerLot = LotLimits.standard.maximumFSEs

    @OptionGroup var outboxOptions: OutboxOptions
    @OptionGroup var gatewayOptions: GatewayOptions
    @OptionGroup var signerOptions: SignerOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one claim file") }
        try Pipeline.validate(maxFSEsPerLot: maxFsesPerLot)
    }

    func run() async throws {
        outboxOptions.bootstrapLogging()
        let out = Output()
        // 1. Read and check everything before anything is stored or sent.
        var rows: [ClaimFileRow] = []
        var problems: [ClaimFileProblem] = []
        for file in files {
            guard FileManager.default.isReadableFile(atPath: file) else {
                out.error("\(file): cannot read the file")
                throw ExitCode(ExitStatus.noInput)
            }
            let result = ClaimFileReader.read(URL(fileURLWithPath: file))
            rows += result.rows
            problems += result.problems
        }
        let signing: (signer: any ClaimSigner, practitioner: PractitionerSituation)
        do { signing = try await signerOptions.load() } catch let error as SignerUnavailable {
            out.error(error.message)
            throw ExitCode(ExitStatus.unavailable)
        }
        // The token is read (and its file checked) before anything is stored.
        let token = dryRun ? "" : try gatewayOptions.token()
        let converter = ClaimFileConverter(practitioner: signing.practitioner, tariffs: try signerOptions.tariffTable())
        var claims: [ConvertedClaim] = []
        for row in rows {
            switch converter.convert(row) {
            case .success(let claim): claims.append(claim)
            case .failure(let p): problems += p.problems
            }
        }
        problems.sort { ($0.file, $0.line ?? 0) < ($1.file, $1.line ?? 0) }
        for problem in problems { out.error(problem.description) }
        let badLines = Set(problems.map { "\($0.file):\($0.line ?? 0)" }).count
        if !problems.isEmpty && (!skipInvalid || claims.isEmpty) {
            out.error("fse-send: \(badLines) invalid line\(badLines == 1 ? "" : "s") or file\(badLines == 1 ? "" : "s"); nothing was sent\(claims.isEmpty ? "" : " (use --skip-invalid to send the \(claims.count) valid claims)")")
            throw ExitCode(ExitStatus.invalidClaims)
        }
        out.info("\(claims.count) claim\(claims.count == 1 ? "" : "s") read from \(files.count) file\(files.count == 1 ? "" : "s")\(problems.isEmpty ? "" : ", \(badLines) invalid left out")")

        let billing = signing.practitioner.billingNumber
        let realOutbox = try Outbox(path: outboxOptions.outboxPath)
        let outboxFolder = URL(fileURLWithPath: outboxOptions.outboxPath).deletingLastPathComponent()
        let scratch: ScratchDirectory? = dryRun ? try ScratchDirectory(in: outboxFolder) : nil
        defer { scratch?.remove() }
        let outbox: Outbox
        if let scratch {
            outbox = try Outbox(path: scratch.url.appendingPathComponent("dry-run.sqlite").path)
            try await outbox.raise(.lot, to: try realOutbox.counter(.lot, billingNumber: billing), billingNumber: billing)
            try await outbox.raise(.invoice, to: try realOutbox.counter(.invoice, billingNumber: billing), billingNumber: billing)
        } else {
            outbox = realOutbox
        }

        // 2. Store every FSE (built) before anything else happens.
        let ids = try await Pipeline.store(claims, in: outbox, billingNumber: billing)
        // 3. Sign, 4. form lots.
        let client = GatewayClient(baseURL: gatewayOptions.gatewayURL, token: token)
        let transmitter = Transmitter(outbox: outbox, client: client, billingNumber: billing, retry: Pipeline.retry(gatewayOptions))
        let assembled = try await Pipeline.prepare(transmitter, signer: signing.signer, maxFSEsPerLot: maxFsesPerLot, output: out).assembled
        if dryRun {
            try FileManager.default.createDirectory(atPath: lotDir, withIntermediateDirectories: true)
            for lot in try await outbox.lots(in: [.ready]) {
                let path = URL(fileURLWithPath: lotDir).appendingPathComponent(String(format: "lot-%09lld.bin", lot.lotNumber)).path
                guard FileManager.default.createFile(atPath: path, contents: Data(lot.bytes ?? []), attributes: [.posixPermissions: 0o600]) else {
                    out.error("fse-send: cannot write \(path)")
                    throw ExitCode(1)
                }
                out.line("lot \(lot.lotNumber) → \(path): \(lot.fseCount) FSE, organism \(lot.organism), AMO \(Money.euros(lot.amoCents))")
            }
            out.line("dry run: \(assembled.count) lot\(assembled.count == 1 ? "" : "s"), \(ids.count) FSE, nothing sent, outbox unchanged")
            return
        }
        // 5. Send, 6. fetch returns.
        let status = try await Pipeline.send(transmitter, parallelLots: gatewayOptions.parallelLots, output: out)
        throw ExitCode(status)
    }
}

/// The steps shared by `submit` and `resume`.
enum Pipeline {
    static func retry(_ options: GatewayOptions) -> RetryPolicy {
        RetryPolicy(initialDelay: .milliseconds(250), maxDelay: .seconds(15), maxAttempts: options.attempts,
                    deadline: .milliseconds(Int64(options.deadline * 1000)))
    }

    static func store(_ claims: [ConvertedClaim], in outbox: Outbox, billingNumber: BillingNumber) async throws -> [ClaimID] {
        guard !claims.isEmpty else { return [] }
        // Numbers reserved and FSEs stored in one durable transaction.
        let addition = try await outbox.addPriced(claims.map { claim in
            let reference = claim.row.fields["reference"].map { " \($0)" } ?? ""  // at most 32 characters (checked)
            return PricedClaim(fse: claim.fse, careDate: claim.careDate, source: "\(claim.row.location)\(reference)")
        }, billingNumber: billingNumber)
        guard case .added(let ids, _) = addition else { return [] }
        return ids
    }

    static func validate(maxFSEsPerLot: Int) throws {
        let limit = LotLimits.standard.maximumFSEs
        guard (1...limit).contains(maxFSEsPerLot) else { throw ValidationError("--max-fses-per-lot must be 1 to \(limit) (the lot format's limit)") }
    }

    /// Signs what is built and assembles lots (Transmission's shared step), with a progress bar on a terminal.
    @discardableResult
    static func prepare(_ transmitter: Transmitter, signer: any ClaimSigner, maxFSEsPerLot: Int, output: Output) async throws -> PreparedLots {
        let prepared = try await transmitter.prepareLots(signer: signer, limits: LotLimits.standard.capped(atFSEs: maxFSEsPerLot)) { event in
            if case .signed(let done, let total) = event { output.progress("signing", done, total) }
        }
        if prepared.signed > 0 { output.endProgress() }
        return prepared
    }

    /// Sends what is pending, fetches returns, prints the summary; returns the exit status.
    static func send(_ transmitter: Transmitter, parallelLots: Int, output: Output) async throws -> Int32 {
        let toSend = try await transmitter.outbox.lotsToSend(billingNumber: transmitter.billingNumber)
        let total = toSend.count
        let counter = Counter()
        let followed = try await transmitter.sendAndFollow(concurrency: parallelLots) { roundEvent in
            guard case .lot(let event) = roundEvent else { return }
            switch event {
            case .sending(let lot, let attempt):
                if !output.isTerminal && attempt > 1 { output.line("lot \(lot): attempt \(attempt)") }
            case .failed(let lot, let reason, let retryIn):
                if !output.isTerminal || retryIn == nil {
                    output.line("lot \(lot): not sent (\(reason))\(retryIn.map { ", retrying in \($0)" } ?? ", left for resume")")
                }
            case .answered(let lot, let arl, let fseCount):
                let done = counter.increment()
                if output.isTerminal {
                    output.progress("sending", done, total)
                } else {
                    output.line("lot \(lot): ARL \(arl.status) \(arl.code) (ARL \(arl.arlId), \(fseCount) FSE)")
                }
            }
        }
        output.endProgress()
        let report = followed.sent
        let returns = followed.returns
        let summary = try await transmitter.outbox.summary(billingNumber: transmitter.billingNumber)
        output.line("lots: \(report.acknowledged.count) acknowledged, \(report.refused.count) refused, \(report.pending.count) left to send")
        for lot in report.refused {
            output.line("  lot \(lot.lotNumber) refused: \(lot.arlCode ?? "?") \(lot.arlText ?? "")")
        }
        for lot in report.pending {
            output.line("  lot \(lot.lotNumber) pending: \(lot.lastError ?? "")")
        }
        let fses = report.acknowledged.reduce(0) { $0 + $1.fseCount }
        let amo = report.acknowledged.reduce(Int64(0)) { $0 + $1.amoCents }
        output.line("FSE: \(fses) acknowledged in this run, AMO claimed \(Money.euros(amo))")
        if let returns {
            output.line("returns: \(returns.paid) paid (\(Money.euros(returns.paidCents))), \(returns.rejected) rejected")
        }
        output.line("outbox: " + ClaimState.allCases.compactMap { state in
            summary.count(state) > 0 ? "\(state.rawValue) \(summary.count(state))" : nil
        }.joined(separator: ", "))
        if report.unauthorized {
            output.error("fse-send: the gateway refused the token (401)")
            return ExitStatus.unauthorized
        }
        if !report.pending.isEmpty {
            output.error("fse-send: \(report.pending.count) lot\(report.pending.count == 1 ? "" : "s") not sent yet: run `fse-send resume`")
            return ExitStatus.pending
        }
        return report.refused.isEmpty ? 0 : ExitStatus.lotsRefused
    }
}

/// A counter shared between tasks.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}

/// The scratch folder of a dry run: it holds a copy of every FSE, so it lives beside the real outbox (the
/// practitioner's own folder, not `$TMPDIR`), is created 0700 (its database 0600) and removed when the run ends.
struct ScratchDirectory {
    let url: URL

    /// A new folder in `parent`.
    init(in parent: URL) throws {
        url = parent.appendingPathComponent(".fse-send-dry-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

enum Money {
    static func euros(_ cents: Int64) -> String {
        let sign = cents < 0 ? "-" : ""
        let c = abs(cents)
        return "\(sign)\(c / 100).\(String(format: "%02lld", c % 100)) €"
    }
}

/// Terminal-aware output: a progress bar on a terminal, plain lines otherwise.
final class Output: Sendable {
    let isTerminal = isatty(STDERR_FILENO) == 1
    /// Whether a progress bar is on the terminal's last line (a line written after it starts a new line).
    private let progressShown = Mutex(false)

    func line(_ text: String) {
        progressShown.withLock { progressShown in
            if progressShown { FileHandle.standardError.write(Data("\n".utf8)); progressShown = false }
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        }
    }

    func info(_ text: String) { line(text) }

    func error(_ text: String) {
        progressShown.withLock { progressShown in
            if progressShown { FileHandle.standardError.write(Data("\n".utf8)); progressShown = false }
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func progress(_ what: String, _ done: Int, _ total: Int) {
        guard isTerminal, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        progressShown.withLock { progressShown in
            FileHandle.standardError.write(Data("\r\(what) [\(bar)] \(done)/\(total)".utf8))
            progressShown = true
        }
    }

    func endProgress() {
        progressShown.withLock { progressShown in
            if progressShown { FileHandle.standardError.write(Data("\n".utf8)); progressShown = false }
        }
    }
}
