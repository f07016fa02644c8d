import Fluent
import Foundation
import Vapor
import YiwangCore

/// 好差评 on the applicant's case page (`/me/cases/{id}`): the case's reviews with the handling
/// of a bad one, the form for the stage still open to rate (一事一评), and the reviewer's rating
/// of a completed rectification.
extension EvaluationPages {
    /// A refused form of the case page, to be shown again with what was typed and the messages.
    struct CaseAttempt: Sendable {
        var input: ReviewInput?
        /// The review whose rectification was being rated.
        var rectificationOf: UUID?
        var rectificationLevel: Int?
        var rectificationText: String?
        var error: DomainError
    }

    struct CaseSection: Encodable {
        struct Entry: Encodable {
            var id: String
            var kindName: String
            var stageName: String?
            var level: Int
            var levelName: String
            var stars: String
            var channelName: String
            var reasons: [String]
            var text: String
            var at: String
            var isBad: Bool
            var rectification: Rectification?
        }

        struct Rectification: Encodable {
            var stateName: String
            var deadline: String
            var kindName: String?
            var reply: String?
            var visitResult: String?
            /// The reviewer's rating of the rectification, once given (满意 / 基本满意 / 不满意).
            var rating: String?
            var ratingText: String?
            var form: RatingForm?
        }

        /// The reviewer rates a completed rectification.
        struct RatingForm: Encodable {
            var id: String
            var action: String
            var options: [ReviewForm.Option]
            var text: String
            var error: String?
        }

        var reviews: [Entry]
        var stageName: String?
        var form: ReviewForm?
        var note: String?
        var error: String?
    }

    /// The section for the applicant's case page, or nil when there is nothing yet to rate or
    /// show (a draft, a case not yet accepted).
    static func caseSection(_ request: Request, _ record: CaseRecord, attempt: CaseAttempt? = nil) async throws -> CaseSection? {
        guard let caseID = record.id else { return nil }
        let ctx = try request.domain
        let all = try await ReviewRecord.query(on: request.db).filter(\.$caseID == caseID).sort(\.$createdAt).all()
        let reviews = all.filter { $0.subjectKind != .rectification }
        // The reviewer's ratings of rectifications, by the review each follows.
        let ratings = Dictionary(
            all.filter { $0.subjectKind == .rectification }.compactMap { rating in rating.followsID.map { ($0, rating) } },
            uniquingKeysWith: { first, _ in first })
        let ids = reviews.compactMap(\.id)
        let rectifications = ids.isEmpty ? [] : try await RectificationRecord.query(on: request.db).filter(\.$reviewID ~~ ids).all()
        let byReview = Dictionary(rectifications.map { ($0.reviewID, $0) }, uniquingKeysWith: { first, _ in first })

        let rated = Set(reviews.filter { $0.subjectKind == .caseStage }.compactMap(\.stage))
        var stage: ReviewStage?
        var note: String?
        switch Result(catching: { () throws(DomainError) in try ReviewRules.checkStage(record.state, rated: rated) }) {
        case .success(let open): stage = open
        case .failure(let refusal): note = ReviewStage.of(record.state) == nil ? nil : refusal.message
        }
        guard !reviews.isEmpty || stage != nil else { return nil }

        let mayRate = Policy.allows(ctx.actor, .evaluateService, on: .applicant(record.applicantID))
        var form: ReviewForm?
        if mayRate, let stage, let set = try? EvaluationService(ctx).questionSet(StatisticsRules.isOnline(channel: record.channel) ? .online : .inHall) {
            let shown = attempt?.input != nil
            form = ReviewForm(
                set: set, action: "/me/cases/\(caseID.uuidString)/evaluations", id: "review", input: attempt?.input, error: shown ? attempt?.error : nil,
                submitLabel: "提交\(stage.chineseName)评价")
        }

        var attemptShown = attempt?.input != nil && form != nil
        let entries = reviews.map { review -> CaseSection.Entry in
            let reviewID = review.id ?? UUID()
            var handling: CaseSection.Rectification?
            if let rectification = byReview[reviewID] {
                let rating = ratings[reviewID]
                var ratingForm: CaseSection.RatingForm?
                if rectification.state == .completed, rating == nil, let reviewer = review.reviewerID,
                    Policy.allows(ctx.actor, .evaluateService, on: .applicant(reviewer))
                {
                    let mine = attempt?.rectificationOf == reviewID ? attempt : nil
                    if mine != nil { attemptShown = true }
                    ratingForm = CaseSection.RatingForm(
                        id: "rectification-" + reviewID.uuidString,
                        action: "/me/cases/\(caseID.uuidString)/evaluations/\(reviewID.uuidString)/rectification-rating",
                        options: ReviewLevel.rectificationAnswers.map {
                            ReviewForm.Option(value: String($0.rawValue), label: $0.chineseName, selected: mine?.rectificationLevel == $0.rawValue)
                        },
                        text: mine?.rectificationText ?? "", error: mine?.error.message)
                }
                handling = CaseSection.Rectification(
                    stateName: rectification.state.chineseName, deadline: rectification.deadline, kindName: rectification.kind?.chineseName,
                    reply: rectification.reply, visitResult: rectification.visitResult, rating: rating?.level.chineseName,
                    ratingText: rating.flatMap { $0.text.isEmpty ? nil : $0.text }, form: ratingForm)
            }
            return CaseSection.Entry(
                id: reviewID.uuidString, kindName: review.subjectKind.chineseName, stageName: review.stage?.chineseName, level: review.levelRaw,
                levelName: review.level.chineseName, stars: stars(review.level), channelName: review.channel.chineseName, reasons: review.reasons.map(\.text),
                text: review.text, at: ChineseDateTag.format(review.createdAt), isBad: review.level.isBad, rectification: handling)
        }
        return CaseSection(
            reviews: entries, stageName: form == nil ? nil : stage?.chineseName, form: form,
            note: mayRate && note != attempt?.error.message ? note : nil, error: attemptShown ? nil : attempt?.error.message)
    }

