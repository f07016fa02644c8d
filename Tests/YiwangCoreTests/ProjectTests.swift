import Foundation
import XCTest
import YiwangCore

/// 投资项目 and joint review: the project code and its check, stages, 全程代办, the project's time
/// in working days, and 多图联审 / 联合验收 / 多评合一 from opinions to one result.
final class ProjectTests: XCTestCase {
    let calendar = try! WorkingCalendar(ChinaHolidays.shipped)
    let today = try! LocalDate("2026-06-01")

    func d(_ text: String) -> LocalDate { try! LocalDate(text) }

    /// A valid credit code from its first 17 characters.
    static func credit(_ first17: String) -> String {
        first17 + String(CreditCode.checkCharacter(forFirst17: Array(first17)) ?? "0")
    }

    static let housing = credit("11350100MB2000001")
    static let planning = credit("11350100MB2000002")
    static let fire = credit("11350100MB2000003")
    static let civilDefence = credit("11350100MB2000004")
    static let stranger = credit("11350100MB2000009")

    func assertRefused(_ code: String, _ message: String = "", file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), message, file: file, line: line) { error in
            XCTAssertEqual((error as? DomainError)?.code, code, message, file: file, line: line)
        }
    }

    // MARK: - Project code

    func testKnownCodeValidatesAndNormalises() throws {
        // 2026 350102 48 01 00012 → MOD 11-2 gives 4 (worked by hand in docs/projects.md).
        let code = try ProjectCode("2026-350102-48-01-000124", today: today)
        XCTAssertEqual(code.value, "2026-350102-48-01-000124")
        XCTAssertEqual(code.value.count, 24)
        XCTAssertEqual(code.compact, "20263501024801000124")
        XCTAssertEqual(code.year, 2026)
        XCTAssertEqual(code.region, "350102")
        XCTAssertEqual(code.industry, "48")
        XCTAssertEqual(code.type, .approval)
        XCTAssertEqual(code.type.chineseName, "审批")
        XCTAssertEqual(code.serial, "00012")
        XCTAssertEqual(code.checkCharacter, "4")
        XCTAssertEqual(try ProjectCode(" 20263501024801000124 ", today: today), code)
        XCTAssertEqual(try ProjectCode("2026－350102－48－01－000124", today: today), code)
        // An X check character may be typed in lower case.
        XCTAssertEqual(try ProjectCode("2026-350102-48-01-00001x", today: today).value, "2026-350102-48-01-00001X")
        XCTAssertTrue(ProjectCode.isValid("2026-350102-48-01-00001X", today: today))
        XCTAssertFalse(ProjectCode.isValid("2026-350102-48-01-000010", today: today))
    }

    func testEveryRefusalHasItsCode() {
        let refusals: [(String, String)] = [
            ("202635010248010001", "project.code_length"),
            ("2026350102480100012400", "project.code_length"),
            ("2026-35010-248-01-000124", "project.code_format"),
            ("2026-350102-48-01-00012", "project.code_format"),
            ("2026-350102-48-01-0001A4", "project.code_character"),
            ("2026-350102-48-01-00012Y", "project.code_character"),
            ("1989-350102-48-01-000124", "project.code_year"),
            ("2028-350102-48-01-000124", "project.code_year"),
            ("2026-990102-48-01-000124", "project.code_region"),
            ("2026-000000-48-01-000124", "project.code_region"),
            ("2026-350002-48-01-000124", "project.code_region"),
            ("2026-350102-48-04-000124", "project.code_type"),
            ("2026-350102-48-00-000124", "project.code_type"),
            ("2026-350102-48-01-000125", "project.code_check"),
        ]
        for (raw, expected) in refusals {
            assertRefused(expected, raw) { _ = try ProjectCode(raw, today: today) }
        }
        // Next year's code is accepted (plans are coded in December), not the year after.
        XCTAssertNoThrow(try ProjectCode.make(year: 2027, region: "350100", industry: "48", type: .filing, serial: 1).value)
        let nextYear = try! ProjectCode.make(year: 2027, region: "350100", industry: "48", type: .filing, serial: 1).value
        XCTAssertTrue(ProjectCode.isValid(nextYear, today: today))
        XCTAssertFalse(ProjectCode.isValid(nextYear, today: d("2025-12-31")))
        // Messages are Chinese with full-width punctuation.
        do throws(DomainError) {
            _ = try ProjectCode("2026-350102-48-01-000125", today: today)
        } catch {
            XCTAssertTrue(error.message.contains("校验码不正确"), error.message)
            XCTAssertTrue(error.message.hasSuffix("。"), error.message)
        }
    }

    func testMakeRefusesBadParts() {
        assertRefused("project.code_year") { _ = try ProjectCode.make(year: 1989, region: "350102", industry: "48", type: .approval, serial: 1) }
        assertRefused("project.code_region") { _ = try ProjectCode.make(year: 2026, region: "35010", industry: "48", type: .approval, serial: 1) }
        assertRefused("project.code_region") { _ = try ProjectCode.make(year: 2026, region: "350002", industry: "48", type: .approval, serial: 1) }
        assertRefused("project.code_industry") { _ = try ProjectCode.make(year: 2026, region: "350102", industry: "4A", type: .approval, serial: 1) }
        assertRefused("project.code_serial") { _ = try ProjectCode.make(year: 2026, region: "350102", industry: "48", type: .approval, serial: 100_000) }
        assertRefused("project.code_serial") { _ = try ProjectCode.make(year: 2026, region: "350102", industry: "48", type: .approval, serial: -1) }
    }

    func testCheckCharacterIsTheResidentIDNumbersForSeventeenDigits() {
        var generator = ProjectRandom(seed: 40058)
        for _ in 0..<500 {
            let digits = (0..<17).map { _ in Character(String(generator.next() % 10)) }
            XCTAssertEqual(ProjectCode.checkCharacter(forDigits: String(digits)), ResidentIDNumber.checkCharacter(forFirst17: digits), String(digits))
        }
        XCTAssertNil(ProjectCode.checkCharacter(forDigits: "12a"))
        XCTAssertNil(ProjectCode.checkCharacter(forDigits: ""))
    }

    func testCharacterOnlySchemeSkipsTheCheckButNotTheShape() throws {
        XCTAssertNoThrow(try ProjectCode("2026-350102-48-01-000125", today: today, check: .characterOnly))
        assertRefused("project.code_region") { _ = try ProjectCode("2026-990102-48-01-000125", today: today, check: .characterOnly) }
        // A stored code reads back whatever the scheme.
        XCTAssertEqual(try ProjectCode(stored: "20263501024801000125").value, "2026-350102-48-01-000125")
    }

    /// Property: make → print → parse gives back every part, with or without hyphens; any change
    /// of one digit or swap of two different neighbours in the random part is caught by the check.
    func testMakeParseRoundTripForRandomCodes() throws {
        var generator = ProjectRandom(seed: 20_210_801)
        let provinces = ["11", "12", "31", "35", "44", "50", "52", "65", "71", "81", "82"]
        let types = ProjectType.allCases
        for _ in 0..<2000 {
            let year = 1990 + Int(generator.next() % 38)
            let province = provinces[Int(generator.next() % UInt64(provinces.count))]
            let city = String(format: "%02d", Int(generator.next() % 100))
            let county = city == "00" ? "00" : String(format: "%02d", Int(generator.next() % 100))
            let region = province + city + county
            let industry = String(format: "%02d", Int(generator.next() % 100))
            let type = types[Int(generator.next() % UInt64(types.count))]
            let serial = Int(generator.next() % 100_000)
            let made = try ProjectCode.make(year: year, region: region, industry: industry, type: type, serial: serial)
            let now = d("2026-12-31")
            let parsed = try ProjectCode(made.value, today: now)
            XCTAssertEqual(parsed, made)
            XCTAssertEqual(try ProjectCode(made.compact.lowercased(), today: now), made)
            XCTAssertEqual(parsed.year, year)
            XCTAssertEqual(parsed.region, region)
            XCTAssertEqual(parsed.industry, industry)
            XCTAssertEqual(parsed.type, type)
            XCTAssertEqual(parsed.serial, String(format: "%05d", serial))
            XCTAssertEqual(made.value.count, 24)

            var characters = Array(made.compact)
            let position = 14 + Int(generator.next() % 5)
            let original = characters[position].wholeNumberValue ?? 0
            characters[position] = Character(String((original + 1 + Int(generator.next() % 9)) % 10))
            assertRefused("project.code_check", made.value) { _ = try ProjectCode(String(characters), today: now) }

            var swapped = Array(made.compact)
            let left = 14 + Int(generator.next() % 4)
            if swapped[left] != swapped[left + 1] {
                swapped.swapAt(left, left + 1)
                assertRefused("project.code_check", made.value) { _ = try ProjectCode(String(swapped), today: now) }
            }
        }
    }

    // MARK: - Projects

    func project(major: Bool = false) throws -> InvestmentProject {
        let code = try ProjectCode.make(year: 2026, region: "350100", industry: "48", type: .approval, serial: 1)
        return try ProjectRules.register(
            code: code.value, name: " 福州市某某片区安置房项目 ", ownerID: "owner-1", regionCode: "350102", address: "福州市鼓楼区某某路1号",
            investmentYuan: 12_345_600, isMajor: major, today: today)
    }

    func testRegisterTrimsAndFormatsInvestment() throws {
        let registered = try project()
        XCTAssertEqual(registered.name, "福州市某某片区安置房项目")
        XCTAssertEqual(registered.stage, .landUsePlanning)
        XCTAssertEqual(registered.investmentText, "1,234.56万元")
        XCTAssertFalse(registered.isMajor)
        XCTAssertNil(registered.proxyAgent)
        let json = try JSONEncoder().encode(registered)
        XCTAssertEqual(try JSONDecoder().decode(InvestmentProject.self, from: json), registered)
    }

    func testRegisterReportsEveryProblemAtOnce() {
        XCTAssertThrowsError(
            try ProjectRules.register(
                code: "2026-350102-48-01-000125", name: "  ", ownerID: "", regionCode: "3501", address: "", investmentYuan: 0, today: today)
        ) { error in
            let error = error as? DomainError
            XCTAssertEqual(error?.code, "project.invalid")
            XCTAssertEqual(Set(error?.fieldErrors.map(\.field) ?? []), ["code", "name", "ownerID", "regionCode", "address", "investment"])
        }
        // A site outside the approving place of the code; a name too long.
        XCTAssertThrowsError(
            try ProjectRules.register(
                code: "2026-350102-48-01-000124", name: String(repeating: "项", count: 201), ownerID: "o", regionCode: "350103", address: "某路",
                investmentYuan: 1, today: today)
        ) { error in
            XCTAssertEqual(Set((error as? DomainError)?.fieldErrors.map(\.field) ?? []), ["name", "regionCode"])
        }
    }

    func testRegionFitsInsideTheApprovingPlace() {
        XCTAssertTrue(ProjectRules.regionFits(site: "350102", approvingPlace: "350000"))
        XCTAssertTrue(ProjectRules.regionFits(site: "350102", approvingPlace: "350100"))
        XCTAssertTrue(ProjectRules.regionFits(site: "350102", approvingPlace: "350102"))
        XCTAssertFalse(ProjectRules.regionFits(site: "350100", approvingPlace: "350102"))
        XCTAssertFalse(ProjectRules.regionFits(site: "440102", approvingPlace: "350100"))
        XCTAssertFalse(ProjectRules.regionFits(site: "35010", approvingPlace: "350100"))
    }

    func testInvestmentInWan() throws {
        XCTAssertEqual(ProjectRules.formatWan(0), "0.00万元")
        XCTAssertEqual(ProjectRules.formatWan(49), "0.00万元")
        XCTAssertEqual(ProjectRules.formatWan(50), "0.01万元")
        XCTAssertEqual(ProjectRules.formatWan(10_000), "1.00万元")
        XCTAssertEqual(ProjectRules.formatWan(9_999_950), "1,000.00万元")
        XCTAssertEqual(ProjectRules.formatWan(1_234_567_890_000), "123,456,789.00万元")
        XCTAssertEqual(ProjectRules.formatWan(Int64.max).hasSuffix("万元"), true)
        XCTAssertEqual(try ProjectRules.yuan(fromWan: "1,234.56"), 12_345_600)
        XCTAssertEqual(try ProjectRules.yuan(fromWan: "1234.5678万元"), 12_345_678)
        XCTAssertEqual(try ProjectRules.yuan(fromWan: "0.0001"), 1)
        XCTAssertEqual(try ProjectRules.yuan(fromWan: "500万"), 5_000_000)
        for bad in ["", "abc", "0", "1.23456", "-5", "1.", ".5", "1.2.3", "99999999999999999999"] {
            assertRefused("project.investment", bad) { _ = try ProjectRules.yuan(fromWan: bad) }
        }
    }

    // MARK: - Stages

    func approval(
        _ id: String, _ item: String, _ stage: ProjectStage, _ state: ProjectApproval.State, accepted: String? = nil, decided: String? = nil
    ) -> ProjectApproval {
        ProjectApproval(
            id: id, itemName: item, department: Self.planning, stage: stage, state: state, acceptedOn: accepted.map(d), decidedOn: decided.map(d))
    }

    func testStagesAreOrdered() {
        XCTAssertEqual(ProjectStage.allCases.map(\.chineseName), ["立项用地规划许可", "工程建设许可", "施工许可", "竣工验收"])
        XCTAssertEqual(ProjectStage.landUsePlanning.next, .engineeringPermit)
        XCTAssertNil(ProjectStage.completionAcceptance.next)
        XCTAssertLessThan(ProjectStage.engineeringPermit, ProjectStage.constructionPermit)
        XCTAssertEqual(ProjectStage.completionAcceptance.ordinal, 4)
    }

    func testAdvanceRefusedWhileAnApprovalIsOpenOrDenied() throws {
        let registered = try project()
        let open = [
            approval("a1", "建设项目用地预审与选址意见书", .landUsePlanning, .approved),
            approval("a2", "建设用地规划许可证核发", .landUsePlanning, .open),
            approval("b1", "建设工程规划许可证核发", .engineeringPermit, .open),
        ]
        XCTAssertThrowsError(try ProjectRules.advance(registered, approvals: open)) { error in
            let error = error as? DomainError
            XCTAssertEqual(error?.code, "project.stage_approvals_pending")
            XCTAssertEqual(error?.kind, .conflict)
            XCTAssertTrue(error?.message.contains("建设用地规划许可证核发") == true)
            XCTAssertTrue(error?.message.contains("办理中") == true)
            // Approvals of another stage are not named.
            XCTAssertFalse(error?.message.contains("建设工程规划许可证核发") == true)
        }
        let denied = [approval("a1", "建设项目用地预审与选址意见书", .landUsePlanning, .denied)]
        assertRefused("project.stage_approvals_pending") { _ = try ProjectRules.advance(registered, approvals: denied) }
        assertRefused("project.stage_no_approval") { _ = try ProjectRules.advance(registered, approvals: []) }
        assertRefused("project.stage_no_approval") {
            _ = try ProjectRules.advance(registered, approvals: [approval("w", "建设用地规划许可证核发", .landUsePlanning, .withdrawn)])
        }
    }

    func testAdvanceThroughEveryStage() throws {
        var current = try project()
        // A denial that a later application of the same item made good no longer blocks.
        let approvals = [
            approval("a1", "建设项目用地预审与选址意见书", .landUsePlanning, .denied),
            approval("a2", "建设项目用地预审与选址意见书", .landUsePlanning, .approved),
            approval("a3", "建设用地规划许可证核发", .landUsePlanning, .withdrawn),
            approval("a4", "建设用地规划许可证核发", .landUsePlanning, .approved),
            approval("b1", "建设工程规划许可证核发", .engineeringPermit, .approved),
            approval("c1", "建筑工程施工许可证核发", .constructionPermit, .approved),
        ]
        var descriptions: [String] = []
        for _ in 0..<3 {
            let change = try ProjectRules.advance(current, approvals: approvals)
            descriptions.append(change.description)
            current = change.project
        }
        XCTAssertEqual(current.stage, .completionAcceptance)
        XCTAssertEqual(descriptions.first, "项目由“立项用地规划许可”阶段进入“工程建设许可”阶段。")
        assertRefused("project.stage_final") { _ = try ProjectRules.advance(current, approvals: approvals) }
    }

    // MARK: - 全程代办

    func testProxyOnlyForMajorProjects() throws {
        let ordinary = try project(major: false)
        let at = Date(timeIntervalSince1970: 1_780_000_000)
        assertRefused("project.proxy_not_major") { _ = try ProjectRules.assignProxy(ordinary, account: "agent-1", by: "staff-1", at: at) }
        XCTAssertFalse(ProjectRules.mayActForOwner(ordinary, account: "agent-1"))
        XCTAssertTrue(ProjectRules.mayActForOwner(ordinary, account: "owner-1"))

        let major = try project(major: true)
        let first = try ProjectRules.assignProxy(major, account: " agent-1 ", by: "staff-1", at: at)
        XCTAssertEqual(first.project.proxyAgent, ProxyAgent(account: "agent-1", assignedAt: at, assignedBy: "staff-1"))
        XCTAssertTrue(first.description.contains("指定全程代办员agent-1"), first.description)
        XCTAssertTrue(ProjectRules.mayActForOwner(first.project, account: "agent-1"))
        XCTAssertFalse(ProjectRules.mayActForOwner(first.project, account: "agent-2"))

        assertRefused("project.proxy_reason_required") {
            _ = try ProjectRules.assignProxy(first.project, account: "agent-2", by: "staff-1", at: at, reason: "  ")
        }
        assertRefused("project.proxy_unchanged") { _ = try ProjectRules.assignProxy(first.project, account: "agent-1", by: "staff-1", at: at) }
        assertRefused("project.proxy_account") { _ = try ProjectRules.assignProxy(major, account: " ", by: "staff-1", at: at) }
        assertRefused("project.proxy_account") { _ = try ProjectRules.assignProxy(major, account: "owner-1", by: "staff-1", at: at) }

        let second = try ProjectRules.assignProxy(first.project, account: "agent-2", by: "staff-2", at: at, reason: "原代办员调岗")
        XCTAssertEqual(second.project.proxyAgent?.account, "agent-2")
        XCTAssertEqual(second.project.proxyAgent?.reason, "原代办员调岗")
        XCTAssertTrue(second.description.contains("由agent-1更换为agent-2，理由：原代办员调岗"), second.description)
        XCTAssertFalse(ProjectRules.mayActForOwner(second.project, account: "agent-1"))

        // An agent left on a project that is no longer major acts for nobody.
        var downgraded = second.project
        downgraded.isMajor = false
        XCTAssertFalse(ProjectRules.mayActForOwner(downgraded, account: "agent-2"))

        assertRefused("project.proxy_reason_required") { _ = try ProjectRules.releaseProxy(second.project, by: "staff-1", reason: nil) }
        let released = try ProjectRules.releaseProxy(second.project, by: "staff-1", reason: "项目单位自行办理")
        XCTAssertNil(released.project.proxyAgent)
        assertRefused("project.proxy_none") { _ = try ProjectRules.releaseProxy(released.project, by: "staff-1", reason: "再次取消") }
    }

    // MARK: - Time

    func testElapsedWorkingDaysAcrossNationalDay() throws {
        // 2026: 中秋 9-25…9-27, 国庆 10-01…10-07 off; Sunday 9-20 and Saturday 10-10 worked.
        let approvals = [
            approval("a1", "用地预审", .landUsePlanning, .approved, accepted: "2026-09-28", decided: "2026-10-09"),
            approval("b1", "工程规划许可", .engineeringPermit, .open, accepted: "2026-09-30"),
            approval("b2", "尚未受理的事项", .engineeringPermit, .open),
        ]
        let elapsed = try ProjectRules.elapsedWorkingDays(approvals, today: d("2026-10-12"), calendar: calendar)
        // 9-29, 9-30, 10-08, 10-09, 10-10 (调休), 10-12.
        XCTAssertEqual(elapsed.total, ProjectTime(from: d("2026-09-28"), through: d("2026-10-12"), workingDays: 6, running: true))
        // 9-29, 9-30, 10-08, 10-09: the stage ended with its last decision.
        XCTAssertEqual(elapsed.stages[.landUsePlanning], ProjectTime(from: d("2026-09-28"), through: d("2026-10-09"), workingDays: 4, running: false))
        // 10-08, 10-09, 10-10, 10-12.
        XCTAssertEqual(elapsed.stages[.engineeringPermit]?.workingDays, 4)
        XCTAssertNil(elapsed.stages[.constructionPermit])

        // Once everything is decided the total stops at the last decision.
        let decided = approvals.map { approval -> ProjectApproval in
            var copy = approval
            if copy.id == "b1" {
                copy.state = .approved
                copy.decidedOn = d("2026-10-10")
            }
            if copy.id == "b2" { copy.state = .withdrawn }
            return copy
        }
        let finished = try ProjectRules.elapsedWorkingDays(decided, today: d("2026-11-30"), calendar: calendar)
        XCTAssertEqual(finished.total, ProjectTime(from: d("2026-09-28"), through: d("2026-10-10"), workingDays: 5, running: false))
        XCTAssertEqual(try ProjectRules.elapsedWorkingDays([], today: today, calendar: calendar), ProjectElapsed(total: nil, stages: [:]))
    }

    func testApprovalLateness() {
        var late = approval("x", "施工许可", .constructionPermit, .open)
        late.deadline = d("2026-10-13")
        XCTAssertFalse(late.isLate(today: d("2026-10-13")))
        XCTAssertTrue(late.isLate(today: d("2026-10-14")))
        late.state = .approved
        late.decidedOn = d("2026-10-12")
        XCTAssertFalse(late.isLate(today: d("2026-12-01")))
    }

    // MARK: - Joint review

    func drawingReview(start: String = "2026-09-28") throws -> JointReview {
        try JointReviewRules.start(
            kind: .jointDrawingReview, subject: "某某安置房项目施工图设计文件", projectCode: try project().code, lead: Self.housing,
            departments: [Self.planning, Self.fire, Self.civilDefence], startedOn: d(start))
    }

    func opinion(_ department: String, _ verdict: ReviewVerdict, _ text: String = "", on day: String = "2026-10-09") -> ReviewOpinion {
        ReviewOpinion(department: department, verdict: verdict, text: text, recordedOn: d(day))
    }

    func recordAll(_ review: JointReview, _ opinions: [ReviewOpinion]) throws -> JointReview {
        var current = review
        for opinion in opinions { current = try JointReviewRules.record(opinion, in: current) }
        return current
    }

    func testStartTakesTheReferenceLimits() throws {
        XCTAssertEqual(try drawingReview().limit, 7)
        let assessment = try JointReviewRules.start(
            kind: .combinedAssessment, subject: "环评、能评、水保合并评审", lead: Self.housing, departments: [Self.planning, Self.fire], startedOn: today)
        XCTAssertEqual(assessment.limit, 40)
        let inspection = try JointReviewRules.start(
            kind: .jointInspection, subject: "竣工联合验收", lead: Self.housing, departments: [Self.planning, Self.fire], startedOn: today)
        XCTAssertEqual(inspection.limit, 7)
        assertRefused("joint_review.kind") {
            _ = try JointReviewRules.start(kind: .business, subject: "开办企业", lead: Self.housing, departments: [Self.planning, Self.fire], startedOn: self.today)
        }
        XCTAssertThrowsError(
            try JointReviewRules.start(
                kind: .jointDrawingReview, subject: "", lead: "bad", departments: [Self.fire, Self.fire.lowercased()], startedOn: today, limit: 0)
        ) { error in
            let error = error as? DomainError
            XCTAssertEqual(error?.code, "joint_review.invalid")
            XCTAssertEqual(Set(error?.fieldErrors.map(\.field) ?? []), ["subject", "leadDepartment", "departments/1", "limit"])
        }
    }

    func testAllPassIsPassed() throws {
        var review = try drawingReview()
        review = try recordAll(review, [opinion(Self.planning, .pass), opinion(Self.fire, .pass, "符合规范"), opinion(Self.civilDefence, .pass)])
        review = try JointReviewRules.consolidate(review, by: Self.housing, today: d("2026-10-12"), calendar: calendar)
        XCTAssertEqual(review.state, .passed)
        XCTAssertEqual(review.outcome, .pass)
        XCTAssertEqual(review.consolidation?.inTime, true)
        let text = JointReviewRules.resultText(review, names: [Self.fire: "市消防救援支队"], calendar: calendar)
        XCTAssertTrue(text.hasPrefix("多图联审汇总意见"), text)
        XCTAssertTrue(text.contains("2. 市消防救援支队(\(Self.fire))：通过。意见：符合规范"), text)
        XCTAssertTrue(text.contains("截止2026-10-13"), text)
        XCTAssertTrue(text.contains("汇总结论：通过。"), text)
    }

    func testConditionsAreMergedIntoOneResult() throws {
        var review = try drawingReview()
        review = try recordAll(review, [
            opinion(Self.planning, .passWithConditions, "沿街立面退让红线不少于5米"), opinion(Self.fire, .pass),
            opinion(Self.civilDefence, .passWithConditions, "人防出入口按甲类防护设计"),
        ])
        review = try JointReviewRules.consolidate(review, by: Self.housing, today: d("2026-10-13"), calendar: calendar)
        XCTAssertEqual(review.state, .passedWithConditions)
        XCTAssertEqual(review.outcome, .passWithConditions)
        XCTAssertEqual(review.conditions.map(\.department), [Self.planning, Self.civilDefence])
        let text = JointReviewRules.resultText(review)
        XCTAssertTrue(text.contains("汇总结论：有条件通过。须落实以下条件：\n1. \(Self.planning)：沿街立面退让红线不少于5米\n2. \(Self.civilDefence)：人防出入口按甲类防护设计"), text)
    }

    func testAFailNeedsTheLeadsResolutionWithAReason() throws {
        var review = try drawingReview()
        review = try recordAll(review, [
            opinion(Self.planning, .pass), opinion(Self.fire, .fail, "疏散楼梯数量不足"), opinion(Self.civilDefence, .pass),
        ])
        review = try JointReviewRules.consolidate(review, by: Self.housing, today: d("2026-10-12"), calendar: calendar)
        XCTAssertEqual(review.state, .needsResolution)
        XCTAssertNil(review.outcome)
        XCTAssertEqual(review.consolidation?.conflicting, [Self.fire])
        XCTAssertTrue(JointReviewRules.resultText(review).contains("待牵头部门协调决定"))

        assertRefused("joint_review.reason_required") {
            _ = try JointReviewRules.resolve(review, by: Self.housing, decision: .fail, reason: "  ", today: self.d("2026-10-13"))
        }
        XCTAssertThrowsError(try JointReviewRules.resolve(review, by: Self.fire, decision: .pass, reason: "我说了算", today: d("2026-10-13"))) { error in
            XCTAssertEqual((error as? DomainError)?.code, "joint_review.not_lead")
            XCTAssertEqual((error as? DomainError)?.kind, .forbidden)
        }
        assertRefused("joint_review.conditions_required") {
            _ = try JointReviewRules.resolve(review, by: Self.housing, decision: .passWithConditions, reason: "协调会议定", today: self.d("2026-10-13"))
        }
        let resolved = try JointReviewRules.resolve(
            review, by: Self.housing, decision: .passWithConditions, conditions: "增设一部疏散楼梯后报消防复核", reason: "2026-10-13协调会：设计单位同意增设楼梯",
            today: d("2026-10-13"))
        XCTAssertEqual(resolved.state, .resolved)
        XCTAssertEqual(resolved.outcome, .passWithConditions)
        XCTAssertEqual(resolved.resolution?.decidedBy, Self.housing)
        let text = JointReviewRules.resultText(resolved)
        XCTAssertTrue(text.contains("协调记录：牵头部门于2026-10-13决定“有条件通过”，理由：2026-10-13协调会：设计单位同意增设楼梯"), text)
        XCTAssertTrue(text.contains("须落实以下条件：增设一部疏散楼梯后报消防复核"), text)
        assertRefused("joint_review.not_awaiting_resolution") {
            _ = try JointReviewRules.resolve(resolved, by: Self.housing, decision: .pass, reason: "再议", today: self.d("2026-10-14"))
        }
    }

    func testConflictingConditionsFlaggedByTheLead() throws {
        var review = try drawingReview()
        review = try recordAll(review, [
            opinion(Self.planning, .passWithConditions, "地下室出入口设于北侧"), opinion(Self.fire, .passWithConditions, "北侧须留消防车道，不得设出入口"),
            opinion(Self.civilDefence, .pass),
        ])
        assertRefused("joint_review.conflict_flag") {
            _ = try JointReviewRules.consolidate(review, by: Self.housing, conflicting: [Self.fire], today: self.d("2026-10-12"), calendar: self.calendar)
        }
        assertRefused("joint_review.conflict_flag") {
            _ = try JointReviewRules.consolidate(review, by: Self.housing, conflicting: [Self.fire, Self.stranger], today: self.d("2026-10-12"), calendar: self.calendar)
        }
        let flagged = try JointReviewRules.consolidate(
            review, by: Self.housing, conflicting: [Self.fire, Self.planning.lowercased()], today: d("2026-10-12"), calendar: calendar)
        XCTAssertEqual(flagged.state, .needsResolution)
        XCTAssertEqual(flagged.consolidation?.conflicting, [Self.planning, Self.fire])
    }

    func testOpinionsAreRecordedOnceByParticipantsBeforeConsolidation() throws {
        var review = try drawingReview()
        XCTAssertThrowsError(try JointReviewRules.record(opinion(Self.stranger, .pass), in: review)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "joint_review.not_participant")
            XCTAssertEqual((error as? DomainError)?.kind, .forbidden)
        }
        assertRefused("joint_review.opinion_text_required") { _ = try JointReviewRules.record(self.opinion(Self.fire, .fail, " "), in: review) }
        assertRefused("joint_review.opinion_text_required") {
            _ = try JointReviewRules.record(self.opinion(Self.fire, .passWithConditions), in: review)
        }
        assertRefused("joint_review.opinion_date") { _ = try JointReviewRules.record(self.opinion(Self.fire, .pass, on: "2026-09-25"), in: review) }
        review = try JointReviewRules.record(opinion(Self.fire.lowercased(), .pass), in: review)
        XCTAssertEqual(review.opinions.first?.department, Self.fire)
        assertRefused("joint_review.already_recorded") { _ = try JointReviewRules.record(self.opinion(Self.fire, .fail, "改主意了"), in: review) }
        XCTAssertEqual(review.pendingDepartments, [Self.planning, Self.civilDefence])
        XCTAssertThrowsError(try JointReviewRules.consolidate(review, by: Self.housing, today: d("2026-10-12"), calendar: calendar)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "joint_review.opinions_missing")
            XCTAssertTrue((error as? DomainError)?.message.contains(Self.planning) == true)
        }
        review = try recordAll(review, [opinion(Self.planning, .pass), opinion(Self.civilDefence, .pass)])
        assertRefused("joint_review.not_lead") {
            _ = try JointReviewRules.consolidate(review, by: Self.fire, today: self.d("2026-10-12"), calendar: self.calendar)
        }
        review = try JointReviewRules.consolidate(review, by: Self.housing, today: d("2026-10-12"), calendar: calendar)
        // A late opinion after consolidation is refused.
        assertRefused("joint_review.closed") { _ = try JointReviewRules.record(self.opinion(Self.planning, .fail, "补充意见", on: "2026-10-13"), in: review) }
        assertRefused("joint_review.already_consolidated") {
            _ = try JointReviewRules.consolidate(review, by: Self.housing, today: self.d("2026-10-13"), calendar: self.calendar)
        }
    }

    func testReopenedReviewTakesOpinionsAgain() throws {
        var review = try drawingReview()
        assertRefused("joint_review.still_open") { _ = try JointReviewRules.reopen(review, by: Self.housing, reason: "图纸修改", today: self.d("2026-10-09")) }
        review = try recordAll(review, [opinion(Self.planning, .pass), opinion(Self.fire, .fail, "疏散宽度不足"), opinion(Self.civilDefence, .pass)])
        review = try JointReviewRules.consolidate(review, by: Self.housing, today: d("2026-10-12"), calendar: calendar)
        assertRefused("joint_review.reason_required") { _ = try JointReviewRules.reopen(review, by: Self.housing, reason: nil, today: self.d("2026-10-14")) }
        review = try JointReviewRules.reopen(review, by: Self.housing, reason: "设计单位已修改疏散设计", today: d("2026-10-14"))
        XCTAssertEqual(review.round, 2)
        XCTAssertEqual(review.state, .open)
        XCTAssertEqual(review.earlierRounds.first?.opinions.count, 3)
        XCTAssertEqual(review.earlierRounds.first?.state, .needsResolution)
        review = try recordAll(review, [
            opinion(Self.planning, .pass, on: "2026-10-15"), opinion(Self.fire, .pass, on: "2026-10-15"), opinion(Self.civilDefence, .pass, on: "2026-10-16"),
        ])
        review = try JointReviewRules.consolidate(review, by: Self.housing, today: d("2026-10-16"), calendar: calendar)
        XCTAssertEqual(review.state, .passed)
        // The new round has its own 7 working days from 10-14.
        XCTAssertEqual(try JointReviewRules.deadline(review, calendar: calendar).date, d("2026-10-23"))
        XCTAssertTrue(JointReviewRules.resultText(review).contains("第1轮(待牵头部门协调)于2026-10-14重新发起，理由：设计单位已修改疏散设计"))
    }

    func testSevenWorkingDaysAcrossNationalDay() throws {
        // From Monday 9-28: 9-29, 9-30, [10-01…10-07 off], 10-08, 10-09, 10-10 (Saturday worked), 10-12, 10-13.
        let review = try drawingReview()
        let deadline = try JointReviewRules.deadline(review, calendar: calendar)
        XCTAssertEqual(deadline, Deadline(date: d("2026-10-13"), provisional: false))
        XCTAssertEqual(try JointReviewRules.timing(review, today: d("2026-10-13"), calendar: calendar).timeliness, .inTime)
        let open = try JointReviewRules.timing(review, today: d("2026-10-14"), calendar: calendar)
        XCTAssertEqual(open.timeliness, .overdue)
        XCTAssertNil(open.concludedOn)

        // Concluded on the deadline stays in time however late one looks at it.
        var done = try recordAll(review, [opinion(Self.planning, .pass), opinion(Self.fire, .pass), opinion(Self.civilDefence, .pass)])
        done = try JointReviewRules.consolidate(done, by: Self.housing, today: d("2026-10-13"), calendar: calendar)
        let timing = try JointReviewRules.timing(done, today: d("2026-12-01"), calendar: calendar)
        XCTAssertEqual(timing.timeliness, .inTime)
        XCTAssertEqual(timing.concludedOn, d("2026-10-13"))

        // A day later is overdue, and the result says so.
        var late = try recordAll(review, [opinion(Self.planning, .pass), opinion(Self.fire, .pass), opinion(Self.civilDefence, .pass)])
        late = try JointReviewRules.consolidate(late, by: Self.housing, today: d("2026-10-14"), calendar: calendar)
        XCTAssertEqual(late.consolidation?.inTime, false)
        XCTAssertEqual(try JointReviewRules.timing(late, today: d("2026-10-14"), calendar: calendar).timeliness, .overdue)
        XCTAssertTrue(JointReviewRules.resultText(late).contains("已超过办理时限"))
    }

    func testJointReviewRoundTripsThroughJSON() throws {
        var review = try drawingReview()
        review = try JointReviewRules.record(opinion(Self.fire, .passWithConditions, "增设喷淋"), in: review)
        let data = try JSONEncoder().encode(review)
        XCTAssertEqual(try JSONDecoder().decode(JointReview.self, from: data), review)
    }
}

/// SplitMix64: a small seeded generator so the property tests repeat exactly.
private struct ProjectRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
