import Foundation
import Vapor
import YiwangCore

/// The published results of 好差评 (评价结果公开): every department with reviews over the last
/// year (`/evaluations`), and per department or item the counts by level, the figures and the
/// latest reviews with their texts masked and the outcome of their rectification. Nobody is named.
extension EvaluationPages {
    struct Figures: Encodable {
        var reviews: Int
        var badReviews: Int
        var excludedReviews: Int
        var satisfactionIndex: String
        var badReviewShare: String
        var rectifiedOnTimeShare: String

        init(_ figures: Indicators) {
            reviews = figures.reviews
            badReviews = figures.badReviews
            excludedReviews = figures.excludedReviews
            satisfactionIndex = EvaluationPages.index(figures.satisfactionIndex)
            badReviewShare = EvaluationPages.percent(figures.badReviewShare)
            rectifiedOnTimeShare = EvaluationPages.percent(figures.rectifiedOnTimeShare)
        }
    }

    struct SubjectRow: Encodable {
        var code: String
        var name: String
        /// Whether the row has a results page (a window's own service has none of its own).
        var linked: Bool
        var figures: Figures
    }

    struct OverviewPage: Encodable {
        var page: PageContext
        var from: String
        var to: String
        var total: Figures
        var rows: [SubjectRow]
    }

    /// One level's bar: the count written beside it, the share in words, never colour alone.
    struct LevelBar: Encodable {
        var level: Int
        var name: String
        var stars: String
        var count: Int
        var share: String
    }

    struct SubjectPage: Encodable {
        var page: PageContext
        var kindName: String
        var code: String
        var name: String
        var catalogLink: String
        var from: String
        var to: String
        var figures: Figures
        var levels: [LevelBar]
        var levelTotal: Int
        var items: [SubjectRow]
        var reviews: [PublishedEvaluations.PublishedReview]
    }

    /// The year to today, as the statistics read it.
    static func lastYear(_ ctx: DomainContext) -> (from: String, to: String) {
        (LocalDate(dayNumber: ctx.today.dayNumber - 364).description, ctx.today.description)
    }

    /// Groups of a report that have reviews (counted or excluded by an upheld appeal).
    static func rated(_ groups: [StatisticsService.Group], linked: (String) -> Bool) -> [SubjectRow] {
        groups.filter { $0.indicators.reviews + $0.indicators.excludedReviews > 0 }
            .sorted { ($0.indicators.reviews, $1.key) > ($1.indicators.reviews, $0.key) }
            .map { SubjectRow(code: $0.key, name: $0.name, linked: linked($0.key), figures: Figures($0.indicators)) }
    }

    /// `GET /evaluations`: every department with reviews in the last year.
    @Sendable static func overview(_ request: Request) async throws -> Response {
        let ctx = try request.domain
        let statistics = StatisticsService(ctx)
        let year = lastYear(ctx)
        let report = try await statistics.report(
            try statistics.query(from: year.from, to: year.to, groupBy: StatisticsGrouping.department.rawValue, department: nil, region: nil, item: nil))
        let page = OverviewPage(
            page: PageContext(request: request, title: "好差评结果公开"), from: report.from, to: report.to, total: Figures(report.total),
            rows: rated(report.groups) { _ in true })
        return try await request.view.render("evaluation/results", page).encodeResponse(for: request)
    }

    @Sendable static func departmentResults(_ request: Request) async throws -> Response {
        try await subject(request, department: request.parameters.get("code") ?? "", item: nil)
    }

    @Sendable static func itemResults(_ request: Request) async throws -> Response {
        try await subject(request, department: nil, item: request.parameters.get("code") ?? "")
    }

    /// A department's or an item's results, over the last year unless `from`/`to` say otherwise.
    static func subject(_ request: Request, department: String?, item: String?) async throws -> Response {
        let ctx = try request.domain
        let results = try await PublishedEvaluations(ctx).results(
            department: department, item: item, from: request.query[String.self, at: "from"], to: request.query[String.self, at: "to"])
        var items: [SubjectRow] = []
        if department != nil {
            let statistics = StatisticsService(ctx)
            let report = try await statistics.report(
                try statistics.query(
                    from: results.from, to: results.to, groupBy: StatisticsGrouping.item.rawValue, department: results.subject, region: nil, item: nil))
            // A window's own service (`window:A01`) is counted under the department, not as an item.
            items = rated(report.groups) { !$0.hasPrefix("window:") }
        }
        let total = results.levels.reduce(0) { $0 + $1.count }
        let levels = results.levels.map { count in
            LevelBar(
                level: count.level, name: count.name, stars: ReviewLevel(rawValue: count.level).map(stars) ?? "", count: count.count,
                share: total == 0 ? "—" : percent(Double(count.count) / Double(total)))
        }
        let kindName = department != nil ? "实施机构" : "政务服务事项"
        let page = SubjectPage(
            page: PageContext(request: request, title: results.subjectName + " · 好差评"), kindName: kindName, code: results.subject,
            name: results.subjectName, catalogLink: (department != nil ? "/departments/" : "/items/") + results.subject, from: results.from, to: results.to,
            figures: Figures(results.figures), levels: levels, levelTotal: total, items: items, reviews: results.reviews)
        return try await request.view.render("evaluation/subject", page).encodeResponse(for: request)
    }
}
