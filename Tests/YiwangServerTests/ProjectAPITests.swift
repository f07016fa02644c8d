import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// Investment projects through the API on the demo city's real items: one code through the four
/// stages, each approval filed under it, joint drawing review and joint inspection by several
/// departments with the lead's recorded resolution, and 全程代办.
final class ProjectAPITests: XCTestCase {
    static let planning = "11520100011908121Y"
    static let housing = "115201000964725980"
    static let fire = "11520100036202909Q"
    static let companyPassword = "Company-Pass-2026"

    let bundles = BundleAPITests(name: "helpers", testClosure: { _ in })

    func registerCompany(_ app: Application) async throws -> (ApplicantRecord, String) {
        let res = try await call(
            app, .POST, "/api/v1/register/company",
            json: RegisterCompanyRequest(
                creditCode: companyCode, name: "贵阳云数科技有限公司", legalRepresentative: .init(idNumber: citizenID, name: "张明", phone: nil), password: Self.companyPassword))
        XCTAssertEqual(res.status, .created, res.body.string)
        let record = try await ApplicantRecord.query(on: app.db).filter(\.$identifierIndex == ApplicantRecord.index(companyCode, keys: try app.keyRing)).first()
        return (try XCTUnwrap(record), try await applicantToken(app, companyCode, password: Self.companyPassword))
    }

    func context(_ app: Application, _ actor: Actor) throws -> DomainContext {
        try DomainContext(app: app, actor: actor, audit: CaseFactory.audit(actor))
    }

    /// Files a case of the item under the project as the company (or a filer for it), gives its
    /// required materials, and has the department accept it and approve it.
    @discardableResult
    func approve(_ app: Application, _ itemName: String, department: String, company: ApplicantRecord, project: String, filer: Actor? = nil) async throws -> UUID {
        let found = try await ItemRecord.query(on: app.db).filter(\.$name == itemName).filter(\.$departmentCode == department).first()
        let item = try XCTUnwrap(found)
        let guide = try await CaseService.guide(version: try XCTUnwrap(item.publishedVersionID), on: app.db)
        let owner = CaseFactory.actor(company)
        let filing = CaseService(try context(app, filer ?? owner))
        let form = DemoCases.sampleForm(guide.form, profile: ProfileValue.of(company, keys: try app.keyRing), partial: false)
        let (record, _, _) = try await filing.create(
            NewCaseRequest(item: item.implementationCode, form: form, applicant: filer == nil ? nil : company.id, submit: false, project: project),
            idempotencyKey: UUID().uuidString)
        let id = try XCTUnwrap(record.id)
        for (index, material) in guide.materials.enumerated() where material.required && !material.source.isHeldByPlatform {
            _ = try await filing.supplyMaterial(id, position: index + 1, upload: samplePDF("\(index)"), fileName: "m.pdf", reuse: nil)
        }
        try await filing.perform(.submit, reason: nil, on: id)
        let staff = CaseService(try context(app, .staff(account: "staff-\(department)", grants: BundleAPITests.staff(department))))
        try await staff.perform(.accept, reason: nil, on: id)
        if try await CaseRecord.lean(id, on: app.db)?.state != .approved { try await staff.perform(.approve, reason: nil, on: id) }
        return id
    }

    func step(_ app: Application, _ review: UUID, _ body: JointReviewStepRequest, token: String) async throws -> XCTHTTPResponse {
        try await call(app, .POST, "/api/v1/joint-reviews/\(review)/steps", token: token, json: body)
    }

