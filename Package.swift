// swift-tools-version:6.0
import PackageDescription

// Release builds target AVX2+FMA+F16C on x86-64 (swiftc spells it "haswell";
// it has no x86-64-v3 name): the default baseline (SSE2) makes the
// SIMD conversion and GEMM-adjacent loops 10-100x slower. Other architectures keep
// their default target, so aarch64 still builds.
#if arch(x86_64)
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release)),
]
let fastMathC: [CSetting] = [
    .unsafeFlags(["-march=x86-64-v3"], .when(configuration: .release)),
]
#else
let fastMath: [SwiftSetting] = []
let fastMathC: [CSetting] = []
#endif

let package = Package(
    name: "revmux",
    products: [
        .executable(name: "revmux", targets: ["revmux"]),
        .library(name: "RevmuxFormats", targets: ["RevmuxFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        // SHA-256 of source files for a bundle's provenance.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries from Debian packages, one shim each.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJSONC", providers: [.apt(["libjson-c-dev"])]),
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // Strict JSON over json-c: UTF-8 validation, duplicate-key detection.
        .target(name: "RevmuxJSON", dependencies: ["CJSONC"], swiftSettings: fastMath),
        // Memory-mapped files, dtypes, tensor views and conversion to f32.
        .target(
            name: "RevmuxTensors",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: fastMath),
        // safetensors (single and sharded), GGUF, Hugging Face config.json.
        .target(
            name: "RevmuxFormats",
            dependencies: ["RevmuxTensors", "RevmuxJSON", "CZlib"],
            swiftSettings: fastMath),

        // The .revmux bundle: format, streaming atomic writer, validating reader.
        .target(
            name: "RevmuxBundle",
            dependencies: [
                "RevmuxFormats", "RevmuxTensors", "RevmuxJSON", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: fastMath),
        // CPU runtime kernels: row-major matrices, OpenBLAS GEMM, LayerNorm, GELU, softmax.
        .target(name: "RevmuxCompute", dependencies: ["COpenBLAS", "RevmuxTensors"], swiftSettings: fastMath),
        // Model runtimes over a bundle's canonical tensors (BERT encoders first).
        .target(name: "RevmuxModels", dependencies: ["RevmuxCompute", "RevmuxBundle"], swiftSettings: fastMath),
        // RevMUX: the reversible multiplexer, task heads, and multiplexed classification.
        .target(name: "RevmuxMux", dependencies: ["RevmuxModels", "RevmuxCompute", "RevmuxBundle", "RevmuxTokenizers"], swiftSettings: fastMath),
        // Training the RevMUX adapters and the BERT head: backward passes, losses, AdamW.
        .target(
            name: "RevmuxTrain",
            dependencies: ["COpenBLAS", "RevmuxCompute", "RevmuxModels", "RevmuxBundle", "RevmuxFormats", "RevmuxJSON"],
            swiftSettings: fastMath),
        // tokenizer.json and GGUF vocabularies: normalizers, pre-tokenizers, models,
        // post-processors and decoders, matching Hugging Face tokenizers and llama.cpp.
        .target(
            name: "RevmuxTokenizers",
            dependencies: ["RevmuxFormats", "RevmuxJSON"],
            swiftSettings: fastMath),

        .executableTarget(
            name: "revmux",
            dependencies: [
                "RevmuxFormats",
                "RevmuxBundle",
                "RevmuxTokenizers",
                "RevmuxMux",
                "RevmuxTrain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastMath),
        .executableTarget(
            name: "revmux-bench",
            dependencies: [
                "RevmuxFormats",
                "RevmuxBundle",
                "RevmuxTokenizers",
                "RevmuxModels",
                "RevmuxCompute",
                "RevmuxTensors",
                "RevmuxMux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: fastMath),

        // libFuzzer harnesses; scripts/fuzz.sh builds them with the sanitizers.
        .executableTarget(
            name: "revmux-fuzz",
            dependencies: ["RevmuxFormats", "RevmuxJSON"],
            swiftSettings: [.enableExperimentalFeature("Extern")]),

        .testTarget(name: "RevmuxJSONTests", dependencies: ["RevmuxJSON"]),
        .testTarget(name: "RevmuxTensorsTests", dependencies: ["RevmuxTensors"]),
        // Shared by the test targets: the sample assets and the repository's fixtures.
        .target(name: "RevmuxTestSupport", path: "Tests/RevmuxTestSupport"),
        .testTarget(name: "RevmuxFormatsTests", dependencies: ["RevmuxFormats", "RevmuxTestSupport"]),
        .testTarget(name: "RevmuxBundleTests", dependencies: ["RevmuxBundle", "RevmuxFormats", "RevmuxTestSupport"]),
        // Runs the built `revmux` binary: exit codes, messages, JSON output.
        .testTarget(name: "RevmuxCLITests", dependencies: ["revmux", "RevmuxTestSupport", "RevmuxTokenizers", "RevmuxFormats", "RevmuxTrain"]),
        .testTarget(name: "RevmuxTokenizersTests", dependencies: ["RevmuxTokenizers", "RevmuxFormats", "RevmuxTestSupport"]),
        .testTarget(name: "RevmuxModelsTests", dependencies: ["RevmuxModels", "RevmuxBundle", "RevmuxTestSupport", "RevmuxTokenizers", "RevmuxFormats"]),
        .testTarget(
            name: "RevmuxMuxTests",
            dependencies: ["RevmuxMux", "RevmuxModels", "RevmuxCompute", "RevmuxBundle", "RevmuxTokenizers", "RevmuxTestSupport"]),
        .testTarget(name: "RevmuxTrainTests",
                    dependencies: ["RevmuxTrain", "RevmuxCompute", "RevmuxModels", "RevmuxBundle", "RevmuxMux", "RevmuxTestSupport"]),
    ]
)
