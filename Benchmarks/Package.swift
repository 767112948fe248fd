// swift-tools-version: 6.1
// OpenVitale benchmarks (ordo-one package-benchmark). Run from this folder:
//   swift package --disable-sandbox benchmark
// Results and the exact commands: ../docs/performance.md
import PackageDescription

let package = Package(
    name: "OpenVitaleBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "OpenVitale", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .executableTarget(
            name: "ClaimsBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Claims", package: "OpenVitale"),
                .product(name: "Vitale", package: "OpenVitale"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Benchmarks/ClaimsBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
