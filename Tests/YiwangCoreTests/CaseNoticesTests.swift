import XCTest
import YiwangCore

/// The words of case notices: every step that concerns the applicant tells them, in the item's
/// own terms (许可, 备案, 给付), with what they must do next.
final class CaseNoticesTests: XCTestCase {
    private func facts(_ result: ResultKind = .licence, reason: String? = nil) -> CaseNoticeFacts {
        CaseNoticeFacts(
            itemName: "食品经营许可", number: "5201022026120400001", deadline: "2026-12-11", deferredDue: nil, commitmentCheckDue: nil,
            reason: reason, result: result)
    }

    func testTheDecisionIsWordedByWhatTheItemGives() {
        XCTAssertEqual(CaseNotices.applicant(.approve, facts(.licence))?.body, "您申报的“食品经营许可”已准予许可。")
        XCTAssertEqual(CaseNotices.applicant(.approve, facts(.filingRecord))?.body, "您申报的“食品经营许可”已予以备案。")
        XCTAssertEqual(CaseNotices.applicant(.approveOnTimeout, facts(.payment))?.body, "您申报的“食品经营许可”已准予给付。")
        let denied = CaseNotices.applicant(.deny, facts(.payment, reason: "不符合奖励条件"))?.body ?? ""
        XCTAssertTrue(denied.hasPrefix("您申报的“食品经营许可”不予给付：不符合奖励条件"), denied)
        XCTAssertTrue(denied.contains("行政复议"), "a refusal states the appeal rights")
    }

    func testAcceptanceGivesTheNumberTheDeadlineAndWhatIsStillOwed() {
        var accepted = facts()
        accepted.deferredDue = "2026-12-09"
        let body = CaseNotices.applicant(.accept, accepted)?.body ?? ""
        XCTAssertTrue(body.contains("5201022026120400001") && body.contains("2026-12-11") && body.contains("2026-12-09 前补交容缺材料"), body)
        XCTAssertEqual(CaseNotices.department(.accept, accepted)?.subject, "待办：受理")
    }

    func testOnlyStepsThatConcernSomeoneSendAnything() {
        for action in CaseAction.allCases {
            let applicant = CaseNotices.applicant(action, facts(reason: "理由"))
            let department = CaseNotices.department(action, facts())
            switch action {
            case .submit, .accept:
                XCTAssertNotNil(department, action.rawValue)
                XCTAssertNotNil(applicant, action.rawValue)
            case .rejectAtAcceptance, .requestCorrection, .approve, .approveOnTimeout, .deny, .deliver, .terminate:
                XCTAssertNil(department, action.rawValue)
                XCTAssertNotNil(applicant, action.rawValue)
                XCTAssertEqual(applicant?.subject, "办件进度：\(action.chineseName)")
            default:
                XCTAssertNil(department, action.rawValue)
                XCTAssertNil(applicant, action.rawValue)
            }
        }
    }
}
