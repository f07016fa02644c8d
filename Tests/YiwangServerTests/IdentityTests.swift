import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

final class RegistrationTests: XCTestCase {
    func testCitizensAndCompaniesRegisterSignInAndActThroughAgents() async throws {
        try await withApp(seed: false) { app, _ in
            let person = try await registerPerson(app, id: "52010219900307123" + "6")
            XCTAssertEqual(person.kind, .person)
            XCTAssertEqual(person.identifier, "5201**********1236", "masked by default")
            XCTAssertEqual(person.phone, "138****0001")

            var company: ApplicantView?
            try await app.test(.POST, "/api/v1/register/company", beforeRequest: { req in
                try req.content.encode(RegisterCompanyRequest(
                    creditCode: companyCode.lowercased(), name: "贵阳云数科技有限公司",
                    legalRepresentative: .init(idNumber: citizenID, name: "张明", phone: nil), password: "Company-Pass-2026"))
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .created, res.body.string)
                company = try res.content.decode(ApplicantView.self)
            })
            XCTAssertEqual(company?.identifier, companyCode, "a legal entity's code is public, normalised to upper case")
            XCTAssertEqual(company?.legalRepresentative, "张*")

            // The person signs in with the ID number typed in lower case x or spaces; sees themselves and the company they represent.
            let token = try await applicantToken(app, " \(citizenID) ")
            try await app.test(.GET, "/api/v1/me", headers: .bearer(token)) { res async throws in
                let me = try res.content.decode(MeResponse.self)
                XCTAssertEqual(me.kind, "person")
                XCTAssertEqual(me.displayName, "张明")
                XCTAssertNil(me.grants)
            }
            var companies: [RepresentedCompany] = []
            try await app.test(.GET, "/api/v1/me/companies", headers: .bearer(token)) { res async throws in
                companies = try res.content.decode([RepresentedCompany].self)
            }
            XCTAssertEqual(companies.map(\.name), ["贵阳云数科技有限公司"])
            XCTAssertEqual(companies.first?.legalRepresentative, true)

            // The company authorises an agent who may follow cases but not pay.
            let companyToken = try await applicantToken(app, companyCode, password: "Company-Pass-2026")
            try await app.test(.POST, "/api/v1/me/agents", headers: .bearer(companyToken), beforeRequest: { req in
                try req.content.encode(AgentRequest(idNumber: agentID, name: "李华", powers: [.viewCases]))
            }, afterResponse: { res async in
                XCTAssertEqual(res.status, .created, res.body.string)
            })
            try await registerPerson(app, id: agentID, name: "李华", phone: "13800000002")
            let agentAlone = try await applicantToken(app, agentID)
            try await app.test(.GET, "/api/v1/me/agents", headers: .bearer(agentAlone)) { res async throws in
                XCTAssertEqual(res.status, .forbidden, "a person manages no agents")
                XCTAssertEqual(try problem(res).code, "access.forbidden")
            }
            let companyID = try XCTUnwrap(company?.id)
            let agentToken = try await applicantToken(app, agentID, actingFor: companyID)
            try await app.test(.GET, "/api/v1/me", headers: .bearer(agentToken)) { res async throws in
                let me = try res.content.decode(MeResponse.self)
                XCTAssertEqual(me.actingFor?.id, companyID)
                XCTAssertEqual(me.actingFor?.powers, [.viewCases])
            }
            try await app.test(.GET, "/api/v1/me/agents", headers: .bearer(agentToken)) { res async in
                XCTAssertEqual(res.status, .forbidden, "an agent may not hand out the company's powers")
            }
            // A person the company never authorised cannot get a token acting for it.
            try await app.test(.POST, "/api/v1/auth/token", beforeRequest: { req in
                try req.content.encode(TokenRequest(account: agentID, password: strongPassword, actingFor: UUID()))
            }, afterResponse: { res async in
                XCTAssertEqual(res.status, .forbidden)
            })
            // The legal representative, acting for the company, may manage agents and revoke the grant.
            let representative = try await applicantToken(app, citizenID, actingFor: companyID)
            var agents: [AgentView] = []
            try await app.test(.GET, "/api/v1/me/agents", headers: .bearer(representative)) { res async throws in
                XCTAssertEqual(res.status, .ok)
                agents = try res.content.decode([AgentView].self)
            }
            XCTAssertEqual(agents.map(\.idNumber), ["5201**********0046"])
            try await app.test(.DELETE, "/api/v1/me/agents/\(agents[0].id)", headers: .bearer(representative)) { res async in
                XCTAssertEqual(res.status, .noContent)
            }
            // The token issued to act for the company dies with the authority.
            try await app.test(.GET, "/api/v1/me", headers: .bearer(agentToken)) { res async throws in
                XCTAssertEqual(res.status, .unauthorized)
                XCTAssertEqual(try problem(res).code, "access.token_invalid")
            }
            // An agent holding every power is still not the representative.
            try await app.test(.POST, "/api/v1/me/agents", headers: .bearer(representative), beforeRequest: { req in
                try req.content.encode(AgentRequest(idNumber: agentID, name: "李华", powers: AgentPower.allCases))
            }, afterResponse: { res async in XCTAssertEqual(res.status, .created) })
            let everyPower = try await applicantToken(app, agentID, actingFor: companyID)
            try await app.test(.GET, "/api/v1/me/agents", headers: .bearer(everyPower)) { res async in
                XCTAssertEqual(res.status, .forbidden)
            }
        }
    }

    func testRegistrationReportsEveryProblemAtOnceAndWritesNothing() async throws {
        try await withApp(seed: false) { app, _ in
            try await app.test(.POST, "/api/v1/register/person", beforeRequest: { req in
                try req.content.encode(RegisterPersonRequest(idNumber: "520102199003071235", name: "1", phone: "12345", password: "short"))
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                let body = try problem(res)
                XCTAssertEqual(body.code, "register.invalid")
                XCTAssertEqual(Set(body.errors?.map(\.field) ?? []), ["idNumber", "name", "phone", "password"])
                XCTAssertTrue(body.errors?.contains { $0.message.contains("校验位") } ?? false)
            })
            try await app.test(.POST, "/api/v1/register/person", beforeRequest: { req in
                // An impossible date with a correct check digit.
                let first17 = Array("52010219900230123")
                let check = ResidentIDNumber.checkCharacter(forFirst17: first17)!
                try req.content.encode(RegisterPersonRequest(idNumber: String(first17) + String(check), name: "张明", phone: "13800000001", password: strongPassword))
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertTrue(try problem(res).errors?.first?.message.contains("出生日期") ?? false)
            })
            try await app.test(.POST, "/api/v1/register/person", beforeRequest: { req in
                try req.content.encode(["idNumber": citizenID])
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .badRequest)
                XCTAssertEqual(try problem(res).code, "request.malformed")
            })
            let none = try await ApplicantRecord.query(on: app.db).count()
            XCTAssertEqual(none, 0)
            let events = try await AuditEventRecord.query(on: app.db).count()
            XCTAssertEqual(events, 0, "refused registrations leave no trace but the log")
            try await registerPerson(app)
            try await app.test(.POST, "/api/v1/register/person", beforeRequest: { req in
                try req.content.encode(RegisterPersonRequest(idNumber: citizenID.lowercased(), name: "张明", phone: "13800000001", password: strongPassword))
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .conflict)
                XCTAssertEqual(try problem(res).code, "register.exists")
            })
            let one = try await ApplicantRecord.query(on: app.db).count()
            XCTAssertEqual(one, 1)
        }
    }

    func testPersonalDataIsSealedAtRestAndRevealedOnlyWithPermissionAndAudited() async throws {
        try await withApp(seed: false) { app, _ in
            let person = try await registerPerson(app)
            let sql = app.db as! any SQLDatabase
            let rows = try await sql.raw("SELECT * FROM applicants").all()
            XCTAssertEqual(rows.count, 1)
            for column in try rows[0].allColumns {
                if let text = try? rows[0].decode(column: column, as: String.self) {
                    XCTAssertFalse(text.contains(citizenID), "column \(column) holds the ID number in clear")
                    XCTAssertFalse(text.contains("13800000001"), "column \(column) holds the phone number in clear")
                }
            }
            let auditText = try await AuditEventRecord.query(on: app.db).all().map { "\($0.before ?? "") \($0.after ?? "") \($0.subjectID)" }.joined()
            XCTAssertFalse(auditText.contains(citizenID), "the trail never holds a full ID number")

            // A department's clerk reveals only applicants with a case there (HardeningTests);
            // a city-wide grant reveals anyone.
            let clerk = try await staffToken(app, "clerk", [Grant(role: .windowClerk, scope: .everywhere)])
            let hotline = try await staffToken(app, "hotline", [Grant(role: .hotlineOperator, scope: .everywhere)])
            try await app.test(.POST, "/api/v1/applicants/lookup", headers: .bearer(hotline), beforeRequest: { req in
                try req.content.encode(["identifier": citizenID])
            }, afterResponse: { res async throws in
                XCTAssertEqual(res.status, .ok)
                XCTAssertEqual(try res.content.decode(ApplicantView.self).identifier, "5201**********1236")
            })
            try await app.test(.POST, "/api/v1/applicants/\(person.id)/reveal", headers: .bearer(hotline)) { res async in
                XCTAssertEqual(res.status, .forbidden, "looking up is not revealing")
            }
            try await app.test(.POST, "/api/v1/applicants/\(person.id)/reveal", headers: .bearer(clerk)) { res async throws in
                XCTAssertEqual(res.status, .ok)
                let full = try res.content.decode(ApplicantView.self)
                XCTAssertEqual(full.identifier, citizenID)
                XCTAssertEqual(full.phone, "13800000001")
            }
            let reveals = try await AuditEventRecord.query(on: app.db).filter(\.$action == "personalData.reveal").all()
            XCTAssertEqual(reveals.map(\.actor), ["clerk"])
            XCTAssertEqual(reveals.first?.subjectID, person.id.uuidString)
        }
    }
}

