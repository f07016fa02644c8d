import Fluent
import Foundation
import SQLKit
import YiwangCore

/// Sign-in failures in the database, so that every instance and every restart sees the same
/// counts (the rule is `LockoutRule`). Each attempt is admitted or refused by one statement that
/// counts it and sets the lock it would earn *before* the password is checked: parallel guesses
/// cannot all read the same count and slip past the lock.
enum SignInThrottle {
    /// Keys: an account key (a blind index, or `staff:<name>`) counts failures from everywhere;
    /// `<account key>|<source>` counts and locks one source address (itself a blind index).
    static func sourceKey(_ accountKey: String, source: String) -> String { accountKey + "|" + source }

    static func staffKey(_ account: String) -> String { "staff:" + account }

    enum Admission: Equatable {
        /// Checked; if the password is wrong, the source is now locked until this time (nil: not yet).
        case admitted(lockedIfWrong: Date?)
        case locked(until: Date)
    }

    private struct AdmissionRow: Decodable {
        var failures: Int
        var locked_until_ms: Int64?
        var admitted_attempt: String?
    }

    /// Counts this attempt from `source` as a failure in advance (a success clears it) and
    /// locks the source when the count reaches the rule's limit; refuses while it is locked.
    static func admit(_ key: String, rule: LockoutRule, now: Date, on db: any Database) async throws -> Admission {
        guard let sql = db as? any SQLDatabase else { return .admitted(lockedIfWrong: nil) }
        let nowMs = AuditEntry.milliseconds(now)
        let forget = AuditEntry.milliseconds(now.addingTimeInterval(-rule.forgetAfter))
        let attempt = UUID().uuidString
        let next = "sign_in_throttle.failures + 1"
        let row = try await sql.raw("""
            INSERT INTO sign_in_throttle (key, failures, locked_until_ms, last_failure_ms, admitted_attempt)
            VALUES (\(bind: key), 1, \(bind: nowMs) + \(unsafeRaw: lockLength("1", rule)), \(bind: nowMs), \(bind: attempt))
            ON CONFLICT (key) DO UPDATE SET
              failures = CASE WHEN sign_in_throttle.locked_until_ms > \(bind: nowMs) THEN sign_in_throttle.failures
                WHEN sign_in_throttle.last_failure_ms IS NULL OR sign_in_throttle.last_failure_ms < \(bind: forget) THEN 1
                ELSE \(unsafeRaw: next) END,
              locked_until_ms = CASE WHEN sign_in_throttle.locked_until_ms > \(bind: nowMs) THEN sign_in_throttle.locked_until_ms
                WHEN sign_in_throttle.last_failure_ms IS NULL OR sign_in_throttle.last_failure_ms < \(bind: forget) THEN \(bind: nowMs) + \(unsafeRaw: lockLength("1", rule))
                ELSE \(bind: nowMs) + \(unsafeRaw: lockLength(next, rule)) END,
              admitted_attempt = CASE WHEN sign_in_throttle.locked_until_ms > \(bind: nowMs) THEN sign_in_throttle.admitted_attempt
                ELSE \(bind: attempt) END,
              last_failure_ms = CASE WHEN sign_in_throttle.locked_until_ms > \(bind: nowMs) THEN sign_in_throttle.last_failure_ms
                ELSE \(bind: nowMs) END
            RETURNING failures, locked_until_ms, admitted_attempt
            """).first(decoding: AdmissionRow.self)
        let until = row?.locked_until_ms.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        guard let row, row.admitted_attempt != attempt, let until else { return .admitted(lockedIfWrong: until) }
        return .locked(until: until)
    }

    /// The lock earned at failure count `count` (an SQL expression), in milliseconds; NULL when none.
    /// Only the rule's own numbers appear in the text.
    private static func lockLength(_ count: String, _ rule: LockoutRule) -> String {
        let steps = rule.lockSteps
        guard let last = steps.last else { return "NULL" }
        var text = "(CASE WHEN \(count) >= \(last.failures) THEN \(Int64(last.seconds * 1000))"
        for step in steps.dropLast() { text += " WHEN \(count) = \(step.failures) THEN \(Int64(step.seconds * 1000))" }
        return text + " ELSE NULL END)"
    }

