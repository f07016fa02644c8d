import Foundation
import XCTest
import YiwangCore

final class CaseQueueTests: XCTestCase {
    let calendar = try! WorkingCalendar(ChinaHolidays.shipped)
    let filed = Date(timeIntervalSince1970: 1_764_000_000)

    func d(_ text: String) -> LocalDate { try! LocalDate(text) }

    func testTheQueueKeyPutsTheGreenChannelFirstThenTheEarliestDeadlineThenUnacceptedCases() {
        let green = CaseQueue.order(state: .accepted, greenChannel: true, deadline: "2026-12-20", createdAt: filed)
        let soon = CaseQueue.order(state: .underReview, greenChannel: false, deadline: "2026-12-01", createdAt: filed)
        let later = CaseQueue.order(state: .accepted, greenChannel: false, deadline: "2026-12-10", createdAt: filed)
        let waiting = CaseQueue.order(state: .submitted, greenChannel: false, deadline: nil, createdAt: filed)
        let waitingLonger = CaseQueue.order(state: .submitted, greenChannel: false, deadline: nil, createdAt: filed.addingTimeInterval(-3600))
        XCTAssertEqual([later, waiting, green, soon, waitingLonger].sorted(), [green, soon, later, waitingLonger, waiting])
        // A green-channel case that is decided no longer jumps the queue: it waits to be handed out like the rest.
        let decided = CaseQueue.order(state: .approved, greenChannel: true, deadline: "2026-12-20", createdAt: filed)
        XCTAssertGreaterThan(decided, soon)
    }

    func testOnlyCasesWaitingForStaffAreInTheQueue() {
        for state in CaseState.allCases {
            let key = CaseQueue.order(state: state, greenChannel: false, deadline: "2026-12-01", createdAt: filed)
            let expected = ![.draft, .correctionRequested, .closed, .archived, .withdrawn, .terminated].contains(state)
            XCTAssertEqual(key < CaseQueue.outOfQueue, expected, state.rawValue)
        }
    }

    func testTheWarningCutoffSeparatesYellowFromGreenAcrossWeekendsAndHolidays() {
        // Monday 2026-11-30, two days' warning: Tuesday and Wednesday are yellow, Thursday green.
        XCTAssertEqual(DeadlineClock.warningCutoff(today: d("2026-11-30"), warnWithin: 2, calendar: calendar), d("2026-12-02"))
        // Thursday 2026-09-24 before Mid-Autumn (Friday 25th to Sunday off), one day's warning: the
        // holiday and Monday 28th are yellow, Tuesday green.
        XCTAssertEqual(DeadlineClock.warningCutoff(today: d("2026-09-24"), warnWithin: 1, calendar: calendar), d("2026-09-28"))
        for offset in 0..<400 {
            let today = LocalDate(dayNumber: d("2025-01-01").dayNumber + offset)
            let cutoff = DeadlineClock.warningCutoff(today: today, warnWithin: 3, calendar: calendar)
            XCTAssertNotEqual(DeadlineClock.status(of: cutoff, today: today, warnWithin: 3, calendar: calendar), .green, today.description)
            let after = LocalDate(dayNumber: cutoff.dayNumber + 1)
            XCTAssertEqual(DeadlineClock.status(of: after, today: today, warnWithin: 3, calendar: calendar), .green, today.description)
        }
    }

    func testBeyondTheCalendarTheCutoffStaysGenerous() {
        let cutoff = DeadlineClock.warningCutoff(today: d("2026-12-30"), warnWithin: 2, calendar: calendar)
        XCTAssertGreaterThanOrEqual(cutoff, d("2027-01-05"))
    }

    func testEmailAddressesAreCheckedNormalisedAndMasked() throws {
        XCTAssertEqual(try EmailAddress(" Zhang.Ming@Example.CN ").value, "zhang.ming@example.cn")
        for bad in ["", "a", "a@b", "@b.cn", "a@.cn", "a@b.", "a b@c.cn", "a@b@c.cn"] {
            XCTAssertThrowsError(try EmailAddress(bad), bad)
        }
        XCTAssertEqual(PersonalData.mask("zhangming@example.cn", as: .email), "zh***@example.cn")
        XCTAssertEqual(PersonalData.mask("li@qq.com", as: .email), "l***@qq.com", "a short name keeps one letter")
    }

    func testUrgencyFollowsTheClockAndSaysWhyThereIsNone() {
        let today = d("2026-11-30")
        XCTAssertEqual(CaseUrgency.of(state: .accepted, deadline: "2026-12-10", today: today, warnWithin: 2, calendar: calendar), .green)
        XCTAssertEqual(CaseUrgency.of(state: .underReview, deadline: "2026-12-02", today: today, warnWithin: 2, calendar: calendar), .yellow)
        XCTAssertEqual(CaseUrgency.of(state: .accepted, deadline: "2026-11-27", today: today, warnWithin: 2, calendar: calendar), .red)
        XCTAssertEqual(CaseUrgency.of(state: .specialProcedure, deadline: nil, today: today, warnWithin: 2, calendar: calendar), .suspended)
        XCTAssertEqual(CaseUrgency.of(state: .approved, deadline: "2026-11-27", today: today, warnWithin: 2, calendar: calendar), .none, "decided: no clock")
        XCTAssertEqual(CaseUrgency.allCases.sorted { $0.alertRank < $1.alertRank }.last, .red)
    }

    func testCasesAreReadAndFiledByThoseThePolicyNames() {
        let owner = ResourceOwner(departmentCreditCode: "11100000000013338W", regionCode: "350100000000", applicantID: "A")
        let applicant = Actor.applicant(ApplicantActor(accountID: "A", kind: .person, displayName: "张明"))
        let stranger = Actor.applicant(ApplicantActor(accountID: "B", kind: .person, displayName: "李华"))
        let clerk = Actor.staff(account: "clerk", grants: [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: "11100000000013338W"))])
        let hotline = Actor.staff(account: "hotline", grants: [Grant(role: .hotlineOperator, scope: .everywhere)])
        func subject(_ state: CaseState, window: Bool) -> CaseSubject { CaseSubject(owner: owner, state: state, filedAtWindow: window, filedBy: "applicant:A") }
        XCTAssertTrue(Policy.mayRead(applicant, case: subject(.draft, window: false)))
        XCTAssertFalse(Policy.mayRead(stranger, case: subject(.submitted, window: false)))
        XCTAssertFalse(Policy.mayRead(clerk, case: subject(.draft, window: false)), "an online draft is the applicant's alone")
        XCTAssertFalse(Policy.mayRead(hotline, case: subject(.draft, window: false)))
        XCTAssertTrue(Policy.mayRead(clerk, case: subject(.draft, window: true)))
        XCTAssertTrue(Policy.mayRead(clerk, case: subject(.submitted, window: false)))
        XCTAssertTrue(Policy.mayFile(applicant, case: subject(.draft, window: false)))
        XCTAssertFalse(Policy.mayFile(clerk, case: subject(.submitted, window: false)), "clerks add only to window cases")
        XCTAssertTrue(Policy.mayFile(clerk, case: subject(.submitted, window: true)))
        XCTAssertFalse(Policy.mayFile(hotline, case: subject(.submitted, window: true)))
    }
}
