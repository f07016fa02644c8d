import Fluent
import Foundation
import Vapor
import YiwangCore

struct PasswordResetRequest: Content {
    var password: String?
}

struct PasswordResetResponse: Content {
    var account: String
    /// Present only when the platform generated the password; shown once.
    var password: String?
}

/// `/api/v1/staff`: the same operations as the staff pages and `yiwang user`.
enum StaffAPIController {
    static func name(_ request: Request) -> String { request.parameters.get("account") ?? "" }

    static func view(_ record: StaffAccountRecord, _ administration: StaffAdministration) async throws -> StaffView {
        try await administration.views([record])[0]
    }

    @Sendable static func list(_ request: Request) async throws -> [StaffView] {
        let administration = StaffAdministration(try request.domain)
        return try await administration.views(try await administration.list())
    }

    @Sendable static func show(_ request: Request) async throws -> StaffView {
        let administration = StaffAdministration(try request.domain)
        return try await view(try await administration.account(name(request)), administration)
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let administration = StaffAdministration(try request.domain)
        let record = try await administration.create(try request.content.decode(NewStaffRequest.self))
        return try await view(record, administration).encodeResponse(status: .created, for: request)
    }

    @Sendable static func grant(_ request: Request) async throws -> StaffView {
        let administration = StaffAdministration(try request.domain)
        return try await view(try await administration.grant(try request.content.decode(Grant.self), to: name(request)), administration)
    }

    @Sendable static func revoke(_ request: Request) async throws -> StaffView {
        let administration = StaffAdministration(try request.domain)
        return try await view(try await administration.revoke(try request.content.decode(Grant.self), from: name(request)), administration)
    }

    @Sendable static func disable(_ request: Request) async throws -> StaffView {
        let administration = StaffAdministration(try request.domain)
        return try await view(try await administration.setDisabled(true, name: name(request)), administration)
    }

    @Sendable static func enable(_ request: Request) async throws -> StaffView {
        let administration = StaffAdministration(try request.domain)
        return try await view(try await administration.setDisabled(false, name: name(request)), administration)
    }

    @Sendable static func resetPassword(_ request: Request) async throws -> Response {
        let given = request.body.data == nil ? nil : try request.content.decode(PasswordResetRequest.self).password
        let (record, password) = try await StaffAdministration(try request.domain).resetPassword(name: name(request), to: given)
        let response = try await PasswordResetResponse(account: record.account, password: given == nil ? password : nil).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

struct AuditEventView: Content {
    var sequence: Int64
    var at: Date
    var actor: String
    var actingFor: String?
    var role: String?
    var channel: String
    var address: String?
    var action: String
    var actionName: String
    var channelName: String
    var roleNames: String?
    var subjectType: String
    var subjectID: String
    var department: String?
    var region: String?
    var before: String?
    var after: String?
    var hash: String

    init(_ record: AuditEventRecord) {
        let link = record.link
        sequence = link.sequence
        at = link.entry.at
        actor = record.actor
        actingFor = record.actingFor
        role = record.role
        channel = record.channel
        address = record.address
        action = record.action
        actionName = AuditVocabulary.action(record.action)
        channelName = AuditVocabulary.channel(record.channel)
        roleNames = AuditVocabulary.roles(record.role)
        subjectType = record.subjectType
        subjectID = record.subjectID
        department = record.department
        region = record.region
        before = record.before
        after = record.after
        hash = record.hash
    }
}

struct AuditPage: Content {
    var events: [AuditEventView]
    var total: Int
    var page: Int
    var per: Int
}

/// `/api/v1/audit`: search the trail and verify its chain (supervisors, system administrators).
enum AuditAPIController {
    struct SearchQuery: Decodable {
        var actor: String?
        var subject: String?
        var action: String?
        var from: String?
        var to: String?
        var page: Int?
        var per: Int?
    }

    /// Parses the query into a filter; dates are China-time calendar days, `to` inclusive.
    static func filter(_ query: SearchQuery) throws -> AuditTrail.Filter {
        for (name, value, limit) in [("actor", query.actor, 200), ("subject", query.subject, 200), ("action", query.action, 100)] where (value?.count ?? 0) > limit {
            throw DomainError.invalid("audit.filter_too_long", "筛选条件“\(name)”不能超过\(limit)个字符。", fields: [FieldError(field: name, message: "过长。")])
        }
        func day(_ text: String?, field: String) throws -> Date? {
            guard let text, !text.isEmpty else { return nil }
            guard let date = ChinaTime.startOfDay(text) else {
                throw DomainError.invalid("audit.date", "日期应写成 YYYY-MM-DD。", fields: [FieldError(field: field, message: "日期格式不正确。")])
            }
            return date
        }
        let from = try day(query.from, field: "from")
        let to = try day(query.to, field: "to").map { $0.addingTimeInterval(86_400) }
        return AuditTrail.Filter(
            actor: query.actor?.trimmingCharacters(in: .whitespaces), subject: query.subject?.trimmingCharacters(in: .whitespaces),
            action: query.action?.trimmingCharacters(in: .whitespaces), from: from, until: to)
    }

    @Sendable static func search(_ request: Request) async throws -> AuditPage {
        try request.authorizeSomewhere(.viewAudit)
        let query = try request.query.decode(SearchQuery.self)
        let paging = try PageRequest(page: query.page, per: query.per, defaultPer: 50)
        let scopes = Policy.scopes(for: request.actor, .viewAudit)
        let (events, total) = try await AuditTrail.search(try filter(query), scopes: scopes, page: paging, on: request.db)
        return AuditPage(events: events.map(AuditEventView.init), total: total, page: paging.page, per: paging.per)
    }

    @Sendable static func verify(_ request: Request) async throws -> AuditTrail.Verification {
        try request.authorize(.viewAudit)
        return try await AuditTrail.verify(on: request.db, checkpoints: request.application.auditCheckpoints)
    }
}
