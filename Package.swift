// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "frontdoor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "frontdoor", targets: ["frontdoor"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // Already resolved through postgres-nio; the dead-letter queue hashes refused originals with it.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Already resolved through hummingbird: `frontdoor bench gateway` is an HTTP client of the gateway.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // librdkafka, found through pkg-config. `make setup` builds 2.8.0 into .local/rdkafka and the
        // Makefile points PKG_CONFIG_PATH and an rpath at it.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"]), .brew(["librdkafka"])]
        ),
        .target(
            name: "FrontDoorMessaging",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Pure values and rules: Foundation only.
        .target(name: "FrontDoorDomain"),
        // Reads Config/ (CSV and YAML) into domain values; kept apart so the domain stays free of I/O.
        .target(
            name: "FrontDoorConfig",
            dependencies: [
                "FrontDoorDomain",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "FrontDoorStore",
            dependencies: [
                "FrontDoorDomain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "FrontDoorWorkers",
            dependencies: [
                "FrontDoorDomain",
                "FrontDoorConfig",
                "FrontDoorMessaging",
                "FrontDoorStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTPS Digital Front Door: CloudEvents over HTTP, validated by the workers' decoder and
        // published with the idempotent producer; clients and their keys live in PostgreSQL.
        .target(
            name: "FrontDoorGateway",
            dependencies: [
                "FrontDoorDomain",
                "FrontDoorConfig",
                "FrontDoorMessaging",
                "FrontDoorStore",
                "FrontDoorWorkers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "frontdoor",
            dependencies: [
                "FrontDoorDomain",
                "FrontDoorConfig",
                "FrontDoorMessaging",
                "FrontDoorStore",
                "FrontDoorWorkers",
                "FrontDoorGateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The decoder-and-rules harness of the fuzz target (`make fuzz`) and of its regression tests.
        .target(name: "FrontDoorFuzzing", dependencies: ["FrontDoorDomain", "FrontDoorConfig"]),
        // libFuzzer's entry point under `-D FUZZING -sanitize=fuzzer`; otherwise replays input files.
        .executableTarget(name: "frontdoor-fuzz", dependencies: ["FrontDoorDomain", "FrontDoorFuzzing"]),
        .testTarget(
            name: "FrontDoorMessagingTests",
            dependencies: ["FrontDoorMessaging", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "FrontDoorDomainTests",
            dependencies: [
                "FrontDoorDomain",
                "FrontDoorConfig",
                "FrontDoorFuzzing",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "FrontDoorStoreTests",
            dependencies: [
                "FrontDoorStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "FrontDoorWorkersTests",
            dependencies: [
                "FrontDoorWorkers", "FrontDoorMessaging", "FrontDoorStore", "FrontDoorDomain", "FrontDoorConfig",
                // Gateway/: the gateway's tests share this target's broker, database and worker helpers.
                "FrontDoorGateway",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Parses deploy/ (compose file, Kubernetes manifests, Dockerfile, Prometheus rules) against the code and Config/:
        // no Docker engine or cluster runs here.
        .testTarget(
            name: "DeployTests",
            dependencies: ["FrontDoorWorkers", "FrontDoorGateway", "FrontDoorConfig", "FrontDoorDomain", .product(name: "Yams", package: "Yams")]
        ),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
        ]
}
