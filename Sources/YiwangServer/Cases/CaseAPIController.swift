import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/api/v1/cases`: filing with an Idempotency-Key, reading, and transitions.
enum CaseAPIController {
    static func caseID(_ request: Request) throws -> UUID {
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        return id
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let body = try request.content.decode(NewCaseRequest.self)
        let service = try CaseService(request: request)
        let (record, created) = try await service.create(body, idempotencyKey: request.headers.first(name: "Idempotency-Key"))
        let response = try await service.view(record).encodeResponse(status: created ? .created : .ok, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/cases/\(record.id!.uuidString)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> CaseService.Listing {
        struct Query: Decodable {
            var state: String?
            var page: Int?
            var per: Int?
        }
        let query = try request.query.decode(Query.self)
        var state: CaseState?
        if let raw = query.state, !raw.isEmpty {
            guard let parsed = CaseState(rawValue: raw) else {
                throw DomainError.invalid("case.state", "state 应为办件状态之一：" + CaseState.allCases.map(\.rawValue).joined(separator: "、"))
            }
            state = parsed
        }
        let paging = try PageRequest(page: query.page, per: query.per, defaultPer: 20)
        return try await try CaseService(request: request).list(state: state, page: paging, warnWithin: request.application.settings.deadlineWarningDays)
    }

    @Sendable static func show(_ request: Request) async throws -> CaseView {
        let service = try CaseService(request: request)
        return try await service.view(try await service.visibleCase(try caseID(request)))
    }

    @Sendable static func transition(_ request: Request) async throws -> CaseView {
        let body = try request.content.decode(TransitionRequest.self)
        let service = try CaseService(request: request)
        return try await service.view(try await service.perform(body.action, reason: body.reason, on: try caseID(request)))
    }
}
