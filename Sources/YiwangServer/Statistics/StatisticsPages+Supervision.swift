import Fluent
import Foundation
import Vapor
import YiwangCore

/// 电子监察 for supervisors, within their grants: the board (`/admin/supervision`) and the lists
/// each of its numbers leads to (`/admin/supervision/cases`, `/admin/supervision/rectifications`),
/// from which every row leads to the case or the rectification.
extension StatisticsPages {
    /// The words a department's card colour is shown with, never the colour alone.
    static func cardWord(_ colour: String) -> String {
        switch colour {
        case "red": "红牌"
        case "yellow": "黄牌"
        default: "正常"
        }
    }

    /// A drill-down link: the path with only the filters that are set.
    static func link(_ path: String, _ parameters: [(String, String?)]) -> String {
        var components = URLComponents()
        components.path = path
        let items = parameters.compactMap { name, value in value.flatMap { $0.isEmpty ? nil : URLQueryItem(name: name, value: $0) } }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? path
    }

    struct CardView: Encodable {
        var code: String
        var name: String
        var colour: String
        var word: String
        var red: Int
        var yellow: Int
        var openCases: Int
        var overdueCases: Int
        var warnedCases: Int
        var lateDecisions: Int
        var openRectifications: Int
        var overdueRectifications: Int
        var warnedRectifications: Int
        var openCasesLink: String
        var overdueLink: String
        var warnedLink: String
        var rectificationsLink: String
        var overdueRectificationsLink: String
        var warnedRectificationsLink: String
        var statisticsLink: String
    }

    struct CountView: Encodable {
        var name: String
        var red: Int
        var yellow: Int
        var redLink: String?
        var yellowLink: String?
    }

    struct CaseRow: Encodable {
        var link: String
        var number: String
        var itemName: String
        var departmentName: String
        var regionName: String
        var level: String
        var levelName: String
        var deadline: String
        var age: String
        var clerk: String
    }

    struct RectificationRow: Encodable {
        var link: String
        var itemName: String
        var departmentName: String
        var stateName: String
        var deadline: String
        var level: String
        var levelName: String
    }

    struct SupervisionPage: Encodable {
        var page: PageContext
        var department: String
        var region: String
        var departments: [Option]
        var regions: [Option]
        var error: String?
        var regionInvalid: Bool
        var today: String
        var periodFrom: String
        var cards: [CardView]
        var byItem: [CountView]
        var byClerk: [CountView]
        var byRegion: [CountView]
        var alerts: [CaseRow]
        var rectifications: [RectificationRow]
        var badReviewsOpen: Int
        var badReviewsOverdue: Int
        var badReviewsOpenLink: String
        var badReviewsOverdueLink: String
        var bundles: [SupervisionService.OpenBundle]
    }

    /// The age of an alert as the board words it.
    static func age(level: String, days: Int) -> String {
        level == "red" ? "超期 \(days) 个工作日" : "剩余 \(days) 个工作日"
    }

    // MARK: /admin/supervision

