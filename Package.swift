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
        .library(name: "BulwarkBankFiles", targets: ["BulwarkBankFiles"]),
        .library(name: "BulwarkMedia", targets: ["BulwarkMedia"]),
        .library(name: "BulwarkSemantic", targets: ["BulwarkSemantic"]),
        .library(name: "BulwarkCascade", targets: ["BulwarkCascade"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // Policy, domain types, verdicts, the JSON Lines data contract: no I/O, no dependencies.
        .target(name: "BulwarkCore", swiftSettings: upcoming),
        // Normalisation, language id, indicators, links, near-duplicates, classifier, decision: no I/O.
        .target(name: "BulwarkText", dependencies: ["BulwarkCore", "CTextKernels"], swiftSettings: upcoming),
        // Cache prefetch hints for the text engine's table lookups (C: Swift has no prefetch).
        .target(name: "CTextKernels"),
        // Multilingual sentence embeddings (USE multilingual v3): SentencePiece tokenizer and encoder. Pure.
        .target(name: "BulwarkSemantic", dependencies: ["BulwarkCore", "CSemanticKernels"], swiftSettings: upcoming),
        // The encoder's matrix products with AVX2 and FMA, chosen at run time (C: Swift has no per-function target).
        .target(name: "CSemanticKernels"),
        // The `full` model: the fast text engine, then the sentence encoder on what it finds uncertain. Pure.
        .target(name: "BulwarkCascade", dependencies: ["BulwarkCore", "BulwarkText", "BulwarkSemantic"], swiftSettings: upcoming),
        // Hash banks: PDQ multi-index hashing, exact hashes, allow-lists, signal file formats: no I/O.
        .target(name: "BulwarkBanks", dependencies: ["BulwarkCore"], swiftSettings: upcoming),
        // Banks kept in a directory: event log and snapshot (file I/O).
        .target(name: "BulwarkBankFiles", dependencies: ["BulwarkBanks", "BulwarkCore"], swiftSettings: upcoming),
        // Debian's image codecs: libjpeg-turbo's TurboJPEG API, libpng, libwebp, giflib (scripts/setup.sh installs them).
        .systemLibrary(
            name: "CImageCodecs",
            providers: [.apt(["libturbojpeg0-dev", "libjpeg62-turbo-dev", "libpng-dev", "libwebp-dev", "libgif-dev", "libheif-dev", "libde265-dev"])]
        ),
        // C glue for libpng, whose errors longjmp (Swift cannot be on the stack when they do), and
        // for giflib, which reads through a C callback; an HEVC decoder for libheif over libde265
        // on worker threads (hevc_decoder.c).
        .target(name: "CImageShims", dependencies: ["CImageCodecs"], linkerSettings: [.linkedLibrary("de265")]),
        // C glue for Debian's FFmpeg libraries (libavformat, libavcodec, libswscale): a video's frames
        // read from memory, with its demuxers and decoders limited to a short list.
        .target(
            name: "CVideoShims",
            linkerSettings: [
                .linkedLibrary("avformat"), .linkedLibrary("avcodec"), .linkedLibrary("swscale"), .linkedLibrary("avutil"),
            ]),
        // Image and video decoding with limits, PDQ (pure Swift, bit-exact with the reference), MD5 and SHA-256.
        .target(
            name: "BulwarkMedia", dependencies: ["BulwarkCore", "CImageCodecs", "CImageShims", "CVideoShims"],
            swiftSettings: upcoming),
        // Media decoded apart from the service, in a child process (`bulwark media-decoder`) with
        // limits of its own, so that a crash, a memory blow-up or a hang ends it and not the service.
        .target(name: "CProcessShims"),
        .target(
            name: "BulwarkMediaProcess", dependencies: ["BulwarkMedia", "BulwarkCore", "CProcessShims"],
            swiftSettings: upcoming),
        // Storage behind one interface: SQLite through GRDB, PostgreSQL through postgres-nio.
        .target(
            name: "BulwarkStore",
            dependencies: [
                "BulwarkCore", "BulwarkEntities", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: upcoming
        ),
        // Accounts and containers: running signals, risk, re-appearance of banned entities. Pure.
        .target(name: "BulwarkEntities", dependencies: ["BulwarkCore"], swiftSettings: upcoming),
        // A simulated platform to measure entity risk, queue order and re-appearance. Pure.
        .target(
            name: "BulwarkSimulation", dependencies: ["BulwarkCore", "BulwarkEntities", "BulwarkText"],
            swiftSettings: upcoming),
        // The HTTP service (Hummingbird 2): API, webhooks, metrics.
        .target(
            name: "BulwarkServer",
            dependencies: [
                "BulwarkCore", "BulwarkText", "BulwarkBanks", "BulwarkBankFiles", "BulwarkMedia", "BulwarkMediaProcess",
                "BulwarkStore", "BulwarkEntities", "BulwarkCascade", "BulwarkSemantic",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // The console: scrypt for people's passwords, Mustache for its pages.
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: upcoming
        ),
        // The command-line interface: reads files, calls the libraries, writes output.
        .executableTarget(
            name: "bulwark",
            dependencies: [
                "BulwarkCore", "BulwarkText", "BulwarkBanks", "BulwarkBankFiles", "BulwarkMedia", "BulwarkMediaProcess",
                "BulwarkStore", "BulwarkServer", "BulwarkEntities", "BulwarkSimulation", "BulwarkSemantic", "BulwarkCascade",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `bench console` times the console's pages over loopback HTTP.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "BulwarkSimulationTests", dependencies: ["BulwarkSimulation", "BulwarkText", "BulwarkCore"],
            swiftSettings: upcoming),
        .testTarget(name: "BulwarkEntitiesTests", dependencies: ["BulwarkEntities", "BulwarkCore"], swiftSettings: upcoming),
        .testTarget(name: "BulwarkCoreTests", dependencies: ["BulwarkCore"], swiftSettings: upcoming),
        .testTarget(name: "BulwarkTextTests", dependencies: ["BulwarkText", "BulwarkCore"], swiftSettings: upcoming),
        .testTarget(
            name: "BulwarkSemanticTests", dependencies: ["BulwarkSemantic", "BulwarkCore"], exclude: ["Fixtures"],
            swiftSettings: upcoming),
        .testTarget(
            name: "BulwarkCascadeTests", dependencies: ["BulwarkCascade", "BulwarkSemantic", "BulwarkText", "BulwarkCore"],
            swiftSettings: upcoming),
        .testTarget(name: "BulwarkBanksTests", dependencies: ["BulwarkBanks", "BulwarkBankFiles", "BulwarkCore"], swiftSettings: upcoming),
        .testTarget(
            name: "BulwarkMediaTests", dependencies: ["BulwarkMedia", "BulwarkCore", "CImageCodecs", "CImageShims"], exclude: ["Fixtures"], swiftSettings: upcoming),
        // Fresh stores of each backend, for the storage and server tests.
        .target(
            name: "BulwarkTestSupport",
            dependencies: [
                "BulwarkStore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/BulwarkTestSupport",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "BulwarkStoreTests",
            dependencies: [
                "BulwarkStore", "BulwarkCore", "BulwarkEntities", "BulwarkTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "BulwarkServerTests",
            dependencies: [
                "BulwarkServer", "BulwarkStore", "BulwarkCore", "BulwarkBanks", "BulwarkMedia", "BulwarkMediaProcess", "BulwarkText",
                "BulwarkEntities", "BulwarkSemantic", "BulwarkTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: upcoming
        ),
        // End-to-end: runs the built `bulwark` binary on real files.
        .testTarget(
            name: "BulwarkCLITests",
            dependencies: [
                "bulwark", "BulwarkStore", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                // The scale-out tests: workers killed and stopped against a real PostgreSQL, a webhook receiver.
                "BulwarkTestSupport", "BulwarkServer", "BulwarkCore", "BulwarkBanks", "BulwarkMedia", "BulwarkMediaProcess",
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                // The commands' options parsed as the command line parses them.
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
