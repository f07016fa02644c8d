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

    init(_ record: StaffAccountRecord, now: Date) {
        account = record.account
        displayName = record.displayName
        grants = record.grants
        disabled = record.disabled
        locked = record.lockedUntil.map { $0 > now } ?? false
        createdAt = record.createdAt
    }
}

/// Staff accounts: create, grant, revoke, disable, enable, reset. The policy layer decides who
/// may touch which account; the pages, the API and `yiwang user` all come through here.
struct StaffAdministration {
    let db: any Database
    let now: Date
    let actor: Actor
    let context: AuditContext
    let passwords: AsyncPasswordHasher
    /// Command-line operators hold the machine: the policy layer does not stand between them and the database.
    let isOperator: Bool

    init(request: Request) {
        db = request.db
        now = request.now
        actor = request.actor
        context = request.auditContext
        passwords = request.password.async
        isOperator = false
    }

    init(app: Application, operatorName: String) {
        db = app.db
        now = app.timeSource.now()
        actor = .anonymous
        context = .system(operatorName, channel: "cli")
        passwords = app.password.async
        isOperator = true
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
        do { name = try StaffAccountRecord.normalisedName(body.account) } catch { problems += error.fieldErrors }
        let displayName = body.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        if displayName.isEmpty || displayName.count > 60 { problems.append(FieldError(field: "displayName", message: "请填写姓名(不超过60个字符)。")) }
        problems += PasswordRules.problems(in: body.password, account: name).map { FieldError(field: "password", message: $0) }
        if body.grants.isEmpty && !isOperator { problems.append(FieldError(field: "grants", message: "请至少授予一个角色。")) }
        guard problems.isEmpty else { throw DomainError.invalid("staff.invalid", "账号信息有误：" + problems.map(\.message).joined(), fields: problems) }
        for grant in body.grants { try validate(grant) }
        let record = try StaffAccountRecord(account: name, displayName: displayName, passwordHash: try await passwords.hash(body.password), grants: body.grants, createdAt: now)
        try await write(record, action: "staff.create", before: nil, isNew: true)
        return record
    }

    func grant(_ grant: Grant, to name: String) async throws -> StaffAccountRecord {
        let record = try await account(name)
        try validate(grant)
        let before = record.grantsJSON
        guard !record.grants.contains(grant) else { return record }
        record.grants = record.grants + [grant]
        try await write(record, action: "staff.grant", before: before)
        return record
    }

    func revoke(_ grant: Grant, from name: String) async throws -> StaffAccountRecord {
        let record = try await account(name)
        try validate(grant)
        guard record.grants.contains(grant) else {
            throw DomainError.notFound("staff.grant_not_found", "该账号没有这项授权。")
        }
        let before = record.grantsJSON
        record.grants = record.grants.filter { $0 != grant }
        try await write(record, action: "staff.revoke", before: before)
        return record
    }

    func setDisabled(_ disabled: Bool, name: String) async throws -> StaffAccountRecord {
        let record = try await account(name)
        if case .staff(let own, _) = actor, own == record.account, disabled {
            throw DomainError.conflict("staff.self_disable", "不能停用自己的账号。")
        }
        let before = record.disabled ? "disabled" : "enabled"
        record.disabled = disabled
        // Disabling also ends every session and token at once.
        if disabled { record.sessionsRevokedAt = now }
        try await write(record, action: disabled ? "staff.disable" : "staff.enable", before: before, after: disabled ? "disabled" : "enabled")
        return record
    }

    /// Sets a new password (the given one, or a generated one returned once) and unlocks the account.
    func resetPassword(name: String, to given: String?) async throws -> (StaffAccountRecord, String) {
        let record = try await account(name)
        let password = given ?? Self.generatedPassword()
        try PasswordRules.check(password, account: record.account)
        record.passwordHash = try await passwords.hash(password)
        record.failedSignIns = 0
        record.lockedUntil = nil
        record.sessionsRevokedAt = now
        try await write(record, action: "staff.resetPassword", before: nil, after: nil)
        return (record, password)
    }

    /// 16 characters from an alphabet without look-alikes, always with all four classes.
    static func generatedPassword() -> String {
        let lower = Array("abcdefghijkmnpqrstuvwxyz"), upper = Array("ABCDEFGHJKLMNPQRSTUVWXYZ"), digits = Array("23456789"), symbols = Array("-_.!@#")
        var characters = [lower.randomElement()!, upper.randomElement()!, digits.randomElement()!, symbols.randomElement()!]
        let all = lower + upper + digits
        while characters.count < 16 { characters.append(all.randomElement()!) }
        return String(characters.shuffled())
    }

    private func write(_ record: StaffAccountRecord, action: String, before: String?, after: String? = nil, isNew: Bool = false) async throws {
        let context = self.context
        let now = self.now
        try await db.transaction { tx in
            if isNew {
                if try await StaffAccountRecord.query(on: tx).filter(\.$account == record.account).first() != nil {
                    throw DomainError.conflict("staff.exists", "账号“\(record.account)”已存在。")
                }
                try await record.create(on: tx)
            } else {
                try await record.save(on: tx)
            }
            if record.disabled || action == "staff.resetPassword" {
                try await AccessTokenRecord.query(on: tx).filter(\.$principal == Principal.staff(record.id!).key).filter(\.$revokedAt == nil)
                    .set(\.$revokedAt, to: now).update()
            }
            let department = record.grants.compactMap(\.scope.departmentCreditCode).first
            let region = record.grants.compactMap(\.scope.regionCode).first
            try await AuditTrail.append(
                context.entry(
                    action, subjectType: "staff", subjectID: record.account,
                    owner: ResourceOwner(departmentCreditCode: department, regionCode: region),
                    before: before, after: after ?? record.grantsJSON, at: now),
                on: tx)
        }
    }
}
