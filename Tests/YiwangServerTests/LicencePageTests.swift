import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The licence pages: the wallet and the licence as it prints, the public verification page,
/// the share page and the issuing department's view.
final class LicencePageTests: XCTestCase {
    func testTheHoldersWalletAndLicencePages() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let document = try await LicenceKit.show(app, identifier, token: token).document
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)

            var res = try await browser.get(app, "/me/licences")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains(LicenceKit.name), html)
            XCTAssertTrue(html.contains(document.number), html)
            XCTAssertTrue(html.contains(identifier), "the wallet links the licence")

            res = try await browser.get(app, "/me/licences/\(identifier)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            html = res.body.string
            XCTAssertTrue(html.contains(LicenceKit.name))
            XCTAssertTrue(html.contains(document.number))
            XCTAssertTrue(html.contains(identifier))
            XCTAssertTrue(html.contains("<svg"), "an inline QR code")
            XCTAssertTrue(html.contains("http://localhost:8080/verify/\(identifier)"), "the verification URL")
            XCTAssertTrue(html.contains("预包装食品销售"), "the face")
            XCTAssertTrue(html.contains("有效"))
            XCTAssertFalse(html.contains(citizenID), "the ID number is masked even for the holder's page")
            XCTAssertTrue(html.contains("分享给第三方"), "the holder may share a valid licence")
            XCTAssertTrue(html.contains("制发"), "the log of uses")

            // The QR code is a well-formed SVG of dark modules.
            let svg = try XCTUnwrap(html.range(of: "<svg").map { String(html[$0.lowerBound...]) })
            XCTAssertTrue(svg.contains("</svg>"))

            // The share form makes a link shown once.
            res = try await browser.post(app, "/me/licences/\(identifier)/shares", ["recipient": "某银行", "hours": "1"])
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertTrue(res.body.string.contains("http://localhost:8080/s/"), res.body.string)
            let shares = try await LicenceShareRecord.query(on: app.db).count()
            XCTAssertEqual(shares, 1)

            // Another person's browser finds nothing; a signed-out one is sent to sign in.
            try await makeApplicant(app, agentID)
            var stranger = try await BrowserSession.signIn(app, account: agentID, password: strongPassword)
            res = try await stranger.get(app, "/me/licences/\(identifier)")
            XCTAssertEqual(res.status, .notFound)
            res = try await stranger.get(app, "/me/licences")
            XCTAssertEqual(res.status, .ok)
            XCTAssertFalse(res.body.string.contains(identifier))
            res = try await call(app, .GET, "/me/licences/\(identifier)")
            XCTAssertEqual(res.status, .seeOther)
            XCTAssertTrue(res.headers.first(name: .location)?.hasPrefix("/signin") ?? false)
        }
    }

    func testThePublicVerificationPage() async throws {
        try await withApp { app, _ in
            let (_, identifier, _) = try await LicenceKit.issue(app)

            var res = try await call(app, .GET, "/verify/\(identifier)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("有效"), html)
            XCTAssertTrue(html.contains("verdict-valid"), html)
            XCTAssertTrue(html.contains(LicenceKit.name))
            XCTAssertTrue(html.contains("张*"), "the masked holder")
            XCTAssertFalse(html.contains("张明"), "never the holder's full name")
            XCTAssertFalse(html.contains(citizenID))
            XCTAssertEqual(res.headers.first(name: .cacheControl), "no-store")

            res = try await call(app, .GET, "/verify?identifier=\(identifier)")
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains("verdict-valid"))

            res = try await call(app, .GET, "/verify?identifier=garbage")
            XCTAssertEqual(res.status, .badRequest)
            html = res.body.string
            XCTAssertTrue(html.contains("电子证照标识应以"), html)
            XCTAssertTrue(html.contains("role=\"alert\""))
            XCTAssertFalse(html.contains("verdict-"), "no verdict for garbage")

            res = try await call(app, .GET, "/verify?identifier=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertFalse(res.body.string.contains("<script>alert(1)</script>"), "the query is escaped")

            res = try await call(app, .GET, "/verify")
            XCTAssertEqual(res.status, .ok, "the empty form")

            let unissued = try LicenceIdentifier(typeCode: LicenceKit.typeCode, issuerCode: Fixtures.cityDepartment, serial: "2026999999", version: 1)
            res = try await call(app, .GET, "/verify/\(unissued)")
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains("未找到该证照"), res.body.string)
        }
    }

    func testTheIssuingDepartmentsApproverManagesTheLicenceFromItsPage() async throws {
        try await withApp { app, _ in
            let (_, identifier, _) = try await LicenceKit.issue(app)
            try await staffToken(app, "approver", cityApprover)
            try await staffToken(app, "clerk", cityClerk)
            try await staffToken(app, "district-approver", LicenceKit.districtApprover)

            var approver = try await BrowserSession.signIn(app, at: "/admin/login", account: "approver", password: testPassword, landing: "/admin")
            var res = try await approver.get(app, "/admin/licences/\(identifier)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            var html = res.body.string
            XCTAssertTrue(html.contains("id=\"licence-change\""), "the manage form")
            XCTAssertTrue(html.contains("value=\"revoke\""))
            XCTAssertTrue(html.contains("name=\"face.businessKind\""))
            XCTAssertTrue(html.contains(LicenceKit.name))
            XCTAssertFalse(html.contains("分享给第三方"), "staff do not share")

            // The lookup sends a typed identifier to the page; garbage is a 400 with a message.
            res = try await approver.get(app, "/admin/licences?identifier=\(identifier.lowercased())")
            XCTAssertEqual(res.status, .seeOther)
            XCTAssertEqual(res.headers.first(name: .location), "/admin/licences/\(identifier)")
            res = try await approver.get(app, "/admin/licences?identifier=garbage")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertTrue(res.body.string.contains("电子证照标识应以"))

            // A clerk reads the licence but may not manage it.
            var clerk = try await BrowserSession.signIn(app, at: "/admin/login", account: "clerk", password: testPassword, landing: "/admin")
            res = try await clerk.get(app, "/admin/licences/\(identifier)")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertFalse(res.body.string.contains("id=\"licence-change\""))
            // Another department's approver finds nothing.
            var other = try await BrowserSession.signIn(app, at: "/admin/login", account: "district-approver", password: testPassword, landing: "/admin")
            res = try await other.get(app, "/admin/licences/\(identifier)")
            XCTAssertEqual(res.status, .notFound)

            // Forms need the session's CSRF token; the signed-out are sent to sign in.
            res = try await approver.post(app, "/admin/licences/\(identifier)/changes", ["kind": "revoke", "reason": "伪造请求", "csrf": "forged"])
            XCTAssertEqual(res.status, .forbidden, res.body.string)
            res = try await call(app, .GET, "/admin/licences/\(identifier)")
            XCTAssertEqual(res.status, .seeOther)
            XCTAssertTrue(res.headers.first(name: .location)?.hasPrefix("/admin/login") ?? false)
            let untouched = try await LicenceKit.status(app, identifier)
            XCTAssertEqual(untouched.status, .valid)

            // A revocation without a reason comes back with the message; with one, it is done.
            res = try await approver.post(app, "/admin/licences/\(identifier)/changes", ["kind": "revoke", "reason": ""])
            XCTAssertEqual(res.status, .badRequest, res.body.string)
            XCTAssertTrue(res.body.string.contains("注销证照须说明理由"), res.body.string)
            res = try await approver.post(app, "/admin/licences/\(identifier)/changes", ["kind": "revoke", "reason": "申请人主动注销"])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            XCTAssertEqual(res.headers.first(name: .location), "/admin/licences/\(identifier)?notice=revoked")
            res = try await approver.get(app, "/admin/licences/\(identifier)?notice=revoked")
            html = res.body.string
            XCTAssertTrue(html.contains("证照已注销。"))
            XCTAssertTrue(html.contains("已注销"))
            XCTAssertTrue(html.contains("申请人主动注销"))
            XCTAssertFalse(html.contains("id=\"licence-change\""), "nothing more to manage")
            res = try await call(app, .GET, "/verify/\(identifier)")
            XCTAssertTrue(res.body.string.contains("verdict-revoked"))
        }
    }

    func testAFaceChangeFromTheStaffPage() async throws {
        try await withApp { app, _ in
            let (_, identifier, _) = try await LicenceKit.issue(app)
            try await staffToken(app, "approver", cityApprover)
            var approver = try await BrowserSession.signIn(app, at: "/admin/login", account: "approver", password: testPassword, landing: "/admin")
            try await approver.get(app, "/admin/licences/\(identifier)")
            let res = try await approver.post(
                app, "/admin/licences/\(identifier)/changes", ["kind": "change", "reason": "", "face.businessKind": "热食类食品制售", "face.operator": ""])
            XCTAssertEqual(res.status, .seeOther, res.body.string)
            let next = try LicenceIdentifier(identifier).nextVersion().description
            XCTAssertEqual(res.headers.first(name: .location), "/admin/licences/\(next)?notice=changed")
            let page = try await approver.get(app, "/admin/licences/\(next)")
            XCTAssertTrue(page.body.string.contains("热食类食品制售"))
            XCTAssertTrue(page.body.string.contains("版本记录"))
            let licences = try await LicenceRecord.query(on: app.db).sort(\.$version).all()
            XCTAssertEqual(licences.map(\.statusRaw), ["superseded", "active"])
            let face = try licences[1].document(try app.keyRing).face
            XCTAssertEqual(face.first { $0.key == "operator" }?.value, "张明", "an empty field is left as it was")
        }
    }

    func testTheSharePageShowsTheLicenceWhileTheLinkLasts() async throws {
        try await withApp { app, clock in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let res = try await call(app, .POST, "/api/v1/licences/\(identifier)/shares", token: token, json: LicenceKit.ShareBody(recipient: "某银行", hours: 2))
            let url = try XCTUnwrap(try res.content.decode(LicenceAPIController.ShareView.self).url)
            let path = String(url.dropFirst("http://localhost:8080".count))
            var page = try await call(app, .GET, path)
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.body.string.contains("<svg"))
            XCTAssertTrue(page.body.string.contains("某银行"))
            XCTAssertTrue(page.body.string.contains(identifier))
            XCTAssertEqual(page.headers.first(name: "Referrer-Policy"), "no-referrer")
            XCTAssertFalse(page.body.string.contains("分享给第三方"), "the recipient cannot re-share")
            XCTAssertFalse(page.body.string.contains("使用记录"), "nor read the holder's log")
            clock.advance(by: 2 * 3600 + 1)
            page = try await call(app, .GET, path)
            XCTAssertEqual(page.status, .notFound)
        }
    }

    func testTheQRCodeOnThePageDecodesToTheVerificationURL() async throws {
        let zbarimg = "/usr/bin/zbarimg"
        guard FileManager.default.isExecutableFile(atPath: zbarimg) else { throw XCTSkip("zbarimg (zbar-tools) is not installed") }
        try await withApp { app, _ in
            let (_, identifier, _) = try await LicenceKit.issue(app)
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            let html = try await browser.get(app, "/me/licences/\(identifier)").body.string
            let svg = try XCTUnwrap(html.range(of: "<svg").flatMap { start in html.range(of: "</svg>", range: start.lowerBound..<html.endIndex).map { String(html[start.lowerBound..<$0.upperBound]) } })
            XCTAssertTrue(svg.contains("<title>扫码核验：食品经营许可证</title>"), svg.prefix(400).description)

            // The path draws each run of dark modules as `M<x> <y>h<n>v1h-<n>z` in a viewBox of modules.
            let side = try XCTUnwrap(svg.range(of: "viewBox=\"0 0 ").map { Int(svg[$0.upperBound...].prefix { $0.isNumber })! })
            let d = try XCTUnwrap(svg.range(of: " d=\"").map { String(svg[$0.upperBound...].prefix { $0 != "\"" }) })
            var dark = Array(repeating: Array(repeating: false, count: side), count: side)
            let runs = d.split(separator: "z")
            XCTAssertFalse(runs.isEmpty)
            for run in runs {
                let numbers = run.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                guard numbers.count == 5, numbers[2] == numbers[4], numbers[3] == 1, numbers[0] + numbers[2] <= side, numbers[1] < side else {
                    XCTFail("unexpected run \(run)")
                    break
                }
                for x in numbers[0]..<(numbers[0] + numbers[2]) { dark[numbers[1]][x] = true }
            }
            // Written out as a plain bitmap, four pixels a module, for zbar to read.
            let scale = 4
            var pbm = "P1\n\(side * scale) \(side * scale)\n"
            for row in dark {
                let line = row.flatMap { Array(repeating: $0 ? "1" : "0", count: scale) }.joined(separator: " ")
                for _ in 0..<scale { pbm += line + "\n" }
            }
            let file = NSTemporaryDirectory() + "licence-qr-" + UUID().uuidString + ".pbm"
            try pbm.write(toFile: file, atomically: true, encoding: .ascii)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: zbarimg)
            process.arguments = ["--raw", "-q", file]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "zbarimg found no QR code")
            XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "http://localhost:8080/verify/\(identifier)")
        }
    }

    func testFaceValuesAreEscapedOnEveryPage() async throws {
        try await withApp { app, _ in
            let (_, identifier, token) = try await LicenceKit.issue(app)
            let approver = try await staffToken(app, "approver", cityApprover)
            let hostile = "<script>alert('x')</script>&\""
            let res = try await LicenceKit.change(app, identifier, token: approver, kind: "change", changes: ["businessKind": hostile])
            XCTAssertEqual(res.status, .ok, res.body.string)
            let next = try res.content.decode(LicenceAPIController.LicenceView.self).document.identifier
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            let holderPage = try await browser.get(app, "/me/licences/\(next)").body.string
            XCTAssertFalse(holderPage.contains("<script>alert"), "escaped on the holder's page")
            XCTAssertTrue(holderPage.contains("&lt;script&gt;"))
            let share = try await call(app, .POST, "/api/v1/licences/\(next)/shares", token: token, json: LicenceKit.ShareBody(recipient: "<b>银行</b>", hours: 1))
            let url = try XCTUnwrap(try share.content.decode(LicenceAPIController.ShareView.self).url)
            let sharedPage = try await call(app, .GET, String(url.dropFirst("http://localhost:8080".count))).body.string
            XCTAssertFalse(sharedPage.contains("<script>alert"))
            XCTAssertFalse(sharedPage.contains("<b>银行</b>"), "the recipient's name is escaped too")
            try await staffToken(app, "approver2", cityApprover)
            var staff = try await BrowserSession.signIn(app, at: "/admin/login", account: "approver2", password: testPassword, landing: "/admin")
            let staffPage = try await staff.get(app, "/admin/licences/\(next)").body.string
            XCTAssertFalse(staffPage.contains("<script>alert"))
        }
    }
}
