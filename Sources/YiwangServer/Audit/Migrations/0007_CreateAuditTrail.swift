import Fluent
import SQLKit
import YiwangCore

/// 0007: the tamper-evident audit trail.
struct CreateAuditTrail: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("audit_events")
            .field("sequence", .int64, .identifier(auto: false))
            .field("at_ms", .int64, .required)
            .field("actor", .string, .required)
            .field("acting_for", .string)
            .field("role", .string)
            .field("channel", .string, .required)
            .field("address", .string)
            .field("action", .string, .required)
            .field("subject_type", .string, .required)
            .field("subject_id", .string, .required)
            .field("department", .string)
            .field("region", .string)
            .field("before", .string)
            .field("after", .string)
            .field("previous_hash", .string, .required)
            .field("hash", .string, .required)
            .create()
        try await database.schema("audit_head")
            .field("id", .int, .identifier(auto: false))
            .field("sequence", .int64, .required)
            .field("hash", .string, .required)
            .create()
        if let sql = database as? any SQLDatabase {
            // The empty chain's head: sequence 0 after the genesis hash (64 zeros).
            try await sql.insert(into: "audit_head").columns("id", "sequence", "hash")
                .values(SQLBind(1), SQLBind(Int64(0)), SQLBind(String(repeating: "0", count: 64))).run()
            // Every inserted link moves the head, in the same statement's work: appends cost one
            // round trip, and rows inserted behind the platform's back move it too.
            if sql.dialect.name == "sqlite" {
                try await sql.raw("""
                    CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
                    BEGIN UPDATE audit_head SET sequence = NEW.sequence, hash = NEW.hash WHERE id = 1; END
                    """).run()
            } else {
                try await sql.raw("""
                    CREATE FUNCTION audit_events_move_head() RETURNS trigger AS $$
                    BEGIN UPDATE audit_head SET sequence = NEW.sequence, hash = NEW.hash WHERE id = 1; RETURN NEW; END;
                    $$ LANGUAGE plpgsql
                    """).run()
                try await sql.raw("""
                    CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
                    FOR EACH ROW EXECUTE FUNCTION audit_events_move_head()
                    """).run()
            }
            try await sql.raw("CREATE INDEX audit_events_actor ON audit_events (actor, at_ms)").run()
            try await sql.raw("CREATE INDEX audit_events_subject ON audit_events (subject_id, at_ms)").run()
            try await sql.raw("CREATE INDEX audit_events_action ON audit_events (action, at_ms)").run()
            try await sql.raw("CREATE INDEX audit_events_at ON audit_events (at_ms)").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("audit_events").delete()
        try await database.schema("audit_head").delete()
        if let sql = database as? any SQLDatabase, sql.dialect.name != "sqlite" {
            try await sql.raw("DROP FUNCTION IF EXISTS audit_events_move_head()").run()
        }
    }
}
