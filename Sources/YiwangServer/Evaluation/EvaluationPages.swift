import Fluent
import Foundation
import Vapor
import YiwangCore

/// The 好差评 pages people see: rating a case from its page (`EvaluationPageCase.swift`), the
/// single-use link of the SMS and the printed QR code (`/e/{token}`, no sign-in), the window's
/// tablet (`/hall/rate/{window}`), and the published results (`EvaluationPageResults.swift`).
/// Handlers decode, call `EvaluationService`, render; a refused form is shown again as typed.
enum EvaluationPages {
    static func register(_ app: Application) {
        // Public forms take small bodies, like the other forms anyone may post.
        let small = ByteCount(value: 64 * 1024)
        let applicantForms = app.grouped(SignedInOnly())
        applicantForms.post("me", "cases", ":id", "evaluations", use: rateCase)
        applicantForms.post("me", "cases", ":id", "evaluations", ":review", "rectification-rating", use: rateRectification)

        app.get("e", ":token", use: linkPage)
        app.on(.POST, "e", ":token", body: .collect(maxSize: small), use: rateByLink)
        app.get("hall", "rate", ":window", use: tabletPage)
        app.on(.POST, "hall", "rate", ":window", body: .collect(maxSize: small), use: rateAtTablet)

        app.get("evaluations", use: overview)
        app.get("evaluations", "departments", ":code", use: departmentResults)
        app.get("evaluations", "items", ":code", use: itemResults)
    }

    /// The form of a page, under the name `review-form.leaf` reads it by.
    struct FormHolder: Encodable {
        var form: ReviewForm
    }

    // MARK: The printed receipt and decision

    /// The link (and its QR code) printed on a receipt (受理环节) or a decision (办结环节).
    struct PrintedLink: Encodable {
        var link: String
        var qr: String
    }

    static func printedLink(_ request: Request, _ record: CaseRecord, document kind: String) async throws -> PrintedLink? {
        let stage: ReviewStage
        switch kind {
        case "receipt": stage = .acceptance
        case "decision": stage = .conclusion
        default: return nil
        }
        guard let caseID = record.id else { return nil }
        let service = EvaluationService(try request.domain)
        // Printing only reads: the case's steps open the links (acceptance; the decision, a
        // refusal at acceptance and delivery), in their own transactions.
        let token = EvaluationService.token(caseID: caseID, stage: stage, keys: service.ctx.keys)
        guard try await ReviewInvitationRecord.find(EvaluationService.hash(token), on: request.db) != nil else { return nil }
        let link = service.invitationLink(caseID, stage: stage)
        let qr = (try? QRCode.encode(link, correction: .medium).svg(moduleSize: 3, quietZone: 4, title: "扫码评价本次服务（好差评）")) ?? ""
        return PrintedLink(link: link, qr: qr)
    }

    // MARK: The link (SMS, QR code)

    struct LinkPage: Encodable {
        var page: PageContext
        var itemName: String
        var caseNumber: String?
        var departmentName: String
        var stageName: String
        var evaluation: FormHolder
    }

    struct ClosedPage: Encodable {
        var page: PageContext
        var heading: String
        var message: String
    }

    struct ThanksPage: Encodable {
        var page: PageContext
        var itemName: String
        var stageName: String?
        var levelName: String
        var stars: String
        var isBad: Bool
        var departmentName: String
        var rectificationDeadline: String?
        var departmentCode: String
    }

    /// `?via=qr` (the printed code) rates through channel 二维码; anything else came by SMS.
    static func viaQR(_ raw: String?) -> Bool { raw == "qr" }

    @Sendable static func linkPage(_ request: Request) async throws -> Response {
        try await renderLink(request, token: request.parameters.get("token") ?? "", qr: viaQR(request.query[String.self, at: "via"]))
    }

