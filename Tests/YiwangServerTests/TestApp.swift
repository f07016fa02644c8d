import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The package root, so tests find Resources/ and Public/.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/"

/// The day every test lives on unless it moves the clock.
let testToday = Fixtures.date("2026-11-22")

/// Runs `body` against a freshly migrated application: SQLite in memory by default,
/// PostgreSQL (wiped first) when DATABASE_URL is set.
func withApp(seed: Bool = true, _ body: (Application, FixedTimeSource) async throws -> Void) async throws {
    let app = try await Application.make(.testing)
    let clock = FixedTimeSource(testToday)
    app.timeSource = clock
    var settings = Settings(passwordCost: 4, workingDirectory: packageRoot)
    settings.dataDirectory = NSTemporaryDirectory() + "yiwang-test-" + UUID().uuidString
    if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], url.hasPrefix("postgres") {
        settings.database = .postgres(url: url)
    } else {
        settings.database = .sqliteMemory
    }
    do {
        try await configure(app, settings: settings)
        if case .postgres = settings.database, let sql = app.db as? any SQLDatabase {
            try await sql.raw("DROP SCHEMA public CASCADE").run()
            try await sql.raw("CREATE SCHEMA public").run()
        }
        try await app.autoMigrate()
        if seed {
            _ = try await CatalogExchange(db: app.db, now: clock.now(), settings: settings, attribution: "test").importDocument(Fixtures.document())
        }
        try await body(app, clock)
    } catch {
        try? await app.asyncShutdown()
        try? FileManager.default.removeItem(atPath: settings.dataDirectory)
        throw error
    }
    try await app.asyncShutdown()
    try? FileManager.default.removeItem(atPath: settings.dataDirectory)
}

let testPassword = "correct horse battery"

/// Creates a staff account and returns a bearer token for it.
@discardableResult
func staffToken(_ app: Application, _ account: String, _ grants: [Grant]) async throws -> String {
    let hash = try app.password.hash(testPassword)
    try await StaffAccountRecord(account: account, displayName: account, passwordHash: hash, grants: grants, createdAt: app.timeSource.now())
        .create(on: app.db)
    var token = ""
    try await app.test(.POST, "/api/v1/auth/token", beforeRequest: { req in
        try req.content.encode(TokenRequest(account: account, password: testPassword))
    }, afterResponse: { res async throws in
        XCTAssertEqual(res.status, .created)
        token = try res.content.decode(TokenResponse.self).token
    })
    return token
}

let catalogAdmin = [Grant(role: .catalogAdministrator, scope: .everywhere)]
let cityMarketAdmin = [Grant(role: .departmentAdministrator, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))]

extension HTTPHeaders {
    static func bearer(_ token: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.bearerAuthorization = BearerAuthorization(token: token)
        return headers
    }
}

/// Decodes a problem-details body and checks it is the promised shape.
func problem(_ res: XCTHTTPResponse, file: StaticString = #filePath, line: UInt = #line) throws -> ProblemDetails {
    XCTAssertEqual(res.headers.contentType?.subType, "problem+json", file: file, line: line)
    let body = try JSONDecoder().decode(ProblemDetails.self, from: Data(res.body.readableBytesView))
    XCTAssertEqual(body.status, Int(res.status.code), file: file, line: line)
    XCTAssertTrue(body.detail.unicodeScalars.contains { $0.value >= 0x4E00 && $0.value <= 0x9FFF }, "message in Chinese: \(body.detail)", file: file, line: line)
    return body
}

let foodCode = Fixtures.implementationCode()
let workshopCode = Fixtures.implementationCode(base: Fixtures.secondBaseCode)
let districtDraftCode = Fixtures.implementationCode(department: Fixtures.districtDepartment, level: 4)
