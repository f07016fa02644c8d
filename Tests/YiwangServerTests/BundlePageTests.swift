import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The 一件事 pages: from the home page to the merged guide, the one form, the applicant's page
/// and the lead window's one acceptance.
final class BundlePageTests: XCTestCase {
    /// The API tests' helpers (the demo city with its bundles, filing, reading).
    let api = BundleAPITests(name: "helpers", testClosure: { _ in })

    func testACitizenAppliesForNewbornOnThePagesAndTheLeadWindowAcceptsItOnce() async throws {
        try await api.withBundles { app, _, citizenToken in
            var visitor = BrowserSession()
            var res = try await visitor.get(app, "/")
            XCTAssertTrue(res.body.string.contains("href=\"/bundles/newborn\""), "the home page leads to the bundle's one form")
            res = try await visitor.get(app, "/bundles")
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains("开办餐饮店一件事"))
            res = try await visitor.get(app, "/bundles/newborn")
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains("是否同时申领生育津贴"))
            XCTAssertFalse(res.body.string.contains("bundle-mapping"), "the field mapping is for staff")
            res = try await visitor.get(app, "/bundles/newborn?answers[maternityAllowance]=maybe")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("应从“是/否”中选择"))
            res = try await visitor.get(app, "/bundles/newborn/apply?answers[maternityAllowance]=否")
            XCTAssertEqual(res.status, .seeOther, "applying needs signing in")

            var citizen = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            res = try await citizen.get(app, "/bundles/newborn/apply?answers[maternityAllowance]=否")
            XCTAssertEqual(res.status, .ok, res.body.string)
            let html = res.body.string
            XCTAssertEqual(html.components(separatedBy: "name=\"f_babyName\"").count - 1, 1, "the baby's name is asked once for four items")
            let merged = try await api.guide(app, "newborn", query: "?answers[maternityAllowance]=否")
            var form: [String: String] = [
                "idempotencyKey": "page-1", "choice": "answers%5BmaternityAllowance%5D=%E5%90%A6",
            ]
            for (key, value) in BundleAPITests.answers(merged.form) {
                form["f_" + key] = value.scalarText ?? ""
            }
            // A wrong ID number comes back with the message and nothing filed.
            var wrong = form
            wrong["f_idNumber"] = "520102199003071230"
            res = try await citizen.post(app, "/bundles/newborn/apply", wrong)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("form-error"))
            res = try await citizen.post(app, "/bundles/newborn/apply", form)
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            let location = try XCTUnwrap(res.headers.first(name: .location))
            XCTAssertTrue(location.hasPrefix("/me/bundles/"))
            res = try await citizen.get(app, location)
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains("请在下方一次上传全部材料"))
            XCTAssertTrue(res.body.string.contains("bundle-material-list"))
            let id = try XCTUnwrap(UUID(uuidString: String(location.dropFirst("/me/bundles/".count).prefix(36))))
            // The materials, each once (through the API here; the page posts the same service).
            let view = try await api.read(app, id, token: citizenToken)
            for material in view.materials where material.askedOfApplicant && material.required {
                let uploaded = try await upload(app, path: "/api/v1/bundle-applications/\(id)/materials/\(material.position)", samplePDF(), token: citizenToken)
                XCTAssertEqual(uploaded.status, .created, uploaded.body.string)
            }
            res = try await citizen.get(app, "/me/bundles")
            XCTAssertTrue(res.body.string.contains("/me/bundles/\(id)"))

            try await staffToken(app, "health", BundleAPITests.staff(BundleAPITests.health))
            var clerk = try await BrowserSession.signIn(app, at: "/admin/login", account: "health", password: testPassword, landing: "/admin/bundles")
            res = try await clerk.get(app, "/admin/bundles")
            XCTAssertTrue(res.body.string.contains("/admin/bundles/\(id)"))
            res = try await clerk.get(app, "/admin/bundles/\(id)")
            XCTAssertTrue(res.body.string.contains("一次受理全部事项"))
            XCTAssertTrue(res.body.string.contains("填入："), "staff see which members each answer fills")
            res = try await clerk.post(app, "/admin/bundles/\(id)/actions", ["action": "accept"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            res = try await clerk.get(app, res.headers.first(name: .location) ?? "")
            XCTAssertTrue(res.body.string.contains("已完成：一次受理"))
            XCTAssertTrue(res.body.string.contains("各部门并联办理中"))
            res = try await citizen.get(app, location)
            XCTAssertTrue(res.body.string.contains("社会保障卡申领"))
            XCTAssertTrue(res.body.string.contains("bundle-holdup"), "the applicant sees which department the bundle waits for")
        }
    }
}
