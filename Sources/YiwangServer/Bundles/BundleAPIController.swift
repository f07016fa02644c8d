import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/api/v1/bundles` (the published 一件事 with their merged guide and form, and their editing)
/// and `/api/v1/bundle-applications` (filing with an Idempotency-Key, reading, the
/// application's own steps, and giving a merged material once).
enum BundleAPIController {
    static func applicationID(_ request: Request) throws -> UUID {
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("bundle.application_not_found", "未找到该“一件事”申请。")
        }
        return id
    }

    static func code(_ request: Request) throws -> String {
        guard let code = request.parameters.get("code"), !code.isEmpty, code.count <= 64 else {
            throw DomainError.notFound("bundle.not_found", "未找到该“一件事”。")
        }
        return code
    }

    @Sendable static func list(_ request: Request) async throws -> [BundleCatalog.Summary] {
        try await BundleCatalog(try request.domain).list()
    }

    /// The merged guide and form; `?answers[key]=是&optional=CODE,CODE` composes them for a choice.
    @Sendable static func guide(_ request: Request) async throws -> BundleCatalog.GuideView {
        try await BundleCatalog(try request.domain).guide(try code(request), choice: choice(request.url.query))
    }

    /// The choice in a query string, read from the raw pairs (bracketed keys keep their case and
    /// their values are percent-decoded); nil when the query chooses nothing.
    static func choice(_ query: String?) -> BundleChoice? {
        var answers: [String: String] = [:]
        var optional: Set<String> = []
        var chose = false
        for pair in (query ?? "").split(separator: "&").prefix(100) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
            guard let rawKey = parts.first, let key = rawKey.removingPercentEncoding else { continue }
            let value = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
            if key.hasPrefix("answers["), key.hasSuffix("]") {
                answers[String(key.dropFirst("answers[".count).dropLast())] = value
                chose = true
            } else if key == "optional" {
                optional.formUnion(value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
                chose = true
            }
        }
        return chose ? BundleChoice(answers: answers, optionalMembers: optional) : nil
    }

    @Sendable static func save(_ request: Request) async throws -> Response {
        let bundle = try request.content.decode(ServiceBundle.self)
        return try await BundleCatalog(try request.domain).save(bundle).encodeResponse(status: .created, for: request)
    }

    @Sendable static func transition(_ request: Request) async throws -> BundleCatalog.VersionView {
        struct Body: Content { var action: CatalogAction }
        guard let number = request.parameters.get("version").flatMap(Int.init) else {
            throw DomainError.notFound("bundle.version_not_found", "未找到该“一件事”版本。")
        }
        let body = try request.content.decode(Body.self)
        return try await BundleCatalog(try request.domain).transition(try code(request), version: number, action: body.action)
    }

    @Sendable static func file(_ request: Request) async throws -> Response {
        let body = try request.content.decode(NewBundleApplicationRequest.self)
        let service = BundleService(try request.domain)
        let (record, created) = try await service.file(body, idempotencyKey: request.headers.first(name: "Idempotency-Key"))
        let id = try record.requireID()
        let response = try await service.view(id).encodeResponse(status: created ? .created : .ok, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/bundle-applications/\(id.uuidString)")
        return response
    }

    @Sendable static func applications(_ request: Request) async throws -> BundleService.Listing {
        struct Query: Decodable {
            var state: String?
            var page: Int?
            var per: Int?
        }
        let query = try request.query.decode(Query.self)
        var state: BundleApplicationState?
        if let raw = query.state, !raw.isEmpty {
            guard let parsed = BundleApplicationState(rawValue: raw) else {
                throw DomainError.invalid("bundle.state", "state 应为一件事申请状态之一：" + BundleApplicationState.allCases.map(\.rawValue).joined(separator: "、"))
            }
            state = parsed
        }
        return try await BundleService(try request.domain).list(state: state, page: try PageRequest(page: query.page, per: query.per))
    }

    @Sendable static func show(_ request: Request) async throws -> BundleService.ApplicationView {
        try await BundleService(try request.domain).view(try applicationID(request))
    }

    @Sendable static func act(_ request: Request) async throws -> BundleService.ApplicationView {
        let body = try request.content.decode(BundleActionRequest.self)
        let service = BundleService(try request.domain)
        let id = try applicationID(request)
        _ = try await service.act(id, body.action, reason: body.reason, creditReason: body.creditReason)
        return try await service.view(id)
    }

    /// `PUT /bundle-applications/{id}/materials/{n}`: the file as the body, given once for every task that asks it.
    @Sendable static func uploadMaterial(_ request: Request) async throws -> Response {
        let bytes = request.body.data.map { Array($0.readableBytesView) } ?? []
        let name = request.headers.first(name: "X-File-Name").map { $0.removingPercentEncoding ?? $0 }
        let service = BundleService(try request.domain)
        let id = try applicationID(request)
        let (application, tasks) = try await service.supplyMaterial(id, position: try CaseAPIController.materialPosition(request), upload: bytes, fileName: name)
        return try await service.view(application, tasks: tasks).encodeResponse(status: .created, for: request)
    }
}
