import XCTest
import YiwangCore
import YiwangTestSupport

final class ExchangeTests: XCTestCase {
    let context = LintContext(today: Fixtures.date("2026-11-22"))

    func testCSVQuotesAndParsesTrickyFields() throws {
        let rows = [["a", "b,c", "引号\"在内", "多\n行"], ["", "=SUM(A1)", "-5", "末"]]
        let text = CSV.encode(rows)
        let parsed = try CSV.decode(text)
        XCTAssertEqual(parsed[0], rows[0])
        XCTAssertEqual(parsed[1][1], "'=SUM(A1)", "a formula is neutralised for spreadsheets")
        XCTAssertEqual(parsed[1][2], "-5", "numbers stay numbers")
        XCTAssertEqual(try CSV.decode("\u{FEFF}x,y\r\n1,2\r\n"), [["x", "y"], ["1", "2"]])
        XCTAssertThrowsError(try CSV.decode("a,\"b\nc"))
        XCTAssertThrowsError(try CSV.decode("a,b\"c\""))
    }

    func testCatalogCSVRoundTripsEveryElement() throws {
        let items = Fixtures.document().items
        let text = try CatalogCSV.encode(items)
        let back = try CatalogCSV.decode(text)
        XCTAssertEqual(back.count, items.count)
        for (original, decoded) in zip(items, back) {
            XCTAssertEqual(decoded.guide, original.guide)
            XCTAssertEqual(decoded.baseCode, original.baseCode)
            XCTAssertEqual(decoded.state, original.state)
        }
    }

    func testCatalogCSVReportsBadRowsByLine() {
        var text = try! CatalogCSV.encode(Fixtures.document().items)
        text = text.replacingOccurrences(of: ",5,promised,", with: ",five,promised,")
        XCTAssertThrowsError(try CatalogCSV.decode(text)) { error in
            let domain = error as? DomainError
            XCTAssertEqual(domain?.code, "csv.invalid")
            XCTAssertTrue(domain?.fieldErrors.contains { $0.message.contains("第2行") && $0.message.contains("promisedLimit") } ?? false)
        }
        XCTAssertThrowsError(try CatalogCSV.decode("code,baseCode\r\n")) { error in
            XCTAssertEqual((error as? DomainError)?.code, "csv.columns")
        }
    }

    func testValidDocumentPassesAndDerivesImplementationCodes() throws {
        let codes = try CatalogDocumentValidator.validate(Fixtures.document(), existing: CatalogSnapshot(), context: context)
        XCTAssertEqual(codes.map(\.value), [
            Fixtures.implementationCode(), Fixtures.implementationCode(base: Fixtures.secondBaseCode),
            Fixtures.implementationCode(department: Fixtures.districtDepartment, level: 4),
        ])
    }

    func testDocumentErrorsAreAllReportedAndNothingPasses() {
        var document = Fixtures.document()
        document.departments[1].creditCode = "11650000010183859E"
        document.items[0].guide.promisedLimit = 99
        document.items[1].guide.name = "改过的名称"
        document.items.append(document.items[0])
        XCTAssertThrowsError(try CatalogDocumentValidator.validate(document, existing: CatalogSnapshot(), context: context)) { error in
            let domain = error as! DomainError
            XCTAssertEqual(domain.code, "catalog.import_invalid")
            let fields = domain.fieldErrors.map(\.field)
            XCTAssertTrue(fields.contains("departments/1/creditCode"))
            XCTAssertTrue(fields.contains { $0.hasPrefix("items/0/guide/promisedLimit") })
            XCTAssertTrue(fields.contains { $0.hasPrefix("items/1/guide/name") }, "published entry contradicting its base entry")
            XCTAssertTrue(domain.fieldErrors.contains { $0.message.contains("重复") })
        }
    }

    func testDocumentRejectsRegionsThatDoNotNest() {
        var document = Fixtures.document()
        document.regions[2].level = .province
        document.regions.append(.init(code: "360000", name: "江西省", level: .city, parent: nil))
        XCTAssertThrowsError(try CatalogDocumentValidator.validate(document, existing: CatalogSnapshot(), context: context)) { error in
            let fields = (error as! DomainError).fieldErrors.map(\.field)
            XCTAssertTrue(fields.contains("regions/2/level"))
            XCTAssertTrue(fields.contains("regions/3/parent"))
        }
    }

    func testGuideValidatorCollectsEveryFieldProblem() {
        var guide = Fixtures.guide()
        guide.name = ""
        guide.promisedLimit = -1
        guide.reviewedOn = "2026-02-30"
        guide.materials[0].copyCount = 500
        XCTAssertThrowsError(try GuideValidator.validate(guide)) { error in
            let fields = Set((error as! DomainError).fieldErrors.map(\.field))
            XCTAssertEqual(fields, ["name", "promisedLimit", "reviewedOn", "materials/0"])
        }
        XCTAssertThrowsError(try GuideValidator.validate(Fixtures.guide(), baseCode: "000722002000"), "type differs from the base code")
    }

    func testSyntheticCatalogIsValidAndUnique() throws {
        let generated = SyntheticCatalog.generate(count: 300, from: Fixtures.document())
        XCTAssertEqual(generated.items.count, 300)
        XCTAssertEqual(Set(generated.baseItems.map(\.baseCode)).count, 300)
        XCTAssertNoThrow(try CatalogDocumentValidator.validate(generated, existing: CatalogSnapshot(), context: context))
    }

    func testLatencySummaryPercentiles() {
        let summary = LatencySummary(samples: (1...100).map(Double.init), seconds: 2)
        XCTAssertEqual(summary.p50, 50)
        XCTAssertEqual(summary.p99, 99)
        XCTAssertEqual(summary.max, 100)
        XCTAssertEqual(summary.throughput, 50)
    }

    func testPolicyScopesAndRoles() {
        let market = Actor.staff(account: "m", grants: [Grant(role: .departmentAdministrator, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))])
        let cityAdmin = Actor.staff(account: "c", grants: [Grant(role: .catalogAdministrator, scope: Scope(regionCode: Fixtures.city))])
        let own = ResourceOwner(departmentCreditCode: Fixtures.cityDepartment, regionCode: Fixtures.city)
        let other = ResourceOwner(departmentCreditCode: Fixtures.districtDepartment, regionCode: Fixtures.district)
        let elsewhere = ResourceOwner(departmentCreditCode: Fixtures.unknownButValidCredit, regionCode: "510100000000")
        XCTAssertTrue(Policy.allows(market, .editCatalog, on: own))
        XCTAssertFalse(Policy.allows(market, .editCatalog, on: other))
        XCTAssertFalse(Policy.allows(market, .publishCatalog, on: own), "department administrators submit; catalog administrators publish")
        XCTAssertTrue(Policy.allows(cityAdmin, .publishCatalog, on: other), "the district lies inside the city")
        XCTAssertFalse(Policy.allows(cityAdmin, .publishCatalog, on: elsewhere))
        XCTAssertFalse(Policy.allows(cityAdmin, .importCatalog), "imports need an unrestricted grant")
        XCTAssertTrue(Policy.allows(.anonymous, .readPublishedCatalog))
        XCTAssertThrowsError(try Policy.authorize(.anonymous, .readDraftCatalog)) { error in
            XCTAssertEqual((error as? DomainError)?.kind, .unauthenticated)
        }
        XCTAssertEqual(Policy.scopes(for: market, .readDraftCatalog), [Scope(departmentCreditCode: Fixtures.cityDepartment)])
    }
}
