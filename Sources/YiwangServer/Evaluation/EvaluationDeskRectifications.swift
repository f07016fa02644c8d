import Fluent
import Foundation
import Vapor
import YiwangCore

/// 差评整改 (`/admin/rectifications`): the bad reviews a department must put right, with their
/// deadlines in yellow and red like cases'; each one's page shows the review, the timeline and
/// the form of the next step the actor may take (核实分类, 答复评价人, 回访, or 申诉复核 for a
/// supervisor), each posted through `RectificationStep`.
enum EvaluationDeskRectifications {
    // MARK: The list

    struct Row: Encodable {
        var id: String
        var itemName: String
        var caseNumber: String?
        var levelName: String?
        var stateName: String
        var kindName: String?
        var deadline: String
        var urgency: String
        var urgencyName: String
        var outcome: String?
    }

    struct ListPage: Encodable {
        var page: PageContext
        var rows: [Row]
        var states: [ChoiceOption]
        var overdue: Bool
        var error: String?
    }

    static func state(_ request: Request) throws(DomainError) -> RectificationState? {
        guard let raw = try? request.query.get(String.self, at: "state"), !raw.isEmpty else { return nil }
        guard let state = RectificationState(rawValue: raw) else {
            throw DomainError.invalid("rectification.state_invalid", "整改状态无效。", fields: [FieldError(field: "state", message: "整改状态无效。")])
        }
        return state
    }

