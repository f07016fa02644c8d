import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

// MARK: - Helpers for the licence tests (this file and LicencePageTests.swift)

/// The food licence wired to the fixture food item, and the calls the licence tests make.
enum LicenceKit {
    /// The defining body's credit code (the city market regulator) and sequence 011.
    static let typeCode = "11100000000013338W011"
    /// The fixture food item's base code: its approval issues the licence.
    static let foodBase = String(foodCode.suffix(12))
    static let name = "食品经营许可证"
    static let cityApproverGrants = cityApprover
    static let districtClerk = [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))]
    static let districtApprover = [Grant(role: .approver, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))]

    static func foodType(code: String = typeCode, issuedBy: [String] = [foodBase], extraFields: [FaceField] = []) -> LicenceType {
        LicenceType(
            code: code, name: name, definedBy: "福州市市场监督管理局", holderKind: .either,
            faceFields: [
                FaceField(key: "operator", label: "经营者名称", source: "form.applicantName"),
                FaceField(key: "principal", label: "负责人", source: "holder.name"),
                FaceField(key: "businessKind", label: "经营项目", source: "form.businessKind"),
                FaceField(key: "decidedOn", label: "发证日期", kind: .date, source: "decision.date"),
                FaceField(key: "issuer", label: "发证机关", source: "issuer.name"),
            ] + extraFields,
            validityYears: 5, issuedBy: issuedBy, acceptedAs: ["食品经营许可证"])
    }

    /// Saves licence types as the platform does (the catalog of the tests has none).
    static func define(_ app: Application, _ types: [LicenceType] = [foodType()]) async throws {
        try await LicenceService(try DomainContext.platform(app, job: "test")).save(types: types)
    }

    /// Defines the food licence (unless told not to), approves a food case for the applicant and
    /// finds the licence in their wallet: the case, the licence identifier and the applicant's token.
    static func issue(
        _ app: Application, applicant: String = citizenID, define: Bool = true, file: StaticString = #filePath, line: UInt = #line
    ) async throws -> (caseID: UUID, identifier: String, token: String) {
        if define { try await Self.define(app) }
        let before = try await LicenceRecord.query(on: app.db).all().map(\.identifier)
        let record = try await makeCase(app, .approved, applicant: applicant)
        let token = try await applicantToken(app, applicant)
        let entries = try await wallet(app, token: token, file: file, line: line)
        guard let fresh = entries.first(where: { !before.contains($0.identifier) }) else {
            XCTFail("the approval issued no licence into the wallet", file: file, line: line)
            throw Abort(.internalServerError)
        }
        return (try record.requireID(), fresh.identifier, token)
    }

    static func wallet(_ app: Application, token: String, file: StaticString = #filePath, line: UInt = #line) async throws -> [LicenceAPIController.WalletEntry] {
        let res = try await call(app, .GET, "/api/v1/me/licences", token: token)
        XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
        return try res.content.decode([LicenceAPIController.WalletEntry].self)
    }

    static func show(_ app: Application, _ identifier: String, token: String, file: StaticString = #filePath, line: UInt = #line) async throws -> LicenceAPIController.LicenceView {
        let res = try await call(app, .GET, "/api/v1/licences/\(identifier)", token: token)
        XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
        return try res.content.decode(LicenceAPIController.LicenceView.self)
    }

    static func status(_ app: Application, _ identifier: String, file: StaticString = #filePath, line: UInt = #line) async throws -> LicenceService.Status {
        let res = try await call(app, .GET, "/api/v1/licences/\(identifier)/verification")
        XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
        return try res.content.decode(LicenceService.Status.self)
    }

    /// What `POST /api/v1/licences/verification` answers.
    struct Verdict: Codable {
        var result: String
        var resultName: String
        var status: LicenceService.Status?
    }

    static func verify(_ app: Application, _ document: LicenceDocument, file: StaticString = #filePath, line: UInt = #line) async throws -> Verdict {
        let res = try await call(app, .POST, "/api/v1/licences/verification", json: document)
        XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
        return try res.content.decode(Verdict.self)
    }

    static func seals(_ app: Application) async throws -> [Seals.Published] {
        let res = try await call(app, .GET, "/api/v1/seals")
        XCTAssertEqual(res.status, .ok, res.body.string)
        return try res.content.decode([Seals.Published].self)
    }

    struct ChangeBody: Content {
        var kind: String
        var reason: String?
        var changes: [String: String]?
    }

    static func change(
        _ app: Application, _ identifier: String, token: String, kind: String, reason: String? = nil, changes: [String: String]? = nil
    ) async throws -> XCTHTTPResponse {
        try await call(app, .POST, "/api/v1/licences/\(identifier)/changes", token: token, json: ChangeBody(kind: kind, reason: reason, changes: changes))
    }

    struct ShareBody: Content {
        var recipient: String?
        var hours: Int?
    }

    /// A request with a body as given (any bytes, any content type).
    static func raw(
        _ app: Application, _ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil, contentType: HTTPMediaType = .json
    ) async throws -> XCTHTTPResponse {
        var headers = HTTPHeaders()
        if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
        var response: XCTHTTPResponse?
        try await app.test(method, path, headers: headers, beforeRequest: { req in
            if let body {
                req.headers.contentType = contentType
                req.body = ByteBuffer(string: body)
            }
        }, afterResponse: { res async in response = res })
        return response!
    }

    /// ISO/IEC 7064 MOD 37,36 (hybrid) as a verifier checks it: running the recursion over the
    /// data and the check character ends on 1. Written apart from the production code.
    static func checkCharacterIsValid(_ identifier: String) -> Bool {
        let parts = identifier.split(separator: ".").map(String.init)
        guard identifier.hasPrefix("1.2.156.3005.2."), parts.count == 10 else { return false }
        let text = parts[5...].joined()
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var product = 36
        var last = 0
        for (offset, character) in text.enumerated() {
            guard let value = digits.firstIndex(of: character) else { return false }
            var sum = (product + value) % 36
            if sum == 0 { sum = 36 }
            last = sum
            if offset < text.count - 1 { product = (2 * sum) % 37 }
        }
        return last == 1
    }

    static func caseView(_ app: Application, _ id: UUID, token: String) async throws -> CaseView {
        let res = try await call(app, .GET, "/api/v1/cases/\(id)", token: token)
        XCTAssertEqual(res.status, .ok, res.body.string)
        return try res.content.decode(CaseView.self)
    }

    static func platform(_ app: Application) throws -> DomainContext { try DomainContext.platform(app, job: "test") }
}

// MARK: - Tests

final class LicenceTests: XCTestCase {
    // MARK: 1. Issue

