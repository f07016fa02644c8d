import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/api/v1/rectifications…`: the bad reviews a department must put right, and their steps.
enum RectificationAPIController {
    struct EventView: Content {
        var at: Date
        var actor: String
        var action: String
        var from: String
        var to: String
        var toName: String
        var summary: String
    }

    struct RectificationView: Content {
        var id: UUID
        var reviewID: UUID
        var caseID: UUID?
        var itemCode: String
        var itemName: String
        var departmentCode: String
        var regionCode: String
        var state: String
        var stateName: String
        var kind: String?
        var kindName: String?
        var deadline: String
        var urgency: String
        var urgencyName: String
        var finding: String?
        var reply: String?
        var visitResult: String?
        var visitReached: Bool?
        var appealDecision: String?
        var closedOn: String?
        var onTime: Bool?
        var review: EvaluationAPIController.ReviewView?
        var events: [EventView]?
    }

    static func view(_ record: RectificationRecord, urgency: CaseUrgency, review: EvaluationAPIController.ReviewView? = nil, events: [RectificationEventRecord]? = nil) -> RectificationView {
        RectificationView(
            id: record.id ?? UUID(), reviewID: record.reviewID, caseID: record.caseID, itemCode: record.itemCode, itemName: record.itemName,
            departmentCode: record.departmentCode, regionCode: record.regionCode, state: record.stateRaw, stateName: record.state.chineseName,
            kind: record.kindRaw, kindName: record.kind?.chineseName, deadline: record.deadline, urgency: urgency.rawValue, urgencyName: urgency.chineseName,
            finding: record.finding, reply: record.reply, visitResult: record.visitResult, visitReached: record.visitReached,
            appealDecision: record.appealDecision, closedOn: record.closedOn, onTime: record.onTime, review: review,
            events: events?.map {
                EventView(
                    at: $0.at, actor: $0.actor, action: $0.action, from: $0.fromState, to: $0.toState,
                    toName: RectificationState(rawValue: $0.toState)?.chineseName ?? $0.toState, summary: $0.summary)
            })
    }

    @Sendable static func list(_ request: Request) async throws -> [RectificationView] {
        let ctx = try request.domain
        var state: RectificationState?
        if let raw = request.query[String.self, at: "state"], !raw.isEmpty {
            guard let parsed = RectificationState(rawValue: raw) else {
                throw DomainError.invalid("rectification.state_invalid", "整改状态无效。", fields: [FieldError(field: "state", message: "整改状态无效。")])
            }
            state = parsed
        }
        let records = try await RectificationService(ctx).list(state: state, overdueOnly: request.query[Bool.self, at: "overdue"] == true)
        let calendar = try await ctx.calendar()
        return records.map { view($0, urgency: $0.urgency(today: ctx.today, warnWithin: ctx.settings.deadlineWarningDays, calendar: calendar)) }
    }

    @Sendable static func show(_ request: Request) async throws -> RectificationView {
        let ctx = try request.domain
        let id = try EvaluationAPIController.uuid(request, code: "rectification.not_found", message: "未找到该差评整改。")
        let (record, review, events) = try await RectificationService(ctx).find(id)
        let calendar = try await ctx.calendar()
        return view(
            record, urgency: record.urgency(today: ctx.today, warnWithin: ctx.settings.deadlineWarningDays, calendar: calendar),
            review: try await EvaluationAPIController.views([review], for: ctx.actor, on: request.db).first, events: events)
    }

    struct TransitionBody: Content {
        var action: String
        var kind: String?
        var text: String?
        /// Return visit: the reviewer was reached (default true).
        var reached: Bool?
        /// Appeal: upheld or not.
        var upheld: Bool?
    }

    static func command(_ body: TransitionBody) throws -> RectificationCommand {
        guard let action = RectificationAction(rawValue: body.action) else {
            throw DomainError.invalid(
                "rectification.action_invalid", "操作只能是 verify、reply、returnVisit 或 decideAppeal。", fields: [FieldError(field: "action", message: "操作无效。")])
        }
        var kind: RectificationKind?
        if let raw = body.kind, !raw.isEmpty {
            guard let parsed = RectificationKind(rawValue: raw) else {
                throw DomainError.invalid(
                    "rectification.kind_invalid", "处理方式只能是 immediate、scheduled、explanation、appealMistaken 或 appealMalicious。",
                    fields: [FieldError(field: "kind", message: "处理方式无效。")])
            }
            kind = parsed
        }
        return RectificationCommand(action: action, kind: kind, text: body.text, flag: action == .decideAppeal ? body.upheld : body.reached)
    }

    @Sendable static func transition(_ request: Request) async throws -> RectificationView {
        let ctx = try request.domain
        let id = try EvaluationAPIController.uuid(request, code: "rectification.not_found", message: "未找到该差评整改。")
        let body = try request.content.decode(TransitionBody.self)
        _ = try await ctx.run(RectificationStep(), RectificationStep.Command(id: id, step: try command(body)))
        return try await show(request)
    }
}
