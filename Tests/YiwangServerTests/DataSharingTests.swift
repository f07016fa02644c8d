import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// 数据共享与信用: real-name checks against the population and legal persons registries, the log
/// of every registry read (/me/data-uses, the supervisors' search), registry outages (503 and
/// nothing half-written), and the credit registry's listings at submission and acceptance
/// (一处失信，处处受限) with 信用修复.
final class DataSharingTests: XCTestCase {
    let supervisorGrant = [Grant(role: .supervisor, scope: .everywhere)]
    let companyPassword = "Company-Pass-2026"

    /// A valid ID number (check character computed) from its first 17 digits.
    static func idNumber(_ first17: String) -> String {
        first17 + String(ResidentIDNumber.checkCharacter(forFirst17: Array(first17))!)
    }

    /// Valid, and held by no registry the tests fill.
    let unknownID = DataSharingTests.idNumber("52010219880101123")
    /// 赵敏: in the population registry, with no account until a test registers her.
    let zhaoMinID = "11010519491231002X"
    /// A valid credit code no registry holds (a department's).
    let unknownCompanyCode = Fixtures.cityDepartment
    /// Valid; filled by the test that needs it.
    let bracketCompanyCode = "91520100MA6H00002W"

    // MARK: Shapes of the answers: the server's own

    typealias Use = DataUseController.UseView
    typealias SearchPage = DataUseController.SearchPage

    // MARK: Helpers

    func registerPersonResponse(_ app: Application, id: String, name: String, phone: String = "13800000007") async throws -> XCTHTTPResponse {
        try await call(app, .POST, "/api/v1/register/person", json: RegisterPersonRequest(idNumber: id, name: name, phone: phone, password: strongPassword))
    }

    func registerCompanyResponse(
        _ app: Application, code: String = companyCode, name: String = "贵阳云数科技有限公司", representative: String = "张明", representativeID: String = citizenID
    ) async throws -> XCTHTTPResponse {
        try await call(
            app, .POST, "/api/v1/register/company",
            json: RegisterCompanyRequest(
                creditCode: code, name: name, legalRepresentative: .init(idNumber: representativeID, name: representative, phone: nil), password: companyPassword))
    }

    func applicantCount(_ app: Application) async throws -> Int {
        try await ApplicantRecord.query(on: app.db).count()
    }

    func applicantExists(_ app: Application, _ identifier: String) async throws -> Bool {
        let index = ApplicantRecord.index(identifier, keys: try app.keyRing)
        return try await ApplicantRecord.query(on: app.db).filter(\.$identifierIndex == index).first() != nil
    }

    /// The log rows about one subject, oldest first.
    func logRows(_ app: Application, subject: String) async throws -> [DataUseRecord] {
        let index = ApplicantRecord.index(subject, keys: try app.keyRing)
        return try await DataUseRecord.query(on: app.db).filter(\.$subjectIndex == index).sort(\.$at, .ascending).all()
    }

    func myUses(_ app: Application, token: String, file: StaticString = #filePath, line: UInt = #line) async throws -> [Use] {
        let res = try await call(app, .GET, "/api/v1/me/data-uses", token: token)
        XCTAssertEqual(res.status, .ok, res.body.string, file: file, line: line)
        return try decode([Use].self, res)
    }

    var exchange: (Application) -> LocalSharedData {
        { app in app.registries as! LocalSharedData }
    }

    /// 张明 listed by the credit registry (a court's 失信被执行人 listing) from `listedOn` until `until`.
    func listCitizen(_ app: Application, listedOn: String = "2025-06-01", until: String? = "2027-06-01", subject: String = citizenID, name: String = "张明") async throws {
        try await fillRegistries(
            app,
            LocalSharedData.Contents(creditListings: [
                CreditBlacklistEntry(
                    subjectCode: subject, subjectName: name, measure: "限制设立食品经营主体", basis: "(2025)黔01执123号失信被执行人决定书",
                    authority: "贵阳市中级人民法院", listedOn: listedOn, until: until)
            ]))
    }

    /// Changes the published guide's credit rule (nil: flag) for the item.
    func setCreditRule(_ app: Application, _ code: String, _ rule: CreditRule?) async throws {
        let itemFound = try await ItemRecord.query(on: app.db).filter(\.$implementationCode == code).first()
        let item = try XCTUnwrap(itemFound)
        let versionFound = try await ItemVersionRecord.find(item.publishedVersionID, on: app.db)
        let version = try XCTUnwrap(versionFound)
        var guide = try version.guide()
        guide.creditRule = rule
        version.content = try ItemVersionRecord.encode(guide)
        try await version.save(on: app.db)
    }

    func caseCount(_ app: Application) async throws -> Int { try await CaseRecord.query(on: app.db).count() }
    func auditTotal(_ app: Application) async throws -> Int { try await AuditEventRecord.query(on: app.db).count() }

    func accept(_ app: Application, _ id: UUID, creditReason: String?, token: String) async throws -> XCTHTTPResponse {
        try await call(
            app, .POST, "/api/v1/cases/\(id)/transitions", token: token,
            json: TransitionRequest(action: .accept, reason: nil, greenChannel: nil, resultDocument: nil, creditReason: creditReason))
    }

    func platformContext(_ app: Application) throws -> DomainContext {
        try DomainContext(app: app, actor: .anonymous, audit: .system("cli:registry", channel: "cli"), isPlatform: true)
    }

    // MARK: 1. Real-name registration

