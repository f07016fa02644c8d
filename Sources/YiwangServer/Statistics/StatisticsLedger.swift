import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// The summary tables behind every figure: one row per day (and per month) × item × channel ×
/// department × region, with one column per `StatisticsCounter`. The transaction that changes a
/// case, a review or a rectification adds its tally here, so the figures are exact at every
/// commit and a year of them is read in a few thousand rows, never by scanning cases.
enum StatisticsLedger {
    static let daily = "statistics_daily"
    static let monthly = "statistics_monthly"
    static let keyColumns = ["day", "item_code", "channel", "department_code", "region_code"]

    /// Adds a tally to its day's and its month's rows (created at the first fact).
    static func add(_ tally: Tally, at key: TallyKey, on db: any Database) async throws {
        guard !tally.isZero else { return }
        let sql = try db.sql()
        for (table, rowKey) in [(daily, key), (monthly, key.month)] {
            try await sql.raw(upsert(table, rowKey, tally)).run()
        }
    }

    private static func upsert(_ table: String, _ key: TallyKey, _ tally: Tally) -> SQLQueryString {
        let counters = StatisticsCounter.allCases
        var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) (day, item_code, channel, department_code, region_code, item_name")
        for counter in counters { query.appendInterpolation(unsafeRaw: ", " + counter.column) }
        query.appendInterpolation(unsafeRaw: ") VALUES (")
        query.appendInterpolation(bind: key.day.description)
        for value in [key.itemCode, key.channel, key.departmentCode, key.regionCode, key.itemName] {
            query.appendInterpolation(unsafeRaw: ", ")
            query.appendInterpolation(bind: value)
        }
        for counter in counters {
            query.appendInterpolation(unsafeRaw: ", ")
            query.appendInterpolation(bind: Int64(tally[counter]))
        }
        query.appendInterpolation(unsafeRaw: ") ON CONFLICT (day, item_code, channel, department_code, region_code) DO UPDATE SET ")
        query.appendInterpolation(
            unsafeRaw: counters.filter { tally[$0] != 0 }.map { "\($0.column) = \(table).\($0.column) + excluded.\($0.column)" }.joined(separator: ", "))
        return query
    }

    /// What narrows the figures: one department, a region's subtree, one item.
    struct Filter: Sendable, Equatable {
        var departmentCode: String?
        var region: RegionCode?
        var itemCode: String?
        /// A reader's grants (the supervision board): nil reads every row.
        var scopes: [Scope]?

        func apply(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = query.scoped(scopes)
            if let departmentCode { query = query.where("department_code", .equal, departmentCode) }
            if let itemCode { query = query.where("item_code", .equal, itemCode) }
            if let region, !region.subtreePrefix.isEmpty { query = query.where("region_code", .like, region.subtreePrefix + "%") }
            return query
        }
    }

    /// The sums of a period, by group: whole months from the monthly table, the days at either
    /// end (or every day, grouping by day) from the daily one.
    static func sums(_ period: StatisticsPeriod, by grouping: StatisticsGrouping, filter: Filter, on db: any Database) async throws -> [String: (name: String, tally: Tally)] {
        let sql = try db.sql()
        var reads: [(table: String, from: String, to: String)] = []
        if grouping == .day {
            reads = [(daily, period.from.description, period.to.description)]
        } else {
            let (months, days) = period.split()
            if let first = months.first, let last = months.last { reads.append((monthly, first.description, last.description)) }
            for range in days { reads.append((daily, range.lowerBound.description, range.upperBound.description)) }
        }
        let groupColumn: String? =
            switch grouping {
            case .total: nil
            case .department: "department_code"
            case .item: "item_code"
            case .channel: "channel"
            case .region: "region_code"
            case .day: "day"
            }
        var result: [String: (name: String, tally: Tally)] = [:]
        for read in reads {
            var query = sql.select().from(read.table)
            if let groupColumn { query = query.column(SQLAlias(SQLColumn(groupColumn), as: SQLIdentifier("grp"))) }
            if grouping == .item { query = query.column(SQLAlias(SQLFunction("MAX", args: SQLColumn("item_name")), as: SQLIdentifier("grp_name"))) }
            for counter in StatisticsCounter.allCases {
                // PostgreSQL sums BIGINT as NUMERIC: cast back so both engines answer integers.
                query = query.column(SQLAlias(SQLRaw("CAST(SUM(\(counter.column)) AS BIGINT)"), as: SQLIdentifier(counter.column)))
            }
            query = query.where("day", .greaterThanOrEqual, read.from).where("day", .lessThanOrEqual, read.to)
            query = filter.apply(query)
            if let groupColumn { query = query.groupBy(SQLColumn(groupColumn)) }
            for row in try await query.all() {
                let group = groupColumn == nil ? "" : (try row.decode(column: "grp", as: String.self))
                var tally = Tally()
                for counter in StatisticsCounter.allCases {
                    tally[counter] = Int(try row.decodeNil(column: counter.column) ? 0 : try row.decode(column: counter.column, as: Int64.self))
                }
                if grouping == .total && tally.isZero { continue }  // SUM over no rows
                let name = grouping == .item ? ((try? row.decode(column: "grp_name", as: String.self)) ?? group) : group
                let earlier = result[group]?.tally ?? Tally()
                result[group] = (name, earlier + tally)
            }
        }
        return result
    }