    /// The stage a link rates now, by the same rules as `EvaluationService.rateByInvitation`.
    static func linkStage(_ invitation: ReviewInvitationRecord, _ record: CaseRecord, on db: any Database) async throws -> ReviewStage {
        guard ReviewStage.of(record.state) == invitation.stage || invitation.stage == .acceptance && ReviewStage.of(record.state) != nil else {
            throw DomainError.conflict("review.not_open", "该办件当前不能评价。")
        }
        let rated = Set(
            try await ReviewRecord.query(on: db).filter(\.$caseID == invitation.caseID)
                .filter(\.$subjectKindRaw == ReviewSubjectKind.caseStage.rawValue).all().compactMap(\.stage))
        // As the service decides: an acceptance link rates the acceptance while that is unrated.
        if invitation.stage == .acceptance, !rated.contains(.acceptance) { return .acceptance }
        return try ReviewRules.checkStage(record.state, rated: rated)
    }

    static func renderLink(_ request: Request, token: String, qr: Bool, input: ReviewInput? = nil, error: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        let service = EvaluationService(try request.domain)
        let record: CaseRecord
        let stage: ReviewStage
        let set: QuestionSet
        do {
            let (invitation, found) = try await service.invitation(token, on: request.db)
            stage = try await linkStage(invitation, found, on: request.db)
            set = try service.questionSet(StatisticsRules.isOnline(channel: found.channel) ? .online : .inHall)
            record = found
        } catch let refusal as DomainError {
            return try await closedLink(request, refusal)
        }
        let department = try await DepartmentRecord.query(on: request.db).filter(\.$creditCode == record.departmentCode).first()
        let form = ReviewForm(
            set: set, action: "/e/" + token, hidden: [ReviewForm.Hidden(name: "via", value: qr ? "qr" : "sms")], input: input, error: error,
            submitLabel: "提交评价")
        let page = LinkPage(
            page: PageContext(request: request, title: "评价本次服务"), itemName: record.itemName, caseNumber: record.number,
            departmentName: department?.name ?? record.departmentCode, stageName: stage.chineseName, evaluation: FormHolder(form: form))
        return noStore(respond(try await request.view.render("evaluation/link", page).encodeResponse(for: request), error: error))
    }

    /// A link that cannot be used (unknown 404, spent or expired 409, the stage already rated 409):
    /// said plainly, with where else to rate.
    static func closedLink(_ request: Request, _ refusal: DomainError) async throws -> Response {
        let heading: String
        switch refusal.code {
        case "review.link_used": heading = "该评价链接已使用"
        case "review.link_expired": heading = "该评价链接已过期"
        case "review.link_unknown": heading = "评价链接无效"
        case "review.already_given": heading = "已评价过"
        default: heading = "暂时不能评价"
        }
        let page = ClosedPage(page: PageContext(request: request, title: heading), heading: heading, message: refusal.message)
        return noStore(respond(try await request.view.render("evaluation/link-closed", page).encodeResponse(for: request), error: refusal))
    }

    /// `POST /e/{token}`: rates once through the link; a refused form is shown again as typed.
    @Sendable static func rateByLink(_ request: Request) async throws -> Response {
        let token = request.parameters.get("token") ?? ""
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let qr = viaQR(posted["via"])
        let service = EvaluationService(try request.domain)
        let set: QuestionSet
        do {
            let (_, record) = try await service.invitation(token, on: request.db)
            set = try service.questionSet(StatisticsRules.isOnline(channel: record.channel) ? .online : .inHall)
        } catch let refusal as DomainError {
            return try await closedLink(request, refusal)
        }
        let input = ReviewInput(posted, set: set)
        do {
            let review = try await service.rateByInvitation(token: token, input.submission, channel: qr ? .qrCode : .sms)
            return noStore(try await thanks(request, review))
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderLink(request, token: token, qr: qr, input: input, error: error)
        } catch let refusal as DomainError {
            return try await closedLink(request, refusal)
        }
    }

