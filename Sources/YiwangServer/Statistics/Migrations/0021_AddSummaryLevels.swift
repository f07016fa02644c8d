import Fluent
import SQLKit

/// 0021: the coarser summary levels beside 0020's tables of every fact: the city (day ×
/// channel), departments (day × department × region) and items (day × item with its department
/// and region), daily and monthly; the last two sum every channel together. A dropped dimension
/// is stored as ''. Filled from 0020's tables, which every landed transaction has kept exact, so a
/// city's figures read the same the moment this runs. SQLite keeps each table in its key's order
/// (WITHOUT ROWID), so a range of days is read in one pass.
struct AddSummaryLevels: AsyncMigration {
    /// The counters at the time of this migration (frozen: a later counter comes with its own migration).
    static let counterColumns = [
        "applications", "accepted", "not_accepted", "decided", "decided_on_time", "concluded", "concluded_fully_online", "visits",
        "materials_required", "materials_spared", "reviews_level_1", "reviews_level_2", "reviews_level_3", "reviews_level_4",
        "reviews_level_5", "reviews_excluded", "rectified_on_time", "rectified_late",
    ]

    /// Each level's stem and what it keeps of the item, the channel, the department and the region.
    static let levels: [(stem: String, item: Bool, channel: Bool, department: Bool)] = [
        ("statistics_city", false, true, false),
        ("statistics_department", false, false, true),
        ("statistics_item", true, false, true),
    ]

    static let keyColumns = "day, item_code, channel, department_code, region_code"

    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        let sqlite = sql.dialect.name == "sqlite"
        let counters = Self.counterColumns.map { "\($0) BIGINT NOT NULL DEFAULT 0" }.joined(separator: ", ")
        let sums = Self.counterColumns.map { "SUM(\($0))" }.joined(separator: ", ")
        let columns = Self.counterColumns.joined(separator: ", ")
        for level in Self.levels {
            for (period, source) in [("daily", "statistics_daily"), ("monthly", "statistics_monthly")] {
                let table = "\(level.stem)_\(period)"
                try await sql.raw("""
                    CREATE TABLE \(unsafeRaw: table) (day TEXT NOT NULL, item_code TEXT NOT NULL, channel TEXT NOT NULL, department_code TEXT NOT NULL,
                        region_code TEXT NOT NULL, item_name TEXT NOT NULL, \(unsafeRaw: counters),
                        PRIMARY KEY (\(unsafeRaw: Self.keyColumns)))\(unsafeRaw: sqlite ? " WITHOUT ROWID" : "")
                    """).run()
                // PostgreSQL refuses a constant in GROUP BY: group by the columns kept.
                var kept = ["day"]
                if level.item { kept.append("item_code") }
                if level.channel { kept.append("channel") }
                if level.department { kept += ["department_code", "region_code"] }
                try await sql.raw("""
                    INSERT INTO \(unsafeRaw: table) (\(unsafeRaw: Self.keyColumns), item_name, \(unsafeRaw: columns))
                    SELECT day, \(unsafeRaw: level.item ? "item_code" : "''"), \(unsafeRaw: level.channel ? "channel" : "''"),
                        \(unsafeRaw: level.department ? "department_code" : "''"), \(unsafeRaw: level.department ? "region_code" : "''"),
                        \(unsafeRaw: level.item ? "MAX(item_name)" : "''"), \(unsafeRaw: sums)
                    FROM \(unsafeRaw: source)
                    GROUP BY \(unsafeRaw: kept.joined(separator: ", "))
                    """).run()
            }
        }
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        for level in Self.levels.reversed() {
            for period in ["monthly", "daily"] { try await sql.raw("DROP TABLE \(unsafeRaw: "\(level.stem)_\(period)")").run() }
        }
    }
}