    /// Every stored row of one table, by key (for the rebuild's comparison).
    static func stored(_ table: String, on db: any Database) async throws -> [TallyKey: Tally] {
        var rows: [TallyKey: Tally] = [:]
        for row in try await db.sql().select().column("*").from(table).all() {
            let day = try LocalDate(try row.decode(column: "day", as: String.self))
            let key = TallyKey(
                day: day, itemCode: try row.decode(column: "item_code", as: String.self), itemName: try row.decode(column: "item_name", as: String.self),
                departmentCode: try row.decode(column: "department_code", as: String.self), regionCode: try row.decode(column: "region_code", as: String.self),
                channel: try row.decode(column: "channel", as: String.self))
            var tally = Tally()
            for counter in StatisticsCounter.allCases { tally[counter] = Int(try row.decode(column: counter.column, as: Int64.self)) }
            rows[key.withoutName, default: Tally()] += tally
        }
        return rows
    }

    /// Replaces both tables with these daily tallies (the rebuild's repair), in one transaction.
    static func replace(with days: [TallyKey: Tally], on db: any Database) async throws {
        try await db.transaction { tx in
            let sql = try tx.sql()
            try await sql.delete(from: daily).run()
            try await sql.delete(from: monthly).run()
            for (key, tally) in days.sorted(by: { $0.key.day < $1.key.day }) { try await add(tally, at: key, on: tx) }
        }
    }
}

extension TallyKey {
    /// The item's name is carried for display only; rows are compared without it.
    var withoutName: TallyKey {
        var key = self
        key.itemName = ""
        return key
    }
}

/// The facts of a case step the statistics need, read the same way by the step itself and by
/// the rebuild, so the two can never count differently.
enum CaseStatistics {
    static func key(_ record: CaseRecord, on day: LocalDate) -> TallyKey {
        TallyKey(
            day: day, itemCode: record.itemCode, itemName: record.itemName, departmentCode: record.departmentCode, regionCode: record.regionCode,
            channel: record.channel)
    }

    /// The facts an action needs: materials at acceptance, visits at delivery, the deadline at a
    /// decision. Reads nothing for the other steps.
    static func facts(_ action: CaseAction, _ record: CaseRecord, guide: ServiceGuide, on db: any Database) async throws -> CaseStatisticsFacts {
        guard let id = record.id else { return facts(action, record, guide: guide, materialsGiven: [], submissionDays: []) }
        var given: [CaseMaterialRecord] = []
        var days: Set<LocalDate> = []
        switch action {
        case .accept:
            given = try await CaseMaterialRecord.query(on: db).filter(\.$caseID == id).filter(\.$afterAcceptance == false).all()
        case .deliver:
            days = Set(try await CaseEventRecord.query(on: db).filter(\.$caseID == id).filter(\.$action == CaseAction.submit.rawValue).all(\.$at).map { LocalDate($0) })
        default: break
        }
        return facts(action, record, guide: guide, materialsGiven: given, submissionDays: days)
    }
}
