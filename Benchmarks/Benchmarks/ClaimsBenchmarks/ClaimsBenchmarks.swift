import Benchmark
import Claims
import Foundation
import SwiftProtobuf

let benchmarks: @Sendable () -> Void = {
    let perFSE: [BenchmarkMetric] = [.throughput, .wallClock, .cpuTotal, .mallocCountTotal]
    let kilo = Benchmark.Configuration(metrics: perFSE, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 2_000)

    // MARK: OpenVitale binary format

    Benchmark("FSE encode (OpenVitale, reused buffer)", configuration: kilo) { benchmark in
        let fse = BenchmarkSamples.one
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1024)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.removeAll(keepingCapacity: true)
            try fse.encode(into: &buffer)
            blackHole(buffer.count)
        }
    }

    Benchmark("FSE decode (OpenVitale)", configuration: kilo) { benchmark in
        let bytes = try BenchmarkSamples.one.encoded()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try FSE(decoding: bytes))
        }
    }

    // MARK: Foundation JSON

    Benchmark("FSE encode (JSONEncoder)", configuration: kilo) { benchmark in
        let value = FSEJSON(BenchmarkSamples.one)
        let encoder = JSONEncoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(value))
        }
    }

    Benchmark("FSE decode (JSONDecoder)", configuration: kilo) { benchmark in
        let data = try JSONEncoder().encode(FSEJSON(BenchmarkSamples.one))
        let decoder = JSONDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode(FSEJSON.self, from: data))
        }
    }

    // MARK: swift-protobuf

    Benchmark("FSE encode (swift-protobuf)", configuration: kilo) { benchmark in
        let message = Openvitale_Bench_FSE(BenchmarkSamples.one)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let bytes: [UInt8] = try message.serializedBytes()
            blackHole(bytes)
        }
    }

    Benchmark("FSE decode (swift-protobuf)", configuration: kilo) { benchmark in
        let bytes: [UInt8] = try Openvitale_Bench_FSE(BenchmarkSamples.one).serializedBytes()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try Openvitale_Bench_FSE(serializedBytes: bytes))
        }
    }

    // MARK: Lots (per-FSE card signatures left out; one software P-256 signature per lot)

    for count in [1_000, 100_000] {
        let configuration = Benchmark.Configuration(
            metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
            maxDuration: .seconds(count > 10_000 ? 10 : 3), maxIterations: count > 10_000 ? 10 : 100
        )
        Benchmark("Lot build (\(count) FSEs)", configuration: configuration) { benchmark in
            // The outbox's engine: cut by the format's limits (LotLimits.cut), then encode and sign each lot
            // (LotEncoder.signedLot); lot numbers come from the outbox's own transaction, not measured here.
            let invoices = BenchmarkSamples.invoices(count)
            let signer = SoftwareClaimSigner()
            let date = try ClaimDate("2025-03-14")
            var encoder = LotEncoder()
            // One run of FSEs per destination organism, as the outbox groups them (in SQL, not measured here).
            let groups = Set(invoices.map { $0.fse.destination }).sorted().map { destination in
                (destination, invoices.filter { $0.fse.destination == destination })
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                var lots: [Lot] = []
                for (destination, group) in groups {
                    for cut in try LotLimits.standard.cut(group.map { LotLimits.bytesInLot(of: $0) }) {
                        let members = Array(group[cut])
                        let header = LotHeader(sender: BenchmarkSamples.situation.billingNumber, lotNumber: UInt32(lots.count + 1), creationDate: date,
                                               creationTime: 120_000, destination: destination, count: members.count, signer: signer.identity)
                        lots.append(try await encoder.signedLot(header: header, invoices: members, signer: signer))
                    }
                }
                blackHole(lots)
            }
        }
    }

    Benchmark(
        "Lot decode and verify (1000 FSEs, 1001 signatures)",
        configuration: .init(metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal], maxDuration: .seconds(3), maxIterations: 20)
    ) { benchmark in
        let signer = SoftwareClaimSigner()
        var invoices: [SignedFSE] = []
        for index in 0..<1_000 {
            let fse = BenchmarkSamples.fse(number: UInt32(index + 1))
            invoices.append(try await SignedFSE.sign(fse, with: signer))
        }
        let header = LotHeader(sender: BenchmarkSamples.situation.billingNumber, lotNumber: 1, creationDate: try ClaimDate("2025-03-14"),
                               creationTime: 120_000, destination: invoices[0].fse.destination, count: invoices.count, signer: signer.identity)
        var encoder = LotEncoder()
        let lot = try await encoder.signedLot(header: header, invoices: invoices, signer: signer)
        let key = signer.identity.publicKey
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try LotDecoder().decode(lot.bytes, verifyingWith: key))
        }
    }
}