final class SessionAndLockoutTests: XCTestCase {
    func testRepeatedFailuresLockTheSourceKnownAndUnknownAlikeButNotTheHolder() async throws {
        // Every request comes through a trusted proxy, which names the caller's address.
        try await withApp(seed: false, settings: { $0.trustedProxies = ["unknown"] }) { app, clock in
            try await registerPerson(app)
            func attempt(_ account: String, _ password: String, from address: String = "10.0.0.66") async throws -> XCTHTTPResponse {
                try await call(app, .POST, "/api/v1/auth/token", json: TokenRequest(account: account, password: password), from: address)
            }
            let unknown = "11010519491231002X"
            for round in 1...4 {
                for account in [citizenID, unknown] {
                    let res = try await attempt(account, "Wrong-Pass-\(round)")
                    XCTAssertEqual(res.status, .unauthorized)
                    XCTAssertEqual(try problem(res).detail, "账号或密码不正确。", "the same words whether the account exists or not")
                }
            }
            for account in [citizenID, unknown] {
                let fifth = try await attempt(account, "Wrong-Pass-5")
                XCTAssertEqual(fifth.status, .tooManyRequests)
                XCTAssertEqual(try problem(fifth).code, "auth.locked")
                XCTAssertEqual(fifth.headers.first(name: .retryAfter), "60")
            }
            let whileLocked = try await attempt(citizenID, strongPassword)
            XCTAssertEqual(whileLocked.status, .tooManyRequests, "the guessing source stays locked, even with the right password")
            // The holder, from their own address, is not locked out by someone else's guesses.
            let holder = try await attempt(citizenID, strongPassword, from: "10.0.0.7")
            XCTAssertEqual(holder.status, .created, "a lock never reaches another source")
            clock.advance(by: 61)
            let sixth = try await attempt(unknown, "Wrong-Pass-6")
            XCTAssertEqual(sixth.headers.first(name: .retryAfter), "120", "each further failure from the source doubles its lock")
            // A quiet hour forgets the count: one wrong try later is one failure, not a longer lock.
            clock.advance(by: 3 * 3600)
            let later = try await attempt(unknown, "Wrong-Pass-7")
            XCTAssertEqual(later.status, .unauthorized, "after a quiet hour the count starts again")
            let history = try await SignInEventRecord.query(on: app.db).all().map(\.outcome)
            XCTAssertEqual(history.filter { $0 == "wrongPassword" }.count, 5)
            XCTAssertEqual(history.filter { $0 == "locked" }.count, 1)
            XCTAssertEqual(history.filter { $0 == "succeeded" }.count, 1)
            // The success cleared the account's counts; no address is stored in the throttle.
            let sql = app.db as! any SQLDatabase
            struct Key: Decodable { var key: String }
            let keys = try await sql.raw("SELECT key FROM sign_in_throttle").all(decoding: Key.self).map(\.key)
            XCTAssertFalse(keys.contains { $0.contains("10.0.0") }, "\(keys)")
            // The refused attempts are attributed to nobody, the success to the account.
            let refused = try await AuditEventRecord.query(on: app.db).filter(\.$action == "auth.signInRefused").all()
            XCTAssertTrue(refused.allSatisfy { $0.actor == "anonymous" })
        }
    }

