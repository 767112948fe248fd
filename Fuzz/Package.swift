// swift-tools-version: 6.1
// libFuzzer targets for the parsers that read bytes from cards: BER-TLV, command/response APDUs, ATRs; for
// the card emulator (any APDU sequence gets a status word) and its image loader; and for the carte Vitale
// decoder fed arbitrary file contents (FuzzCards); for the CPS decoder and session fed arbitrary files and card
// responses (FuzzCPS).
// Build and run them with scripts/fuzz (it passes -sanitize=fuzzer,address to every module, so the parsers
// themselves are instrumented); see README "Fuzzing". Each target defines LLVMFuzzerTestOneInput with @_cdecl and
// its main calls FuzzerMain (FuzzerDriver), which hands it to libFuzzer's LLVMFuzzerRunDriver.
import PackageDescription

let package = Package(
    name: "OpenVitaleFuzz",
    dependencies: [
        .package(name: "OpenVitale", path: ".."),
    ],
    targets: [
        .target(name: "FuzzerDriver"),
        .executableTarget(name: "FuzzTLV", dependencies: ["FuzzerDriver", .product(name: "ISO7816", package: "OpenVitale")]),
        .executableTarget(name: "FuzzAPDU", dependencies: ["FuzzerDriver", .product(name: "ISO7816", package: "OpenVitale")]),
        .executableTarget(name: "FuzzATR", dependencies: ["FuzzerDriver", .product(name: "ISO7816", package: "OpenVitale")]),
        .executableTarget(name: "FuzzCardOS", dependencies: ["FuzzerDriver", .product(name: "Emulator", package: "OpenVitale")]),
        .executableTarget(name: "FuzzCardImage", dependencies: ["FuzzerDriver", .product(name: "Emulator", package: "OpenVitale")]),
        .executableTarget(
            name: "FuzzCards",
            dependencies: ["FuzzerDriver", .product(name: "Vitale", package: "OpenVitale")]),
        .executableTarget(
            name: "FuzzCPS",
            dependencies: ["FuzzerDriver", .product(name: "CPS", package: "OpenVitale"), .product(name: "ISO7816", package: "OpenVitale")]),
        // The claim builder's decoders, run by the gateway on untrusted bytes.
        .executableTarget(name: "FuzzFSE", dependencies: ["FuzzerDriver", .product(name: "Claims", package: "OpenVitale")]),
        .executableTarget(name: "FuzzLot", dependencies: ["FuzzerDriver", .product(name: "Claims", package: "OpenVitale")]),
        // Claim files and claim bodies (fse-send, vitaled): reader, duplicate-key scan, converter and pricer.
        .executableTarget(name: "FuzzClaimFile", dependencies: ["FuzzerDriver", .product(name: "Claims", package: "OpenVitale")]),
    ]
)