    /// One more failure for the account, from whatever source (drives the slow-down).
    static func countAccountFailure(_ key: String, rule: LockoutRule, now: Date, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        let nowMs = AuditEntry.milliseconds(now)
        let forget = AuditEntry.milliseconds(now.addingTimeInterval(-rule.forgetAfter))
        try await sql.raw("""
            INSERT INTO sign_in_throttle (key, failures, last_failure_ms) VALUES (\(bind: key), 1, \(bind: nowMs))
            ON CONFLICT (key) DO UPDATE SET
              failures = CASE WHEN sign_in_throttle.last_failure_ms IS NULL OR sign_in_throttle.last_failure_ms < \(bind: forget) THEN 1
                ELSE sign_in_throttle.failures + 1 END,
              last_failure_ms = \(bind: nowMs)
            """).run()
    }

    /// The account's recent failures from every source (0 once quiet for `forgetAfter`).
    static func accountFailures(_ key: String, rule: LockoutRule, now: Date, on db: any Database) async throws -> Int {
        guard let sql = db as? any SQLDatabase else { return 0 }
        struct Row: Decodable {
            var failures: Int
            var last_failure_ms: Int64?
        }
        guard let row = try await sql.raw("SELECT failures, last_failure_ms FROM sign_in_throttle WHERE key = \(bind: key)").first(decoding: Row.self),
            let last = row.last_failure_ms, last >= AuditEntry.milliseconds(now.addingTimeInterval(-rule.forgetAfter))
        else { return 0 }
        return row.failures
    }

    /// A success clears its source's count and the account's.
    static func clear(_ accountKey: String, sourceKey: String, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DELETE FROM sign_in_throttle WHERE key IN (\(bind: accountKey), \(bind: sourceKey))").run()
    }

    /// An administrator's unlock: every source of the account.
    static func clearAll(_ accountKey: String, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        let prefix = accountKey + "|"
        try await sql.raw("DELETE FROM sign_in_throttle WHERE key = \(bind: accountKey) OR substr(key, 1, \(literal: prefix.utf8.count)) = \(bind: prefix)").run()
    }

    /// Which of these accounts are under attack now: slowed by recent failures, or with a source
    /// locked (for the staff list).
    static func restricted(_ keys: [String], rule: LockoutRule, now: Date, on db: any Database) async throws -> Set<String> {
        guard let sql = db as? any SQLDatabase, !keys.isEmpty else { return [] }
        struct Row: Decodable { var key: String }
        let rows = try await sql.select().column("key").from("sign_in_throttle")
            .where("key", .in, keys).where("failures", .greaterThanOrEqual, rule.freeFailures)
            .where("last_failure_ms", .greaterThanOrEqual, AuditEntry.milliseconds(now.addingTimeInterval(-rule.forgetAfter)))
            .all(decoding: Row.self)
        return Set(rows.map(\.key))
    }
}

/// Sign-in attempts on one slowed account take turns in this instance (each waits its delay in
/// turn), so a guesser's parallel attempts are paced rather than all waiting at once.
actor SignInPacing {
    static let shared = SignInPacing()

    private var queues: [String: [CheckedContinuation<Void, Never>]] = [:]

    func turn<T: Sendable>(_ key: String, _ body: @Sendable () async -> T) async -> T {
        if queues[key] != nil {
            await withCheckedContinuation { queues[key, default: []].append($0) }
        } else {
            queues[key] = []
        }
        defer {
            if var waiting = queues[key], !waiting.isEmpty {
                let next = waiting.removeFirst()
                queues[key] = waiting
                next.resume()
            } else {
                queues[key] = nil
            }
        }
        return await body()
    }
}
