import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// 电子监察: for supervisors, within their grants, the cases near or past their deadline by
/// department, item, clerk and region; the bad reviews open and overdue; the alerts the deadline
/// watch raised with their age; and each department's red and yellow cards (`SupervisionCards`).
/// Every figure drills down to its list and from there to the case.
struct SupervisionService {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    struct Count: Content {
        var key: String
        var name: String
        var yellow: Int
        var red: Int
    }

    struct DepartmentCard: Content {
        var departmentCode: String
        var departmentName: String
        var openCases: Int
        var warnedCases: Int
        var overdueCases: Int
        var lateDecisions: Int
        var openRectifications: Int
        var warnedRectifications: Int
        var overdueRectifications: Int
        var redCards: Int
        var yellowCards: Int
        var colour: String
        var colourName: String
    }

    struct Alert: Content {
        var caseID: UUID
        var number: String?
        var itemName: String
        var departmentCode: String
        var departmentName: String
        var regionCode: String
        var level: String
        var levelName: String
        var deadline: String?
        /// Working days past the deadline (red) or left before it (yellow).
        var days: Int
        var clerk: String?
    }

    struct OpenRectification: Content {
        var id: UUID
        var itemName: String
        var departmentCode: String
        var departmentName: String
        var state: String
        var stateName: String
        var deadline: String
        var level: String
        var levelName: String
    }

    /// A running 一件事 with the department that holds it back.
    struct OpenBundle: Content {
        var id: UUID
        var number: String?
        var bundleName: String
        var leadDepartmentName: String
        /// The bundle's promise and how near it is (green, yellow, red).
        var deadline: String?
        var level: String
        var levelName: String
        var waitingForApplicant: Bool
        var holdupDepartment: String?
        var holdupDepartmentName: String?
        var holdupItem: String?
        var holdupDeadline: String?
        var holdupLevel: String?
    }

    struct Overview: Content {
        var today: String
        var periodFrom: String
        var department: String?
        var region: String?
        var cards: [DepartmentCard]
        var byItem: [Count]
        var byClerk: [Count]
        var byRegion: [Count]
        var alerts: [Alert]
        var rectifications: [OpenRectification]
        var badReviewsOpen: Int
        var badReviewsOverdue: Int
        /// Running bundles whose lead department is in scope, nearest their promise first.
        var bundles: [OpenBundle]
    }

    /// The open states whose legal clock runs (the watch's states).
    static let runningStates = [CaseState.accepted.rawValue, CaseState.underReview.rawValue]

