// swift-tools-version:6.1
import PackageDescription

/// The same strict settings on every target: Swift 6 language mode (complete concurrency
/// checking) plus upcoming features that make the code more explicit.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "liora",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "liora", targets: ["liora"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Up to the next minor: LioraStore uses its pool's errors (`_ConnectionPoolModule`), which
        // carry no API-stability promise.
        .package(url: "https://github.com/vapor/postgres-nio.git", .upToNextMinor(from: "1.33.2")),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
    ],
    targets: [
        // Domain: tenants, user contexts, ingest rules, configuration, clocks. No HTTP, no drivers.
        .target(
            name: "LioraCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // WhatsApp Cloud API payload models (webhooks today, Graph API client later).
        .target(
            name: "WhatsApp",
            dependencies: [],
            swiftSettings: strictSettings
        ),
        // libcurl's multi interface driven from C (Swift cannot call its variadic setters). Links the
        // libcurl.so.4 that FoundationNetworking uses already: no development package is needed.
        .target(
            name: "CLibcurl",
            linkerSettings: [
                .linkedLibrary(":libcurl.so.4", .when(platforms: [.linux])),
                .linkedLibrary("curl", .when(platforms: [.macOS])),
            ]
        ),
        // SQLite settings only C can make (its configuration calls are variadic): the page-cache
        // wrapper and stable query plans (the headers in include/ say why).
        .target(name: "CSQLiteTuning"),
        // The Graph API client (send messages, mark read) over libcurl.
        .target(
            name: "WhatsAppGraph",
            dependencies: ["WhatsApp", "CLibcurl"],
            swiftSettings: strictSettings
        ),
        // SQLite and PostgreSQL stores behind the protocols of LioraCore; migrations runner.
        .target(
            name: "LioraStore",
            dependencies: [
                "LioraCore",
                "CSQLiteTuning",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // Its pool's errors (shut down, cannot connect) tell an outage from a bad query.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // The Hummingbird HTTP server: webhook ingest, health, metrics; background services.
        .target(
            name: "LioraServer",
            dependencies: [
                "LioraCore",
                "LioraStore",
                "WhatsApp",
                "WhatsAppGraph",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The thin `liora` executable.
        .executableTarget(
            name: "liora",
            dependencies: [
                "LioraCore",
                "LioraStore",
                "LioraServer",
                "WhatsAppGraph",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Fixtures, fakes and database helpers shared by the test targets.
        .target(
            name: "LioraTestSupport",
            dependencies: [
                "LioraCore",
                "LioraStore",
                "LioraServer",
                "WhatsApp",
                "WhatsAppGraph",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LioraCoreTests",
            dependencies: ["LioraCore", "LioraTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WhatsAppTests",
            dependencies: ["WhatsApp", "LioraTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "WhatsAppGraphTests",
            dependencies: [
                "WhatsApp", "WhatsAppGraph", "LioraTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LioraStoreTests",
            dependencies: ["LioraStore", "LioraCore", "LioraTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LioraServerTests",
            dependencies: [
                "LioraServer", "LioraStore", "LioraCore", "WhatsApp", "LioraTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
