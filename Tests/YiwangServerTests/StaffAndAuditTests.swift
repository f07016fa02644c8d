import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class StaffAdministrationTests: XCTestCase {
    func testDepartmentAdministratorsManageOnlyTheirDepartmentAndNeverEscalate() async throws {
        try await withApp { app, _ in
            let system = try await staffToken(app, "root", [Grant(role: .systemAdministrator, scope: .everywhere)])
            let market = try await staffToken(app, "market", cityMarketAdmin)
            let cityClerk = Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))
            let districtClerk = Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))
            func create(_ token: String, _ account: String, _ grants: [Grant], password: String = "Clerk-Pass-2026") async throws -> XCTHTTPResponse {
                var response: XCTHTTPResponse?
                try await app.test(.POST, "/api/v1/staff", headers: .bearer(token), beforeRequest: { req in
                    try req.content.encode(NewStaffRequest(account: account, displayName: "窗口人员", password: password, grants: grants))
                }, afterResponse: { res async in response = res })
                return response!
            }
            var res = try await create(market, "city.clerk", [cityClerk])
            XCTAssertEqual(res.status, .created, res.body.string)
            res = try await create(market, "district.clerk", [districtClerk])
            XCTAssertEqual(res.status, .forbidden, "another department")
            res = try await create(market, "boss", [Grant(role: .systemAdministrator, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))])
            XCTAssertEqual(res.status, .forbidden, "no escalation")
            res = try await create(market, "weak", [cityClerk], password: "password")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).errors?.first?.field, "password")
            res = try await create(system, "district.clerk", [districtClerk])
            XCTAssertEqual(res.status, .created)
            res = try await create(system, "district.clerk", [districtClerk])
            XCTAssertEqual(res.status, .conflict)

            try await app.test(.GET, "/api/v1/staff", headers: .bearer(market)) { res async throws in
                let accounts = try res.content.decode([StaffView].self).map(\.account)
                XCTAssertEqual(accounts, ["city.clerk"], "only accounts whose every grant the administrator may give")
            }
            try await app.test(.GET, "/api/v1/staff/root", headers: .bearer(market)) { res async in
                XCTAssertEqual(res.status, .notFound, "out-of-scope accounts look like missing ones")
            }
            try await app.test(.POST, "/api/v1/staff/district.clerk/disable", headers: .bearer(market)) { res async in
                XCTAssertEqual(res.status, .notFound)
            }

            // Disabling ends the account's tokens at once; a reset hands out a new password once.
            let clerk = try await applicantToken(app, "city.clerk", password: "Clerk-Pass-2026")
            try await app.test(.POST, "/api/v1/staff/city.clerk/disable", headers: .bearer(market)) { res async throws in
                XCTAssertEqual(res.status, .ok)
                XCTAssertTrue(try res.content.decode(StaffView.self).disabled)
            }
            try await app.test(.GET, "/api/v1/me", headers: .bearer(clerk)) { res async in XCTAssertEqual(res.status, .unauthorized) }
            try await app.test(.POST, "/api/v1/staff/city.clerk/enable", headers: .bearer(market)) { res async in XCTAssertEqual(res.status, .ok) }
            var generated = ""
            try await app.test(.POST, "/api/v1/staff/city.clerk/password-reset", headers: .bearer(market)) { res async throws in
                XCTAssertEqual(res.status, .ok)
                XCTAssertEqual(res.headers.first(name: .cacheControl), "no-store")
                generated = try XCTUnwrap(try res.content.decode(PasswordResetResponse.self).password)
            }
            XCTAssertTrue(PasswordRules.problems(in: generated).isEmpty)
            _ = try await applicantToken(app, "city.clerk", password: generated)

            // Grants and revocations, each in the trail with before and after.
            let approver = Grant(role: .approver, scope: Scope(departmentCreditCode: Fixtures.cityDepartment))
            try await app.test(.POST, "/api/v1/staff/city.clerk/grants", headers: .bearer(market), beforeRequest: { req in
                try req.content.encode(approver, as: .json)
            }, afterResponse: { res async throws in
                XCTAssertEqual(try res.content.decode(StaffView.self).grants, [cityClerk, approver])
            })
            try await app.test(.POST, "/api/v1/staff/city.clerk/revocations", headers: .bearer(market), beforeRequest: { req in
                try req.content.encode(cityClerk, as: .json)
            }, afterResponse: { res async throws in
                XCTAssertEqual(try res.content.decode(StaffView.self).grants, [approver])
            })
            let actions = try await AuditEventRecord.query(on: app.db).filter(\.$subjectID == "city.clerk").sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions, ["staff.create", "staff.disable", "staff.enable", "staff.resetPassword", "staff.grant", "staff.revoke"])
            let verification = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(verification.intact, verification.message)
        }
    }

    /// Every staff role, scoped to one department or unrestricted, against every guarded API
    /// resource inside and outside that department: the HTTP answer must be what the policy says.
    func testTheHTTPLayerEnforcesThePolicyForEveryRoleAndScope() async throws {
        try await withApp { app, _ in
            let person = try await registerPerson(app)
            let cityClerk = cityClerk
            let districtClerk = [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))]
            let hash = try app.password.hash(testPassword)
            for (name, grants) in [("target.city", cityClerk), ("target.district", districtClerk)] {
                try await StaffAccountRecord(account: name, displayName: name, passwordHash: hash, grants: grants, createdAt: app.timeSource.now()).create(on: app.db)
            }
            let cityItem = ResourceOwner(departmentCreditCode: Fixtures.cityDepartment, regionCode: Fixtures.city)
            let districtItem = ResourceOwner(departmentCreditCode: Fixtures.districtDepartment, regionCode: Fixtures.district)
            struct Probe {
                var action: PolicyAction
                var method: HTTPMethod
                var path: String
                var expected: (Actor) -> Bool
                /// What an allowed caller gets (an empty import is refused only after authorization).
                var allowedStatus: HTTPStatus = .ok
                var body: [String: String]? = nil
                var year: HolidayYear? = nil
            }
            let probes = [
                Probe(action: .readDraftCatalog, method: .GET, path: "/api/v1/items/\(foodCode)/draft") { Policy.allows($0, .readDraftCatalog, on: cityItem) },
                Probe(action: .readDraftCatalog, method: .GET, path: "/api/v1/items/\(districtDraftCode)/draft") { Policy.allows($0, .readDraftCatalog, on: districtItem) },
                Probe(action: .manageStaff, method: .GET, path: "/api/v1/staff/target.city") { Policy.mayManage($0, accountGrants: cityClerk) },
                Probe(action: .manageStaff, method: .GET, path: "/api/v1/staff/target.district") { Policy.mayManage($0, accountGrants: districtClerk) },
                Probe(action: .viewAudit, method: .GET, path: "/api/v1/audit/verify") { Policy.allows($0, .viewAudit) },
                Probe(action: .viewAudit, method: .GET, path: "/api/v1/audit") { Policy.mayAttempt($0, .viewAudit) },
                Probe(
                    action: .lookUpApplicants, method: .POST, path: "/api/v1/applicants/lookup",
                    expected: { Policy.allows($0, .lookUpApplicants, on: .applicant(person.id.uuidString)) }, body: ["identifier": citizenID]),
                Probe(
                    action: .manageCalendar, method: .PUT, path: "/api/v1/calendar/years/2026", expected: { Policy.allows($0, .manageCalendar) },
                    year: ChinaHolidays.year2026),
                Probe(action: .revealPersonalData, method: .POST, path: "/api/v1/applicants/\(person.id)/reveal") { Policy.allows($0, .revealPersonalData, on: .applicant(person.id.uuidString)) },
                Probe(action: .readDraftCatalog, method: .GET, path: "/api/v1/export?includeDrafts=true") { Policy.mayAttempt($0, .readDraftCatalog) },
                Probe(action: .importCatalog, method: .POST, path: "/api/v1/import", expected: { Policy.allows($0, .importCatalog) }, allowedStatus: .badRequest),
            ]
            var checked = 0
            for role in StaffRole.allCases {
                for (label, scope) in [("dept", Scope(departmentCreditCode: Fixtures.cityDepartment)), ("all", Scope.everywhere)] {
                    let grants = [Grant(role: role, scope: scope)]
                    let token = try await staffToken(app, "\(role.rawValue.lowercased()).\(label)", grants)
                    let actor = Actor.staff(account: "probe", grants: grants)
                    for probe in probes {
                        let allowed = probe.expected(actor)
                        try await app.test(probe.method, probe.path, headers: .bearer(token), beforeRequest: { req in
                            if let body = probe.body { try req.content.encode(body) }
                            if let year = probe.year { try req.content.encode(year) }
                        }, afterResponse: { res async in
                            if allowed {
                                XCTAssertEqual(res.status, probe.allowedStatus, "\(role) \(label) \(probe.method) \(probe.path)")
                            } else {
                                XCTAssertTrue([.forbidden, .notFound].contains(res.status), "\(role) \(label) \(probe.method) \(probe.path): \(res.status)")
                                XCTAssertEqual(res.headers.contentType?.subType, "problem+json")
                            }
                        })
                        checked += 1
                    }
                }
            }
            XCTAssertEqual(checked, StaffRole.allCases.count * 2 * probes.count)
            // Applicants and anonymous callers reach none of it.
            let citizen = try await applicantToken(app, citizenID)
            for probe in probes {
                try await app.test(probe.method, probe.path, headers: .bearer(citizen)) { res async in
                    XCTAssertTrue([.forbidden, .notFound].contains(res.status), "applicant \(probe.path)")
                }
                try await app.test(probe.method, probe.path, afterResponse: { res async in
                    XCTAssertTrue([.unauthorized, .notFound].contains(res.status), "anonymous \(probe.path): \(res.status)")
                })
            }
        }
    }
}

