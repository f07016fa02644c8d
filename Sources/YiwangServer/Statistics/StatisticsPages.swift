import Fluent
import Foundation
import Vapor
import YiwangCore

/// The statistics and supervision pages: the public figures (`/statistics`) with their charts
/// and tables, the hall's big screen (`/statistics/screen`), and the supervisors' board
/// (`/admin/supervision`, StatisticsPages+Supervision.swift) with its drill-down lists.
enum StatisticsPages {
    static func register(_ app: Application) {
        app.get("statistics", use: statistics)
        app.get("statistics", "screen", use: screen)
        app.get("admin", "supervision", use: supervision)
        app.get("admin", "supervision", "cases", use: supervisionCases)
        app.get("admin", "supervision", "rectifications", use: supervisionRectifications)
    }

    // MARK: View models

    struct Option: Encodable {
        var value: String
        var label: String
        var selected: Bool
    }

    /// A headline figure: "—" when the indicator has no denominator yet.
    struct Tile: Encodable {
        var label: String
        var value: String
        var note: String
    }

    struct TableRow: Encodable {
        var head: String
        var cells: [String]
    }

    /// A chart and the table of the same figures beside it.
    struct Figure: Encodable {
        var id: String
        var title: String
        var svg: String?
        var note: String?
        var columns: [String]
        var rows: [TableRow]
        /// A long table scrolls inside its box.
        var tall: Bool
        /// A table too wide to sit beside its chart goes beneath it.
        var stacked = false
        /// No chart (the table takes the whole width).
        var wide: Bool { svg == nil || stacked }

