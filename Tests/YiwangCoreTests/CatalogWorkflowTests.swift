import XCTest
import YiwangCore
import YiwangTestSupport

final class CatalogWorkflowTests: XCTestCase {
    /// Every (state, action) pair, allowed or refused exactly as specified.
    func testEveryStateAndActionPair() {
        let allowed: [VersionState: [CatalogAction: VersionState]] = [
            .draft: [.submit: .submitted],
            .submitted: [.approve: .approved, .returnToDraft: .draft],
            .approved: [.publish: .published, .returnToDraft: .draft],
            .published: [.retire: .retired],
            .retired: [:],
        ]
        for state in VersionState.allCases {
            for action in CatalogAction.allCases {
                if let target = allowed[state]?[action] {
                    XCTAssertEqual(try CatalogWorkflow.transition(from: state, action: action).to, target, "\(state) \(action)")
                } else {
                    XCTAssertThrowsError(try CatalogWorkflow.transition(from: state, action: action), "\(state) \(action)") { error in
                        XCTAssertEqual((error as? DomainError)?.kind, .conflict)
                        XCTAssertEqual((error as? DomainError)?.code, "catalog.transition_not_allowed")
                    }
                }
            }
        }
    }

    func testPublishingSupersedesThePreviousVersionAndRetiringWithdraws() throws {
        XCTAssertEqual(try CatalogWorkflow.transition(from: .approved, action: .publish).effects, [.retirePreviouslyPublished, .becomePublic])
        XCTAssertEqual(try CatalogWorkflow.transition(from: .published, action: .retire).effects, [.withdrawFromPublic])
        XCTAssertEqual(CatalogWorkflow.allowedActions(in: .submitted), [.approve, .returnToDraft])
    }

    /// Random walks never leave the five states, and only drafts are ever editable.
    func testRandomActionSequencesStayValid() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var state = VersionState.draft
            var published = false
            for _ in 0..<20 {
                let action = CatalogAction.allCases.randomElement(using: &generator)!
                guard let transition = try? CatalogWorkflow.transition(from: state, action: action) else { continue }
                if transition.to == .published { published = true }
                XCTAssertFalse(state == .retired, "nothing leaves retired")
                state = transition.to
            }
            if state == .retired { XCTAssertTrue(published, "only a published version can be retired") }
        }
    }

    func testDiffListsChangedElementsByPath() {
        let old = Fixtures.guide()
        var new = old
        new.promisedLimit = 3
        new.materials[2].deferrable = false
        new.materials.append(MaterialRequirement(name: "从业人员健康证明", legalBasis: "《食品安全法》第四十五条"))
        let changes = GuideDiff.changes(from: old, to: new)
        let paths = changes.map(\.path)
        XCTAssertTrue(paths.contains("promisedLimit"))
        XCTAssertTrue(paths.contains("materials/2/deferrable"))
        XCTAssertTrue(paths.contains("materials/3/name"))
        XCTAssertEqual(changes.first { $0.path == "promisedLimit" }?.before, "5")
        XCTAssertEqual(changes.first { $0.path == "promisedLimit" }?.after, "3")
        XCTAssertEqual(changes.first { $0.path == "materials/2/deferrable" }?.after, "false")
        XCTAssertTrue(GuideDiff.changes(from: old, to: old).isEmpty)
    }
}

final class GuideLabelsTests: XCTestCase {
    func testElementPathsReadInChinese() {
        XCTAssertEqual(GuideLabels.describe("materials/2/name"), "申请材料第3项·名称")
        XCTAssertEqual(GuideLabels.describe("promisedLimit"), "承诺办结时限")
        XCTAssertEqual(GuideLabels.describe("form/fields/0/visibleWhen/field"), "网上申请表单·字段第1项·显示条件·条件字段")
        XCTAssertEqual(CatalogEventAction(rawValue: "create-version")?.chineseName, "新建版本")
        XCTAssertEqual(CatalogEventAction(.publish), .publish)
    }
}