final class AuditTrailTests: XCTestCase {
    /// Produces a short trail: registrations, sign-ins, a refused sign-in.
    func makeTrail(_ app: Application) async throws {
        try await registerPerson(app)
        try await registerPerson(app, id: agentID, name: "李华", phone: "13800000002")
        _ = try await applicantToken(app, citizenID)
        _ = try await applicantToken(app, agentID)
        try await app.test(.POST, "/api/v1/auth/token", beforeRequest: { req in
            try req.content.encode(TokenRequest(account: citizenID, password: "Wrong-Pass-2026"))
        }, afterResponse: { res async in XCTAssertEqual(res.status, .unauthorized) })
    }

    func verification(_ app: Application) async throws -> AuditTrail.Verification {
        try await AuditTrail.verify(on: app.db)
    }

    func testEveryActionIsRecordedWithWhoWhereAndHow() async throws {
        try await withApp(seed: false) { app, _ in
            try await makeTrail(app)
            let events = try await AuditEventRecord.query(on: app.db).sort(\.$id).all()
            XCTAssertEqual(
                events.map(\.action),
                ["applicant.register", "applicant.register", "auth.signIn", "auth.tokenIssued", "auth.signIn", "auth.tokenIssued", "auth.signInRefused"])
            XCTAssertEqual(events.map(\.id), [1, 2, 3, 4, 5, 6, 7])
            XCTAssertTrue(events.allSatisfy { $0.channel == "api" })
            XCTAssertTrue(events[2].actor.hasPrefix("applicant:"))
            XCTAssertEqual(events[6].actor, "anonymous", "a refused attempt is not the account holder's act")
            XCTAssertEqual(events[1].previousHash, events[0].hash)
            let supervisor = try await staffToken(app, "supervisor", [Grant(role: .supervisor, scope: .everywhere)])
            try await app.test(.GET, "/api/v1/audit?action=auth.&per=2", headers: .bearer(supervisor)) { res async throws in
                XCTAssertEqual(res.status, .ok)
                let page = try res.content.decode(AuditPage.self)
                XCTAssertEqual(page.total, 7, "the trail's sign-ins and tokens, and the supervisor's own")
                XCTAssertEqual(page.events.count, 2)
                XCTAssertEqual(page.events.first?.actor, "supervisor", "newest first")
            }
            try await app.test(.GET, "/api/v1/audit?from=2026-11-22&to=2026-11-22&subject=nothing", headers: .bearer(supervisor)) { res async throws in
                XCTAssertEqual(try res.content.decode(AuditPage.self).total, 0)
            }
            try await app.test(.GET, "/api/v1/audit?from=2026-13-01", headers: .bearer(supervisor)) { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(try problem(res).code, "audit.date")
            }
            try await app.test(.GET, "/api/v1/audit/verify", headers: .bearer(supervisor)) { res async throws in
                let result = try res.content.decode(AuditTrail.Verification.self)
                XCTAssertTrue(result.intact)
                XCTAssertEqual(result.checked, 9)
            }
        }
    }

