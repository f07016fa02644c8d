import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// 数据共享 pre-filling: a form field marked with a registry source is filled only when the
/// applicant consents (a posted form with its CSRF token), and the read is in their log.
final class SharedPrefillTests: XCTestCase {
    /// Adds an address field filled from the population registry to the food item's published form.
    func addRegistryField(_ app: Application) async throws {
        let found = try await ItemRecord.query(on: app.db).filter(\.$implementationCode == foodCode).first()
        let item = try XCTUnwrap(found)
        let published = try await ItemVersionRecord.find(item.publishedVersionID, on: app.db)
        let version = try XCTUnwrap(published)
        var guide = try version.guide()
        let field = try JSONDecoder().decode(
            FormField.self,
            from: Data(#"{"key": "homeAddress", "label": "户籍地址", "type": "text", "required": false, "options": [], "prefill": "sharedPopulation"}"#.utf8))
        guide.form.fields.append(field)
        version.content = try ItemVersionRecord.encode(guide)
        try await version.save(on: app.db)
    }

    func testTheRegistryFillsTheFormOnlyWithConsentAndTheReadIsLogged() async throws {
        try await withApp { app, _ in
            try await addRegistryField(app)
            try await registerPerson(app)
            var browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword)
            let address = "贵阳市云岩区中华北路100号"

            // Opening the form reads nothing: it offers.
            var res = try await browser.get(app, "/items/\(foodCode)/apply")
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains("同意调取并自动填写"))
            XCTAssertFalse(res.body.string.contains(address))
            let token = try await applicantToken(app, citizenID)
            var uses = try decode([DataUseController.UseView].self, try await call(app, .GET, "/api/v1/me/data-uses", token: token))
            XCTAssertFalse(uses.contains { $0.purpose == DataSharingService.Purpose.prefill.rawValue })

            // A post without the page's token (a link from elsewhere) reads nothing.
            res = try await browser.post(app, "/items/\(foodCode)/apply/shared", ["csrf": "forged"])
            XCTAssertEqual(res.status, .forbidden)

            // Consent: the field is filled, and the read is in the person's log.
            res = try await browser.post(app, "/items/\(foodCode)/apply/shared", [:])
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains(address), "the registered address fills the field")
            XCTAssertTrue(res.body.string.contains("已按您的同意从政务共享库调取并填写"))
            uses = try decode([DataUseController.UseView].self, try await call(app, .GET, "/api/v1/me/data-uses", token: token))
            let read = try XCTUnwrap(uses.first { $0.purpose == DataSharingService.Purpose.prefill.rawValue })
            XCTAssertEqual(read.registry, "population")
            XCTAssertEqual(read.fields, "户籍地址")

            // The registry down: the page still opens, says so, and the person types it.
            (app.registries as? LocalSharedData)?.setFault(.down, for: .population)
            res = try await browser.post(app, "/items/\(foodCode)/apply/shared", [:])
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.body.string.contains("人口库暂时无法访问"))
            XCTAssertFalse(res.body.string.contains(address))
        }
    }
}

/// The guide page tells the public which licence an item issues and which of its materials a
/// licence from the wallet replaces; a change of licence types shows without a new guide version.
final class LicenceGuideTests: XCTestCase {
    func testTheGuideNamesTheLicenceItIssuesAndTheMaterialsAWalletLicenceReplaces() async throws {
        try await withApp { app, clock in
            var page = try await call(app, .GET, "/items/\(foodCode)")
            XCTAssertEqual(page.status, .ok)
            XCTAssertFalse(page.body.string.contains("issues-licence"), "no licence type yet")
            XCTAssertFalse(page.body.string.contains("免证办"))

            var type = LicenceKit.foodType()
            type.acceptedAs = ["营业执照"]
            try await LicenceKit.define(app, [type])
            clock.advance(by: 61)  // pages may show types up to a minute old
            page = try await call(app, .GET, "/items/\(foodCode)")
            XCTAssertTrue(page.body.string.contains("办结发电子食品经营许可证"), String(page.body.string.prefix(3000)))
            XCTAssertTrue(page.body.string.contains("“营业执照”"), "the material a wallet licence replaces")
            XCTAssertTrue(page.body.string.contains("/me/licences"))
        }
    }
}