    static func thanks(_ request: Request, _ review: ReviewRecord) async throws -> Response {
        let department = try await DepartmentRecord.query(on: request.db).filter(\.$creditCode == review.departmentCode).first()
        var deadline: String?
        if review.level.isBad, let id = review.id {
            deadline = try await RectificationRecord.query(on: request.db).filter(\.$reviewID == id).first()?.deadline
        }
        let page = ThanksPage(
            page: PageContext(request: request, title: "感谢您的评价"), itemName: review.itemName, stageName: review.stage?.chineseName,
            levelName: review.level.chineseName, stars: stars(review.level), isBad: review.level.isBad,
            departmentName: department?.name ?? review.departmentCode, rectificationDeadline: deadline, departmentCode: review.departmentCode)
        return try await request.view.render("evaluation/thanks", page).encodeResponse(for: request)
    }

    /// A page opened by a token in its address: never cached, never sent on as a referrer.
    static func noStore(_ response: Response) -> Response {
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }

    // MARK: The window's tablet

    struct TabletPage: Encodable {
        var page: PageContext
        var windowCode: String
        var windowName: String
        /// The clerk serving (never the visitor: nothing about them is shown).
        var clerkName: String?
        var evaluation: FormHolder?
        var thanks: Bool
        var levelName: String?
        var message: String?
        /// Seconds until the page loads `refreshURL` again: while waiting, and after thanking.
        var refreshSeconds: Int?
        var refreshURL: String
    }

    @Sendable static func tabletPage(_ request: Request) async throws -> Response {
        try await renderTablet(request)
    }

    /// What the tablet shows: the form for the visit to rate, or the waiting screen (refreshed
    /// every 10 s) with, after a refused rating, why.
    static func renderTablet(_ request: Request, input: ReviewInput? = nil, error: DomainError? = nil, refusal: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        let service = EvaluationService(try request.domain)
        let (window, visit, rated) = try await service.visitToRate(window: request.parameters.get("window") ?? "", on: request.db)
        let address = "/hall/rate/" + (window.code.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? window.code)
        var holder: FormHolder?
        if let visit, !rated, let id = visit.id {
            holder = FormHolder(
                form: ReviewForm(
                    set: try service.questionSet(.inHall), action: address, id: "tablet", hidden: [ReviewForm.Hidden(name: "visit", value: id.uuidString)],
                    input: input, error: error, submitLabel: "提交评价", tablet: true))
        }
        let page = TabletPage(
            page: PageContext(request: request, title: window.name + " 服务评价"), windowCode: window.code, windowName: window.name,
            clerkName: holder == nil ? nil : visit?.clerkName, evaluation: holder, thanks: false, levelName: nil, message: refusal?.message,
            refreshSeconds: holder == nil ? 10 : nil, refreshURL: address)
        return respond(try await request.view.render("evaluation/tablet", page).encodeResponse(for: request), error: error ?? refusal)
    }

    /// `POST /hall/rate/{window}`: the visitor rates the visit (channel 政务大厅平板电脑); the
    /// tablet thanks them and goes back to waiting a few seconds later.
    @Sendable static func rateAtTablet(_ request: Request) async throws -> Response {
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let service = EvaluationService(try request.domain)
        let input = ReviewInput(posted, set: try service.questionSet(.inHall))
        guard let visitID = posted["visit"].flatMap({ UUID(uuidString: $0) }) else {
            return try await renderTablet(request, refusal: DomainError.conflict("review.visit_closed", "没有找到要评价的这次接待，请重新评价。"))
        }
        do {
            let review = try await service.rateVisit(window: request.parameters.get("window") ?? "", visitID: visitID, input.submission, channel: .hallTablet)
            let window = try await service.window(request.parameters.get("window") ?? "", on: request.db)
            let address = "/hall/rate/" + (window.code.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? window.code)
            let page = TabletPage(
                page: PageContext(request: request, title: "谢谢您的评价"), windowCode: window.code, windowName: window.name, clerkName: nil,
                evaluation: nil, thanks: true, levelName: review.level.chineseName, message: nil, refreshSeconds: 5, refreshURL: address)
            return respond(try await request.view.render("evaluation/tablet", page).encodeResponse(for: request), error: nil)
        } catch let error as DomainError where error.kind == .invalid {
            return try await renderTablet(request, input: input, error: error)
        } catch let refusal as DomainError where refusal.kind == .conflict {
            return try await renderTablet(request, refusal: refusal)
        }
    }
}
