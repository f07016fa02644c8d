import Fluent
import Foundation
import Vapor
import YiwangCore

struct SearchResponse: Content {
    var items: [ItemSummary]
    var total: Int
    var page: Int
    var per: Int
}

struct LintResponse: Content {
    var findings: [LintFinding]
    var rules: [LintRuleView]?
}

struct LintRuleView: Content {
    var id: String
    var severity: LintSeverity
    var title: String
}

struct WorkflowRequest: Content {
    var action: String
    var note: String?
}

struct VersionResponse: Content {
    var code: String
    var version: VersionView
    var allowedActions: [CatalogAction]
}

struct DiffResponse: Content {
    var code: String
    var from: Int
    var to: Int
    var changes: [GuideChange]
}

struct HistoryResponse: Content {
    var code: String
    var versions: [VersionView]
    var events: [CatalogEventView]
}

/// The catalog's JSON API under /api/v1. Handlers decode, ask the policy layer, call the service.
enum CatalogAPIController {
    @Sendable static func regions(_ request: Request) async throws -> [RegionView] {
        try await RegionRecord.query(on: request.db).all()
            .sorted { ($0.level, $0.code) < ($1.level, $1.code) }
            .map(RegionView.init)
    }

    @Sendable static func departments(_ request: Request) async throws -> [DepartmentView] {
        try await DepartmentRecord.query(on: request.db).sort(\.$regionCode).sort(\.$creditCode).all().map(DepartmentView.init)
    }

    @Sendable static func department(_ request: Request) async throws -> DepartmentView {
        let code = request.parameters.get("creditCode") ?? ""
        guard let department = try await DepartmentRecord.query(on: request.db).filter(\.$creditCode == code.uppercased()).first() else {
            throw DomainError.notFound("catalog.department_not_found", "没有找到该实施机构。")
        }
        return DepartmentView(department)
    }

    @Sendable static func lifeEvents(_ request: Request) async throws -> [LifeEventView] {
        try await LifeEventRecord.query(on: request.db).sort(\.$slug).all().map(LifeEventView.init)
    }

    struct ItemTypeView: Content {
        var type: ItemType
        var code: String
        var name: String
    }

    @Sendable static func itemTypes(_ request: Request) async throws -> [ItemTypeView] {
        ItemType.allCases.map { ItemTypeView(type: $0, code: $0.nationalCode, name: $0.chineseName) }
    }

