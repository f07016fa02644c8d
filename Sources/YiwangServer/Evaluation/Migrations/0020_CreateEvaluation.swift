import Fluent
import SQLKit

/// 0020: 好差评 and its rectification loop, the hall's windows and visits, and the statistics'
/// summary tables. Reviews are append-only in the database itself: a trigger refuses every
/// UPDATE and DELETE, whoever asks.
struct CreateEvaluation: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("hall_windows")
            .field("code", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("department_code", .string, .required)
            .field("region_code", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("window_visits")
            .id()
            .field("window_code", .string, .required)
            .field("clerk", .string, .required)
            .field("clerk_name", .string, .required)
            .field("department_code", .string, .required)
            .field("region_code", .string, .required)
            .field("applicant_id", .string)
            .field("case_ids", .string, .required)
            .field("started_at", .datetime, .required)
            .field("ended_at", .datetime)
            .create()
        try await database.schema("review_question_sets")
            .field("version", .string, .identifier(auto: false))
            .field("service", .string, .required)
            .field("content", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("reviews")
            .id()
            .field("subject_kind", .string, .required)
            // One review per case and stage, per visit, per rectification.
            .field("subject_key", .string, .required)
            .field("case_id", .uuid)
            .field("case_number", .string)
            .field("stage", .string)
            .field("visit_id", .uuid)
            .field("follows_id", .uuid)
            .field("item_code", .string, .required)
            .field("item_name", .string, .required)
            .field("department_code", .string, .required)
            .field("region_code", .string, .required)
            .field("service_channel", .string, .required)
            .field("channel", .string, .required)
            .field("question_set", .string, .required)
            .field("level", .int, .required)
            .field("answers", .string, .required)
            .field("reasons", .string, .required)
            .field("text", .string, .required)
            .field("reviewer_id", .string)
            .field("recorded_by", .string)
            .field("day", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "subject_key")
            .create()
        try await database.schema("review_invitations")
            .field("token_hash", .string, .identifier(auto: false))
            .field("case_id", .uuid, .required)
            .field("stage", .string, .required)
            .field("applicant_id", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .create()
        try await database.schema("rectifications")
            .id()
            .field("review_id", .uuid, .required)
            .field("case_id", .uuid)
            .field("department_code", .string, .required)
            .field("region_code", .string, .required)
            .field("item_code", .string, .required)
            .field("item_name", .string, .required)
            .field("state", .string, .required)
            .field("kind", .string)
            .field("deadline", .string, .required)
            .field("alert_level", .string, .required)
            .field("finding", .string)
            .field("reply", .string)
            .field("visit_result", .string)
            .field("visit_reached", .bool)
            .field("appeal_decision", .string)
            .field("closed_on", .string)
            .field("on_time", .bool)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "review_id")
            .create()
        try await database.schema("rectification_events")
            .id()
            .field("rectification_id", .uuid, .required, .references("rectifications", "id", onDelete: .cascade))
            .field("at", .datetime, .required)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("from_state", .string, .required)
            .field("to_state", .string, .required)
            .field("summary", .string, .required)
            .create()
        for table in ["statistics_daily", "statistics_monthly"] {
            var schema = database.schema(table)
                .field("day", .string, .required)
                .field("item_code", .string, .required)
                .field("channel", .string, .required)
                .field("department_code", .string, .required)
                .field("region_code", .string, .required)
                .field("item_name", .string, .required)
            for column in Self.counterColumns {
                schema = schema.field(.definition(name: .key(.string(column)), dataType: .int64, constraints: [.required, .sql(.default(0))]))
            }
            try await schema.compositeIdentifier(over: "day", "item_code", "channel", "department_code", "region_code").create()
        }
        guard let sql = database as? any SQLDatabase else { return }
        for statement in [
            "CREATE INDEX window_visits_window ON window_visits (window_code, started_at)",
            "CREATE INDEX reviews_case ON reviews (case_id)",
            "CREATE INDEX reviews_department ON reviews (department_code, day)",
            "CREATE INDEX reviews_item ON reviews (item_code, day)",
            "CREATE INDEX rectifications_open ON rectifications (state, deadline)",
            "CREATE INDEX rectifications_department ON rectifications (department_code, state)",
            "CREATE INDEX rectification_events_at ON rectification_events (rectification_id, at)",
            "CREATE INDEX statistics_daily_day ON statistics_daily (day)",
            "CREATE INDEX statistics_monthly_day ON statistics_monthly (day)",
            "CREATE INDEX cases_open_alerts ON cases (alert_level, state)",
        ] {
            try await sql.raw("\(unsafeRaw: statement)").run()
        }
        if sql.dialect.name == "sqlite" {
            for (event, verb) in [("UPDATE", "修改"), ("DELETE", "删除")] {
                let trigger = """
                    CREATE TRIGGER reviews_append_only_\(event.lowercased()) BEFORE \(event) ON reviews
                    BEGIN SELECT RAISE(ABORT, 'reviews are append-only: 评价不能\(verb)'); END
                    """
                try await sql.raw("\(unsafeRaw: trigger)").run()
            }
        } else {
            try await sql.raw("""
                CREATE FUNCTION reviews_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION 'reviews are append-only: 评价不能修改或删除'; END $$ LANGUAGE plpgsql
                """).run()
            try await sql.raw("CREATE TRIGGER reviews_append_only BEFORE UPDATE OR DELETE ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_append_only()").run()
            // TRUNCATE fires no row trigger: refuse it for the whole statement.
            try await sql.raw("CREATE TRIGGER reviews_no_truncate BEFORE TRUNCATE ON reviews FOR EACH STATEMENT EXECUTE FUNCTION reviews_append_only()").run()
        }
    }

    func revert(on database: any Database) async throws {
        if let sql = database as? any SQLDatabase {
            try await sql.raw("DROP INDEX IF EXISTS cases_open_alerts").run()
            if sql.dialect.name != "sqlite" {
                try await sql.raw("DROP TRIGGER IF EXISTS reviews_no_truncate ON reviews").run()
                try await sql.raw("DROP TRIGGER IF EXISTS reviews_append_only ON reviews").run()
                try await sql.raw("DROP FUNCTION IF EXISTS reviews_append_only()").run()
            }
        }
        for table in [
            "statistics_monthly", "statistics_daily", "rectification_events", "rectifications", "review_invitations", "reviews",
            "review_question_sets", "window_visits", "hall_windows",
        ] {
            try await database.schema(table).delete()
        }
    }

    /// The counters as this migration made them; frozen here so a later counter needs a new migration.
    static let counterColumns = [
        "applications", "accepted", "not_accepted", "decided", "decided_on_time", "concluded", "concluded_fully_online", "visits",
        "materials_required", "materials_spared", "reviews_level_1", "reviews_level_2", "reviews_level_3", "reviews_level_4",
        "reviews_level_5", "reviews_excluded", "rectified_on_time", "rectified_late",
    ]
}
