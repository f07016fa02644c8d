import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import YiwangCore

/// The published figures (大数据分析展示): the indicators of Core's `Indicators` over a period,
/// by department, item, channel, region or day, read from the summary tables and the catalog.
/// Public: the results of government service are published.
struct StatisticsService {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    struct Query: Sendable, Equatable {
        var period: StatisticsPeriod
        var grouping: StatisticsGrouping
        var filter: StatisticsLedger.Filter
    }

    struct Group: Content {
        var key: String
        var name: String
        var indicators: Indicators
    }

    struct Report: Content {
        var from: String
        var to: String
        var groupBy: String
        var department: String?
        var region: String?
        var item: String?
        var total: Indicators
        var groups: [Group]
    }

    /// Reads `from`, `to` (default: the 30 days to today), `groupBy`, `department`, `region`, `item`.
    func query(from: String?, to: String?, groupBy: String?, department: String?, region: String?, item: String?) throws -> Query {
        func date(_ text: String?, _ field: String, default fallback: LocalDate) throws -> LocalDate {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return fallback }
            do { return try LocalDate(text) } catch {
                throw DomainError.invalid("statistics.date_invalid", "日期格式应为 YYYY-MM-DD。", fields: [FieldError(field: field, message: "日期格式应为 YYYY-MM-DD。")])
            }
        }
        let end = try date(to, "to", default: ctx.today)
        let start = try date(from, "from", default: LocalDate(dayNumber: end.dayNumber - 29))
        let period = try StatisticsPeriod(from: start, to: end)
        let rawGrouping = groupBy?.trimmingCharacters(in: .whitespaces) ?? ""
        guard let grouping = rawGrouping.isEmpty ? .total : StatisticsGrouping(rawValue: rawGrouping) else {
            throw DomainError.invalid(
                "statistics.group_invalid", "groupBy 只能是 department、item、channel、region 或 day。",
                fields: [FieldError(field: "groupBy", message: "分组方式无效。")])
        }
        if grouping == .day && period.days > StatisticsGrouping.longestDaily {
            throw DomainError.invalid(
                "statistics.period_too_long", "按日统计的区间最长 \(StatisticsGrouping.longestDaily) 天。", fields: [FieldError(field: "to", message: "按日统计的区间最长一年。")])
        }
        var filter = StatisticsLedger.Filter()
        if let department = department?.trimmingCharacters(in: .whitespaces), !department.isEmpty {
            guard department.count <= 18 else { throw DomainError.invalid("statistics.department_invalid", "部门代码无效。") }
            filter.departmentCode = department.uppercased()
        }
        if let region = region?.trimmingCharacters(in: .whitespaces), !region.isEmpty {
            do { filter.region = try RegionCode(region) } catch {
                throw DomainError.invalid("statistics.region_invalid", "行政区划代码无效。", fields: [FieldError(field: "region", message: "行政区划代码无效。")])
            }
        }
        if let item = item?.trimmingCharacters(in: .whitespaces), !item.isEmpty {
            guard item.count <= 40 else { throw DomainError.invalid("statistics.item_invalid", "事项编码无效。") }
            filter.itemCode = item
        }
        return Query(period: period, grouping: grouping, filter: filter)
    }

    func report(_ query: Query) async throws -> Report {
        let groups = try await StatisticsLedger.sums(query.period, by: query.grouping, filter: query.filter, on: ctx.db)
        let catalog = try await CatalogFigures.shared(ctx.app).items(on: ctx.db, now: ctx.now).filter { query.filter.admits($0) }
        let names = try await names(for: query.grouping, keys: Array(groups.keys))
        var total = Tally()
        var rows: [Group] = []
        for (key, entry) in groups {
            total += entry.tally
            let items = catalogTally(catalog, grouping: query.grouping, key: key)
            rows.append(Group(key: key, name: names[key] ?? entry.name, indicators: Indicators(entry.tally, catalog: items)))
        }
        rows.sort { query.grouping == .day ? $0.key < $1.key : ($0.indicators.applications, $0.key) > ($1.indicators.applications, $1.key) }
        return Report(
            from: query.period.from.description, to: query.period.to.description, groupBy: query.grouping.rawValue, department: query.filter.departmentCode,
            region: query.filter.region?.value, item: query.filter.itemCode,
            total: Indicators(total, catalog: CatalogFigures.tally(catalog)), groups: query.grouping == .total ? [] : rows)
    }

    private func catalogTally(_ items: [CatalogFigures.Item], grouping: StatisticsGrouping, key: String) -> CatalogTally? {
        switch grouping {
        case .department: CatalogFigures.tally(items.filter { $0.departmentCode == key })
        case .item: CatalogFigures.tally(items.filter { $0.code == key })
        case .region: CatalogFigures.tally(items.filter { $0.regionCode == key })
        case .total, .channel, .day: nil
        }
    }

    /// The names a group is shown by: departments, regions and channels in Chinese.
    private func names(for grouping: StatisticsGrouping, keys: [String]) async throws -> [String: String] {
        switch grouping {
        case .department: try await DepartmentRecord.names(keys, on: ctx.db)
        case .region: try await RegionRecord.names(keys, on: ctx.db)
        case .channel: Dictionary(keys.map { ($0, AuditVocabulary.channel($0)) }, uniquingKeysWith: { first, _ in first })
        case .total, .item, .day: [:]
        }
    }

    /// The report as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese headers).
    static func csv(_ report: Report) -> String {
        let header = [
            "分组", "名称", "申报量", "受理量", "作出决定", "送达办结", "网上可办率", "全程网办率", "按时办结率", "平均跑动次数", "零跑动事项占比", "最多跑一次事项占比",
            "材料精简率", "免交材料数", "评价数", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "差评数", "差评率", "满意度指数", "差评按期整改率", "申诉成立不计入",
        ]
        func rate(_ value: Double?) -> String { FigureText.percent(value, places: 2, absent: "") }
        func number(_ value: Double?) -> String { value.map { FigureText.fixed($0, places: 2) } ?? "" }
        func line(_ key: String, _ name: String, _ figures: Indicators) -> [String] {
            let levels = ReviewLevel.descending.map { String(figures.reviewsByLevel[$0.rawValue - 1]) }
            return [key, name, String(figures.applications), String(figures.accepted), String(figures.decided), String(figures.concluded)]
                + [rate(figures.onlineApplicableRate), rate(figures.fullyOnlineRate), rate(figures.onTimeRate), number(figures.averageVisits)]
                + [rate(figures.zeroVisitItemShare), rate(figures.atMostOneVisitItemShare), rate(figures.materialReduction), String(figures.materialsSpared)]
                + [String(figures.reviews)] + levels
                + [String(figures.badReviews), rate(figures.badReviewShare), number(figures.satisfactionIndex), rate(figures.rectifiedOnTimeShare), String(figures.excludedReviews)]
        }
        var rows = [header]
        for group in report.groups { rows.append(line(group.key, group.name, group.indicators)) }
        rows.append(line("合计", "\(report.from) 至 \(report.to)", report.total))
        return "\u{FEFF}" + CSV.encode(rows)
    }
}

