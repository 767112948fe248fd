import Claims
import Foundation

/// The fixture tariffs (scripts/fuzz runs from the repository root); without them only the reader is fuzzed.
let tariffs = try? TariffTable(contentsOfDirectory: URL(fileURLWithPath: "Fixtures/tariffs"))
let converter = tariffs.map {
    ClaimFileConverter(practitioner: PractitionerSituation(billingNumber: try! BillingNumber("101234567")), tariffs: $0,
                       today: ClaimDate(yyyymmdd: 20261202)!)
}

/// libFuzzer entry point: claim files (CSV and JSON Lines, as `fse-send` reads them and `vitaled` reads claim
/// bodies) never trap, from the bytes to the priced FSE; the duplicate-key scan never traps; no problem message
/// repeats a 13-digit run of the input (a NIR typed anywhere is never echoed).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClaimFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = JSONDuplicateKeys.first(in: bytes)
    for format in [ClaimFileReader.Format.csv, .jsonLines] {
        let (rows, problems) = ClaimFileReader.read(bytes, name: "fuzz", format: format)
        var messages = problems.map(\.description)
        if let converter {
            for row in rows {
                if case .failure(let lineProblems) = converter.convert(row) {
                    messages += lineProblems.problems.map(\.description)
                }
            }
        }
        let input = String(decoding: bytes, as: UTF8.self)
        for message in messages {
            if let run = thirteenDigitRun(message), input.contains(run) { fatalError("a problem echoes a 13-digit value: \(message)") }
        }
    }
    return 0
}

func thirteenDigitRun(_ text: String) -> String? {
    var run = ""
    for c in text {
        if c.isASCII && c.isNumber { run.append(c); if run.count == 13 { return run } } else { run = "" }
    }
    return nil
}
