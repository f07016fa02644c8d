import Fluent
import Foundation
import Vapor
import YiwangCore

/// The 好差评 API: rating a case (`/api/v1/cases/{id}/evaluations`), by a link
/// (`/api/v1/evaluation-links/{token}`), on a window's tablet (`/api/v1/hall/windows/{code}/…`),
/// on the phone (`/api/v1/evaluations/phone`); reading reviews; the rectification loop
/// (`/api/v1/rectifications…`); and the published results (`/api/v1/public/evaluations`).
/// A review is never changed: PUT, PATCH and DELETE on one answer 405 whoever asks.
enum EvaluationAPIController {
    struct SubmissionBody: Content {
        var level: Int?
        var answers: [String: Int]?
        var reasons: [String]?
        var text: String?
        /// `web` (default), `mobile` or `qrCode` where the applicant rates themselves.
        var channel: String?

        var submission: ReviewSubmission { ReviewSubmission(level: level, answers: answers ?? [:], reasons: reasons ?? [], text: text) }
    }

    struct ReasonView: Content {
        var code: String
        var text: String
    }

    struct ReviewView: Content {
        var id: UUID
        var kind: String
        var kindName: String
        var caseID: UUID?
        var caseNumber: String?
        var stage: String?
        var stageName: String?
        var visitID: UUID?
        var follows: UUID?
        var itemCode: String
        var itemName: String
        var departmentCode: String
        var regionCode: String
        var channel: String
        var channelName: String
        var channelCode: Int
        var questionSet: String
        var level: Int
        var levelName: String
        var isBad: Bool
        var answers: [String: Int]
        var reasons: [ReasonView]
        var text: String
        /// The reviewer as the policy lets the reader see them (full name only for those allowed).
        var reviewer: String?
        var recordedBy: String?
        var at: Date
        var day: String
        var rectificationID: UUID?
        var rectificationState: String?
        var rectificationStateName: String?
    }

    /// A review as the reader may see it.
    static func view(_ review: ReviewRecord, reviewer: String?, rectification: RectificationRecord?) -> ReviewView {
        ReviewView(
            id: review.id ?? UUID(), kind: review.subjectKindRaw, kindName: review.subjectKind.chineseName, caseID: review.caseID, caseNumber: review.caseNumber,
            stage: review.stageRaw, stageName: review.stage?.chineseName, visitID: review.visitID, follows: review.followsID, itemCode: review.itemCode,
            itemName: review.itemName, departmentCode: review.departmentCode, regionCode: review.regionCode, channel: review.channelRaw,
            channelName: review.channel.chineseName, channelCode: review.channel.code, questionSet: review.questionSet, level: review.levelRaw,
            levelName: review.level.chineseName, isBad: review.level.isBad && review.subjectKind != .rectification, answers: review.answers,
            reasons: review.reasons.map { ReasonView(code: $0.code, text: $0.text) }, text: review.text, reviewer: reviewer, recordedBy: review.recordedBy,
            at: review.createdAt, day: review.day, rectificationID: rectification?.id, rectificationState: rectification?.stateRaw,
            rectificationStateName: rectification?.state.chineseName)
    }

    /// One review's view (the reviewer named as the actor may see them).
    static func view(_ review: ReviewRecord, for actor: Actor, revealing: Bool = false, on db: any Database) async throws -> ReviewView {
        guard let shown = try await views([review], for: actor, revealing: revealing, on: db).first else { throw DomainError.notFound("review.not_found", "未找到该评价。") }
        return shown
    }