    func testParallelGuessesGetNoMoreThanTheFreeFailures() async throws {
        try await withApp(seed: false) { app, _ in
            try await registerPerson(app)
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        var status = HTTPStatus.ok
                        try await app.test(.POST, "/api/v1/auth/token", beforeRequest: { req in
                            try req.content.encode(TokenRequest(account: citizenID, password: "Wrong-Guess-\(index)"))
                        }, afterResponse: { res async in status = res.status })
                        return status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            let history = try await SignInEventRecord.query(on: app.db).all().map(\.outcome)
            XCTAssertEqual(history.filter { $0 == "wrongPassword" }.count, 5, "exactly five passwords were checked: \(statuses)")
            XCTAssertEqual(statuses.filter { $0 == .tooManyRequests }.count, 20)
        }
    }

    func testRateLimitsAnswer429WithRetryAfter() async throws {
        try await withApp(seed: false, settings: { settings in
            settings.registrationsPerHour = 2
            settings.signInsPerMinute = 3
            settings.apiCallsPerMinute = 5
        }) { app, clock in
            for index in 0..<3 {
                try await app.test(.POST, "/api/v1/register/person", beforeRequest: { req in
                    try req.content.encode(RegisterPersonRequest(idNumber: "bad-\(index)", name: "张明", phone: "13800000001", password: strongPassword))
                }, afterResponse: { res async throws in
                    if index < 2 {
                        XCTAssertEqual(res.status, .badRequest)
                    } else {
                        XCTAssertEqual(res.status, .tooManyRequests)
                        XCTAssertEqual(try problem(res).code, "request.rate_limited")
                        XCTAssertEqual(res.headers.first(name: .retryAfter), "3600", "the window opened by the first attempt")
                    }
                })
            }
            clock.advance(by: 3600)
            // The API as a whole: five calls a minute here, then 429 until a token comes back.
            var statuses: [HTTPStatus] = []
            for _ in 0..<6 {
                try await app.test(.GET, "/api/v1/item-types") { res async in statuses.append(res.status) }
            }
            XCTAssertEqual(statuses.filter { $0 == .tooManyRequests }.count, 1)
            clock.advance(by: 12)
            try await app.test(.GET, "/api/v1/item-types") { res async in XCTAssertEqual(res.status, .ok) }
        }
    }