extension StatisticsLedger.Filter {
    func admits(_ item: CatalogFigures.Item) -> Bool {
        if let departmentCode, item.departmentCode != departmentCode { return false }
        if let itemCode, item.code != itemCode { return false }
        if let region, !region.subtreePrefix.isEmpty, !item.regionCode.hasPrefix(region.subtreePrefix) { return false }
        return true
    }
}

/// The published catalog as the item rates need it (online or not, visits), re-read at most
/// once a minute: a published change shows in the figures within that minute.
final class CatalogFigures: Sendable {
    struct Item: Sendable {
        var code: String
        var departmentCode: String
        var regionCode: String
        var onlineApplicable: Bool
        var requiredVisits: Int
    }

    private let state = NIOLockedValueBox<(items: [Item], readAt: Date)?>(nil)
    static let lifetime: TimeInterval = 60

    static func shared(_ app: Application) -> CatalogFigures { app.catalogFigures }

    /// `now` is the request's moment (the injected clock), so the cache ages with the platform's time.
    func items(on db: any Database, now: Date) async throws -> [Item] {
        if let cached = state.withLockedValue({ $0 }), now.timeIntervalSince(cached.readAt) < Self.lifetime { return cached.items }
        var items: [Item] = []
        let rows = try await db.sql().select().column(SQLColumn("implementation_code", table: "items")).column(SQLColumn("department_code", table: "items"))
            .column(SQLColumn("region_code", table: "items")).column(SQLColumn("required_visits", table: "items")).column(SQLColumn("content", table: "item_versions"))
            .column(SQLColumn("id", table: "item_versions"))
            .from("items").join("item_versions", on: SQLColumn("published_version_id", table: "items"), .equal, SQLColumn("id", table: "item_versions"))
            .all()
        for row in rows {
            let versionID = try row.decode(column: "id", as: UUID.self)
            guard let guide = try? ItemVersionRecord.guide(versionID, content: try row.decode(column: "content", as: String.self)) else { continue }
            items.append(
                Item(
                    code: try row.decode(column: "implementation_code", as: String.self), departmentCode: try row.decode(column: "department_code", as: String.self),
                    regionCode: try row.decode(column: "region_code", as: String.self), onlineApplicable: guide.canApplyOnline,
                    requiredVisits: try row.decode(column: "required_visits", as: Int.self)))
        }
        state.withLockedValue { $0 = (items, now) }
        return items
    }

    /// Forgets the cached catalog (tests, after publishing).
    func reset() { state.withLockedValue { $0 = nil } }

    static func tally(_ items: [Item]) -> CatalogTally? {
        guard !items.isEmpty else { return nil }
        return CatalogTally(
            items: items.count, onlineApplicable: items.filter(\.onlineApplicable).count, zeroVisit: items.filter { $0.requiredVisits == 0 }.count,
            atMostOneVisit: items.filter { $0.requiredVisits <= 1 }.count)
    }
}

extension Application {
    private struct CatalogFiguresKey: StorageKey { typealias Value = CatalogFigures }

    var catalogFigures: CatalogFigures {
        // Set once by `configure`; never written while requests run.
        get { storage[CatalogFiguresKey.self] ?? CatalogFigures() }
        set { storage[CatalogFiguresKey.self] = newValue }
    }
}
