import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The findings of the hardening review, each pinned by a test that failed before its fix.
final class HardeningTests: XCTestCase {
    /// A valid resident ID number nobody registers in these tests.
    let unregisteredID = "110101199003074514"
    let hotlineGrant = [Grant(role: .hotlineOperator, scope: .everywhere)]
    let supervisorGrant = [Grant(role: .supervisor, scope: .everywhere)]

    // MARK: 1. Error pages without a session

    func testErrorPagesForRequestsRefusedBeforeTheSessionsMiddlewareRenderWithoutTrapping() async throws {
        try await withApp { app, _ in
            let cookie: HTTPHeaders = ["Cookie": "yiwang_session=anything"]
            // A multipart body without a boundary is refused (BodyShapeGuard) before the sessions
            // middleware runs: the error page must not touch the session, which traps there.
            var multipart = cookie
            multipart.add(name: .contentType, value: "multipart/form-data")
            var res = try await call(app, .POST, "/signin", headers: multipart)
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertEqual(res.headers.contentType?.subType, "html")
            XCTAssertTrue(res.body.string.contains("请求有误"), res.body.string)
            res = try await call(app, .POST, "/admin/window/lookup", headers: multipart)
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            // Odd paths a browser may send with its cookie answer a page, never a trap.
            for path in ["/x/../healthz", "/%ff", "/css/../healthz", "/css/%2e%2e/x.css", "/" + String(repeating: "a", count: 300)] {
                res = try await call(app, .GET, path, headers: cookie)
                XCTAssertTrue((400..<500).contains(res.status.code), "\(path): \(res.status)")
            }
            // Asking for JSON gets the problem document instead of the page.
            var json = multipart
            json.add(name: .accept, value: "application/json")
            res = try await call(app, .POST, "/signin", headers: json)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "request.multipart_boundary")
            // Still alive afterwards.
            res = try await call(app, .GET, "/healthz")
            XCTAssertEqual(res.status, .ok)
        }
    }

    func testAResultsPagePastTheEndAnswers() async throws {
        try await withApp { app, _ in
            // Two published items, one a page: page 99 of 2 used to build an inverted range and trap.
            var res = try await call(app, .GET, "/items?page=99&per=1")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("99/2"), "the summary names the page asked for and the last")
            res = try await call(app, .GET, "/items?page=99")
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await call(app, .GET, "/items?page=2&per=1&q=%E9%A3%9F%E5%93%81")
            XCTAssertEqual(res.status, .ok, res.body.string)
        }
    }

    // MARK: 2. The audit trail cannot be shortened

    /// A short trail of audited events; answers the head's sequence.
    func makeTrail(_ app: Application) async throws -> Int64 {
        try await registerPerson(app)
        try await registerPerson(app, id: agentID, name: "李华", phone: "13800000002")
        _ = try await applicantToken(app, citizenID)
        _ = try await applicantToken(app, agentID)
        let head = try await AuditTrail.readHead(app.db)
        XCTAssertEqual(head.sequence, 6)
        return head.sequence
    }

    func checkpointFile(_ app: Application) -> AuditCheckpointFile {
        AuditCheckpointFile(path: app.settings.dataDirectory + "/hardening-checkpoints.jsonl")
    }

    func written(_ outcome: AuditTrail.CheckpointOutcome, file: StaticString = #filePath, line: UInt = #line) -> AuditCheckpoint? {
        guard case .written(let checkpoint) = outcome else {
            XCTFail("expected a checkpoint to be written, got \(outcome)", file: file, line: line)
            return nil
        }
        return checkpoint
    }

    /// A trail from `makeTrail` with a checkpoint recorded at its end: its last sequence and the file.
    func checkpointedTrail(_ app: Application, at now: Date) async throws -> (n: Int64, file: AuditCheckpointFile) {
        let n = try await makeTrail(app)
        let file = checkpointFile(app)
        let recorded = try await AuditTrail.recordCheckpoint(on: app.db, file: file, at: now)
        _ = try XCTUnwrap(written(recorded))
        return (n, file)
    }

    /// Checks that no checkpoint is written over the chain as it stands.
    func assertNoCheckpoint(
        _ app: Application, _ file: AuditCheckpointFile, at now: Date, _ message: String, source: StaticString = #filePath, line: UInt = #line
    ) async throws {
        guard case .refused = try await AuditTrail.recordCheckpoint(on: app.db, file: file, at: now) else {
            return XCTFail(message, file: source, line: line)
        }
    }

    /// Deletes every row after `sequence` and copies that row's sequence and hash into the head.
    func cutTail(_ app: Application, keeping sequence: Int64) async throws -> String {
        let sql = app.db as! any SQLDatabase
        try await sql.raw("DELETE FROM audit_events WHERE sequence > \(bind: sequence)").run()
        let row = sequence == 0 ? nil : try await AuditEventRecord.find(sequence, on: app.db)
        let hash = sequence == 0 ? AuditChain.genesisHash : try XCTUnwrap(row).hash
        try await sql.raw("UPDATE audit_head SET sequence = \(bind: sequence), hash = \(bind: hash) WHERE id = 1").run()
        return hash
    }

    func testAnIntactChainVerifiesAgainstItsCheckpointAndNewCheckpointsFollowIt() async throws {
        try await withApp(seed: false) { app, clock in
            let n = try await makeTrail(app)
            let file = checkpointFile(app)
            var result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertTrue(result.intact, result.message)
            XCTAssertTrue(result.message.contains("未找到链外检查点"), result.message)
            let first = try await AuditTrail.recordCheckpoint(on: app.db, file: file, at: clock.now())
            let checkpoint = try XCTUnwrap(written(first))
            XCTAssertEqual(checkpoint.sequence, n)
            let headNow = try await AuditTrail.readHead(app.db)
            XCTAssertEqual(checkpoint.hash, headNow.hash)
            let again = try await AuditTrail.recordCheckpoint(on: app.db, file: file, at: clock.now())
            XCTAssertEqual(again, .unchanged, "the head did not move")
            result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertTrue(result.intact, result.message)
            XCTAssertTrue(result.message.contains("已与链外检查点(第\(n)条)核对一致"), result.message)
            XCTAssertEqual(result.checkpoint?.sequence, n)
            // The chain grows: the next checkpoint follows the first.
            try await registerPerson(app, id: unregisteredID, name: "王芳", phone: "13800000003")
            clock.advance(by: 60)
            let grown = try await AuditTrail.recordCheckpoint(on: app.db, file: file, at: clock.now())
            let next = try XCTUnwrap(written(grown))
            XCTAssertEqual(next.sequence, n + 1)
            XCTAssertEqual(try file.all().map(\.sequence), [n, n + 1])
            result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertTrue(result.intact, result.message)
        }
    }

    func testCuttingTheTailAndCopyingTheNewLastRowIntoTheHeadIsFound() async throws {
        try await withApp(seed: false) { app, clock in
            let (n, file) = try await checkpointedTrail(app, at: clock.now())
            _ = try await cutTail(app, keeping: n - 2)

            var result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertFalse(result.intact, result.message)
            XCTAssertEqual(result.firstBreak?.kind, .shorterThanCheckpoint, result.message)
            XCTAssertEqual(result.firstBreak?.sequence, n - 1)
            // Without any checkpoint the head's seal gives it away.
            result = try await AuditTrail.verify(on: app.db)
            XCTAssertFalse(result.intact, "a head copied from an earlier row must not verify")
            XCTAssertEqual(result.firstBreak?.kind, .headForged, result.message)
            // And no checkpoint blesses the shortened chain.
            try await assertNoCheckpoint(app, file, at: clock.now(), "a checkpoint was written over a cut chain")
            XCTAssertEqual(try file.all().count, 1)
        }
    }

    func testTheNextAuditedWriteDoesNotSealAForgedHead() async throws {
        try await withApp(seed: false) { app, clock in
            let n = try await makeTrail(app)
            _ = try await cutTail(app, keeping: n - 2)
            // Any audited write after the tampering (here a look-up of the trail's own head by a
            // new event) chains onto the forged head but must not seal it.
            try await AuditTrail.append(
                AuditContext.system("system:test").entry("test.write", subjectType: "test", subjectID: "after-cut", at: clock.now()), on: app.db)
            let result = try await AuditTrail.verify(on: app.db)
            XCTAssertFalse(result.intact, "a write after the cut must not make the forged head genuine")
            XCTAssertEqual(result.firstBreak?.kind, .headForged, result.message)
            guard case .refused = try await AuditTrail.recordCheckpoint(on: app.db, file: checkpointFile(app), at: clock.now()) else {
                return XCTFail("a checkpoint was written over a forged head")
            }
        }
    }

    func testEmptyingTheTrailAndResettingTheHeadIsFound() async throws {
        try await withApp(seed: false) { app, clock in
            _ = try await makeTrail(app)
            let file = checkpointFile(app)
            let recorded = try await AuditTrail.recordCheckpoint(on: app.db, file: file, at: clock.now())
            _ = try XCTUnwrap(written(recorded))
            _ = try await cutTail(app, keeping: 0)
            let rows = try await AuditEventRecord.query(on: app.db).count()
            XCTAssertEqual(rows, 0)

            var result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertFalse(result.intact, result.message)
            XCTAssertEqual(result.firstBreak?.kind, .emptied, result.message)
            result = try await AuditTrail.verify(on: app.db)
            XCTAssertFalse(result.intact, "an emptied trail with a reset head must not verify")
            XCTAssertEqual(result.firstBreak?.kind, .headForged, result.message)

            // Even the genuine seal of the empty chain (the row as the migration left it) is caught by the checkpoint.
            let sql = app.db as! any SQLDatabase
            let emptySeal = try AuditTrail.chain().headSeal(sequence: 0, hash: AuditChain.genesisHash)
            try await sql.raw("UPDATE audit_head SET seal = \(bind: emptySeal) WHERE id = 1").run()
            result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertEqual(result.firstBreak?.kind, .emptied, result.message)
            try await assertNoCheckpoint(app, file, at: clock.now(), "a checkpoint was written over an emptied chain")
        }
    }

    func testARewrittenHeadIsForged() async throws {
        try await withApp(seed: false) { app, _ in
            let n = try await makeTrail(app)
            let sql = app.db as! any SQLDatabase
            let original = try await AuditTrail.readHead(app.db)
            // Pointing past the chain with an invented seal.
            try await sql.raw("UPDATE audit_head SET sequence = \(bind: n + 3), hash = \(bind: String(repeating: "a", count: 64)), seal = \(bind: String(repeating: "b", count: 64)) WHERE id = 1").run()
            var result = try await AuditTrail.verify(on: app.db)
            XCTAssertFalse(result.intact, result.message)
            XCTAssertEqual(result.firstBreak?.kind, .headForged, result.message)
            // Only the seal changed.
            try await sql.raw("UPDATE audit_head SET sequence = \(bind: original.sequence), hash = \(bind: original.hash), seal = \(bind: String(repeating: "c", count: 64)) WHERE id = 1").run()
            result = try await AuditTrail.verify(on: app.db)
            XCTAssertEqual(result.firstBreak?.kind, .headForged, result.message)
            // The seal removed.
            try await sql.raw("UPDATE audit_head SET seal = NULL WHERE id = 1").run()
            result = try await AuditTrail.verify(on: app.db)
            XCTAssertEqual(result.firstBreak?.kind, .headForged, result.message)
            // Put back as it was: intact again.
            try await sql.raw("UPDATE audit_head SET seal = \(bind: original.seal ?? "") WHERE id = 1").run()
            result = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(result.intact, result.message)
        }
    }

    func testAnEditedCheckpointLineIsForged() async throws {
        try await withApp(seed: false) { app, clock in
            let (n, file) = try await checkpointedTrail(app, at: clock.now())
            let text = try String(contentsOfFile: file.path, encoding: .utf8)
            let edited = text.replacingOccurrences(of: "\"sequence\":\(n)", with: "\"sequence\":\(n - 3)")
            XCTAssertNotEqual(edited, text, "the line names the sequence: \(text)")
            try edited.write(toFile: file.path, atomically: true, encoding: .utf8)

            var result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertFalse(result.intact, result.message)
            XCTAssertEqual(result.firstBreak?.kind, .checkpointForged, result.message)
            try await assertNoCheckpoint(app, file, at: clock.now(), "a checkpoint was written after a forged one")
            // A line that does not even parse is forged too.
            try (text + "{not json\n").write(toFile: file.path, atomically: true, encoding: .utf8)
            result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertEqual(result.firstBreak?.kind, .checkpointForged, result.message)
        }
    }

    func testNoCheckpointIsWrittenForAChainShorterThanTheLastOne() async throws {
        try await withApp(seed: false) { app, clock in
            let (n, file) = try await checkpointedTrail(app, at: clock.now())
            // The tail cut and an old, genuinely sealed head row put back (from a backup, say).
            let hash = try await cutTail(app, keeping: n - 2)
            let seal = try AuditTrail.chain().headSeal(sequence: n - 2, hash: hash)
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE audit_head SET seal = \(bind: seal) WHERE id = 1").run()
            clock.advance(by: 60)
            let outcome = try await AuditTrail.recordCheckpoint(on: app.db, file: file, at: clock.now())
            guard case .refused(let reason) = outcome else { return XCTFail("expected a refusal, got \(outcome)") }
            XCTAssertTrue(reason.contains("第\(n)条"), reason)
            XCTAssertEqual(try file.all().map(\.sequence), [n], "nothing written")
            // Only the checkpoint can tell: the seal is genuine.
            var result = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(result.intact, "without a checkpoint a replayed genuine head cannot be told: \(result.message)")
            result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertEqual(result.firstBreak?.kind, .shorterThanCheckpoint, result.message)
            // Appending on the shortened chain does not make it acceptable either.
            try await registerPerson(app, id: unregisteredID, name: "王芳", phone: "13800000003")
            try await registerPerson(app, id: "11010519491231002X", name: "赵敏", phone: "13800000004")
            try await registerPerson(app, id: "520103198506120054", name: "钱程", phone: "13800000005")
            let grownHead = try await AuditTrail.readHead(app.db)
            XCTAssertEqual(grownHead.sequence, n + 1)
            try await assertNoCheckpoint(app, file, at: clock.now(), "a checkpoint was written over a chain whose checkpointed link was replaced")
            result = try await AuditTrail.verify(on: app.db, checkpoints: file)
            XCTAssertEqual(result.firstBreak?.kind, .checkpointMismatch, result.message)
        }
    }

    func testCheckpointsAreListedOnlyForThoseWhoMayViewTheAudit() async throws {
        try await withApp(seed: false) { app, clock in
            _ = try await makeTrail(app)
            let outcome = try await AuditTrail.recordCheckpoint(on: app.db, file: app.auditCheckpoints, at: clock.now())
            let checkpoint = try XCTUnwrap(written(outcome))
            let citizen = try await applicantToken(app, citizenID)
            let hotline = try await staffToken(app, "hotline", hotlineGrant)
            let supervisor = try await staffToken(app, "supervisor", supervisorGrant)
            var res = try await call(app, .GET, "/api/v1/audit/checkpoints")
            XCTAssertEqual(res.status, .unauthorized)
            XCTAssertEqual(try problem(res).code, "access.unauthenticated")
            res = try await call(app, .GET, "/api/v1/audit/checkpoints", token: citizen)
            XCTAssertEqual(res.status, .forbidden)
            res = try await call(app, .GET, "/api/v1/audit/checkpoints", token: hotline)
            XCTAssertEqual(res.status, .forbidden)
            res = try await call(app, .GET, "/api/v1/audit/checkpoints", token: supervisor)
            XCTAssertEqual(res.status, .ok, res.body.string)
            struct Listing: Decodable {
                struct Entry: Decodable {
                    var kind: String
                    var sequence: Int64
                    var hash: String
                    var signature: String
                }
                var checkpoints: [Entry]
            }
            let listing = try JSONDecoder().decode(Listing.self, from: Data(res.body.readableBytesView))
            XCTAssertEqual(listing.checkpoints.map(\.sequence), [checkpoint.sequence])
            XCTAssertEqual(listing.checkpoints.first?.hash, checkpoint.hash)
            XCTAssertEqual(listing.checkpoints.first?.signature, checkpoint.signature)
            XCTAssertEqual(listing.checkpoints.first?.kind, "checkpoint")
            res = try await call(app, .GET, "/api/v1/audit/checkpoints?after=\(checkpoint.sequence)", token: supervisor)
            XCTAssertEqual(try JSONDecoder().decode(Listing.self, from: Data(res.body.readableBytesView)).checkpoints.count, 0)
        }
    }

    // MARK: 3. Password reset: atomic tries, limits, no enumeration

    func resetCode(_ app: Application, phone: String = "13800000001") -> String {
        PasswordResetTests.code(in: app.localSMS.received(by: phone).last ?? "")
    }

    func testParallelWrongCodesSpendAtMostTheFiveTries() async throws {
        try await withApp(seed: false, settings: { $0.signInsPerMinute = 1000 }) { app, _ in
            try await registerPerson(app)
            var res = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: citizenID))
            XCTAssertEqual(res.status, .accepted)
            let code = resetCode(app)
            XCTAssertEqual(code.count, 6)
            let wrong = code == "000000" ? "111111" : "000000"
            let statuses = try await withThrowingTaskGroup(of: (HTTPStatus, String).self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        var result = (HTTPStatus.ok, "")
                        try await app.test(.POST, "/api/v1/password-reset/confirm", beforeRequest: { req in
                            try req.content.encode(ResetCodeConfirmation(account: citizenID, code: wrong, password: "Brand-New-Pass-2026"))
                        }, afterResponse: { res async in
                            let code = (try? JSONDecoder().decode(ProblemDetails.self, from: Data(res.body.readableBytesView)))?.code ?? ""
                            result = (res.status, code)
                        })
                        return result
                    }
                }
                return try await group.reduce(into: [(HTTPStatus, String)]()) { $0.append($1) }
            }
            let refused = try await auditCount(app, "auth.passwordResetRefused")
            XCTAssertEqual(refused, PasswordReset.maximumAttempts, "exactly five codes were compared: \(statuses.map(\.1))")
            XCTAssertTrue(statuses.allSatisfy { (400..<500).contains($0.0.code) }, "\(statuses.map(\.0))")
            XCTAssertTrue(statuses.allSatisfy { ["reset.code", "reset.exhausted"].contains($0.1) }, "\(statuses.map(\.1))")
            let attempts = try await PasswordResetRecord.query(on: app.db).all().map(\.attempts)
            XCTAssertEqual(attempts, [PasswordReset.maximumAttempts])
            // The code is spent: even the right one is refused now.
            res = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: code, password: "Brand-New-Pass-2026"))
            XCTAssertTrue([.badRequest, .conflict].contains(res.status), res.body.string)
            XCTAssertTrue(["reset.code", "reset.exhausted"].contains(try problem(res).code))
            _ = try await applicantToken(app, citizenID)  // the old password still works
            let count1 = try await auditCount(app, "auth.passwordReset")
            XCTAssertEqual(count1, 0)
        }
    }

    func testCodeConfirmationsAreRateLimitedPerAddress() async throws {
        try await withApp(seed: false, settings: { settings in
            settings.signInsPerMinute = 3
            settings.trustedProxies = ["unknown"]
        }) { app, clock in
            try await registerPerson(app)
            _ = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: citizenID))
            let code = resetCode(app)
            let wrong = code == "000000" ? "111111" : "000000"
            func confirm(_ code: String, from address: String) async throws -> XCTHTTPResponse {
                try await call(
                    app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: code, password: "Brand-New-Pass-2026"),
                    from: address)
            }
            for _ in 0..<3 {
                let res = try await confirm(wrong, from: "10.0.0.66")
                XCTAssertEqual(try problem(res).code, "reset.code")
            }
            var res = try await confirm(wrong, from: "10.0.0.66")
            XCTAssertEqual(res.status, .tooManyRequests)
            XCTAssertEqual(try problem(res).code, "request.rate_limited")
            XCTAssertEqual(res.headers.first(name: .retryAfter), "60")
            // Not even the right code is looked at from that address until the window ends ...
            res = try await confirm(code, from: "10.0.0.66")
            XCTAssertEqual(res.status, .tooManyRequests)
            // ... and an unregistered account is limited alike (the limit is the address's).
            res = try await call(
                app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: unregisteredID, code: wrong, password: "Brand-New-Pass-2026"),
                from: "10.0.0.66")
            XCTAssertEqual(res.status, .tooManyRequests)
            let count2 = try await auditCount(app, "auth.passwordResetRefused")
            XCTAssertEqual(count2, 3, "refused by the limit, not compared")
            // Another address is not limited by this one.
            res = try await confirm(wrong, from: "10.0.0.7")
            XCTAssertEqual(try problem(res).code, "reset.code")
            clock.advance(by: 61)
            res = try await confirm(code, from: "10.0.0.66")
            XCTAssertEqual(res.status, .noContent, res.body.string)
        }
    }

    func testTheOneCodeAMinuteAnswerIsTheSameForAnUnregisteredNumber() async throws {
        try await withApp(seed: false) { app, _ in
            try await registerPerson(app)
            var answers: [(first: String, status: HTTPStatus, code: String, detail: String, retryAfter: String?)] = []
            for account in [citizenID, unregisteredID] {
                let first = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: account))
                XCTAssertEqual(first.status, .accepted, account)
                let second = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: account))
                let body = try problem(second)
                answers.append((first.body.string, second.status, body.code, body.detail, second.headers.first(name: .retryAfter)))
            }
            XCTAssertEqual(answers[0].status, .tooManyRequests)
            XCTAssertEqual(answers[0].code, "reset.too_soon")
            XCTAssertEqual(answers[1].status, answers[0].status, "a registered and an unregistered number answer alike")
            XCTAssertEqual(answers[1].code, answers[0].code)
            XCTAssertEqual(answers[1].detail, answers[0].detail)
            XCTAssertEqual(answers[1].retryAfter, answers[0].retryAfter)
            XCTAssertEqual(answers[1].first, answers[0].first)
            XCTAssertEqual(app.localSMS.received(by: "13800000001").count, 1, "one code sent, to the registered phone")
        }
    }

    // MARK: 4. Anonymous callers and tokens that stand for no one

    func testProtectedOperationsAnswer401BeforeReadingTheirBody() async throws {
        try await withApp { app, _ in
            try await registerPerson(app)
            let citizen = try await applicantToken(app, citizenID)
            struct Garbage: Content { var nonsense = [1, 2, 3] }
            let anonymous: [(HTTPMethod, String, (any Content)?)] = [
                (.GET, "/api/v1/cases/\(UUID())", nil),
                (.GET, "/api/v1/cases", nil),
                (.GET, "/api/v1/me/inbox", nil),
                (.GET, "/api/v1/me/materials", nil),
                (.POST, "/api/v1/cases", Garbage()),
                (.POST, "/api/v1/cases/\(UUID())/transitions", Garbage()),
                (.PUT, "/api/v1/cases/\(UUID())/materials/1", Garbage()),
                (.POST, "/api/v1/staff/x/grants", Garbage()),
                (.POST, "/api/v1/staff", Garbage()),
                (.POST, "/api/v1/import", Garbage()),
                (.POST, "/api/v1/applicants/lookup", Garbage()),
                (.POST, "/api/v1/applicants/\(UUID())/reveal", nil),
                (.GET, "/api/v1/audit", nil),
                (.PUT, "/api/v1/calendar/years/2026", Garbage()),
            ]
            for (method, path, body) in anonymous {
                var res = try await call(app, method, path, json: body)
                XCTAssertEqual(res.status, .unauthorized, "\(method) \(path): \(res.body.string)")
                XCTAssertEqual(try problem(res).code, "access.unauthenticated", "\(method) \(path)")
                // A token that stands for no one: the same refusal, naming the token.
                res = try await call(app, method, path, token: "no-such-token", json: body)
                XCTAssertEqual(res.status, .unauthorized, "\(method) \(path) with a dead token")
                XCTAssertEqual(try problem(res).code, "access.token_invalid", "\(method) \(path)")
            }
            // A citizen on staff routes: 403, whatever the body.
            for (method, path) in [
                (HTTPMethod.POST, "/api/v1/staff/x/grants"), (.GET, "/api/v1/staff"), (.POST, "/api/v1/import"), (.POST, "/api/v1/applicants/lookup"),
                (.GET, "/api/v1/audit"), (.GET, "/api/v1/audit/checkpoints"), (.GET, "/api/v1/notifications/failed"),
            ] {
                let res = try await call(app, method, path, token: citizen, json: Garbage())
                XCTAssertEqual(res.status, .forbidden, "\(method) \(path): \(res.body.string)")
            }
        }
    }

    func testADeadTokenIsIgnoredOnPublicReads() async throws {
        try await withApp { app, _ in
            for path in ["/api/v1/items", "/api/v1/regions", "/healthz", "/api/v1/openapi.json", "/api/v1/items/\(foodCode)"] {
                let res = try await call(app, .GET, path, token: "no-such-token")
                XCTAssertEqual(res.status, .ok, "\(path): \(res.body.string)")
            }
            let res = try await call(app, .GET, "/api/v1/me", token: "no-such-token")
            XCTAssertEqual(res.status, .unauthorized)
            XCTAssertEqual(try problem(res).code, "access.token_invalid")
        }
    }

    func testAnUnsupportedMethodOnAKnownPathIs405WithAllow() async throws {
        try await withApp { app, _ in
            let res = try await call(app, .TRACE, "/api/v1/items")
            XCTAssertEqual(res.status, .methodNotAllowed, res.body.string)
            let allow = (res.headers.first(name: .allow) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertTrue(allow.contains("GET"), "\(allow)")
            XCTAssertFalse(allow.contains("TRACE"), "\(allow)")
            XCTAssertEqual(try problem(res).code, "request.method_not_allowed")
            // An unknown path stays 404.
            let missing = try await call(app, .TRACE, "/api/v1/nothing-here")
            XCTAssertEqual(missing.status, .notFound)
        }
    }

    func testSearchWordsLongerThanTheDocumentedLimitAreRefused() async throws {
        try await withApp { app, _ in
            let hundred = String(repeating: "证", count: 100).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let longest = try await call(app, .GET, "/api/v1/items?q=" + hundred)
            XCTAssertEqual(longest.status, .ok, "100 characters is the documented maxLength")
            let res = try await call(app, .GET, "/api/v1/items?q=" + hundred + "x")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "catalog.query_too_long")
            let audit = try await call(app, .GET, "/api/v1/audit?action=" + String(repeating: "a", count: 101), token: nil)
            XCTAssertEqual(audit.status, .unauthorized, "the gate answers before the filter is read")
        }
    }

    // MARK: 5. Staff downloads are audited and purposeful

    func testStaffDownloadsAreAuditedAndTheHotlineSeesProgressNotScans() async throws {
        try await withApp { app, _ in
            let id = try await makeCase(app, .submitted).requireID()
            let citizen = try await applicantToken(app, citizenID)
            let clerk = try await staffToken(app, "market.clerk", cityClerk)
            let hotline = try await staffToken(app, "hotline", hotlineGrant)
            var res = try await upload(app, id, "1", samplePDF("download"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let file = try res.content.decode(CaseView.File.self)

            res = try await call(app, .GET, "/api/v1/cases/\(id)/files/\(file.id)", token: citizen)
            XCTAssertEqual(res.status, .ok)
            let count3 = try await auditCount(app, "case.materialDownload")
            XCTAssertEqual(count3, 0, "the applicant's own download is not audited")

            res = try await call(app, .GET, "/api/v1/cases/\(id)/files/\(file.id)", token: clerk)
            XCTAssertEqual(res.status, .ok)
            XCTAssertEqual(Array(res.body.readableBytesView), samplePDF("download"))
            let events = try await AuditEventRecord.query(on: app.db).filter(\.$action == "case.materialDownload").all()
            XCTAssertEqual(events.map(\.actor), ["market.clerk"])
            XCTAssertEqual(events.first?.subjectID, id.uuidString)
            XCTAssertEqual(events.first?.department, Fixtures.cityDepartment)
            XCTAssertTrue(events.first?.after?.contains(file.id.uuidString) ?? false, events.first?.after ?? "")

            res = try await call(app, .GET, "/api/v1/cases/\(id)", token: hotline)
            XCTAssertEqual(res.status, .ok, "the hotline follows progress")
            res = try await call(app, .GET, "/api/v1/cases/\(id)/files/\(file.id)", token: hotline)
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            let count4 = try await auditCount(app, "case.materialDownload")
            XCTAssertEqual(count4, 1, "a refused download is not a download")
        }
    }

    // MARK: 6. Lockout per account and source

    func signIn(_ app: Application, _ account: String, _ password: String, from address: String) async throws -> XCTHTTPResponse {
        try await call(app, .POST, "/api/v1/auth/token", json: TokenRequest(account: account, password: password), from: address)
    }

    func testAStaffAccountLockedFromOneSourceStillSignsInFromAnother() async throws {
        try await withApp(seed: false, settings: { $0.trustedProxies = ["unknown"] }) { app, _ in
            try await staffToken(app, "market.clerk", cityClerk)
            for round in 1...4 {
                let res = try await signIn(app, "market.clerk", "Wrong-Pass-\(round)", from: "10.0.0.66")
                XCTAssertEqual(res.status, .unauthorized)
            }
            var res = try await signIn(app, "market.clerk", "Wrong-Pass-5", from: "10.0.0.66")
            XCTAssertEqual(res.status, .tooManyRequests)
            XCTAssertEqual(try problem(res).code, "auth.locked")
            res = try await signIn(app, "MARKET.CLERK", testPassword, from: "10.0.0.66")
            XCTAssertEqual(res.status, .tooManyRequests, "the attacking source stays locked, however the name is typed")
            res = try await signIn(app, "market.clerk", testPassword, from: "10.0.0.7")
            XCTAssertEqual(res.status, .created, "the clerk at their own desk is not locked out")
        }
    }

    func testAnAdministratorsPasswordResetClearsEverySourcesLock() async throws {
        try await withApp(settings: { $0.trustedProxies = ["unknown"] }) { app, _ in
            let admin = try await staffToken(app, "market.admin", cityMarketAdmin)
            try await staffToken(app, "market.clerk", cityClerk)
            for source in ["10.0.0.66", "10.0.0.67"] {
                for round in 1...5 { _ = try await signIn(app, "market.clerk", "Wrong-Pass-\(round)", from: source) }
                let res = try await signIn(app, "market.clerk", testPassword, from: source)
                XCTAssertEqual(res.status, .tooManyRequests, "locked from \(source)")
            }
            var res = try await call(app, .GET, "/api/v1/staff/market.clerk", token: admin)
            XCTAssertEqual(try res.content.decode(StaffView.self).locked, true, "the list shows the account under attack")
            res = try await call(app, .POST, "/api/v1/staff/market.clerk/password-reset", token: admin)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let password = try XCTUnwrap(try res.content.decode(PasswordResetResponse.self).password)
            for source in ["10.0.0.66", "10.0.0.67"] {
                let res = try await signIn(app, "market.clerk", password, from: source)
                XCTAssertEqual(res.status, .created, "unlocked from \(source): \(res.body.string)")
            }
            let keys = try await (app.db as! any SQLDatabase).raw("SELECT key FROM sign_in_throttle").all()
            XCTAssertEqual(keys.count, 0, "nothing left of the locks")
        }
    }

    // MARK: 7. Applicants see roles, not staff account names

    func testTheApplicantSeesRolesAndStaffSeeAccountNames() async throws {
        try await withApp { app, _ in
            // Online: accepted by the clerk, reviewed and denied by the approver.
            let factory = CaseFactory(app: app, clerkAccount: "market.clerk", approverAccount: "market.approver")
            let applicant = try await factory.applicant()
            let online = try await factory.make([.underReview]).requireID()
            try await factory.step(.deny, on: online, by: .approver, for: applicant, reason: "不符合条件")
            // Filed at the window by the clerk, materials given there.
            let window = try await factory.make([.atWindow, .accepted]).requireID()
            let citizen = try await applicantToken(app, citizenID)
            let clerk = try await staffToken(app, "market.clerk", cityClerk)
            let approver = try await staffToken(app, "market.approver", cityApprover)

            let roles: Set<String> = ["申请人", "经办人", "综合窗口人员", "后台审批人员", "平台", "工作人员"]
            for id in [online, window] {
                let seen = try await view(app, id, token: citizen).timeline.map(\.actor)
                XCTAssertFalse(seen.isEmpty)
                for actor in seen {
                    XCTAssertTrue(roles.contains(actor), "the applicant sees \(actor)")
                    XCTAssertFalse(actor.contains("market."), actor)
                }
                let staffSeen = try await view(app, id, token: clerk).timeline.map(\.actor)
                XCTAssertTrue(staffSeen.contains("market.clerk"), "\(staffSeen)")
                XCTAssertFalse(staffSeen.contains { roles.contains($0) && $0 != "申请人" }, "staff see who acted: \(staffSeen)")
            }
            let onlineSeen = try await view(app, online, token: citizen).timeline.map(\.actor)
            XCTAssertEqual(onlineSeen.first, "申请人")
            XCTAssertTrue(onlineSeen.contains("综合窗口人员"))
            XCTAssertTrue(onlineSeen.contains("后台审批人员"))
            let approverSeen = try await view(app, online, token: approver).timeline.map(\.actor)
            XCTAssertTrue(approverSeen.contains("market.approver"))
            let windowSeen = try await view(app, window, token: citizen).timeline
            XCTAssertEqual(windowSeen.first(where: { $0.action == "submit" })?.actor, "综合窗口人员")
        }
    }

    // MARK: 8. An ID number looked up at the window stays sealed

    func testAnIDNumberNotFoundAtTheWindowIsKeptSealedInTheSession() async throws {
        try await withApp { app, _ in
            let clerk = try await staffToken(app, "market.clerk", cityClerk)
            var browser = try await BrowserSession.signIn(app, at: "/admin/login", account: "market.clerk", password: testPassword, landing: "/admin/window")
            let page = try await browser.get(app, "/admin/window")
            XCTAssertEqual(page.status, .ok, page.body.string)
            XCTAssertFalse(browser.csrf.isEmpty)
            let res = try await browser.post(app, "/admin/window/lookup", ["identifier": unregisteredID])
            XCTAssertEqual(res.status, .notFound, res.body.string)
            XCTAssertFalse(res.body.string.contains(unregisteredID), "never echoed into the page")

            let sql = app.db as! any SQLDatabase
            struct Row: Decodable { var data: String }
            let sessions = try await sql.raw("SELECT CAST(data AS TEXT) AS data FROM _fluent_sessions").all(decoding: Row.self).map(\.data)
            XCTAssertFalse(sessions.isEmpty)
            XCTAssertTrue(sessions.contains { $0.contains(CaseDeskPageController.pendingIdentifier) }, "kept for the registration: \(sessions)")
            for data in sessions {
                XCTAssertFalse(data.contains(unregisteredID), "a session row holds the ID number in clear: \(data)")
                XCTAssertFalse(data.contains(String(unregisteredID.prefix(14))), "nor a part of it")
            }
            // The look-up that found nobody is in the trail, the number masked.
            let trail = try await AuditEventRecord.query(on: app.db).filter(\.$action == "applicant.lookUp").all()
            XCTAssertEqual(trail.map(\.subjectID), ["unknown"])
            XCTAssertFalse(trail.contains { ($0.after ?? "").contains(unregisteredID) })

            // What was kept serves the registration that follows.
            let registered = try await browser.post(app, "/admin/window/register", ["name": "王芳", "phone": "13800000009"])
            XCTAssertEqual(registered.status, .ok, registered.body.string)
            let found = try await call(app, .POST, "/api/v1/applicants/lookup", token: clerk, json: ["identifier": unregisteredID])
            XCTAssertEqual(found.status, .ok, found.body.string)
            let after = try await sql.raw("SELECT CAST(data AS TEXT) AS data FROM _fluent_sessions").all(decoding: Row.self).map(\.data)
            XCTAssertFalse(after.contains { $0.contains(CaseDeskPageController.pendingIdentifier) }, "cleared once used")
        }
    }

    // MARK: 9. Revealing is limited to the department's own applicants

    func testADepartmentClerkRevealsOnlyApplicantsWithACaseThere() async throws {
        try await withApp { app, _ in
            let person = try await registerPerson(app)
            let clerk = try await staffToken(app, "market.clerk", cityClerk)
            let districtClerk = try await staffToken(app, "district.clerk", [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))])
            var res = try await call(app, .POST, "/api/v1/applicants/\(person.id)/reveal", token: clerk)
            XCTAssertEqual(res.status, .forbidden, "no case with this department: \(res.body.string)")
            let count5 = try await auditCount(app, "personalData.reveal")
            XCTAssertEqual(count5, 0)

            try await makeCase(app, .submitted)
            res = try await call(app, .POST, "/api/v1/applicants/\(person.id)/reveal", token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(try res.content.decode(ApplicantView.self).identifier, citizenID)
            res = try await call(app, .POST, "/api/v1/applicants/\(person.id)/reveal", token: districtClerk)
            XCTAssertEqual(res.status, .forbidden, "the case is another department's")
            let reveals = try await AuditEventRecord.query(on: app.db).filter(\.$action == "personalData.reveal").all().map(\.actor)
            XCTAssertEqual(reveals, ["market.clerk"])

            // A look-up that finds nobody is audited, without the number.
            res = try await call(app, .POST, "/api/v1/applicants/lookup", token: clerk, json: ["identifier": unregisteredID])
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "applicant.not_found")
            let missed = try await AuditEventRecord.query(on: app.db).filter(\.$action == "applicant.lookUp").filter(\.$subjectID == "unknown").all()
            XCTAssertEqual(missed.map(\.actor), ["market.clerk"])
            XCTAssertFalse(missed.contains { ($0.after ?? "").contains(unregisteredID) }, missed.first?.after ?? "")
        }
    }

    func testAClerkRevealsAnApplicantTheyFiledForAtTheWindow() async throws {
        try await withApp { app, _ in
            let person = try await registerPerson(app)
            let clerk = try await staffToken(app, "market.clerk", cityClerk)
            var res = try await call(app, .POST, "/api/v1/applicants/\(person.id)/reveal", token: clerk)
            XCTAssertEqual(res.status, .forbidden)
            try await CaseFactory(app: app, clerkAccount: "market.clerk").make([.atWindow, .submitted])
            res = try await call(app, .POST, "/api/v1/applicants/\(person.id)/reveal", token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
        }
    }

    // MARK: 10. Materials: refusals leave nothing, quotas

    func testARefusedUploadLeavesNoFileOnDisk() async throws {
        try await withApp { app, _ in
            let id = try await makeCase(app, .accepted).requireID()
            let citizen = try await applicantToken(app, citizenID)
            let before = storedFiles(app)
            XCTAssertEqual(before.count, 2)
            let res = try await upload(app, id, "1", samplePDF("too late"), token: citizen)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "material.case_locked")
            XCTAssertEqual(storedFiles(app), before, "no new file")
        }
    }

    func testAfterAcceptanceOnlyTheDeferredMaterialIsTakenAndRacingUploadsLeaveOnlyReferencedFiles() async throws {
        try await withApp { app, _ in
            let id = try await makeCase(app, .deferred).requireID()
            let citizen = try await applicantToken(app, citizenID)
            let before = storedFiles(app)
            var res = try await upload(app, id, "1", samplePDF("not deferred"), token: citizen)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "material.not_deferred")
            XCTAssertEqual(storedFiles(app), before, "a refused upload leaves no file")

            // Several uploads of the one deferred material at once: one is taken, and no file is
            // left on disk that no row names.
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        var status = HTTPStatus.ok
                        try await app.test(.PUT, "/api/v1/cases/\(id)/materials/3", headers: .bearer(citizen), beforeRequest: { req in
                            req.body = ByteBuffer(bytes: samplePDF("race-\(index)"))
                        }, afterResponse: { res async in status = res.status })
                        return status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            XCTAssertEqual(statuses.filter { $0 == .created }.count, 1, "\(statuses)")
            XCTAssertEqual(statuses.filter { $0 == .conflict }.count, 7, "\(statuses)")
            let named = Set(try await CaseMaterialRecord.query(on: app.db).all().map(\.sha256))
            XCTAssertEqual(Set(storedFiles(app).map { String($0.split(separator: "/").last!) }), named)
            res = try await call(app, .GET, "/api/v1/cases/\(id)", token: citizen)
            XCTAssertFalse(try res.content.decode(CaseView.self).deferredOutstanding)
        }
    }

    func testTheApplicantQuotaRefusesNewContentAndStoresNothingButSameContentIsFree() async throws {
        let size = samplePDF("a").count
        try await withApp(settings: { $0.applicantQuotaBytes = 2 * size - 1 }) { app, _ in
            let id = try await makeCase(app, .submitted).requireID()
            let citizen = try await applicantToken(app, citizenID)
            var res = try await upload(app, id, "1", samplePDF("a"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let before = storedFiles(app)
            res = try await upload(app, id, "3", samplePDF("b"), token: citizen)
            XCTAssertEqual(res.status, .payloadTooLarge, res.body.string)
            XCTAssertEqual(try problem(res).code, "material.quota_exceeded")
            XCTAssertEqual(storedFiles(app), before, "nothing stored")
            let records = try await CaseMaterialRecord.query(on: app.db).count()
            XCTAssertEqual(records, 1)
            // The same content again, in this case and another: it costs nothing.
            res = try await upload(app, id, "3", samplePDF("a"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let second = try await makeCase(app, .submitted).requireID()
            res = try await upload(app, second, "1", samplePDF("a"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            XCTAssertEqual(storedFiles(app), before)
            // The quota is the applicant's: another applicant starts from nothing.
            let theirs = try await makeCase(app, .submitted, applicant: agentID).requireID()
            let other = try await applicantToken(app, agentID)
            res = try await upload(app, theirs, "1", samplePDF("b"), token: other)
            XCTAssertEqual(res.status, .created, res.body.string)
        }
    }

    // MARK: 11. The deadline watch claims an alert with its messages and audit, or not at all

    func testAnAlertClaimedAgainForTheSameDeadlineQueuesNothingTwiceAndStopsNoOtherCase() async throws {
        try await withApp { app, clock in
            var ids: [UUID] = []
            for _ in 0..<2 { ids.append(try await makeCase(app, .accepted).requireID()) }
            let accepted = try await CaseRecord.find(ids[0], on: app.db)
            let deadline = try XCTUnwrap(accepted?.deadline)
            XCTAssertEqual(deadline, "2026-11-27")
            clock.advance(by: 4 * 86_400)  // Thursday: one working day left, a warning is due
            let first = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(first.warned, 2)
            // A special procedure that began and ended within the day left the deadline where it
            // was but reset the alert: the watch claims it again.
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE cases SET alert_level = 'none' WHERE id = \(bind: ids[0])").run()
            let again = try await DeadlineWatch(app: app).runOnce()
            XCTAssertEqual(again.warned, 1, "claimed again, without an error that would stop the run")
            let found = try await CaseRecord.find(ids[0], on: app.db)
            XCTAssertEqual(found?.alertLevel, "yellow")
            let staffMessages = try await OutboxRecord.query(on: app.db).filter(\.$caseID == ids[0])
                .filter(\.$dedupeKey == "\(ids[0].uuidString):deadline:\(deadline):yellow:staff").count()
            XCTAssertEqual(staffMessages, 1, "the department is not told twice")
            let warnings = try await auditCount(app, "case.deadlineWarning")
            XCTAssertEqual(warnings, 3, "each claim is recorded with its transaction")
            let verification = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(verification.intact, verification.message)
        }
    }

    // MARK: 12. allowedActions is exact

    enum Who: String, CaseIterable {
        case citizen, clerk, approver, hotline, supervisor
    }

    struct Scenario {
        var name: String
        var item = foodCode
        var atWindow = false
        var submit = true
        var materials = [1, 3]
        var steps: [(CaseAction, Who)] = []
        var state: CaseState
    }

    func testAllowedActionsAreExactlyTheActionsThatSucceed() async throws {
        try await withApp(settings: { $0.apiCallsPerMinute = 1_000_000 }) { app, _ in
            let factory = CaseFactory(app: app)
            let applicant = try await factory.applicant()
            var tokens: [Who: String] = [:]
            tokens[.citizen] = try await applicantToken(app, citizenID)
            tokens[.clerk] = try await staffToken(app, "clerk", cityClerk)
            tokens[.approver] = try await staffToken(app, "approver", cityApprover)
            tokens[.hotline] = try await staffToken(app, "hotline", hotlineGrant)
            tokens[.supervisor] = try await staffToken(app, "supervisor", supervisorGrant)
            let tokensNow = tokens

            // The second item gives a payment (给付), not a licence: nothing to make after approval.
            let itemFound = try await ItemRecord.query(on: app.db).filter(\.$implementationCode == workshopCode).first()
            let item = try XCTUnwrap(itemFound)
            let versionFound = try await ItemVersionRecord.find(item.publishedVersionID, on: app.db)
            let version = try XCTUnwrap(versionFound)
            var guide = try version.guide()
            guide.result = ResultSpec(name: "补贴发放通知", kind: .payment)
            version.content = try ItemVersionRecord.encode(guide)
            try await version.save(on: app.db)

            let decided: [(CaseAction, Who)] = [(.accept, .clerk), (.review, .approver)]
            let scenarios = [
                Scenario(name: "draft", submit: false, materials: [], state: .draft),
                Scenario(name: "submitted", state: .submitted),
                Scenario(name: "submitted, form missing", materials: [], state: .submitted),
                Scenario(name: "preReview", steps: [(.preReview, .clerk)], state: .preReview),
                Scenario(name: "correctionRequested", steps: [(.requestCorrection, .clerk)], state: .correctionRequested),
                Scenario(name: "notAccepted", steps: [(.rejectAtAcceptance, .clerk)], state: .notAccepted),
                Scenario(name: "withdrawn", steps: [(.withdraw, .citizen)], state: .withdrawn),
                Scenario(name: "accepted", steps: [(.accept, .clerk)], state: .accepted),
                Scenario(name: "accepted, 容缺 outstanding", materials: [1], steps: [(.accept, .clerk)], state: .accepted),
                Scenario(name: "underReview", steps: decided, state: .underReview),
                Scenario(name: "underReview, 容缺 outstanding", materials: [1], steps: decided, state: .underReview),
                Scenario(name: "specialProcedure", steps: decided + [(.startSpecialProcedure, .approver)], state: .specialProcedure),
                Scenario(name: "approved (licence)", steps: decided + [(.approve, .approver)], state: .approved),
                Scenario(name: "approved (payment)", item: workshopCode, steps: decided + [(.approve, .approver)], state: .approved),
                Scenario(name: "certificateIssued", steps: decided + [(.approve, .approver), (.issueCertificate, .approver)], state: .certificateIssued),
                Scenario(name: "denied", steps: decided + [(.deny, .approver)], state: .denied),
                Scenario(
                    name: "delivered", steps: decided + [(.approve, .approver), (.issueCertificate, .approver), (.deliver, .clerk)], state: .delivered),
                Scenario(name: "delivered (payment)", item: workshopCode, steps: decided + [(.approve, .approver), (.deliver, .clerk)], state: .delivered),
                Scenario(
                    name: "closed", steps: decided + [(.deny, .approver), (.deliver, .clerk), (.close, .clerk)], state: .closed),
                Scenario(name: "terminated", steps: decided + [(.terminate, .approver)], state: .terminated),
                Scenario(name: "submitted at the window", atWindow: true, state: .submitted),
                Scenario(name: "accepted at the window", atWindow: true, steps: [(.accept, .clerk)], state: .accepted),
                Scenario(name: "correctionRequested at the window", atWindow: true, steps: [(.requestCorrection, .clerk)], state: .correctionRequested),
            ]

            // Each case is built through the services the API calls, so the requests below are
            // the ones under test: reading the offers, then trying every action.
            func build(_ scenario: Scenario) async throws -> UUID {
                let id = try await factory.file(for: applicant, item: scenario.item, submit: scenario.submit, atWindow: scenario.atWindow).requireID()
                try await factory.supply(id, scenario.materials, by: try factory.service(scenario.atWindow ? .clerk : .applicant, for: applicant))
                for (action, who) in scenario.steps {
                    let party: CaseFactory.Party = who == .citizen ? .applicant : who == .clerk ? .clerk : .approver
                    do {
                        try await factory.step(action, on: id, by: party, for: applicant, reason: action.needsReason ? "依规定" : nil)
                    } catch {
                        XCTFail("\(scenario.name): \(action) by \(who): \(error)")
                        throw error
                    }
                }
                return id
            }

            var attempts = 0
            for scenario in scenarios {
                var shared = try await build(scenario)
                var offered: [Who: [CaseAction]] = [:]
                for who in Who.allCases {
                    let res = try await call(app, .GET, "/api/v1/cases/\(shared)", token: tokensNow[who]!)
                    switch res.status {
                    case .ok:
                        let view = try res.content.decode(CaseView.self)
                        XCTAssertEqual(view.state, scenario.state, scenario.name)
                        offered[who] = view.allowedActions
                    case .notFound:
                        offered[who] = []
                    default:
                        XCTFail("\(scenario.name): \(who) reads the case: \(res.status)")
                        offered[who] = []
                    }
                }
                // Everything not offered is refused, and changes nothing.
                for who in Who.allCases {
                    for action in CaseAction.allCases where !offered[who]!.contains(action) {
                        attempts += 1
                        let res = try await move(app, shared, action, reason: action.needsReason ? "依规定" : nil, token: tokensNow[who]!)
                        XCTAssertTrue(
                            (400..<500).contains(res.status.code),
                            "\(scenario.name): \(who) was not offered \(action) but it answered \(res.status) \(res.body.string)")
                        if (200..<300).contains(res.status.code) { shared = try await build(scenario) }
                    }
                }
                let unchangedFound = try await CaseRecord.find(shared, on: app.db)
                let unchanged = try XCTUnwrap(unchangedFound)
                XCTAssertEqual(unchanged.state, scenario.state, "\(scenario.name): refusals changed nothing")
                // Everything offered succeeds, each on a fresh copy of the case.
                for who in Who.allCases {
                    for action in offered[who]! {
                        attempts += 1
                        let copy = try await build(scenario)
                        let res = try await move(app, copy, action, reason: action.needsReason ? "依规定" : nil, token: tokensNow[who]!)
                        XCTAssertEqual(res.status, .ok, "\(scenario.name): \(who) was offered \(action) but: \(res.body.string)")
                    }
                }
                // The offers themselves, as the rules say.
                XCTAssertEqual(offered[.hotline], [], "\(scenario.name): the hotline moves no case")
                XCTAssertEqual(offered[.supervisor], [], "\(scenario.name): the supervisor moves no case")
                switch scenario.name {
                case "draft":
                    XCTAssertEqual(offered[.citizen], [.submit, .withdraw])
                    XCTAssertEqual(offered[.clerk], [])
                case "submitted":
                    XCTAssertEqual(offered[.clerk], [.preReview, .accept, .rejectAtAcceptance, .requestCorrection])
                    XCTAssertEqual(offered[.citizen], [.withdraw])
                case "submitted, form missing":
                    XCTAssertEqual(offered[.clerk], [.preReview, .rejectAtAcceptance, .requestCorrection], "no acceptance without the application form")
                case "accepted":
                    XCTAssertEqual(offered[.approver], [.review, .approve, .deny, .terminate])
                case "accepted, 容缺 outstanding", "underReview, 容缺 outstanding":
                    XCTAssertFalse(offered[.approver]!.contains(.approve), scenario.name)
                    XCTAssertFalse(offered[.approver]!.contains(.deny), scenario.name)
                case "approved (licence)":
                    XCTAssertEqual(offered[.approver], [.issueCertificate])
                case "approved (payment)":
                    XCTAssertEqual(offered[.approver], [], "nothing to make")
                    XCTAssertEqual(offered[.clerk], [.deliver])
                case "accepted at the window":
                    XCTAssertTrue(offered[.clerk]!.contains(.withdraw), "the clerk withdraws what they filed at the window")
                default:
                    break
                }
            }
            XCTAssertGreaterThan(attempts, scenarios.count * Who.allCases.count * 10)
        }
    }

    // MARK: 13. Material positions count from 1

    func testMaterialPositionsCountFromOneEverywhere() async throws {
        try await withApp { app, _ in
            let first = try await makeCase(app, .submitted).requireID()
            let citizen = try await applicantToken(app, citizenID)
            var current = try await view(app, first, token: citizen)
            XCTAssertEqual(current.materials.map(\.position), Array(1...current.materials.count))
            XCTAssertEqual(current.materials.map(\.name), ["食品经营许可申请书", "营业执照", "食品安全管理制度"])

            // PUT /materials/3 is the third material.
            var res = try await upload(app, first, "3", samplePDF("third"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let sha = try res.content.decode(CaseView.File.self).sha256
            current = try await view(app, first, token: citizen)
            XCTAssertEqual(current.materials.map(\.files.count), [0, 0, 1])
            XCTAssertEqual(current.materials.first { !$0.files.isEmpty }?.position, 3)
            XCTAssertEqual(current.timeline.last?.reason, "第3项“食品安全管理制度”")
            let trail = try await AuditEventRecord.query(on: app.db).filter(\.$action == "case.material").all()
            XCTAssertTrue(trail.first?.after?.hasPrefix("3:食品安全管理制度:") ?? false, trail.first?.after ?? "")

            // MaterialReference.material is the same position: 3 is the third; 0 is refused.
            res = try await call(
                app, .POST, "/api/v1/cases", token: citizen,
                json: NewCaseRequest(item: foodCode, form: goodForm, materials: [MaterialReference(material: 0, reuse: sha)], submit: true), key: "zero")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "material.index")
            res = try await call(
                app, .POST, "/api/v1/cases", token: citizen,
                json: NewCaseRequest(item: foodCode, form: goodForm, materials: [MaterialReference(material: 4, reuse: sha)], submit: true), key: "four")
            XCTAssertEqual(try problem(res).code, "material.index")
            res = try await call(
                app, .POST, "/api/v1/cases", token: citizen,
                json: NewCaseRequest(item: foodCode, form: goodForm, materials: [MaterialReference(material: 3, reuse: sha)], submit: true), key: "three")
            XCTAssertEqual(res.status, .created, res.body.string)
            let second = try res.content.decode(CaseView.self)
            XCTAssertEqual(second.materials.map(\.files.count), [0, 0, 1], "reused into the third material")
            XCTAssertEqual(second.materials[2].files.first?.reused, true)

            let third = try await makeCase(app, .submitted).requireID()
            for (position, code) in [(0, "material.index"), (4, "material.index")] {
                res = try await call(app, .POST, "/api/v1/cases/\(third)/materials", token: citizen, json: MaterialReference(material: position, reuse: sha))
                XCTAssertEqual(res.status, .badRequest, "position \(position)")
                XCTAssertEqual(try problem(res).code, code)
            }
            res = try await call(app, .POST, "/api/v1/cases/\(third)/materials", token: citizen, json: MaterialReference(material: 2, reuse: sha))
            XCTAssertEqual(try problem(res).code, "material.held_by_platform", "position 2 is the licence the platform fetches")
            res = try await call(app, .POST, "/api/v1/cases/\(third)/materials", token: citizen, json: MaterialReference(material: 1, reuse: sha))
            XCTAssertEqual(res.status, .created, res.body.string)
            current = try await view(app, third, token: citizen)
            XCTAssertEqual(current.materials.map(\.files.count), [1, 0, 0])
            XCTAssertEqual(current.missingMaterials, ["食品安全管理制度"])
            for material in current.materials {
                XCTAssertEqual(material.name, ["食品经营许可申请书", "营业执照", "食品安全管理制度"][material.position - 1])
            }
        }
    }

    // MARK: 14. Uploads and form edits on the timeline

    func testUploadsReusesAndFormEditsAppearOnTheTimelineWithoutChangingTheState() async throws {
        try await withApp { app, _ in
            let draft = try await makeCase(app, .draft, form: ["applicantName": .string("张明")]).requireID()
            let citizen = try await applicantToken(app, citizenID)
            let clerk = try await staffToken(app, "clerk", cityClerk)
            var res = try await call(app, .PUT, "/api/v1/cases/\(draft)/form", token: citizen, json: FormUpdateRequest(form: goodForm))
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await upload(app, draft, "1", samplePDF("timeline"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let sha = try res.content.decode(CaseView.File.self).sha256
            var current = try await view(app, draft, token: citizen)
            XCTAssertEqual(current.state, .draft)
            XCTAssertEqual(current.timeline.map(\.action), ["updateForm", "supplyMaterial"])
            XCTAssertEqual(current.timeline.map(\.state), ["draft", "draft"])
            XCTAssertEqual(current.timeline.map(\.actionName), ["修改申请表", "提交材料"])
            XCTAssertEqual(current.timeline.map(\.actor), ["申请人", "申请人"])

            res = try await move(app, draft, .submit, token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await move(app, draft, .requestCorrection, reason: "请补交管理制度", token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
            res = try await upload(app, draft, "3", samplePDF("more"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            res = try await call(app, .PUT, "/api/v1/cases/\(draft)/form", token: citizen, json: FormUpdateRequest(form: goodForm))
            XCTAssertEqual(res.status, .ok, res.body.string)
            current = try await view(app, draft, token: citizen)
            XCTAssertEqual(current.state, .correctionRequested)
            XCTAssertEqual(current.timeline.map(\.action), ["updateForm", "supplyMaterial", "submit", "requestCorrection", "supplyMaterial", "updateForm"])
            XCTAssertEqual(current.timeline.suffix(3).map(\.state), ["correctionRequested", "correctionRequested", "correctionRequested"])

            // A reuse in another case.
            let other = try await makeCase(app, .submitted).requireID()
            res = try await call(app, .POST, "/api/v1/cases/\(other)/materials", token: citizen, json: MaterialReference(material: 1, reuse: sha))
            XCTAssertEqual(res.status, .created, res.body.string)
            current = try await view(app, other, token: citizen)
            XCTAssertEqual(current.state, .submitted)
            XCTAssertEqual(current.timeline.map(\.action), ["submit", "reuseMaterial"])
            XCTAssertEqual(current.timeline.last?.state, "submitted")
            XCTAssertEqual(current.timeline.last?.actionName, "复用材料")
            // Staff see them too, with who did it.
            let seenByClerk = try await view(app, other, token: clerk).timeline
            let applicantID = try await registeredID(app)
            XCTAssertEqual(seenByClerk.last?.actor, "applicant:" + applicantID)
        }
    }

    func registeredID(_ app: Application) async throws -> String {
        let found = try await ApplicantRecord.query(on: app.db).first()
        return try XCTUnwrap(found?.id).uuidString
    }

    // MARK: Found on the way: names with Chinese numerals

    /// `Names.person` refuses names containing "digits" by `Character.isNumber`, which is true for
    /// 一二三四五六七八九十百千万: 张三, 李四, 王五 or 陈一 cannot register (here, or at the window).
    func testPersonNamesWithChineseNumeralsAreAccepted() async throws {
        try await withApp(seed: false) { app, _ in
            try await fillRegistries(
                app, LocalSharedData.Contents(people: [(citizenID, "张三"), (agentID, "王五"), (unregisteredID, "陈一")].map { PersonEntry(idNumber: $0, name: $1) }))
            for (id, name) in [(citizenID, "张三"), (agentID, "王五"), (unregisteredID, "陈一")] {
                let res = try await call(
                    app, .POST, "/api/v1/register/person", json: RegisterPersonRequest(idNumber: id, name: name, phone: "13800000001", password: strongPassword))
                XCTAssertEqual(res.status, .created, "\(name): \(res.body.string)")
            }
            // Real digits stay refused, ASCII or full-width.
            for name in ["王5", "王５"] {
                let res = try await call(
                    app, .POST, "/api/v1/register/person",
                    json: RegisterPersonRequest(idNumber: "11010519491231002X", name: name, phone: "13800000001", password: strongPassword))
                XCTAssertEqual(res.status, .badRequest, name)
            }
        }
    }

    // MARK: 15. Production mode

    let productionKeys = [
        "YIWANG_ENV": "production",
        "YIWANG_DATA_KEYS": "k1:" + Data(repeating: 5, count: 32).base64EncodedString(),
        "YIWANG_INDEX_KEY": Data(repeating: 6, count: 32).base64EncodedString(),
        "YIWANG_PUBLIC_URL": "https://zwfw.guiyang.example.gov.cn",
    ]

    func configurationProblems(_ environment: [String: String]) -> [String]? {
        do {
            _ = try Settings.fromEnvironment(environment)
            return nil
        } catch let error as ConfigurationError {
            return error.problems
        } catch {
            XCTFail("unexpected \(error)")
            return nil
        }
    }

    func testProductionNeedsKeysFromTheEnvironmentAndNeverSeeds() throws {
        let missing = try XCTUnwrap(configurationProblems(["YIWANG_ENV": "production"]), "production without keys must be refused")
        XCTAssertTrue(missing.contains { $0.contains("YIWANG_DATA_KEYS") }, "\(missing)")
        let halfKeys = configurationProblems(["YIWANG_ENV": "production", "YIWANG_INDEX_KEY": productionKeys["YIWANG_INDEX_KEY"]!])
        XCTAssertTrue(halfKeys?.contains { $0.contains("YIWANG_DATA_KEYS") } ?? false, "\(String(describing: halfKeys))")

        var environment = productionKeys
        environment["YIWANG_SECURE_COOKIES"] = "false"
        let settings = try Settings.fromEnvironment(environment)
        XCTAssertTrue(settings.production)
        XCTAssertTrue(settings.secureCookies, "production sends cookies over HTTPS only")
        XCTAssertFalse(settings.autoSeedDemo, "production never loads the demo city")
        XCTAssertNotNil(settings.dataKeys)

        environment = productionKeys
        environment["YIWANG_AUTO_SEED"] = "true"
        let seeding = try XCTUnwrap(configurationProblems(environment), "seeding in production must be refused")
        XCTAssertTrue(seeding.contains { $0.contains("YIWANG_AUTO_SEED") }, "\(seeding)")

        let development = try Settings.fromEnvironment([:])
        XCTAssertFalse(development.production)
        XCTAssertTrue(development.autoSeedDemo)
        XCTAssertFalse(development.secureCookies)
        XCTAssertNotNil(configurationProblems(["YIWANG_ENV": "staging"]), "an unknown environment is refused")
    }

    func testProductionRefusesToServeWhileDemoAccountsExist() async throws {
        try await withApp(seed: false, settings: { $0.production = true; $0.autoSeedDemo = false }) { app, _ in
            // A clean database serves.
            try await prepareForCommand(app, arguments: ["yiwang", "serve"])
            let hash = try app.password.hash(testPassword)
            let demo = try StaffAccountRecord(account: "catalog.admin", displayName: "事项管理员", passwordHash: hash, grants: catalogAdmin, createdAt: app.timeSource.now())
            try await demo.create(on: app.db)
            do {
                try await prepareForCommand(app, arguments: ["yiwang", "serve"])
                XCTFail("production started with a demo account")
            } catch let error as ConfigurationError {
                XCTAssertTrue(error.problems.joined().contains("catalog.admin"), "\(error.problems)")
            }
            // Other commands are not stopped (an operator disables the accounts with them).
            try await prepareForCommand(app, arguments: ["yiwang", "user", "list"])
            demo.disabled = true
            try await demo.save(on: app.db)
            try await prepareForCommand(app, arguments: ["yiwang", "serve"])
        }
    }

    func testProductionRefusesTheDemoApplicantsToo() async throws {
        try await withApp(seed: false, settings: { $0.production = true; $0.autoSeedDemo = false }) { app, _ in
            try await registerPerson(app)  // 张明's number is one of the published demo accounts
            do {
                try await prepareForCommand(app, arguments: ["yiwang", "serve"])
                XCTFail("production started with a demo applicant")
            } catch let error as ConfigurationError {
                XCTAssertTrue(error.problems.joined().contains("演示申请人"), "\(error.problems)")
            }
        }
    }

    func testTheDemoCityIsNeverLoadedInProduction() async throws {
        try await withApp(seed: false, settings: { $0.production = true; $0.autoSeedDemo = true }) { app, _ in
            try await prepareForCommand(app, arguments: ["yiwang", "serve"])
            let items = try await ItemRecord.query(on: app.db).count()
            XCTAssertEqual(items, 0, "the demo city is never loaded in production")
            let staff = try await StaffAccountRecord.query(on: app.db).count()
            XCTAssertEqual(staff, 0)
        }
    }
}
