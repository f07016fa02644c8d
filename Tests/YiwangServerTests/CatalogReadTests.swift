import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class CatalogReadTests: XCTestCase {
    func testHealthAndReadiness() async throws {
        try await withApp { app, _ in
            try await app.test(.GET, "/healthz") { res async in XCTAssertEqual(res.status, .ok) }
            try await app.test(.GET, "/readyz") { res async throws in
                XCTAssertEqual(res.status, .ok)
                XCTAssertEqual(try res.content.decode(OperationsController.Readiness.self).status, "ready")
            }
        }
    }

    func testSearchAnswersTheContractShape() async throws {
        try await withApp { app, _ in
            try await app.test(.GET, "/api/v1/items") { res async throws in
                XCTAssertEqual(res.status, .ok)
                let json = try JSONSerialization.jsonObject(with: Data(res.body.readableBytesView)) as! [String: Any]
                XCTAssertEqual(json["total"] as? Int, 2, "the district draft is not public")
                XCTAssertEqual(json["page"] as? Int, 1)
                XCTAssertEqual(json["per"] as? Int, 20)
                let first = (json["items"] as! [[String: Any]]).first!
                for key in ["code", "baseCode", "name", "type", "department", "statutoryLimit", "promisedLimit", "requiredVisits", "materials"] {
                    XCTAssertNotNil(first[key], key)
                }
            }
        }
    }

    func testSearchByChineseWordsAndFilters() async throws {
        try await withApp { app, _ in
            func codes(_ query: String) async throws -> [String] {
                var result: [String] = []
                try await app.test(.GET, "/api/v1/items?" + query) { res async throws in
                    XCTAssertEqual(res.status, .ok, query)
                    result = try res.content.decode(SearchResponse.self).items.map(\.code)
                }
                return result
            }
            let q = "作坊".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
            let r1 = try await codes("q=\(q)")
            XCTAssertEqual(r1, [workshopCode])
            let material = "管理制度".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
            let r2 = try await codes("q=\(material)")
            XCTAssertEqual(r2.count, 2, "materials are searchable")
            // A word the text index finds (four characters) narrowed by a two-character one it cannot.
            let both = "管理制度 作坊".addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!
            let r2b = try await codes("q=\(both)")
            XCTAssertEqual(r2b, [workshopCode])
            // Quotes and FTS5 operators in a word are matched as characters, never as syntax.
            for hostile in ["管理\"制度", "\"管理制度", "管理制度 OR 作坊", "NEAR(管理 制度)", "管理制度*", "-管理制度"] {
                let encoded = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let found = try await codes("q=\(encoded)")
                XCTAssertTrue(found.count <= 2, hostile)
            }
            let operatorWord = "管理制度 OR".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let r2c = try await codes("q=\(operatorWord)")
            XCTAssertEqual(r2c, [], "OR is a word to find, not an operator")
            let r3 = try await codes("type=confirmation")
            XCTAssertEqual(r3, [workshopCode])
            let r4 = try await codes("type=07")
            XCTAssertEqual(r4, [workshopCode], "national type codes work too")
            let r5 = try await codes("lifeEvent=openRestaurant")
            XCTAssertEqual(r5, [foodCode])
            let r6 = try await codes("zeroVisit=true")
            XCTAssertEqual(r6.count, 2)
            let r7 = try await codes("zeroVisit=false")
            XCTAssertEqual(r7, [])
            let r8 = try await codes("target=legalPerson")
            XCTAssertEqual(r8.count, 2)
            let r9 = try await codes("department=\(Fixtures.districtDepartment)")
            XCTAssertEqual(r9, [])
            let r10 = try await codes("q=%25")
            let all10 = try await codes("")
            XCTAssertEqual(r10, all10, "wildcards are literal nothing")
            let r11 = try await codes("per=1&page=2")
            XCTAssertEqual(r11.count, 1)
            let r12 = try await codes("per=1&page=9")
            XCTAssertEqual(r12, [])
        }
    }

    func testBadSearchParametersAreRefusedInChinese() async throws {
        try await withApp { app, _ in
            for query in ["type=punishment", "target=alien", "zeroVisit=maybe", "per=0", "per=101", "page=0", "page=x",
                          "department=123", "lifeEvent=%3Cscript%3E"] {
                try await app.test(.GET, "/api/v1/items?" + query) { res async throws in
                    XCTAssertEqual(res.status, .badRequest, query)
                    _ = try problem(res)
                }
            }
        }
    }

    func testReadingAPublishedItemFlattensTheGuide() async throws {
        try await withApp { app, _ in
            try await app.test(.GET, "/api/v1/items/\(foodCode.lowercased())") { res async throws in
                XCTAssertEqual(res.status, .ok)
                let json = try JSONSerialization.jsonObject(with: Data(res.body.readableBytesView)) as! [String: Any]
                XCTAssertEqual(json["code"] as? String, foodCode)
                XCTAssertEqual(json["name"] as? String, "食品经营许可(新办)")
                XCTAssertEqual(json["state"] as? String, "published")
                XCTAssertEqual((json["materials"] as? [Any])?.count, 3)
                XCTAssertNotNil(json["form"])
                let document = try res.content.decode(ItemDocument.self)
                XCTAssertEqual(document.guide, Fixtures.guide())
            }
            try await app.test(.GET, "/api/v1/items/\(districtDraftCode)") { res async throws in
                XCTAssertEqual(res.status, .notFound)
                XCTAssertEqual(try problem(res).code, "catalog.item_not_published")
            }
            try await app.test(.GET, "/api/v1/items/NOPE") { res async throws in
                XCTAssertEqual(res.status, .notFound)
                XCTAssertEqual(try problem(res).code, "catalog.item_not_found")
            }
        }
    }

    func testRegionsDepartmentsTypesAndLifeEvents() async throws {
        try await withApp { app, _ in
            try await app.test(.GET, "/api/v1/regions") { res async throws in
                let regions = try res.content.decode([RegionView].self)
                XCTAssertEqual(regions.map(\.level), [.province, .city, .county])
            }
            try await app.test(.GET, "/api/v1/departments") { res async throws in
                XCTAssertEqual(try res.content.decode([DepartmentView].self).count, 2)
            }
            try await app.test(.GET, "/api/v1/departments/\(Fixtures.districtDepartment)") { res async throws in
                XCTAssertEqual(try res.content.decode(DepartmentView.self).name, "鼓楼区行政审批局")
            }
            try await app.test(.GET, "/api/v1/departments/\(Fixtures.unknownButValidCredit)") { res async in
                XCTAssertEqual(res.status, .notFound)
            }
            try await app.test(.GET, "/api/v1/item-types") { res async throws in
                XCTAssertEqual(try res.content.decode([CatalogAPIController.ItemTypeView].self).count, 9)
            }
            try await app.test(.GET, "/api/v1/life-events") { res async throws in
                XCTAssertEqual(try res.content.decode([LifeEventView].self).map(\.slug), ["openRestaurant"])
            }
        }
    }

    func testLintShowsPublishedFindingsToAnyoneAndDraftsToStaffOnly() async throws {
        try await withApp { app, clock in
            // A year on, every published guide is stale.
            clock.advance(by: 400 * 86_400)
            try await app.test(.GET, "/api/v1/lint") { res async throws in
                XCTAssertEqual(res.status, .ok)
                let findings = try res.content.decode(LintResponse.self).findings
                XCTAssertEqual(Set(findings.map(\.item)), [foodCode, workshopCode])
                XCTAssertTrue(findings.allSatisfy { $0.rule == "stale-guide" })
            }
            try await app.test(.GET, "/api/v1/lint?includeDrafts=true") { res async throws in
                XCTAssertEqual(res.status, .unauthorized)
                _ = try problem(res)
            }
            let token = try await staffToken(app, "admin", catalogAdmin)
            try await app.test(.GET, "/api/v1/lint?includeDrafts=true", headers: .bearer(token)) { res async throws in
                let findings = try res.content.decode(LintResponse.self).findings
                XCTAssertTrue(findings.contains { $0.item == districtDraftCode })
                XCTAssertGreaterThanOrEqual(try res.content.decode(LintResponse.self).rules?.count ?? 0, 15)
            }
            let scoped = try await staffToken(app, "market", cityMarketAdmin)
            try await app.test(.GET, "/api/v1/lint?includeDrafts=true", headers: .bearer(scoped)) { res async throws in
                let findings = try res.content.decode(LintResponse.self).findings
                XCTAssertFalse(findings.contains { $0.item == districtDraftCode }, "another department's draft stays hidden")
            }
        }
    }

    func testPublicPagesRenderInChinese() async throws {
        try await withApp { app, _ in
            for path in ["/", "/items", "/items?q=%E9%A3%9F%E5%93%81&zeroVisit=true", "/items/\(foodCode)", "/items/\(foodCode)/print",
                         "/items/\(foodCode)/form-template", "/departments", "/departments/\(Fixtures.cityDepartment)", "/admin/login", "/password-reset", "/signin?reset=1"] {
                try await app.test(.GET, path) { res async in
                    XCTAssertEqual(res.status, .ok, path)
                    XCTAssertEqual(res.headers.contentType?.subType, "html", path)
                    XCTAssertTrue(res.body.string.contains("lang=\"zh-CN\""), path)
                }
            }
            try await app.test(.GET, "/items/\(foodCode)") { res async in
                let html = res.body.string
                for text in ["食品经营许可(新办)", "申请材料", "食品经营许可申请书", "免提交", "5个工作日", "10个工作日", "不见面办理", "《中华人民共和国食品安全法》第三十五条"] {
                    XCTAssertTrue(html.contains(text), text)
                }
            }
            try await app.test(.GET, "/items/\(foodCode)/form-template?download=1") { res async in
                XCTAssertEqual(res.headers.contentDisposition?.value, .attachment)
                XCTAssertTrue(res.body.string.contains("经营项目"))
            }
            try await app.test(.GET, "/items/\(districtDraftCode)") { res async in
                XCTAssertEqual(res.status, .notFound)
                XCTAssertTrue(res.body.string.contains("该事项尚未发布或已停用"))
            }
            try await app.test(.GET, "/items?type=nonsense") { res async in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertTrue(res.body.string.contains("事项类型“nonsense”不存在"))
            }
        }
    }

    func testLargeTextPreferenceIsRememberedAndRedirectsStayOnSite() async throws {
        try await withApp { app, _ in
            try await app.test(.GET, "/preferences/text-size?size=large&back=/items") { res async in
                XCTAssertEqual(res.status, .seeOther)
                XCTAssertEqual(res.headers.first(name: .location), "/items")
                XCTAssertEqual(res.headers.setCookie?["yw_text"]?.string, "large")
            }
            try await app.test(.GET, "/preferences/text-size?size=large&back=//evil.example") { res async in
                XCTAssertEqual(res.headers.first(name: .location), "/")
            }
            var headers = HTTPHeaders()
            headers.cookie = HTTPCookies(dictionaryLiteral: ("yw_text", HTTPCookies.Value(string: "large")))
            try await app.test(.GET, "/", headers: headers) { res async in
                XCTAssertTrue(res.body.string.contains("class=\"large-text\""))
                XCTAssertTrue(res.body.string.contains("标准字号"))
            }
        }
    }
}