    /// What the case page says after a rating (`?rated=`, `?rectificationRated=`).
    static func notice(_ request: Request) -> String? {
        if let stage = (try? request.query.get(String.self, at: "rated")).flatMap(ReviewStage.init(rawValue:)) {
            let bad = (try? request.query.get(String.self, at: "bad")) == "1"
            return "感谢您对\(stage.chineseName)的评价。评价已提交，任何人都不能修改。"
                + (bad ? "您的差评已转交办理部门，将在规定期限内核实整改并回访您，处理情况会显示在本页。" : "")
        }
        if (try? request.query.get(String.self, at: "rectificationRated")) != nil { return "感谢您对整改结果的评价。" }
        return nil
    }

    // MARK: Forms of the case page

    /// `POST /me/cases/{id}/evaluations`: the applicant rates the stage open to rate (channel PC端).
    @Sendable static func rateCase(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let id = try CasePages.caseID(request)
        let ctx = try request.domain
        let set: QuestionSet
        if let record = try await CaseRecord.lean(id, on: request.db), Policy.allows(ctx.actor, .viewOwnCases, on: .applicant(record.applicantID)) {
            set = try EvaluationService(ctx).questionSet(StatisticsRules.isOnline(channel: record.channel) ? .online : .inHall)
        } else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        let input = ReviewInput(posted, set: set)
        do {
            let review = try await EvaluationService(ctx).rateCase(id, input.submission, channel: .web)
            return request.redirect(to: "/me/cases/\(id.uuidString)?rated=\(review.stageRaw ?? "")" + (review.level.isBad ? "&bad=1" : ""))
        } catch let error as DomainError where error.kind != .notFound {
            let response = try await CasePages.render(request, id, staff: false, evaluation: CaseAttempt(input: input, error: error))
            return respond(response, error: error)
        }
    }

    /// `POST /me/cases/{id}/evaluations/{review}/rectification-rating`: the reviewer rates how a
    /// bad review was put right (a new record linked to it).
    @Sendable static func rateRectification(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin") }
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let id = try CasePages.caseID(request)
        let reviewID = try EvaluationAPIController.uuid(request, "review", code: "review.not_found", message: "未找到该评价。")
        let level = posted["level"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        do {
            _ = try await EvaluationService(try request.domain).rateRectification(reviewID: reviewID, level: level, text: posted["text"])
            return request.redirect(to: "/me/cases/\(id.uuidString)?rectificationRated=1")
        } catch let error as DomainError where error.kind != .notFound {
            let attempt = CaseAttempt(rectificationOf: reviewID, rectificationLevel: level, rectificationText: posted["text"], error: error)
            let response = try await CasePages.render(request, id, staff: false, evaluation: attempt)
            return respond(response, error: error)
        }
    }
}