    /// Reads and checks the search filters shared by the API and the result page.
    static func catalogQuery(from request: Request) throws -> (CatalogQuery, PageRequest) {
        struct Parameters: Decodable {
            var q: String?
            var department: String?
            var type: String?
            var target: String?
            var zeroVisit: String?
            var lifeEvent: String?
            var page: String?
            var per: String?
        }
        let parameters = (try? request.query.decode(Parameters.self)) ?? Parameters()
        var query = CatalogQuery()
        if let q = parameters.q, q.count > 100 {
            throw DomainError.invalid("catalog.query_too_long", "搜索词不能超过100个字符。", fields: [FieldError(field: "q", message: "搜索词过长。")])
        }
        query.words = CatalogQuery.words(from: parameters.q)
        if let department = parameters.department?.trimmingCharacters(in: .whitespaces), !department.isEmpty {
            query.department = try CreditCode(department).value
        }
        if let type = parameters.type, !type.isEmpty {
            guard let value = ItemType(anyName: type) else {
                throw DomainError.invalid("catalog.type_unknown", "事项类型“\(type.prefix(20))”不存在。")
            }
            query.type = value
        }
        if let target = parameters.target, !target.isEmpty {
            guard let value = ServiceTarget(rawValue: target) else {
                throw DomainError.invalid("catalog.target_unknown", "服务对象应为 naturalPerson(自然人)或 legalPerson(法人)。")
            }
            query.target = value
        }
        if let zeroVisit = parameters.zeroVisit, !zeroVisit.isEmpty {
            switch zeroVisit.lowercased() {
            case "true", "1", "on": query.zeroVisit = true
            case "false", "0": query.zeroVisit = false
            default: throw DomainError.invalid("catalog.zero_visit", "zeroVisit 应为 true 或 false。")
            }
        }
        if let lifeEvent = parameters.lifeEvent, !lifeEvent.isEmpty {
            guard CatalogDocument.LifeEvent.isValidSlug(lifeEvent) else {
                throw DomainError.invalid("catalog.life_event_unknown", "主题标识不正确。")
            }
            query.lifeEvent = lifeEvent
        }
        func integer(_ text: String?, _ name: String) throws -> Int? {
            guard let text, !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw DomainError.invalid("paging.\(name)", "\(name == "page" ? "页码" : "每页条数")应为整数。") }
            return value
        }
        let page = try PageRequest(page: integer(parameters.page, "page"), per: integer(parameters.per, "per"))
        return (query, page)
    }

    @Sendable static func search(_ request: Request) async throws -> SearchResponse {
        let (query, page) = try catalogQuery(from: request)
        let result = try await CatalogService(try request.domain).search(query, page: page)
        return SearchResponse(items: result.items, total: result.total, page: page.page, per: page.per)
    }

    @Sendable static func item(_ request: Request) async throws -> ItemDocument {
        try await CatalogService(try request.domain).publishedDocument(code: request.parameters.get("code") ?? "")
    }

    /// The newest version whatever its state, for catalog staff.
    @Sendable static func draft(_ request: Request) async throws -> ItemDocument {
        let service = CatalogService(try request.domain)
        let item = try await service.item(code: request.parameters.get("code") ?? "")
        try request.authorize(.readDraftCatalog, on: item.owner)
        let version = try await service.latestVersion(of: item)
        return ItemDocument(item: item, version: version, guide: try version.guide())
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        try request.authorizeSomewhere(.editCatalog)
        let body = try request.content.decode(NewItemRequest.self)
        let (item, version) = try await CatalogService(try request.domain).create(body)
        let response = try await ItemDocument(item: item, version: version, guide: try version.guide()).encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/items/\(item.implementationCode)/draft")
        return response
    }

    @Sendable static func saveDraft(_ request: Request) async throws -> ItemDocument {
        let guide = try request.content.decode(ServiceGuide.self)
        let (item, version) = try await CatalogService(try request.domain).saveDraft(code: request.parameters.get("code") ?? "", guide: guide)
        return ItemDocument(item: item, version: version, guide: try version.guide())
    }

    @Sendable static func workflow(_ request: Request) async throws -> VersionResponse {
        let body = try request.content.decode(WorkflowRequest.self)
        guard let action = CatalogAction(rawValue: body.action) else {
            throw DomainError.invalid(
                "catalog.action_unknown",
                "操作“\(body.action.prefix(30))”不存在，可用操作：\(CatalogAction.allCases.map(\.rawValue).joined(separator: "、"))。")
        }
        let code = request.parameters.get("code") ?? ""
        let version = try await CatalogService(try request.domain).perform(action, code: code, note: body.note)
        return VersionResponse(code: code.uppercased(), version: VersionView(version), allowedActions: CatalogWorkflow.allowedActions(in: version.state))
    }

    @Sendable static func history(_ request: Request) async throws -> HistoryResponse {
        let service = CatalogService(try request.domain)
        let item = try await service.item(code: request.parameters.get("code") ?? "")
        try request.authorize(.readDraftCatalog, on: item.owner)
        return HistoryResponse(
            code: item.implementationCode, versions: try await service.versions(of: item).map(VersionView.init),
            events: try await service.events(of: item).map(CatalogEventView.init))
    }

    @Sendable static func diff(_ request: Request) async throws -> DiffResponse {
        let service = CatalogService(try request.domain)
        let item = try await service.item(code: request.parameters.get("code") ?? "")
        try request.authorize(.readDraftCatalog, on: item.owner)
        struct Parameters: Decodable { var from: Int?; var to: Int? }
        guard let parameters = try? request.query.decode(Parameters.self) else {
            throw DomainError.invalid("catalog.diff_parameters", "from 和 to 应为版本号(整数)。")
        }
        let to = parameters.to ?? item.latestVersion
        let from = parameters.from ?? (to > 1 ? to - 1 : 1)
        return DiffResponse(code: item.implementationCode, from: from, to: to, changes: try await service.diff(of: item, from: from, to: to))
    }

    @Sendable static func lint(_ request: Request) async throws -> LintResponse {
        struct Parameters: Decodable { var includeDrafts: Bool?; var item: String?; var department: String? }
        guard let parameters = try? request.query.decode(Parameters.self) else {
            throw DomainError.invalid("catalog.lint_parameters", "includeDrafts 应为 true 或 false。")
        }
        let includeDrafts = parameters.includeDrafts ?? Policy.mayAttempt(request.actor, .readDraftCatalog)
        var scopes: [Scope]? = nil
        if includeDrafts {
            // Drafts are internal: only catalog staff see them, and only within their scope.
            try request.authorizeSomewhere(.readDraftCatalog)
            scopes = Policy.scopes(for: request.actor, .readDraftCatalog)
        }
        return try await lintResponse(request, includeDrafts: includeDrafts, scopes: scopes, parameters.item, parameters.department)
    }

    private static func lintResponse(_ request: Request, includeDrafts: Bool, scopes: [Scope]?, _ item: String?, _ department: String?) async throws -> LintResponse {
        var findings = try await CatalogService(try request.domain).lint(includeDrafts: includeDrafts, scopes: scopes)
        if let item, !item.isEmpty { findings = findings.filter { $0.item == item.uppercased() } }
        if let department, !department.isEmpty { findings = findings.filter { $0.item.hasPrefix(department.uppercased()) } }
        return LintResponse(findings: findings, rules: CatalogLinter.rules.map { LintRuleView(id: $0.id, severity: $0.severity, title: $0.title) })
    }

    @Sendable static func export(_ request: Request) async throws -> Response {
        struct Parameters: Decodable { var format: String?; var includeDrafts: Bool? }
        guard let parameters = try? request.query.decode(Parameters.self) else {
            throw DomainError.invalid("catalog.export_parameters", "format 应为 json 或 csv，includeDrafts 应为 true 或 false。")
        }
        let includeDrafts = parameters.includeDrafts ?? false
        var scopes: [Scope]? = nil
        if includeDrafts {
            try request.authorizeSomewhere(.readDraftCatalog)
            scopes = Policy.scopes(for: request.actor, .readDraftCatalog)
        }
        var exchange = CatalogExchange(db: request.db, now: request.now, settings: request.application.settings, attribution: request.actor.accountName)
        exchange.auditContext = request.auditContext
        let document = try await exchange.exportDocument(includeDrafts: includeDrafts, scopes: scopes)
        let response = Response(status: .ok)
        switch (parameters.format ?? "json").lowercased() {
        case "json":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            response.body = .init(data: try encoder.encode(document))
            response.headers.contentType = .json
            response.headers.contentDisposition = .init(.attachment, filename: "yiwang-catalog.json")
        case "csv":
            response.body = .init(string: try CatalogCSV.encode(document.items))
            response.headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
            response.headers.contentDisposition = .init(.attachment, filename: "yiwang-catalog.csv")
        default:
            throw DomainError.invalid("catalog.export_format", "导出格式应为 json 或 csv。")
        }
        return response
    }

    @Sendable static func importCatalog(_ request: Request) async throws -> ImportReport {
        try request.authorize(.importCatalog)
        guard let buffer = request.body.data, buffer.readableBytes > 0 else {
            throw DomainError.invalid("catalog.import_empty", "导入内容为空。")
        }
        let data = Data(buffer.readableBytesView)
        let document: CatalogDocument
        let contentType = request.headers.contentType
        if contentType?.subType == "csv" {
            guard let text = String(data: data, encoding: .utf8) else {
                throw DomainError.invalid("catalog.import_encoding", "CSV 文件应使用 UTF-8 编码。")
            }
            document = CatalogDocument(items: try CatalogCSV.decode(text))
        } else if contentType == nil || contentType?.subType == "json" {
            do {
                document = try JSONDecoder().decode(CatalogDocument.self, from: data)
            } catch let error as DecodingError {
                throw DomainError.invalid("catalog.import_malformed", "导入文件格式不正确：" + ProblemMiddleware.describe(error))
            }
        } else {
            throw DomainError(.invalid, code: "request.unsupported_media_type", message: "导入只接受 application/json 或 text/csv。")
        }
        var exchange = CatalogExchange(db: request.db, now: request.now, settings: request.application.settings, attribution: request.actor.accountName)
        exchange.auditContext = request.auditContext
        return try await exchange.importDocument(document)
    }
}
