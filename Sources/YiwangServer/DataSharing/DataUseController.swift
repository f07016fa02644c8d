import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/me/data-uses` and `GET /api/v1/me/data-uses`: every read of a shared registry about the
/// signed-in person (or the company they act for); `GET /api/v1/data-uses` and
/// `/admin/data-uses`: the supervisors' search of the whole log.
enum DataUseController {
    struct UseView: Content {
        var at: Date
        var registry: String
        var registryName: String
        var subject: String
        var fields: String
        var reader: String
        var readerKind: String
        var readerName: String
        var caseID: UUID?
        var purpose: String
        var outcome: String
    }

    struct SearchPage: Content {
        var total: Int
        var page: Int
        var per: Int
        var uses: [UseView]
    }

    static func view(_ record: DataUseRecord) -> UseView {
        let registry = Registry(rawValue: record.registry)
        let readerName: String
        switch record.readerKind {
        case "platform": readerName = "平台自动核查"
        case "staff": readerName = "工作人员 " + record.reader
        case "anonymous": readerName = "注册账号时填写该号码的人"
        default: readerName = "本人"
        }
        return UseView(
            at: record.at, registry: record.registry, registryName: registry?.chineseName ?? record.registry, subject: record.subjectShown,
            fields: record.fields, reader: record.reader, readerKind: record.readerKind, readerName: readerName, caseID: record.caseID,
            purpose: record.purpose, outcome: ["found": "已查到", "notFound": "未查到", "unavailable": "共享库无响应"][record.outcome] ?? record.outcome)
    }

    /// The principal the applicant acts for, as an applicant record.
    static func principal(_ request: Request) async throws -> ApplicantRecord {
        guard let (record, actor) = request.applicant else {
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录。")
        }
        guard let company = actor.actingFor, let id = UUID(uuidString: company.companyID) else { return record }
        try Policy.authorize(request.actor, .viewOwnCases, on: .applicant(company.companyID))
        guard let found = try await ApplicantRecord.find(id, on: request.db) else { throw DomainError.forbidden() }
        return found
    }

    @Sendable static func mine(_ request: Request) async throws -> [UseView] {
        let subject = try await principal(request)
        return try await DataSharingService(try request.domain).uses(of: subject).map(view)
    }

    @Sendable static func search(_ request: Request) async throws -> SearchPage {
        struct Query: Decodable {
            var subject: String?
            var registry: String?
            var reader: String?
            var page: Int?
            var per: Int?
        }
        let query = try request.query.decode(Query.self)
        var registry: Registry?
        if let raw = query.registry, !raw.isEmpty {
            guard let parsed = Registry(rawValue: raw) else {
                throw DomainError.invalid("data_use.registry", "registry 应为 population、legalPersons 或 credit。")
            }
            registry = parsed
        }
        guard (query.subject ?? "").count <= 40, (query.reader ?? "").count <= 100 else {
            throw DomainError.invalid("data_use.query", "查询条件过长。")
        }
        let paging = try PageRequest(page: query.page, per: query.per, defaultPer: 50)
        let (total, rows) = try await DataSharingService(try request.domain).search(subject: query.subject, registry: registry, reader: query.reader, page: paging)
        return SearchPage(total: total, page: paging.page, per: paging.per, uses: rows.map(view))
    }

    struct MinePage: Encodable {
        var page: PageContext
        var holderName: String
        var uses: [UseView]
    }

    @Sendable static func minePage(_ request: Request) async throws -> Response {
        guard request.applicant != nil else { return request.redirect(to: "/signin?next=%2Fme%2Fdata-uses") }
        let subject = try await principal(request)
        let uses = try await DataSharingService(try request.domain).uses(of: subject).map(view)
        return try await request.view.render(
            "account/data-uses", MinePage(page: PageContext(request: request, title: "我的数据使用记录"), holderName: subject.name, uses: uses)
        ).encodeResponse(for: request)
    }

    struct AdminPage: Encodable {
        var page: PageContext
        var subject: String
        var registry: String
        var result: SearchPage
    }

    @Sendable static func adminPage(_ request: Request) async throws -> Response {
        guard request.staffAccount != nil else { return request.redirect(to: "/admin/login?next=%2Fadmin%2Fdata-uses") }
        let result = try await search(request)
        return try await request.view.render(
            "admin/data-uses",
            AdminPage(
                page: PageContext(request: request, title: "数据使用记录"), subject: (try? request.query.get(String.self, at: "subject")) ?? "",
                registry: (try? request.query.get(String.self, at: "registry")) ?? "", result: result)
        ).encodeResponse(for: request)
    }
}