    /// Views of reviews with the reviewer named as the actor may see them. Lists show staff the
    /// masked name only; the full name needs `revealing` (one review, the look audited by the caller).
    static func views(_ reviews: [ReviewRecord], for actor: Actor, revealing: Bool = false, on db: any Database) async throws -> [ReviewView] {
        let ids = reviews.compactMap(\.id)
        let rectifications = ids.isEmpty ? [] : try await RectificationRecord.query(on: db).filter(\.$reviewID ~~ ids).all()
        let byReview = Dictionary(rectifications.map { ($0.reviewID, $0) }, uniquingKeysWith: { first, _ in first })
        let reviewerIDs = Set(reviews.compactMap(\.reviewerID)).compactMap(UUID.init(uuidString:))
        let people = reviewerIDs.isEmpty ? [] : try await ApplicantRecord.query(on: db).filter(\.$id ~~ reviewerIDs).all()
        let names = Dictionary(people.compactMap { person in person.id.map { ($0.uuidString, person.name) } }, uniquingKeysWith: { first, _ in first })
        return reviews.map { review in
            view(review, reviewer: reviewerName(review, names: names, for: actor, revealing: revealing), rectification: review.id.flatMap { byReview[$0] })
        }
    }

    /// The reviewer's own name for themselves, and for those who may reveal reviewers when the
    /// look is audited (`revealing`); the surname only for other staff; nothing for the public.
    static func reviewerName(_ review: ReviewRecord, names: [String: String], for actor: Actor, revealing: Bool = false) -> String? {
        guard let id = review.reviewerID else { return nil }
        let name = names[id] ?? "评价人"
        if case .applicant(let applicant) = actor, applicant.principalID == id { return name }
        if revealing && Policy.allows(actor, .revealReviewer, on: review.owner) { return name }
        if Policy.allows(actor, .readReviews, on: review.owner) { return ReviewRules.maskedReviewer(name) }
        return nil
    }

    static func selfChannel(_ raw: String?) throws -> ReviewChannel {
        guard let raw, !raw.isEmpty else { return .web }
        guard let channel = ReviewChannel(rawValue: raw), [.web, .mobile, .qrCode].contains(channel) else {
            throw DomainError.invalid("review.channel_invalid", "评价渠道只能是 web、mobile 或 qrCode。", fields: [FieldError(field: "channel", message: "评价渠道无效。")])
        }
        return channel
    }