    func testSessionsRotateExpireWhenIdleAndEndEverywhere() async throws {
        try await withApp(seed: false) { app, clock in
            try await registerPerson(app)
            var anonymous = BrowserSession()
            try await anonymous.get(app, "/signin")
            let before = anonymous.cookies["yiwang_session"]?.string
            // No CSRF token: refused.
            try await app.test(.POST, "/signin", headers: anonymous.headers, beforeRequest: { req in
                try req.content.encode(["account": citizenID, "password": strongPassword], as: .urlEncodedForm)
            }, afterResponse: { res async in
                XCTAssertEqual(res.status, .forbidden)
            })
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            XCTAssertEqual(browser.status, .seeOther)
            XCTAssertNotEqual(browser.cookies["yiwang_session"]?.string, before, "a new session id at sign-in")
            XCTAssertEqual(browser.cookies["yiwang_session"]?.isHTTPOnly, true)
            XCTAssertEqual(browser.cookies["yiwang_session"]?.sameSite, .lax)
            var page = try await browser.get(app, "/me")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.string.contains("5201**********1236"))
            XCTAssertFalse(page.body.string.contains(citizenID), "pages show masked numbers")
            XCTAssertTrue(page.body.string.contains("登录成功"), "the sign-in history lists this sign-in")

            // Idle for longer than allowed: the session ends.
            clock.advance(by: 31 * 60)
            page = try await browser.get(app, "/me")
            XCTAssertEqual(page.status, .seeOther)
            XCTAssertTrue(page.headers.first(name: .location)?.hasPrefix("/signin") ?? false)

            // Two devices and an API token; signing out everywhere ends all three.
            var laptop = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            var phone = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            let token = try await applicantToken(app, citizenID)
            clock.advance(by: 1)
            let out = try await laptop.post(app, "/me/sign-out-everywhere", [:])
            XCTAssertEqual(out.status, .seeOther)
            clock.advance(by: 1)
            page = try await phone.get(app, "/me")
            XCTAssertEqual(page.status, .seeOther, "the other device is signed out")
            try await app.test(.GET, "/api/v1/me", headers: .bearer(token)) { res async throws in
                XCTAssertEqual(res.status, .unauthorized)
                XCTAssertEqual(try problem(res).code, "access.token_invalid")
            }
            let fresh = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            XCTAssertEqual(fresh.status, .seeOther, "signing in again works")
        }
    }

    func testAPICookiesOnlyReadAndSessionsEndAfterEightHoursWhateverTheActivity() async throws {
        try await withApp(seed: false) { app, clock in
            try await registerPerson(app)
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            try await app.test(.GET, "/api/v1/me", headers: browser.headers) { res async in XCTAssertEqual(res.status, .ok) }
            try await app.test(.POST, "/api/v1/me/sign-out-everywhere", headers: browser.headers) { res async throws in
                XCTAssertEqual(res.status, .unauthorized, "a cookie alone changes nothing through the API")
                XCTAssertEqual(try problem(res).code, "access.unauthenticated")
            }
            // Busy all day: never idle, yet the session ends after eight hours.
            var statuses: [HTTPStatus] = []
            for _ in 0..<25 {
                clock.advance(by: 20 * 60)
                statuses.append(try await browser.get(app, "/me").status)
            }
            XCTAssertEqual(statuses.prefix(23).filter { $0 != .ok }, [])
            XCTAssertEqual(statuses.last, .seeOther)
            // The sign-in form served right after the expiry works at once.
            try await browser.get(app, "/signin")
            let again = try await browser.post(app, "/signin", ["account": citizenID, "password": strongPassword, "next": "/me"])
            XCTAssertEqual(again.status, .seeOther)
        }
    }

    func testRedirectTargetsStayOnThisSite() {
        for bad in ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "/ok\n/x", "", "evil"] {
            XCTAssertEqual(AccountPageController.safeRedirect(bad, fallback: "/me"), "/me", bad)
        }
        for good in ["/me", "/items?q=%E8%90%A5%E4%B8%9A", "/admin/items/123"] {
            XCTAssertEqual(AccountPageController.safeRedirect(good, fallback: "/me"), good)
        }
    }
}

