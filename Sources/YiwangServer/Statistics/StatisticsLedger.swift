import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// The summary tables behind every figure: at each `SummaryLevel`, one row per day (and per
/// month) and the dimensions the level keeps, with one column per `StatisticsCounter`. The
/// transaction that changes a case, a review or a rectification adds its tally to every level,
/// so the figures are exact at every commit and a year of them is read in a few thousand rows,
/// never by scanning cases.
enum StatisticsLedger {
    /// The tables of every fact (`SummaryLevel.full`), which the other levels sum.
    static let daily = SummaryLevel.full.daily
    static let monthly = SummaryLevel.full.monthly
    static var tables: [String] { SummaryLevel.all.flatMap { [$0.daily, $0.monthly] } }

    /// Adds a tally to its day's and its month's rows at every level (created at the first fact):
    /// eight upserts in the caller's transaction, so the levels move together or not at all.
    static func add(_ tally: Tally, at key: TallyKey, on db: any Database) async throws {
        guard !tally.isZero else { return }
        let sql = try db.sql()
        for level in SummaryLevel.all {
            let rowKey = level.key(key)
            for (table, tableKey) in [(level.daily, rowKey), (level.monthly, rowKey.month)] {
                var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) \(unsafeRaw: columnList) VALUES ")
                appendRow(tableKey, tally, to: &query)
                query.appendInterpolation(unsafeRaw: " ON CONFLICT (day, item_code, channel, department_code, region_code) DO UPDATE SET ")
                query.appendInterpolation(
                    unsafeRaw: StatisticsCounter.allCases.filter { tally[$0] != 0 }.map { "\($0.column) = \(table).\($0.column) + excluded.\($0.column)" }
                        .joined(separator: ", "))
                try await sql.raw(query).run()
            }
        }
    }

    private static let columnList = "(day, item_code, channel, department_code, region_code, item_name, "
        + StatisticsCounter.allCases.map(\.column).joined(separator: ", ") + ")"

    /// `(day, item_code, channel, department_code, region_code, item_name, counters…)`, bound.
    private static func appendRow(_ key: TallyKey, _ tally: Tally, to query: inout SQLQueryString) {
        query.appendInterpolation(unsafeRaw: "(")
        query.appendInterpolation(bind: key.day.description)
        for value in [key.itemCode, key.channel, key.departmentCode, key.regionCode, key.itemName] {
            query.appendInterpolation(unsafeRaw: ", ")
            query.appendInterpolation(bind: value)
        }
        for counter in StatisticsCounter.allCases {
            query.appendInterpolation(unsafeRaw: ", ")
            query.appendInterpolation(bind: Int64(tally[counter]))
        }
        query.appendInterpolation(unsafeRaw: ")")
    }

    /// What narrows the figures: one department, a region's subtree, one item.
    struct Filter: Sendable, Equatable {
        var departmentCode: String?
        var region: RegionCode?
        var itemCode: String?
        /// A reader's grants (the supervision board): nil reads every row.
        var scopes: [Scope]?

        /// The dimensions a summary level must keep to answer with this filter.
        var dimensions: Set<StatisticsDimension> {
            var needed: Set<StatisticsDimension> = []
            if departmentCode != nil { needed.insert(.department) }
            if itemCode != nil { needed.insert(.item) }
            if let region, !region.subtreePrefix.isEmpty { needed.insert(.region) }
            for scope in scopes ?? [] {
                if scope.departmentCreditCode != nil { needed.insert(.department) }
                if scope.regionCode != nil { needed.insert(.region) }
            }
            return needed
        }

        func apply(_ query: SQLSelectBuilder) -> SQLSelectBuilder {
            var query = query.scoped(scopes)
            if let departmentCode { query = query.where("department_code", .equal, departmentCode) }
            if let itemCode { query = query.where("item_code", .equal, itemCode) }
            if let region, !region.subtreePrefix.isEmpty { query = query.where("region_code", .like, region.subtreePrefix + "%") }
            return query
        }
    }

    /// The level a query reads: the smallest keeping what it groups and filters by.
    static func level(by grouping: StatisticsGrouping, filter: Filter) -> SummaryLevel {
        SummaryLevel.smallest(keeping: filter.dimensions.union(grouping.dimension.map { [$0] } ?? []))
    }

    /// The sums of a period, by group, from the smallest level that can answer, in the reads
    /// `StatisticsPeriod.reads` plans (whole months from the monthly table; a month covered in
    /// part from its days, or as its month less the days left out); by day, from the daily table.
    static func sums(_ period: StatisticsPeriod, by grouping: StatisticsGrouping, filter: Filter, on db: any Database) async throws -> [String: (name: String, tally: Tally)] {
        let reads = grouping == .day ? [StatisticsPeriod.Read(table: .daily, from: period.from, to: period.to, sign: 1)] : period.reads()
        guard reads.contains(where: { $0.sign < 0 }) else { return try await sums(reads, by: grouping, filter: filter, on: db) }
        // Days taken away from a month must be read in the same state as the month itself: a step
        // committed between the two reads would be taken away without having been added. One
        // read transaction sees one snapshot (SQLite's WAL from its first read on; PostgreSQL at
        // REPEATABLE READ).
        return try await db.transaction { tx in
            let sql = try tx.sql()
            if sql.dialect.name == "postgresql" { try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").run() }
            return try await sums(reads, by: grouping, filter: filter, on: tx)
        }
    }

    private static func sums(_ reads: [StatisticsPeriod.Read], by grouping: StatisticsGrouping, filter: Filter, on db: any Database) async throws -> [String: (name: String, tally: Tally)] {
        let sql = try db.sql()
        let level = level(by: grouping, filter: filter)
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
            var query = sql.select().from(read.table == .monthly ? level.monthly : level.daily)
            if let groupColumn { query = query.column(SQLAlias(SQLColumn(groupColumn), as: SQLIdentifier("grp"))) }
            if grouping == .item { query = query.column(SQLAlias(SQLFunction("MAX", args: SQLColumn("item_name")), as: SQLIdentifier("grp_name"))) }
            for counter in StatisticsCounter.allCases {
                // PostgreSQL sums BIGINT as NUMERIC: cast back so both engines answer integers.
                query = query.column(SQLAlias(SQLRaw("CAST(SUM(\(counter.column)) AS BIGINT)"), as: SQLIdentifier(counter.column)))
            }
            query = query.where("day", .greaterThanOrEqual, read.from.description).where("day", .lessThanOrEqual, read.to.description)
            query = filter.apply(query)
            if let groupColumn { query = query.groupBy(SQLColumn(groupColumn)) }
            for row in try await query.all() {
                let group = groupColumn == nil ? "" : (try row.decode(column: "grp", as: String.self))
                var tally = Tally()
                for counter in StatisticsCounter.allCases {
                    tally[counter] = Int(try row.decodeNil(column: counter.column) ? 0 : try row.decode(column: counter.column, as: Int64.self))
                }
                let name = grouping == .item ? ((try? row.decode(column: "grp_name", as: String.self)) ?? group) : group
                let earlier = result[group]?.tally ?? Tally()
                result[group] = (name, read.sign < 0 ? earlier + -tally : earlier + tally)
            }
        }
        // A SUM over no rows, or a group found only on the days a month's row is read without.
        return result.filter { !$0.value.tally.isZero }
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

    /// The rows of every table at every level these daily tallies of the full level imply.
    static func rows(from days: [TallyKey: Tally]) -> [String: [TallyKey: Tally]] {
        var tables: [String: [TallyKey: Tally]] = [:]
        for level in SummaryLevel.all {
            var daily: [TallyKey: Tally] = [:]
            var monthly: [TallyKey: Tally] = [:]
            for (key, tally) in days where !tally.isZero {
                let rowKey = level.key(key)
                daily[rowKey, default: Tally()] += tally
                monthly[rowKey.month, default: Tally()] += tally
            }
            tables[level.daily] = daily
            tables[level.monthly] = monthly
        }
        return tables
    }

    /// Replaces every table with what these daily tallies imply (the rebuild's repair), in one
    /// transaction, in multi-row inserts: a city's year is about 250,000 rows.
    static func replace(with days: [TallyKey: Tally], on db: any Database) async throws {
        let tables = rows(from: days)
        try await db.transaction { tx in
            let sql = try tx.sql()
            for table in Self.tables {
                try await sql.delete(from: table).run()
                let rows = (tables[table] ?? [:]).sorted { ($0.key.day, $0.key.itemCode, $0.key.channel) < ($1.key.day, $1.key.itemCode, $1.key.channel) }
                // 24 binds a row: 400 rows stay under either engine's limit of binds a statement.
                for start in stride(from: 0, to: rows.count, by: 400) {
                    var query = SQLQueryString("INSERT INTO \(unsafeRaw: table) \(unsafeRaw: columnList) VALUES ")
                    for (offset, row) in rows[start..<min(start + 400, rows.count)].enumerated() {
                        if offset > 0 { query.appendInterpolation(unsafeRaw: ", ") }
                        appendRow(row.key, row.value, to: &query)
                    }
                    try await sql.raw(query).run()
                }
            }
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
