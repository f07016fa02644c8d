import Fluent
import Foundation
import Vapor
import YiwangCore

/// The published results of 好差评 (评价结果公开): for a department or an item, the counts by
/// level, the satisfaction figures, the share of bad reviews put right on time, and the latest
/// reviews with their texts masked and the outcome of their rectification. Nobody is named.
struct PublishedEvaluations {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    struct PublishedReview: Content {
        var day: String
        var itemName: String
        var kindName: String
        var channelName: String
        var level: Int
        var levelName: String
        /// ★★★☆☆, beside the level's name.
        var stars: String
        var isBad: Bool
        var reasons: [String]
        var text: String
        var outcome: String?
    }

    struct Results: Content {
        var subject: String
        var subjectName: String
        var from: String
        var to: String
        var figures: Indicators
        var levels: [LevelCount]
        var reviews: [PublishedReview]
    }

    struct LevelCount: Content {
        var level: Int
        var name: String
        var count: Int
    }

    /// `department` or `item` (exactly one), over the last 12 months unless told.
    func results(department: String?, item: String?, from: String?, to: String?) async throws -> Results {
        let statistics = StatisticsService(ctx)
        let end = to ?? ctx.today.description
        let start = from ?? LocalDate(dayNumber: ((try? LocalDate(end)) ?? ctx.today).dayNumber - 364).description
        let query = try statistics.query(from: start, to: end, groupBy: nil, department: department, region: nil, item: item)
        let (code, name): (String, String)
        if let department = query.filter.departmentCode {
            guard let record = try await DepartmentRecord.query(on: ctx.db).filter(\.$creditCode == department).first() else {
                throw DomainError.notFound("department.not_found", "未找到该部门。")
            }
            (code, name) = (department, record.name)
        } else if let item = query.filter.itemCode {
            guard let record = try await ItemRecord.query(on: ctx.db).filter(\.$implementationCode == item).first(), record.publishedVersionID != nil else {
                throw DomainError.notFound("catalog.item_not_found", "未找到该事项。")
            }
            (code, name) = (item, record.name)
        } else {
            throw DomainError.invalid("evaluation.subject_required", "请指定部门或事项。", fields: [FieldError(field: "department", message: "请指定部门或事项。")])
        }
        let report = try await statistics.report(query)
        let reviewQuery = ReviewRecord.query(on: ctx.db).filter(\.$subjectKindRaw != ReviewSubjectKind.rectification.rawValue)
            .filter(\.$day >= query.period.from.description).filter(\.$day <= query.period.to.description).sort(\.$createdAt, .descending).limit(30)
        if let department = query.filter.departmentCode { reviewQuery.filter(\.$departmentCode == department) }
        if let item = query.filter.itemCode { reviewQuery.filter(\.$itemCode == item) }
        let reviews = try await reviewQuery.all()
        let ids = reviews.compactMap(\.id)
        let rectifications = ids.isEmpty ? [] : try await RectificationRecord.query(on: ctx.db).filter(\.$reviewID ~~ ids).all()
        let outcome = Dictionary(rectifications.map { ($0.reviewID, $0) }, uniquingKeysWith: { first, _ in first })
        return Results(
            subject: code, subjectName: name, from: report.from, to: report.to, figures: report.total,
            levels: ReviewLevel.descending.map { LevelCount(level: $0.rawValue, name: $0.chineseName, count: report.total.reviewsByLevel[$0.rawValue - 1]) },
            reviews: reviews.map { review in
                PublishedReview(
                    day: review.day, itemName: review.itemName, kindName: review.subjectKind.chineseName, channelName: review.channel.chineseName,
                    level: review.levelRaw, levelName: review.level.chineseName, stars: EvaluationPages.stars(review.level), isBad: review.level.isBad, reasons: review.reasons.map(\.text),
                    text: ReviewRules.publishedText(review.text),
                    outcome: review.id.flatMap { outcome[$0] }.map(Self.outcome))
            })
    }

    /// How a rectification reads in public: its state, how it was classified, and whether on time.
    static func outcome(_ record: RectificationRecord) -> String {
        switch record.state {
        case .completed: "已整改办结（\(record.kind?.chineseName ?? "整改")，\(record.onTime == true ? "按期" : "逾期")）"
        case .appealUpheld: "经申诉复核为\(record.kind == .appealMalicious ? "恶意差评" : "误评")，不计入统计"
        default: "整改中（期限 \(record.deadline)）"
        }
    }
}
