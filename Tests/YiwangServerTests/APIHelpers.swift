import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

// The one copy of the helpers the server tests use to talk to the JSON API: accounts and tokens,
// any request, filing and moving a case, materials. Tests that only need a case in some state
// build it with `makeCase` (CaseFactory.swift) instead of these requests.

let citizenID = "520102199003071236"
let agentID = "520103198506120046"
let companyCode = "91520100MA6H00001R"
let strongPassword = "Citizen-Pass-2026"

/// A complete application form for the food licence (`foodCode`).
let goodForm: [String: JSONValue] = ["applicantName": .string("张明"), "businessKind": .string("预包装食品销售")]

// MARK: Accounts and tokens

/// Registers a person through the API; returns the view.
@discardableResult
func registerPerson(_ app: Application, id: String = citizenID, name: String = "张明", phone: String = "13800000001") async throws -> ApplicantView {
    let res = try await call(app, .POST, "/api/v1/register/person", json: RegisterPersonRequest(idNumber: id, name: name, phone: phone, password: strongPassword))
    XCTAssertEqual(res.status, .created, res.body.string)
    return try res.content.decode(ApplicantView.self)
}

/// Signs in through the API and returns a bearer token (failing the test otherwise).
func applicantToken(_ app: Application, _ account: String, actingFor: UUID? = nil, password: String = strongPassword) async throws -> String {
    let res = try await call(app, .POST, "/api/v1/auth/token", json: TokenRequest(account: account, password: password, actingFor: actingFor))
    XCTAssertEqual(res.status, .created, res.body.string)
    return try res.content.decode(TokenResponse.self).token
}

/// Creates a staff account and returns a bearer token for it.
@discardableResult
func staffToken(_ app: Application, _ account: String, _ grants: [Grant]) async throws -> String {
    let hash = try app.password.hash(testPassword)
    try await StaffAccountRecord(account: account, displayName: account, passwordHash: hash, grants: grants, createdAt: app.timeSource.now())
        .create(on: app.db)
    return try await applicantToken(app, account, password: testPassword)
}

// MARK: Requests

/// Any request: `token` as a bearer, `json` as the body, `key` in Idempotency-Key, `from` in
/// X-Forwarded-For (honoured only when the test trusts the in-memory peer "unknown").
func call(
    _ app: Application, _ method: HTTPMethod, _ path: String, token: String? = nil, json body: (any Content)? = nil,
    key: String? = nil, from address: String? = nil, headers extra: HTTPHeaders = [:]
) async throws -> XCTHTTPResponse {
    var headers = extra
    if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
    if let key { headers.add(name: "Idempotency-Key", value: key) }
    if let address { headers.replaceOrAdd(name: "X-Forwarded-For", value: address) }
    var response: XCTHTTPResponse?
    try await app.test(method, path, headers: headers, beforeRequest: { req in
        if let body { try req.content.encode(body, as: .json) }
    }, afterResponse: { res async in response = res })
    return response!
}

// MARK: Cases

/// `POST /api/v1/cases` as it answers (no key: no Idempotency-Key header).
func postCase(
    _ app: Application, token: String, key: String?, item: String = foodCode, submit: Bool = true, form: [String: JSONValue] = goodForm,
    materials: [MaterialReference]? = nil, applicant: UUID? = nil
) async throws -> XCTHTTPResponse {
    let body = NewCaseRequest(item: item, form: form, materials: materials, applicant: applicant, submit: submit)
    return try await call(app, .POST, "/api/v1/cases", token: token, json: body, key: key)
}

/// Files a case over the API (submitted unless `submit` is false), checks it was created, and
/// answers its id.
func fileCase(
    _ app: Application, token: String, key: String = UUID().uuidString, item: String = foodCode, submit: Bool = true,
    form: [String: JSONValue] = goodForm, applicant: UUID? = nil, file: StaticString = #filePath, line: UInt = #line
) async throws -> UUID {
    let res = try await postCase(app, token: token, key: key, item: item, submit: submit, form: form, applicant: applicant)
    XCTAssertEqual(res.status, .created, res.body.string, file: file, line: line)
    return try res.content.decode(CaseView.self).id
}

