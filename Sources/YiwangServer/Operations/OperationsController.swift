import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

enum OperationsController {
    struct Readiness: Content {
        var status: String
        var database: String
        var migrations: Int
    }

    /// Ready when the database answers and every migration has run.
    @Sendable static func ready(_ request: Request) async throws -> Response {
        let engine: String
        switch request.application.settings.database {
        case .postgres: engine = "postgresql"
        default: engine = "sqlite"
        }
        do {
            guard let sql = request.db as? any SQLDatabase else { throw Abort(.serviceUnavailable) }
            try await sql.raw("SELECT 1").run()
            let applied = try await MigrationLog.query(on: request.db).count()
            let expected = AppMigrations.all.count
            guard applied >= expected else {
                return try await Readiness(status: "migrations-pending", database: engine, migrations: applied)
                    .encodeResponse(status: .serviceUnavailable, for: request)
            }
            return try await Readiness(status: "ready", database: engine, migrations: applied).encodeResponse(for: request)
        } catch {
            request.logger.warning("readiness check failed: \(String(reflecting: error))")
            return try await Readiness(status: "database-unavailable", database: engine, migrations: 0)
                .encodeResponse(status: .serviceUnavailable, for: request)
        }
    }

    /// The committed OpenAPI 3.1 document; a test keeps it and the routes in step.
    @Sendable static func openAPI(_ request: Request) async throws -> Response {
        let path = request.application.directory.resourcesDirectory + "openapi.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DomainError(.notFound, code: "openapi.missing", message: "接口说明文档缺失。")
        }
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}