        enum CodingKeys: String, CodingKey { case id, title, svg, note, columns, rows, tall, wide }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(title, forKey: .title)
            try container.encodeIfPresent(svg, forKey: .svg)
            try container.encodeIfPresent(note, forKey: .note)
            try container.encode(columns, forKey: .columns)
            try container.encode(rows, forKey: .rows)
            try container.encode(tall, forKey: .tall)
            try container.encode(wide, forKey: .wide)
        }
    }

    struct FormValues: Encodable {
        var from = ""
        var to = ""
        var groupBy = ""
        var department = ""
        var region = ""
        var item = ""
    }

    struct InvalidFields: Encodable {
        var from = false
        var to = false
        var groupBy = false
        var department = false
        var region = false
    }

    struct StatisticsPage: Encodable {
        var page: PageContext
        var form: FormValues
        var invalid: InvalidFields
        var groupings: [Option]
        var departments: [Option]
        var regions: [Option]
        var error: String?
        var periodText: String?
        var volumes: [Tile]
        var indicators: [Tile]
        var figures: [Figure]
        var csvLink: String?
        /// An item filter that came in a link (the form has no field for it): kept as a hidden field.
        var hiddenItem: String?
    }

    /// The groupings the page offers (the API also knows `total`).
    static let pageGroupings: [StatisticsGrouping] = [.department, .item, .channel, .region, .day]
    /// Bars drawn before the rest are summed into one "其他" bar; the table lists every group up to `tableRows`.
    static let chartBars = 12
    static let tableRows = 200

    // MARK: /statistics

    @Sendable static func statistics(_ request: Request) async throws -> Response {
        let ctx = try request.domain
        let service = StatisticsService(ctx)
        func field(_ name: String) -> String { String((request.query[String.self, at: name] ?? "").trimmingCharacters(in: .whitespaces).prefix(40)) }
        var form = FormValues(
            from: field("from"), to: field("to"), groupBy: field("groupBy"), department: field("department"), region: field("region"), item: field("item"))
        var page = StatisticsPage(
            page: PageContext(request: request, title: "政务服务数据统计"), form: form, invalid: InvalidFields(), groupings: [], departments: [], regions: [],
            error: nil, periodText: nil, volumes: [], indicators: [], figures: [], csvLink: nil, hiddenItem: form.item.isEmpty ? nil : form.item)
        var status = HTTPResponseStatus.ok
        do {
            var query = try service.query(
                from: form.from, to: form.to, groupBy: form.groupBy.isEmpty ? StatisticsGrouping.department.rawValue : form.groupBy,
                department: form.department, region: form.region, item: form.item)
            if query.grouping == .total { query.grouping = .department }
            let report = try await service.report(query)
            form.from = report.from
            form.to = report.to
            form.groupBy = report.groupBy
            page.form = form
            page.periodText = "\(report.from) 至 \(report.to)（共 \(query.period.days) 天）"
            page.volumes = volumes(report.total)
            page.indicators = indicators(report.total)
            page.csvLink = csvLink(form)
            page.figures = try await figures(report, query: query, service: service)
        } catch let error as DomainError {
            page.error = error.message
            for field in error.fieldErrors {
                switch field.field {
                case "from": page.invalid.from = true
                case "to": page.invalid.to = true
                case "groupBy": page.invalid.groupBy = true
                case "region": page.invalid.region = true
                default: break
                }
            }
            if error.code == "statistics.department_invalid" { page.invalid.department = true }
            status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind))
        }
        let chosen = StatisticsGrouping(rawValue: page.form.groupBy) ?? .department
        page.groupings = pageGroupings.map { Option(value: $0.rawValue, label: "按" + $0.chineseName, selected: $0 == chosen) }
        let departments = try await DepartmentRecord.query(on: ctx.db).sort(\.$name).all()
        page.departments = departments.map { Option(value: $0.creditCode, label: $0.name, selected: $0.creditCode == page.form.department.uppercased()) }
        let regions = try await RegionRecord.query(on: ctx.db).sort(\.$code).all()
        page.regions = regions.map { Option(value: $0.code, label: $0.name, selected: $0.code == page.form.region) }
        let response = try await request.view.render("statistics/index", page).encodeResponse(for: request)
        response.status = status
        return response
    }

    /// The counts of the period.
    static func volumes(_ figures: Indicators) -> [Tile] {
        [
            Tile(label: "申报量", value: String(figures.applications), note: "期内提交的申请"),
            Tile(label: "受理量", value: String(figures.accepted), note: "期内受理的办件"),
            Tile(label: "作出决定", value: String(figures.decided), note: "准予、不予及超时默认准予"),
            Tile(label: "送达办结", value: String(figures.concluded), note: "结果已送达申请人"),
            Tile(label: "评价数", value: String(figures.reviews), note: "好差评（申诉成立的不计）"),
        ]
    }

    /// The indicators of SPEC C9, each with its formula (Core's `Indicators`).
    static func indicators(_ figures: Indicators) -> [Tile] {
        [
            Tile(label: "网上可办率", value: percent(figures.onlineApplicableRate), note: "可网上申请的已发布事项 ÷ 已发布事项"),
            Tile(label: "全程网办率", value: percent(figures.fullyOnlineRate), note: "网上申请且零跑动送达的办件 ÷ 送达的办件"),
            Tile(label: "按时办结率", value: percent(figures.onTimeRate), note: "期限内作出决定的办件 ÷ 作出决定的办件"),
            Tile(label: "平均跑动次数", value: figures.averageVisits.map { FigureText.fixed($0, places: 2) + " 次" } ?? "—", note: "送达办件的跑动次数之和 ÷ 送达的办件"),
            Tile(label: "零跑动事项占比", value: percent(figures.zeroVisitItemShare), note: "无需到现场的已发布事项 ÷ 已发布事项"),
            Tile(label: "最多跑一次事项占比", value: percent(figures.atMostOneVisitItemShare), note: "至多到现场一次的已发布事项 ÷ 已发布事项"),
            Tile(label: "材料精简率", value: percent(figures.materialReduction), note: "受理时免于提交的材料 ÷ 事项列出的材料（免交 \(figures.materialsSpared) 份）"),
            Tile(label: "满意度指数", value: figures.satisfactionIndex.map { FigureText.fixed($0, places: 1) } ?? "—", note: "各等级分（星级 × 20）的平均，满分 100"),
            Tile(label: "差评率", value: percent(figures.badReviewShare), note: "不满意和非常不满意 ÷ 评价数"),
            Tile(label: "差评按期整改率", value: percent(figures.rectifiedOnTimeShare), note: "按期整改办结的差评 ÷ 差评"),
        ]
    }

    /// A rate as a percentage with one decimal; "—" when there is nothing to divide by.
    static func percent(_ rate: Double?) -> String { FigureText.percent(rate, places: 1) }

    static func csvLink(_ form: FormValues) -> String {
        var components = URLComponents()
        components.path = "/api/v1/statistics"
        var items = [URLQueryItem(name: "from", value: form.from), URLQueryItem(name: "to", value: form.to), URLQueryItem(name: "groupBy", value: form.groupBy)]
        if !form.department.isEmpty { items.append(URLQueryItem(name: "department", value: form.department)) }
        if !form.region.isEmpty { items.append(URLQueryItem(name: "region", value: form.region)) }
        if !form.item.isEmpty { items.append(URLQueryItem(name: "item", value: form.item)) }
        items.append(URLQueryItem(name: "format", value: "csv"))
        components.queryItems = items
        return components.string ?? "/api/v1/statistics?format=csv"
    }

    // MARK: Figures

    /// The four charts with their tables: the chosen grouping, each day, each region, each review level.
    static func figures(_ report: StatisticsService.Report, query: StatisticsService.Query, service: StatisticsService) async throws -> [Figure] {
        var out: [Figure] = []
        let grouping = query.grouping
        out.append(groupFigure(report, grouping: grouping))

        // The line chart reads the daily table: at most the period's last 366 days.
        var daily = query
        daily.grouping = .day
        let firstDay = LocalDate(dayNumber: max(query.period.from.dayNumber, query.period.to.dayNumber - (StatisticsGrouping.longestDaily - 1)))
        daily.period = try StatisticsPeriod(from: firstDay, to: query.period.to)
        let days = grouping == .day ? report : try await service.report(daily)
        out.append(dayFigure(days, period: daily.period, cut: daily.period.from != query.period.from))

        var regional = query
        regional.grouping = .region
        out.append(regionFigure(grouping == .region ? report : try await service.report(regional)))
        out.append(reviewFigure(report.total))
        return out
    }

    static func groupFigure(_ report: StatisticsService.Report, grouping: StatisticsGrouping) -> Figure {
        let name = grouping.chineseName
        let title = "按\(name)统计的申报量"
        var note: String?
        var svg: String?
        if grouping == .day {
            note = "按日期的走势见下方“每日申报与办结”折线图；此表列出每日的各项数字。"
        } else {
            var bars = report.groups.prefix(chartBars).map { Chart.Bar(label: $0.name, value: Double($0.indicators.applications)) }
            let rest = report.groups.dropFirst(chartBars)
            if !rest.isEmpty {
                bars.append(Chart.Bar(label: "其他\(rest.count)项", value: Double(rest.map(\.indicators.applications).reduce(0, +)), tone: .secondary))
                note = "图中列出申报量最多的 \(chartBars) 个\(name)，其余合并为“其他”。"
            }
            let summary = bars.map { "\($0.label) \($0.valueText) 件" }.joined(separator: "，")
            // Standing bars while their names fit beneath them; lying bars for many long names.
            let draw = bars.count <= 6 ? Chart.bars : Chart.horizontalBars
            svg = draw(bars, "chart-groups", title, summary.isEmpty ? "期内没有数据。" : summary)
        }
        if report.groups.count > tableRows {
            note = (note.map { $0 + " " } ?? "") + "表中列出前 \(tableRows) 项，完整数据请下载 CSV。"
        }
        let rows = report.groups.prefix(tableRows).map { group in
            let figures = group.indicators
            return TableRow(
                head: group.name,
                cells: [
                    String(figures.applications), String(figures.accepted), String(figures.decided), String(figures.concluded), percent(figures.onTimeRate),
                    percent(figures.fullyOnlineRate), String(figures.reviews), figures.satisfactionIndex.map { FigureText.fixed($0, places: 1) } ?? "—",
                    percent(figures.badReviewShare),
                ])
        }
        return Figure(
            id: "groups", title: title, svg: svg, note: note,
            columns: [name, "申报量", "受理量", "作出决定", "送达办结", "按时办结率", "全程网办率", "评价数", "满意度指数", "差评率"], rows: Array(rows),
            tall: rows.count > 15, stacked: true)
    }

    static func dayFigure(_ report: StatisticsService.Report, period: StatisticsPeriod, cut: Bool) -> Figure {
        let byDay = Dictionary(report.groups.map { ($0.key, $0.indicators) }, uniquingKeysWith: { first, _ in first })
        let days = (period.from.dayNumber...period.to.dayNumber).map { LocalDate(dayNumber: $0) }
        let applications = days.map { Double(byDay[$0.description]?.applications ?? 0) }
        let decisions = days.map { Double(byDay[$0.description]?.decided ?? 0) }
        let labels = days.map { String(format: "%02d-%02d", $0.month, $0.day) }
        let title = "每日申报与办结"
        let summary = "\(period.from) 至 \(period.to)，申报 \(Int(applications.reduce(0, +))) 件，作出决定 \(Int(decisions.reduce(0, +))) 件；每日数字见旁边的表格。"
        let svg = Chart.lines(
            [Chart.Series(name: "申报量", values: applications), Chart.Series(name: "作出决定", values: decisions)], labels: labels, id: "chart-days",
            title: title, summary: summary)
        let rows = days.map { day in
            TableRow(head: day.description, cells: [String(byDay[day.description]?.applications ?? 0), String(byDay[day.description]?.decided ?? 0)])
        }
        return Figure(
            id: "days", title: title, svg: svg,
            note: "实线圆点为申报量，虚线方块为作出决定。" + (cut ? "统计区间超过一年，图表只画出最后 \(StatisticsGrouping.longestDaily) 天。" : ""),
            columns: ["日期", "申报量", "作出决定"], rows: rows, tall: rows.count > 15)
    }

    static func regionFigure(_ report: StatisticsService.Report) -> Figure {
        let title = "各区域申报量"
        var bars = report.groups.prefix(chartBars).map { Chart.Bar(label: $0.name, value: Double($0.indicators.applications)) }
        let rest = report.groups.dropFirst(chartBars)
        var note = "按办理机构所在行政区划统计。"
        if !rest.isEmpty {
            bars.append(Chart.Bar(label: "其他\(rest.count)个区域", value: Double(rest.map(\.indicators.applications).reduce(0, +)), tone: .secondary))
            note += "图中列出申报量最多的 \(chartBars) 个区域，其余合并为“其他”。"
        }
        let summary = bars.map { "\($0.label) \($0.valueText) 件" }.joined(separator: "，")
        let rows = report.groups.prefix(tableRows).map { group in
            TableRow(
                head: group.name,
                cells: [
                    group.key, String(group.indicators.applications), String(group.indicators.decided), percent(group.indicators.onTimeRate),
                    group.indicators.satisfactionIndex.map { FigureText.fixed($0, places: 1) } ?? "—",
                ])
        }
        return Figure(
            id: "regions", title: title,
            svg: Chart.horizontalBars(bars, id: "chart-regions", title: title, summary: summary.isEmpty ? "期内没有数据。" : summary), note: note,
            columns: ["区域", "区划代码", "申报量", "作出决定", "按时办结率", "满意度指数"], rows: Array(rows), tall: rows.count > 15)
    }

    static func reviewFigure(_ total: Indicators) -> Figure {
        let title = "好差评各等级条数"
        let levels = ReviewLevel.descending
        let count = { (level: ReviewLevel) in level.rawValue - 1 < total.reviewsByLevel.count ? total.reviewsByLevel[level.rawValue - 1] : 0 }
        let bars = levels.map { Chart.Bar(label: $0.chineseName, value: Double(count($0)), tone: $0.isBad ? .bad : .primary) }
        let summary = bars.map { "\($0.label) \($0.valueText) 条" }.joined(separator: "，")
        let rows = levels.map { level in
            TableRow(
                head: level.chineseName + (level.isBad ? "（差评）" : ""),
                cells: [String(level.rawValue), String(count(level)), total.reviews > 0 ? percent(Double(count(level)) / Double(total.reviews)) : "—"])
        }
        var note = "差评（不满意、非常不满意）以深红色画出，表中另有注明。"
        if total.excludedReviews > 0 { note += "另有 \(total.excludedReviews) 条差评经申诉复核成立，不计入统计。" }
        return Figure(
            id: "reviews", title: title, svg: Chart.horizontalBars(bars, id: "chart-reviews", title: title, summary: summary), note: note,
            columns: ["评价等级", "等级代码", "条数", "占比"], rows: rows, tall: false)
    }

    // MARK: /statistics/screen

    struct ScreenPage: Encodable {
        var title: String
        var updatedAt: String
        var todayText: String
        var monthText: String
        var today: [Tile]
        var month: [Tile]
        var chart: String
    }

    /// The hall's big screen: today's and this month's figures in large type, a chart of the
    /// month by department; refreshes itself every minute. Aggregates only, no personal data.
    // Swift 6.3's optimizer crashes splitting this coroutine (signal 11 in a release build); the
    // big screen gains nothing from it. Remove once the compiler is fixed.
    @_optimize(none)
    @Sendable static func screen(_ request: Request) async throws -> Response {
        let ctx = try request.domain
        let service = StatisticsService(ctx)
        let today = ctx.today
        let firstOfMonth = LocalDate(year: today.year, month: today.month, day: 1) ?? today
        var todayQuery = try service.query(from: today.description, to: today.description, groupBy: nil, department: nil, region: nil, item: nil)
        todayQuery.grouping = .total
        let day = try await service.report(todayQuery)
        var monthQuery = todayQuery
        monthQuery.period = try StatisticsPeriod(from: firstOfMonth, to: today)
        monthQuery.grouping = .department
        let month = try await service.report(monthQuery)
        let bars = month.groups.prefix(8).map { Chart.Bar(label: $0.name, value: Double($0.indicators.applications)) }
        let title = "本月各部门申报量"
        let page = ScreenPage(
            title: "政务服务实时数据", updatedAt: ChineseDateTag.format(ctx.now), todayText: today.description,
            monthText: "\(firstOfMonth.description) 至 \(today.description)",
            today: [
                Tile(label: "今日申报", value: String(day.total.applications), note: "件"),
                Tile(label: "今日受理", value: String(day.total.accepted), note: "件"),
                Tile(label: "今日办结", value: String(day.total.concluded), note: "件"),
                Tile(label: "今日评价", value: String(day.total.reviews), note: "条"),
            ],
            month: [
                Tile(label: "本月申报", value: String(month.total.applications), note: "件"),
                Tile(label: "本月办结", value: String(month.total.concluded), note: "件"),
                Tile(label: "按时办结率", value: percent(month.total.onTimeRate), note: ""),
                Tile(label: "全程网办率", value: percent(month.total.fullyOnlineRate), note: ""),
                Tile(label: "满意度指数", value: month.total.satisfactionIndex.map { FigureText.fixed($0, places: 1) } ?? "—", note: "满分 100"),
                Tile(label: "差评率", value: percent(month.total.badReviewShare), note: ""),
                Tile(label: "差评按期整改率", value: percent(month.total.rectifiedOnTimeShare), note: ""),
                Tile(label: "平均跑动次数", value: month.total.averageVisits.map { FigureText.fixed($0, places: 2) } ?? "—", note: month.total.averageVisits == nil ? "" : "次"),
            ],
            chart: Chart.horizontalBars(
                Array(bars), id: "screen-departments", title: title,
                summary: bars.isEmpty ? "本月没有数据。" : bars.map { "\($0.label) \($0.valueText) 件" }.joined(separator: "，")))
        let response = try await request.view.render("statistics/screen", page).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-cache")
        return response
    }
}
