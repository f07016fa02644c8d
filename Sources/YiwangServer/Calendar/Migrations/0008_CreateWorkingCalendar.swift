import Fluent
import Foundation
import SQLKit
import YiwangCore

/// 0008: the working calendar, seeded with the arrangements the platform ships (2024–2026).
struct CreateWorkingCalendar: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("calendar_years")
            .field("year", .int, .identifier(auto: false))
            .field("arrangement", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
        // The years the platform shipped with when this migration landed; later years are entered
        // at /admin/calendar (or by a migration of their own).
        guard let sql = database as? any SQLDatabase else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for year in ChinaHolidays.shipped where (2024...2026).contains(year.year) {
            try await sql.insert(into: "calendar_years").columns("year", "arrangement", "updated_by", "updated_at")
                .values(
                    SQLBind(year.year), SQLBind(String(decoding: try encoder.encode(year), as: UTF8.self)), SQLBind("system:shipped"),
                    SQLBind(Date(timeIntervalSince1970: 0))
                ).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("calendar_years").delete()
    }
}