    /// What a closed rectification came to, in words.
    static func outcome(_ record: RectificationRecord) -> String? {
        switch record.state {
        case .completed: record.onTime == false ? "逾期办结" : "按期办结"
        case .appealUpheld: "申诉成立，不计入统计"
        default: nil
        }
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readReviews) { return redirect }
        _ = request.csrfToken()
        let ctx = try request.domain
        var chosen: RectificationState?
        var failure: DomainError?
        do { chosen = try state(request) } catch { failure = error }
        let overdue = EvaluationDeskPages.flag(try? request.query.get(String.self, at: "overdue")) == true
        var rows: [Row] = []
        if failure == nil {
            let records = try await RectificationService(ctx).list(state: chosen, overdueOnly: overdue)
            let reviewIDs = records.map(\.reviewID)
            let reviews = reviewIDs.isEmpty ? [] : try await ReviewRecord.query(on: request.db).filter(\.$id ~~ reviewIDs).all()
            let byID = Dictionary(reviews.compactMap { review in review.id.map { ($0, review) } }, uniquingKeysWith: { first, _ in first })
            let calendar = try await ctx.calendar()
            rows = records.map { record in
                let urgency = record.urgency(today: ctx.today, warnWithin: ctx.settings.deadlineWarningDays, calendar: calendar)
                let review = byID[record.reviewID]
                return Row(
                    id: record.id?.uuidString ?? "", itemName: record.itemName, caseNumber: review?.caseNumber, levelName: review?.level.chineseName,
                    stateName: record.state.chineseName, kindName: record.kind?.chineseName, deadline: record.deadline, urgency: urgency.rawValue,
                    urgencyName: record.state.isOpen ? urgency.chineseName : "已办结", outcome: outcome(record))
            }
        }
        let page = ListPage(
            page: PageContext(request: request, title: "差评整改"), rows: rows,
            states: RectificationState.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: $0 == chosen) },
            overdue: overdue, error: failure?.message)
        return try await EvaluationDeskPages.render(request, "evaluation/desk-rectifications", page, error: failure)
    }

    // MARK: One rectification

    struct Reviewer: Encodable {
        var name: String
        var phone: String?
        /// Shown in full (the look is on the trail), or masked.
        var revealed: Bool
    }

    struct Event: Encodable {
        var at: String
        var actor: String
        var stateName: String
        var summary: String
    }

    /// What the forms were filled with, kept when a step is refused.
    struct Typed: Encodable {
        var action: String?
        var kind: String?
        var text: String?
        var reached: Bool
        var upheld: String?
    }

    struct DetailPage: Encodable {
        var page: PageContext
        var id: String
        var rectification: RectificationAPIController.RectificationView
        var review: EvaluationDeskReviews.Row
        var reviewID: String
        var reviewer: Reviewer?
        var followUp: String?
        var events: [Event]
        var mayVerify: Bool
        var mayReply: Bool
        var mayReturnVisit: Bool
        var mayDecideAppeal: Bool
        var awaitingAppeal: Bool
        var kinds: [ChoiceOption]
        var typed: Typed
        var notice: String?
        var error: String?
        var errors: [FieldError]
    }

    static func id(_ request: Request) throws -> UUID {
        try EvaluationAPIController.uuid(request, code: "rectification.not_found", message: "未找到该差评整改。")
    }

    static func notice(_ request: Request) -> String? {
        guard let done = try? request.query.get(String.self, at: "done") else { return nil }
        return [
            RectificationAction.verify.rawValue: "已核实分类。",
            RectificationAction.reply.rawValue: "已答复评价人，请按期回访。",
            RectificationAction.returnVisit.rawValue: "已记录回访，整改办结。",
            RectificationAction.decideAppeal.rawValue: "已作出申诉复核决定。",
        ][done]
    }

    static func render(_ request: Request, _ id: UUID, typed: Typed? = nil, error: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        let ctx = try request.domain
        let actor = ctx.actor
        let (record, review, events) = try await RectificationService(ctx).find(id)
        let calendar = try await ctx.calendar()
        let urgency = record.urgency(today: ctx.today, warnWithin: ctx.settings.deadlineWarningDays, calendar: calendar)
        let view = RectificationAPIController.view(record, urgency: urgency)
        guard let reviewView = try await EvaluationAPIController.views([review], for: actor, on: request.db).first else {
            throw DomainError.notFound("rectification.not_found", "未找到该差评整改。")
        }
        let reviewer = try await Self.reviewer(review, shown: reviewView.reviewer, ctx)
        let followUp = try await ReviewRecord.query(on: request.db).filter(\.$followsID == review.id)
            .filter(\.$subjectKindRaw == ReviewSubjectKind.rectification.rawValue).first()
        func may(_ action: RectificationAction) -> Bool {
            RectificationLifecycle.table[action]?[record.state] != nil
                && Policy.allows(actor, action == .decideAppeal ? .decideReviewAppeals : .handleBadReviews, on: record.owner)
        }
        let kept = typed ?? Typed(reached: true)
        let page = DetailPage(
            page: PageContext(request: request, title: "差评整改 · \(record.itemName)"), id: id.uuidString, rectification: view,
            review: EvaluationDeskReviews.row(reviewView), reviewID: review.id?.uuidString ?? "", reviewer: reviewer,
            followUp: followUp.map { "评价人对整改结果的评价：\($0.level.chineseName)" + ($0.text.isEmpty ? "" : "（\($0.text)）") },
            events: events.map {
                // The platform's own steps (opening on a bad review) are named as the platform's.
                Event(
                    at: EvaluationDeskPages.shown($0.at), actor: $0.actor.hasPrefix("system:") ? "平台" : $0.actor,
                    stateName: RectificationState(rawValue: $0.toState)?.chineseName ?? $0.toState, summary: $0.summary)
            },
            mayVerify: may(.verify), mayReply: may(.reply), mayReturnVisit: may(.returnVisit), mayDecideAppeal: may(.decideAppeal),
            awaitingAppeal: record.state == .appealed && !may(.decideAppeal),
            kinds: RectificationKind.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == kept.kind) },
            typed: kept, notice: error == nil ? notice(request) : nil, error: error?.message, errors: error?.fieldErrors ?? [])
        return try await EvaluationDeskPages.render(request, "evaluation/desk-rectification", page, error: error)
    }

    /// The reviewer as the actor may see them. Those allowed to reveal reviewers (for the return
    /// visit) see the name and the masked phone, and each look goes on the trail.
    static func reviewer(_ review: ReviewRecord, shown: String?, _ ctx: DomainContext) async throws -> Reviewer? {
        guard let reviewerID = review.reviewerID else { return nil }
        guard Policy.allows(ctx.actor, .revealReviewer, on: review.owner) else { return shown.map { Reviewer(name: $0, phone: nil, revealed: false) } }
        var person: ApplicantRecord?
        if let uuid = UUID(uuidString: reviewerID) { person = try await ApplicantRecord.find(uuid, on: ctx.db) }
        let subjectID = review.id?.uuidString ?? ""
        _ = try await ctx.write { tx in
            try await AuditTrail.append(
                ctx.entry("review.revealReviewer", subjectType: "review", subjectID: subjectID, owner: review.owner, after: reviewerID), on: tx)
        }
        return Reviewer(name: person?.name ?? shown ?? "评价人", phone: person?.phoneMasked, revealed: true)
    }

    @Sendable static func show(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readReviews) { return redirect }
        return try await render(request, try id(request))
    }

    /// A step posted from the page: runs it, then comes back with what happened; a refused step
    /// shows the page again with the message and what was typed.
    @Sendable static func act(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readReviews) { return redirect }
        struct Form: Content {
            var csrf: String?
            var action: String?
            var kind: String?
            var text: String?
            var reached: String?
            var upheld: String?
        }
        let id = try id(request)
        let form: Form
        do { form = try request.content.decode(Form.self) } catch {
            return try await render(request, id, error: .invalid("rectification.form", "表单内容无法识别，请重新填写。"))
        }
        try request.verifyCSRF(form.csrf)
        let reached = EvaluationDeskPages.flag(form.reached)
        let typed = Typed(action: form.action, kind: form.kind, text: form.text, reached: reached ?? true, upheld: form.upheld)
        do {
            let body = RectificationAPIController.TransitionBody(
                action: form.action ?? "", kind: form.kind, text: form.text, reached: reached, upheld: EvaluationDeskPages.flag(form.upheld))
            let command = try RectificationAPIController.command(body)
            _ = try await (try request.domain).run(RectificationStep(), RectificationStep.Command(id: id, step: command))
            return request.redirect(to: "/admin/rectifications/\(id.uuidString)?done=\(command.action.rawValue)")
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, id, typed: typed, error: error)
        }
    }
}
