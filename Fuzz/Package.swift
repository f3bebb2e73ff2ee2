// swift-tools-version: 6.1
// Coverage-guided fuzz targets (libFuzzer) for Bulwark's parsers of untrusted bytes. A package of its
// own, so none of this enters the main build or `swift test`. Build and run with scripts/fuzz.sh;
// docs/fuzzing.md has the targets, the flags and the results.
import PackageDescription

let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // No top-level code and no @main: libFuzzer's driver is the program (see FuzzDriver).
    .unsafeFlags(["-parse-as-library"]),
]

/// One executable per fuzz target; each defines LLVMFuzzerTestOneInput.
func fuzzTarget(_ name: String, _ products: [String], support: [String] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: (["FuzzSupport", "FuzzDriver"] + support).map { .target(name: $0) }
            + products.map { .product(name: $0, package: "Bulwark") },
        swiftSettings: settings
    )
}

let package = Package(
    name: "BulwarkFuzz",
    platforms: [.macOS(.v15)],
    // The repository's own package. Named, so that the products below are found whatever the
    // checkout's directory is called (a path dependency is otherwise known by its directory name).
    dependencies: [.package(name: "Bulwark", path: "..")],
    targets: [
        // Calls libFuzzer's driver from the targets' entry points (see its header).
        .target(name: "FuzzDriver"),
        // Seed writing and checksum repair shared by the targets.
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "BulwarkCore", package: "Bulwark")],
            swiftSettings: settings
        ),
        fuzzTarget("fuzz-image-decoder", ["BulwarkMedia"]),
        fuzzTarget("fuzz-pdq-hasher", ["BulwarkMedia", "BulwarkCore"]),
        fuzzTarget("fuzz-video-decoder", ["BulwarkMedia"]),
        fuzzTarget("fuzz-decoder-wire", ["BulwarkMedia", "BulwarkCore"]),
        fuzzTarget("fuzz-signal-file", ["BulwarkBanks", "BulwarkCore"]),
        fuzzTarget("fuzz-pdq-index", ["BulwarkBanks", "BulwarkCore"]),
        fuzzTarget("fuzz-bank-snapshot", ["BulwarkBanks", "BulwarkCore"]),
        fuzzTarget("fuzz-bank-log-line", ["BulwarkBankFiles", "BulwarkBanks", "BulwarkCore"]),
        fuzzTarget("fuzz-json-syntax", ["BulwarkCore"]),
        // The text engine as `bulwark scan` loads it, and the checks of every verdict, shared by
        // the text-engine and semantic targets.
        .target(
            name: "FuzzEngines",
            dependencies: [
                "FuzzSupport", .product(name: "BulwarkCore", package: "Bulwark"),
                .product(name: "BulwarkText", package: "Bulwark"),
            ],
            swiftSettings: settings
        ),
        fuzzTarget("fuzz-text-engine", ["BulwarkText", "BulwarkCore"], support: ["FuzzEngines"]),
        fuzzTarget("fuzz-semantic", ["BulwarkSemantic", "BulwarkCascade", "BulwarkText", "BulwarkCore"], support: ["FuzzEngines"]),
    ],
    swiftLanguageModes: [.v6]
)
