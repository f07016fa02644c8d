import Fluent
import Foundation
import Vapor
import YiwangCore

struct RegisterPersonRequest: Content {
    var idNumber: String
    var name: String
    var phone: String
    var password: String
}

struct RegisterCompanyRequest: Content {
    struct Representative: Content {
        var idNumber: String
        var name: String
        var phone: String?
    }

    var creditCode: String
    var name: String
    var legalRepresentative: Representative
    var password: String
}

/// Registration, sign-in and sign-out for everyone: staff and applicants share the lockout,
/// the history and the audit. Writes and their audit events commit together.
struct IdentityService {
    let db: any Database
    let now: Date
    let settings: Settings
    let keys: KeyRing
    let context: AuditContext
    let passwords: AsyncPasswordHasher
    let limits: RateLimits

    init(request: Request) {
        db = request.db
        now = request.now
        settings = request.application.settings
        keys = request.application.keyRing
        context = request.auditContext
        passwords = request.password.async
        limits = request.application.rateLimits
    }

    init(app: Application, context: AuditContext) {
        db = app.db
        now = app.timeSource.now()
        settings = app.settings
        keys = app.keyRing
        self.context = context
        passwords = app.password.async
        limits = app.rateLimits
    }

    static let genericFailure = DomainError(.unauthenticated, code: "auth.failed", message: "账号或密码不正确。")

    // MARK: Registration