    func testAPersonRegistersOnlyUnderTheNameThePopulationRegistryHolds() async throws {
        try await withApp(seed: false) { app, _ in
            // Someone else tries to take 张明's number under another name: refused, nothing created.
            var res = try await registerPersonResponse(app, id: citizenID, name: "李四")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            var body = try problem(res)
            XCTAssertEqual(body.code, "identity.name_mismatch")
            XCTAssertEqual(body.errors?.map(\.field), ["name"])
            var count = try await applicantCount(app)
            XCTAssertEqual(count, 0, "no account for a failed real-name check")

            // A well-formed number the registry does not hold.
            res = try await registerPersonResponse(app, id: unknownID, name: "王五")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            body = try problem(res)
            XCTAssertEqual(body.code, "identity.not_in_registry")
            XCTAssertFalse(body.detail.contains(unknownID), "the number is masked in the message: \(body.detail)")
            XCTAssertTrue(body.detail.contains(PersonalData.mask(unknownID, as: .idNumber)), body.detail)
            count = try await applicantCount(app)
            XCTAssertEqual(count, 0)

            // The registry's own name registers (201), the trailing x of an ID typed in lower case too.
            let person = try await registerPerson(app, id: citizenID, name: "张明")
            XCTAssertEqual(person.kind, .person)
            res = try await registerPersonResponse(app, id: "52011219920815031x", name: "王芳", phone: "13800000009")
            XCTAssertEqual(res.status, .created, res.body.string)
            count = try await applicantCount(app)
            XCTAssertEqual(count, 2)

            // The number is taken by its owner; a stranger with another name is still told the name is wrong.
            res = try await registerPersonResponse(app, id: citizenID, name: "李四")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "identity.name_mismatch")
            res = try await registerPersonResponse(app, id: citizenID, name: "张明")
            XCTAssertEqual(res.status, .conflict, res.body.string)
            XCTAssertEqual(try problem(res).code, "register.exists")
            let registrations = try await auditCount(app, "applicant.register")
            XCTAssertEqual(registrations, 2)
        }
    }

    func testACompanyRegistersOnlyAsTheLegalPersonsRegistryHoldsIt() async throws {
        try await withApp(seed: false) { app, _ in
            try await fillRegistries(
                app,
                LocalSharedData.Contents(legalPersons: [
                    LegalPersonEntry(
                        creditCode: Fixtures.unknownButValidCredit, name: "福州已注销贸易有限公司", representativeName: "李华",
                        representativeIDNumber: agentID, status: "注销")
                ]))

            // The wrong legal representative: another person, or the right ID under another name.
            var res = try await registerCompanyResponse(app, representative: "李华", representativeID: agentID)
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "identity.representative_mismatch")
            res = try await registerCompanyResponse(app, representative: "张三", representativeID: citizenID)
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "identity.representative_mismatch")
            // The wrong company name.
            res = try await registerCompanyResponse(app, name: "贵阳云数网络有限公司")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "identity.name_mismatch")
            // A credit code the registry does not hold.
            res = try await registerCompanyResponse(app, code: unknownCompanyCode, name: "福州某某有限公司")
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "identity.not_in_registry")
            // A company no longer in business (注销): 409 even with every detail right.
            res = try await registerCompanyResponse(
                app, code: Fixtures.unknownButValidCredit, name: "福州已注销贸易有限公司", representative: "李华", representativeID: agentID)
            XCTAssertEqual(res.status, .conflict, res.body.string)
            let closed = try problem(res)
            XCTAssertEqual(closed.code, "identity.legal_person_closed")
            XCTAssertTrue(closed.detail.contains("注销"), closed.detail)
            var count = try await applicantCount(app)
            XCTAssertEqual(count, 0, "no failed check creates an account")

            // Right name and legal representative: 201.
            res = try await registerCompanyResponse(app)
            XCTAssertEqual(res.status, .created, res.body.string)
            XCTAssertEqual(try res.content.decode(ApplicantView.self).identifier, companyCode)
            count = try await applicantCount(app)
            XCTAssertEqual(count, 1)
            // Full-width brackets in the registry's name match half-width ones typed.
            try await fillRegistries(
                app,
                LocalSharedData.Contents(legalPersons: [
                    LegalPersonEntry(creditCode: bracketCompanyCode, name: "云数科技（贵阳）有限公司", representativeName: "李华", representativeIDNumber: agentID)
                ]))
            res = try await registerCompanyResponse(app, code: bracketCompanyCode, name: "云数科技(贵阳)有限公司", representative: "李华", representativeID: agentID)
            XCTAssertEqual(res.status, .created, res.body.string)

            // Each check read the legal persons registry and the read is logged.
            let rows = try await logRows(app, subject: companyCode)
            XCTAssertEqual(Set(rows.map(\.registry)), ["legalPersons"])
            XCTAssertEqual(rows.count, 4)
            XCTAssertTrue(rows.allSatisfy { $0.purpose == "注册账号实名核验" && $0.outcome == "found" })
            let unknownRows = try await logRows(app, subject: unknownCompanyCode)
            XCTAssertEqual(unknownRows.map(\.outcome), ["notFound"])
        }
    }

    func testTheWindowClerksRegistrationChecksTheSameRegistry() async throws {
        try await withApp { app, _ in
            try await staffToken(app, "clerk", cityClerk)
            var browser = try await BrowserSession.signIn(app, at: "/admin/login", account: "clerk", password: testPassword, landing: "/admin/window")
            XCTAssertFalse(browser.csrf.isEmpty)
            var res = try await browser.post(app, "/admin/window/lookup", ["identifier": zhaoMinID])
            XCTAssertEqual(res.status, .notFound, "no account yet: \(res.body.string.prefix(300))")

            // A name the registry does not hold for the number: refused on the page, nothing created.
            res = try await browser.post(app, "/admin/window/register", ["name": "赵四", "phone": "13800000011"])
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("实名核验未通过"), String(res.body.string.prefix(2000)))
            var exists = try await applicantExists(app, zhaoMinID)
            XCTAssertFalse(exists)

            // The registry down: 503, nothing created; the clerk tries again once it answers.
            exchange(app).setFault(.down, for: .population)
            res = try await browser.post(app, "/admin/window/register", ["name": "赵敏", "phone": "13800000011"])
            XCTAssertEqual(res.status, .serviceUnavailable)
            XCTAssertNotNil(res.headers.first(name: .retryAfter))
            exists = try await applicantExists(app, zhaoMinID)
            XCTAssertFalse(exists)
            exchange(app).setFault(nil, for: .population)

            res = try await browser.post(app, "/admin/window/register", ["name": "赵敏", "phone": "13800000011"])
            XCTAssertEqual(res.status, .ok, String(res.body.string.prefix(2000)))
            exists = try await applicantExists(app, zhaoMinID)
            XCTAssertTrue(exists)

            // Each read is logged as the clerk's, for the window check.
            let rows = try await logRows(app, subject: zhaoMinID)
            XCTAssertEqual(rows.map(\.outcome), ["found", "unavailable", "found"])
            XCTAssertTrue(rows.allSatisfy { $0.purpose == "窗口核验申请人身份" && $0.reader == "clerk" && $0.readerKind == "staff" && $0.registry == "population" })

            // The service the page calls refuses a wrong name and an unknown number the same way.
            let clerk = Actor.staff(account: "clerk", grants: cityClerk)
            let service = IdentityService(try DomainContext(app: app, actor: clerk, audit: CaseFactory.audit(clerk)))
            do {
                _ = try await service.registerPersonAtWindow(idNumber: agentID, name: "王五", phone: "13800000012")
                XCTFail("a wrong name registered at the window")
            } catch let error as DomainError {
                XCTAssertEqual(error.code, "identity.name_mismatch")
            }
            do {
                _ = try await service.registerPersonAtWindow(idNumber: unknownID, name: "王五", phone: "13800000012")
                XCTFail("an unknown number registered at the window")
            } catch let error as DomainError {
                XCTAssertEqual(error.code, "identity.not_in_registry")
            }
            var agentExists = try await applicantExists(app, agentID)
            XCTAssertFalse(agentExists)
            let agent = try await service.registerPersonAtWindow(idNumber: agentID, name: "李华", phone: "13800000012")
            XCTAssertEqual(agent.name, "李华")
            agentExists = try await applicantExists(app, agentID)
            XCTAssertTrue(agentExists)
        }
    }

    // MARK: 2. Every read is logged

    func testAPersonSeesTheirOwnRegistryReadsAndNoOneElses() async throws {
        try await withApp { app, _ in
            try await registerPerson(app, id: citizenID, name: "张明")
            try await registerPerson(app, id: agentID, name: "李华", phone: "13800000002")
            let citizen = try await applicantToken(app, citizenID)
            let stranger = try await applicantToken(app, agentID)

            let mine = try await myUses(app, token: citizen)
            XCTAssertEqual(mine.count, 1, "\(mine)")
            let read = try XCTUnwrap(mine.first)
            XCTAssertEqual(read.registry, "population")
            XCTAssertEqual(read.registryName, "人口库")
            XCTAssertEqual(read.purpose, "注册账号实名核验")
            XCTAssertEqual(read.outcome, "已查到", "found, as the person reads it")
            XCTAssertEqual(read.subject, PersonalData.mask(citizenID, as: .idNumber))
            XCTAssertEqual(read.fields, "姓名")
            XCTAssertNil(read.caseID)
            let rows = try await logRows(app, subject: citizenID)
            XCTAssertEqual(rows.map(\.outcome), ["found"])

            // 李华 sees only 李华's read.
            let theirs = try await myUses(app, token: stranger)
            XCTAssertEqual(theirs.map(\.subject), [PersonalData.mask(agentID, as: .idNumber)])
            XCTAssertFalse(theirs.contains { $0.subject == PersonalData.mask(citizenID, as: .idNumber) })

            // Without signing in: nothing.
            let anonymous = try await call(app, .GET, "/api/v1/me/data-uses")
            XCTAssertEqual(anonymous.status, .unauthorized, anonymous.body.string)

            // The page renders the table.
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword, landing: "/me")
            let page = try await browser.get(app, "/me/data-uses")
            XCTAssertEqual(page.status, .ok)
            let html = page.body.string
            XCTAssertTrue(html.contains("id=\"data-uses\""), String(html.prefix(3000)))
            XCTAssertTrue(html.contains("注册账号实名核验"))
            XCTAssertTrue(html.contains("人口库"))
            XCTAssertTrue(html.contains("已查到"))
            XCTAssertTrue(html.contains("张明"), "the holder's name")
            XCTAssertFalse(html.contains(agentID))
            XCTAssertFalse(html.contains(citizenID), "the page never shows the full ID number")
            // Signed out, the page sends the person to sign in.
            var signedOut = BrowserSession()
            let redirect = try await signedOut.get(app, "/me/data-uses")
            XCTAssertEqual(redirect.status, .seeOther)
            XCTAssertEqual(redirect.headers.first(name: .location), "/signin?next=%2Fme%2Fdata-uses")
        }
    }

    func testACompanySeesItsLegalPersonsRead() async throws {
        try await withApp(seed: false) { app, _ in
            let res = try await registerCompanyResponse(app)
            XCTAssertEqual(res.status, .created, res.body.string)
            let company = try await applicantToken(app, companyCode, password: companyPassword)
            let uses = try await myUses(app, token: company)
            XCTAssertEqual(uses.map(\.registry), ["legalPersons"])
            XCTAssertEqual(uses.first?.fields, "名称、法定代表人、登记状态")
            XCTAssertEqual(uses.first?.purpose, "注册账号实名核验")
        }
    }

    func testSupervisorsSearchTheLogAndOthersCannot() async throws {
        try await withApp { app, _ in
            try await registerPerson(app, id: citizenID, name: "张明")
            try await registerPerson(app, id: agentID, name: "李华", phone: "13800000002")
            let failed = try await registerPersonResponse(app, id: zhaoMinID, name: "赵四")
            XCTAssertEqual(failed.status, .badRequest)
            let supervisor = try await staffToken(app, "supervisor", supervisorGrant)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let citizen = try await applicantToken(app, citizenID)

            var res = try await call(app, .GET, "/api/v1/data-uses?subject=\(citizenID)&registry=population", token: supervisor)
            XCTAssertEqual(res.status, .ok, res.body.string)
            var page = try decode(SearchPage.self, res)
            XCTAssertEqual(page.total, 1)
            XCTAssertEqual(page.uses.map(\.subject), [PersonalData.mask(citizenID, as: .idNumber)])
            XCTAssertEqual(page.uses.first?.purpose, "注册账号实名核验")
            XCTAssertEqual(page.page, 1)

            // A trailing x typed in lower case finds the same subject.
            res = try await call(app, .GET, "/api/v1/data-uses?subject=\(zhaoMinID.lowercased())", token: supervisor)
            XCTAssertEqual(res.status, .ok, res.body.string)
            page = try decode(SearchPage.self, res)
            XCTAssertEqual(page.total, 1, "the refused registration is logged too")
            XCTAssertEqual(page.uses.first?.outcome, "已查到")

            // Everything, then by another registry (none yet).
            res = try await call(app, .GET, "/api/v1/data-uses", token: supervisor)
            page = try decode(SearchPage.self, res)
            XCTAssertEqual(page.total, 3)
            res = try await call(app, .GET, "/api/v1/data-uses?registry=credit", token: supervisor)
            page = try decode(SearchPage.self, res)
            XCTAssertEqual(page.total, 0)
            res = try await call(app, .GET, "/api/v1/data-uses?per=1&page=2", token: supervisor)
            page = try decode(SearchPage.self, res)
            XCTAssertEqual(page.total, 3)
            XCTAssertEqual(page.uses.count, 1)

            // A window clerk, an applicant: 403.
            res = try await call(app, .GET, "/api/v1/data-uses?subject=\(citizenID)", token: clerk)
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            _ = try problem(res)
            res = try await call(app, .GET, "/api/v1/data-uses?subject=\(agentID)", token: citizen)
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            res = try await call(app, .GET, "/api/v1/data-uses")
            XCTAssertEqual(res.status, .unauthorized, res.body.string)

            // The log is the whole city's: a supervisor scoped to one department may not search it.
            let scoped = try await staffToken(app, "district.supervisor", [Grant(role: .supervisor, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))])
            res = try await call(app, .GET, "/api/v1/data-uses?subject=\(citizenID)", token: scoped)
            XCTAssertEqual(res.status, .forbidden, res.body.string)

            // An unknown registry: 400.
            res = try await call(app, .GET, "/api/v1/data-uses?registry=bogus", token: supervisor)
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(try problem(res).code, "data_use.registry")

            // The supervisors' page.
            var browser = try await BrowserSession.signIn(app, at: "/admin/login", account: "supervisor", password: testPassword, landing: "/admin")
            let html = try await browser.get(app, "/admin/data-uses?subject=\(citizenID)&registry=population")
            XCTAssertEqual(html.status, .ok, String(html.body.string.prefix(2000)))
            XCTAssertTrue(html.body.string.contains(PersonalData.mask(citizenID, as: .idNumber)))
            XCTAssertFalse(html.body.string.contains(PersonalData.mask(agentID, as: .idNumber)))
        }
    }

    // MARK: 3. Outages

    func testRegistrationDuringAPopulationRegistryOutageAnswers503AndLosesNothing() async throws {
        try await withApp(seed: false) { app, _ in
            exchange(app).setFault(.down, for: .population)
            var res = try await registerPersonResponse(app, id: citizenID, name: "张明", phone: "13800000001")
            XCTAssertEqual(res.status, .serviceUnavailable, res.body.string)
            XCTAssertEqual(res.headers.first(name: .retryAfter), "30")
            let body = try problem(res)
            XCTAssertEqual(body.code, "registry.unavailable")
            XCTAssertTrue(body.detail.contains("人口库"), body.detail)
            var count = try await applicantCount(app)
            XCTAssertEqual(count, 0)
            let registrations = try await auditCount(app, "applicant.register")
            XCTAssertEqual(registrations, 0)
            var rows = try await logRows(app, subject: citizenID)
            XCTAssertEqual(rows.map(\.outcome), ["unavailable"])
            XCTAssertEqual(rows.first?.registry, "population")

            // Another registry down does not matter for a person.
            exchange(app).setFault(nil, for: .population)
            exchange(app).setFault(.down, for: .legalPersons)
            res = try await registerPersonResponse(app, id: citizenID, name: "张明", phone: "13800000001")
            XCTAssertEqual(res.status, .created, res.body.string)
            count = try await applicantCount(app)
            XCTAssertEqual(count, 1)
            rows = try await logRows(app, subject: citizenID)
            XCTAssertEqual(rows.map(\.outcome), ["unavailable", "found"])

            // The person sees the failed read in their log, as the registry not answering.
            let token = try await applicantToken(app, citizenID)
            let outcomes = try await myUses(app, token: token).map(\.outcome)
            XCTAssertEqual(Set(outcomes), ["共享库无响应", "已查到"])

            // A company while the legal persons registry is down: 503, nothing created.
            res = try await registerCompanyResponse(app)
            XCTAssertEqual(res.status, .serviceUnavailable, res.body.string)
            XCTAssertEqual(try problem(res).code, "registry.unavailable")
            XCTAssertNotNil(res.headers.first(name: .retryAfter))
            let companyExists = try await applicantExists(app, companyCode)
            XCTAssertFalse(companyExists)
        }
    }

    func testASlowRegistryIsCutOffAtTheTimeout() async throws {
        try await withApp(seed: false, settings: { $0.registryTimeout = 1 }) { app, _ in
            exchange(app).setFault(.slow(milliseconds: 3000), for: .population)
            let started = Date()
            let res = try await registerPersonResponse(app, id: citizenID, name: "张明", phone: "13800000001")
            let elapsed = Date().timeIntervalSince(started)
            XCTAssertEqual(res.status, .serviceUnavailable, "answered after \(elapsed)s: \(res.body.string)")
            XCTAssertEqual(try problem(res).code, "registry.unavailable")
            XCTAssertNotNil(res.headers.first(name: .retryAfter))
            let count = try await applicantCount(app)
            XCTAssertEqual(count, 0)
            let rows = try await logRows(app, subject: citizenID)
            XCTAssertEqual(rows.map(\.outcome), ["unavailable"])

            // A registry slow but within the timeout answers.
            exchange(app).setFault(.slow(milliseconds: 50), for: .population)
            let ok = try await registerPersonResponse(app, id: citizenID, name: "张明", phone: "13800000001")
            XCTAssertEqual(ok.status, .created, ok.body.string)
        }
    }

    func testSubmittingWhileTheCreditRegistryIsDownWritesNothing() async throws {
        try await withApp { app, _ in
            try await makeApplicant(app, citizenID)
            let citizen = try await applicantToken(app, citizenID)
            // A draft filed beforehand (no credit check until it is submitted).
            let draft = try await fileCase(app, token: citizen, submit: false)

            exchange(app).setFault(.down, for: .credit)
            let cases = try await caseCount(app)
            let audits = try await auditTotal(app)
            let key = UUID().uuidString
            var res = try await postCase(app, token: citizen, key: key)
            XCTAssertEqual(res.status, .serviceUnavailable, res.body.string)
            XCTAssertEqual(try problem(res).code, "registry.unavailable")
            XCTAssertTrue(res.body.string.contains("信用库"), res.body.string)
            XCTAssertNotNil(res.headers.first(name: .retryAfter))

            // Submitting the draft: 503, still a draft.
            res = try await move(app, draft, .submit, token: citizen)
            XCTAssertEqual(res.status, .serviceUnavailable, res.body.string)
            XCTAssertEqual(try problem(res).code, "registry.unavailable")

            let casesAfter = try await caseCount(app)
            let auditsAfter = try await auditTotal(app)
            XCTAssertEqual(casesAfter, cases, "no case half-written")
            XCTAssertEqual(auditsAfter, audits, "no audit event for a step that did not happen")
            let idempotency = try await IdempotencyRecord.query(on: app.db).count()
            XCTAssertEqual(idempotency, 1, "only the draft's key: the refused submission did not use its key up")
            let stillDraft = try await view(app, draft, token: citizen)
            XCTAssertEqual(stillDraft.state, .draft)
            let creditRows = try await logRows(app, subject: citizenID).filter { $0.registry == "credit" }
            XCTAssertEqual(creditRows.map(\.outcome), ["unavailable", "unavailable"])
            XCTAssertEqual(creditRows.last?.caseID, draft)

            // Once the registry answers, the same request (same key) files the case.
            exchange(app).setFault(nil, for: .credit)
            res = try await postCase(app, token: citizen, key: key)
            XCTAssertEqual(res.status, .created, res.body.string)
            XCTAssertEqual(try res.content.decode(CaseView.self).state, .submitted)
            res = try await move(app, draft, .submit, token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let finalCount = try await caseCount(app)
            XCTAssertEqual(finalCount, cases + 1)
        }
    }

    // MARK: 4. Credit

    func testAnItemThatBlocksListedApplicantsRefusesTheSubmission() async throws {
        try await withApp { app, _ in
            try await makeApplicant(app, citizenID)
            try await makeApplicant(app, agentID)
            let citizen = try await applicantToken(app, citizenID)
            let other = try await applicantToken(app, agentID)
            try await setCreditRule(app, workshopCode, .block)
            try await listCitizen(app)
            let cases = try await caseCount(app)

            let res = try await postCase(app, token: citizen, key: UUID().uuidString, item: workshopCode)
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            let refused = try problem(res)
            XCTAssertEqual(refused.code, "credit.blocked")
            XCTAssertTrue(refused.detail.contains("限制设立食品经营主体"), "names the measure: \(refused.detail)")
            XCTAssertTrue(refused.detail.contains("(2025)黔01执123号失信被执行人决定书"), "names the basis: \(refused.detail)")
            XCTAssertTrue(refused.detail.contains("贵阳市中级人民法院"), refused.detail)
            XCTAssertTrue(refused.detail.contains("信用修复"), "tells how to repair: \(refused.detail)")
            let blocked = try await auditCount(app, "case.creditBlocked")
            XCTAssertEqual(blocked, 1)
            var casesAfter = try await caseCount(app)
            XCTAssertEqual(casesAfter, cases, "no case row")
            let creditRows = try await logRows(app, subject: citizenID).filter { $0.registry == "credit" }
            XCTAssertEqual(creditRows.map(\.outcome), ["found"])
            XCTAssertEqual(creditRows.first?.purpose, "办件信用核查")

            // A draft of the blocked item may be kept, but not submitted.
            let draft = try await fileCase(app, token: citizen, item: workshopCode, submit: false)
            let submit = try await move(app, draft, .submit, token: citizen)
            XCTAssertEqual(submit.status, .forbidden, submit.body.string)
            XCTAssertEqual(try problem(submit).code, "credit.blocked")
            let stillDraft = try await view(app, draft, token: citizen)
            XCTAssertEqual(stillDraft.state, .draft)
            let blockedAgain = try await auditCount(app, "case.creditBlocked")
            XCTAssertEqual(blockedAgain, 2)

            // Filed for them at the window: refused the same way.
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let applicantFound = try await makeApplicant(app, citizenID)
            let atWindow = try await postCase(app, token: clerk, key: UUID().uuidString, item: workshopCode, applicant: applicantFound.id)
            XCTAssertEqual(atWindow.status, .forbidden, atWindow.body.string)
            XCTAssertEqual(try problem(atWindow).code, "credit.blocked")
            let windowRead = try await logRows(app, subject: citizenID).filter { $0.registry == "credit" && $0.reader == "clerk" }
            XCTAssertEqual(windowRead.map(\.readerKind), ["platform"], "the platform checks credit, whoever submits; the clerk's request is named")

            // Someone not listed submits the blocked item as usual.
            _ = try await fileCase(app, token: other, item: workshopCode)
            casesAfter = try await caseCount(app)
            XCTAssertEqual(casesAfter, cases + 2, "the draft and the other applicant's case")
        }
    }

    func testAFlaggedApplicantIsWarnedToTheClerkWhoRecordsAReasonToAccept() async throws {
        try await withApp { app, _ in
            try await makeApplicant(app, citizenID)
            let citizen = try await applicantToken(app, citizenID)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            try await listCitizen(app)

            // The food licence flags (no credit rule): the submission goes through.
            let id = try await fileCase(app, token: citizen)
            let staffView = try await view(app, id, token: clerk)
            XCTAssertEqual(staffView.state, .submitted)
            let warning = try XCTUnwrap(staffView.creditWarning, "the clerk sees the warning")
            XCTAssertTrue(warning.contains("限制设立食品经营主体"), warning)
            XCTAssertTrue(warning.contains("(2025)黔01执123号失信被执行人决定书"), warning)
            XCTAssertNil(staffView.creditReason)
            let ownView = try await view(app, id, token: citizen)
            XCTAssertNil(ownView.creditWarning, "the applicant's own view carries no warning")
            XCTAssertNil(ownView.creditReason)
            let ownJSON = try await call(app, .GET, "/api/v1/cases/\(id)", token: citizen).body.string
            XCTAssertFalse(ownJSON.contains("限制设立食品经营主体"), ownJSON)

            // The read is logged against the case.
            let creditRows = try await logRows(app, subject: citizenID).filter { $0.registry == "credit" }
            XCTAssertEqual(creditRows.map(\.caseID), [id])
            XCTAssertEqual(creditRows.map(\.outcome), ["found"])
            let ownLog = try await myUses(app, token: citizen).filter { $0.registry == "credit" }
            XCTAssertEqual(ownLog.map(\.purpose), ["办件信用核查"])
            XCTAssertEqual(ownLog.map(\.caseID), [id])
            XCTAssertEqual(ownLog.map(\.readerName), ["平台自动核查"])

            try await supplyMaterials(app, id, token: citizen)
            // Accepting without a reason (or with too short a one): 400, still submitted.
            var res = try await accept(app, id, creditReason: nil, token: clerk)
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            var body = try problem(res)
            XCTAssertEqual(body.code, "credit.reason_required")
            XCTAssertEqual(body.errors?.map(\.field), ["creditReason"])
            res = try await accept(app, id, creditReason: "  同意 ", token: clerk)
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            body = try problem(res)
            XCTAssertEqual(body.code, "credit.reason_required")
            let unchanged = try await view(app, id, token: clerk)
            XCTAssertEqual(unchanged.state, .submitted)
            XCTAssertNil(unchanged.number)
            var proceeds = try await auditCount(app, "case.creditProceed")
            XCTAssertEqual(proceeds, 0)

            // With a reason: accepted, the reason recorded and audited.
            let reason = "失信措施不涉及本事项的许可类别，经科长同意依法受理"
            res = try await accept(app, id, creditReason: reason, token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let accepted = try res.content.decode(CaseView.self)
            XCTAssertEqual(accepted.state, .accepted)
            XCTAssertEqual(accepted.creditReason, reason)
            XCTAssertNotNil(accepted.creditWarning)
            let stored = try await CaseRecord.find(id, on: app.db)
            XCTAssertEqual(stored?.creditReason, reason)
            proceeds = try await auditCount(app, "case.creditProceed")
            XCTAssertEqual(proceeds, 1)
            let proceedEvent = try await AuditEventRecord.query(on: app.db).filter(\.$action == "case.creditProceed").first()
            XCTAssertEqual(proceedEvent?.subjectID, id.uuidString)
            XCTAssertEqual(proceedEvent?.after, reason)
            XCTAssertEqual(proceedEvent?.actor, "clerk")
            let ownAfter = try await view(app, id, token: citizen)
            XCTAssertNil(ownAfter.creditReason, "nor the reason")

            // An applicant not listed: no warning, accepted without a reason.
            try await makeApplicant(app, agentID)
            let other = try await applicantToken(app, agentID)
            let clean = try await fileCase(app, token: other)
            let cleanView = try await view(app, clean, token: clerk)
            XCTAssertNil(cleanView.creditWarning)
            try await supplyMaterials(app, clean, token: other)
            res = try await accept(app, clean, creditReason: nil, token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
        }
    }

    func testListingsOutsideTheirPeriodDoNotApply() async throws {
        try await withApp { app, _ in
            try await makeApplicant(app, citizenID)
            let citizen = try await applicantToken(app, citizenID)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            try await setCreditRule(app, workshopCode, .block)
            // Ended yesterday (the test day is 2026-11-22), and one listed only from tomorrow.
            try await listCitizen(app, listedOn: "2024-01-01", until: "2026-11-21")
            try await listCitizen(app, listedOn: "2026-11-23", until: nil)

            let flagged = try await fileCase(app, token: citizen)
            let flaggedView = try await view(app, flagged, token: clerk)
            XCTAssertNil(flaggedView.creditWarning, "no listing in force")
            let blocked = try await postCase(app, token: citizen, key: UUID().uuidString, item: workshopCode)
            XCTAssertEqual(blocked.status, .created, blocked.body.string)

            // A listing ending today is still in force.
            try await listCitizen(app, listedOn: "2024-01-01", until: "2026-11-22")
            let refused = try await postCase(app, token: citizen, key: UUID().uuidString, item: workshopCode)
            XCTAssertEqual(refused.status, .forbidden, refused.body.string)
            XCTAssertEqual(try problem(refused).code, "credit.blocked")
        }
    }

    func testCreditRepairLiftsTheListingAtOnce() async throws {
        try await withApp { app, _ in
            try await makeApplicant(app, citizenID)
            let citizen = try await applicantToken(app, citizenID)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            try await setCreditRule(app, workshopCode, .block)
            try await listCitizen(app)

            let before = try await fileCase(app, token: citizen)
            let beforeView = try await view(app, before, token: clerk)
            XCTAssertNotNil(beforeView.creditWarning)
            let refused = try await postCase(app, token: citizen, key: UUID().uuidString, item: workshopCode)
            XCTAssertEqual(refused.status, .forbidden, refused.body.string)

            // 信用修复.
            let lifted = try await DataSharingService.lift(subjectCode: citizenID, reason: "已履行法律文书确定的义务", ctx: try platformContext(app))
            XCTAssertEqual(lifted, 1)
            let listing = try await CreditBlacklistRecord.query(on: app.db).first()
            XCTAssertEqual(listing?.liftedOn, "2026-11-22")
            XCTAssertEqual(listing?.liftedReason, "已履行法律文书确定的义务")
            let repairs = try await auditCount(app, "credit.repair")
            XCTAssertEqual(repairs, 1)

            let after = try await fileCase(app, token: citizen)
            let afterView = try await view(app, after, token: clerk)
            XCTAssertNil(afterView.creditWarning, "no warning once repaired")
            let allowed = try await postCase(app, token: citizen, key: UUID().uuidString, item: workshopCode)
            XCTAssertEqual(allowed.status, .created, allowed.body.string)

            // The case filed before the repair keeps its warning (what the clerk saw then).
            let kept = try await view(app, before, token: clerk)
            XCTAssertNotNil(kept.creditWarning)
            // Lifting again finds nothing in force.
            let again = try await DataSharingService.lift(subjectCode: citizenID, reason: "重复申请", ctx: try platformContext(app))
            XCTAssertEqual(again, 0)
        }
    }

    /// The repair's audit event names the subject masked as what it is: a person's ID number is
    /// masked as an ID number (4 + 4 kept), like every other place the platform shows one.
    func testCreditRepairMasksAPersonsIDNumberAsAnIDNumberInTheTrail() async throws {
        try await withApp(seed: false) { app, _ in
            try await listCitizen(app)
            _ = try await DataSharingService.lift(subjectCode: citizenID, reason: "已履行法律文书确定的义务", ctx: try platformContext(app))
            let event = try await AuditEventRecord.query(on: app.db).filter(\.$action == "credit.repair").first()
            let subject = try XCTUnwrap(event?.subjectID)
            XCTAssertEqual(subject, PersonalData.mask(citizenID, as: .idNumber), "an ID number in the trail keeps only its first and last four")
            XCTAssertFalse(subject.hasPrefix(String(citizenID.prefix(8))), "birth year and region not revealed: \(subject)")
            // The listing row itself is shown masked as an ID number.
            let listing = try await CreditBlacklistRecord.query(on: app.db).first()
            XCTAssertEqual(listing?.subjectShown, PersonalData.mask(citizenID, as: .idNumber))
        }
    }

    func testACompanyListedByTheCreditRegistryIsCheckedByItsCreditCode() async throws {
        try await withApp { app, _ in
            let res = try await registerCompanyResponse(app)
            XCTAssertEqual(res.status, .created, res.body.string)
            let company = try await applicantToken(app, companyCode, password: companyPassword)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            try await listCitizen(app, subject: companyCode, name: "贵阳云数科技有限公司")
            let form: [String: JSONValue] = ["applicantName": .string("贵阳云数科技有限公司"), "businessKind": .string("预包装食品销售")]
            let id = try await fileCase(app, token: company, form: form)
            let staffView = try await view(app, id, token: clerk)
            XCTAssertTrue(staffView.creditWarning?.contains("限制设立食品经营主体") ?? false, "\(String(describing: staffView.creditWarning))")
            try await makeApplicant(app, citizenID)
            let personCase = try await fileCase(app, token: try await applicantToken(app, citizenID))
            let personView = try await view(app, personCase, token: clerk)
            XCTAssertNil(personView.creditWarning, "the company's listing is not its representative's")
            let uses = try await myUses(app, token: company)
            XCTAssertTrue(uses.contains { $0.registry == "credit" && $0.caseID == id && $0.purpose == "办件信用核查" }, "\(uses.map(\.purpose))")
        }
    }

    // MARK: Findings

    /// 张明's log shows the stranger's attempt to register his number (good), but as a read by
    /// 本人 ("yourself"): an anonymous registrant is not the person.
    func testAStrangersAttemptOnMyNumberIsNotShownAsMyOwnRead() async throws {
        try await withApp(seed: false) { app, _ in
            let attempt = try await registerPersonResponse(app, id: citizenID, name: "李四")
            XCTAssertEqual(attempt.status, .badRequest)
            try await registerPerson(app, id: citizenID, name: "张明")
            let uses = try await myUses(app, token: try await applicantToken(app, citizenID))
            XCTAssertEqual(uses.count, 2, "the attempt is in the person's log")
            let strangers = try XCTUnwrap(uses.last)
            XCTAssertEqual(strangers.purpose, "注册账号实名核验")
            XCTAssertNotEqual(strangers.readerName, "本人", "a read by an anonymous registrant is labelled as the person's own")
            XCTAssertNotEqual(strangers.readerKind, "applicant")
        }
    }

    /// A refused (credit.blocked) submission logs its credit read with the id of a case that is
    /// never written; /me/data-uses links "查看办件" to it, and the link answers 404.
    func testTheLogOfARefusedSubmissionDoesNotLinkToACaseThatDoesNotExist() async throws {
        try await withApp { app, _ in
            try await makeApplicant(app, citizenID)
            let citizen = try await applicantToken(app, citizenID)
            try await setCreditRule(app, workshopCode, .block)
            try await listCitizen(app)
            let refused = try await postCase(app, token: citizen, key: UUID().uuidString, item: workshopCode)
            XCTAssertEqual(refused.status, .forbidden)

            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword, landing: "/me")
            let html = try await browser.get(app, "/me/data-uses").body.string
            XCTAssertTrue(html.contains("办件信用核查"))
            var links: [String] = []
            var rest = html[...]
            while let range = rest.range(of: "href=\"/me/cases/") {
                let id = rest[range.upperBound...].prefix { $0 != "\"" }
                links.append("/me/cases/" + id)
                rest = rest[range.upperBound...]
            }
            for link in links {
                let page = try await browser.get(app, link)
                XCTAssertNotEqual(page.status, .notFound, "the log links to \(link), a case that was never filed")
            }
        }
    }

    /// `LocalSharedData.fill` (what `yiwang registry import` runs) normalises the ID numbers and
    /// credit codes of people and companies, but stores a credit listing under its subject code
    /// as typed: a listing of "…031x" or a lower-case credit code never matches the applicant.
    func testACreditListingImportedWithALowerCaseCodeStillApplies() async throws {
        try await withApp { app, _ in
            let wangFang = "52011219920815031X"
            try await makeApplicant(app, wangFang)
            let token = try await applicantToken(app, wangFang)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            try await listCitizen(app, subject: wangFang.lowercased(), name: "王芳")
            let id = try await fileCase(app, token: token, form: ["applicantName": .string("王芳"), "businessKind": .string("预包装食品销售")])
            let seen = try await view(app, id, token: clerk)
            XCTAssertNotNil(seen.creditWarning, "a listing imported as …031x is not found for …031X")
        }
    }

    /// `fill` checks a listing's `listedOn` is a date but not its `until`: an import typo such as
    /// "2026/01/01" is accepted, and `CreditBlacklistEntry.applies` then treats the listing as never
    /// ending (the unparseable end is ignored), so a measure that ended stays in force.
    func testACreditListingWithAnUnreadableEndDateIsRefusedAtImport() async throws {
        try await withApp(seed: false) { app, _ in
            do {
                try await listCitizen(app, listedOn: "2025-01-01", until: "2026/01/01")
                XCTFail("a listing with an unreadable end date was imported")
            } catch {
                // Refused, as an unreadable listedOn is.
            }
            do {
                try await listCitizen(app, listedOn: "2025/01/01", until: nil)
                XCTFail("a listing with an unreadable start date was imported")
            } catch {}
        }
    }

    // MARK: 5. Hostile input

    func testHostileQueriesOnTheDataUseEndpointsAre4xxNever5xx() async throws {
        try await withApp { app, _ in
            try await registerPerson(app, id: citizenID, name: "张明")
            let supervisor = try await staffToken(app, "supervisor", supervisorGrant)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let citizen = try await applicantToken(app, citizenID)
            let long = String(repeating: "A", count: 10_000)
            let longChinese = String(repeating: "张", count: 10_000).addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
            let hostile = [
                "subject=\(long)",
                "subject=\(longChinese)",
                "reader=\(long)",
                "registry=bogus",
                "registry=POPULATION",
                "registry=%27%20OR%201%3D1--",
                "registry=\(long)",
                "page=-1",
                "page=0",
                "page=abc",
                "page=99999999999999999999999",
                "page=100001",
                "per=0",
                "per=-5",
                "per=100000",
                "page=1.5",
                "subject[]=x&subject[]=y",
            ]
            for query in hostile {
                for token in [supervisor, clerk, citizen] {
                    let res = try await call(app, .GET, "/api/v1/data-uses?" + query, token: token)
                    XCTAssertTrue((400..<500).contains(res.status.code), "\(query.prefix(60)): \(res.status) \(res.body.string.prefix(300))")
                }
            }
            // The supervisor gets the specific problems.
            var res = try await call(app, .GET, "/api/v1/data-uses?subject=\(long)", token: supervisor)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "data_use.query")
            res = try await call(app, .GET, "/api/v1/data-uses?page=-1", token: supervisor)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "paging.page")
            res = try await call(app, .GET, "/api/v1/data-uses?per=100000", token: supervisor)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "paging.per")

            // Odd but harmless values answer 200 with nothing found.
            for query in ["subject=%27%20OR%201%3D1--", "subject=%00", "reader=%27%3B%20DROP%20TABLE%20data_uses%3B--", "subject=", "registry="] {
                res = try await call(app, .GET, "/api/v1/data-uses?" + query, token: supervisor)
                XCTAssertEqual(res.status, .ok, "\(query): \(res.body.string.prefix(300))")
            }
            let stillThere = try await DataUseRecord.query(on: app.db).count()
            XCTAssertGreaterThan(stillThere, 0)

            // The person's own log takes no parameters and ignores junk.
            res = try await call(app, .GET, "/api/v1/me/data-uses?page=-1&subject=\(long)", token: citizen)
            XCTAssertEqual(res.status, .ok)
            XCTAssertEqual(try decode([Use].self, res).count, 1)

            // The supervisors' page: 4xx too.
            var browser = try await BrowserSession.signIn(app, at: "/admin/login", account: "supervisor", password: testPassword, landing: "/admin")
            for query in ["subject=\(long)", "registry=bogus", "page=-1", "page=abc", "per=0"] {
                let page = try await browser.get(app, "/admin/data-uses?" + query)
                XCTAssertTrue((400..<500).contains(page.status.code), "\(query.prefix(60)): \(page.status)")
            }
            var clerkBrowser = try await BrowserSession.signIn(app, at: "/admin/login", account: "clerk", password: testPassword, landing: "/admin")
            let forbidden = try await clerkBrowser.get(app, "/admin/data-uses")
            XCTAssertEqual(forbidden.status, .forbidden)
        }
    }
}
