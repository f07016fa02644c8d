import Fluent
import Foundation
import Vapor
import YiwangCore

struct NewStaffRequest: Content {
    var account: String
    var displayName: String
    var password: String
    var grants: [Grant]
}

struct StaffView: Content {
    var account: String
    var displayName: String
    var grants: [Grant]
    var disabled: Bool
    var locked: Bool
    var createdAt: Date

    init(_ record: StaffAccountRecord, locked: Bool) {
        account = record.account
        displayName = record.displayName
        grants = record.grants
        disabled = record.disabled
        self.locked = locked
        createdAt = record.createdAt
    }
}

/// Staff accounts: create, grant, revoke, disable, enable, reset. The policy layer decides who
/// may touch which account; the pages, the API and `yiwang user` all come through here.
struct StaffAdministration {
    let ctx: DomainContext
    /// Command-line operators hold the machine: the policy layer does not stand between them and the database.
    var isOperator = false

    init(_ ctx: DomainContext) { self.ctx = ctx }

    var db: any Database { ctx.db }
    var now: Date { ctx.now }
    var actor: Actor { ctx.actor }
    var context: AuditContext { ctx.audit }
    var passwords: AsyncPasswordHasher { ctx.app.password.async }
    var tokens: TokenCache { ctx.app.tokenCache }
    var lockout: LockoutRule { ctx.settings.lockout }

    /// An operator at the command line.
    init(app: Application, operatorName: String) throws {
        self.init(try DomainContext(app: app, actor: .anonymous, audit: .system(operatorName, channel: "cli")))
        isOperator = true
    }

    /// Views with each account's lock state.
    func views(_ records: [StaffAccountRecord]) async throws -> [StaffView] {
        let locked = try await SignInThrottle.restricted(records.map { SignInThrottle.staffKey($0.account) }, rule: lockout, now: now, on: db)
        return records.map { StaffView($0, locked: locked.contains(SignInThrottle.staffKey($0.account))) }
    }

    /// The accounts this actor may manage, by name.
    func list() async throws -> [StaffAccountRecord] {
        if !isOperator { try Policy.authorizeSomewhere(actor, .manageStaff) }
        let all = try await StaffAccountRecord.query(on: db).sort(\.$account).all()
        return isOperator ? all : all.filter { Policy.mayManage(actor, accountGrants: $0.grants) }
    }

    func account(_ name: String) async throws -> StaffAccountRecord {
        if !isOperator { try Policy.authorizeSomewhere(actor, .manageStaff) }
        guard let record = try await StaffAccountRecord.query(on: db).filter(\.$account == name.lowercased()).first(),
            isOperator || Policy.mayManage(actor, accountGrants: record.grants)
        else {
            // Accounts outside one's scope look exactly like accounts that do not exist.
            throw DomainError.notFound("staff.not_found", "未找到账号“\(name)”，或该账号不在您的管理范围内。")
        }
        return record
    }

    func validate(_ grant: Grant) throws(DomainError) {
        if let department = grant.scope.departmentCreditCode, !CreditCode.isValid(department) {
            throw .invalid("staff.grant_scope", "授权范围中的部门统一社会信用代码不正确。", fields: [FieldError(field: "scope/departmentCreditCode", message: "代码不正确。")])
        }
        if let region = grant.scope.regionCode {
            do { _ = try RegionCode(region) } catch {
                throw .invalid("staff.grant_scope", error.message, fields: [FieldError(field: "scope/regionCode", message: error.message)])
            }
        }
        guard isOperator || Policy.mayGrant(actor, grant) else {
            throw DomainError.forbidden("您无权授予“\(grant.role.chineseName)”角色或超出您管理范围的授权。")
        }
    }

    func create(_ body: NewStaffRequest) async throws -> StaffAccountRecord {
        if !isOperator { try Policy.authorizeSomewhere(actor, .manageStaff) }
        var problems: [FieldError] = []
        var name = ""
        do { name = try Names.staffAccount(body.account) } catch { problems += error.fieldErrors }
        let displayName = body.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        if displayName.isEmpty || displayName.count > 60 { problems.append(FieldError(field: "displayName", message: "请填写姓名(不超过60个字符)。")) }
        problems += PasswordRules.problems(in: body.password, account: name).map { FieldError(field: "password", message: $0) }
        if body.grants.isEmpty && !isOperator { problems.append(FieldError(field: "grants", message: "请至少授予一个角色。")) }
        guard problems.isEmpty else { throw DomainError.invalid("staff.invalid", "账号信息有误：" + problems.map(\.message).joined(), fields: problems) }
        for grant in body.grants { try validate(grant) }
        let record = try StaffAccountRecord(account: name, displayName: displayName, passwordHash: try await passwords.hash(body.password), grants: body.grants, createdAt: now)
        try await insert(record)
        return record
    }

