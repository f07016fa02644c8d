import Fluent
import Foundation
import XCTest

@testable import YiwangServer

/// The migrations are one ordered list, each in a file named by its number and type, in its
/// domain's Migrations folder; every such file is in the list and in the CI manifest of landed
/// migrations (which fails CI when a landed file changes).
final class MigrationListTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func migrationFiles() throws -> [String] {
        let sources = root.appendingPathComponent("Sources/YiwangServer")
        var found: [String] = []
        for domain in try FileManager.default.contentsOfDirectory(atPath: sources.path) {
            let folder = sources.appendingPathComponent(domain).appendingPathComponent("Migrations")
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            found += files.filter { $0.hasSuffix(".swift") }.map { "Sources/YiwangServer/\(domain)/Migrations/\($0)" }
        }
        return found.sorted { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }
    }

    func testTheListIsNumberedInOrderWithoutGapsOrRepeats() {
        let numbers = AppMigrations.numbered.map(\.number)
        XCTAssertEqual(numbers, Array(1...numbers.count), "numbers run 1, 2, 3 … in the order the list applies them")
        let names = AppMigrations.all.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "every migration has its own name: \(names)")
    }

    func testEachMigrationHasItsNumberedFileAndEachFileIsListed() throws {
        let files = try migrationFiles()
        var expected: [String] = []
        for (number, migration) in AppMigrations.numbered where number != 5 {
            let name = String(format: "%04d_%@.swift", number, String(describing: type(of: migration)))
            expected.append(name)
        }
        XCTAssertEqual(files.map { ($0 as NSString).lastPathComponent }, expected)
    }

    func testEveryMigrationFileIsInTheManifestOfLandedMigrations() throws {
        let manifest = try String(contentsOf: root.appendingPathComponent(".ci/landed-migrations.sha256"), encoding: .utf8)
        let listed = Set(manifest.split(separator: "\n").compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) })
        for file in try migrationFiles() {
            XCTAssertTrue(listed.contains(file), "\(file) is not in .ci/landed-migrations.sha256: add it when it lands")
        }
    }
}
