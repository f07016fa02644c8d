import Foundation
import XCTest
import YiwangCore

final class CaseLifecycleTests: XCTestCase {
    /// Every allowed (state, action) pair and where it leads, written out by hand from SPEC C3.
    static let allowed: [String: String] = [
        "draft submit": "submitted", "correctionRequested submit": "preReview",
        "submitted preReview": "preReview",
        "submitted accept": "accepted", "preReview accept": "accepted",
        "submitted rejectAtAcceptance": "notAccepted", "preReview rejectAtAcceptance": "notAccepted",
        "submitted requestCorrection": "correctionRequested", "preReview requestCorrection": "correctionRequested",
        "accepted review": "underReview",
        "underReview startSpecialProcedure": "specialProcedure", "specialProcedure endSpecialProcedure": "underReview",
        "accepted approve": "approved", "underReview approve": "approved",
        "accepted deny": "denied", "underReview deny": "denied",
        "accepted approveOnTimeout": "approved", "underReview approveOnTimeout": "approved",
        "approved issueCertificate": "certificateIssued",
        "approved deliver": "delivered", "certificateIssued deliver": "delivered", "denied deliver": "delivered", "notAccepted deliver": "delivered",
        "delivered close": "closed",
        "closed archive": "archived", "withdrawn archive": "archived", "terminated archive": "archived",
        "draft withdraw": "withdrawn", "submitted withdraw": "withdrawn", "preReview withdraw": "withdrawn",
        "correctionRequested withdraw": "withdrawn", "accepted withdraw": "withdrawn", "underReview withdraw": "withdrawn",
        "specialProcedure withdraw": "withdrawn",
        "accepted terminate": "terminated", "underReview terminate": "terminated", "specialProcedure terminate": "terminated",
        "correctionRequested terminate": "terminated",
        // A bundle's task only (the guard refuses a single case): a correction after acceptance, and back to review.
        "accepted requestCorrection": "correctionRequested", "underReview requestCorrection": "correctionRequested",
        "correctionRequested resumeReview": "underReview",
    ]

    /// Facts under which every guard passes.
    let permissive = CaseFacts(deferredMaterialsOutstanding: false, approvesOnTimeout: true, pastDeadline: true, producesCertificate: true, inBundle: true)

