import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// 一件事一次办 through the API, on the demo city's real items and bundles: one form and one set
/// of materials, one acceptance fanning out one case per member, parallel decisions under the
/// order constraints, one correction notice, the denial rule, and each department seeing only
/// its own task.
final class BundleAPITests: XCTestCase {
    // The demo city's departments (Resources/Seed/demo-city.json).
    static let health = "11520100091233429A"
    static let police = "11520100MB94373T1T"
    static let medicare = "11520100043033658J"
    static let hrss = "11520100032406767N"
    static let market = "11520100MB49540L81"
    static let fire = "11520100036202909Q"
    static let tobacco = "115201000948143555"
    static let tax = "115201000231187262"
    static let seals = "11520100MB94373T1T"

    static func staff(_ department: String) -> [Grant] {
        [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: department)), Grant(role: .approver, scope: Scope(departmentCreditCode: department))]
    }

    /// The demo city's catalog and bundles, and the citizen registered.
    func withBundles(_ body: (Application, FixedTimeSource, String) async throws -> Void) async throws {
        try await withApp(seed: false) { app, clock in
            _ = try await CatalogExchange(db: app.db, now: clock.now(), settings: app.settings, attribution: "test").importDocument(DemoCity.loadDocument(app))
            try await DemoCity.seedLicenceTypes(app)
            let published = try await BundleCatalog.seed(app)
            XCTAssertEqual(published, 8)
            try await registerPerson(app)
            try await body(app, clock, try await applicantToken(app, citizenID))
        }
    }

    /// Answers for every field the merged form shows, by type (a person applying, not a company).
    static func answers(_ form: FormSchema) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for field in form.fields {
            if let condition = field.visibleWhen, values[condition.field] != .string(condition.equals) { continue }
            switch field.type {
            case .idNumber: values[field.key] = .string(citizenID)
            case .phone: values[field.key] = .string("13800000001")
            case .date: values[field.key] = .string("2026-11-20")
            case .select: values[field.key] = .string(field.options.first ?? "")
            case .number: values[field.key] = .int(50)
            case .address: values[field.key] = .string("贵阳市云岩区中华北路100号")
            case .creditCode: values[field.key] = .string("91520100MA6H00001R")
            case .email: values[field.key] = .string("zhang@example.com")
            case .checkbox: values[field.key] = .bool(true)
            case .text, .textarea: values[field.key] = .string(field.key.lowercased().contains("name") ? "张明" : "测试内容")
            }
        }
        return values
    }

    func guide(_ app: Application, _ code: String, query: String = "") async throws -> BundleCatalog.GuideView {
        let res = try await call(app, .GET, "/api/v1/bundles/\(code)" + query)
        XCTAssertEqual(res.status, .ok, res.body.string)
        return try res.content.decode(BundleCatalog.GuideView.self)
    }

    /// Files an application with every asked material given; answers its view.
    func file(
        _ app: Application, _ code: String, token: String, key: String, answers: [String: String] = [:], optional: [String] = []
    ) async throws -> BundleService.ApplicationView {
        var query = answers.map { "answers[\($0.key)]=\($0.value)" }
        if !optional.isEmpty { query.append("optional=" + optional.joined(separator: ",")) }
        let merged = try await guide(app, code, query: query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let body = NewBundleApplicationRequest(bundle: code, answers: answers, optionalMembers: optional, form: Self.answers(merged.form))
        let res = try await call(app, .POST, "/api/v1/bundle-applications", token: token, json: body, key: key)
        XCTAssertEqual(res.status, .created, res.body.string)
        var view = try res.content.decode(BundleService.ApplicationView.self)
        for material in view.materials where material.askedOfApplicant && material.required {
            let upload = try await upload(
                app, path: "/api/v1/bundle-applications/\(view.id)/materials/\(material.position)", samplePDF("\(material.position)"), token: token)
            XCTAssertEqual(upload.status, .created, upload.body.string)
            view = try upload.content.decode(BundleService.ApplicationView.self)
        }
        return view
    }

    func act(_ app: Application, _ id: UUID, _ action: BundleApplicationAction, reason: String? = nil, token: String) async throws -> XCTHTTPResponse {
        try await call(app, .POST, "/api/v1/bundle-applications/\(id)/actions", token: token, json: BundleActionRequest(action: action, reason: reason))
    }

    func read(_ app: Application, _ id: UUID, token: String) async throws -> BundleService.ApplicationView {
        let res = try await call(app, .GET, "/api/v1/bundle-applications/\(id)", token: token)
        XCTAssertEqual(res.status, .ok, res.body.string)
        return try res.content.decode(BundleService.ApplicationView.self)
    }

    func move(_ app: Application, _ caseID: UUID?, _ action: CaseAction, reason: String? = nil, token: String) async throws -> XCTHTTPResponse {
        try await call(app, .POST, "/api/v1/cases/\(caseID?.uuidString ?? "none")/transitions", token: token, json: TransitionRequest(action: action, reason: reason))
    }

    func task(_ view: BundleService.ApplicationView, _ nameFragment: String) throws -> BundleService.ApplicationView.Task {
        try XCTUnwrap(view.tasks.first { $0.name.contains(nameFragment) }, "no task named \(nameFragment)")
    }

    func applicantNotices(_ app: Application) async throws -> [OutboxRecord] {
        try await OutboxRecord.query(on: app.db).filter(\.$recipient ~~ "applicant:").filter(\.$channel == "inbox").sort(\.$createdAt).all()
    }

    // MARK: Tests

    func testTheMergedNewbornFormAsksEverySharedFieldOnceAndCoversEveryMembersField() async throws {
        try await withBundles { app, _, _ in
            let listed = try decode([BundleCatalog.Summary].self, try await call(app, .GET, "/api/v1/bundles"))
            XCTAssertGreaterThanOrEqual(listed.count, 6)
            XCTAssertTrue(listed.contains { $0.name == "新生儿出生一件事" && $0.leadDepartment == Self.health })
            let merged = try await guide(app, "newborn", query: "?answers[maternityAllowance]=是")
            XCTAssertEqual(merged.members.filter(\.chosen).count, 5)
            // Each member's own fields, against the merged form: every field is filled from exactly
            // one merged field, and the shared ones (name, ID number, phone, the baby's facts) once.
            let items = try await BundleCatalog.memberItems(
                try await BundleCatalog.published("newborn", on: app.db).bundle.members, on: app.db)
            var memberFields = 0
            for member in merged.members where member.chosen {
                let own = try XCTUnwrap(items[member.code]).guide.form.fields
                memberFields += own.count
                for field in own {
                    let covering = merged.mapping.filter { $0.sources.contains { $0.member == member.code && $0.field == field.key } }
                    XCTAssertEqual(covering.count, 1, "\(member.name).\(field.key) is filled by exactly one merged field")
                }
            }
            let keys = merged.form.fields.map(\.key)
            XCTAssertEqual(Set(keys).count, keys.count)
            for shared in ["applicantName", "idNumber", "phone", "babyName", "birthDate"] {
                XCTAssertEqual(keys.filter { $0 == shared }.count, 1, "\(shared) is asked once")
                XCTAssertGreaterThan(merged.mapping.first { $0.key == shared }?.sources.count ?? 0, 1, "\(shared) fills several members")
            }
            XCTAssertLessThan(merged.form.fields.count, memberFields)
            // A material the birth certificate member produces is not asked of the applicant again.
            let certificate = try XCTUnwrap(merged.materials.first { $0.name.contains("出生医学证明") && !$0.name.contains("申请") })
            XCTAssertFalse(certificate.askedOfApplicant)
            // Without the optional answer the conditional member and its fields are left out.
            let fewer = try await guide(app, "newborn", query: "?answers[maternityAllowance]=否")
            XCTAssertEqual(fewer.members.filter(\.chosen).count, 4)
            XCTAssertLessThanOrEqual(fewer.form.fields.count, merged.form.fields.count)
            // An unknown bundle is a clear 404.
            let missing = try await call(app, .GET, "/api/v1/bundles/nothing-here")
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertEqual(try problem(missing).code, "bundle.not_found")
        }
    }

    func testNewbornIsFiledOnceAcceptedOnceAndCompletesOnlyWhenEveryTaskIsDecided() async throws {
        try await withBundles { app, clock, citizen in
            let view = try await file(app, "newborn", token: citizen, key: "newborn-1", answers: ["maternityAllowance": "否"])
            XCTAssertEqual(view.state, .submitted)
            XCTAssertEqual(view.tasks.count, 4)
            XCTAssertTrue(view.materials.filter { $0.askedOfApplicant && $0.required }.allSatisfy { $0.supplied == true })
            // Idempotent filing: the same key and body answer the same application; another body is refused.
            let body = NewBundleApplicationRequest(
                bundle: "newborn", answers: ["maternityAllowance": "否"], optionalMembers: [],
                form: Self.answers(try await guide(app, "newborn", query: "?answers[maternityAllowance]=否").form))
            let retry = try await call(app, .POST, "/api/v1/bundle-applications", token: citizen, json: body, key: "newborn-1")
            XCTAssertEqual(retry.status, .ok, retry.body.string)
            XCTAssertEqual(try retry.content.decode(BundleService.ApplicationView.self).id, view.id)
            var other = body
            other.answers = ["maternityAllowance": "是"]
            let clash = try await call(app, .POST, "/api/v1/bundle-applications", token: citizen, json: other, key: "newborn-1")
            XCTAssertEqual(clash.status, .conflict)
            let applications = try await BundleApplicationRecord.query(on: app.db).count()
            XCTAssertEqual(applications, 1)

            // Before acceptance no department has anything in its queue.
            let healthStaff = try await staffToken(app, "health", Self.staff(Self.health))
            let hrssStaff = try await staffToken(app, "hrss", Self.staff(Self.hrss))
            let policeStaff = try await staffToken(app, "police", Self.staff(Self.police))
            let queue = try decode(CaseService.Listing.self, try await call(app, .GET, "/api/v1/cases", token: hrssStaff))
            XCTAssertEqual(queue.total, 0, "before the one acceptance no department has a task in its queue")
            // Only the lead department's window accepts; a member department cannot.
            var res = try await act(app, view.id, .accept, token: hrssStaff)
            XCTAssertEqual(res.status, .notFound, "a department with no task yet does not see the application")
            clock.advance(by: 600)  // the window accepts a little after the filing (the timeline's order)
            res = try await act(app, view.id, .accept, token: healthStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let accepted = try res.content.decode(BundleService.ApplicationView.self)
            XCTAssertEqual(accepted.state, .accepted)
            XCTAssertNotNil(accepted.number)
            XCTAssertNotNil(accepted.deadline)
            // The three 即办 members are decided at the acceptance, each starting the next in order;
            // the social security card starts only after insurance and runs on its own clock.
            XCTAssertEqual(try task(accepted, "出生医学证明").status, .approved)
            XCTAssertEqual(try task(accepted, "户口登记").status, .approved)
            XCTAssertEqual(try task(accepted, "参保登记").status, .approved)
            let card = try task(accepted, "社会保障卡")
            XCTAssertEqual(card.status, .running)
            XCTAssertEqual(card.caseState, .accepted)
            XCTAssertNotNil(card.deadline)
            XCTAssertEqual(accepted.holdup?.department, Self.hrss, "the department holding the bundle back")
            XCTAssertEqual(accepted.allowedActions, [])
            // The supervision board names the department holding the bundle back.
            let supervisor = try await staffToken(app, "supervisor", [Grant(role: .supervisor, scope: .everywhere)])
            let board = try decode(SupervisionService.Overview.self, try await call(app, .GET, "/api/v1/supervision/overview", token: supervisor))
            let running = try XCTUnwrap(board.bundles.first { $0.id == view.id })
            XCTAssertEqual(running.holdupDepartment, Self.hrss)
            XCTAssertEqual(running.deadline, accepted.deadline)

            // Scoping: the police see their own task only, and never the card's case.
            let seenByPolice = try await read(app, view.id, token: policeStaff)
            XCTAssertEqual(seenByPolice.tasks.map(\.department), [Self.police])
            XCTAssertTrue(seenByPolice.materials.isEmpty && seenByPolice.form.isEmpty)
            let policeTask = try XCTUnwrap(seenByPolice.tasks.first)
            XCTAssertTrue(seenByPolice.timeline.allSatisfy { $0.member == policeTask.member }, "a member department reads its own tasks' steps only")
            res = try await call(app, .GET, "/api/v1/cases/\(card.caseID?.uuidString ?? "")", token: policeStaff)
            XCTAssertEqual(res.status, .notFound)
            res = try await move(app, card.caseID, .approve, token: policeStaff)
            XCTAssertEqual(res.status, .notFound)
            // The applicant cannot move a task alone; the department decides it with the case API.
            res = try await move(app, card.caseID, .withdraw, token: citizen)
            XCTAssertEqual(try problem(res).code, "case.bundle_task")

            clock.advance(by: 3600)
            res = try await move(app, card.caseID, .approve, token: hrssStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let done = try await read(app, view.id, token: citizen)
            XCTAssertEqual(done.state, .completed)
            XCTAssertEqual(done.outcome, .approved)
            // One receipt and the results together; no notice per task.
            let told = try await applicantNotices(app).map(\.subject)
            XCTAssertEqual(told, ["一件事已申报：新生儿出生一件事", "一件事已受理：新生儿出生一件事", "一件事全部办结：新生儿出生一件事"])
            // The timeline shows it all: filing, the one acceptance, the decisions on the spot, the card, the completion.
            XCTAssertEqual(done.timeline.map(\.action), ["submit", "accept", "task.approve", "task.approve", "task.approve", "task.approve", "complete"])
            let intact = try await AuditTrail.verify(on: app.db).intact
            XCTAssertTrue(intact)
        }
    }

    func testARestaurantWithTobaccoAnswersOneCorrectionNoticeForTwoTasksAndGetsTheResultsTogether() async throws {
        try await withBundles { app, _, citizen in
            let view = try await file(app, "openRestaurant", token: citizen, key: "shop-1", answers: ["tobacco": "是"])
            XCTAssertEqual(view.tasks.count, 3, "food, fire safety and the chosen tobacco licence")
            let marketStaff = try await staffToken(app, "market", Self.staff(Self.market))
            let fireStaff = try await staffToken(app, "fire", Self.staff(Self.fire))
            let tobaccoStaff = try await staffToken(app, "tobacco", Self.staff(Self.tobacco))
            var res = try await act(app, view.id, .accept, token: marketStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let accepted = try res.content.decode(BundleService.ApplicationView.self)
            // All three run in parallel, each on its own clock.
            XCTAssertEqual(Set(accepted.tasks.map(\.status)), [.running])
            let food = try task(accepted, "食品经营"), fire = try task(accepted, "消防"), shop = try task(accepted, "烟草")
            XCTAssertNotEqual(food.deadline, shop.deadline, "each task has its item's own legal deadline")

            // After acceptance only the deciding department stops its task's clock, not any window in scope.
            let centre = try await staffToken(app, "centre", [Grant(role: .windowClerk, scope: Scope(regionCode: "520100000000"))])
            res = try await move(app, shop.caseID, .requestCorrection, reason: "请补充材料", token: centre)
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            // Scoping: tobacco cannot act on the food task.
            res = try await move(app, food.caseID, .approve, token: tobaccoStaff)
            XCTAssertEqual(res.status, .notFound)

            // Two tasks ask for corrections; the applicant receives one notice naming both.
            res = try await move(app, shop.caseID, .requestCorrection, reason: "经营场所使用证明不清晰", token: tobaccoStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await move(app, food.caseID, .requestCorrection, reason: "请补充设备布局图", token: marketStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            var current = try await read(app, view.id, token: citizen)
            XCTAssertEqual(current.state, .correctionRequested)
            let notice = try XCTUnwrap(current.correctionNotice)
            XCTAssertTrue(notice.contains("经营场所使用证明不清晰") && notice.contains("请补充设备布局图"), notice)
            XCTAssertEqual(current.allowedActions, [.answerCorrection])
            XCTAssertNil(try task(current, "食品经营").deadline, "a task's clock stops while the applicant corrects")
            // The fire task runs on, and a single case's correction after acceptance stays refused elsewhere.
            XCTAssertEqual(try task(current, "消防").status, .running)

            res = try await act(app, view.id, .answerCorrection, token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)
            current = try res.content.decode(BundleService.ApplicationView.self)
            XCTAssertEqual(current.state, .accepted)
            XCTAssertEqual(try task(current, "食品经营").caseState, .underReview)
            XCTAssertEqual(try task(current, "烟草").caseState, .underReview)

            for (caseID, token) in [(food.caseID, marketStaff), (fire.caseID, fireStaff), (shop.caseID, tobaccoStaff)] {
                res = try await move(app, caseID, .approve, token: token)
                XCTAssertEqual(res.status, .ok, res.body.string)
            }
            current = try await read(app, view.id, token: citizen)
            XCTAssertEqual(current.state, .completed)
            XCTAssertEqual(current.outcome, .approved)
            let subjects = try await applicantNotices(app).map(\.subject)
            XCTAssertEqual(subjects.filter { $0.hasPrefix("一件事需要补正") }.count, 2, "the notice is sent again, whole, when a second task asks")
            XCTAssertEqual(subjects.last, "一件事全部办结：开办餐饮店一件事")
            XCTAssertFalse(subjects.contains { $0.hasPrefix("办件进度") }, "no task writes to the applicant on its own")
        }
    }

    func testUnderFailBundleADeniedCompanyRegistrationCancelsTheTasksWaitingForIt() async throws {
        try await withBundles { app, _, citizen in
            let view = try await file(app, "startBusiness", token: citizen, key: "company-1")
            let marketStaff = try await staffToken(app, "market", Self.staff(Self.market))
            var res = try await act(app, view.id, .accept, token: marketStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let accepted = try res.content.decode(BundleService.ApplicationView.self)
            let company = try task(accepted, "公司设立")
            XCTAssertEqual(company.status, .running)
            XCTAssertEqual(try task(accepted, "公章").status, .waiting)
            XCTAssertNil(try task(accepted, "公章").deadline, "a waiting task's clock has not started")
            res = try await move(app, company.caseID, .deny, reason: "名称与已登记企业相同", token: marketStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let failed = try await read(app, view.id, token: citizen)
            XCTAssertEqual(failed.state, .completed)
            XCTAssertEqual(failed.outcome, .failed)
            XCTAssertEqual(try task(failed, "公章").status, .cancelled)
            XCTAssertEqual(try task(failed, "公章").caseState, .withdrawn)
            XCTAssertTrue(try task(failed, "发票").cancelReason?.contains("本一件事办理失败") == true)
            // The denial reaches the applicant with its reason and their appeal rights (《行政许可法》第三十八条).
            let denial = try await applicantNotices(app).first { $0.subject.contains("不予许可") && $0.body.contains("名称与已登记企业相同") }
            XCTAssertTrue(denial?.body.contains("行政复议") == true, denial?.body ?? "no denial notice")
        }
    }

    func testRefusalsAreClearAndWriteNothing() async throws {
        try await withBundles { app, _, citizen in
            let merged = try await guide(app, "newborn", query: "?answers[maternityAllowance]=否")
            // An unanswered question, an unknown optional member, a broken form: 4xx with Chinese messages.
            var body = NewBundleApplicationRequest(bundle: "newborn", answers: [:], optionalMembers: [], form: Self.answers(merged.form))
            var res = try await call(app, .POST, "/api/v1/bundle-applications", token: citizen, json: body, key: "bad-1")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "bundle.choice_invalid")
            body.answers = ["maternityAllowance": "否"]
            body.optionalMembers = ["NOPE"]
            res = try await call(app, .POST, "/api/v1/bundle-applications", token: citizen, json: body, key: "bad-2")
            XCTAssertEqual(try problem(res).code, "bundle.choice_invalid")
            body.optionalMembers = []
            body.form["idNumber"] = .string("520102199003071230")
            res = try await call(app, .POST, "/api/v1/bundle-applications", token: citizen, json: body, key: "bad-3")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "bundle.form_invalid")
            res = try await call(app, .POST, "/api/v1/bundle-applications", token: citizen, json: body)
            XCTAssertEqual(try problem(res).code, "case.idempotency_key")
            res = try await call(app, .POST, "/api/v1/bundle-applications", json: body, key: "bad-4")
            XCTAssertEqual(res.status, .unauthorized)
            let written = try await BundleApplicationRecord.query(on: app.db).count()
            let cases = try await CaseRecord.query(on: app.db).count()
            XCTAssertEqual(written + cases, 0)

            // Acceptance with a material missing names the task and the material, and fans out nothing.
            let view = try await file(app, "openRestaurant", token: citizen, key: "shop-2", answers: ["tobacco": "否"])
            let firstAsked = try XCTUnwrap(view.materials.first { $0.askedOfApplicant && $0.required })
            try await CaseMaterialRecord.query(on: app.db).filter(\.$materialName == firstAsked.name).delete()
            let marketStaff = try await staffToken(app, "market", Self.staff(Self.market))
            res = try await act(app, view.id, .accept, token: marketStaff)
            XCTAssertEqual(res.status, .conflict)
            let refusal = try problem(res).detail
            XCTAssertTrue(refusal.contains(firstAsked.name), refusal)
            let still = try await read(app, view.id, token: citizen)
            XCTAssertEqual(still.state, .submitted)
            XCTAssertTrue(still.tasks.allSatisfy { $0.caseState == .draft })
            // Refused at the window with a reason: every task's case is withdrawn with it.
            res = try await act(app, view.id, .reject, token: marketStaff)
            XCTAssertEqual(try problem(res).code, "bundle.reason_required")
            res = try await act(app, view.id, .reject, reason: "经营场所不在本市", token: marketStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let refused = try res.content.decode(BundleService.ApplicationView.self)
            XCTAssertEqual(refused.state, .notAccepted)
            XCTAssertTrue(refused.tasks.allSatisfy { $0.caseState == .withdrawn })
            res = try await act(app, view.id, .accept, token: marketStaff)
            XCTAssertEqual(try problem(res).code, "bundle.action_not_allowed")
        }
    }

    func testOneAcceptanceChecksTheMaterialsOfTasksThatWaitToo() async throws {
        try await withBundles { app, _, citizen in
            let view = try await file(app, "startBusiness", token: citizen, key: "company-2")
            // A material only the tasks waiting for the company registration ask for.
            let waitingOnly = try XCTUnwrap(
                view.materials.first { $0.askedOfApplicant && $0.required && !$0.members.contains("公司设立登记") },
                "the bundle has a material only its waiting tasks need: \(view.materials.map { ($0.name, $0.members) })")
            let waiting = view.tasks.filter { waitingOnly.members.contains($0.name) }.compactMap(\.caseID)
            try await CaseMaterialRecord.query(on: app.db).filter(\.$caseID ~~ waiting).filter(\.$materialName == waitingOnly.name).delete()
            let marketStaff = try await staffToken(app, "market", Self.staff(Self.market))
            var res = try await act(app, view.id, .accept, token: marketStaff)
            XCTAssertEqual(res.status, .conflict)
            let refusal = try problem(res).detail
            XCTAssertTrue(refusal.contains(waitingOnly.name), refusal)
            let still = try await read(app, view.id, token: citizen)
            XCTAssertEqual(still.state, .submitted, "nothing fanned out")
            // Given again once, the acceptance goes through.
            res = try await upload(app, path: "/api/v1/bundle-applications/\(view.id)/materials/\(waitingOnly.position)", samplePDF("again"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            res = try await act(app, view.id, .accept, token: marketStaff)
            XCTAssertEqual(res.status, .ok, res.body.string)
        }
    }

    func testTheCreditRegistryIsReadOnceForAnApplicationAndItsStrictestRuleApplies() async throws {
        try await withBundles { app, _, citizen in
            try await fillRegistries(
                app,
                LocalSharedData.Contents(creditListings: [
                    CreditBlacklistEntry(
                        subjectCode: citizenID, subjectName: "张明", measure: "限制新设市场主体", basis: "(2025)黔01执123号失信被执行人决定书",
                        authority: "贵阳市中级人民法院", listedOn: "2025-06-01", until: "2027-06-01")
                ]))
            // 开办企业: company registration blocks a listed applicant, so the whole application is refused.
            let merged = try await guide(app, "startBusiness")
            let body = NewBundleApplicationRequest(bundle: "startBusiness", answers: [:], optionalMembers: [], form: Self.answers(merged.form))
            var res = try await call(app, .POST, "/api/v1/bundle-applications", token: citizen, json: body, key: "blocked-1")
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            XCTAssertEqual(try problem(res).code, "credit.blocked")
            let written = try await BundleApplicationRecord.query(on: app.db).count()
            XCTAssertEqual(written, 0)
            // 开办餐饮店: its items flag; the lead window must say why it proceeds, once for every task.
            let view = try await file(app, "openRestaurant", token: citizen, key: "flagged-1", answers: ["tobacco": "否"])
            let marketStaff = try await staffToken(app, "market", Self.staff(Self.market))
            let seen = try await read(app, view.id, token: marketStaff)
            XCTAssertNotNil(seen.creditWarning)
            res = try await act(app, view.id, .accept, token: marketStaff)
            XCTAssertEqual(try problem(res).code, "credit.reason_required")
            res = try await call(
                app, .POST, "/api/v1/bundle-applications/\(view.id)/actions", token: marketStaff,
                json: BundleActionRequest(action: .accept, creditReason: "失信被执行人事项与餐饮经营无关，依法继续办理"))
            XCTAssertEqual(res.status, .ok, res.body.string)
            let tasks = try await CaseRecord.query(on: app.db).filter(\.$bundleApplicationID == view.id).all()
            XCTAssertTrue(tasks.allSatisfy { $0.creditWarning != nil && $0.creditReason != nil })
            let reads = try await DataUseRecord.query(on: app.db).filter(\.$purpose == DataSharingService.Purpose.creditCheck.rawValue).count()
            XCTAssertEqual(reads, 2, "one credit read per application filed or refused")
        }
    }
}
