// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Yiwang",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "yiwang", targets: ["yiwang"]),
        .library(name: "YiwangCore", targets: ["YiwangCore"]),
        .library(name: "YiwangServer", targets: ["YiwangServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", from: "4.5.2"),
        // Already built for Vapor; the core uses it for SHA-256, HMAC and AES-GCM.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        // Prometheus text exposition for /metrics (swift-metrics backend).
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // SM2/SM3 and X.509 seal certificates come from the system OpenSSL 3 (libssl-dev).
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // Pure domain rules: no Vapor, no Fluent, no I/O.
        .target(name: "YiwangCore", dependencies: ["COpenSSL", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "YiwangServer",
            dependencies: [
                "YiwangCore",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "yiwang",
            dependencies: ["YiwangServer", .product(name: "Vapor", package: "vapor")]
        ),
        // Small factories shared by the test targets (never linked into the server).
        .target(name: "YiwangTestSupport", dependencies: ["YiwangCore"], path: "Tests/Support"),
        .testTarget(name: "YiwangCoreTests", dependencies: ["YiwangCore", "YiwangTestSupport"]),
        .testTarget(
            name: "YiwangServerTests",
            dependencies: [
                "YiwangServer",
                "YiwangTestSupport",
                .product(name: "XCTVapor", package: "vapor"),
            ],
            // HTML snapshots the page tests compare with, read from the source tree.
            exclude: ["Snapshots"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