    static func personName(_ raw: String, field: String, into problems: inout [FieldError]) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.count < 2 || name.count > 40 || name.contains(where: { $0.isNumber || "<>\"'&;/\\".contains($0) }) {
            problems.append(FieldError(field: field, message: "请填写与证件一致的姓名(2至40个字符，不含数字和符号)。"))
        }
        return name
    }

    /// `alsoWrong`: problems the caller found itself (a page's repeated password), reported with the rest.
    func registerPerson(_ body: RegisterPersonRequest, alsoWrong: [FieldError] = []) async throws -> ApplicantRecord {
        var problems: [FieldError] = []
        var idNumber: ResidentIDNumber?
        do { idNumber = try ResidentIDNumber(body.idNumber, today: now) } catch { problems.append(FieldError(field: "idNumber", message: error.message)) }
        let name = Self.personName(body.name, field: "name", into: &problems)
        var phone: MobileNumber?
        do { phone = try MobileNumber(body.phone) } catch { problems.append(FieldError(field: "phone", message: error.message)) }
        problems += PasswordRules.problems(in: body.password, account: idNumber?.value).map { FieldError(field: "password", message: $0) }
        problems += alsoWrong
        guard problems.isEmpty, let idNumber, let phone else {
            throw DomainError.invalid("register.invalid", "注册信息有误，请按提示修改：" + problems.map(\.message).joined(), fields: problems)
        }
        let hash = try await passwords.hash(body.password)
        let record = ApplicantRecord(kind: .person, identifier: idNumber.value, name: name, passwordHash: hash, keys: keys, at: now)
        record.setPhone(phone.value, keys: keys)
        try await create(record, summary: "自然人 \(record.identifierMasked) \(PersonalData.mask(name, as: .name))")
        return record
    }

    func registerCompany(_ body: RegisterCompanyRequest, alsoWrong: [FieldError] = []) async throws -> ApplicantRecord {
        var problems: [FieldError] = []
        var creditCode: CreditCode?
        do { creditCode = try CreditCode(body.creditCode) } catch { problems.append(FieldError(field: "creditCode", message: error.message)) }
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.count < 2 || name.count > 100 || name.contains(where: { "<>\"\\".contains($0) }) {
            problems.append(FieldError(field: "name", message: "请填写与营业执照一致的名称(2至100个字符)。"))
        }
        var representativeID: ResidentIDNumber?
        do { representativeID = try ResidentIDNumber(body.legalRepresentative.idNumber, today: now) } catch {
            problems.append(FieldError(field: "legalRepresentative/idNumber", message: error.message))
        }
        let representativeName = Self.personName(body.legalRepresentative.name, field: "legalRepresentative/name", into: &problems)
        var phone: MobileNumber?
        if let raw = body.legalRepresentative.phone, !raw.isEmpty {
            do { phone = try MobileNumber(raw) } catch { problems.append(FieldError(field: "legalRepresentative/phone", message: error.message)) }
        }
        problems += PasswordRules.problems(in: body.password, account: creditCode?.value).map { FieldError(field: "password", message: $0) }
        problems += alsoWrong
        guard problems.isEmpty, let creditCode, let representativeID else {
            throw DomainError.invalid("register.invalid", "注册信息有误，请按提示修改：" + problems.map(\.message).joined(), fields: problems)
        }
        let hash = try await passwords.hash(body.password)
        let record = ApplicantRecord(kind: .company, identifier: creditCode.value, name: name, passwordHash: hash, keys: keys, at: now)
        record.representativeName = representativeName
        record.representativeIndex = ApplicantRecord.index(representativeID.value, keys: keys)
        record.representativeSealed = keys.seal(representativeID.value)
        if let phone { record.setPhone(phone.value, keys: keys) }
        try await create(record, summary: "法人 \(record.identifierMasked) \(name)，法定代表人 \(PersonalData.mask(representativeName, as: .name))")
        return record
    }

    private func create(_ record: ApplicantRecord, summary: String) async throws {
        let context = self.context
        let now = self.now
        try await db.transaction { tx in
            if try await ApplicantRecord.query(on: tx).filter(\.$identifierIndex == record.identifierIndex).first() != nil {
                throw DomainError.conflict(
                    "register.exists", record.kind == .person ? "该公民身份号码已注册，请直接登录或找回密码。" : "该统一社会信用代码已注册，请直接登录或找回密码。")
            }
            try await record.create(on: tx)
            try await AuditTrail.append(
                context.entry("applicant.register", subjectType: "applicant", subjectID: record.id!.uuidString, owner: .applicant(record.id!.uuidString), after: summary, at: now),
                on: tx)
        }
    }

    // MARK: Sign-in

    /// An account found by what the person typed: an ID number or credit code for applicants,
    /// an account name for staff.
    enum Account {
        case staff(StaffAccountRecord)
        case applicant(ApplicantRecord)

        var principal: Principal {
            switch self {
            case .staff(let record): .staff(record.id!)
            case .applicant(let record): .applicant(record.id!)
            }
        }
    }

    func find(_ typed: String) async throws -> (key: String, account: Account?) {
        let text = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        if let number = try? ResidentIDNumber(text) {
            let index = ApplicantRecord.index(number.value, keys: keys)
            return (index, try await ApplicantRecord.query(on: db).filter(\.$identifierIndex == index).first().map(Account.applicant))
        }
        if let code = try? CreditCode(text) {
            let index = ApplicantRecord.index(code.value, keys: keys)
            return (index, try await ApplicantRecord.query(on: db).filter(\.$identifierIndex == index).first().map(Account.applicant))
        }
        let name = text.lowercased()
        return ("staff:" + name, try await StaffAccountRecord.query(on: db).filter(\.$account == name).first().map(Account.staff))
    }

    /// Checks a password with lockout after repeated failures; records the attempt in the
    /// account's history and the audit trail. Messages never reveal whether an account exists.
    func signIn(account typed: String, password: String, channel: String, address: String, userAgent: String?) async throws -> Account {
        try limits.enforce(.signIn, key: address, at: now)
        guard !typed.isEmpty, typed.count <= 100, !password.isEmpty, password.count <= 200 else { throw Self.genericFailure }
        let (key, found) = try await find(typed)
        guard let found else {
            // Spend the same work as a real check, so timing does not reveal which accounts exist.
            _ = try? await passwords.hash(password)
            let remaining = limits.unknownLockRemaining(key, at: now)
            if remaining > 0 { throw locked(remaining) }
            let lock = limits.failUnknown(key, at: now)
            if lock > 0 { throw locked(lock) }
            throw Self.genericFailure
        }
        let state = signInState(found)
        if let until = state.lockedUntil, until > now {
            try await recordAttempt(found, .locked, channel: channel, address: address, userAgent: userAgent)
            throw locked(until.timeIntervalSince(now))
        }
        let matches = (try? await passwords.verify(password, created: state.hash)) ?? false
        guard matches else {
            let failures = state.failures + 1
            let lock = settings.lockout.lockDuration(afterFailures: failures)
            try await recordAttempt(found, .wrongPassword, channel: channel, address: address, userAgent: userAgent, failures: failures, lockedUntil: lock > 0 ? now.addingTimeInterval(lock) : nil)
            if lock > 0 { throw locked(lock) }
            throw Self.genericFailure
        }
        guard !state.disabled else {
            try await recordAttempt(found, .disabled, channel: channel, address: address, userAgent: userAgent)
            throw Self.genericFailure
        }
        try await recordAttempt(found, .succeeded, channel: channel, address: address, userAgent: userAgent, failures: 0, lockedUntil: nil)
        return found
    }

    private func locked(_ seconds: TimeInterval) -> DomainError {
        let wait = max(1, Int(seconds.rounded(.up)))
        let minutes = max(1, (wait + 59) / 60)
        return .tooManyRequests("auth.locked", "登录失败次数过多，账号已暂时锁定，请于\(minutes)分钟后再试。", retryAfter: wait)
    }

    private func signInState(_ account: Account) -> (hash: String, failures: Int, lockedUntil: Date?, disabled: Bool) {
        switch account {
        case .staff(let r): (r.passwordHash, r.failedSignIns, r.lockedUntil, r.disabled)
        case .applicant(let r): (r.passwordHash, r.failedSignIns, r.lockedUntil, r.disabled)
        }
    }

    /// Writes the attempt, the new failure count and the audit event in one transaction.
    private func recordAttempt(
        _ account: Account, _ outcome: SignInOutcome, channel: String, address: String, userAgent: String?,
        failures: Int? = nil, lockedUntil: Date?? = nil
    ) async throws {
        let now = self.now
        var context = self.context
        context.channel = channel
        context.address = address
        switch account {
        case .staff(let record):
            if let failures { record.failedSignIns = failures }
            if let lockedUntil { record.lockedUntil = lockedUntil }
            context.actor = record.account
        case .applicant(let record):
            if let failures { record.failedSignIns = failures }
            if let lockedUntil { record.lockedUntil = lockedUntil }
            context.actor = "applicant:" + record.id!.uuidString
        }
        let attempt = context
        try await db.transaction { tx in
            switch account {
            case .staff(let record): try await record.save(on: tx)
            case .applicant(let record): try await record.save(on: tx)
            }
            try await SignInEventRecord(principal: account.principal.key, at: now, channel: channel, address: address, userAgent: userAgent, outcome: outcome)
                .create(on: tx)
            let action = outcome == .succeeded ? "auth.signIn" : "auth.signInRefused"
            try await AuditTrail.append(
                attempt.entry(action, subjectType: "account", subjectID: account.principal.key, after: outcome.rawValue, at: now), on: tx)
        }
    }

    // MARK: Tokens and signing out

    func issueToken(for principal: Principal, actingFor: UUID?) async throws -> (token: String, expiresAt: Date) {
        let token = [UInt8].random(count: 32).base64URLEncoded
        let expiresAt = now.addingTimeInterval(settings.tokenLifetime)
        try await AccessTokenRecord(tokenHash: AccessTokenRecord.hash(token), principal: principal, actingFor: actingFor, createdAt: now, expiresAt: expiresAt)
            .create(on: db)
        return (token, expiresAt)
    }

    func revokeToken(_ bearer: String) async throws {
        let now = self.now
        let context = self.context
        try await db.transaction { tx in
            guard let token = try await AccessTokenRecord.query(on: tx).filter(\.$tokenHash == AccessTokenRecord.hash(bearer)).first(),
                token.revokedAt == nil
            else { return }
            token.revokedAt = now
            try await token.save(on: tx)
            try await AuditTrail.append(context.entry("auth.tokenRevoked", subjectType: "account", subjectID: token.principal, at: now), on: tx)
        }
    }

    /// Ends every session and token of the principal, on every device.
    func signOutEverywhere(_ principal: Principal) async throws {
        let now = self.now
        let context = self.context
        try await db.transaction { tx in
            switch principal {
            case .staff(let id):
                guard let record = try await StaffAccountRecord.find(id, on: tx) else { return }
                record.sessionsRevokedAt = now
                try await record.save(on: tx)
            case .applicant(let id):
                guard let record = try await ApplicantRecord.find(id, on: tx) else { return }
                record.sessionsRevokedAt = now
                try await record.save(on: tx)
            }
            try await AccessTokenRecord.query(on: tx).filter(\.$principal == principal.key).filter(\.$revokedAt == nil)
                .set(\.$revokedAt, to: now).update()
            try await AuditTrail.append(context.entry("auth.signOutEverywhere", subjectType: "account", subjectID: principal.key, at: now), on: tx)
        }
    }

    func history(_ principal: Principal, limit: Int = 20) async throws -> [SignInEventRecord] {
        try await SignInEventRecord.query(on: db).filter(\.$principal == principal.key).sort(\.$at, .descending).limit(limit).all()
    }
}
