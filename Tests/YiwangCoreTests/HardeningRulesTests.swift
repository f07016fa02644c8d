import Foundation
import XCTest
import YiwangCore

/// Rules added while hardening the platform (issue 9): bounds that cannot trap, the sign-in
/// slow-down, who the applicant sees on a timeline, and who may approve a 即办件.
final class HardeningRulesTests: XCTestCase {
    func testAHugeBoundIsReportedWithoutTrapping() {
        // `String(Int(1e20))` used to stop the process on the first value past such a bound.
        let schema = FormSchema(fields: [FormField(key: "amount", label: "金额", type: .number, minimum: -1e20, maximum: 1e20)])
        let checked = schema.check(["amount": .string("1e30")])
        XCTAssertEqual(checked.problems.map(\.field), ["form/amount"])
        XCTAssertTrue(checked.problems.first?.message.contains("1e+20") ?? false, "\(checked.problems)")
        XCTAssertEqual(schema.check(["amount": .string("-1e30")]).problems.count, 1)
        XCTAssertEqual(schema.check(["amount": .string("12")]).values["amount"], .int(12))
    }

    func testLockStepsFollowTheRuleUntilTheLongestLock() {
        let rule = LockoutRule()
        let steps = rule.lockSteps
        XCTAssertEqual(steps.first?.failures, 5)
        XCTAssertEqual(steps.first?.seconds, 60)
        XCTAssertEqual(steps.last?.seconds, 3600)
        for step in steps { XCTAssertEqual(rule.lockDuration(afterFailures: step.failures), step.seconds) }
        XCTAssertEqual(steps.map(\.failures), Array(5...(5 + steps.count - 1)), "one step per failure count, none skipped")
    }

    func testTheAccountSlowsDownButNeverLocks() {
        let rule = LockoutRule()
        XCTAssertEqual(rule.delay(accountFailures: 9), 0)
        XCTAssertEqual(rule.delay(accountFailures: 10), 0.5)
        XCTAssertEqual(rule.delay(accountFailures: 11), 1)
        XCTAssertEqual(rule.delay(accountFailures: 1000), rule.slowestDelay)
        XCTAssertEqual(rule.delay(accountFailures: Int.max - 1), rule.slowestDelay)
    }

    func testApplicantsSeeRolesNotAccountNames() {
        XCTAssertEqual(CaseTimelineActor.label(account: "applicant:A", action: "submit", applicantID: "A"), "申请人")
        XCTAssertEqual(CaseTimelineActor.label(account: "applicant:B", action: "submit", applicantID: "A"), "经办人")
        XCTAssertEqual(CaseTimelineActor.label(account: "market.clerk", action: "accept", applicantID: "A"), "综合窗口人员")
        XCTAssertEqual(CaseTimelineActor.label(account: "market.clerk", action: "submit", applicantID: "A"), "综合窗口人员")
        XCTAssertEqual(CaseTimelineActor.label(account: "market.approver", action: "approve", applicantID: "A"), "后台审批人员")
        XCTAssertEqual(CaseTimelineActor.label(account: "market.approver", action: CaseLifecycle.deadlineExtended, applicantID: "A"), "后台审批人员")
        XCTAssertEqual(CaseTimelineActor.label(account: "system:deadline-watch", action: "approveOnTimeout", applicantID: "A"), "平台")
        XCTAssertEqual(CaseTimelineActor.label(account: "someone", action: CaseLifecycle.materialSupplied, applicantID: "A"), "工作人员")
    }

    func testAnImmediateItemMayBeApprovedAtTheWindowOrInTheBackOffice() {
        XCTAssertEqual(PolicyAction.anyOf(.approve, filedAtWindow: false, onTheSpot: true), [.decideCase, .handleCaseAtWindow])
        XCTAssertEqual(PolicyAction.anyOf(.approve, filedAtWindow: false, onTheSpot: false), [.decideCase])
    }

    func testTheHotlineReadsCasesButNotTheirFiles() {
        let owner = ResourceOwner(departmentCreditCode: "D", regionCode: "520102000000", applicantID: "A")
        let subject = CaseSubject(owner: owner, state: .underReview, filedAtWindow: false, filedBy: "applicant:A")
        let hotline = Actor.staff(account: "hotline", grants: [Grant(role: .hotlineOperator, scope: .everywhere)])
        let clerk = Actor.staff(account: "clerk", grants: [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: "D"))])
        let otherClerk = Actor.staff(account: "other", grants: [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: "E"))])
        let owning = Actor.applicant(ApplicantActor(accountID: "A", kind: .person, displayName: "甲"))
        XCTAssertTrue(Policy.mayRead(hotline, case: subject))
        XCTAssertFalse(Policy.mayReadFiles(hotline, case: subject))
        XCTAssertTrue(Policy.mayReadFiles(clerk, case: subject))
        XCTAssertFalse(Policy.mayReadFiles(otherClerk, case: subject))
        XCTAssertTrue(Policy.mayReadFiles(owning, case: subject))
    }
}