final class PasswordResetTests: XCTestCase {
    /// The six ASCII digits after 验证码 (一 counts as a number to Swift, so filter ASCII).
    static func code(in text: String) -> String {
        String(text.split(separator: "验证码").last.map { $0.filter { $0.isASCII && $0.isNumber } }?.prefix(6) ?? "")
    }

    func testACodeSentToThePhoneOnFileSetsANewPasswordAndEndsEverySession() async throws {
        try await withApp { app, clock in
            try await registerPerson(app)
            let oldToken = try await applicantToken(app, citizenID)
            var res = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: "110101199003074514"))
            XCTAssertEqual(res.status, .accepted, "an unknown account gets the same answer")
            res = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: citizenID))
            XCTAssertEqual(res.status, .accepted)
            let texts = app.localSMS.received(by: "13800000001")
            XCTAssertEqual(texts.count, 1)
            let code = Self.code(in: texts[0])
            XCTAssertEqual(code.count, 6)
            let logged = try await SMSLogRecord.query(on: app.db).all().map(\.body)
            XCTAssertFalse(logged.contains { $0.contains(code) }, "the log never keeps the code")
            res = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: citizenID))
            XCTAssertEqual(res.status, .tooManyRequests, "one code a minute")

            let wrong = code == "000000" ? "111111" : "000000"
            res = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: wrong, password: "Brand-New-Pass-2026"))
            XCTAssertEqual(try problem(res).code, "reset.code")
            res = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: code, password: "short"))
            XCTAssertEqual(try problem(res).code, "reset.password")
            res = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: code, password: "Brand-New-Pass-2026"))
            XCTAssertEqual(res.status, .noContent, res.body.string)
            try await app.test(.GET, "/api/v1/me", headers: .bearer(oldToken)) { res async in XCTAssertEqual(res.status, .unauthorized, "old tokens end") }
            _ = try await applicantToken(app, citizenID, password: "Brand-New-Pass-2026")
            // Used, spent and expired codes read like wrong ones: no answer tells more.
            res = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: code, password: "Another-Pass-2026x"))
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "reset.code")

            // Five wrong tries spend a code; an old code expires.
            clock.advance(by: 61)
            _ = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: citizenID))
            for _ in 0..<PasswordReset.maximumAttempts {
                _ = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: "999999", password: "Brand-New-Pass-2026"))
            }
            let fresh = Self.code(in: app.localSMS.received(by: "13800000001").last!)
            res = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: fresh, password: "Brand-New-Pass-2027"))
            XCTAssertEqual(try problem(res).code, "reset.code", "five wrong tries spent the code")
            clock.advance(by: 61)
            _ = try await call(app, .POST, "/api/v1/password-reset", json: ResetCodeRequest(account: citizenID))
            clock.advance(by: PasswordReset.validFor + 1)
            let late = Self.code(in: app.localSMS.received(by: "13800000001").last!)
            res = try await call(app, .POST, "/api/v1/password-reset/confirm", json: ResetCodeConfirmation(account: citizenID, code: late, password: "Brand-New-Pass-2027"))
            XCTAssertEqual(try problem(res).code, "reset.code", "an expired code")
            let trail = try await AuditEventRecord.query(on: app.db).filter(\.$action == "auth.passwordReset").count()
            XCTAssertEqual(trail, 1)
        }
    }
}
