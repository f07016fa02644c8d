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
        // A CR LF inside a value is one Character; it is quoted all the same.
        let crlf = [["第一行\r\n第二行", "x"]]
        XCTAssertEqual(CSV.encode(crlf), "\"第一行\r\n第二行\",x\r\n")
        XCTAssertEqual(try CSV.decode(CSV.encode(crlf)), crlf)
    }

    func testFiguresAreWrittenWithFixedDecimalsAsPrintfWouldWriteThem() {
        XCTAssertEqual(FigureText.fixed(96.9, places: 2), "96.90")
        XCTAssertEqual(FigureText.fixed(0.5, places: 0), "1")
        XCTAssertEqual(FigureText.fixed(-0.004, places: 2), "0.00", "no minus sign on a zero")
        XCTAssertEqual(FigureText.fixed(-1.25, places: 1), "-1.3")
        XCTAssertEqual(FigureText.fixed(100, places: 1), "100.0")
        XCTAssertEqual(FigureText.fixed(0.0701, places: 4), "0.0701")
        XCTAssertEqual(FigureText.percent(0.969, places: 1), "96.9%")
        XCTAssertEqual(FigureText.percent(nil, places: 1), "—")
        XCTAssertEqual(FigureText.percent(.nan, places: 2, absent: ""), "")
        // The figures the indicators produce (rounded to four places) read as printf reads them
        // with two decimals (one decimal differs on exact halves: 1.25 is 1.3 here, 四舍五入).
        XCTAssertEqual(FigureText.percent(0.0125, places: 1), "1.3%")
        var random = SplitMix(seed: 42)
        for _ in 0..<5000 {
            let share = Double(Int.random(in: 0...10_000, using: &random)) / 10_000
            XCTAssertEqual(FigureText.percent(share, places: 2), String(format: "%.2f%%", share * 100), "\(share)")
            let index = Double(Int.random(in: 2000...10_000, using: &random)) / 100
            XCTAssertEqual(FigureText.fixed(index, places: 2), String(format: "%.2f", index), "\(index)")
        }
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
