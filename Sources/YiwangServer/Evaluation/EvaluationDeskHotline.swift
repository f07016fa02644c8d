import Fluent
import Foundation
import Vapor
import YiwangCore

/// 热线评价 (`/admin/evaluations/phone`): the 12345 operator finds the case by its 受理编号, then
/// writes down the rating the applicant gives on the phone (channel 电话). The reasons offered are
/// those of the case's question set (online or in the hall).
enum EvaluationDeskHotline {
    struct CaseSummary: Encodable {
        var number: String
        var itemName: String
        var stateName: String
        /// The stage the rating will be for, or why the case cannot be rated now.
        var stage: String?
        var refusal: String?
    }

    struct Recorded: Encodable {
        var caseNumber: String
        var levelName: String
        var rectification: String?
    }

    struct PhonePage: Encodable {
        var page: PageContext
        var caseNumber: String
        var found: CaseSummary?
        var questionSetTitle: String?
        var levels: [ChoiceOption]
        var reasons: [ChoiceOption]
        var text: String
        var recorded: Recorded?
        var error: String?
        var errors: [FieldError]
    }

    struct Typed {
        var caseNumber = ""
        var level: Int?
        var reasons: [String] = []
        var text = ""
    }

    /// The case with this number, if the operator may record a rating of it.
    static func findCase(_ number: String, _ request: Request) async throws -> CaseRecord {
        let trimmed = String(number.trimmingCharacters(in: .whitespacesAndNewlines).prefix(40))
        guard !trimmed.isEmpty else {
            throw DomainError.invalid("case.number_required", "请输入受理编号。", fields: [FieldError(field: "caseNumber", message: "请输入受理编号。")])
        }
        guard let record = try await CaseRecord.query(on: request.db).filter(\.$number == trimmed).first(),
            Policy.allows(request.actor, .recordPhoneReviews, on: record.owner)
        else { throw DomainError.notFound("case.not_found", "未找到受理编号为 \(trimmed) 的办件。") }
        return record
    }

    static func render(_ request: Request, typed: Typed = Typed(), recorded: Recorded? = nil, error: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        var found: CaseSummary?
        var set: QuestionSet?
        var shownError = error
        if !typed.caseNumber.isEmpty {
            do {
                let record = try await findCase(typed.caseNumber, request)
                let rated = try await ReviewRecord.query(on: request.db).filter(\.$caseID == record.id)
                    .filter(\.$subjectKindRaw == ReviewSubjectKind.caseStage.rawValue).all().compactMap(\.stage)
                var summary = CaseSummary(number: record.number ?? typed.caseNumber, itemName: record.itemName, stateName: record.state.chineseName)
                do {
                    summary.stage = try ReviewRules.checkStage(record.state, rated: Set(rated)).chineseName
                } catch {
                    summary.refusal = error.message
                }
                found = summary
                set = try EvaluationService(try request.domain).questionSet(StatisticsRules.isOnline(channel: record.channel) ? .online : .inHall)
            } catch let lookup as DomainError {
                // The step's own error comes first; the look-up's is shown when there is none.
                if shownError == nil { shownError = lookup }
            }
        }
        let chosen = Set(typed.reasons)
        let page = PhonePage(
            page: PageContext(request: request, title: "热线评价"), caseNumber: typed.caseNumber, found: found, questionSetTitle: set?.title,
            levels: EvaluationDeskPages.levelOptions(typed.level),
            reasons: (set?.badReasons ?? []).map { ChoiceOption(value: $0.code, label: $0.text, selected: chosen.contains($0.code)) },
            text: typed.text, recorded: recorded, error: shownError?.message, errors: shownError?.fieldErrors ?? [])
        return try await EvaluationDeskPages.render(request, "evaluation/desk-phone", page, error: shownError)
    }

    /// `GET /admin/evaluations/phone[?caseNumber=]`: the look-up, then the rating form.
    @Sendable static func page(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .recordPhoneReviews) { return redirect }
        let number = (try? request.query.get(String.self, at: "caseNumber")) ?? ""
        // The flash after a rating is stored (post, then redirect here).
        var recorded: Recorded?
        if let done = try? request.query.get(String.self, at: "recorded"), !done.isEmpty,
            let level = (try? request.query.get(Int.self, at: "level")).flatMap(ReviewLevel.init(rawValue:))
        {
            recorded = Recorded(
                caseNumber: String(done.prefix(40)), levelName: level.chineseName,
                rectification: level.isBad
                    ? "差评已转办理部门核实整改，须在\(request.application.settings.rectificationWorkingDays)个工作日内办结并回访。" : nil)
        }
        return try await render(request, typed: Typed(caseNumber: String(number.trimmingCharacters(in: .whitespaces).prefix(40))), recorded: recorded)
    }

    @Sendable static func record(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .recordPhoneReviews) { return redirect }
        struct Form: Content {
            var csrf: String?
            var caseNumber: String?
            var level: String?
            var reasons: [String]?
            var text: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let typed = Typed(
            caseNumber: String((form.caseNumber ?? "").trimmingCharacters(in: .whitespaces).prefix(40)), level: form.level.flatMap { Int($0) },
            reasons: form.reasons ?? [], text: form.text ?? "")
        do {
            let review = try await EvaluationService(try request.domain).recordPhoneRating(
                caseNumber: typed.caseNumber, ReviewSubmission(level: typed.level, reasons: typed.reasons, text: typed.text))
            let number = (review.caseNumber ?? typed.caseNumber).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return request.redirect(to: "/admin/evaluations/phone?recorded=\(number)&level=\(review.levelRaw)")
        } catch let error as DomainError {
            return try await render(request, typed: typed, error: error)
        }
    }
}