    @Sendable static func supervision(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .superviseService) { return redirect }
        let ctx = try request.domain
        let service = SupervisionService(ctx)
        let department = String((request.query[String.self, at: "department"] ?? "").trimmingCharacters(in: .whitespaces).uppercased().prefix(18))
        let region = String((request.query[String.self, at: "region"] ?? "").trimmingCharacters(in: .whitespaces).prefix(12))
        var page = SupervisionPage(
            page: PageContext(request: request, title: "电子监察"), department: department, region: region, departments: [], regions: [], error: nil,
            regionInvalid: false, today: ctx.today.description, periodFrom: "", cards: [], byItem: [], byClerk: [], byRegion: [], alerts: [], rectifications: [],
            badReviewsOpen: 0, badReviewsOverdue: 0, badReviewsOpenLink: "", badReviewsOverdueLink: "", bundles: [])
        var status = HTTPResponseStatus.ok
        do {
            let overview = try await service.overview(department: department, region: region)
            try await fill(&page, with: overview, service: service)
        } catch let error as DomainError where error.kind == .invalid {
            page.error = error.message
            page.regionInvalid = error.fieldErrors.contains { $0.field == "region" }
            status = .badRequest
        }
        // The departments the supervisor's grants reach, to narrow the board to one.
        page.departments = try await DepartmentRecord.query(on: ctx.db).sort(\.$name).all()
            .filter { Policy.allows(ctx.actor, .superviseService, on: ResourceOwner(departmentCreditCode: $0.creditCode, regionCode: $0.regionCode)) }
            .map { Option(value: $0.creditCode, label: $0.name, selected: $0.creditCode == department) }
        page.regions = try await RegionRecord.query(on: ctx.db).sort(\.$code).all().map { Option(value: $0.code, label: $0.name, selected: $0.code == region) }
        let response = try await request.view.render("supervision/board", page).encodeResponse(for: request)
        response.status = status
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    static func fill(_ page: inout SupervisionPage, with overview: SupervisionService.Overview, service: SupervisionService) async throws {
        let regionNames = try await RegionRecord.names(Array(Set(overview.alerts.map(\.regionCode))), on: service.ctx.db)
        let region = overview.region
        let cases = "/admin/supervision/cases"
        let rectifications = "/admin/supervision/rectifications"
        page.today = overview.today
        page.periodFrom = overview.periodFrom
        page.cards = overview.cards.map { card in
            CardView(
                code: card.departmentCode, name: card.departmentName, colour: card.colour, word: cardWord(card.colour), red: card.redCards, yellow: card.yellowCards,
                openCases: card.openCases, overdueCases: card.overdueCases, warnedCases: card.warnedCases, lateDecisions: card.lateDecisions,
                openRectifications: card.openRectifications, overdueRectifications: card.overdueRectifications, warnedRectifications: card.warnedRectifications,
                openCasesLink: link(cases, [("department", card.departmentCode), ("region", region)]),
                overdueLink: link(cases, [("department", card.departmentCode), ("region", region), ("level", "red")]),
                warnedLink: link(cases, [("department", card.departmentCode), ("region", region), ("level", "yellow")]),
                rectificationsLink: link(rectifications, [("department", card.departmentCode), ("region", region)]),
                overdueRectificationsLink: link(rectifications, [("department", card.departmentCode), ("region", region), ("level", "red")]),
                warnedRectificationsLink: link(rectifications, [("department", card.departmentCode), ("region", region), ("level", "yellow")]),
                statisticsLink: link("/statistics", [("department", card.departmentCode), ("from", overview.periodFrom), ("to", overview.today)]))
        }
        func counts(_ rows: [SupervisionService.Count], _ parameter: (SupervisionService.Count) -> [(String, String?)]?) -> [CountView] {
            rows.map { row in
                let filters = parameter(row)
                return CountView(
                    name: row.name, red: row.red, yellow: row.yellow,
                    redLink: row.red > 0 ? filters.map { link(cases, $0 + [("level", "red")]) } : nil,
                    yellowLink: row.yellow > 0 ? filters.map { link(cases, $0 + [("level", "yellow")]) } : nil)
            }
        }
        page.byItem = counts(overview.byItem) { [("department", overview.department), ("region", region), ("item", $0.key)] }
        // Cases whose acceptance left no clerk on record have no list of their own.
        page.byClerk = counts(overview.byClerk) { $0.key == "（未受理人）" ? nil : [("department", overview.department), ("region", region), ("clerk", $0.key)] }
        page.byRegion = counts(overview.byRegion) { [("department", overview.department), ("region", $0.key)] }
        page.alerts = overview.alerts.map { alert in
            CaseRow(
                link: "/admin/cases/\(alert.caseID.uuidString)", number: alert.number ?? "（未编号）", itemName: alert.itemName, departmentName: alert.departmentName,
                regionName: regionNames[alert.regionCode] ?? alert.regionCode, level: alert.level, levelName: alert.levelName, deadline: alert.deadline ?? "—",
                age: age(level: alert.level, days: alert.days), clerk: alert.clerk ?? "—")
        }
        page.rectifications = overview.rectifications.map { item in
            RectificationRow(
                link: "/admin/rectifications/\(item.id.uuidString)", itemName: item.itemName, departmentName: item.departmentName, stateName: item.stateName,
                deadline: item.deadline, level: item.level, levelName: item.levelName)
        }
        page.bundles = overview.bundles
        page.badReviewsOpen = overview.badReviewsOpen
        page.badReviewsOverdue = overview.badReviewsOverdue
        page.badReviewsOpenLink = link(rectifications, [("department", overview.department), ("region", region)])
        page.badReviewsOverdueLink = link(rectifications, [("department", overview.department), ("region", region), ("level", "red")])
    }

