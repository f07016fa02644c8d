import Foundation
import XCTest
import YiwangCore

final class DeliveryPolicyTests: XCTestCase {
    func testWaitsGrowThenRepeatAndAttemptsEnd() {
        let policy = DeliveryPolicy()
        XCTAssertEqual(policy.afterFailure(attempts: 1), .retry(after: 30))
        XCTAssertEqual(policy.afterFailure(attempts: 2), .retry(after: 120))
        XCTAssertEqual(policy.afterFailure(attempts: 7), .retry(after: 6 * 3600))
        XCTAssertEqual(policy.afterFailure(attempts: 9), .retry(after: 6 * 3600), "the last wait repeats")
        XCTAssertEqual(policy.afterFailure(attempts: 10), .giveUp)
        // A provider down for a whole working day still gets its messages.
        XCTAssertGreaterThan(policy.patience, 12 * 3600)
    }

    func testDegenerateSettingsStaySane() {
        let policy = DeliveryPolicy(waits: [], maximumAttempts: 0)
        XCTAssertEqual(policy.afterFailure(attempts: 1), .giveUp)
        XCTAssertEqual(DeliveryPolicy(waits: [], maximumAttempts: 3).afterFailure(attempts: 1), .retry(after: 60))
    }
}
