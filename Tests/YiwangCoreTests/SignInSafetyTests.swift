import Foundation
import XCTest
import YiwangCore

final class SignInSafetyTests: XCTestCase {
    // MARK: PasswordRules

    /// Whether one of the reported problems mentions `fragment` (the messages are Chinese sentences).
    private func reports(_ problems: [String], _ fragment: String) -> Bool {
        problems.contains { $0.contains(fragment) }
    }

    func testAcceptablePasswordHasNoProblems() {
        XCTAssertEqual(PasswordRules.problems(in: "Guiyang-window-2026"), [])
        XCTAssertEqual(PasswordRules.problems(in: "Guiyang-window-2026", account: "zhangsan"), [])
        XCTAssertNoThrow(try PasswordRules.check("Guiyang-window-2026"))
        // The demo city's published password is never a real account's.
        XCTAssertEqual(PasswordRules.problems(in: "Yiwang-demo-2026"), ["该密码过于常见，请换一个。"])
        // Chinese characters count as the symbol class.
        XCTAssertEqual(PasswordRules.problems(in: "政务服务abcd1234"), [])
    }

    func testTooShortPassword() {
        let problems = PasswordRules.problems(in: "Ab1-xyz")
        XCTAssertTrue(reports(problems, "至少需要\(PasswordRules.minimumLength)个字符"), "\(problems)")
        // Exactly the minimum length is enough.
        XCTAssertEqual(PasswordRules.problems(in: "Ab1-xyzuvw"), [])
        XCTAssertEqual("Ab1-xyzuvw".count, PasswordRules.minimumLength)
    }

    func testTooLongPassword() {
        let long = "Ab1-" + String(repeating: "x", count: PasswordRules.maximumLength)
        XCTAssertTrue(reports(PasswordRules.problems(in: long), "不能超过"))
        XCTAssertFalse(reports(PasswordRules.problems(in: String(long.prefix(72))), "不能超过"))
        // bcrypt reads 72 bytes: 25 Chinese characters (75 bytes) are too many although only 25 characters.
        XCTAssertTrue(reports(PasswordRules.problems(in: "Ab1-" + String(repeating: "密", count: 25)), "72个字节"))
    }

    func testFewerThanThreeCharacterClasses() {
        for weak in ["abcdefghijkl", "abcdefgh1234", "ABCDEFGH!@#$", "1234567890-="] {
            XCTAssertTrue(reports(PasswordRules.problems(in: weak), "三类"), weak)
        }
        for strong in ["abcdefgh123!", "ABCDEFGH123x", "abcdEFGH!@#$"] {
            XCTAssertFalse(reports(PasswordRules.problems(in: strong), "三类"), strong)
        }
    }

    func testCommonPasswordIsRefusedWhateverItsCase() {
        // Three classes and long enough, but seen in every leak.
        let problems = PasswordRules.problems(in: "Password123")
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(reports(problems, "过于常见"))
        XCTAssertTrue(reports(PasswordRules.problems(in: "WoAiNi1314"), "过于常见"))
    }

    func testPasswordContainingTheAccountIsRefused() {
        XCTAssertTrue(reports(PasswordRules.problems(in: "Zhangsan-2026", account: "zhangsan"), "账号"))
        XCTAssertTrue(reports(PasswordRules.problems(in: "x11010519491231002X!", account: "11010519491231002x"), "账号"))
        XCTAssertFalse(reports(PasswordRules.problems(in: "Zhangsan-2026", account: "lisi"), "账号"))
        // Very short account names are too likely to occur by chance.
        XCTAssertFalse(reports(PasswordRules.problems(in: "Wang-demo-2026", account: "wan"), "账号"))
    }

    func testTooFewDistinctCharacters() {
        XCTAssertTrue(reports(PasswordRules.problems(in: "aaaaAAAA1111"), "不同字符过少"))
    }

    func testCheckThrowsWeakPasswordWithOneFieldErrorPerProblem() {
        let problems = PasswordRules.problems(in: "zhangsan", account: "zhangsan")
        XCTAssertGreaterThanOrEqual(problems.count, 3, "\(problems)")
        XCTAssertThrowsError(try PasswordRules.check("zhangsan", account: "zhangsan", field: "newPassword")) { error in
            guard let domainError = error as? DomainError else { return XCTFail("\(error)") }
            XCTAssertEqual(domainError.kind, .invalid)
            XCTAssertEqual(domainError.code, "auth.weak_password")
            XCTAssertEqual(domainError.fieldErrors.map(\.message), problems)
            XCTAssertEqual(Set(domainError.fieldErrors.map(\.field)), ["newPassword"])
        }
        XCTAssertThrowsError(try PasswordRules.check("short")) { error in
            XCTAssertEqual((error as? DomainError)?.fieldErrors.first?.field, "password")
        }
    }

    // MARK: LockoutRule

    func testLockoutDoublesAfterTheFreeFailuresUpToTheCeiling() {
        let rule = LockoutRule()
        for failures in -1...4 {
            XCTAssertEqual(rule.lockDuration(afterFailures: failures), 0, "\(failures)")
        }
        XCTAssertEqual(rule.lockDuration(afterFailures: 5), 60)
        XCTAssertEqual(rule.lockDuration(afterFailures: 6), 120)
        XCTAssertEqual(rule.lockDuration(afterFailures: 7), 240)
        XCTAssertEqual(rule.lockDuration(afterFailures: 10), 1920)
        XCTAssertEqual(rule.lockDuration(afterFailures: 11), 3600)
        XCTAssertEqual(rule.lockDuration(afterFailures: 1000), 3600)
        // Huge counts must not overflow into a short (or infinite) lock.
        XCTAssertEqual(rule.lockDuration(afterFailures: Int.max), 3600)
    }

