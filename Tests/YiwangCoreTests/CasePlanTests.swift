import Foundation
import XCTest
import YiwangCore
import YiwangTestSupport

/// `CaseLifecycle.plan`: a step of a case as a pure function of its state and facts, returning
/// the new state, the reason as told and the effects the service performs.
final class CasePlanTests: XCTestCase {
    // Thursday 2026-11-26: a working day.
    private let today: LocalDate = {
        do { return try LocalDate("2026-11-26") } catch { preconditionFailure("a valid date") }
    }()
    private let calendar: WorkingCalendar = {
        do { return try WorkingCalendar(ChinaHolidays.shipped) } catch { preconditionFailure("the shipped calendar loads") }
    }()

    private func input(
        reason: String? = nil, green: Bool = false, supplied: Set<Int> = [0, 2], immediate: Bool = false, commitment: Bool = false,
        formProblems: [FieldError] = []
    ) -> CasePlanInput {
        let guide = Fixtures.guide()
        return CasePlanInput(
            facts: CaseFacts(), reason: reason, greenChannel: green, today: today, calendar: calendar, clock: nil, promisedLimit: 5,
            deferredMaterialDays: 3, commitmentSigned: commitment, defaultCertificateName: "X-证", formProblems: formProblems,
            checklist: MaterialChecklist(guide: guide, supplied: supplied, commitment: false), decidedAtAcceptance: immediate)
    }

    func testAcceptanceStartsTheClockAndGivesANumber() throws {
        let plan = try CaseLifecycle.plan(.preReview, .accept, input())
        XCTAssertEqual(plan.to, .accepted)
        XCTAssertEqual(plan.effects, [.giveNumber])
        XCTAssertEqual(try plan.clock?.deadline(calendar)?.date.description, "2026-12-03", "five working days from a Thursday")
    }

    func testADeferredMaterialIsNamedWithItsDayAndHoldsTheOnTheSpotDecision() throws {
        let plan = try CaseLifecycle.plan(.preReview, .accept, input(reason: "窗口受理", supplied: [0], immediate: true))
        XCTAssertEqual(plan.effects, [.deferMaterials(due: "2026-12-01"), .giveNumber], "a 即办件 with 容缺 waits for its materials")
        XCTAssertEqual(plan.reason, "窗口受理；容缺受理，须于 2026-12-01 前补交：食品安全管理制度")
        let immediate = try CaseLifecycle.plan(.preReview, .accept, input(immediate: true))
        XCTAssertEqual(immediate.effects, [.giveNumber, .decideOnTheSpot])
    }

    func testRefusalsComeBeforeAnyEffect() {
        XCTAssertEqual(refusal { try CaseLifecycle.plan(.preReview, .accept, input(supplied: [])) }?.code, "case.materials_missing")
        XCTAssertEqual(refusal { try CaseLifecycle.plan(.underReview, .deny, input(reason: "  ")) }?.code, "case.reason_required")
        XCTAssertEqual(refusal { try CaseLifecycle.plan(.preReview, .accept, input(green: true)) }?.code, "case.reason_required")
        XCTAssertEqual(
            refusal { try CaseLifecycle.plan(.draft, .submit, input(formProblems: [FieldError(field: "form/name", message: "必填。")])) }?.code,
            "case.form_invalid")
        XCTAssertEqual(refusal { try CaseLifecycle.plan(.draft, .approve, input()) }?.code, "case.transition_not_allowed")
    }

    func testACorrectionNoticeNamesEveryMissingMaterial() throws {
        let plan = try CaseLifecycle.plan(.preReview, .requestCorrection, input(reason: "请补充材料。", supplied: []))
        XCTAssertEqual(plan.to, .correctionRequested)
        XCTAssertEqual(plan.reason, "请补充材料；缺少材料：食品经营许可申请书、食品安全管理制度")
    }

    func testACommitmentApprovalIsCheckedLaterAndTheResultDocumentIsKept() throws {
        let plan = try CaseLifecycle.plan(.underReview, .approve, input(commitment: true))
        XCTAssertEqual(plan.to, .approved)
        guard case .checkCommitmentBy(let due)? = plan.effects.first else { return XCTFail("\(plan.effects)") }
        XCTAssertGreaterThan(due, "2026-12-31", "forty working days later")
        let certificate = try CaseLifecycle.plan(.approved, .issueCertificate, input())
        XCTAssertEqual(certificate.effects, [.resultDocument("X-证")])
        XCTAssertEqual(refusal { _ = try CaseLifecycle.resultDocumentName(String(repeating: "号", count: 101)) }?.code, "case.result_document")
    }

    private func refusal(_ body: () throws -> Void) -> DomainError? {
        do {
            try body()
            return nil
        } catch {
            return error as? DomainError
        }
    }

    /// 延期 (《行政许可法》第四十二条): once, 1–10 working days, with a reason the applicant is told.
    func testAnExtensionNeedsARunningClockAReasonAndLawfulDays() throws {
        let clock = try DeadlineClock(acceptedOn: today, workingDays: 5, calendar: calendar)
        let before = try clock.deadline(calendar)?.date
        let (extended, reason) = try CaseVariants.planExtension(
            clock, state: .underReview, workingDays: 3, reason: "  需现场核查  ", today: today, approvedBy: "approver", calendar: calendar)
        XCTAssertEqual(reason, "需现场核查", "the reason is told as written, trimmed")
        XCTAssertEqual(extended.extensions, 1)
        XCTAssertNotEqual(try extended.deadline(calendar)?.date, before)
        for (days, state, given, code) in [
            (3, CaseState.underReview, "   ", "case.reason_required"), (11, .underReview, "原因", "case.extension_days"),
            (0, .underReview, "原因", "case.extension_days"), (3, .submitted, "原因", "case.no_running_clock"),
        ] {
            XCTAssertThrowsError(
                try CaseVariants.planExtension(clock, state: state, workingDays: days, reason: given, today: today, approvedBy: "a", calendar: calendar)
            ) { error in XCTAssertEqual((error as? DomainError)?.code, code, "\(days) days, \(state), “\(given)”") }
        }
        let told = CaseNotices.extended(itemName: "食品经营许可", workingDays: 3, deadline: "2026-12-08", reason: reason)
        XCTAssertEqual(told.step, "延长3个工作日，办理期限至 2026-12-08。理由：需现场核查")
        XCTAssertEqual(told.notice.body, "您申报的“食品经营许可”延长3个工作日，办理期限至 2026-12-08。理由：需现场核查")
    }
}
