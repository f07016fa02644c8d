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
func withApp(
    seed: Bool = true, settings adjust: (inout Settings) -> Void = { _ in }, _ body: (Application, FixedTimeSource) async throws -> Void
) async throws {
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
    // Fixed keys: tests never depend on a key file, and sealed values are reproducible per run.
    settings.dataKeys = "t1:" + Data(repeating: 7, count: 32).base64EncodedString()
    settings.indexKey = Data(repeating: 9, count: 32).base64EncodedString()
    adjust(&settings)
    do {
        try await configure(app, settings: settings)
        if case .postgres = settings.database, let sql = app.db as? any SQLDatabase {
            try await sql.raw("DROP SCHEMA public CASCADE").run()
            try await sql.raw("CREATE SCHEMA public").run()
        }
        try await app.autoMigrate()
        try await fillRegistries(app, testRegistries)
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

/// The people and companies the local exchange knows in tests (registration checks real names
/// against them); a test that needs others adds them with `fillRegistries`.
let testRegistries = LocalSharedData.Contents(
    people: [
        PersonEntry(idNumber: "520102199003071236", name: "张明", address: "贵阳市云岩区中华北路100号"),
        PersonEntry(idNumber: "520103198506120046", name: "李华"),
        PersonEntry(idNumber: "110101199003074514", name: "王芳"),
        PersonEntry(idNumber: "52011219920815031X", name: "王芳"),
        PersonEntry(idNumber: "11010519491231002X", name: "赵敏"),
        PersonEntry(idNumber: "520103198506120054", name: "钱程"),
    ],
    legalPersons: [
        LegalPersonEntry(creditCode: "91520100MA6H00001R", name: "贵阳云数科技有限公司", representativeName: "张明", representativeIDNumber: "520102199003071236")
    ])

/// Adds entries to the local exchange's registries (a person already there is replaced).
func fillRegistries(_ app: Application, _ contents: LocalSharedData.Contents) async throws {
    try await app.db.transaction { tx in try await LocalSharedData.fill(contents, keys: try app.keyRing, at: app.timeSource.now(), on: tx) }
}

let catalogAdmin = [Grant(role: .catalogAdministrator, scope: .everywhere)]
let cityMarketAdmin = [Grant(role: .departmentAdministrator, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))]
let cityClerk = [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))]
let cityApprover = [Grant(role: .approver, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))]

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

/// A browser session: the cookie and the CSRF token its forms carry.
struct BrowserSession {
    var cookies = HTTPCookies()
    var csrf = ""
    var status = HTTPStatus.ok

    var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.cookie = cookies
        return headers
    }

    /// Reads the CSRF token a page's forms carry.
    static func csrf(in html: String) -> String {
        guard let range = html.range(of: "name=\"csrf\" value=\"") else { return "" }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// GETs a page as this browser, keeping cookies and the latest CSRF token.
    @discardableResult
    mutating func get(_ app: Application, _ path: String) async throws -> XCTHTTPResponse {
        var response: XCTHTTPResponse?
        try await app.test(.GET, path, headers: headers) { res async in response = res }
        absorb(response!)
        return response!
    }

    /// POSTs a form as this browser (the CSRF token is added unless given).
    @discardableResult
    mutating func post(_ app: Application, _ path: String, _ form: [String: String]) async throws -> XCTHTTPResponse {
        var body = form
        if body["csrf"] == nil { body["csrf"] = csrf }
        var response: XCTHTTPResponse?
        try await app.test(.POST, path, headers: headers, beforeRequest: { req in
            try req.content.encode(body, as: .urlEncodedForm)
        }, afterResponse: { res async in response = res })
        absorb(response!)
        return response!
    }

    private mutating func absorb(_ res: XCTHTTPResponse) {
        status = res.status
        if let fresh = res.headers.setCookie {
            for (name, value) in fresh.all { cookies[name] = value }
        }
        let token = Self.csrf(in: res.body.string)
        if !token.isEmpty { csrf = token }
    }

    /// Opens the sign-in page, signs in, and follows to the landing page for a fresh token.
    static func signIn(_ app: Application, at page: String = "/signin", account: String, password: String, landing: String = "/me") async throws -> BrowserSession {
        var session = BrowserSession()
        try await session.get(app, page)
        let res = try await session.post(app, page, ["account": account, "password": password, "next": landing])
        if res.status == .seeOther {
            let status = res.status
            try await session.get(app, res.headers.first(name: .location) ?? landing)
            session.status = status
        }
        return session
    }
}

/// Decodes a JSON body.
func decode<T: Decodable>(_ type: T.Type, _ res: XCTHTTPResponse) throws -> T {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(T.self, from: Data(res.body.readableBytesView))
}

/// The smallest well-formed PDF the content check accepts, different per `tag`.
func samplePDF(_ tag: String = "1") -> [UInt8] {
    Array("%PDF-1.4\n% \(tag)\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)
}

extension Application {
    /// The local gateways the tests read and switch off (what a handset received, an outage).
    var localSMS: LocalSMSGateway {
        if let local = sms as? LocalSMSGateway { return local }
        let local = LocalSMSGateway()
        sms = local
        return local
    }

    var localMail: LocalMailGateway {
        if let local = mail as? LocalMailGateway { return local }
        let local = LocalMailGateway()
        mail = local
        return local
    }
}