    func overview(department: String?, region: String?) async throws -> Overview {
        try Policy.authorizeSomewhere(ctx.actor, .superviseService)
        let scopes = Policy.scopes(for: ctx.actor, .superviseService)
        let department = department?.trimmingCharacters(in: .whitespaces).uppercased().nilIfEmpty
        var regionCode: RegionCode?
        if let raw = region?.trimmingCharacters(in: .whitespaces).nilIfEmpty {
            do { regionCode = try RegionCode(raw) } catch {
                throw DomainError.invalid("supervision.region_invalid", "行政区划代码无效。", fields: [FieldError(field: "region", message: "行政区划代码无效。")])
            }
        }
        let sql = try ctx.db.sql()
        let calendar = try await ctx.calendar()
        let today = ctx.today
        func narrowed(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = query.scoped(scopes)
            if let department { query = query.where("department_code", .equal, department) }
            if let regionCode, !regionCode.subtreePrefix.isEmpty { query = query.where("region_code", .like, regionCode.subtreePrefix + "%") }
            return query
        }
        // Open cases by department and alert level (the watch's yellow and red), from an index.
        struct LevelRow: Decodable {
            var department_code: String
            var item_code: String
            var item_name: String
            var region_code: String
            var alert_level: String
            var n: Int
        }
        let levels = try await narrowed(
            sql.select().column("department_code").column("item_code").column(SQLAlias(SQLFunction("MAX", args: SQLColumn("item_name")), as: SQLIdentifier("item_name")))
                .column("region_code").column("alert_level").column(SQLAlias(SQLFunction("COUNT", args: SQLLiteral.all), as: SQLIdentifier("n")))
                .from(CaseRecord.schema).where("state", .in, Self.runningStates)
        ).groupBy("department_code").groupBy("item_code").groupBy("region_code").groupBy("alert_level").all(decoding: LevelRow.self)
        // Late decisions in the last 30 days, from the statistics.
        let periodFrom = LocalDate(dayNumber: today.dayNumber - 29)
        var filter = StatisticsLedger.Filter()
        filter.departmentCode = department
        filter.region = regionCode
        filter.scopes = scopes  // late decisions of other departments are not the reader's to see
        let decided = try await StatisticsLedger.sums(try StatisticsPeriod(from: periodFrom, to: today), by: .department, filter: filter, on: ctx.db)
        // Rectifications still open.
        let rectificationQuery = RectificationRecord.query(on: ctx.db)
            .filter(\.$stateRaw ~~ RectificationState.allCases.filter(\.isOpen).map(\.rawValue)).sort(\.$deadline)
        rectificationQuery.scoped(ctx.actor, .superviseService, department: \.$departmentCode, region: \.$regionCode)
        if let department { rectificationQuery.filter(\.$departmentCode == department) }
        if let regionCode, !regionCode.subtreePrefix.isEmpty { rectificationQuery.filter(\.$regionCode =~ regionCode.subtreePrefix) }
        let open = try await rectificationQuery.all()
        let rectificationUrgency = open.map { ($0, $0.urgency(today: today, warnWithin: ctx.settings.deadlineWarningDays, calendar: calendar)) }

        var departmentCodes = Set(levels.map(\.department_code)).union(open.map(\.departmentCode))
        for (code, entry) in decided where entry.tally[.decided] > entry.tally[.decidedOnTime] { departmentCodes.insert(code) }
        let names = try await DepartmentRecord.names(Array(departmentCodes), on: ctx.db)
        var cards: [DepartmentCard] = []
        for code in departmentCodes {
            let rows = levels.filter { $0.department_code == code }
            let warned = rows.filter { $0.alert_level == "yellow" }.map(\.n).reduce(0, +)
            let overdue = rows.filter { $0.alert_level == "red" }.map(\.n).reduce(0, +)
            let late = decided[code].map { $0.tally[.decided] - $0.tally[.decidedOnTime] } ?? 0
            let own = rectificationUrgency.filter { $0.0.departmentCode == code }
            let rectWarned = own.filter { $0.1 == .yellow }.count
            let rectOverdue = own.filter { $0.1 == .red }.count
            let card = SupervisionCards(lateDecisions: late, overdueCases: overdue, overdueRectifications: rectOverdue, warnedCases: warned, warnedRectifications: rectWarned)
            cards.append(
                DepartmentCard(
                    departmentCode: code, departmentName: names[code] ?? code, openCases: rows.map(\.n).reduce(0, +), warnedCases: warned, overdueCases: overdue,
                    lateDecisions: late, openRectifications: own.count, warnedRectifications: rectWarned, overdueRectifications: rectOverdue, redCards: card.red,
                    yellowCards: card.yellow, colour: card.colour.rawValue, colourName: card.colour.chineseName))
        }
        cards.sort { ($0.redCards, $0.yellowCards, $0.departmentCode) > ($1.redCards, $1.yellowCards, $1.departmentCode) }

        func counts(_ key: (LevelRow) -> String, _ name: (LevelRow) -> String) -> [Count] {
            var merged: [String: Count] = [:]
            for row in levels where row.alert_level == "yellow" || row.alert_level == "red" {
                var count = merged[key(row)] ?? Count(key: key(row), name: name(row), yellow: 0, red: 0)
                if row.alert_level == "red" { count.red += row.n } else { count.yellow += row.n }
                merged[key(row)] = count
            }
            return merged.values.sorted { ($0.red, $0.yellow, $0.key) > ($1.red, $1.yellow, $1.key) }
        }
        let regionNames = try await RegionRecord.names(Array(Set(levels.map(\.region_code))), on: ctx.db)
        let alerts = try await alertList(narrowed: narrowed, names: names, calendar: calendar)
        var byClerk: [String: Count] = [:]
        for alert in alerts {
            let clerk = alert.clerk ?? "（未受理人）"
            var count = byClerk[clerk] ?? Count(key: clerk, name: clerk, yellow: 0, red: 0)
            if alert.level == "red" { count.red += 1 } else { count.yellow += 1 }
            byClerk[clerk] = count
        }
        return Overview(
            today: today.description, periodFrom: periodFrom.description, department: department, region: regionCode?.value, cards: cards,
            byItem: counts({ $0.item_code }, { $0.item_name }), byClerk: byClerk.values.sorted { ($0.red, $0.yellow, $0.key) > ($1.red, $1.yellow, $1.key) },
            byRegion: counts({ $0.region_code }, { regionNames[$0.region_code] ?? $0.region_code }), alerts: alerts,
            rectifications: rectificationUrgency.prefix(200).map { record, urgency in
                OpenRectification(
                    id: record.id ?? UUID(), itemName: record.itemName, departmentCode: record.departmentCode, departmentName: names[record.departmentCode] ?? record.departmentCode,
                    state: record.stateRaw, stateName: record.state.chineseName, deadline: record.deadline, level: urgency.rawValue, levelName: urgency.chineseName)
            },
            badReviewsOpen: open.count, badReviewsOverdue: rectificationUrgency.filter { $0.1 == .red }.count,
            bundles: try await openBundles(department: department, region: regionCode, calendar: calendar))
    }