    // MARK: Drill-down lists

    /// The filters of a drill-down list, checked: a bad value is a 400 with its message.
    struct DrillFilters: Encodable {
        var department: String?
        var region: String?
        var item: String?
        var clerk: String?
        var level: String?
        var page: Int

        init(_ request: Request) throws {
            func text(_ name: String, max: Int) throws -> String? {
                guard let raw = request.query[String.self, at: name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
                guard raw.count <= max else {
                    throw DomainError.invalid("supervision.filter_invalid", "筛选条件过长。", fields: [FieldError(field: name, message: "筛选条件过长。")])
                }
                return raw
            }
            department = try text("department", max: 18)?.uppercased()
            item = try text("item", max: 40)
            clerk = try text("clerk", max: 100)
            if let raw = try text("region", max: 12) {
                do { region = try RegionCode(raw).value } catch {
                    throw DomainError.invalid("supervision.region_invalid", "行政区划代码无效。", fields: [FieldError(field: "region", message: "行政区划代码无效。")])
                }
            }
            level = try text("level", max: 10)
            if let level, level != "red" && level != "yellow" {
                throw DomainError.invalid(
                    "supervision.level_invalid", "预警级别只能是 red(超期)或 yellow(预警)。", fields: [FieldError(field: "level", message: "预警级别无效。")])
            }
            let number = request.query[String.self, at: "page"].flatMap { Int($0) } ?? 1
            page = min(max(1, number), 10_000)
        }

        /// What the list shows, in words.
        func describe(departments: [String: String], regions: [String: String], all: String) -> String {
            var parts: [String] = []
            if let department { parts.append("部门：" + (departments[department] ?? department)) }
            if let region { parts.append("区域：" + (regions[region] ?? region)) }
            if let item { parts.append("事项编码：" + item) }
            if let clerk { parts.append("受理人：" + clerk) }
            parts.append("级别：" + (level == "red" ? "超期（红）" : level == "yellow" ? "预警（黄）" : all))
            return parts.joined(separator: "；")
        }

        var parameters: [(String, String?)] { [("department", department), ("region", region), ("item", item), ("clerk", clerk), ("level", level)] }
    }

    struct CaseListPage: Encodable {
        var page: PageContext
        var filters: String
        var total: Int
        var rows: [CaseRow]
        var previousLink: String?
        var nextLink: String?
    }

    static let perPage = 50

