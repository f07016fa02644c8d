import Fluent

/// 0001: regions and departments.
struct CreateRegionsAndDepartments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("regions")
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("level", .string, .required)
            .field("parent_code", .string)
            .unique(on: "code")
            .create()
        try await database.schema("departments")
            .id()
            .field("credit_code", .string, .required)
            .field("name", .string, .required)
            .field("short_name", .string, .required)
            .field("region_code", .string, .required)
            .field("phone", .string, .required)
            .field("address", .string, .required)
            .field("office_hours", .string, .required)
            .unique(on: "credit_code")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("departments").delete()
        try await database.schema("regions").delete()
    }
}