    func testLockoutNeverShrinksAsFailuresGrow() {
        let rule = LockoutRule()
        var previous: TimeInterval = 0
        for failures in 0...100 {
            let duration = rule.lockDuration(afterFailures: failures)
            XCTAssertGreaterThanOrEqual(duration, previous, "\(failures)")
            XCTAssertLessThanOrEqual(duration, rule.longestLock)
            previous = duration
        }
    }

    func testCustomLockoutRule() {
        let rule = LockoutRule(freeFailures: 3, firstLock: 30, longestLock: 100)
        XCTAssertEqual(rule.lockDuration(afterFailures: 2), 0)
        XCTAssertEqual(rule.lockDuration(afterFailures: 3), 30)
        XCTAssertEqual(rule.lockDuration(afterFailures: 4), 60)
        XCTAssertEqual(rule.lockDuration(afterFailures: 5), 100)
    }

    // MARK: RateLimiter

    private let start = Date(timeIntervalSince1970: 1_800_000_000)

    func testLimitSpreadsThePeriodOverTheRequests() {
        let limit = RateLimiter.Limit(requests: 3, per: 60)
        XCTAssertEqual(limit.capacity, 3)
        XCTAssertEqual(limit.refillInterval, 20)
    }

    func testBurstThenRetryAfterThenOneMore() {
        var limiter = RateLimiter(RateLimiter.Limit(requests: 3, per: 60))
        for _ in 1...3 {
            XCTAssertEqual(limiter.take("10.0.0.1", at: start), .allowed)
        }
        XCTAssertEqual(limiter.take("10.0.0.1", at: start), .limited(retryAfter: 20))
        XCTAssertEqual(limiter.take("10.0.0.1", at: start), .limited(retryAfter: 20))
        // Half a token back after 10 s: still refused, and told to wait the other 10.
        XCTAssertEqual(limiter.take("10.0.0.1", at: start + 10), .limited(retryAfter: 10))
        // After the advertised wait exactly one more request gets through.
        XCTAssertEqual(limiter.take("10.0.0.1", at: start + 20), .allowed)
        XCTAssertEqual(limiter.take("10.0.0.1", at: start + 20), .limited(retryAfter: 20))
    }

    func testWaitingTheFullRetryAfterAllowsOneRequest() {
        var limiter = RateLimiter(RateLimiter.Limit(requests: 3, per: 60))
        for _ in 1...3 { _ = limiter.take("k", at: start) }
        guard case .limited(let wait) = limiter.take("k", at: start) else { return XCTFail("not limited") }
        XCTAssertEqual(limiter.take("k", at: start + TimeInterval(wait)), .allowed)
    }

    func testKeysAreIndependent() {
        var limiter = RateLimiter(RateLimiter.Limit(requests: 3, per: 60))
        for _ in 1...3 { XCTAssertEqual(limiter.take("a", at: start), .allowed) }
        XCTAssertEqual(limiter.take("a", at: start), .limited(retryAfter: 20))
        for _ in 1...3 { XCTAssertEqual(limiter.take("b", at: start), .allowed) }
        XCTAssertEqual(limiter.take("b", at: start), .limited(retryAfter: 20))
        XCTAssertEqual(limiter.trackedKeys, 2)
    }

    func testIdlingRefillsOnlyUpToTheBurst() {
        var limiter = RateLimiter(RateLimiter.Limit(requests: 3, per: 60))
        XCTAssertEqual(limiter.take("a", at: start), .allowed)
        let later = start + 3600
        for _ in 1...3 { XCTAssertEqual(limiter.take("a", at: later), .allowed) }
        XCTAssertEqual(limiter.take("a", at: later), .limited(retryAfter: 20))
    }

    func testClockGoingBackwardsGivesNoTokens() {
        var limiter = RateLimiter(RateLimiter.Limit(requests: 3, per: 60))
        for _ in 1...3 { _ = limiter.take("a", at: start) }
        XCTAssertEqual(limiter.take("a", at: start - 100), .limited(retryAfter: 20))
    }

    func testFullBucketsAreForgottenAboveTheKeyLimit() {
        var limiter = RateLimiter(RateLimiter.Limit(requests: 3, per: 60), maximumKeys: 2)
        for (offset, key) in ["a", "b", "c"].enumerated() {
            XCTAssertEqual(limiter.take(key, at: start + Double(offset)), .allowed)
        }
        // A flood of distinct keys, none refilled: memory stays bounded, the most recent key is kept.
        XCTAssertLessThanOrEqual(limiter.trackedKeys, 2)
        XCTAssertEqual(limiter.take("c", at: start + 2), .allowed)
        XCTAssertEqual(limiter.take("c", at: start + 2), .allowed)
        XCTAssertEqual(limiter.take("c", at: start + 2), .limited(retryAfter: 20), "c's spent token was remembered")
        // An hour later, new keys push out the refilled buckets (indistinguishable from new ones).
        XCTAssertEqual(limiter.take("d", at: start + 3600), .allowed)
        XCTAssertEqual(limiter.take("e", at: start + 3601), .allowed)
        XCTAssertLessThanOrEqual(limiter.trackedKeys, 2)
    }
}
