import Fluent
import SQLKit

/// 0023: investment and construction projects (投资项目) with their code, the link of each
/// approval (a case, or a bundle application whose tasks are cases) to the project and the stage
/// it belongs to, and joint reviews (多图联审, 联合验收, 多评合一). A project and a joint review are
/// stored as their Core value (`content`), with the columns lists and scoping read.
struct CreateProjects: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("investment_projects")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("owner_id", .string, .required)
            .field("region_code", .string, .required)
            .field("stage", .string, .required)
            .field("is_major", .bool, .required)
            .field("proxy_agent", .string)
            .field("content", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "code")
            .create()
        try await database.schema("project_approvals")
            .id()
            .field("project_id", .uuid, .required, .references("investment_projects", "id"))
            .field("stage", .string, .required)
            .field("case_id", .uuid)
            .field("bundle_application_id", .uuid)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema("joint_reviews")
            .id()
            .field("project_id", .uuid, .references("investment_projects", "id"))
            .field("stage", .string)
            .field("kind", .string, .required)
            .field("lead_department", .string, .required)
            .field("region_code", .string, .required)
            .field("state", .string, .required)
            .field("deadline", .string)
            .field("content", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.create(index: "investment_projects_by_owner").on("investment_projects").column("owner_id").run()
        try await sql.create(index: "project_approvals_by_project").on("project_approvals").column("project_id").run()
        try await sql.create(index: "project_approvals_by_case").on("project_approvals").column("case_id").run()
        try await sql.create(index: "joint_reviews_by_project").on("joint_reviews").column("project_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("joint_reviews").delete()
        try await database.schema("project_approvals").delete()
        try await database.schema("investment_projects").delete()
    }
}
