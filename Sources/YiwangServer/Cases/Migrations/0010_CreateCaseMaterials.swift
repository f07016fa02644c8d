import Fluent
import Foundation
import SQLKit
import YiwangCore

/// 0010: case materials, the case facts the variants need (容缺, 告知承诺, green channel, 代办),
/// and the queue order with the indexes that serve the work queue and the deadline watch.
struct CreateCaseMaterials: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("case_materials")
            .id()
            .field("case_id", .uuid, .required, .references("cases", "id", onDelete: .cascade))
            .field("applicant_id", .string, .required)
            .field("material_index", .int, .required)
            .field("material_name", .string, .required)
            .field("sha256", .string, .required)
            .field("size", .int, .required)
            .field("file_type", .string, .required)
            .field("file_name", .string, .required)
            .field("supplied_by", .string, .required)
            .field("after_acceptance", .bool, .required)
            .field("reused_from", .uuid)
            .field("supplied_at", .datetime, .required)
            .create()
        // One column per statement: SQLite adds columns one at a time.
        let columns: [(String, DatabaseSchema.DataType, [DatabaseSchema.FieldConstraint])] = [
            ("green_channel", .bool, [.required, .sql(.default(false))]),
            ("green_channel_reason", .string, []),
            ("assisted_by", .string, []),
            ("commitment_signed", .bool, [.required, .sql(.default(false))]),
            ("commitment_check_due", .string, []),
            ("deferred_due", .string, []),
            ("result_document", .string, []),
            ("queue_order", .string, [.required, .sql(.default(CaseQueue.outOfQueue))]),
            ("approves_on_timeout", .bool, [.required, .sql(.default(false))]),
        ]
        for (name, type, constraints) in columns {
            try await database.schema("cases")
                .field(.definition(name: .key(.string(name)), dataType: type, constraints: constraints)).update()
        }
        // Cases filed before this migration take their place in the queue and keep their item's 超时默认.
        // Read and written as rows of this migration's own shape, never through the live model: a
        // column a later migration adds must not break a fresh migrate.
        guard let sql = database as? any SQLDatabase else { return }
        struct CaseRow: Decodable {
            var id: UUID
            var state: String
            var deadline: String?
            var created_at: Date
            var version_id: UUID
        }
        struct VersionRow: Decodable { var content: String }
        struct TimeoutRule: Decodable { var approveOnTimeout: Bool? }
        for row in try await sql.select().columns("id", "state", "deadline", "created_at", "version_id").from("cases").all(decoding: CaseRow.self) {
            let order = CaseQueue.order(state: CaseState(rawValue: row.state) ?? .draft, greenChannel: false, deadline: row.deadline, createdAt: row.created_at)
            let content = try await sql.select().column("content").from("item_versions").where("id", .equal, row.version_id).first(decoding: VersionRow.self)?.content
            let approves = content.flatMap { try? JSONDecoder().decode(TimeoutRule.self, from: Data($0.utf8)).approveOnTimeout } ?? false
            try await sql.update("cases").set("queue_order", to: order).set("approves_on_timeout", to: approves).where("id", .equal, row.id).run()
        }
        do {
            try await sql.raw("CREATE INDEX case_materials_case ON case_materials (case_id, material_index)").run()
            try await sql.raw("CREATE INDEX case_materials_applicant ON case_materials (applicant_id, supplied_at)").run()
            try await sql.raw("CREATE INDEX case_materials_reuse ON case_materials (applicant_id, sha256)").run()
            // The staff queue and the deadline watch read only what they need, from these.
            // `id` too, so that counting a queue (COUNT of ids) never leaves the index.
            try await sql.raw("CREATE INDEX cases_department_queue ON cases (department_code, queue_order, id)").run()
            try await sql.raw("CREATE INDEX cases_region_queue ON cases (region_code, queue_order, id)").run()
            try await sql.raw("CREATE INDEX cases_deadline_watch ON cases (state, alert_level, deadline)").run()
            try await sql.raw("CREATE INDEX cases_timeout_watch ON cases (approves_on_timeout, alert_level, deadline)").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("case_materials").delete()
        for name in ["green_channel", "green_channel_reason", "assisted_by", "commitment_signed", "commitment_check_due", "deferred_due", "result_document", "queue_order", "approves_on_timeout"] {
            try await database.schema("cases").deleteField(.string(name)).update()
        }
    }
}
