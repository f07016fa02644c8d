import Foundation
import Vapor
import YiwangCore

/// `GET /api/v1/statistics` (JSON, or CSV with `format=csv` or `Accept: text/csv`),
/// `GET /api/v1/supervision/overview` (supervisors, within their grants) and
/// `GET /api/v1/public/evaluations` (the published 好差评 of a department or an item).
enum StatisticsController {
    static func query(_ request: Request, _ service: StatisticsService) throws -> StatisticsService.Query {
        try service.query(
            from: request.query[String.self, at: "from"], to: request.query[String.self, at: "to"], groupBy: request.query[String.self, at: "groupBy"],
            department: request.query[String.self, at: "department"], region: request.query[String.self, at: "region"],
            item: request.query[String.self, at: "item"])
    }

    @Sendable static func statistics(_ request: Request) async throws -> Response {
        let service = StatisticsService(try request.domain)
        let report = try await service.report(try query(request, service))
        let wantsCSV =
            request.query[String.self, at: "format"] == "csv" || request.headers.accept.mediaTypes.contains { $0.type == "text" && $0.subType == "csv" }
        if wantsCSV {
            let response = Response(status: .ok, body: .init(string: StatisticsService.csv(report)))
            response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
            response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"statistics-\(report.from)-\(report.to).csv\"")
            return response
        }
        return try await report.encodeResponse(for: request)
    }

    @Sendable static func overview(_ request: Request) async throws -> SupervisionService.Overview {
        try await SupervisionService(try request.domain).overview(
            department: request.query[String.self, at: "department"], region: request.query[String.self, at: "region"])
    }

    @Sendable static func publicEvaluations(_ request: Request) async throws -> PublishedEvaluations.Results {
        try await PublishedEvaluations(try request.domain).results(
            department: request.query[String.self, at: "department"], item: request.query[String.self, at: "item"],
            from: request.query[String.self, at: "from"], to: request.query[String.self, at: "to"])
    }
}
