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
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    // What the identity code reads of its context, named as it says it.
    var db: any Database { ctx.db }
    var now: Date { ctx.now }
    var settings: Settings { ctx.settings }
    var keys: KeyRing { ctx.keys }
    var context: AuditContext { ctx.audit }
    var passwords: AsyncPasswordHasher { ctx.app.password.async }
    var limits: RateLimits { ctx.app.rateLimits }
    var tokens: TokenCache { ctx.app.tokenCache }
    /// A real bcrypt hash of nothing anyone knows: unknown accounts are checked against it.
    var dummyHash: DummyPasswordHash { ctx.app.dummyPasswordHash }
    var logger: Logger? { ctx.logger }

    static let genericFailure = DomainError(.unauthenticated, code: "auth.failed", message: "账号或密码不正确。")

    // MARK: Registration

    /// Checks one name with a Core rule, collecting its problem under `field` so every problem is reported at once.
    static func collect(_ field: String, into problems: inout [FieldError], _ rule: (String) throws(DomainError) -> String, _ raw: String) -> String {
        do { return try rule(raw) } catch {
            problems.append(FieldError(field: field, message: error.message))
            return raw
        }
    }

    static func personName(_ raw: String, field: String, into problems: inout [FieldError]) -> String {
        collect(field, into: &problems, Names.person, raw)
    }

    /// `alsoWrong`: problems the caller found itself (a page's repeated password), reported with the rest.
    func registerPerson(
        _ body: RegisterPersonRequest, alsoWrong: [FieldError] = [], purpose: DataSharingService.Purpose = .registration
    ) async throws -> ApplicantRecord {
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
        // 实名核验: the population registry's name for this number, so no one can take another's number.
        try await DataSharingService(ctx).checkPerson(idNumber: idNumber.value, name: name, purpose: purpose)
        let hash = try await passwords.hash(body.password)
        let record = try ApplicantRecord(kind: .person, identifier: idNumber.value, name: name, passwordHash: hash, keys: keys, at: now)
        try record.setPhone(phone.value, keys: keys)
        try await create(record, summary: "自然人 \(record.identifierMasked) \(PersonalData.mask(name, as: .name))")
        return record
    }

    /// A person registered by a clerk at the window, checked like an online registration. The
    /// password is random and never shown: its owner sets their own through 找回密码 (a code
    /// sent to the phone the clerk recorded).
    func registerPersonAtWindow(idNumber: String, name: String, phone: String) async throws -> ApplicantRecord {
        let unusable = "Win-" + [UInt8].random(count: 24).base64URLEncoded + "-9a"
        return try await registerPerson(RegisterPersonRequest(idNumber: idNumber, name: name, phone: phone, password: unusable), purpose: .windowCheck)
    }

    func registerCompany(_ body: RegisterCompanyRequest, alsoWrong: [FieldError] = []) async throws -> ApplicantRecord {
        var problems: [FieldError] = []
        var creditCode: CreditCode?
        do { creditCode = try CreditCode(body.creditCode) } catch { problems.append(FieldError(field: "creditCode", message: error.message)) }
        let name = Self.collect("name", into: &problems, Names.organisation, body.name)
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
        // The legal persons registry must know the company and its legal representative.
        try await DataSharingService(ctx).checkCompany(
            creditCode: creditCode.value, name: name, representativeName: representativeName, representativeIDNumber: representativeID.value)
        let hash = try await passwords.hash(body.password)
        let record = try ApplicantRecord(kind: .company, identifier: creditCode.value, name: name, passwordHash: hash, keys: keys, at: now)
        record.representativeName = representativeName
        record.representativeIndex = ApplicantRecord.index(representativeID.value, keys: keys)
        record.representativeSealed = try keys.seal(representativeID.value)
        if let phone { try record.setPhone(phone.value, keys: keys) }
        try await create(record, summary: "法人 \(record.identifierMasked) \(name)，法定代表人 \(PersonalData.mask(representativeName, as: .name))")
        return record
    }

    private func create(_ record: ApplicantRecord, summary: String) async throws {
        let context = self.context
        let now = self.now
        try await AuditTrail.writeTransaction(on: db) { tx in
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
        return (SignInThrottle.staffKey(name), try await StaffAccountRecord.query(on: db).filter(\.$account == name).first().map(Account.staff))
    }

    /// Checks a password with lockout after repeated failures; records the attempt in the
    /// account's history and the audit trail. Every path costs one bcrypt check and answers in
    /// the same words, so neither timing nor messages tell whether an account exists.
    func signIn(account typed: String, password: String, channel: String, address: String, userAgent: String?) async throws -> Account {
        try await limits.enforce(.signIn, key: address, at: now, on: db)
        guard !typed.isEmpty, typed.count <= 100, !password.isEmpty, password.count <= 200 else { throw Self.genericFailure }
        let (key, found) = try await find(typed)
        let rule = settings.lockout
        // The source is kept as a keyed fingerprint: the throttle table holds no addresses.
        let source = SignInThrottle.sourceKey(key, source: keys.blindIndex(address, purpose: "sign-in-source"))
        var context = self.context
        context.channel = channel
        context.address = address
        let lockedIfWrong: Date?
        switch try await SignInThrottle.admit(source, rule: rule, now: now, on: db) {
        case .locked(let until):
            try await record(found, key: key, source: source, .locked, context: context, userAgent: userAgent)
            throw locked(until.timeIntervalSince(now))
        case .admitted(let until):
            lockedIfWrong = until
        }
        // Many recent failures on the account from anywhere: attempts on it take turns in this
        // instance and each waits a little, so parallel guesses are paced, not just delayed.
        let delay = rule.delay(accountFailures: try await SignInThrottle.accountFailures(key, rule: rule, now: now, on: db))
        let hash: String
        if let found { hash = signInState(found).hash } else { hash = try await dummyHash.value(passwords) }
        let passwords = self.passwords
        let check: @Sendable () async -> Bool = { (try? await passwords.verify(password, created: hash)) ?? false }
        let matches: Bool
        if delay > 0 {
            matches = await SignInPacing.shared.turn(key) {
                try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                return await check()
            }
        } else {
            matches = await check()
        }
        guard let found, matches, !signInState(found).disabled else {
            let outcome: SignInOutcome = found.map { matches && signInState($0).disabled ? .disabled : .wrongPassword } ?? .wrongPassword
            try await record(found, key: key, source: source, outcome, context: context, userAgent: userAgent)
            if let lockedIfWrong, lockedIfWrong > now { throw locked(lockedIfWrong.timeIntervalSince(now)) }
            throw Self.genericFailure
        }
        try await record(found, key: key, source: source, .succeeded, context: context, userAgent: userAgent)
        return found
    }

    private func locked(_ seconds: TimeInterval) -> DomainError {
        // Whole seconds to the nearest: a lock stored in milliseconds may end a fraction of a
        // second past the minute, which must not read as 2分钟 for one account and 1 for another.
        let wait = max(1, Int(seconds.rounded()))
        let minutes = max(1, (wait + 59) / 60)
        return .tooManyRequests("auth.locked", "登录失败次数过多，从当前网络地址登录该账号已暂时锁定，请于\(minutes)分钟后再试；如忘记密码，请使用“找回密码”。", retryAfter: wait)
    }

    private func signInState(_ account: Account) -> (hash: String, disabled: Bool) {
        switch account {
        case .staff(let r): (r.passwordHash, r.disabled)
        case .applicant(let r): (r.passwordHash, r.disabled)
        }
    }

    /// Writes the attempt (history for known accounts, the failure counts, the audit event) in
    /// one transaction. Refused attempts are attributed to nobody: whoever typed the password is
    /// not known to be the account holder.
    private func record(_ account: Account?, key: String, source: String, _ outcome: SignInOutcome, context: AuditContext, userAgent: String?) async throws {
        let now = self.now
        let rule = settings.lockout
        var attempt = context
        attempt.actor = outcome == .succeeded ? (account.map(Self.actorName) ?? "anonymous") : "anonymous"
        let subject = account?.principal.key ?? "unknown"
        let event = attempt.entry(
            outcome == .succeeded ? "auth.signIn" : "auth.signInRefused", subjectType: "account", subjectID: subject, after: outcome.rawValue, at: now)
        try await AuditTrail.writeTransaction(on: db) { tx in
            switch outcome {
            case .succeeded: try await SignInThrottle.clear(key, sourceKey: source, on: tx)
            case .wrongPassword, .disabled: try await SignInThrottle.countAccountFailure(key, rule: rule, now: now, on: tx)
            case .locked: break
            }
            if let account {
                try await SignInEventRecord(principal: account.principal.key, at: now, channel: context.channel, address: context.address, userAgent: userAgent, outcome: outcome)
                    .create(on: tx)
            }
            try await AuditTrail.append(event, on: tx)
        }
    }

    static func actorName(_ account: Account) -> String {
        switch account {
        case .staff(let record): record.account
        case .applicant(let record): "applicant:" + record.id!.uuidString
        }
    }

    // MARK: Tokens and signing out

    func issueToken(for account: Account, actingFor: UUID?) async throws -> (token: String, expiresAt: Date) {
        let principal = account.principal
        let token = [UInt8].random(count: 32).base64URLEncoded
        let expiresAt = now.addingTimeInterval(settings.tokenLifetime)
        let record = AccessTokenRecord(tokenHash: AccessTokenRecord.hash(token), principal: principal, actingFor: actingFor, createdAt: now, expiresAt: expiresAt)
        var issuer = context
        issuer.actor = Self.actorName(account)
        issuer.actingFor = actingFor?.uuidString
        let event = issuer.entry("auth.tokenIssued", subjectType: "account", subjectID: principal.key, after: "expires \(AuditEntry.milliseconds(expiresAt))", at: now)
        try await AuditTrail.writeTransaction(on: db) { tx in
            try await record.create(on: tx)
            try await AuditTrail.append(event, on: tx)
        }
        return (token, expiresAt)
    }

    func revokeToken(_ bearer: String) async throws {
        let now = self.now
        let context = self.context
        try await AuditTrail.writeTransaction(on: db) { tx in
            guard let token = try await AccessTokenRecord.query(on: tx).filter(\.$tokenHash == AccessTokenRecord.hash(bearer)).first(),
                token.revokedAt == nil
            else { return }
            token.revokedAt = now
            try await token.save(on: tx)
            try await AuditTrail.append(context.entry("auth.tokenRevoked", subjectType: "account", subjectID: token.principal, at: now), on: tx)
        }
        tokens.invalidate()
    }

    /// Sets or removes (empty) the address e-mail notifications go to; audited, masked in the trail.
    func setEmail(of applicantID: UUID, to raw: String?) async throws -> ApplicantRecord {
        let text = (raw ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let address: EmailAddress?
        do { address = text.isEmpty ? nil : try EmailAddress(text) } catch {
            throw DomainError.invalid("account.email", "电子邮箱地址不正确。", fields: [FieldError(field: "email", message: error.message)])
        }
        let (now, context, keys) = (self.now, self.context, self.keys)
        return try await AuditTrail.writeTransaction(on: db) { tx in
            guard let record = try await ApplicantRecord.find(applicantID, on: tx) else {
                throw DomainError.notFound("applicant.not_found", "未找到该账号。")
            }
            try record.setEmail(address?.value, keys: keys)
            try await record.save(on: tx)
            try await AuditTrail.append(
                context.entry(
                    "applicant.setEmail", subjectType: "applicant", subjectID: applicantID.uuidString, owner: .applicant(applicantID.uuidString),
                    after: record.emailMasked ?? "(已删除)", at: now),
                on: tx)
            return record
        }
    }

    /// Voids every bearer token of the principal still in force.
    static func revokeTokens(of principal: Principal, at now: Date, on db: any Database) async throws {
        try await AccessTokenRecord.query(on: db).filter(\.$principal == principal.key).filter(\.$revokedAt == nil).set(\.$revokedAt, to: now).update()
    }

    /// Ends every session and token of the principal, on every device.
    func signOutEverywhere(_ principal: Principal) async throws {
        let now = self.now
        let context = self.context
        try await AuditTrail.writeTransaction(on: db) { tx in
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
            try await Self.revokeTokens(of: principal, at: now, on: tx)
            try await AuditTrail.append(context.entry("auth.signOutEverywhere", subjectType: "account", subjectID: principal.key, at: now), on: tx)
        }
        tokens.invalidate()
    }

    func history(_ principal: Principal, limit: Int = 20) async throws -> [SignInEventRecord] {
        try await SignInEventRecord.query(on: db).filter(\.$principal == principal.key).sort(\.$at, .descending).limit(limit).all()
    }
}
