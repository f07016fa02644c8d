import Fluent
import SQLKit
import YiwangCore

/// 0013: the chain's head carries a seal (an HMAC under the chain's key), and the platform moves
/// the head itself once per transaction instead of a trigger: a head rewritten in the database,
/// or rows added behind the platform's back, no longer match their seal. The current head is
/// sealed as found (its links are checked by `verify-audit` as before).
struct SealAuditHead: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("ALTER TABLE audit_head ADD COLUMN seal TEXT").run()
        if sql.dialect.name == "sqlite" {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_events_move_head").run()
        } else {
            try await sql.raw("DROP TRIGGER IF EXISTS audit_events_move_head ON audit_events").run()
            try await sql.raw("DROP FUNCTION IF EXISTS audit_events_move_head()").run()
        }
        struct Head: Decodable {
            var sequence: Int64
            var hash: String
        }
        guard let head = try await sql.raw("SELECT sequence, hash FROM audit_head WHERE id = 1").first(decoding: Head.self) else { return }
        let seal = try AuditTrail.chain().headSeal(sequence: head.sequence, hash: head.hash)
        try await sql.raw("UPDATE audit_head SET seal = \(bind: seal) WHERE id = 1").run()
    }

    /// Back to 0007's shape: no seal, and the trigger that moved the head on every insert.
    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.raw("ALTER TABLE audit_head DROP COLUMN seal").run()
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
    }
}
