import XCTest
import YiwangCore
import YiwangTestSupport

final class CatalogLinterTests: XCTestCase {
    let context = LintContext(today: Fixtures.date("2026-11-22"))

    func rules(_ guide: ServiceGuide, base: BaseEntry? = nil, code: String? = nil, baseCode: String? = nil) -> Set<String> {
        var subject = Fixtures.subject(guide, base: base)
        if let code { subject.implementationCode = code }
        if let baseCode { subject.baseCode = baseCode }
        return Set(CatalogLinter.lint(subject, context: context).map(\.rule))
    }

    func testACompleteGuideHasNoFindings() {
        XCTAssertEqual(CatalogLinter.lint(Fixtures.subject(), context: context), [])
    }

    func testThereAreAtLeastFifteenDistinctRules() {
        XCTAssertGreaterThanOrEqual(Set(CatalogLinter.rules.map(\.id)).count, 15)
        XCTAssertEqual(Set(CatalogLinter.rules.map(\.id)).count, CatalogLinter.rules.count, "rule ids are unique")
    }

    /// One case per rule: the change to a clean guide that must trigger it.
    func testEachRuleFindsItsFlaw() {
        var cases: [(String, (inout ServiceGuide) -> Void)] = []
        cases.append(("missing-legal-basis", { $0.legalBasis = [" "] }))
        cases.append(("missing-acceptance-conditions", { $0.acceptanceConditions = "" }))
        cases.append(("missing-process", { $0.processSteps = [] }))
        cases.append(("missing-contact", { $0.consultationPhone = "" }))
        cases.append(("missing-result", { $0.result.name = "" }))
        cases.append(("missing-materials", { $0.materials = [] }))
        cases.append(("missing-target-or-channel", { $0.targets = [] }))
        cases.append(("promised-exceeds-statutory", { $0.promisedLimit = 15 }))
        cases.append(("limit-inconsistent", { $0.processing = .immediate }))
        cases.append(("proof-without-basis", { $0.materials.append(MaterialRequirement(name: "无犯罪记录证明")) }))
        cases.append(("circular-proof", { $0.materials.append(MaterialRequirement(name: "食品经营许可证持有证明", legalBasis: "某办法")) }))
        cases.append(("fee-without-basis", { $0.fees = [FeeRule(name: "工本费", amountFen: 1000, standard: "10元/本", basis: nil)] }))
        cases.append(("fee-amount-invalid", { $0.fees = [FeeRule(name: "工本费", amountFen: 0, standard: "0元", basis: "某文件")] }))
        cases.append(("duplicate-material", { $0.materials.append(MaterialRequirement(name: "食品经营许可 申请书")) }))
        cases.append(("contradictory-material", { $0.materials[0].required = false; $0.materials[0].deferrable = true }))
        cases.append(("material-count-missing", { $0.materials[0].originalCount = 0 }))
        cases.append(("shared-material-resubmitted", { $0.materials[1].copyCount = 1 }))
        cases.append(("deferral-rules", { $0.deferredMaterialDays = 30 }))
        cases.append(("zero-visit-not-online", { $0.channels = [.window] }))
        cases.append(("stale-guide", { $0.reviewedOn = "2024-01-02" }))
        cases.append(("form-field-invalid", { $0.form.fields.append(FormField(key: "applicantName", label: "重复", type: .text)) }))
        cases.append(("unreachable-form-field", { $0.form.fields[2].visibleWhen = FieldCondition(field: "businessKind", equals: "批发") }))
        cases.append(("phone-format", { $0.consultationPhone = "请来电" }))
        cases.append(("commitment-without-replaceable", { $0.commitmentBased = true }))
        for (rule, change) in cases {
            var guide = Fixtures.guide()
            change(&guide)
            XCTAssertTrue(rules(guide).contains(rule), "\(rule) should fire; got \(rules(guide))")
        }
        let covered = Set(cases.map(\.0)).union(["bad-code", "base-mismatch"])
        XCTAssertEqual(covered, Set(CatalogLinter.rules.map(\.id)), "every rule has a case here")
    }

    func testCodesAreCheckedAgainstTypeAndDepartment() {
        var guide = Fixtures.guide()
        guide.type = .confirmation
        let base = BaseEntry(baseCode: Fixtures.baseCode, name: guide.name, type: .confirmation, legalBasis: guide.legalBasis)
        XCTAssertTrue(rules(guide, base: base).contains("bad-code"), "type 07 guide under a 01 base code")
        XCTAssertTrue(rules(Fixtures.guide(), code: Fixtures.districtDepartment + "3" + Fixtures.baseCode).contains("bad-code"))
        XCTAssertTrue(rules(Fixtures.guide(), code: "X").contains("bad-code"))
    }

    func testSameItemSameStandardSameCode() {
        var guide = Fixtures.guide()
        guide.name = "食品经营许可(新办)(县级)"
        let findings = CatalogLinter.lint(Fixtures.subject(guide, base: Fixtures.base()), context: context)
        XCTAssertEqual(findings.filter { $0.rule == "base-mismatch" }.map(\.field), ["name"])
        var basis = Fixtures.guide()
        basis.legalBasis = ["《食品安全法》"]
        XCTAssertTrue(rules(basis, base: Fixtures.base()).contains("base-mismatch"))
    }

    func testBlockingFindingsAreOnlyErrors() {
        var guide = Fixtures.guide()
        guide.reviewedOn = "2020-01-01"
        XCTAssertTrue(CatalogLinter.blockingFindings(Fixtures.subject(guide), context: context).isEmpty, "stale is a warning")
        guide.promisedLimit = 30
        XCTAssertEqual(CatalogLinter.blockingFindings(Fixtures.subject(guide), context: context).map(\.rule), ["promised-exceeds-statutory"])
    }

    func testFindingsCarryTheItemAndAChineseMessage() {
        var guide = Fixtures.guide()
        guide.promisedLimit = 12
        let finding = CatalogLinter.lint(Fixtures.subject(guide), context: context).first { $0.rule == "promised-exceeds-statutory" }
        XCTAssertEqual(finding?.item, Fixtures.implementationCode())
        XCTAssertEqual(finding?.severity, .error)
        XCTAssertEqual(finding?.message, "承诺办结时限12个工作日超过法定办结时限10个工作日。")
    }
}
