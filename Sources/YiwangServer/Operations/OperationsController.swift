import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

extension Application {
    private struct OpenAPIKey: StorageKey { typealias Value = Data }

    /// The OpenAPI document, read once by `configure`.
    var openAPIDocument: Data {
        get { storage[OpenAPIKey.self] ?? Data() }
        set { storage[OpenAPIKey.self] = newValue }
    }
}

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

    /// Reads the committed OpenAPI document once, at start-up; a missing file stops the server.
    static func loadOpenAPI(_ app: Application) throws -> Data {
        let path = app.directory.resourcesDirectory + "openapi.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(problems: ["\(path) is missing (set YIWANG_ROOT to the package root)"])
        }
        return data
    }

    /// The committed OpenAPI 3.1 document; a test keeps it and the routes in step.
    @Sendable static func openAPI(_ request: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return Response(status: .ok, headers: headers, body: .init(data: request.application.openAPIDocument))
    }
}