    func testConcurrentAppendsKeepOneUnbrokenChain() async throws {
        try await withApp(seed: false) { app, clock in
            let db = app.db
            let now = clock.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        let entry = AuditContext.system("worker-\(index % 4)").entry("bench.write", subjectType: "test", subjectID: String(index), at: now)
                        try await db.transaction { tx in try await AuditTrail.append(entry, on: tx) }
                    }
                }
                try await group.waitForAll()
            }
            let result = try await AuditTrail.verify(on: app.db)
            XCTAssertTrue(result.intact, result.message)
            XCTAssertEqual(result.checked, 60)
            XCTAssertEqual(result.headSequence, 60)
        }
    }

    func testAnEditedRowIsFoundAndNamed() async throws {
        try await withApp(seed: false) { app, _ in
            try await makeTrail(app)
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE audit_events SET after = 'succeeded' WHERE sequence = 7").run()
            let result = try await verification(app)
            XCTAssertFalse(result.intact)
            XCTAssertEqual(result.firstBreak?.kind, .edited)
            XCTAssertEqual(result.firstBreak?.sequence, 7)
            // Re-hashing the edited row does not help: the next link no longer follows it.
            try await sql.raw("UPDATE audit_events SET actor = 'someone-else' WHERE sequence = 2").run()
            let row = try await AuditEventRecord.find(2, on: app.db)!
            let rehashed = try AuditTrail.chain().hash(row.link.entry, sequence: 2, previousHash: row.previousHash)
            try await sql.raw("UPDATE audit_events SET hash = \(bind: rehashed) WHERE sequence = 2").run()
            let again = try await verification(app)
            XCTAssertEqual(again.firstBreak?.kind, .unlinked)
            XCTAssertEqual(again.firstBreak?.sequence, 3)
        }
    }

    func testADeletedRowIsFound() async throws {
        try await withApp(seed: false) { app, _ in
            try await makeTrail(app)
            let sql = app.db as! any SQLDatabase
            try await sql.raw("DELETE FROM audit_events WHERE sequence = 3").run()
            let result = try await verification(app)
            XCTAssertEqual(result.firstBreak?.kind, .missing)
            XCTAssertEqual(result.firstBreak?.sequence, 3)
        }
        try await withApp(seed: false) { app, _ in
            try await makeTrail(app)
            let sql = app.db as! any SQLDatabase
            try await sql.raw("DELETE FROM audit_events WHERE sequence = 7").run()
            let result = try await verification(app)
            XCTAssertEqual(result.firstBreak?.kind, .truncated, "the head still names the deleted last row")
            XCTAssertEqual(result.firstBreak?.sequence, 7)
        }
    }

    func testAnInsertedRowIsFound() async throws {
        try await withApp(seed: false) { app, clock in
            try await makeTrail(app)
            // A forger who knows the algorithm but not the key appends a link after the head ...
            let last = try await AuditEventRecord.find(7, on: app.db)!
            let forged = AuditChain(key: Array(repeating: 3, count: 32)).link(
                AuditContext.system("forger").entry("auth.signIn", subjectType: "account", subjectID: "staff:x", at: clock.now()),
                after: (7, last.hash))
            try await AuditEventRecord(forged).create(on: app.db)
            var result = try await verification(app)
            XCTAssertEqual(result.firstBreak?.kind, .edited)
            XCTAssertEqual(result.firstBreak?.sequence, 8)
            try await AuditEventRecord.query(on: app.db).filter(\.$id == 8).delete()
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE audit_head SET sequence = 7, hash = \(bind: last.hash) WHERE id = 1").run()
            result = try await verification(app)
            XCTAssertTrue(result.intact, result.message)
            // ... or squeezes one in by renumbering the rows after it.
            try await sql.raw("UPDATE audit_events SET sequence = sequence + 10 WHERE sequence >= 4").run()
            try await sql.raw("UPDATE audit_events SET sequence = sequence - 9 WHERE sequence >= 14").run()
            let middle = try AuditTrail.chain().link(
                AuditContext.system("forger").entry("staff.grant", subjectType: "staff", subjectID: "forger", at: clock.now()),
                after: (3, try await AuditEventRecord.find(3, on: app.db)!.hash))
            try await AuditEventRecord(middle).create(on: app.db)
            result = try await verification(app)
            XCTAssertFalse(result.intact)
            XCTAssertEqual(result.firstBreak?.sequence, 5, "the first original row after the forgery no longer hashes")
        }
    }

    func testTheSupervisorPageShowsTheFirstBrokenLink() async throws {
        try await withApp(seed: false) { app, _ in
            try await makeTrail(app)
            try await staffToken(app, "supervisor", [Grant(role: .supervisor, scope: .everywhere)])
            var browser = try await BrowserSession.signIn(app, at: "/admin/login", account: "supervisor", password: testPassword, landing: "/admin/audit")
            var page = try await browser.get(app, "/admin/audit")
            XCTAssertEqual(page.status, .ok)
            XCTAssertFalse(page.body.string.contains("留痕链完整"), "the whole-trail check runs only when asked")
            page = try await browser.get(app, "/admin/audit?verify=1")
            XCTAssertTrue(page.body.string.contains("留痕链完整"))
            let sql = app.db as! any SQLDatabase
            try await sql.raw("UPDATE audit_events SET address = '10.0.0.1' WHERE sequence = 4").run()
            page = try await browser.get(app, "/admin/audit?verify=1&action=auth.")
            XCTAssertTrue(page.body.string.contains("留痕链已被破坏"))
            XCTAssertTrue(page.body.string.contains("<strong id=\"first-break\">4</strong>"))
            XCTAssertTrue(page.body.string.contains("auth.signIn"))
        }
    }
}
