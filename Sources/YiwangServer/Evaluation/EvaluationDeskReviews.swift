import Fluent
import Foundation
import Vapor
import YiwangCore

/// 好差评 (`/admin/evaluations`): the reviews of the reader's departments and regions, newest
/// first, filtered by level, bad reviews only, or item; each with its rectification.
enum EvaluationDeskReviews {
    struct Row: Encodable {
        var at: String
        var caseID: String?
        var caseNumber: String?
        var itemCode: String
        var itemName: String
        var kindName: String
        var stageName: String?
        var channelName: String
        var level: Int
        var levelName: String
        var isBad: Bool
        var reasons: String?
        var text: String?
        var reviewer: String?
        var rectificationID: String?
        var rectificationStateName: String?
        /// An upheld appeal: kept on the record, left out of the statistics.
        var excluded: Bool
    }

    struct ReviewsPage: Encodable {
        var page: PageContext
        var rows: [Row]
        var total: Int
        var levels: [ChoiceOption]
        var bad: Bool
        var item: String
        var previousPage: String?
        var nextPage: String?
        var error: String?
    }

    struct Filters {
        var level: Int?
        var bad = false
        var item = ""
        var page = 1

        /// The query string of these filters on another page.
        func query(page: Int) -> String {
            var parts = ["page=\(page)"]
            if let level { parts.append("level=\(level)") }
            if bad { parts.append("bad=true") }
            if !item.isEmpty { parts.append("item=" + (item.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
            return "/admin/evaluations?" + parts.joined(separator: "&")
        }
    }

    static let perPage = 50

    static func filters(_ request: Request) throws(DomainError) -> Filters {
        var filters = Filters()
        if let raw = try? request.query.get(String.self, at: "level"), !raw.isEmpty {
            guard let level = Int(raw), ReviewLevel(rawValue: level) != nil else {
                throw DomainError.invalid(
                    "review.level_invalid", "评价等级应为 1（非常不满意）至 5（非常满意）。", fields: [FieldError(field: "level", message: "评价等级无效。")])
            }
            filters.level = level
        }
        filters.bad = EvaluationDeskPages.flag(try? request.query.get(String.self, at: "bad")) == true
        filters.item = String(((try? request.query.get(String.self, at: "item")) ?? "").trimmingCharacters(in: .whitespaces).prefix(40)).uppercased()
        if let raw = try? request.query.get(String.self, at: "page"), !raw.isEmpty {
            guard let page = Int(raw), page >= 1, page <= 100_000 else { throw DomainError.invalid("paging.page", "页码应为1到100000之间的整数。") }
            filters.page = page
        }
        return filters
    }

    @Sendable static func list(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .readReviews) { return redirect }
        _ = request.csrfToken()
        let actor = request.actor
        var filters = Filters()
        var failure: DomainError?
        do { filters = try Self.filters(request) } catch { failure = error }
        var rows: [Row] = []
        var total = 0
        if failure == nil {
            let query = ReviewRecord.query(on: request.db).sort(\.$createdAt, .descending)
            if let level = filters.level { query.filter(\.$levelRaw == level) }
            if filters.bad { query.filter(\.$levelRaw <= 2).filter(\.$subjectKindRaw != ReviewSubjectKind.rectification.rawValue) }
            if !filters.item.isEmpty { query.filter(\.$itemCode == filters.item) }
            query.scoped(actor, .readReviews, department: \.$departmentCode, region: \.$regionCode)
            total = try await query.count()
            let reviews = try await query.offset((filters.page - 1) * perPage).limit(perPage).all()
            rows = try await EvaluationAPIController.views(reviews, for: actor, on: request.db).map(row)
        }
        let page = ReviewsPage(
            page: PageContext(request: request, title: "好差评"), rows: rows, total: total, levels: EvaluationDeskPages.levelOptions(filters.level),
            bad: filters.bad, item: filters.item, previousPage: filters.page > 1 ? filters.query(page: filters.page - 1) : nil,
            nextPage: filters.page * perPage < total ? filters.query(page: filters.page + 1) : nil, error: failure?.message)
        return try await EvaluationDeskPages.render(request, "evaluation/desk-reviews", page, error: failure)
    }

    /// A review as a list row. The reviewer is masked even for those who may reveal them: their
    /// full name is shown (and the look audited) only on the rectification's page.
    static func row(_ view: EvaluationAPIController.ReviewView) -> Row {
        Row(
            at: EvaluationDeskPages.shown(view.at), caseID: view.caseID?.uuidString, caseNumber: view.caseNumber, itemCode: view.itemCode,
            itemName: view.itemName, kindName: view.kindName, stageName: view.stageName, channelName: view.channelName, level: view.level,
            levelName: view.levelName, isBad: view.isBad, reasons: view.reasons.isEmpty ? nil : view.reasons.map(\.text).joined(separator: "；"),
            text: view.text.isEmpty ? nil : view.text,
            reviewer: view.reviewer.map(ReviewRules.maskedReviewer), rectificationID: view.rectificationID?.uuidString,
            rectificationStateName: view.rectificationStateName, excluded: view.rectificationState == RectificationState.appealUpheld.rawValue)
    }
}
