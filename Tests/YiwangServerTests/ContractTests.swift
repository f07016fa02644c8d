import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class ContractTests: XCTestCase {
    /// Every documented operation exists, and every API route is documented.
    func testOpenAPIDocumentMatchesTheRoutes() async throws {
        try await withApp(seed: false) { app, _ in
            var document: [String: Any] = [:]
            try await app.test(.GET, "/api/v1/openapi.json") { res async throws in
                XCTAssertEqual(res.status, .ok)
                document = try JSONSerialization.jsonObject(with: Data(res.body.readableBytesView)) as! [String: Any]
            }
            XCTAssertEqual(document["openapi"] as? String, "3.1.0")
            var documented: Set<String> = []
            for (path, operations) in document["paths"] as! [String: [String: Any]] {
                for method in operations.keys where ["get", "post", "put", "delete", "patch"].contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            let served = Set(app.routes.all.compactMap { route -> String? in
                let path = "/" + route.path.map { component -> String in
                    if case .parameter(let name) = component { return "{\(name)}" }
                    return component.description
                }.joined(separator: "/")
                guard path.hasPrefix("/api/") || path == "/healthz" || path == "/readyz" else { return nil }
                return "\(route.method.rawValue) \(path)"
            })
            XCTAssertEqual(documented.subtracting(served), [], "documented but not served")
            XCTAssertEqual(served.subtracting(documented), [], "served but not documented")
        }
    }

    func testUnknownRoutesAnswerProblemDetailsOrAChinesePage() async throws {
        try await withApp(seed: false) { app, _ in
            try await app.test(.GET, "/api/v1/nothing-here") { res async throws in
                XCTAssertEqual(res.status, .notFound)
                XCTAssertEqual(try problem(res).code, "resource.not_found")
            }
            try await app.test(.GET, "/nothing-here") { res async in
                XCTAssertEqual(res.status, .notFound)
                XCTAssertTrue(res.body.string.contains("您访问的页面或资源不存在"))
            }
        }
    }
}

final class StaffPageTests: XCTestCase {
    func testStaffPagesNeedSignInAndCSRF() async throws {
        try await withApp { app, _ in
            try await staffToken(app, "admin", catalogAdmin)
            try await app.test(.GET, "/admin") { res async in
                XCTAssertEqual(res.status, .seeOther)
                XCTAssertTrue(res.headers.first(name: .location)?.hasPrefix("/admin/login") ?? false)
            }
            try await app.test(.POST, "/admin/login", beforeRequest: { req in
                try req.content.encode(["account": "admin", "password": testPassword], as: .urlEncodedForm)
            }, afterResponse: { res async in
                XCTAssertEqual(res.status, .forbidden, "no CSRF token, no sign-in")
                XCTAssertTrue(res.body.string.contains("表单已过期"))
            })
            let wrong = try await BrowserSession.signIn(app, at: "/admin/login", account: "admin", password: "nope", landing: "/admin")
            XCTAssertEqual(wrong.status, .unauthorized)
            let session = try await BrowserSession.signIn(app, at: "/admin/login", account: "admin", password: testPassword, landing: "/admin")
            XCTAssertEqual(session.status, .seeOther)
            let headers = session.headers
            for path in ["/admin", "/admin/items/new", "/admin/items/\(districtDraftCode)", "/admin/lint", "/admin/items/\(foodCode)/diff?from=1&to=1"] {
                try await app.test(.GET, path, headers: headers) { res async in
                    XCTAssertEqual(res.status, .ok, path)
                }
            }
            try await app.test(.GET, "/admin", headers: headers) { res async in
                XCTAssertTrue(res.body.string.contains("食品经营许可(新办)"))
                XCTAssertTrue(res.body.string.contains("草稿"))
            }
        }
    }

    func testDepartmentStaffSeeOnlyTheirOwnEntries() async throws {
        try await withApp { app, _ in
            try await staffToken(app, "market", cityMarketAdmin)
            let session = try await BrowserSession.signIn(app, at: "/admin/login", account: "market", password: testPassword, landing: "/admin")
            let headers = session.headers
            try await app.test(.GET, "/admin", headers: headers) { res async in
                XCTAssertTrue(res.body.string.contains(foodCode))
                XCTAssertFalse(res.body.string.contains(districtDraftCode), "the district's draft is out of scope")
            }
            try await app.test(.GET, "/admin/items/\(districtDraftCode)", headers: headers) { res async in
                XCTAssertEqual(res.status, .forbidden)
            }
        }
    }

    func testEditingThroughTheFormReportsEveryProblem() async throws {
        try await withApp { app, _ in
            try await staffToken(app, "admin", catalogAdmin)
            let session = try await BrowserSession.signIn(app, at: "/admin/login", account: "admin", password: testPassword, landing: "/admin")
            let headers = session.headers
            var form = AdminPageController.GuideForm(guide: Fixtures.guide())
            form.csrf = session.csrf
            form.promisedLimit = "三天"
            form.materials = "[{\"name\": }"
            try await app.test(.POST, "/admin/items/\(foodCode)/draft", headers: headers, beforeRequest: { req in
                try req.content.encode(form, as: .urlEncodedForm)
            }, afterResponse: { res async in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertTrue(res.body.string.contains("承诺办结时限应为整数"))
                XCTAssertTrue(res.body.string.contains("申请材料"))
            })
            form.promisedLimit = "8"
            form.materials = AdminPageController.GuideForm(guide: Fixtures.guide()).materials
            try await app.test(.POST, "/admin/items/\(foodCode)/draft", headers: headers, beforeRequest: { req in
                try req.content.encode(form, as: .urlEncodedForm)
            }, afterResponse: { res async in
                XCTAssertEqual(res.status, .seeOther)
            })
            let latest = try await ItemRecord.query(on: app.db).filter(\.$implementationCode == foodCode).first()?.latestVersion
            XCTAssertEqual(latest, 2)
        }
    }
}
