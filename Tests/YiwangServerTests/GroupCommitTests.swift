import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
@testable import YiwangServer

final class GroupCommitTests: XCTestCase {
    /// Forty audited writes at once, every fifth refused after it appended to the trail: the
    /// refused ones leave nothing (not their row, not their audit event), the others all commit,
    /// the chain verifies, and on SQLite they were committed in groups, not one by one.
    func testConcurrentWritesCommitTogetherAndARefusalRollsBackAlone() async throws {
        try await withApp(seed: false) { app, clock in
            let sqlite = (app.db as? any SQLDatabase)?.dialect.name == "sqlite"
            let (commitsBefore, transactionsBefore) = (await AuditTrail.sqliteWriter.commits, await AuditTrail.sqliteWriter.transactions)
            let now = clock.now()
            let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<40 {
                    group.addTask {
                        do {
                            _ = try await AuditTrail.writeTransaction(on: app.db) { tx in
                                try await AuditTrail.append(
                                    AuditContext.system("test:group").entry("test.write", subjectType: "test", subjectID: String(index), at: now), on: tx)
                                if index % 5 == 0 { throw DomainError.conflict("test.refused", "第\(index)笔被拒绝。") }
                                return index
                            }
                            return (index, true)
                        } catch let error as DomainError {
                            XCTAssertEqual(error.code, "test.refused")
                            return (index, false)
                        }
                    }
                }
                var outcomes: [Int: Bool] = [:]
                for try await (index, committed) in group { outcomes[index] = committed }
                return outcomes
            }
            XCTAssertEqual(outcomes.count, 40)
            for (index, committed) in outcomes { XCTAssertEqual(committed, index % 5 != 0, "write \(index)") }
            let kept = try await AuditEventRecord.query(on: app.db).filter(\.$action == "test.write").all().map(\.subjectID)
            XCTAssertEqual(Set(kept), Set((0..<40).filter { $0 % 5 != 0 }.map(String.init)), "a refusal rolls back its own append only")
            let verification = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(verification.intact, verification.message)
            if sqlite {
                let commits = await AuditTrail.sqliteWriter.commits - commitsBefore
                let transactions = await AuditTrail.sqliteWriter.transactions - transactionsBefore
                XCTAssertEqual(transactions, 40)
                XCTAssertLessThan(commits, transactions, "waiting writers share commits")
            }
        }
    }

    /// A lone write that fails leaves nothing, and the next one chains on as if it never was.
    func testALoneRefusedWriteLeavesNothing() async throws {
        try await withApp(seed: false) { app, clock in
            let entry = AuditContext.system("test:alone").entry("test.alone", subjectType: "test", subjectID: "1", at: clock.now())
            do {
                _ = try await AuditTrail.writeTransaction(on: app.db) { tx -> Int in
                    try await AuditTrail.append(entry, on: tx)
                    throw DomainError.conflict("test.refused", "被拒绝。")
                }
                XCTFail("the write should have been refused")
            } catch let error as DomainError {
                XCTAssertEqual(error.code, "test.refused")
            }
            let none = try await AuditEventRecord.query(on: app.db).filter(\.$action == "test.alone").count()
            XCTAssertEqual(none, 0)
            try await AuditTrail.append(entry, on: app.db)
            let verification = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(verification.intact, verification.message)
        }
    }
}