    /// `/admin/supervision/cases`: the cases with a running clock at the alert level asked for,
    /// within the supervisor's grants, most urgent first; each row opens the case.
    @Sendable static func supervisionCases(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .superviseService) { return redirect }
        let ctx = try request.domain
        let filters = try DrillFilters(request)
        let query = CaseRecord.query(on: ctx.db).filter(\.$stateRaw ~~ SupervisionService.runningStates)
            .filter(\.$alertLevel ~~ (filters.level.map { [$0] } ?? ["red", "yellow"]))
        query.scoped(ctx.actor, .superviseService, department: \.$departmentCode, region: \.$regionCode)
        if let department = filters.department { query.filter(\.$departmentCode == department) }
        if let item = filters.item { query.filter(\.$itemCode == item) }
        if let region = filters.region, let code = try? RegionCode(region), !code.subtreePrefix.isEmpty { query.filter(\.$regionCode =~ code.subtreePrefix) }
        if let clerk = filters.clerk {
            // The clerk who accepted the case (the board counts cases by that step's actor).
            query.join(CaseEventRecord.self, on: \CaseRecord.$id == \CaseEventRecord.$caseID)
                .filter(CaseEventRecord.self, \.$action == CaseAction.accept.rawValue).filter(CaseEventRecord.self, \.$actor == clerk)
        }
        let total = try await query.copy().count()
        let offset = (filters.page - 1) * perPage
        let records = try await query.sort(\.$alertLevel).sort(\.$deadline).sort(\.$id).range(offset..<(offset + perPage)).all()
        let departmentNames = try await DepartmentRecord.names(Array(Set(records.map(\.departmentCode) + [filters.department].compactMap { $0 })), on: ctx.db)
        let regionNames = try await RegionRecord.names(Array(Set(records.map(\.regionCode) + [filters.region].compactMap { $0 })), on: ctx.db)
        let ids = records.compactMap(\.id)
        var clerks: [UUID: String] = [:]
        if !ids.isEmpty {
            for event in try await CaseEventRecord.query(on: ctx.db).filter(\.$caseID ~~ ids).filter(\.$action == CaseAction.accept.rawValue).all() {
                clerks[event.caseID] = event.actor
            }
        }
        let calendar = try await ctx.calendar()
        let today = ctx.today
        let rows = records.map { record in
            let deadline = record.deadline.flatMap { try? LocalDate($0) }
            var days = 0
            if let deadline {
                days = record.alertLevel == "red"
                    ? (try? calendar.workingDays(after: deadline, through: today)) ?? max(0, today.dayNumber - deadline.dayNumber)
                    : (try? calendar.workingDays(after: today, through: deadline)) ?? max(0, deadline.dayNumber - today.dayNumber)
            }
            let level = CaseUrgency(rawValue: record.alertLevel) ?? .none
            return CaseRow(
                link: "/admin/cases/\(record.id?.uuidString ?? "")", number: record.number ?? "（未编号）", itemName: record.itemName,
                departmentName: departmentNames[record.departmentCode] ?? record.departmentCode, regionName: regionNames[record.regionCode] ?? record.regionCode,
                level: record.alertLevel, levelName: level.chineseName, deadline: record.deadline ?? "—", age: age(level: record.alertLevel, days: days),
                clerk: record.id.flatMap { clerks[$0] } ?? "—")
        }
        let path = "/admin/supervision/cases"
        let page = CaseListPage(
            page: PageContext(request: request, title: "电子监察 · 预警办件"), filters: filters.describe(departments: departmentNames, regions: regionNames, all: "超期和预警"),
            total: total, rows: rows,
            previousLink: filters.page > 1 ? link(path, filters.parameters + [("page", String(filters.page - 1))]) : nil,
            nextLink: offset + perPage < total ? link(path, filters.parameters + [("page", String(filters.page + 1))]) : nil)
        let response = try await request.view.render("supervision/cases", page).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    struct RectificationListPage: Encodable {
        var page: PageContext
        var filters: String
        var total: Int
        var rows: [RectificationRow]
    }

    /// `/admin/supervision/rectifications`: the bad reviews still being handled, within the
    /// supervisor's grants, at the urgency asked for (red: past the deadline); each row opens
    /// the rectification.
    @Sendable static func supervisionRectifications(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .superviseService) { return redirect }
        let ctx = try request.domain
        let filters = try DrillFilters(request)
        let query = RectificationRecord.query(on: ctx.db).filter(\.$stateRaw ~~ RectificationState.allCases.filter(\.isOpen).map(\.rawValue))
        query.scoped(ctx.actor, .superviseService, department: \.$departmentCode, region: \.$regionCode)
        if let department = filters.department { query.filter(\.$departmentCode == department) }
        if let item = filters.item { query.filter(\.$itemCode == item) }
        if let region = filters.region, let code = try? RegionCode(region), !code.subtreePrefix.isEmpty { query.filter(\.$regionCode =~ code.subtreePrefix) }
        // Open rectifications are few beside cases: their urgency is worked out here, as the board does.
        let records = try await query.sort(\.$deadline).limit(2000).all()
        let calendar = try await ctx.calendar()
        let today = ctx.today
        let rated = records.map { ($0, $0.urgency(today: today, warnWithin: ctx.settings.deadlineWarningDays, calendar: calendar)) }
            .filter { filters.level == nil || $0.1.rawValue == filters.level }
        let departmentNames = try await DepartmentRecord.names(Array(Set(rated.map(\.0.departmentCode) + [filters.department].compactMap { $0 })), on: ctx.db)
        let regionNames = try await RegionRecord.names([filters.region].compactMap { $0 }, on: ctx.db)
        let rows = rated.prefix(500).map { record, urgency in
            RectificationRow(
                link: "/admin/rectifications/\(record.id?.uuidString ?? "")", itemName: record.itemName,
                departmentName: departmentNames[record.departmentCode] ?? record.departmentCode, stateName: record.state.chineseName, deadline: record.deadline,
                level: urgency.rawValue, levelName: urgency.chineseName)
        }
        let page = RectificationListPage(
            page: PageContext(request: request, title: "电子监察 · 差评整改"), filters: filters.describe(departments: departmentNames, regions: regionNames, all: "全部未办结"),
            total: rated.count, rows: Array(rows))
        let response = try await request.view.render("supervision/rectifications", page).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }
}
