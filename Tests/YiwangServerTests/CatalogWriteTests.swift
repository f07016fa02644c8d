import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class CatalogWriteTests: XCTestCase {
    func newItem(department: String = Fixtures.cityDepartment, base: String = "000122009000", name: String = "餐饮服务许可(新办)") -> NewItemRequest {
        NewItemRequest(baseCode: base, department: department, exerciseLevel: 3, guide: Fixtures.guide(name: name))
    }

    func post<T: Content>(_ app: Application, _ path: String, token: String?, _ body: T, check: (XCTHTTPResponse) async throws -> Void) async throws {
        try await app.test(.POST, path, headers: token.map { .bearer($0) } ?? [:], beforeRequest: { req in
            try req.content.encode(body)
        }, afterResponse: check)
    }

    func workflow(_ app: Application, _ code: String, _ action: String, token: String) async throws -> HTTPStatus {
        var status = HTTPStatus.ok
        try await post(app, "/api/v1/items/\(code)/workflow", token: token, WorkflowRequest(action: action, note: "测试")) { res in status = res.status }
        return status
    }

    func testTokensAuthenticateExpireAndRevoke() async throws {
        try await withApp { app, clock in
            let token = try await staffToken(app, "admin", catalogAdmin)
            try await app.test(.GET, "/api/v1/me", headers: .bearer(token)) { res async throws in
                XCTAssertEqual(try res.content.decode(MeResponse.self).account, "admin")
            }
            try await post(app, "/api/v1/auth/token", token: nil, TokenRequest(account: "admin", password: "wrong")) { res in
                XCTAssertEqual(res.status, .unauthorized)
                XCTAssertEqual(try problem(res).detail, "账号或密码不正确。")
            }
            try await post(app, "/api/v1/auth/token", token: nil, TokenRequest(account: "nobody", password: "wrong")) { res in
                XCTAssertEqual(try problem(res).detail, "账号或密码不正确。", "the same answer whether or not the account exists")
            }
            clock.advance(by: 9 * 3600)
            try await app.test(.GET, "/api/v1/me", headers: .bearer(token)) { res async throws in
                XCTAssertEqual(res.status, .unauthorized)
                XCTAssertEqual(try problem(res).code, "access.token_invalid")
            }
            let fresh = try await staffToken(app, "second", catalogAdmin)
            try await app.test(.DELETE, "/api/v1/auth/token", headers: .bearer(fresh)) { res async in XCTAssertEqual(res.status, .noContent) }
            try await app.test(.GET, "/api/v1/me", headers: .bearer(fresh)) { res async in XCTAssertEqual(res.status, .unauthorized) }
        }
    }

    func testCreatingAnItemIsScopedByThePolicy() async throws {
        try await withApp { app, _ in
            try await post(app, "/api/v1/items", token: nil, newItem()) { res in XCTAssertEqual(res.status, .unauthorized) }
            let market = try await staffToken(app, "market", cityMarketAdmin)
            try await post(app, "/api/v1/items", token: market, newItem(department: Fixtures.districtDepartment)) { res in
                XCTAssertEqual(res.status, .forbidden)
                XCTAssertEqual(try problem(res).code, "access.forbidden")
            }
            // A department administrator cannot invent base entries either.
            try await post(app, "/api/v1/items", token: market, newItem()) { res in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(try problem(res).code, "catalog.base_not_found")
            }
            let admin = try await staffToken(app, "admin", catalogAdmin)
            try await post(app, "/api/v1/items", token: admin, newItem()) { res in
                XCTAssertEqual(res.status, .created)
                let document = try res.content.decode(ItemDocument.self)
                XCTAssertEqual(document.state, .draft)
                XCTAssertEqual(document.code, Fixtures.cityDepartment + "3000122009000")
            }
            try await post(app, "/api/v1/items", token: admin, newItem()) { res in
                XCTAssertEqual(res.status, .conflict)
                XCTAssertEqual(try problem(res).code, "catalog.item_exists")
            }
            // Now the base entry exists, the department administrator may implement it in its own department.
            var own = newItem(base: "000122009000")
            own.department = Fixtures.cityDepartment
            own.exerciseLevel = 4
            try await post(app, "/api/v1/items", token: market, own) { res in XCTAssertEqual(res.status, .created) }
        }
    }

    func testBadCreateRequestsNeverWriteAnything() async throws {
        try await withApp { app, _ in
            let admin = try await staffToken(app, "admin", catalogAdmin)
            let before = try await ItemRecord.query(on: app.db).count()
            var badGuide = newItem()
            badGuide.guide.name = ""
            badGuide.guide.reviewedOn = "yesterday"
            try await post(app, "/api/v1/items", token: admin, badGuide) { res in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(Set(try problem(res).errors?.map(\.field) ?? []), ["name", "reviewedOn"])
            }
            try await post(app, "/api/v1/items", token: admin, newItem(department: "11100000000013338X")) { res in
                XCTAssertEqual(try problem(res).code, "code.credit_code_check")
            }
            try await post(app, "/api/v1/items", token: admin, newItem(department: Fixtures.unknownButValidCredit)) { res in
                XCTAssertEqual(res.status, .notFound)
            }
            try await post(app, "/api/v1/items", token: admin, newItem(base: "000799001000")) { res in
                let body = try problem(res)
                XCTAssertEqual(body.code, "catalog.guide_invalid")
                XCTAssertEqual(body.errors?.map(\.field), ["type"], "a licence guide under a confirmation (07) base code")
            }
            try await post(app, "/api/v1/items", token: admin, newItem(base: "009999001000")) { res in
                XCTAssertEqual(try problem(res).code, "code.base_code_type")
            }
            try await app.test(.POST, "/api/v1/items", headers: .bearer(admin), beforeRequest: { req in
                req.headers.contentType = .json
                req.body = ByteBuffer(string: "{\"baseCode\": 12, ")
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                _ = try problem(res)
            })
            try await app.test(.POST, "/api/v1/items", headers: .bearer(admin), beforeRequest: { req in
                req.headers.contentType = .json
                req.body = ByteBuffer(string: "{\"baseCode\": \"000122009000\", \"department\": \"\(Fixtures.cityDepartment)\", \"exerciseLevel\": 3}")
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(try problem(res).detail, "缺少必填字段“guide”。")
            })
            let after = try await ItemRecord.query(on: app.db).count()
            XCTAssertEqual(before, after)
        }
    }

    func testTheWholePublicationWorkflowKeepsPublishedVersionsImmutable() async throws {
        try await withApp { app, _ in
            let admin = try await staffToken(app, "admin", catalogAdmin)
            let market = try await staffToken(app, "market", cityMarketAdmin)
            // Editing a published item opens version 2 as a draft; version 1 stays public.
            var changed = Fixtures.guide()
            changed.promisedLimit = 8
            changed.acceptanceConditions += "另需核验鲲鹏甲证。"
            func found(_ word: String) async throws -> [ItemSummary] {
                let query = word.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                return try await app.sendRequest(.GET, "/api/v1/items?q=" + query).content.decode(SearchResponse.self).items
            }
            try await app.test(.PUT, "/api/v1/items/\(foodCode)/draft", headers: .bearer(market), beforeRequest: { req in
                try req.content.encode(changed, as: .json)
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .ok)
                let document = try res.content.decode(ItemDocument.self)
                XCTAssertEqual(document.version, 2)
                XCTAssertEqual(document.state, .draft)
            })
            try await app.test(.GET, "/api/v1/items/\(foodCode)") { res async throws in
                XCTAssertEqual(try res.content.decode(ItemDocument.self).guide.promisedLimit, 5)
            }
            // The public page (its body rendered once per published version) still shows version 1.
            let before = try await app.sendRequest(.GET, "/items/\(foodCode)").body.string
            XCTAssertFalse(before.contains("鲲鹏甲证"))
            let hidden = try await found("鲲鹏甲证")
            XCTAssertEqual(hidden.map(\.code), [], "a draft's words are not public")
            let status = try await workflow(app, foodCode, "approve", token: admin)
            XCTAssertEqual(status, .conflict, "a draft must be submitted first")
            let submitted = try await workflow(app, foodCode, "submit", token: market)
            XCTAssertEqual(submitted, .ok)
            // While under review the draft cannot change.
            try await app.test(.PUT, "/api/v1/items/\(foodCode)/draft", headers: .bearer(market), beforeRequest: { req in
                try req.content.encode(Fixtures.guide(), as: .json)
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .conflict)
                XCTAssertEqual(try problem(res).code, "catalog.version_under_review")
            })
            let forbidden = try await workflow(app, foodCode, "approve", token: market)
            XCTAssertEqual(forbidden, .forbidden, "department administrators do not approve")
            let approved = try await workflow(app, foodCode, "approve", token: admin)
            XCTAssertEqual(approved, .ok)
            let published = try await workflow(app, foodCode, "publish", token: admin)
            XCTAssertEqual(published, .ok)
            try await app.test(.GET, "/api/v1/items/\(foodCode)") { res async throws in
                let document = try res.content.decode(ItemDocument.self)
                XCTAssertEqual(document.version, 2)
                XCTAssertEqual(document.guide.promisedLimit, 8)
            }
            let after = try await app.sendRequest(.GET, "/items/\(foodCode)").body.string
            XCTAssertTrue(after.contains("鲲鹏甲证"), "a newly published version renders afresh")
            XCTAssertTrue(after.contains("第2版"))
            // The index and the list row follow the published version.
            let listed = try await found("鲲鹏甲证")
            XCTAssertEqual(listed.map(\.code), [foodCode])
            XCTAssertEqual(listed.first?.version, 2)
            XCTAssertEqual(listed.first?.promisedLimit, 8)
            try await app.test(.GET, "/api/v1/items/\(foodCode)/history", headers: .bearer(admin)) { res async throws in
                let history = try res.content.decode(HistoryResponse.self)
                XCTAssertEqual(history.versions.map(\.state), [.published, .retired])
                XCTAssertEqual(history.versions.first?.publishedBy, "admin")
                XCTAssertEqual(history.versions.first?.submittedBy, "market")
                XCTAssertEqual(Set(history.events.map(\.action)), ["import", "create-version", "submit", "approve", "publish"])
                XCTAssertTrue(history.events.allSatisfy { $0.at == testToday })
            }
            try await app.test(.GET, "/api/v1/items/\(foodCode)/diff?from=1&to=2", headers: .bearer(admin)) { res async throws in
                let diff = try res.content.decode(DiffResponse.self)
                XCTAssertEqual(diff.changes.map(\.path), ["acceptanceConditions", "promisedLimit"])
                XCTAssertEqual(diff.changes.last?.before, "5")
            }
            // The stored content of version 1 never changed.
            let versionOne = try await ItemVersionRecord.query(on: app.db).filter(\.$number == 1)
                .join(ItemRecord.self, on: \ItemVersionRecord.$item.$id == \ItemRecord.$id)
                .filter(ItemRecord.self, \.$implementationCode == foodCode).first()
            XCTAssertEqual(try versionOne?.guide(), Fixtures.guide())
            let retired = try await workflow(app, foodCode, "retire", token: admin)
            XCTAssertEqual(retired, .ok)
            try await app.test(.GET, "/api/v1/items/\(foodCode)") { res async in XCTAssertEqual(res.status, .notFound) }
            let gone = try await found("鲲鹏甲证")
            XCTAssertEqual(gone.map(\.code), [], "a retired item leaves the search")
            let unknown = try await workflow(app, foodCode, "explode", token: admin)
            XCTAssertEqual(unknown, .badRequest)
        }
    }

    func testPublishingRefusesAGuideWithLintErrors() async throws {
        try await withApp { app, _ in
            let admin = try await staffToken(app, "admin", catalogAdmin)
            var bad = Fixtures.guide()
            bad.promisedLimit = 30
            try await app.test(.PUT, "/api/v1/items/\(districtDraftCode)/draft", headers: .bearer(admin), beforeRequest: { req in
                try req.content.encode(bad, as: .json)
            }, afterResponse: { res async in XCTAssertEqual(res.status, .ok) })
            _ = try await workflow(app, districtDraftCode, "submit", token: admin)
            try await post(app, "/api/v1/items/\(districtDraftCode)/workflow", token: admin, WorkflowRequest(action: "approve", note: nil)) { res in
                XCTAssertEqual(res.status, .conflict)
                let body = try problem(res)
                XCTAssertEqual(body.code, "catalog.lint_errors")
                XCTAssertEqual(body.errors?.map(\.field), ["promisedLimit"])
            }
            let returned = try await workflow(app, districtDraftCode, "returnToDraft", token: admin)
            XCTAssertEqual(returned, .ok)
        }
    }

    func testImportIsAllOrNothingAndExportRoundTrips() async throws {
        try await withApp { app, _ in
            let admin = try await staffToken(app, "admin", catalogAdmin)
            let market = try await staffToken(app, "market", cityMarketAdmin)
            var exported = Data()
            try await app.test(.GET, "/api/v1/export?includeDrafts=true", headers: .bearer(admin)) { res async throws in
                XCTAssertEqual(res.status, .ok)
                exported = Data(res.body.readableBytesView)
            }
            let document = try JSONDecoder().decode(CatalogDocument.self, from: exported)
            XCTAssertEqual(document.items.count, 3)
            XCTAssertEqual(document.items.filter { $0.state == .draft }.count, 1)

            // A bad entry at the end stops the whole file.
            var broken = document
            broken.items[0].guide.promisedLimit = 1
            broken.items.append(.init(code: nil, baseCode: "000122077000", department: Fixtures.unknownButValidCredit, exerciseLevel: 3, state: .published, guide: Fixtures.guide()))
            try await app.test(.POST, "/api/v1/import", headers: .bearer(admin), beforeRequest: { req in try req.content.encode(broken, as: .json) }) { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(try problem(res).code, "catalog.import_invalid")
            }
            try await app.test(.GET, "/api/v1/items/\(foodCode)") { res async throws in
                XCTAssertEqual(try res.content.decode(ItemDocument.self).guide.promisedLimit, 5, "nothing of the bad file landed")
            }
            try await app.test(.POST, "/api/v1/import", headers: .bearer(market), beforeRequest: { req in try req.content.encode(document, as: .json) }) { res async in
                XCTAssertEqual(res.status, .forbidden)
            }
            try await app.test(.POST, "/api/v1/import", headers: .bearer(admin), beforeRequest: { req in
                req.headers.contentType = .json
                req.body = ByteBuffer(string: "{\"items\": [{\"baseCode\": 1}]}")
            }) { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(try problem(res).code, "catalog.import_malformed")
            }

            // Into a fresh platform: JSON, then the same via CSV, gives back the same catalog.
            try await withApp(seed: false) { fresh, _ in
                let token = try await staffToken(fresh, "admin", catalogAdmin)
                try await fresh.test(.POST, "/api/v1/import", headers: .bearer(token), beforeRequest: { req in
                    req.headers.contentType = .json
                    req.body = ByteBuffer(data: exported)
                }) { res async throws in
                    XCTAssertEqual(res.status, .ok)
                    let report = try res.content.decode(ImportReport.self)
                    XCTAssertEqual(report.created, 3)
                    XCTAssertEqual(report.published, 2)
                }
                try await fresh.test(.GET, "/api/v1/export?includeDrafts=true", headers: .bearer(token)) { res async throws in
                    let again = try JSONDecoder().decode(CatalogDocument.self, from: Data(res.body.readableBytesView))
                    XCTAssertEqual(again.items.map(\.guide), document.items.map(\.guide))
                    XCTAssertEqual(again.items.map(\.code), document.items.map(\.code))
                    XCTAssertEqual(again.departments, document.departments)
                }
                var csv = ""
                try await fresh.test(.GET, "/api/v1/export?format=csv&includeDrafts=true", headers: .bearer(token)) { res async in
                    XCTAssertEqual(res.headers.contentType?.subType, "csv")
                    csv = res.body.string
                }
                try await fresh.test(.POST, "/api/v1/import", headers: .bearer(token), beforeRequest: { req in
                    req.headers.contentType = HTTPMediaType(type: "text", subType: "csv")
                    req.body = ByteBuffer(string: csv)
                }) { res async throws in
                    XCTAssertEqual(res.status, .ok)
                    XCTAssertEqual(try res.content.decode(ImportReport.self).updated, 3)
                }
                try await fresh.test(.GET, "/api/v1/items/\(foodCode)") { res async throws in
                    let document = try res.content.decode(ItemDocument.self)
                    XCTAssertEqual(document.guide, Fixtures.guide())
                    XCTAssertEqual(document.version, 2, "a re-import is a new version")
                }
            }
        }
    }

    func testPageTextIsEscaped() async throws {
        try await withApp { app, _ in
            let admin = try await staffToken(app, "admin", catalogAdmin)
            var hostile = Fixtures.guide(name: "<script>alert(1)</script>许可")
            hostile.acceptanceConditions = "<img src=x onerror=alert(2)>"
            let request = NewItemRequest(baseCode: "000122055000", department: Fixtures.cityDepartment, exerciseLevel: 3, guide: hostile)
            try await post(app, "/api/v1/items", token: admin, request) { res in XCTAssertEqual(res.status, .created) }
            let code = Fixtures.cityDepartment + "3000122055000"
            for action in ["submit", "approve", "publish"] {
                let status = try await workflow(app, code, action, token: admin)
                XCTAssertEqual(status, .ok, action)
            }
            try await app.test(.GET, "/items/\(code)") { res async in
                XCTAssertFalse(res.body.string.contains("<script>alert(1)"))
                XCTAssertFalse(res.body.string.contains("<img src=x"))
                XCTAssertTrue(res.body.string.contains("&lt;script&gt;"))
            }
        }
    }

    func testDemoCityLoadsCompleteAndClean() async throws {
        try await withApp(seed: false) { app, _ in
            let (report, staff) = try await DemoCity.seed(app)
            XCTAssertGreaterThanOrEqual(report.published, 80)
            XCTAssertGreaterThanOrEqual(report.departments, 15)
            XCTAssertGreaterThanOrEqual(report.drafts, 5)
            XCTAssertGreaterThanOrEqual(report.lifeEvents, 3)
            XCTAssertEqual(
                Set(staff.map(\.account)),
                [
                    "catalog.admin", "system.admin", "supervisor", "hotline", "market.admin", "market.clerk", "market.approver", "nanming.clerk",
                    "health.staff", "police.staff", "medicare.staff", "hrss.staff", "fire.staff", "tobacco.staff", "water.staff", "tax.staff",
                    "planning.staff", "housing.staff", "centre.clerk",
                ])
            XCTAssertEqual(Set(staff.flatMap(\.grants).map(\.role)), Set(StaffRole.allCases), "the demo city has staff for every role")
            let applicants = try await ApplicantRecord.query(on: app.db).count()
            XCTAssertEqual(applicants, DemoCity.applicantSeeds.count)
            // 一件事: at least six published bundles, and applications in every state.
            let bundles = try await BundleRecord.query(on: app.db).filter(\.$publishedVersionID != nil).count()
            XCTAssertGreaterThanOrEqual(bundles, 6)
            let states = Set(try await BundleApplicationRecord.query(on: app.db).all().map(\.state))
            XCTAssertEqual(states, Set(BundleApplicationState.allCases))
            let outcomes = Set(try await BundleApplicationRecord.query(on: app.db).all().compactMap(\.outcome))
            XCTAssertEqual(outcomes, ["approved", "partlyApproved"])
            // 投资项目: the demo project is in its second stage with a joint drawing review under way.
            let projectFound = try await InvestmentProjectRecord.query(on: app.db).first()
            let project = try XCTUnwrap(projectFound)
            XCTAssertEqual(project.stage, ProjectStage.engineeringPermit.rawValue)
            XCTAssertEqual(project.proxyAgent, "centre.clerk")
            let reviews = try await JointReviewRecord.query(on: app.db).all().map(\.state)
            XCTAssertEqual(reviews, [JointReviewState.open.rawValue])
            let intact = try await AuditTrail.verify(on: app.db).intact
            XCTAssertTrue(intact, "seeding leaves an intact audit chain")
            let service = CatalogService(db: app.db, now: testToday, settings: app.settings, actor: .anonymous)
            let published = try await service.lint(includeDrafts: false, scopes: nil)
            XCTAssertEqual(published.filter { $0.severity == .error }, [], "published demo guides carry no errors")
            let drafts = try await service.lint(includeDrafts: true, scopes: nil).filter { $0.severity == .error }
            XCTAssertTrue(Set(drafts.map(\.rule)).isSuperset(of: ["promised-exceeds-statutory", "proof-without-basis", "fee-without-basis", "duplicate-material", "base-mismatch", "unreachable-form-field"]))
            let empty = try await DemoCity.isEmpty(app.db)
            XCTAssertFalse(empty)
        }
    }
}

final class LiveServerTests: XCTestCase {
    /// Body limits are enforced while streaming, so this runs over a real socket.
    func testOversizedBodiesAreRefusedWith413() async throws {
        try await withApp { app, _ in
            let admin = try await staffToken(app, "admin", catalogAdmin)
            try await app.testable(method: .running(port: 0)).test(.POST, "/api/v1/items", headers: .bearer(admin), beforeRequest: { req in
                req.headers.contentType = .json
                req.body = ByteBuffer(string: "{\"x\": \"" + String(repeating: "长", count: 400_000) + "\"}")
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .payloadTooLarge)
                _ = try problem(res)
            })
        }
    }
}