    func testAConstructionProjectRunsThroughItsFourStagesWithJointReviewAtTheDrawingStage() async throws {
        try await bundles.withBundles { app, _, citizen in
            let (company, owner) = try await registerCompany(app)
            let code = try ProjectCode.make(year: 2026, region: "520100", industry: "48", type: .approval, serial: 3).value
            var res = try await call(
                app, .POST, "/api/v1/projects", token: owner,
                json: NewProjectRequest(code: code.replacingOccurrences(of: "-", with: ""), name: "贵阳云数数据中心一期", regionCode: "520102", address: "贵阳市南明区数博大道1号", investment: "12,000", isMajor: true))
            XCTAssertEqual(res.status, .created, res.body.string)
            var project = try res.content.decode(ProjectService.ProjectView.self)
            XCTAssertEqual(project.code, code)
            XCTAssertEqual(project.investment, "12,000.00万元")
            XCTAssertEqual(project.stage, .landUsePlanning)
            res = try await call(
                app, .POST, "/api/v1/projects", token: owner,
                json: NewProjectRequest(code: code, name: "重复登记", regionCode: "520102", address: "x", investment: "1"))
            XCTAssertEqual(try problem(res).code, "project.code_taken")
            var wrong = Array(code)
            wrong[wrong.count - 1] = wrong.last == "1" ? "2" : "1"
            res = try await call(
                app, .POST, "/api/v1/projects", token: owner, json: NewProjectRequest(code: String(wrong), name: "校验错误", regionCode: "520102", address: "x", investment: "1"))
            XCTAssertEqual(res.status, .badRequest)
            // Another applicant never sees the project.
            res = try await call(app, .GET, "/api/v1/projects/\(code)", token: citizen)
            XCTAssertEqual(res.status, .notFound)

            // 立项用地规划许可: two approvals under the code; the next stage only once both are approved.
            try await approve(app, "建设项目用地预审与选址意见书核发", department: Self.planning, company: company, project: code)
            res = try await call(app, .POST, "/api/v1/projects/\(code)/stage", token: owner)
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await call(app, .POST, "/api/v1/projects/\(code)/stage", token: owner)
            XCTAssertEqual(try problem(res).code, "project.stage_no_approval", "a stage with nothing approved cannot be left")

            // 工程建设许可: the planning permit and 多图联审 of the drawings by three departments.
            try await approve(app, "建设工程(含临时建设)规划许可证核发", department: Self.planning, company: company, project: code)
            let planner = try await staffToken(app, "planner", BundleAPITests.staff(Self.planning))
            let builder = try await staffToken(app, "builder", BundleAPITests.staff(Self.housing))
            let firefighter = try await staffToken(app, "firefighter", BundleAPITests.staff(Self.fire))
            res = try await call(
                app, .POST, "/api/v1/projects/\(code)/joint-reviews", token: planner,
                json: NewJointReviewRequest(kind: .jointDrawingReview, subject: "施工图设计文件(建筑、结构、消防、人防)", leadDepartment: Self.planning, departments: [Self.planning, Self.housing, Self.fire]))
            XCTAssertEqual(res.status, .created, res.body.string)
            var review = try res.content.decode(ProjectService.JointReviewView.self)
            XCTAssertEqual(review.limit, 7, "多图联审 within 7 working days (seed 003)")
            XCTAssertNotNil(review.deadline)
            res = try await call(app, .POST, "/api/v1/projects/\(code)/stage", token: owner)
            XCTAssertEqual(try problem(res).code, "project.stage_approvals_pending", "the review is still open")
            res = try await step(app, review.id, JointReviewStepRequest(step: "opinion", verdict: .pass), token: planner)
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await step(app, review.id, JointReviewStepRequest(step: "opinion", verdict: .passWithConditions, text: "地下室人防出入口按审查意见调整"), token: builder)
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await step(app, review.id, JointReviewStepRequest(step: "opinion", verdict: .fail, text: "消防车道宽度不足4米"), token: firefighter)
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await step(app, review.id, JointReviewStepRequest(step: "opinion", verdict: .pass), token: firefighter)
            XCTAssertEqual(try problem(res).code, "joint_review.already_recorded")
            // Only the lead consolidates; a refusal needs its recorded resolution.
            res = try await step(app, review.id, JointReviewStepRequest(step: "consolidate"), token: builder)
            XCTAssertEqual(res.status, .forbidden)
            res = try await step(app, review.id, JointReviewStepRequest(step: "consolidate"), token: planner)
            review = try res.content.decode(ProjectService.JointReviewView.self)
            XCTAssertEqual(review.state, .needsResolution)
            res = try await step(app, review.id, JointReviewStepRequest(step: "resolve", verdict: .passWithConditions, conditions: "消防车道按4米调整后报消防救援支队备案"), token: planner)
            XCTAssertEqual(try problem(res).code, "joint_review.reason_required")
            res = try await step(
                app, review.id,
                JointReviewStepRequest(step: "resolve", verdict: .passWithConditions, conditions: "消防车道按4米调整后报消防救援支队备案", reason: "经三部门会商，调整总平面即可满足要求"),
                token: planner)
            review = try res.content.decode(ProjectService.JointReviewView.self)
            XCTAssertEqual(review.state, .resolved)
            XCTAssertTrue(review.result?.contains("消防车道宽度不足4米") == true, review.result ?? "")
            let told = try await OutboxRecord.query(on: app.db).filter(\.$recipient == "applicant:" + (company.id?.uuidString ?? "")).all().map(\.subject)
            XCTAssertTrue(told.contains("多图联审结果：贵阳云数数据中心一期"), "\(told)")
            res = try await call(app, .POST, "/api/v1/projects/\(code)/stage", token: owner)
            XCTAssertEqual(try res.content.decode(ProjectService.ProjectView.self).stage, .constructionPermit)

            // 施工许可, filed by the project's 全程代办员 for the owner.
            let centre = try await staffToken(app, "centre", [Grant(role: .windowClerk, scope: Scope(regionCode: "520100000000"))])
            try await staffToken(app, "proxy.agent", [Grant(role: .windowClerk, scope: Scope(regionCode: "520100000000"))])
            res = try await call(app, .POST, "/api/v1/projects/\(code)/proxy", token: centre, json: ProxyRequest(account: "proxy.agent"))
            XCTAssertEqual(try res.content.decode(ProjectService.ProjectView.self).proxyAgent, "proxy.agent")
            let proxy = Actor.staff(account: "proxy.agent", grants: [Grant(role: .windowClerk, scope: Scope(regionCode: "520100000000"))])
            try await approve(app, "建筑工程施工许可证核发", department: Self.housing, company: company, project: code, filer: proxy)
            let byProxy = try await AuditEventRecord.query(on: app.db).filter(\.$action == "project.fileByProxy").count()
            XCTAssertEqual(byProxy, 1, "a filing by the agent is recorded as 全程代办")
            res = try await call(app, .POST, "/api/v1/projects/\(code)/stage", token: owner)
            XCTAssertEqual(try res.content.decode(ProjectService.ProjectView.self).stage, .completionAcceptance)

            // 竣工验收: 联合验收 by the three departments, all passing.
            res = try await call(
                app, .POST, "/api/v1/projects/\(code)/joint-reviews", token: planner,
                json: NewJointReviewRequest(kind: .jointInspection, subject: "竣工现场联合验收", leadDepartment: Self.planning, departments: [Self.planning, Self.housing, Self.fire]))
            review = try res.content.decode(ProjectService.JointReviewView.self)
            for token in [planner, builder, firefighter] {
                res = try await step(app, review.id, JointReviewStepRequest(step: "opinion", verdict: .pass), token: token)
                XCTAssertEqual(res.status, .ok, res.body.string)
            }
            res = try await step(app, review.id, JointReviewStepRequest(step: "consolidate"), token: planner)
            XCTAssertEqual(try res.content.decode(ProjectService.JointReviewView.self).state, .passed)
            res = try await call(app, .POST, "/api/v1/projects/\(code)/stage", token: owner)
            XCTAssertEqual(try problem(res).code, "project.stage_final")

            // The project page: every approval across the stages with its state, and the time so far.
            res = try await call(app, .GET, "/api/v1/projects/\(code)", token: owner)
            project = try res.content.decode(ProjectService.ProjectView.self)
            XCTAssertEqual(project.stages.map { $0.approvals.count }, [1, 2, 1, 1])
            XCTAssertTrue(project.stages.flatMap(\.approvals).allSatisfy { $0.state == .approved })
            XCTAssertEqual(project.workingDaysSoFar, 0, "everything happened on the test day")
            // The fire department sees the project it reviewed; an unrelated department does not.
            res = try await call(app, .GET, "/api/v1/projects/\(code)", token: firefighter)
            XCTAssertEqual(res.status, .ok)
            let tax = try await staffToken(app, "tax", BundleAPITests.staff(BundleAPITests.tax))
            res = try await call(app, .GET, "/api/v1/projects/\(code)", token: tax)
            XCTAssertEqual(res.status, .notFound)

            // 全程代办 is for major projects only.
            let small = try ProjectCode.make(year: 2026, region: "520100", industry: "48", type: .filing, serial: 4).value
            res = try await call(
                app, .POST, "/api/v1/projects", token: owner,
                json: NewProjectRequest(code: small, name: "小型仓库", regionCode: "520102", address: "贵阳市南明区", investment: "300", isMajor: false))
            XCTAssertEqual(res.status, .created)
            res = try await call(app, .POST, "/api/v1/projects/\(small)/proxy", token: centre, json: ProxyRequest(account: "proxy.agent"))
            XCTAssertEqual(try problem(res).code, "project.proxy_not_major")
            let intact = try await AuditTrail.verify(on: app.db).intact
            XCTAssertTrue(intact)
        }
    }