    func grant(_ grant: Grant, to name: String) async throws -> StaffAccountRecord {
        try validate(grant)
        return try await change(name, action: "staff.grant") { record in
            guard !record.grants.contains(grant) else { return false }
            record.grants = record.grants + [grant]
            return true
        }
    }

    func revoke(_ grant: Grant, from name: String) async throws -> StaffAccountRecord {
        try validate(grant)
        return try await change(name, action: "staff.revoke") { record in
            guard record.grants.contains(grant) else { throw DomainError.notFound("staff.grant_not_found", "该账号没有这项授权。") }
            record.grants = record.grants.filter { $0 != grant }
            return true
        }
    }

    func setDisabled(_ disabled: Bool, name: String) async throws -> StaffAccountRecord {
        if case .staff(let own, _) = actor, own == name.lowercased(), disabled {
            throw DomainError.conflict("staff.self_disable", "不能停用自己的账号。")
        }
        let now = self.now
        return try await change(name, action: disabled ? "staff.disable" : "staff.enable", endSessions: disabled) { record in
            record.disabled = disabled
            if disabled { record.sessionsRevokedAt = now }
            return true
        }
    }

    /// Sets a new password (the given one, or a generated one returned once), unlocks the
    /// account and ends its sessions.
    func resetPassword(name: String, to given: String?) async throws -> (StaffAccountRecord, String) {
        let password = given ?? Self.generatedPassword()
        try PasswordRules.check(password, account: name)
        let hash = try await passwords.hash(password)
        let now = self.now
        let record = try await change(name, action: "staff.resetPassword", endSessions: true, recordGrants: false) { record in
            record.passwordHash = hash
            record.sessionsRevokedAt = now
            return true
        }
        try await SignInThrottle.clearAll(SignInThrottle.staffKey(record.account), on: db)
        return (record, password)
    }

    /// Re-reads the account inside the transaction, checks the actor may still manage it, applies
    /// the change and records it: two administrators at once cannot undo each other's revocation.
    private func change(
        _ name: String, action: String, endSessions: Bool = false, recordGrants: Bool = true,
        _ apply: @escaping @Sendable (StaffAccountRecord) throws -> Bool
    ) async throws -> StaffAccountRecord {
        if !isOperator { try Policy.authorizeSomewhere(actor, .manageStaff) }
        let (actor, isOperator, context, now) = (self.actor, self.isOperator, self.context, self.now)
        defer { tokens.invalidate() }
        return try await AuditTrail.writeTransaction(on: db) { tx in
            guard let record = try await StaffAccountRecord.query(on: tx).filter(\.$account == name.lowercased()).first(),
                isOperator || Policy.mayManage(actor, accountGrants: record.grants)
            else {
                throw DomainError.notFound("staff.not_found", "未找到账号“\(name)”，或该账号不在您的管理范围内。")
            }
            let before = recordGrants ? record.grantsJSON : (record.disabled ? "disabled" : "enabled")
            guard try apply(record) else { return record }
            try await record.save(on: tx)
            if endSessions {
                try await IdentityService.revokeTokens(of: Principal.staff(record.id!), at: now, on: tx)
            }
            try await AuditTrail.append(Self.event(action, record: record, context: context, before: before, after: recordGrants ? record.grantsJSON : (record.disabled ? "disabled" : "enabled"), at: now), on: tx)
            return record
        }
    }

    /// Staff events carry the account's departments, so department-scoped supervisors find them.
    static func event(_ action: String, record: StaffAccountRecord, context: AuditContext, before: String?, after: String?, at now: Date) -> AuditEntry {
        let department = record.grants.compactMap(\.scope.departmentCreditCode).first
        let region = record.grants.compactMap(\.scope.regionCode).first
        return context.entry(
            action, subjectType: "staff", subjectID: record.account, owner: ResourceOwner(departmentCreditCode: department, regionCode: region),
            before: before, after: after, at: now)
    }

    /// 16 characters from an alphabet without look-alikes, always with all four classes.
    static func generatedPassword() -> String {
        let lower = Array("abcdefghijkmnpqrstuvwxyz"), upper = Array("ABCDEFGHJKLMNPQRSTUVWXYZ"), digits = Array("23456789"), symbols = Array("-_.!@#")
        var characters = [lower.randomElement()!, upper.randomElement()!, digits.randomElement()!, symbols.randomElement()!]
        let all = lower + upper + digits
        while characters.count < 16 { characters.append(all.randomElement()!) }
        return String(characters.shuffled())
    }

    private func insert(_ record: StaffAccountRecord) async throws {
        let (context, now) = (self.context, self.now)
        try await AuditTrail.writeTransaction(on: db) { tx in
            if try await StaffAccountRecord.query(on: tx).filter(\.$account == record.account).first() != nil {
                throw DomainError.conflict("staff.exists", "账号“\(record.account)”已存在。")
            }
            try await record.create(on: tx)
            try await AuditTrail.append(Self.event("staff.create", record: record, context: context, before: nil, after: record.grantsJSON, at: now), on: tx)
        }
    }
}