    func testEveryStateAndActionPairIsAllowedOrRefusedAsSpecified() {
        var checked = 0
        for state in CaseState.allCases {
            for action in CaseAction.allCases {
                let key = "\(state.rawValue) \(action.rawValue)"
                do {
                    let next = try CaseLifecycle.next(state, action, facts: permissive)
                    XCTAssertEqual(next.rawValue, Self.allowed[key], key)
                } catch {
                    XCTAssertNil(Self.allowed[key], "\(key) was refused: \(error)")
                    XCTAssertEqual(error.code, "case.transition_not_allowed", key)
                    XCTAssertTrue(error.message.contains(state.chineseName) && error.message.contains(action.chineseName), error.message)
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 16 * 18)
        XCTAssertEqual(CaseState.allCases.count, 16)
        XCTAssertEqual(CaseAction.allCases.count, 18)
    }

    /// A single case is corrected before acceptance only (《行政许可法》第三十二条); a bundle's task
    /// may ask after acceptance, its clock stopping, and returns to review when the applicant answers.
    func testCorrectionAfterAcceptanceIsForABundlesTaskOnly() throws {
        for state in [CaseState.accepted, .underReview] {
            XCTAssertThrowsError(try CaseLifecycle.next(state, .requestCorrection)) { error in
                XCTAssertEqual((error as? DomainError)?.code, "case.correction_after_acceptance")
            }
            XCTAssertEqual(try CaseLifecycle.next(state, .requestCorrection, facts: CaseFacts(inBundle: true)), .correctionRequested)
        }
        XCTAssertThrowsError(try CaseLifecycle.next(.correctionRequested, .resumeReview)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "case.not_in_bundle")
        }
        let calendar = try WorkingCalendar(ChinaHolidays.shipped)
        let monday = try LocalDate("2026-11-23")
        let clock = try DeadlineClock(acceptedOn: monday, workingDays: 5, calendar: calendar)
        let asked = try CaseLifecycle.plan(
            .underReview, .requestCorrection,
            CasePlanInput(facts: CaseFacts(inBundle: true), reason: "请补充设备布局图", today: monday, calendar: calendar, clock: clock, promisedLimit: 5))
        XCTAssertEqual(asked.to, .correctionRequested)
        XCTAssertEqual(asked.clock?.isSuspended, true, "the task's clock stops while the applicant corrects")
        let resumed = try CaseLifecycle.plan(
            .correctionRequested, .resumeReview,
            CasePlanInput(facts: CaseFacts(inBundle: true), reason: nil, today: try LocalDate("2026-11-25"), calendar: calendar, clock: asked.clock, promisedLimit: 5))
        XCTAssertEqual(resumed.to, .underReview)
        XCTAssertEqual(resumed.clock?.isSuspended, false)
        let before = try XCTUnwrap(try clock.deadline(calendar)?.date)
        let after = try XCTUnwrap(try resumed.clock?.deadline(calendar)?.date)
        XCTAssertGreaterThan(after, before, "the days the applicant took do not count against the department")
    }

    func testGuardsOfDeferredMaterialsTimeoutAndCertificates() {
        let outstanding = CaseFacts(deferredMaterialsOutstanding: true)
        for action in [CaseAction.approve, .deny] {
            XCTAssertThrowsError(try CaseLifecycle.next(.underReview, action, facts: outstanding)) { error in
                XCTAssertEqual((error as? DomainError)?.code, "case.deferred_materials_outstanding")
            }
        }
        XCTAssertThrowsError(try CaseLifecycle.next(.underReview, .approveOnTimeout, facts: CaseFacts(approvesOnTimeout: true, pastDeadline: false)))
        XCTAssertThrowsError(try CaseLifecycle.next(.underReview, .approveOnTimeout, facts: CaseFacts(approvesOnTimeout: false, pastDeadline: true)))
        XCTAssertEqual(try CaseLifecycle.next(.underReview, .approveOnTimeout, facts: CaseFacts(approvesOnTimeout: true, pastDeadline: true)), .approved)
        XCTAssertThrowsError(try CaseLifecycle.next(.approved, .issueCertificate, facts: CaseFacts(producesCertificate: false))) { error in
            XCTAssertEqual((error as? DomainError)?.code, "case.no_certificate")
        }
    }

    func testEveryStateIsReachableFromADraftAndFinishedCasesOnlyArchive() {
        var reached: Set<CaseState> = [.draft]
        var frontier: [CaseState] = [.draft]
        while let state = frontier.popLast() {
            for action in CaseLifecycle.actions(from: state) {
                let next = try! CaseLifecycle.next(state, action, facts: permissive)
                if reached.insert(next).inserted { frontier.append(next) }
            }
        }
        XCTAssertEqual(reached, Set(CaseState.allCases))
        for state in CaseState.allCases where state.isFinished {
            XCTAssertTrue(Set(CaseLifecycle.actions(from: state)).isSubset(of: [.archive]), "\(state) can only be archived")
        }
        XCTAssertEqual(CaseLifecycle.actions(from: .archived), [])
    }

    /// Random walks with random facts never leave the table, and a decision always passes
    /// through acceptance first.
    func testRandomWalksStayInsideTheRules() {
        var generator = SplitMix(seed: 4)
        for _ in 0..<2000 {
            var state = CaseState.draft
            var wasAccepted = false
            for _ in 0..<30 {
                let action = CaseAction.allCases[Int(generator.next() % UInt64(CaseAction.allCases.count))]
                let facts = CaseFacts(
                    deferredMaterialsOutstanding: generator.next() % 4 == 0, approvesOnTimeout: generator.next() % 2 == 0,
                    pastDeadline: generator.next() % 2 == 0, producesCertificate: generator.next() % 3 != 0)
                guard let next = try? CaseLifecycle.next(state, action, facts: facts) else { continue }
                XCTAssertEqual(Self.allowed["\(state.rawValue) \(action.rawValue)"], next.rawValue)
                if next == .accepted { wasAccepted = true }
                if [.approved, .denied].contains(next) {
                    XCTAssertTrue(wasAccepted, "decided without acceptance")
                    XCTAssertFalse(facts.deferredMaterialsOutstanding)
                }
                state = next
            }
        }
    }
}
