// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "OpenVitale",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex
    products: [
        .executable(name: "vitale", targets: ["VitaleCommand"]),
        .executable(name: "vitaled", targets: ["VitaledCommand"]),
        .executable(name: "fse-send", targets: ["FSESendCommand"]),
        .executable(name: "insurer-gateway", targets: ["InsurerGatewayCommand"]),
        .executable(name: "vitale-card", targets: ["VitaleCardCommand"]),
        .library(name: "ISO7816", targets: ["ISO7816"]),
        .library(name: "PCSC", targets: ["PCSC"]),
        .library(name: "Emulator", targets: ["Emulator"]),
        .library(name: "VPCD", targets: ["VPCD"]),
        .library(name: "Vitale", targets: ["Vitale"]),
        .library(name: "CPS", targets: ["CPS"]),
        .library(name: "Claims", targets: ["Claims"]),
        .library(name: "CPSSigning", targets: ["CPSSigning"]),
        .library(name: "Transmission", targets: ["Transmission"]),
        .library(name: "GatewayAPI", targets: ["GatewayAPI"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "Daemon", targets: ["Daemon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: PC/SC and APDUs
        // A C target rather than a system library: pkg-config's -pthread would make SwiftPM warn (see CPCSC.h).
        .target(name: "CPCSC"),
        .target(name: "ISO7816", swiftSettings: strict),
        .target(name: "PCSC", dependencies: ["CPCSC", "ISO7816"], swiftSettings: strict),

        // MARK: Virtual cards
        .target(
            name: "Emulator",
            dependencies: ["ISO7816", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(name: "VPCD", dependencies: ["ISO7816", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),

        // MARK: Card decoders
        .target(name: "Vitale", dependencies: ["ISO7816"], swiftSettings: strict),
        .target(
            name: "CPS",
            dependencies: ["ISO7816", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),

        // MARK: Claims and transmission
        .target(
            name: "Claims",
            dependencies: ["Vitale", "Secrets", .product(name: "Crypto", package: "swift-crypto")],
            resources: [],
            swiftSettings: strict
        ),
        // The gateway's wire contract (docs/gateway-openapi.yaml), shared by the server and the client.
        .target(name: "GatewayAPI", swiftSettings: strict),
        // The CPS as a ClaimSigner (the card decoders and the claims stay apart; the gateway links no APDU stack).
        .target(name: "CPSSigning", dependencies: ["CPS", "Claims"], swiftSettings: strict),
        .target(
            name: "Transmission",
            dependencies: [
                "Claims", "DurableStorage", "GatewayAPI",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Owner-only secret files (tokens, PIN, keys), read the same way by every program.
        .target(name: "Secrets", swiftSettings: strict),
        .target(
            name: "DurableStorage",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // Deadlines and connection bounds of the project's HTTP servers (gateway, vitaled).
        .target(
            name: "ServerLimits",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Claims", "DurableStorage", "GatewayAPI", "ServerLimits",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Daemon",
            dependencies: [
                "PCSC", "Vitale", "CPS", "CPSSigning", "Claims", "Transmission", "GatewayAPI", "Secrets", "ServerLimits",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Programs
        .executableTarget(
            name: "VitaleCommand",
            dependencies: [
                "PCSC", "Vitale", "CPS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Programs/vitale",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VitaleCardCommand",
            dependencies: [
                "Emulator", "VPCD",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Programs/vitale-card",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FSESendCommand",
            dependencies: [
                "PCSC", "CPS", "CPSSigning", "Claims", "Transmission", "GatewayAPI", "Secrets",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Programs/fse-send",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "InsurerGatewayCommand",
            dependencies: [
                "Gateway", "Claims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Programs/insurer-gateway",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "VitaledCommand",
            dependencies: [
                "Daemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Programs/vitaled",
            swiftSettings: strict
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: ["ISO7816", "PCSC", "Gateway", "VPCD", "Emulator", .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "ISO7816Tests", dependencies: ["ISO7816", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "PCSCIntegrationTests",
            dependencies: ["PCSC", "ISO7816", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "EmulatorTests", dependencies: ["Emulator", "VPCD", "PCSC", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "VitaleTests", dependencies: ["Vitale", "CPS", "Emulator", "VPCD", "PCSC", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ClaimsTests",
            dependencies: ["Claims", "CPS", "CPSSigning", "Emulator", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TransmissionTests",
            dependencies: [
                "Transmission", "Gateway", "GatewayAPI", "Claims", "PCSC", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "Gateway", "GatewayAPI", "Secrets", "TestSupport", "Transmission", "Claims", "Vitale", "CPS", "PCSC", "Emulator", "VPCD",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
    ]
)
