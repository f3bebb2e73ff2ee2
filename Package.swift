// swift-tools-version: 6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Bulwark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "bulwark", targets: ["bulwark"]),
        .library(name: "BulwarkCore", targets: ["BulwarkCore"]),
        .library(name: "BulwarkText", targets: ["BulwarkText"]),
        .library(name: "BulwarkBanks", targets: ["BulwarkBanks"]),
        .library(name: "BulwarkMedia", targets: ["BulwarkMedia"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        // Policy, domain types, verdicts, the JSON Lines data contract: no I/O, no dependencies.
        .target(name: "BulwarkCore", swiftSettings: upcoming),
        // Normalisation, language id, indicators, links, near-duplicates, classifier, decision: no I/O.
        .target(name: "BulwarkText", dependencies: ["BulwarkCore"], swiftSettings: upcoming),
        // Hash banks: PDQ multi-index hashing, exact hashes, allow-lists, signal file formats: no I/O.
        .target(name: "BulwarkBanks", dependencies: ["BulwarkCore"], swiftSettings: upcoming),
        // Banks kept in a directory: event log and snapshot (file I/O).
        .target(name: "BulwarkBankFiles", dependencies: ["BulwarkBanks", "BulwarkCore"], swiftSettings: upcoming),
        // Debian's image codecs: libjpeg-turbo's TurboJPEG API, libpng, libwebp (scripts/setup.sh installs them).
        .systemLibrary(
            name: "CImageCodecs",
            providers: [.apt(["libturbojpeg0-dev", "libjpeg62-turbo-dev", "libpng-dev", "libwebp-dev"])]
        ),
        // C glue for libpng, whose errors longjmp: Swift cannot be on the stack when they do.
        .target(name: "CImageShims", dependencies: ["CImageCodecs"]),
        // Image decoding with limits, PDQ (pure Swift, bit-exact with the reference), MD5 and SHA-256.
        .target(
            name: "BulwarkMedia", dependencies: ["BulwarkCore", "CImageCodecs", "CImageShims"], swiftSettings: upcoming),
        // The command-line interface: reads files, calls the libraries, writes output.
        .executableTarget(
            name: "bulwark",
            dependencies: [
                "BulwarkCore", "BulwarkText", "BulwarkBanks", "BulwarkBankFiles", "BulwarkMedia",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(name: "BulwarkCoreTests", dependencies: ["BulwarkCore"], swiftSettings: upcoming),
        .testTarget(name: "BulwarkTextTests", dependencies: ["BulwarkText", "BulwarkCore"], swiftSettings: upcoming),
        .testTarget(name: "BulwarkBanksTests", dependencies: ["BulwarkBanks", "BulwarkBankFiles", "BulwarkCore"], swiftSettings: upcoming),
        .testTarget(
            name: "BulwarkMediaTests", dependencies: ["BulwarkMedia", "BulwarkCore"], exclude: ["Fixtures"], swiftSettings: upcoming),
        // End-to-end: runs the built `bulwark` binary on real files.
        .testTarget(name: "BulwarkCLITests", dependencies: ["bulwark"], swiftSettings: upcoming),
    ],
    swiftLanguageModes: [.v6]
)