    /// The running bundles (accepted, or waiting for the applicant's correction) whose lead
    /// department is in scope, with the department whose task holds each back (`BundlePlan.holdingBack`).
    private func openBundles(department: String?, region: RegionCode?, calendar: WorkingCalendar) async throws -> [OpenBundle] {
        let query = BundleApplicationRecord.query(on: ctx.db)
            .filter(\.$stateRaw ~~ [BundleApplicationState.accepted.rawValue, BundleApplicationState.correctionRequested.rawValue])
            .scoped(ctx.actor, .superviseService, department: \.$leadDepartment, region: \.$regionCode)
        if let department { query.filter(\.$leadDepartment == department) }
        if let region, !region.subtreePrefix.isEmpty { query.filter(\.$regionCode =~ region.subtreePrefix) }
        let records = try await query.sort(\.$deadline).limit(200).all()
        let warnWithin = ctx.settings.deadlineWarningDays
        var codes = Set(records.map(\.leadDepartment))
        var rows: [(BundleApplicationRecord, BundleHoldup?)] = []
        // Each task's clock as its case holds it (extensions and special procedures move the case's).
        let ids = records.compactMap(\.id)
        let taskCases = ids.isEmpty ? [] : try await CaseRecord.query(on: ctx.db).filter(\.$bundleApplicationID ~~ ids).all()
        for record in records {
            let cases = Dictionary(taskCases.filter { $0.bundleApplicationID == record.id }.map { ($0.itemCode, $0) }, uniquingKeysWith: { first, _ in first })
            let holdup = try record.progress.flatMap {
                BundlePlan.holdingBack(BundleService.live($0, cases: cases), today: ctx.today, warnWithin: warnWithin, calendar: calendar)
            }
            if let holdup { codes.insert(holdup.department) }
            rows.append((record, holdup))
        }
        let names = try await DepartmentRecord.names(Array(codes), on: ctx.db)
        return try rows.map { record, holdup in
            let status = record.deadline.flatMap { try? LocalDate($0) }.map {
                DeadlineClock.status(of: $0, today: ctx.today, warnWithin: warnWithin, calendar: calendar)
            }
            let level = record.state == .correctionRequested ? CaseUrgency.suspended : status.flatMap { CaseUrgency(rawValue: $0.rawValue) } ?? .none
            return OpenBundle(
                id: try record.requireID(), number: record.number, bundleName: record.bundleName,
                leadDepartmentName: names[record.leadDepartment] ?? record.leadDepartment, deadline: record.deadline, level: level.rawValue,
                levelName: level.chineseName, waitingForApplicant: record.state == .correctionRequested, holdupDepartment: holdup?.department,
                holdupDepartmentName: holdup.map { names[$0.department] ?? $0.department }, holdupItem: holdup?.name,
                holdupDeadline: holdup?.deadline.description, holdupLevel: holdup?.status.rawValue)
        }
    }

    /// The cases the watch has flagged (red first, then the earliest deadline), at most 500, with
    /// the clerk who accepted each.
    private func alertList(narrowed: (SQLSelectBuilder) -> SQLSelectBuilder, names: [String: String], calendar: WorkingCalendar) async throws -> [Alert] {
        struct Row: Decodable {
            var id: UUID
            var number: String?
            var item_name: String
            var department_code: String
            var region_code: String
            var alert_level: String
            var deadline: String?
        }
        let sql = try ctx.db.sql()
        let rows = try await narrowed(
            sql.select().columns("id", "number", "item_name", "department_code", "region_code", "alert_level", "deadline").from(CaseRecord.schema)
                .where("state", .in, Self.runningStates).where("alert_level", .in, ["yellow", "red"])
        ).orderBy("alert_level").orderBy("deadline").limit(500).all(decoding: Row.self)
        let ids = rows.map(\.id)
        var clerks: [UUID: String] = [:]
        if !ids.isEmpty {
            for event in try await CaseEventRecord.query(on: ctx.db).filter(\.$caseID ~~ ids).filter(\.$action == CaseAction.accept.rawValue).all() {
                clerks[event.caseID] = event.actor
            }
        }
        let today = ctx.today
        return rows.map { row in
            let deadline = row.deadline.flatMap { try? LocalDate($0) }
            var days = 0
            if let deadline {
                days = row.alert_level == "red"
                    ? (try? calendar.workingDays(after: deadline, through: today)) ?? (today.dayNumber - deadline.dayNumber)
                    : (try? calendar.workingDays(after: today, through: deadline)) ?? (deadline.dayNumber - today.dayNumber)
            }
            let level = CaseUrgency(rawValue: row.alert_level) ?? .none
            return Alert(
                caseID: row.id, number: row.number, itemName: row.item_name, departmentCode: row.department_code,
                departmentName: names[row.department_code] ?? row.department_code, regionCode: row.region_code, level: row.alert_level, levelName: level.chineseName,
                deadline: row.deadline, days: days, clerk: clerks[row.id])
        }
    }
}

extension String {
    /// nil for an empty string, so optional query parameters read as absent.
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