    func testApprovalIssuesASealedLicenceIntoTheWallet() async throws {
        try await withApp { app, _ in
            let (caseID, identifier, token) = try await LicenceKit.issue(app)

            let wallet = try await LicenceKit.wallet(app, token: token)
            XCTAssertEqual(wallet.count, 1)
            XCTAssertEqual(wallet.first?.name, LicenceKit.name)
            XCTAssertEqual(wallet.first?.status, "valid")
            XCTAssertEqual(wallet.first?.statusName, "有效")
            XCTAssertEqual(wallet.first?.issuer, "福州市市场监督管理局")
            XCTAssertEqual(wallet.first?.issuedOn, "2026-11-22")
            XCTAssertEqual(wallet.first?.validUntil, "2031-11-21", "five years from the day of issue, to the day before the anniversary")

            let view = try await LicenceKit.show(app, identifier, token: token)
            let document = view.document
            // The identifier: root, type code, issuer, year + serial, version, a correct check character.
            XCTAssertEqual(document.identifier, identifier)
            let parsed = try LicenceIdentifier(document.identifier)
            XCTAssertEqual(parsed.typeCode, LicenceKit.typeCode)
            XCTAssertEqual(parsed.issuerCode, Fixtures.cityDepartment)
            XCTAssertEqual(parsed.serial, "2026000001")
            XCTAssertEqual(parsed.version, 1)
            XCTAssertEqual(parsed.description, identifier)
            XCTAssertTrue(identifier.hasPrefix("1.2.156.3005.2.\(LicenceKit.typeCode).\(Fixtures.cityDepartment).2026000001.001."), identifier)
            XCTAssertTrue(LicenceKit.checkCharacterIsValid(identifier), "MOD 37,36 check character of \(identifier)")
            // Every other check character is refused.
            let body = String(identifier.dropLast())
            for other in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" where String(other) != String(identifier.last!) {
                XCTAssertThrowsError(try LicenceIdentifier(body + String(other)), "check character \(other)")
            }

            XCTAssertEqual(document.typeCode, LicenceKit.typeCode)
            XCTAssertEqual(document.name, LicenceKit.name)
            XCTAssertEqual(document.holder.name, "张明")
            XCTAssertEqual(document.holder.code, citizenID, "the holder sees their own ID number")
            XCTAssertEqual(document.holder.codeType, "居民身份证")
            XCTAssertEqual(document.issuerCode, Fixtures.cityDepartment)
            XCTAssertEqual(document.issuerName, "福州市市场监督管理局")
            XCTAssertEqual(document.issuedOn, "2026-11-22")
            XCTAssertEqual(document.validFrom, "2026-11-22")
            XCTAssertEqual(document.validUntil, "2031-11-21")
            XCTAssertNil(document.previous)
            let face = Dictionary(uniqueKeysWithValues: document.face.map { ($0.key, $0.value) })
            XCTAssertEqual(document.face.map(\.key), ["operator", "principal", "businessKind", "decidedOn", "issuer"], "the type's order")
            XCTAssertEqual(face["operator"], "张明", "form.applicantName")
            XCTAssertEqual(face["principal"], "张明", "holder.name")
            XCTAssertEqual(face["businessKind"], "预包装食品销售", "form.businessKind")
            XCTAssertEqual(face["decidedOn"], "2026-11-22", "decision.date")
            XCTAssertEqual(face["issuer"], "福州市市场监督管理局", "issuer.name")
            XCTAssertEqual(document.face.first?.label, "经营者名称")

            // The number is the case's result document.
            let record = try await CaseRecord.find(caseID, on: app.db)
            XCTAssertEqual(record?.state, .approved)
            XCTAssertEqual(document.number, "350100" + "2026000001")
            XCTAssertEqual(record?.resultDocument, document.number)
            XCTAssertEqual(view.caseID, caseID)
            XCTAssertEqual(view.verificationURL, "http://localhost:8080/verify/" + identifier)
            XCTAssertEqual(view.versions.map(\.identifier), [identifier])
            XCTAssertEqual(view.status.status, .valid)

            // Sealed by the department's active seal, over the canonical bytes it carries.
            let seals = try await LicenceKit.seals(app)
            let departmentSeal = seals.first { $0.ownerCode == Fixtures.cityDepartment && $0.state == "active" }
            XCTAssertNotNil(departmentSeal)
            XCTAssertEqual(document.keyID, departmentSeal?.keyID)
            XCTAssertEqual(document.algorithm, "SM2-with-SM3")
            XCTAssertEqual(document.userID, "1234567812345678")
            XCTAssertEqual(Data(base64Encoded: document.canonical), Data(document.canonicalBytes))
            let canonical = String(decoding: document.canonicalBytes, as: UTF8.self)
            XCTAssertTrue(canonical.hasPrefix("YIWANG-LICENCE/1\nidentifier=\(identifier)\ntypeCode=\(LicenceKit.typeCode)\n"), canonical)
            XCTAssertTrue(canonical.hasSuffix("face.issuer=福州市市场监督管理局\n"), canonical)
            let certificate = try SealCertificate(pem: try XCTUnwrap(departmentSeal?.certificate))
            let signature = try XCTUnwrap(Data(base64Encoded: document.signature))
            XCTAssertTrue(try certificate.publicKey.verify(signature: Array(signature), message: document.canonicalBytes))

            // The trail and the applicant's messages.
            let issues = try await AuditEventRecord.query(on: app.db).filter(\.$action == "licence.issue").all()
            XCTAssertEqual(issues.count, 1)
            XCTAssertEqual(issues.first?.subjectID, identifier)
            let notices = try await OutboxRecord.query(on: app.db).filter(\.$subject == "电子证照已制发：食品经营许可证").all()
            XCTAssertEqual(Set(notices.map(\.channel)), ["inbox", "sms"])
            XCTAssertTrue(notices.allSatisfy { $0.body.contains(identifier) && $0.body.contains(document.number) })
            _ = try await OutboxDispatcher(app: app).runOnce()
            let inbox = try await call(app, .GET, "/api/v1/me/inbox", token: token)
            XCTAssertEqual(inbox.status, .ok, inbox.body.string)
            XCTAssertTrue(inbox.body.string.contains("电子证照已制发"), inbox.body.string)

            // The issue is in the licence's own log.
            let uses = try await call(app, .GET, "/api/v1/licences/\(identifier)/uses", token: token)
            XCTAssertEqual(uses.status, .ok, uses.body.string)
            XCTAssertEqual(try uses.content.decode([LicenceAPIController.UseView].self).map(\.kind), ["issued"])
        }
    }

    func testCasesWhoseItemIssuesNoLicenceTypeIssueNone() async throws {
        try await withApp { app, _ in
            // No licence type at all: the approval issues nothing.
            _ = try await makeCase(app, .approved)
            var count = try await LicenceRecord.query(on: app.db).count()
            XCTAssertEqual(count, 0)
            // A type wired to the food item only: the workshop item's approval issues nothing.
            try await LicenceKit.define(app)
            let workshop = try await makeCase(app, .approved, item: workshopCode)
            XCTAssertEqual(workshop.state, .approved)
            count = try await LicenceRecord.query(on: app.db).count()
            XCTAssertEqual(count, 0)
            let token = try await applicantToken(app, citizenID)
            let wallet = try await LicenceKit.wallet(app, token: token)
            XCTAssertTrue(wallet.isEmpty)
            let issued = try await auditCount(app, "licence.issue")
            XCTAssertEqual(issued, 0)
            // The food item's next approval does issue.
            _ = try await makeCase(app, .approved)
            count = try await LicenceRecord.query(on: app.db).count()
            XCTAssertEqual(count, 1)
        }
    }

    func testAFaceValueMissingFromTheFormRefusesTheApprovalWhole() async throws {
        try await withApp { app, _ in
            try await LicenceKit.define(app, [LicenceKit.foodType(extraFields: [FaceField(key: "area", label: "经营场所面积", source: "form.hotFoodArea")])])
            let record = try await makeCase(app, .underReview)
            let approver = try await staffToken(app, "approver", cityApprover)
            let res = try await move(app, try record.requireID(), .approve, token: approver)
            XCTAssertEqual(res.status, .conflict, res.body.string)
            XCTAssertEqual(try problem(res).code, "licence.face_missing")
            let after = try await CaseRecord.find(record.requireID(), on: app.db)
            XCTAssertEqual(after?.state, .underReview, "the approval rolled back with the licence")
            let licences = try await LicenceRecord.query(on: app.db).count()
            XCTAssertEqual(licences, 0)
        }
    }

    func testABrokenLicenceTypeIsRefused() async throws {
        try await withApp { app, _ in
            let ctx = try LicenceKit.platform(app)
            for broken in [
                LicenceKit.foodType(code: "11100000000013338W01"),  // 20 characters
                LicenceKit.foodType(code: "11100000000013338X011"),  // wrong credit check character
                LicenceKit.foodType(extraFields: [FaceField(key: "x", label: "未知", source: "registry.name")]),
            ] {
                do {
                    try await LicenceService(ctx).save(types: [broken])
                    XCTFail("accepted \(broken.code)")
                } catch let error as DomainError {
                    XCTAssertEqual(error.code, "licence.type_invalid")
                }
            }
            let res = try await call(app, .GET, "/api/v1/licence-types")
            XCTAssertEqual(try res.content.decode([LicenceType].self).count, 0)
            try await LicenceKit.define(app)
            let types = try await call(app, .GET, "/api/v1/licence-types").content.decode([LicenceType].self)
            XCTAssertEqual(types, [LicenceKit.foodType()])
        }
    }

    func testACompanysLicenceIsIssuedOverHTTPToTheCompanysWallet() async throws {
        try await withApp { app, _ in
            try await LicenceKit.define(app)
            // The company registers; its legal representative is 张明, who also has his own account.
            try await registerPerson(app)
            let registered = try await call(
                app, .POST, "/api/v1/register/company",
                json: RegisterCompanyRequest(
                    creditCode: companyCode, name: "贵阳云数科技有限公司", legalRepresentative: .init(idNumber: citizenID, name: "张明", phone: nil),
                    password: "Company-Pass-2026"))
            XCTAssertEqual(registered.status, .created, registered.body.string)
            let companyID = try registered.content.decode(ApplicantView.self).id
            let company = try await applicantToken(app, companyCode, password: "Company-Pass-2026")
            // Two agents: one who may only follow cases, one who may also receive licences.
            for (id, name, powers) in [(agentID, "李华", [AgentPower.viewCases]), ("110101199003074514", "王芳", [.viewCases, .receiveLicences])] {
                let res = try await call(app, .POST, "/api/v1/me/agents", token: company, json: AgentRequest(idNumber: id, name: name, powers: powers))
                XCTAssertEqual(res.status, .created, res.body.string)
            }
            try await registerPerson(app, id: agentID, name: "李华", phone: "13800000002")
            try await registerPerson(app, id: "110101199003074514", name: "王芳", phone: "13800000009")

            // Filed, accepted, reviewed and approved over HTTP.
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let approver = try await staffToken(app, "approver", cityApprover)
            let id = try await fileCase(app, token: company)
            try await supplyMaterials(app, id, token: company)
            try await expect(app, id, .accept, token: clerk, becomes: .accepted)
            try await expect(app, id, .review, token: approver, becomes: .underReview)
            try await expect(app, id, .approve, token: approver, becomes: .approved)

            let wallet = try await LicenceKit.wallet(app, token: company)
            XCTAssertEqual(wallet.count, 1)
            let identifier = try XCTUnwrap(wallet.first?.identifier)
            let view = try await LicenceKit.show(app, identifier, token: company)
            XCTAssertEqual(view.document.holder.name, "贵阳云数科技有限公司")
            XCTAssertEqual(view.document.holder.code, companyCode)
            XCTAssertEqual(view.document.holder.codeType, "统一社会信用代码")
            XCTAssertEqual(view.caseID, id)
            let caseView = try await LicenceKit.caseView(app, id, token: company)
            XCTAssertEqual(caseView.resultDocument, view.document.number)

            // The representative's own wallet is his; acting for the company he sees the company's.
            let own = try await applicantToken(app, citizenID)
            let personal = try await LicenceKit.wallet(app, token: own)
            XCTAssertTrue(personal.isEmpty)
            var res = try await call(app, .GET, "/api/v1/licences/\(identifier)", token: own)
            XCTAssertEqual(res.status, .notFound, res.body.string)
            let representative = try await applicantToken(app, citizenID, actingFor: companyID)
            let represented = try await LicenceKit.wallet(app, token: representative)
            XCTAssertEqual(represented.map(\.identifier), [identifier])
            // An agent with the power to receive licences sees and shares it; one without does not.
            let receiver = try await applicantToken(app, "110101199003074514", actingFor: companyID)
            let received = try await LicenceKit.wallet(app, token: receiver)
            XCTAssertEqual(received.map(\.identifier), [identifier])
            res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: receiver, json: LicenceKit.ShareBody(recipient: "某银行", hours: 1))
            XCTAssertEqual(res.status, .created, res.body.string)
            let follower = try await applicantToken(app, agentID, actingFor: companyID)
            res = try await call(app, .GET, "/api/v1/me/licences", token: follower)
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)", token: follower)
            XCTAssertEqual(res.status, .notFound, res.body.string)
            res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: follower, json: LicenceKit.ShareBody(recipient: "某银行", hours: 1))
            XCTAssertEqual(res.status, .notFound, res.body.string)
        }
    }

    func testAnIdentifierMustBeWrittenInItsOneCanonicalForm() async throws {
        try await withApp { app, _ in
            let (_, identifier, _) = try await LicenceKit.issue(app)
            let parsed = try LicenceIdentifier(identifier)
            // GB/T 36904: the version is three digits. "+01" is not a version, even though Int("+01") == 1.
            let signed = [LicenceIdentifier.root, parsed.typeCode, parsed.issuerCode, parsed.serial, "+01", String(parsed.checkCharacter)].joined(separator: ".")
            XCTAssertThrowsError(try LicenceIdentifier(signed), "\(signed) parsed as \(identifier)")
            let res = try await call(app, .GET, "/api/v1/licences/\(signed)/verification")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
        }
    }

    // MARK: 2. Public verification

    func testPublicVerificationOfStatusAndOfPresentedDocuments() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document

            // The status page's data: valid, masked holder, no ID number, no full name.
            let res = try await call(app, .GET, "/api/v1/licences/\(identifier)/verification")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let status = try res.content.decode(LicenceService.Status.self)
            XCTAssertEqual(status.status, .valid)
            XCTAssertEqual(status.statusName, "有效")
            XCTAssertEqual(status.identifier, identifier)
            XCTAssertEqual(status.name, LicenceKit.name)
            XCTAssertEqual(status.holder, "张*")
            XCTAssertEqual(status.issuer, "福州市市场监督管理局")
            XCTAssertEqual(status.validUntil, "2031-11-21")
            XCTAssertNil(status.revokedOn)
            XCTAssertNil(status.replacedBy)
            XCTAssertFalse(res.body.string.contains(citizenID), res.body.string)
            XCTAssertFalse(res.body.string.contains(String(citizenID.suffix(8))), "not even part of the ID number")
            XCTAssertFalse(res.body.string.contains("张明"), res.body.string)
            // The identifier is found however it is cased.
            let lower = try await LicenceKit.status(app, identifier.lowercased())
            XCTAssertEqual(lower.status, .valid)
            XCTAssertEqual(lower.identifier, identifier)

            // A presented document: as issued, valid.
            var verdict = try await LicenceKit.verify(app, document)
            XCTAssertEqual(verdict.result, "valid")
            XCTAssertEqual(verdict.resultName, "有效")
            XCTAssertEqual(verdict.status?.identifier, identifier)
            // One face value changed: tampered, whether or not the canonical text is recomputed.
            var changed = document
            changed.face[2].value = "热食类食品制售"
            verdict = try await LicenceKit.verify(app, changed)
            XCTAssertEqual(verdict.result, "tampered")
            changed.canonical = Data(changed.canonicalBytes).base64EncodedString()
            verdict = try await LicenceKit.verify(app, changed)
            XCTAssertEqual(verdict.result, "tampered")
            changed.canonical = ""
            verdict = try await LicenceKit.verify(app, changed)
            XCTAssertEqual(verdict.result, "tampered")
            // Another field (the validity) extended by the holder: tampered.
            var extended = document
            extended.validUntil = "2099-12-31"
            extended.canonical = Data(extended.canonicalBytes).base64EncodedString()
            verdict = try await LicenceKit.verify(app, extended)
            XCTAssertEqual(verdict.result, "tampered")
            // A signature that is not base64 or not this document's: tampered.
            var badSignature = document
            badSignature.signature = "not base64!"
            verdict = try await LicenceKit.verify(app, badSignature)
            XCTAssertEqual(verdict.result, "tampered")
            // A key the city never published: unknown-key.
            var unknownKey = document
            unknownKey.keyID = String(repeating: "ab", count: 16)
            verdict = try await LicenceKit.verify(app, unknownKey)
            XCTAssertEqual(verdict.result, "unknown-key")
            XCTAssertEqual(verdict.resultName, "签章密钥不明")
            // The root's key id does not seal licences.
            let root = try await LicenceKit.seals(app).first { $0.role == "root" }
            var rootKey = document
            rootKey.keyID = try XCTUnwrap(root?.keyID)
            verdict = try await LicenceKit.verify(app, rootKey)
            XCTAssertEqual(verdict.result, "unknown-key")

            // A malformed identifier is a 400 problem, never a 500.
            for bad in ["garbage", "1.2.156.3005.2.X", String(identifier.dropLast()) + (identifier.last == "0" ? "1" : "0")] {
                let answer = try await call(app, .GET, "/api/v1/licences/\(bad)/verification")
                XCTAssertEqual(answer.status, .badRequest, "\(bad): \(answer.body.string)")
                XCTAssertTrue(try problem(answer).code.hasPrefix("licence."))
            }
            let wrongCheck = try await call(app, .GET, "/api/v1/licences/\(String(identifier.dropLast()) + (identifier.last == "0" ? "1" : "0"))/verification")
            XCTAssertEqual(try problem(wrongCheck).code, "licence.identifier_check")
            // A well-formed identifier nobody issued: unknown.
            let unissued = try LicenceIdentifier(typeCode: LicenceKit.typeCode, issuerCode: Fixtures.cityDepartment, serial: "2026999999", version: 1)
            let unknown = try await LicenceKit.status(app, unissued.description)
            XCTAssertEqual(unknown.status, .unknown)
            XCTAssertNil(unknown.name)
            XCTAssertNil(unknown.holder)
            // A well-signed document under a forged identifier: the signature does not cover it.
            var forged = document
            forged.identifier = unissued.description
            verdict = try await LicenceKit.verify(app, forged)
            XCTAssertEqual(verdict.result, "tampered")
            // A document whose identifier does not even parse: a verdict, not a crash.
            var unparsable = document
            unparsable.identifier = "garbage"
            let answer = try await call(app, .POST, "/api/v1/licences/verification", json: unparsable)
            XCTAssertTrue([.ok, .badRequest].contains(answer.status), answer.body.string)
            if answer.status == .ok { XCTAssertEqual(try answer.content.decode(LicenceKit.Verdict.self).result, "tampered") }
        }
    }

    func testALicenceExpiresTheDayAfterItsValidity() async throws {
        try await withApp { app, clock in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document
            clock.set(Fixtures.date("2031-11-21"))
            var status = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(status.status, .valid, "the last day of validity")
            clock.set(Fixtures.date("2031-11-22"))
            status = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(status.status, .expired)
            XCTAssertEqual(status.statusName, "已过期")
            let verdict = try await LicenceKit.verify(app, document)
            XCTAssertEqual(verdict.result, "expired")
            // The wallet says so; an expired licence is not shared, but its issuer may renew it.
            let holder = try await applicantToken(app, citizenID)
            let wallet = try await LicenceKit.wallet(app, token: holder)
            XCTAssertEqual(wallet.map(\.status), ["expired"])
            var res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: holder, json: LicenceKit.ShareBody(recipient: "某银行", hours: 1))
            XCTAssertEqual(res.status, .conflict, res.body.string)
            XCTAssertEqual(try problem(res).code, "licence.not_valid")
            let approver = try await staffToken(app, "approver", cityApprover)
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "renew", reason: "延续")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let renewed = try res.content.decode(LicenceAPIController.LicenceView.self).document
            XCTAssertEqual(renewed.validFrom, "2031-11-22")
            XCTAssertEqual(renewed.validUntil, "2036-11-21")
            let renewedVerdict = try await LicenceKit.verify(app, renewed)
            XCTAssertEqual(renewedVerdict.result, "valid")
            _ = token
        }
    }

    func testConcurrentApprovalsGetDistinctSerialsAndOneSeal() async throws {
        try await withApp { app, _ in
            try await LicenceKit.define(app)
            var ids: [UUID] = []
            for _ in 0..<6 { ids.append(try await makeCase(app, .underReview).requireID()) }
            let approver = try await staffToken(app, "approver", cityApprover)
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for id in ids { group.addTask { try await move(app, id, .approve, token: approver).status } }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses, Array(repeating: .ok, count: 6))
            let licences = try await LicenceRecord.query(on: app.db).all()
            XCTAssertEqual(licences.count, 6)
            let serials = try licences.map { try LicenceIdentifier($0.identifier).serial }
            XCTAssertEqual(Set(serials), Set((1...6).map { "2026" + String(format: "%06d", $0) }))
            XCTAssertEqual(Set(licences.compactMap(\.caseID)), Set(ids))
            let seals = try await LicenceKit.seals(app)
            XCTAssertEqual(seals.filter { $0.role == "root" }.count, 1)
            XCTAssertEqual(seals.filter { $0.role == "seal" }.count, 1)
            let token = try await applicantToken(app, citizenID)
            for licence in licences {
                let document = try await LicenceKit.show(app, licence.identifier, token: token).document
                let verdict = try await LicenceKit.verify(app, document)
                XCTAssertEqual(verdict.result, "valid")
            }
        }
    }

    func testFaceLabelsOfAPresentedDocumentCannotBeChanged() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document
            // What a verifier reads is "label: value". A forger relabels the business field as a
            // different fact, and swaps the labels of two others; the values and their order stay.
            var relabelled = document
            relabelled.face[2].label = "注册资本(万元)"
            var verdict = try await LicenceKit.verify(app, relabelled)
            XCTAssertEqual(verdict.result, "tampered", "a face label not as issued is a forgery, yet it verified \(verdict.result)")
            var swapped = document
            (swapped.face[0].label, swapped.face[1].label) = (swapped.face[1].label, swapped.face[0].label)
            verdict = try await LicenceKit.verify(app, swapped)
            XCTAssertEqual(verdict.result, "tampered", "swapped labels verified \(verdict.result)")
            // The document as issued still verifies.
            verdict = try await LicenceKit.verify(app, document)
            XCTAssertEqual(verdict.result, "valid")
        }
    }

    // MARK: 3. The stock openssl CLI verifies the seal

    func testTheStockOpenSSLCommandLineVerifiesCertificateAndSignature() async throws {
        let openssl = "/usr/bin/openssl"
        guard FileManager.default.isExecutableFile(atPath: openssl) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail("CI must have /usr/bin/openssl"); return }
            throw XCTSkip("/usr/bin/openssl is not installed")
        }
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document
            let seals = try await LicenceKit.seals(app)
            let root = try XCTUnwrap(seals.first { $0.role == "root" })
            let seal = try XCTUnwrap(seals.first { $0.keyID == document.keyID })
            XCTAssertEqual(seal.role, "seal")

            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("licence-openssl-" + UUID().uuidString)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
            try Data(root.certificate.utf8).write(to: URL(fileURLWithPath: path("root.pem")))
            try Data(seal.certificate.utf8).write(to: URL(fileURLWithPath: path("seal.pem")))
            try XCTUnwrap(Data(base64Encoded: document.canonical)).write(to: URL(fileURLWithPath: path("canonical.txt")))
            try XCTUnwrap(Data(base64Encoded: document.signature)).write(to: URL(fileURLWithPath: path("sig.der")))

            func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: openssl)
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                process.standardError = pipe
                try process.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                return (process.terminationStatus, String(decoding: data, as: UTF8.self))
            }

            let chain = try run(["verify", "-CAfile", path("root.pem"), "-vfyopt", "distid:1234567812345678", path("seal.pem")])
            XCTAssertEqual(chain.status, 0, chain.output)
            XCTAssertTrue(chain.output.contains("OK"), chain.output)
            let subject = try run(["x509", "-in", path("seal.pem"), "-noout", "-subject", "-nameopt", "utf8"])
            XCTAssertTrue(subject.output.contains("福州市市场监督管理局"), subject.output)
            let key = try run(["x509", "-in", path("seal.pem"), "-pubkey", "-noout"])
            XCTAssertEqual(key.status, 0, key.output)
            try Data(key.output.utf8).write(to: URL(fileURLWithPath: path("pub.pem")))
            let verified = try run([
                "dgst", "-sm3", "-verify", path("pub.pem"), "-sigopt", "distid:1234567812345678", "-signature", path("sig.der"), path("canonical.txt"),
            ])
            XCTAssertEqual(verified.status, 0, verified.output)
            XCTAssertTrue(verified.output.contains("Verified OK"), verified.output)

            // The same signature over one changed byte fails.
            var bytes = document.canonicalBytes
            bytes[bytes.count - 2] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: path("changed.txt")))
            let refused = try run([
                "dgst", "-sm3", "-verify", path("pub.pem"), "-sigopt", "distid:1234567812345678", "-signature", path("sig.der"), path("changed.txt"),
            ])
            XCTAssertNotEqual(refused.status, 0, refused.output)
            XCTAssertFalse(refused.output.contains("Verified OK"), refused.output)
            // Without the root, the department certificate does not verify.
            let alone = try run(["verify", "-vfyopt", "distid:1234567812345678", "-CAfile", path("seal.pem"), path("seal.pem")])
            XCTAssertNotEqual(alone.status, 0, alone.output)
        }
    }

    // MARK: 4. Revocation

    func testTheIssuingDepartmentsApproverRevokesWithAReason() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document
            let approver = try await staffToken(app, "approver", cityApprover)
            let stranger = try await staffToken(app, "district-approver", LicenceKit.districtApprover)
            let clerk = try await staffToken(app, "clerk", cityClerk)

            // Not the holder, not another department, not a clerk, not without a reason.
            var res = try await LicenceKit.change(app, identifier, token: token, kind: "revoke", reason: "自行注销")
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            _ = try problem(res)
            res = try await LicenceKit.change(app, identifier, token: stranger, kind: "revoke", reason: "越权")
            XCTAssertTrue([.forbidden, .notFound].contains(res.status), res.body.string)
            _ = try problem(res)
            res = try await LicenceKit.change(app, identifier, token: clerk, kind: "revoke", reason: "窗口")
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            res = try await call(app, .POST, "/api/v1/licences/\(identifier)/changes", json: LicenceKit.ChangeBody(kind: "revoke", reason: "匿名"))
            XCTAssertEqual(res.status, .unauthorized, res.body.string)
            for reason in [nil, "", "   ", String(repeating: "理", count: 501)] {
                res = try await LicenceKit.change(app, identifier, token: approver, kind: "revoke", reason: reason)
                XCTAssertEqual(res.status, .badRequest, res.body.string)
                XCTAssertEqual(try problem(res).code, "licence.reason_required")
            }
            var status = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(status.status, .valid, "nothing changed so far")

            res = try await LicenceKit.change(app, identifier, token: approver, kind: "revoke", reason: "经营场所已灭失")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let view = try res.content.decode(LicenceAPIController.LicenceView.self)
            XCTAssertEqual(view.document.identifier, identifier)
            XCTAssertEqual(view.status.status, .revoked)

            status = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(status.status, .revoked)
            XCTAssertEqual(status.statusName, "已注销")
            XCTAssertEqual(status.reason, "经营场所已灭失")
            XCTAssertEqual(status.revokedOn, "2026-11-22")
            XCTAssertNil(status.replacedBy)
            let verdict = try await LicenceKit.verify(app, document)
            XCTAssertEqual(verdict.result, "revoked")
            XCTAssertEqual(verdict.status?.reason, "经营场所已灭失")
            let wallet = try await LicenceKit.wallet(app, token: token)
            XCTAssertEqual(wallet.map(\.status), ["revoked"])
            XCTAssertEqual(wallet.map(\.statusName), ["已注销"])

            // Recorded, told, and not twice.
            let revocations = try await auditCount(app, "licence.revoke")
            XCTAssertEqual(revocations, 1)
            let told = try await OutboxRecord.query(on: app.db).filter(\.$subject == "电子证照注销通知").all()
            XCTAssertEqual(Set(told.map(\.channel)), ["inbox", "sms"])
            XCTAssertTrue(told.allSatisfy { $0.body.contains("经营场所已灭失") })
            let uses = try await call(app, .GET, "/api/v1/licences/\(identifier)/uses", token: token).content.decode([LicenceAPIController.UseView].self)
            XCTAssertTrue(uses.map(\.kind).contains("revoked"))
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "revoke", reason: "再次注销")
            XCTAssertEqual(res.status, .conflict, res.body.string)
            XCTAssertEqual(try problem(res).code, "licence.not_active")
            // A revoked licence is neither renewed nor shared.
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "renew")
            XCTAssertEqual(res.status, .conflict, res.body.string)
            res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, json: LicenceKit.ShareBody(recipient: "某银行", hours: 1))
            XCTAssertEqual(res.status, .conflict, res.body.string)
        }
    }

    // MARK: 5. Renewal and change

    func testAChangeOfFaceDataMakesALinkedNewVersion() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let original = try await LicenceKit.show(app, identifier, token: token).document
            let approver = try await staffToken(app, "approver", cityApprover)

            // What a change must be.
            var res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", changes: ["nickname": "新"])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "licence.face_unknown")
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", changes: [:])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "licence.no_change")
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "change")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", changes: ["businessKind": "  "])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", changes: ["businessKind": String(repeating: "长", count: 201)])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "explode")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            let stillOne = try await LicenceRecord.query(on: app.db).count()
            XCTAssertEqual(stillOne, 1)

            res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", reason: "经营项目变更", changes: ["businessKind": "热食类食品制售"])
            XCTAssertEqual(res.status, .ok, res.body.string)
            let changed = try res.content.decode(LicenceAPIController.LicenceView.self)
            let old = try LicenceIdentifier(identifier)
            let new = try LicenceIdentifier(changed.document.identifier)
            XCTAssertEqual(new.version, 2)
            XCTAssertEqual(new.versionText, "002")
            XCTAssertEqual(new.serial, old.serial)
            XCTAssertEqual(new.typeCode, old.typeCode)
            XCTAssertEqual(new.issuerCode, old.issuerCode)
            XCTAssertTrue(LicenceKit.checkCharacterIsValid(new.description))
            XCTAssertEqual(changed.document.previous, identifier)
            XCTAssertEqual(changed.document.number, original.number, "the printed number stays")
            XCTAssertEqual(changed.document.holder, original.holder)
            let face = Dictionary(uniqueKeysWithValues: changed.document.face.map { ($0.key, $0.value) })
            XCTAssertEqual(face["businessKind"], "热食类食品制售")
            XCTAssertEqual(face["operator"], "张明", "unchanged fields stay")
            XCTAssertEqual(changed.document.face.map(\.key), original.face.map(\.key))
            XCTAssertEqual(changed.status.status, .valid)
            XCTAssertEqual(changed.versions.map(\.identifier), [identifier, new.description])
            XCTAssertEqual(changed.versions.map(\.status), ["superseded", "active"])
            XCTAssertEqual(Data(base64Encoded: changed.document.canonical), Data(changed.document.canonicalBytes))

            // The old version: revoked, replaced by the new; the new one verifies.
            let oldStatus = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(oldStatus.status, .revoked)
            XCTAssertEqual(oldStatus.replacedBy, new.description)
            var verdict = try await LicenceKit.verify(app, original)
            XCTAssertEqual(verdict.result, "revoked")
            verdict = try await LicenceKit.verify(app, changed.document)
            XCTAssertEqual(verdict.result, "valid")
            let newStatus = try await LicenceKit.status(app, new.description)
            XCTAssertEqual(newStatus.status, .valid)
            XCTAssertNil(newStatus.replacedBy)

            // The wallet holds both; the old one's view lists both versions.
            let wallet = try await LicenceKit.wallet(app, token: token)
            XCTAssertEqual(Set(wallet.map(\.identifier)), [identifier, new.description])
            XCTAssertEqual(wallet.first { $0.identifier == identifier }?.statusName, "已换发新版")
            XCTAssertEqual(wallet.first { $0.identifier == new.description }?.status, "valid")
            let oldView = try await LicenceKit.show(app, identifier, token: token)
            XCTAssertEqual(oldView.versions.map(\.version), [1, 2])

            let newVersions = try await auditCount(app, "licence.newVersion")
            XCTAssertEqual(newVersions, 1)
            let told = try await OutboxRecord.query(on: app.db).filter(\.$subject == "电子证照换发通知").all()
            XCTAssertEqual(told.count, 2)
            XCTAssertTrue(told.allSatisfy { $0.body.contains(new.description) })

            // The old version can no longer be changed; unknown keys on the new one are still refused.
            res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", changes: ["businessKind": "预包装食品销售"])
            XCTAssertEqual(res.status, .conflict, res.body.string)
            res = try await LicenceKit.change(app, new.description, token: approver, kind: "change", changes: ["nickname": "x"])
            XCTAssertEqual(res.status, .badRequest, res.body.string)

            // Renewal: version 003, same face, a fresh validity.
            res = try await LicenceKit.change(app, new.description, token: approver, kind: "renew")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let renewed = try res.content.decode(LicenceAPIController.LicenceView.self)
            XCTAssertEqual(try LicenceIdentifier(renewed.document.identifier).version, 3)
            XCTAssertEqual(try LicenceIdentifier(renewed.document.identifier).serial, old.serial)
            XCTAssertEqual(renewed.document.previous, new.description)
            XCTAssertEqual(renewed.document.face, changed.document.face)
            XCTAssertEqual(renewed.versions.count, 3)
            let superseded = try await LicenceKit.status(app, new.description)
            XCTAssertEqual(superseded.replacedBy, renewed.document.identifier)
        }
    }

    func testFaceValuesWithLineBreaksCannotForgeOtherCanonicalLines() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let approver = try await staffToken(app, "approver", cityApprover)
            let res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", changes: ["businessKind": "预包装\nvalidUntil=2099-12-31\\n"])
            XCTAssertEqual(res.status, .ok, res.body.string)
            let document = try res.content.decode(LicenceAPIController.LicenceView.self).document
            let canonical = String(decoding: document.canonicalBytes, as: UTF8.self)
            XCTAssertEqual(canonical.split(separator: "\n").filter { $0.hasPrefix("validUntil=") }, ["validUntil=2031-11-21"])
            XCTAssertTrue(canonical.contains("face.businessKind=预包装\\nvalidUntil=2099-12-31\\\\n\n"), canonical)
            let verdict = try await LicenceKit.verify(app, document)
            XCTAssertEqual(verdict.result, "valid")
            _ = token
        }
    }

    // MARK: 6. Sharing

    func testTheHolderSharesALicenceForALimitedTime() async throws {
        try await withApp { app, clock in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            try await makeApplicant(app, agentID)
            let stranger = try await applicantToken(app, agentID)

            var res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, json: LicenceKit.ShareBody(recipient: "某银行", hours: 1))
            XCTAssertEqual(res.status, .created, res.body.string)
            let share = try res.content.decode(LicenceAPIController.ShareView.self)
            XCTAssertEqual(share.recipient, "某银行")
            XCTAssertEqual(share.expiresAt.timeIntervalSince(testToday), 3600, accuracy: 1)
            let url = try XCTUnwrap(share.url)
            XCTAssertTrue(url.hasPrefix("http://localhost:8080/s/"), url)
            let shareToken = String(url.dropFirst("http://localhost:8080/s/".count))
            XCTAssertEqual(shareToken.count, 43)
            // Only the token's hash is kept.
            let stored = try await LicenceShareRecord.query(on: app.db).all()
            XCTAssertEqual(stored.count, 1)
            XCTAssertNotEqual(stored.first?.tokenHash, shareToken)
            XCTAssertFalse(stored.first?.tokenHash.contains(shareToken) ?? true)

            // The recipient reads it without an account: the document and the page.
            res = try await call(app, .GET, "/api/v1/shared-licences/\(shareToken)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let shared = try res.content.decode(LicenceDocument.self)
            XCTAssertEqual(shared.identifier, identifier)
            var verdict = try await LicenceKit.verify(app, shared)
            XCTAssertEqual(verdict.result, "valid")
            res = try await call(app, .GET, "/s/\(shareToken)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains(LicenceKit.name))
            XCTAssertTrue(res.body.string.contains("某银行"))
            XCTAssertTrue(res.body.string.contains(shared.number))
            XCTAssertFalse(res.body.string.contains(citizenID), "the page masks the ID number")
            XCTAssertEqual(res.headers.first(name: .cacheControl), "no-store")
            // Tokens that are not this one find nothing.
            var wrong = Array(shareToken)
            wrong[0] = wrong[0] == "A" ? "B" : "A"
            res = try await call(app, .GET, "/api/v1/shared-licences/\(String(wrong))")
            XCTAssertEqual(res.status, .notFound, res.body.string)

            // The holder's list of shares counts the views (two so far).
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)/shares", token: token)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let listed = try res.content.decode([LicenceAPIController.ShareView].self)
            XCTAssertEqual(listed.map(\.views), [2])
            XCTAssertNil(listed.first?.url, "the token is shown only once")

            // A stranger neither sees nor shares nor withdraws it.
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)", token: stranger)
            XCTAssertEqual(res.status, .notFound, res.body.string)
            _ = try problem(res)
            res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: stranger, json: LicenceKit.ShareBody(recipient: "骗子", hours: 1))
            XCTAssertEqual(res.status, .notFound, res.body.string)
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)/uses", token: stranger)
            XCTAssertEqual(res.status, .notFound, res.body.string)
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)/shares", token: stranger)
            XCTAssertEqual(res.status, .notFound, res.body.string)
            res = try await call(app, .DELETE, "/api/v1/licences/\(identifier)/shares/\(share.id)", token: stranger)
            XCTAssertEqual(res.status, .notFound, res.body.string)
            let strangerWallet = try await LicenceKit.wallet(app, token: stranger)
            XCTAssertTrue(strangerWallet.isEmpty)
            let shares = try await LicenceShareRecord.query(on: app.db).count()
            XCTAssertEqual(shares, 1)
            res = try await call(app, .GET, "/api/v1/shared-licences/\(shareToken)")
            XCTAssertEqual(res.status, .ok, "the stranger's withdrawal did nothing")

            // An hour later the link is dead.
            clock.advance(by: 3601)
            res = try await call(app, .GET, "/api/v1/shared-licences/\(shareToken)")
            XCTAssertEqual(res.status, .notFound, res.body.string)
            XCTAssertEqual(try problem(res).code, "licence.share_not_found")
            res = try await call(app, .GET, "/s/\(shareToken)")
            XCTAssertEqual(res.status, .notFound)

            // A withdrawn link is dead at once.
            res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, json: LicenceKit.ShareBody(recipient: "房东", hours: nil))
            XCTAssertEqual(res.status, .created, res.body.string)
            let second = try res.content.decode(LicenceAPIController.ShareView.self)
            XCTAssertEqual(second.expiresAt.timeIntervalSince(clock.now()), 24 * 3600, accuracy: 1, "the default is a day")
            let secondToken = String(try XCTUnwrap(second.url).split(separator: "/").last!)
            res = try await call(app, .GET, "/api/v1/shared-licences/\(secondToken)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await call(app, .DELETE, "/api/v1/licences/\(identifier)/shares/\(second.id)", token: token)
            XCTAssertEqual(res.status, .noContent, res.body.string)
            res = try await call(app, .GET, "/api/v1/shared-licences/\(secondToken)")
            XCTAssertEqual(res.status, .notFound, res.body.string)
            res = try await call(app, .GET, "/s/\(secondToken)")
            XCTAssertEqual(res.status, .notFound)
            res = try await call(app, .DELETE, "/api/v1/licences/\(identifier)/shares/\(second.id)", token: token)
            XCTAssertEqual(res.status, .noContent, "withdrawing twice is harmless")
            res = try await call(app, .DELETE, "/api/v1/licences/\(identifier)/shares/\(UUID())", token: token)
            XCTAssertEqual(res.status, .notFound)

            // The licence's log, as the holder sees it.
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)/uses", token: token)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let uses = try res.content.decode([LicenceAPIController.UseView].self)
            let kinds = uses.map(\.kind)
            for kind in ["issued", "shared", "shareViewed", "shareWithdrawn"] { XCTAssertTrue(kinds.contains(kind), "\(kind) in \(kinds)") }
            XCTAssertEqual(kinds.filter { $0 == "shared" }.count, 2)
            XCTAssertEqual(kinds.filter { $0 == "shareWithdrawn" }.count, 1, "the second withdrawal logged nothing")
            XCTAssertEqual(kinds.filter { $0 == "shareViewed" }.count, 4, "the API twice and the page once for the first link, the API once for the second")
            XCTAssertTrue(uses.contains { $0.kind == "shareViewed" && $0.party == "某银行" })
            let shareAudits = try await auditCount(app, "licence.share")
            XCTAssertEqual(shareAudits, 2)
            let unshareAudits = try await auditCount(app, "licence.unshare")
            XCTAssertEqual(unshareAudits, 1)
            _ = verdict
            verdict = try await LicenceKit.verify(app, shared)
            XCTAssertEqual(verdict.result, "valid", "sharing does not change the licence")
        }
    }

    func testShareRequestsOutOfBoundsAreRefused() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            for hours in [0, -1, 721, Int.max] {
                let res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, json: LicenceKit.ShareBody(recipient: "某银行", hours: hours))
                XCTAssertEqual(res.status, .badRequest, "\(hours): \(res.body.string)")
                XCTAssertEqual(try problem(res).code, "licence.share_hours")
            }
            let res = try await call(
                app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, json: LicenceKit.ShareBody(recipient: String(repeating: "银", count: 101), hours: 1))
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            let none = try await LicenceShareRecord.query(on: app.db).count()
            XCTAssertEqual(none, 0)
        }
    }

    // MARK: 7. Staff access

    func testStaffOfTheIssuingDepartmentReadAndAreLoggedOthersFindNothing() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let otherClerk = try await staffToken(app, "district-clerk", LicenceKit.districtClerk)
            let otherApprover = try await staffToken(app, "district-approver", LicenceKit.districtApprover)

            let view = try await LicenceKit.show(app, identifier, token: clerk)
            XCTAssertEqual(view.document.identifier, identifier)
            let uses = try await call(app, .GET, "/api/v1/licences/\(identifier)/uses", token: token).content.decode([LicenceAPIController.UseView].self)
            let looks = uses.filter { $0.kind == "viewedByStaff" }
            XCTAssertEqual(looks.count, 1)
            XCTAssertEqual(looks.first?.party, "clerk")

            for other in [otherClerk, otherApprover] {
                let res = try await call(app, .GET, "/api/v1/licences/\(identifier)", token: other)
                XCTAssertEqual(res.status, .notFound, res.body.string)
                _ = try problem(res)
            }
            // A clerk is no holder: no shares, no holder's log.
            var res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: clerk, json: LicenceKit.ShareBody(recipient: "x", hours: 1))
            XCTAssertTrue([.forbidden, .notFound].contains(res.status), res.body.string)
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)/shares", token: clerk)
            XCTAssertTrue([.forbidden, .notFound].contains(res.status), res.body.string)
            // Staff have no wallet; the anonymous have no licence view.
            res = try await call(app, .GET, "/api/v1/me/licences", token: clerk)
            XCTAssertTrue([.forbidden, .notFound].contains(res.status), res.body.string)
            res = try await call(app, .GET, "/api/v1/licences/\(identifier)")
            XCTAssertEqual(res.status, .unauthorized, res.body.string)
            res = try await call(app, .GET, "/api/v1/me/licences")
            XCTAssertEqual(res.status, .unauthorized, res.body.string)
            let after = try await LicenceUseRecord.query(on: app.db).filter(\.$kind == "viewedByStaff").count()
            XCTAssertLessThanOrEqual(after, 3, "the refused staff left no look in the log (a clerk's refused share may)")
            let refusedLooks = try await LicenceUseRecord.query(on: app.db).filter(\.$kind == "viewedByStaff").filter(\.$party ~~ ["district-clerk", "district-approver"]).count()
            XCTAssertEqual(refusedLooks, 0)
        }
    }

    // MARK: 8. Seals

    func testSealsRotateAndRevoke() async throws {
        try await withApp { app, _ in
            let (_, first, token) = try await LicenceKit.issue(app)
            let firstDocument = try await LicenceKit.show(app, first, token: token).document
            var seals = try await LicenceKit.seals(app)
            XCTAssertEqual(seals.filter { $0.role == "root" }.count, 1)
            XCTAssertEqual(seals.filter { $0.role == "seal" }.count, 1)
            for seal in seals {
                XCTAssertTrue(seal.certificate.hasPrefix("-----BEGIN CERTIFICATE-----"), seal.certificate)
                XCTAssertTrue(seal.certificate.contains("-----END CERTIFICATE-----"))
                XCTAssertFalse(seal.certificate.contains("PRIVATE"))
                XCTAssertEqual(seal.state, "active")
            }
            let root = try XCTUnwrap(seals.first { $0.role == "root" })
            let original = try XCTUnwrap(seals.first { $0.role == "seal" })
            XCTAssertEqual(original.ownerCode, Fixtures.cityDepartment)
            XCTAssertEqual(original.owner, "福州市市场监督管理局")
            XCTAssertEqual(original.issuer, root.subject, "issued by the root")
            XCTAssertEqual(root.issuer, root.subject, "the root is self-signed")
            XCTAssertTrue(original.subject.contains(Fixtures.cityDepartment), original.subject)
            XCTAssertEqual(firstDocument.keyID, original.keyID)
            let sealsBody = try await call(app, .GET, "/api/v1/seals").body.string
            XCTAssertFalse(sealsBody.contains("PRIVATE KEY"))

            // Rotation: the old seal retires; what it sealed still verifies.
            let ctx = try LicenceKit.platform(app)
            let rotated = try await ctx.write { tx in try await Seals(ctx).issue(Fixtures.cityDepartment, on: tx) }
            XCTAssertNotEqual(rotated.keyID, original.keyID)
            seals = try await LicenceKit.seals(app)
            XCTAssertEqual(seals.first { $0.keyID == original.keyID }?.state, "retired")
            XCTAssertEqual(seals.first { $0.keyID == rotated.keyID }?.state, "active")
            let rotations = try await auditCount(app, "seal.rotate")
            XCTAssertEqual(rotations, 1)
            var status = try await LicenceKit.status(app, first)
            XCTAssertEqual(status.status, .valid)
            var verdict = try await LicenceKit.verify(app, firstDocument)
            XCTAssertEqual(verdict.result, "valid", "a retired seal's licences still verify")

            // The next licence is sealed with the new seal.
            let (_, second, _) = try await LicenceKit.issue(app, define: false)
            let secondDocument = try await LicenceKit.show(app, second, token: token).document
            XCTAssertEqual(secondDocument.keyID, rotated.keyID)
            XCTAssertEqual(try LicenceIdentifier(second).serial, "2026000002")
            verdict = try await LicenceKit.verify(app, secondDocument)
            XCTAssertEqual(verdict.result, "valid")

            // Revocation: the seal revoked today makes today's licences revoked; the retired
            // seal's older licence is untouched.
            let revoked = try await ctx.write { tx in try await Seals(ctx).revoke(keyID: rotated.keyID, reason: "私钥泄露", on: tx) }
            XCTAssertEqual(revoked.state, .revoked)
            status = try await LicenceKit.status(app, second)
            XCTAssertEqual(status.status, .revoked)
            XCTAssertNotNil(status.reason)
            verdict = try await LicenceKit.verify(app, secondDocument)
            XCTAssertEqual(verdict.result, "revoked")
            status = try await LicenceKit.status(app, first)
            XCTAssertEqual(status.status, .valid)
            seals = try await LicenceKit.seals(app)
            let published = seals.first { $0.keyID == rotated.keyID }
            XCTAssertEqual(published?.state, "revoked")
            XCTAssertEqual(published?.revokedReason, "私钥泄露")
            XCTAssertNotNil(published?.revokedAt)
            // A revocation needs a reason and happens once; the root is not revoked this way.
            do {
                _ = try await ctx.write { tx in try await Seals(ctx).revoke(keyID: rotated.keyID, reason: "again", on: tx) }
                XCTFail("revoked twice")
            } catch let error as DomainError { XCTAssertEqual(error.code, "seal.already_revoked") }
            do {
                _ = try await ctx.write { tx in try await Seals(ctx).revoke(keyID: root.keyID, reason: "test", on: tx) }
                XCTFail("revoked the root")
            } catch let error as DomainError { XCTAssertEqual(error.code, "seal.root_revocation") }

            // The department's next licence gets a fresh seal and verifies.
            let (_, third, _) = try await LicenceKit.issue(app, define: false)
            let thirdDocument = try await LicenceKit.show(app, third, token: token).document
            XCTAssertNotEqual(thirdDocument.keyID, rotated.keyID)
            XCTAssertNotEqual(thirdDocument.keyID, original.keyID)
            verdict = try await LicenceKit.verify(app, thirdDocument)
            XCTAssertEqual(verdict.result, "valid")
            seals = try await LicenceKit.seals(app)
            XCTAssertEqual(seals.filter { $0.ownerCode == Fixtures.cityDepartment && $0.state == "active" }.map(\.keyID), [thirdDocument.keyID])
            XCTAssertEqual(seals.filter { $0.role == "root" }.count, 1, "one root throughout")
        }
    }

    func testALicenceIsNeverSealedWithAnExpiredSealCertificate() async throws {
        try await withApp { app, clock in
            let (_, first, token) = try await LicenceKit.issue(app)
            let firstKey = try await LicenceKit.show(app, first, token: token).document.keyID
            let original = try await LicenceKit.seals(app).first { $0.keyID == firstKey }
            let notAfter = try XCTUnwrap(original?.notAfter)
            XCTAssertGreaterThan(notAfter, testToday)
            // A day after the department's seal certificate (three years) has expired, the next approval.
            clock.set(notAfter.addingTimeInterval(86_400))
            let (_, later, laterToken) = try await LicenceKit.issue(app, define: false)
            let document = try await LicenceKit.show(app, later, token: laterToken).document
            let seal = try await LicenceKit.seals(app).first { $0.keyID == document.keyID }
            let used = try XCTUnwrap(seal)
            XCTAssertLessThanOrEqual(used.notBefore, clock.now())
            XCTAssertGreaterThan(used.notAfter, clock.now(), "licence \(later) was sealed on \(document.issuedOn) with a certificate that expired \(used.notAfter)")
            XCTAssertNotEqual(document.keyID, firstKey, "the expired seal should have been rotated")
            // The older licence, sealed while its certificate was valid, still verifies.
            let older = try await LicenceKit.status(app, first)
            XCTAssertEqual(older.status, .valid)
        }
    }

    func testLicencesOfAnEndedRootStillVerifyAfterTheRootIsRenewed() async throws {
        try await withApp { app, clock in
            let (_, first, token) = try await LicenceKit.issue(app)
            let firstDocument = try await LicenceKit.show(app, first, token: token).document
            let initialSeals = try await LicenceKit.seals(app)
            let oldRoot = try XCTUnwrap(initialSeals.first { $0.role == "root" })
            // The root's twenty years are over: the next licence needs a new root and seal.
            clock.set(oldRoot.notAfter.addingTimeInterval(86_400))
            let (_, later, laterToken) = try await LicenceKit.issue(app, define: false)
            let laterDocument = try await LicenceKit.show(app, later, token: laterToken).document
            let seals = try await LicenceKit.seals(app)
            let roots = seals.filter { $0.role == "root" }
            XCTAssertEqual(roots.count, 2)
            XCTAssertEqual(roots.filter { $0.state == "active" }.count, 1, "one active root at a time")
            XCTAssertEqual(seals.first { $0.keyID == oldRoot.keyID }?.state, "retired")
            let newRoot = try XCTUnwrap(roots.first { $0.state == "active" })
            XCTAssertEqual(seals.first { $0.keyID == laterDocument.keyID }?.issuer, newRoot.subject)
            XCTAssertGreaterThan(newRoot.notAfter, clock.now())
            var verdict = try await LicenceKit.verify(app, laterDocument)
            XCTAssertEqual(verdict.result, "valid")
            // The old licence is long expired, but its seal is still known: expired, not unknown-key.
            verdict = try await LicenceKit.verify(app, firstDocument)
            XCTAssertEqual(verdict.result, "expired")
        }
    }

    func testTheWalletAndSharingAgreeWithVerificationAfterASealRevocation() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document
            let ctx = try LicenceKit.platform(app)
            _ = try await ctx.write { tx in try await Seals(ctx).revoke(keyID: document.keyID, reason: "私钥泄露", on: tx) }
            // Anyone checking the licence is told it is revoked ...
            let status = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(status.status, .revoked)
            let view = try await LicenceKit.show(app, identifier, token: token)
            XCTAssertEqual(view.status.status, .revoked, "the holder's own view of the licence")
            // ... so the holder's wallet must not call it valid, nor may it be shared as valid.
            let wallet = try await LicenceKit.wallet(app, token: token)
            XCTAssertEqual(wallet.map(\.status), ["revoked"], "the wallet disagrees with verification: \(wallet.map(\.statusName))")
            let res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, json: LicenceKit.ShareBody(recipient: "某银行", hours: 1))
            XCTAssertEqual(res.status, .conflict, "a licence that verifies as revoked was shared: \(res.body.string)")
        }
    }

    func testASealRevokedLaterLeavesEarlierLicencesValid() async throws {
        try await withApp { app, clock in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document
            clock.advance(by: 3 * 86_400)
            let ctx = try LicenceKit.platform(app)
            _ = try await ctx.write { tx in try await Seals(ctx).revoke(keyID: document.keyID, reason: "部门撤并", on: tx) }
            let status = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(status.status, .valid, "sealed three days before the seal was revoked")
            let verdict = try await LicenceKit.verify(app, document)
            XCTAssertEqual(verdict.result, "valid")
        }
    }

    // MARK: 10. Hostile input

    func testHostileIdentifiersAndBodiesAnswer4xxNever5xx() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let approver = try await staffToken(app, "approver", cityApprover)
            let long = String(repeating: "1", count: 10_000)
            let junkIdentifiers = [
                long, "1.2.156.3005.2." + long, "..", "..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F%2E%2E%2F", "%FF%FE%00", "%00", "%E4%B8%AD%E6%96%87",
                "1.2.156.3005.2.%0A.%0D", "%25%25%25", "1.2.156.3005.2.....", identifier + "%00", identifier.lowercased() + ".0",
                "1.2.156.3005.2.11100000000013338W011.11100000000013338W.2026000001.000.0",
                "1.2.156.3005.2.11100000000013338W011.11100000000013338W.%2D%2D.001.0",
            ]
            func check(_ res: XCTHTTPResponse, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
                XCTAssertTrue((400..<500).contains(res.status.code), "\(what) answered \(res.status.code): \(res.body.string.prefix(300))", file: file, line: line)
            }
            for junk in junkIdentifiers {
                check(try await call(app, .GET, "/api/v1/licences/\(junk)/verification"), "status of \(junk.prefix(40))")
                check(try await call(app, .GET, "/api/v1/licences/\(junk)", token: token), "view of \(junk.prefix(40))")
                check(try await call(app, .GET, "/api/v1/licences/\(junk)/uses", token: token), "uses of \(junk.prefix(40))")
                check(try await call(app, .POST, "/api/v1/licences/\(junk)/shares", token: token, json: LicenceKit.ShareBody(recipient: "x", hours: 1)), "share of \(junk.prefix(40))")
                check(try await LicenceKit.change(app, junk, token: approver, kind: "revoke", reason: "x"), "revoke of \(junk.prefix(40))")
                check(try await call(app, .GET, "/verify/\(junk)"), "page of \(junk.prefix(40))")
                // A query that does not decode is no query: the empty form, with no verdict.
                let query = try await call(app, .GET, "/verify?identifier=\(junk)")
                if query.status == .ok {
                    XCTAssertFalse(query.body.string.contains("verdict-"), "query page of \(junk.prefix(40))")
                } else {
                    check(query, "query page of \(junk.prefix(40))")
                }
                check(try await call(app, .GET, "/api/v1/shared-licences/\(junk)"), "shared \(junk.prefix(40))")
                check(try await call(app, .GET, "/s/\(junk)"), "share page \(junk.prefix(40))")
            }
            // A 43-character token that was never issued.
            check(try await call(app, .GET, "/api/v1/shared-licences/\(String(repeating: "A", count: 43))"), "unissued token")
            check(try await call(app, .DELETE, "/api/v1/licences/\(identifier)/shares/not-a-uuid", token: token), "share id")

            // Bodies of the wrong shape.
            let verification = "/api/v1/licences/verification"
            for body in [
                "", "{", "[]", "\"text\"", "null", "42", "{\"identifier\": 5}", "{\"identifier\": \"\(identifier)\"}", "{\"face\": \"x\"}",
                "{\"identifier\": [\"a\"], \"face\": {}, \"holder\": 7}", String(repeating: "[", count: 5_000),
            ] {
                let res = try await LicenceKit.raw(app, .POST, verification, body: body)
                check(res, "verification body \(body.prefix(40))")
                if res.status == .badRequest { _ = try problem(res) }
            }
            check(try await LicenceKit.raw(app, .POST, verification, body: String(repeating: "x", count: 200_000)), "a huge body")
            check(try await LicenceKit.raw(app, .POST, verification, body: "identifier=1", contentType: .urlEncodedForm), "a form body")
            check(try await LicenceKit.raw(app, .POST, verification, body: "<xml/>", contentType: .xml), "an XML body")
            for body in [
                "{\"kind\": 5}", "{\"kind\": \"explode\"}", "{\"kind\": \"change\", \"changes\": [\"a\"]}", "{\"kind\": \"change\", \"changes\": {\"businessKind\": 5}}",
                "{\"kind\": \"revoke\", \"reason\": {\"a\": 1}}", "{}", "{", "[]",
            ] {
                check(try await LicenceKit.raw(app, .POST, "/api/v1/licences/\(identifier)/changes", token: approver, body: body), "change body \(body)")
            }
            for body in ["{\"hours\": \"abc\"}", "{\"hours\": 1e40}", "{\"hours\": 1.5}", "{\"recipient\": 5}", "{\"recipient\": [\"x\"]}", "{", "[1,2]"] {
                check(try await LicenceKit.raw(app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, body: body), "share body \(body)")
            }
            // Nothing changed under all that.
            let status = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(status.status, .valid)
            let licences = try await LicenceRecord.query(on: app.db).count()
            XCTAssertEqual(licences, 1)
            let shares = try await LicenceShareRecord.query(on: app.db).count()
            XCTAssertEqual(shares, 0)
        }
    }
}
