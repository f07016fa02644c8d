import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// Materials over the API: uploads checked by content and stored once, downloads only for those
/// who may read the case, 材料复用, 容缺受理, filing at the window with the green channel, and drafts.
final class CaseMaterialsTests: XCTestCase {
    let districtClerk = [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: Fixtures.districtDepartment))]

    // MARK: Upload, store and download

    func testUploadsAreStoredOnceByContentAndOnlyReadableByThoseAllowed() async throws {
        try await withApp { app, _ in
            let (citizen, stranger) = try await citizenAndStranger(app)
            let id = try await makeCase(app, .submitted).requireID()
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let otherClerk = try await staffToken(app, "district", districtClerk)
            let bytes = samplePDF("stored once")
            let sha = sha256Hex(bytes)

            // The name travels percent-encoded: 申请书.pdf.
            var res = try await upload(app, id, "1", bytes, name: "%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf", token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let first = try res.content.decode(CaseView.File.self)
            XCTAssertEqual(first.sha256, sha)
            XCTAssertEqual(first.size, bytes.count)
            XCTAssertEqual(first.name, "申请书.pdf")
            XCTAssertEqual(first.type, MaterialFileType.pdf.chineseName)
            XCTAssertFalse(first.reused)
            XCTAssertFalse(first.afterAcceptance)

            // The same content for another material: a second record, the same file.
            res = try await upload(app, id, "3", bytes, name: "copy.pdf", token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let second = try res.content.decode(CaseView.File.self)
            XCTAssertEqual(second.sha256, sha)
            XCTAssertNotEqual(second.id, first.id)
            let records = try await CaseMaterialRecord.query(on: app.db).filter(\.$sha256 == sha).count()
            XCTAssertEqual(records, 2)
            let directory = String(sha.prefix(2))
            XCTAssertEqual(storedFiles(app), [directory + "/" + sha], "one file per content")
            let onDisk = try XCTUnwrap(FileManager.default.contents(atPath: app.settings.materialsDirectory + "/" + directory + "/" + sha))
            XCTAssertNotEqual(Array(onDisk), bytes, "sealed at rest")
            XCTAssertNil(Array(onDisk).firstRange(of: Array("%PDF".utf8)), "the content is not readable on disk")

            res = try await call(app, .GET, "/api/v1/cases/\(id)", token: citizen)
            let view = try res.content.decode(CaseView.self)
            XCTAssertEqual(view.materials.map { $0.files.map(\.id) }, [[first.id], [], [second.id]])
            XCTAssertEqual(view.missingMaterials, [])

            // The applicant downloads the exact bytes, as an attachment that is never sniffed.
            res = try await call(app, .GET, "/api/v1/cases/\(id)/files/\(first.id)", token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(Array(res.body.readableBytesView), bytes)
            XCTAssertEqual(res.headers.first(name: .contentType), "application/pdf")
            let disposition = res.headers.first(name: .contentDisposition) ?? ""
            XCTAssertTrue(disposition.hasPrefix("attachment;"), disposition)
            XCTAssertTrue(disposition.contains("%E7%94%B3%E8%AF%B7%E4%B9%A6"), disposition)
            XCTAssertTrue(disposition.unicodeScalars.allSatisfy(\.isASCII), "an HTTP header stays ASCII: \(disposition)")
            XCTAssertEqual(res.headers.first(name: "X-Content-Type-Options"), "nosniff")
            XCTAssertEqual(res.headers.first(name: .cacheControl), "private, no-store")

            // A clerk of the handling department may read it.
            res = try await call(app, .GET, "/api/v1/cases/\(id)/files/\(second.id)", token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(Array(res.body.readableBytesView), bytes)

            // Another citizen and another department's clerk find neither the case nor the file.
            for token in [stranger, otherClerk] {
                res = try await call(app, .GET, "/api/v1/cases/\(id)", token: token)
                XCTAssertEqual(res.status, .notFound)
                res = try await call(app, .GET, "/api/v1/cases/\(id)/files/\(first.id)", token: token)
                XCTAssertEqual(res.status, .notFound)
                XCTAssertEqual(try problem(res).code, "case.not_found")
            }
            // Nor through a case of their own.
            let strangersCase = try await makeCase(app, .submitted, applicant: agentID).requireID()
            res = try await call(app, .GET, "/api/v1/cases/\(strangersCase)/files/\(first.id)", token: stranger)
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "material.not_found")
            res = try await call(app, .GET, "/api/v1/cases/\(id)/files/not-a-file", token: citizen)
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "material.not_found")
        }
    }

    func testHostileUploadsAreRefusedInChineseAndWriteNothing() async throws {
        try await withApp { app, _ in
            let (citizen, stranger) = try await citizenAndStranger(app)
            let id = try await makeCase(app, .submitted).requireID()

            // Refused by content: nothing reaches the store.
            let disguised: [(name: String, bytes: [UInt8], code: String)] = [
                ("scan.pdf", Array("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>".utf8), "material.type"),
                ("photo.jpg", [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00], "material.type"),
                ("scan.pdf", Array("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\n".utf8), "material.type"),
                ("scan.pdf", [], "material.empty"),
            ]
            for sample in disguised {
                let res = try await upload(app, id, "1", sample.bytes, name: sample.name, token: citizen)
                XCTAssertEqual(res.status, .badRequest, "\(sample.code) \(res.body.string)")
                XCTAssertEqual(try problem(res).code, sample.code)
            }
            var huge = [UInt8](repeating: 0x20, count: MaterialFile.maxBytes + 1)
            huge.replaceSubrange(0..<9, with: Array("%PDF-1.7\n".utf8))
            huge.replaceSubrange((huge.count - 6)..<huge.count, with: Array("%%EOF\n".utf8))
            var res = try await upload(app, id, "1", huge, token: citizen)
            // The route's body limit (a real server) or the content check (the in-memory tester) refuses it.
            XCTAssertEqual(res.status, .payloadTooLarge)
            let tooLarge = try problem(res).code
            XCTAssertTrue(["material.too_large", "request.too_large"].contains(tooLarge), tooLarge)
            XCTAssertEqual(storedFiles(app), [], "a refused file is never stored")

            // Refused by the material number.
            res = try await upload(app, id, "2", samplePDF(), token: citizen)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "material.held_by_platform")
            XCTAssertTrue(try problem(res).detail.contains("营业执照"))
            for number in ["9", "0", "abc", "-1"] {
                res = try await upload(app, id, number, samplePDF(), token: citizen)
                XCTAssertEqual(res.status, .badRequest, "material \(number)")
                XCTAssertEqual(try problem(res).code, "material.index", "material \(number)")
            }
            // Refused for someone else's case, which looks missing.
            res = try await upload(app, id, "1", samplePDF("stranger"), token: stranger)
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "case.not_found")
            res = try await upload(app, UUID(), "1", samplePDF("nobody"), token: stranger)
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(storedFiles(app), [], "a refused upload never reaches the disk")

            let records = try await CaseMaterialRecord.query(on: app.db).count()
            XCTAssertEqual(records, 0, "no material recorded")
            res = try await call(app, .GET, "/api/v1/cases/\(id)", token: citizen)
            let view = try res.content.decode(CaseView.self)
            XCTAssertEqual(view.materials.map(\.files.count), [0, 0, 0])
            XCTAssertEqual(view.missingMaterials, ["食品经营许可申请书", "食品安全管理制度"])
        }
    }

    // MARK: 材料复用

    func testAFileGivenBeforeCanBeReusedOnlyByTheApplicantWhoGaveIt() async throws {
        try await withApp { app, _ in
            let (citizen, stranger) = try await citizenAndStranger(app)
            let earlier = try await makeCase(app, .submitted).requireID()
            let bytes = samplePDF("reuse")
            var res = try await upload(app, earlier, "1", bytes, name: "申请书.pdf", token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            let original = try res.content.decode(CaseView.File.self)
            let sha = original.sha256

            // A second case names the earlier file instead of uploading it again.
            let reusing = NewCaseRequest(item: foodCode, form: goodForm, materials: [MaterialReference(material: 1, reuse: sha)], submit: true)
            res = try await call(app, .POST, "/api/v1/cases", token: citizen, json: reusing, key: "second")
            XCTAssertEqual(res.status, .created, res.body.string)
            let second = try res.content.decode(CaseView.self)
            XCTAssertEqual(second.state, .submitted)
            XCTAssertEqual(second.materials.map(\.files.count), [1, 0, 0])
            let reused = try XCTUnwrap(second.materials.first?.files.first)
            XCTAssertTrue(reused.reused)
            XCTAssertEqual(reused.sha256, sha)
            XCTAssertEqual(reused.name, original.name)
            XCTAssertNotEqual(reused.id, original.id)
            XCTAssertEqual(second.missingMaterials, ["食品安全管理制度"])
            res = try await call(app, .GET, "/api/v1/cases/\(second.id)/files/\(reused.id)", token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(Array(res.body.readableBytesView), bytes)

            // Reused again, through the case's own materials endpoint.
            res = try await call(app, .POST, "/api/v1/cases/\(second.id)/materials", token: citizen, json: MaterialReference(material: 3, reuse: sha))
            XCTAssertEqual(res.status, .created, res.body.string)
            XCTAssertTrue(try res.content.decode(CaseView.File.self).reused)

            // The applicant's earlier files: each content once.
            res = try await call(app, .GET, "/api/v1/me/materials", token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(try res.content.decode([CaseView.File].self).map(\.sha256), [sha])
            XCTAssertEqual(storedFiles(app).count, 1)

            // A hash the applicant never gave is not found.
            res = try await call(app, .POST, "/api/v1/cases/\(second.id)/materials", token: citizen, json: MaterialReference(material: 1, reuse: String(repeating: "0", count: 64)))
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "material.reuse_not_found")

            // Another citizen who learned the hash cannot take the file, in a new case or an existing one.
            let casesBefore = try await CaseRecord.query(on: app.db).count()
            let stealing = NewCaseRequest(item: foodCode, form: goodForm, materials: [MaterialReference(material: 1, reuse: sha)], submit: true)
            res = try await call(app, .POST, "/api/v1/cases", token: stranger, json: stealing, key: "steal")
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "material.reuse_not_found")
            let casesAfter = try await CaseRecord.query(on: app.db).count()
            XCTAssertEqual(casesAfter, casesBefore, "no case created")
            let own = try await makeCase(app, .submitted, applicant: agentID).requireID()
            res = try await call(app, .POST, "/api/v1/cases/\(own)/materials", token: stranger, json: MaterialReference(material: 1, reuse: sha))
            XCTAssertEqual(res.status, .notFound)
            XCTAssertEqual(try problem(res).code, "material.reuse_not_found")
            let taken = try await CaseMaterialRecord.query(on: app.db).filter(\.$caseID == own).count()
            XCTAssertEqual(taken, 0)
            res = try await call(app, .GET, "/api/v1/me/materials", token: stranger)
            XCTAssertEqual(try res.content.decode([CaseView.File].self).count, 0)
        }
    }

    // MARK: 容缺受理

    func testADeferredMaterialBlocksTheDecisionUntilTheApplicantSuppliesIt() async throws {
        try await withApp { app, _ in
            // Accepted on Sunday 11-22 without the 食品安全管理制度: it follows within 3 working days
            // (Mon 23, Tue 24, Wed 25), the same count that puts the 5-day deadline on Friday 27.
            let id = try await makeCase(app, .deferred).requireID()
            let citizen = try await applicantToken(app, citizenID)
            let approver = try await staffToken(app, "approver", cityApprover)
            let accepted = try await view(app, id, token: citizen)
            XCTAssertEqual(accepted.state, .accepted)
            XCTAssertTrue(accepted.deferredOutstanding)
            XCTAssertEqual(accepted.deferredDue, "2026-11-25")
            XCTAssertEqual(accepted.deadline, "2026-11-27")
            XCTAssertEqual(accepted.missingMaterials, ["食品安全管理制度"])
            XCTAssertEqual(accepted.timeline.first(where: { $0.action == "accept" })?.reason, "容缺受理，须于 2026-11-25 前补交：食品安全管理制度")
            let told = try await OutboxRecord.query(on: app.db).filter(\.$channel == "sms").all()
            XCTAssertTrue(told.contains { $0.caseID == id && $0.body.contains("请于 2026-11-25 前补交容缺材料") }, "the applicant is told the day")

            // No decision while it is outstanding.
            try await expect(app, id, .review, token: approver, becomes: .underReview)
            var res = try await move(app, id, .approve, token: approver)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "case.deferred_materials_outstanding")
            res = try await move(app, id, .deny, reason: "材料不全", token: approver)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "case.deferred_materials_outstanding")

            // After acceptance only the deferred material may follow.
            res = try await upload(app, id, "1", samplePDF("again"), token: citizen)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "material.not_deferred")
            var count = try await CaseMaterialRecord.query(on: app.db).filter(\.$caseID == id).count()
            XCTAssertEqual(count, 1)

            res = try await upload(app, id, "3", samplePDF("3"), token: citizen)
            XCTAssertEqual(res.status, .created, res.body.string)
            XCTAssertTrue(try res.content.decode(CaseView.File.self).afterAcceptance)
            res = try await call(app, .GET, "/api/v1/cases/\(id)", token: citizen)
            let complete = try res.content.decode(CaseView.self)
            XCTAssertFalse(complete.deferredOutstanding)
            XCTAssertNil(complete.deferredDue)
            XCTAssertEqual(complete.missingMaterials, [])
            XCTAssertEqual(complete.state, .underReview)
            let supplied = complete.timeline.first(where: { $0.action == "supplyDeferredMaterials" })
            XCTAssertEqual(supplied?.actionName, "补齐容缺材料")
            XCTAssertEqual(supplied?.state, "underReview")
            let inbox = try await OutboxRecord.query(on: app.db).filter(\.$subject == "容缺材料已补齐").all()
            XCTAssertEqual(inbox.count, 1)
            XCTAssertEqual(inbox.first?.recipient, "department:" + Fixtures.cityDepartment)
            XCTAssertEqual(inbox.first?.channel, "inbox")
            XCTAssertEqual(inbox.first?.caseID, id)

            // Complete now: nothing more is taken, and the decision may be made.
            res = try await upload(app, id, "3", samplePDF("more"), token: citizen)
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "material.case_locked")
            count = try await CaseMaterialRecord.query(on: app.db).filter(\.$caseID == id).count()
            XCTAssertEqual(count, 2)
            try await expect(app, id, .approve, token: approver, becomes: .approved)
        }
    }

    // MARK: At the window

    func testAClerkFilesAtTheWindowForTheApplicantAndTheGreenChannelLeadsTheQueue() async throws {
        try await withApp { app, clock in
            // An online case accepted on Sunday: due Friday 11-27.
            let online = try await makeCase(app, .accepted).requireID()
            let registered = try await makeApplicant(app)
            let citizen = try await applicantToken(app, citizenID)
            var clerk = try await staffToken(app, "clerk", cityClerk)
            let onlineView = try await view(app, online, token: citizen)
            XCTAssertEqual(onlineView.deadline, "2026-11-27")
            XCTAssertFalse(onlineView.assisted)
            XCTAssertFalse(onlineView.greenChannel)

            // The clerk finds the applicant standing at the window.
            var res = try await call(app, .POST, "/api/v1/applicants/lookup", token: clerk, json: ["identifier": citizenID])
            XCTAssertEqual(res.status, .ok, res.body.string)
            let applicant = try res.content.decode(ApplicantView.self)
            XCTAssertEqual(applicant.id, registered.id!)
            XCTAssertNotEqual(applicant.identifier, citizenID, "masked")

            let request = NewCaseRequest(item: foodCode, form: goodForm, applicant: applicant.id, submit: true)
            res = try await call(app, .POST, "/api/v1/cases", token: clerk, json: request)
            XCTAssertEqual(try problem(res).code, "case.idempotency_key")
            res = try await call(app, .POST, "/api/v1/cases", token: clerk, json: request, key: "window-1")
            XCTAssertEqual(res.status, .created, res.body.string)
            let filed = try res.content.decode(CaseView.self)
            XCTAssertEqual(filed.channel, "window")
            XCTAssertTrue(filed.assisted)
            XCTAssertFalse(filed.greenChannel)
            XCTAssertEqual(filed.state, .submitted)
            res = try await call(app, .POST, "/api/v1/cases", token: clerk, json: request, key: "window-1")
            XCTAssertEqual(res.status, .ok, "a retry answers the same case")
            XCTAssertEqual(try res.content.decode(CaseView.self).id, filed.id)
            try await supplyMaterials(app, filed.id, token: clerk)

            // The applicant sees the case filed for them.
            res = try await call(app, .GET, "/api/v1/cases", token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let mine = try res.content.decode(CaseService.Listing.self)
            XCTAssertEqual(Set(mine.cases.map(\.id)), [online, filed.id])
            res = try await call(app, .GET, "/api/v1/cases/\(filed.id)", token: citizen)
            XCTAssertEqual(res.status, .ok, res.body.string)

            // Monday: accepted through the green channel, which must say why.
            clock.advance(by: 86_400)
            clerk = try await applicantToken(app, "clerk", password: testPassword)
            res = try await move(app, filed.id, .accept, greenChannel: true, token: clerk)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "case.reason_required")
            res = try await move(app, filed.id, .accept, reason: "军人优先", greenChannel: true, token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let green = try res.content.decode(CaseView.self)
            XCTAssertEqual(green.state, .accepted)
            XCTAssertTrue(green.greenChannel)
            XCTAssertEqual(green.deadline, "2026-11-30", "five working days after Monday")

            // The queue: the green channel first, though the online case is due earlier.
            res = try await call(app, .GET, "/api/v1/cases", token: clerk)
            XCTAssertEqual(res.status, .ok, res.body.string)
            let queue = try res.content.decode(CaseService.Listing.self).cases
            XCTAssertEqual(queue.map(\.id), [filed.id, online])
            XCTAssertEqual(queue.map(\.greenChannel), [true, false])
            XCTAssertEqual(queue.map(\.deadline), ["2026-11-30", "2026-11-27"])
        }
    }

    // MARK: Drafts and the form

    func testADraftKeepsAnIncompleteFormUntilItIsSubmittedAndThenTheFormIsLocked() async throws {
        try await withApp { app, _ in
            let (citizen, stranger) = try await citizenAndStranger(app)
            let partial: [String: JSONValue] = ["applicantName": .string("张明")]

            var res = try await call(app, .POST, "/api/v1/cases", token: citizen, json: NewCaseRequest(item: foodCode, form: partial, submit: false), key: "draft-1")
            XCTAssertEqual(res.status, .created, res.body.string)
            let draft = try res.content.decode(CaseView.self)
            XCTAssertEqual(draft.state, .draft)
            XCTAssertFalse(draft.allowedActions.contains(.submit), "submitting is offered only once the form is complete")

            // What is there must be right, even in a draft.
            res = try await call(app, .PUT, "/api/v1/cases/\(draft.id)/form", token: citizen, json: FormUpdateRequest(form: ["businessKind": .string("其他")]))
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "case.form_invalid")
            // Nobody else may change it.
            res = try await call(app, .PUT, "/api/v1/cases/\(draft.id)/form", token: stranger, json: FormUpdateRequest(form: goodForm))
            XCTAssertEqual(res.status, .notFound)

            res = try await call(app, .PUT, "/api/v1/cases/\(draft.id)/form", token: citizen, json: FormUpdateRequest(form: goodForm))
            XCTAssertEqual(res.status, .ok, res.body.string)
            let updated = try res.content.decode(CaseView.self)
            XCTAssertEqual(updated.state, .draft)
            XCTAssertEqual(updated.form["businessKind"], JSONValue.string("预包装食品销售"))
            try await expect(app, draft.id, .submit, token: citizen, becomes: .submitted)
            res = try await call(app, .PUT, "/api/v1/cases/\(draft.id)/form", token: citizen, json: FormUpdateRequest(form: partial))
            XCTAssertEqual(res.status, .conflict)
            XCTAssertEqual(try problem(res).code, "case.form_locked")

            // A draft whose form is incomplete cannot be submitted.
            res = try await call(app, .POST, "/api/v1/cases", token: citizen, json: NewCaseRequest(item: foodCode, form: partial, submit: false), key: "draft-2")
            XCTAssertEqual(res.status, .created, res.body.string)
            let incomplete = try res.content.decode(CaseView.self)
            res = try await move(app, incomplete.id, .submit, token: citizen)
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "case.form_invalid")
            res = try await call(app, .GET, "/api/v1/cases/\(incomplete.id)", token: citizen)
            XCTAssertEqual(try res.content.decode(CaseView.self).state, .draft)
            // Nor can such a form be filed for submission at once.
            res = try await call(app, .POST, "/api/v1/cases", token: citizen, json: NewCaseRequest(item: foodCode, form: partial, submit: true), key: "draft-3")
            XCTAssertEqual(res.status, .badRequest)
            XCTAssertEqual(try problem(res).code, "case.form_invalid")
        }
    }

    func testAnOnlineApplicationIsTheApplicantsOwnUntilSubmitted() async throws {
        try await withApp { app, _ in
            let clerk = try await staffToken(app, "clerk", cityClerk)
            let id = try await makeCase(app, .draft, form: ["applicantName": .string("张明")]).requireID()
            var res = try await call(app, .GET, "/api/v1/cases/\(id)", token: clerk)
            XCTAssertEqual(res.status, .notFound, "a draft is not the department's to read")
            res = try await call(app, .GET, "/api/v1/cases?state=draft", token: clerk)
            XCTAssertEqual(try res.content.decode(CaseService.Listing.self).total, 0)
            let submitted = try await makeCase(app, .submitted).requireID()
            res = try await upload(app, submitted, "1", samplePDF("clerk"), token: clerk)
            XCTAssertEqual(res.status, .forbidden, "a clerk does not add to an online application")
            res = try await upload(app, submitted, "1", samplePDF("anonymous"), token: "nobody")
            XCTAssertEqual(res.status, .unauthorized)
            XCTAssertEqual(storedFiles(app), [])
        }
    }
}