/// `POST /api/v1/cases/{id}/transitions`, as it answers.
func move(
    _ app: Application, _ id: UUID, _ action: CaseAction, reason: String? = nil, greenChannel: Bool? = nil, token: String
) async throws -> XCTHTTPResponse {
    try await call(
        app, .POST, "/api/v1/cases/\(id)/transitions", token: token, json: TransitionRequest(action: action, reason: reason, greenChannel: greenChannel))
}

/// Moves the case and checks where it lands.
func expect(
    _ app: Application, _ id: UUID, _ action: CaseAction, reason: String? = nil, token: String, becomes expected: CaseState,
    file: StaticString = #filePath, line: UInt = #line
) async throws {
    let res = try await move(app, id, action, reason: reason, token: token)
    XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
    XCTAssertEqual(try res.content.decode(CaseView.self).state, expected, file: file, line: line)
}

/// `GET /api/v1/cases/{id}`, checked and decoded.
func view(_ app: Application, _ id: UUID, token: String, file: StaticString = #filePath, line: UInt = #line) async throws -> CaseView {
    let res = try await call(app, .GET, "/api/v1/cases/\(id)", token: token)
    XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
    return try res.content.decode(CaseView.self)
}

// MARK: Materials

/// `PUT /api/v1/cases/{id}/materials/{number}` with the raw bytes; `number` is the 1-based
/// material number as typed in the URL, `name` goes in X-File-Name.
func upload(_ app: Application, _ id: UUID, _ number: String, _ bytes: [UInt8], name: String? = "scan.pdf", token: String) async throws -> XCTHTTPResponse {
    try await upload(app, path: "/api/v1/cases/\(id)/materials/\(number)", bytes, name: name, token: token)
}

/// A PUT of raw bytes to any material path (a case's, a bundle application's).
func upload(_ app: Application, path: String, _ bytes: [UInt8], name: String? = "scan.pdf", token: String) async throws -> XCTHTTPResponse {
    var response: XCTHTTPResponse?
    try await app.test(.PUT, path, headers: .bearer(token), beforeRequest: { req in
        if let name { req.headers.replaceOrAdd(name: "X-File-Name", value: name) }
        req.body = ByteBuffer(bytes: bytes)
    }, afterResponse: { res async in response = res })
    return response!
}

/// Uploads a file for each of the item's materials named by their 1-based index.
func supplyMaterials(
    _ app: Application, _ id: UUID, token: String, _ indexes: [Int] = [1, 3], bytes: [UInt8]? = nil, file: StaticString = #filePath, line: UInt = #line
) async throws {
    for index in indexes {
        let res = try await upload(app, id, "\(index)", bytes ?? samplePDF("\(index)"), name: "scan-\(index).pdf", token: token)
        XCTAssertEqual(res.status, .created, res.body.string, file: file, line: line)
    }
}

/// Every file in the material store, as `<first two hex characters>/<name>` (temporary files left out).
func storedFiles(_ app: Application) -> [String] {
    let paths = (try? FileManager.default.subpathsOfDirectory(atPath: app.settings.materialsDirectory)) ?? []
    return paths.filter { $0.contains("/") && !$0.contains("/.") }.sorted()
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// How many audit events of this action the trail holds.
func auditCount(_ app: Application, _ action: String) async throws -> Int {
    try await AuditEventRecord.query(on: app.db).filter(\.$action == action).count()
}

/// 张明 and 李华 registered (through the service, as `makeApplicant` does) and signed in: an
/// applicant, and a stranger to that applicant's cases.
func citizenAndStranger(_ app: Application) async throws -> (citizen: String, stranger: String) {
    try await makeApplicant(app, citizenID)
    try await makeApplicant(app, agentID)
    return (try await applicantToken(app, citizenID), try await applicantToken(app, agentID))
}
