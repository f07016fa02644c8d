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
    ]

    /// Facts under which every guard passes.
    let permissive = CaseFacts(deferredMaterialsOutstanding: false, approvesOnTimeout: true, pastDeadline: true, producesCertificate: true)

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
        XCTAssertEqual(checked, 16 * 17)
        XCTAssertEqual(CaseState.allCases.count, 16)
        XCTAssertEqual(CaseAction.allCases.count, 17)
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