    static func uuid(_ request: Request, _ name: String = "id", code: String, message: String) throws -> UUID {
        guard let id = request.parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw DomainError.notFound(code, message) }
        return id
    }

    // MARK: Rating

    @Sendable static func rateCase(_ request: Request) async throws -> Response {
        let id = try uuid(request, code: "case.not_found", message: "未找到该办件。")
        let body = try request.content.decode(SubmissionBody.self)
        let review = try await EvaluationService(try request.domain).rateCase(id, body.submission, channel: try selfChannel(body.channel))
        return try await created(review, request)
    }

    @Sendable static func caseReviews(_ request: Request) async throws -> [ReviewView] {
        let id = try uuid(request, code: "case.not_found", message: "未找到该办件。")
        let ctx = try request.domain
        guard let record = try await CaseRecord.lean(id, on: request.db),
            Policy.allows(ctx.actor, .viewOwnCases, on: .applicant(record.applicantID)) || Policy.allows(ctx.actor, .readReviews, on: record.owner)
        else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        let reviews = try await ReviewRecord.query(on: request.db).filter(\.$caseID == id).sort(\.$createdAt).all()
        return try await views(reviews, for: ctx.actor, on: request.db)
    }

    struct LinkView: Content {
        var caseNumber: String?
        var itemName: String
        var stage: String
        var stageName: String
        var questionSet: QuestionSet
    }

    /// What a link rates (no personal data: the item, the number and the questions).
    @Sendable static func link(_ request: Request) async throws -> LinkView {
        let service = EvaluationService(try request.domain)
        let (invitation, record) = try await service.invitation(request.parameters.get("token") ?? "", on: request.db)
        return LinkView(
            caseNumber: record.number, itemName: record.itemName, stage: invitation.stage.rawValue, stageName: invitation.stage.chineseName,
            questionSet: try service.questionSet(StatisticsRules.isOnline(channel: record.channel) ? .online : .inHall))
    }

    @Sendable static func rateByLink(_ request: Request) async throws -> Response {
        let body = try request.content.decode(SubmissionBody.self)
        let channel: ReviewChannel = body.channel == ReviewChannel.qrCode.rawValue ? .qrCode : .sms
        let review = try await EvaluationService(try request.domain).rateByInvitation(
            token: request.parameters.get("token") ?? "", body.submission, channel: channel)
        return try await created(review, request, reviewerVisible: false)
    }

    struct PhoneBody: Content {
        var caseNumber: String
        var level: Int?
        var answers: [String: Int]?
        var reasons: [String]?
        var text: String?
    }

    @Sendable static func ratePhone(_ request: Request) async throws -> Response {
        let body = try request.content.decode(PhoneBody.self)
        let review = try await EvaluationService(try request.domain).recordPhoneRating(
            caseNumber: body.caseNumber, ReviewSubmission(level: body.level, answers: body.answers ?? [:], reasons: body.reasons ?? [], text: body.text))
        return try await created(review, request)
    }

    struct RectificationRatingBody: Content {
        var level: Int?
        var text: String?
    }

    @Sendable static func rateRectification(_ request: Request) async throws -> Response {
        let id = try uuid(request, code: "review.not_found", message: "未找到该评价。")
        let body = try request.content.decode(RectificationRatingBody.self)
        let review = try await EvaluationService(try request.domain).rateRectification(reviewID: id, level: body.level, text: body.text)
        return try await created(review, request)
    }

    static func created(_ review: ReviewRecord, _ request: Request, reviewerVisible: Bool = true) async throws -> Response {
        let shown = try await view(review, for: reviewerVisible ? request.actor : .anonymous, on: request.db)
        let response = Response(status: .created)
        try response.content.encode(shown)
        if let id = review.id { response.headers.replaceOrAdd(name: .location, value: "/api/v1/evaluations/\(id.uuidString)") }
        return response
    }

    // MARK: Window visits and the tablet

    struct VisitBody: Content {
        var applicantID: String?
        var caseNumbers: [String]?
    }

    struct VisitView: Content {
        var id: UUID
        var window: String
        var windowName: String
        var clerk: String
        var clerkName: String
        var startedAt: Date
        var endedAt: Date?
        var cases: [String]
        var rated: Bool
    }

    static func visitView(_ visit: WindowVisitRecord, window: HallWindowRecord, rated: Bool, numbers: [String] = []) -> VisitView {
        VisitView(
            id: visit.id ?? UUID(), window: window.code, windowName: window.name, clerk: visit.clerk, clerkName: visit.clerkName, startedAt: visit.startedAt,
            endedAt: visit.endedAt, cases: numbers, rated: rated)
    }

    @Sendable static func startVisit(_ request: Request) async throws -> VisitView {
        let body = request.body.data == nil ? VisitBody() : try request.content.decode(VisitBody.self)
        let service = EvaluationService(try request.domain)
        let visit = try await service.startVisit(window: request.parameters.get("code") ?? "", applicantID: body.applicantID, caseNumbers: body.caseNumbers ?? [])
        return visitView(visit, window: try await service.window(visit.windowCode, on: request.db), rated: false)
    }

    @Sendable static func endVisit(_ request: Request) async throws -> VisitView {
        let body = request.body.data == nil ? VisitBody() : try request.content.decode(VisitBody.self)
        let service = EvaluationService(try request.domain)
        let visit = try await service.endVisit(window: request.parameters.get("code") ?? "", caseNumbers: body.caseNumbers ?? [])
        return visitView(visit, window: try await service.window(visit.windowCode, on: request.db), rated: false)
    }

    struct TabletView: Content {
        var window: String
        var windowName: String
        var visit: VisitView?
        var questionSet: QuestionSet
    }

    /// What the window's tablet shows: the clerk and the visit, never the visitor.
    @Sendable static func tablet(_ request: Request) async throws -> TabletView {
        let service = EvaluationService(try request.domain)
        let (window, visit, rated) = try await service.visitToRate(window: request.parameters.get("code") ?? "", on: request.db)
        return TabletView(
            window: window.code, windowName: window.name, visit: visit.map { visitView($0, window: window, rated: rated) },
            questionSet: try service.questionSet(.inHall))
    }

    struct TabletBody: Content {
        var visitID: UUID
        var level: Int?
        var answers: [String: Int]?
        var reasons: [String]?
        var text: String?
    }

    @Sendable static func rateVisit(_ request: Request) async throws -> Response {
        let body = try request.content.decode(TabletBody.self)
        let review = try await EvaluationService(try request.domain).rateVisit(
            window: request.parameters.get("code") ?? "", visitID: body.visitID,
            ReviewSubmission(level: body.level, answers: body.answers ?? [:], reasons: body.reasons ?? [], text: body.text))
        return try await created(review, request, reviewerVisible: false)
    }

    // MARK: Reading reviews (staff)

    struct ReviewPage: Content {
        var total: Int
        var reviews: [ReviewView]
    }

    @Sendable static func search(_ request: Request) async throws -> ReviewPage {
        let ctx = try request.domain
        try Policy.authorizeSomewhere(ctx.actor, .readReviews)
        let query = ReviewRecord.query(on: request.db).sort(\.$createdAt, .descending)
        if let department = request.query[String.self, at: "department"], !department.isEmpty { query.filter(\.$departmentCode == department) }
        if let item = request.query[String.self, at: "item"], !item.isEmpty { query.filter(\.$itemCode == item) }
        if let level = request.query[Int.self, at: "level"] { query.filter(\.$levelRaw == level) }
        if request.query[Bool.self, at: "bad"] == true { query.filter(\.$levelRaw <= 2).filter(\.$subjectKindRaw != ReviewSubjectKind.rectification.rawValue) }
        query.scoped(ctx.actor, .readReviews, department: \.$departmentCode, region: \.$regionCode)
        let total = try await query.count()
        let limit = min(max(request.query[Int.self, at: "limit"] ?? 50, 1), 200)
        let reviews = try await query.limit(limit).all()
        return ReviewPage(total: total, reviews: try await views(reviews, for: ctx.actor, on: request.db))
    }

    @Sendable static func show(_ request: Request) async throws -> ReviewView {
        let id = try uuid(request, code: "review.not_found", message: "未找到该评价。")
        let ctx = try request.domain
        guard let review = try await ReviewRecord.find(id, on: request.db) else { throw DomainError.notFound("review.not_found", "未找到该评价。") }
        let own: Bool = {
            if case .applicant(let applicant) = ctx.actor { return review.reviewerID == applicant.principalID }
            return false
        }()
        guard own || Policy.allows(ctx.actor, .readReviews, on: review.owner) else { throw DomainError.notFound("review.not_found", "未找到该评价。") }
        let revealing = Policy.allows(ctx.actor, .revealReviewer, on: review.owner) && review.reviewerID != nil
        if revealing, let reviewer = review.reviewerID {
            // Who gave a review is personal data: each look by staff is on the trail.
            try await ctx.write { tx in
                try await AuditTrail.append(ctx.entry("review.revealReviewer", subjectType: "review", subjectID: id.uuidString, owner: review.owner, after: reviewer), on: tx)
            }
        }
        return try await view(review, for: ctx.actor, revealing: revealing, on: request.db)
    }

    /// Reviews are append-only: no one may change or remove one. The 405 names what the resource
    /// does allow (RFC 9110 §15.5.6): reading it, as the platform's other 405s do (GET with HEAD).
    @Sendable static func immutable(_ request: Request) async throws -> Response {
        throw DomainError.methodNotAllowed(
            "review.immutable", "评价提交后任何人都不能修改、隐藏或删除。补评或对整改的评价请提交新的评价。", allowed: ["GET", "HEAD"])
    }
}