    func testTheProjectPageShowsEveryStageAndTheDepartmentsTakeTheJointReviewOnIt() async throws {
        try await withApp(seed: false) { app, _ in
            _ = try await DemoCity.seed(app)
            let password = app.settings.demoPassword
            let stored = try await InvestmentProjectRecord.query(on: app.db).first()
            let code = try XCTUnwrap(stored).code
            var owner = try await BrowserSession.signIn(app, account: companyCode, password: password)
            var res = try await owner.get(app, "/me/projects")
            XCTAssertTrue(res.body.string.contains("/me/projects/\(code)"), res.body.string)
            res = try await owner.get(app, "/me/projects/\(code)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            for text in ["立项用地规划许可", "工程建设许可", "施工许可", "竣工验收", "多图联审", "代办员 centre.clerk", "建设项目用地预审与选址意见书核发"] {
                XCTAssertTrue(res.body.string.contains(text), text)
            }
            XCTAssertFalse(res.body.string.contains("提交意见"), "the owner does not review")

            var fire = try await BrowserSession.signIn(app, at: "/admin/login", account: "fire.staff", password: password, landing: "/admin/projects/\(code)")
            res = try await fire.get(app, "/admin/projects/\(code)")
            XCTAssertTrue(res.body.string.contains("提交意见"), "the fire department's opinion is awaited")
            let reviewRecord = try await JointReviewRecord.query(on: app.db).first()
            let review = try XCTUnwrap(reviewRecord?.id)
            res = try await fire.post(app, "/admin/projects/\(code)/joint-review", ["review": review.uuidString, "step": "opinion", "verdict": "fail"])
            XCTAssertEqual(res.status, .badRequest, "a refusal must say why")
            XCTAssertTrue(res.body.string.contains("project-error"))
            res = try await fire.post(app, "/admin/projects/\(code)/joint-review", ["review": review.uuidString, "step": "opinion", "verdict": "pass"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)

            var planner = try await BrowserSession.signIn(app, at: "/admin/login", account: "planning.staff", password: password, landing: "/admin/projects/\(code)")
            res = try await planner.get(app, "/admin/projects/\(code)")
            XCTAssertTrue(res.body.string.contains("汇总各部门意见"))
            res = try await planner.post(app, "/admin/projects/\(code)/joint-review", ["review": review.uuidString, "step": "consolidate"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            res = try await planner.get(app, "/admin/projects/\(code)")
            XCTAssertTrue(res.body.string.contains("联合审查结果"))
            XCTAssertTrue(res.body.string.contains("地下室人防出入口按审查意见调整"), "the conditions are in the one result")
        }
    }
}
