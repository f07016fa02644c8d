import Fluent
import SQLKit
import Foundation
import Vapor
import YiwangCore

/// One code sent for 找回密码: kept as a keyed hash, never in clear.
final class PasswordResetRecord: Model, @unchecked Sendable {
    static let schema = "password_resets"

    @ID(key: .id) var id: UUID?
    @Field(key: "applicant_id") var applicantID: UUID
    @Field(key: "code_hash") var codeHash: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

struct ResetCodeRequest: Content {
    var account: String
}

struct ResetCodeConfirmation: Content {
    var account: String
    var code: String
    var password: String
}

/// 找回密码 for applicants: a six-digit code by SMS to the phone on file, then a new password.
/// It is also how a person registered at the window first sets a password of their own.
extension IdentityService {
    /// The same answer whether or not the account exists, so the form cannot be used to find out.
    static let resetSent = "如该号码已注册并留有手机号码，验证码已发送至该手机，10分钟内有效。"

    func codeHash(_ code: String, for applicant: UUID) -> String {
        keys.blindIndex(code, purpose: "password-reset:" + applicant.uuidString)
    }

    /// Sends a code when the account exists and has a phone; limited per address and per account.
    func requestPasswordReset(account typed: String, address: String, sms: any SMSProvider) async throws {
        try await limits.enforce(.registration, key: "reset:" + address, at: now, on: db)
        let identifier = typed.trimmingCharacters(in: .whitespaces).uppercased()
        guard ResidentIDNumber.isValid(identifier) || CreditCode.isValid(identifier) else {
            throw DomainError.invalid("reset.account", "请输入注册时使用的公民身份号码或统一社会信用代码。", fields: [FieldError(field: "account", message: "号码不正确。")])
        }
        // One code a minute per number, whether or not it is registered: the answers match.
        try await limits.enforce(.resetCode, key: identifier, at: now, on: db)
        try await limits.enforce(.resetCodeDaily, key: identifier, at: now, on: db)
        guard case .applicant(let record)? = try await find(identifier).account, !record.disabled, let sealed = record.phoneSealed else { return }
        let code = PasswordReset.newCode()
        let reset = PasswordResetRecord()
        reset.applicantID = record.id!
        reset.codeHash = codeHash(code, for: record.id!)
        reset.attempts = 0
        reset.expiresAt = now.addingTimeInterval(PasswordReset.validFor)
        reset.createdAt = now
        let (context, now) = (self.context, self.now)
        try await AuditTrail.writeTransaction(on: db) { tx in
            try await reset.create(on: tx)
            try await AuditTrail.append(
                context.entry("auth.passwordResetRequested", subjectType: "applicant", subjectID: record.id!.uuidString, owner: .applicant(record.id!.uuidString), at: now),
                on: tx)
        }
        let message = PasswordReset.message(code: code)
        do {
            try await sms.send(to: try keys.open(sealed), recipient: "applicant:" + record.id!.uuidString, text: message.sent, logged: message.logged, at: now, on: db)
        } catch is DeliveryFailure {
            // The same answer as ever (a different one would tell that the number is registered);
            // the person may ask again at once, and operators see the gateway's failure.
            try await limits.forget(.resetCode, key: identifier, on: db)
            logger?.warning("password reset SMS not delivered: the gateway refused it")
        }
    }

    /// Takes one try from the code, atomically; false when none was left (or it was used or expired).
    private func spendAttempt(_ id: UUID) async throws -> Bool {
        guard let sql = db as? any SQLDatabase else { return false }
        struct Row: Decodable { var attempts: Int }
        let row = try await sql.raw("""
            UPDATE password_resets SET attempts = attempts + 1
            WHERE id = \(bind: id) AND attempts < \(bind: PasswordReset.maximumAttempts) AND used_at IS NULL AND expires_at > \(bind: now)
            RETURNING attempts
            """).first(decoding: Row.self)
        return row != nil
    }

    /// Checks the code and sets the new password; every session and token of the account ends.
    func confirmPasswordReset(_ body: ResetCodeConfirmation, address: String) async throws {
        try await limits.enforce(.resetConfirm, key: address, at: now, on: db)
        let identifier = body.account.trimmingCharacters(in: .whitespaces).uppercased()
        let wrong = DomainError.invalid("reset.code", "验证码不正确或已失效，请核对或重新获取。", fields: [FieldError(field: "code", message: "验证码不正确。")])
        // Every refusal reads the same: it must not tell whether the number is registered.
        let (throttleKey, found) = try await find(identifier)
        guard case .applicant(let record)? = found, !record.disabled,
            let reset = try await PasswordResetRecord.query(on: db).filter(\.$applicantID == record.id!).sort(\.$createdAt, .descending).first(),
            (try? PasswordReset.checkUsable(expiresAt: reset.expiresAt, usedAt: reset.usedAt, attempts: reset.attempts, now: now)) != nil,
            // One statement spends a try and decides whether one was left: parallel guesses get
            // at most the five tries between them.
            try await spendAttempt(reset.id!)
        else { throw wrong }
        let code = body.code.trimmingCharacters(in: .whitespaces)
        guard code.count == PasswordReset.codeLength, codeHash(code, for: record.id!) == reset.codeHash else {
            try await AuditTrail.append(
                context.entry("auth.passwordResetRefused", subjectType: "applicant", subjectID: record.id!.uuidString, owner: .applicant(record.id!.uuidString), after: "wrongCode", at: now),
                on: db)
            throw wrong
        }
        let problems = PasswordRules.problems(in: body.password, account: identifier)
        guard problems.isEmpty else {
            throw DomainError.invalid(
                "reset.password", "新密码不符合要求：" + problems.joined(), fields: problems.map { FieldError(field: "password", message: $0) })
        }
        let hash = try await passwords.hash(body.password)
        let (context, now) = (self.context, self.now)
        try await AuditTrail.writeTransaction(on: db) { tx in
            // Used once: a second confirmation racing this one finds the code spent.
            guard let sql = tx as? any SQLDatabase,
                try await sql.raw("UPDATE password_resets SET used_at = \(bind: now) WHERE id = \(bind: reset.id!) AND used_at IS NULL RETURNING id")
                    .first() != nil
            else { throw DomainError.conflict("reset.used", "该验证码已使用，请重新获取。") }
            record.passwordHash = hash
            record.sessionsRevokedAt = now
            try await record.save(on: tx)
            try await IdentityService.revokeTokens(of: Principal.applicant(record.id!), at: now, on: tx)
            // Whoever locked sign-ins to this account by guessing, the holder has proved themselves.
            try await SignInThrottle.clearAll(throttleKey, on: tx)
            try await AuditTrail.append(
                context.entry("auth.passwordReset", subjectType: "applicant", subjectID: record.id!.uuidString, owner: .applicant(record.id!.uuidString), at: now),
                on: tx)
        }
        tokens.invalidate()
    }
}

/// `POST /api/v1/password-reset` and `/confirm`, and the pages at `/password-reset`.
enum PasswordResetController {
    @Sendable static func request(_ request: Request) async throws -> Response {
        let body = try request.content.decode(ResetCodeRequest.self)
        try await IdentityService(try request.domain).requestPasswordReset(account: body.account, address: request.clientAddress, sms: request.application.sms)
        return try await ["message": IdentityService.resetSent].encodeResponse(status: .accepted, for: request)
    }

    @Sendable static func confirm(_ request: Request) async throws -> HTTPStatus {
        try await IdentityService(try request.domain).confirmPasswordReset(try request.content.decode(ResetCodeConfirmation.self), address: request.clientAddress)
        return .noContent
    }

    struct ResetPage: Encodable {
        var page: PageContext
        var account: String
        var codeSent: Bool
        var notice: String?
        var error: String?
        var errors: [FieldError]
    }

    static func render(_ request: Request, account: String = "", codeSent: Bool = false, notice: String? = nil, error: DomainError? = nil) async throws -> Response {
        _ = request.csrfToken()
        let response = try await request.view.render("account/password-reset", ResetPage(
            page: PageContext(request: request, title: "找回密码"), account: account, codeSent: codeSent, notice: notice, error: error?.message,
            errors: error?.fieldErrors ?? [])).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        if let retryAfter = error?.retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
        return response
    }

    @Sendable static func page(_ request: Request) async throws -> Response { try await render(request) }

    @Sendable static func send(_ request: Request) async throws -> Response {
        struct Form: Content {
            var csrf: String?
            var account: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let account = (form.account ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        do {
            try await IdentityService(try request.domain).requestPasswordReset(account: account, address: request.clientAddress, sms: request.application.sms)
            return try await render(request, account: account, codeSent: true, notice: IdentityService.resetSent)
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, account: account, codeSent: error.code == "reset.too_soon", error: error)
        }
    }

    @Sendable static func confirmPage(_ request: Request) async throws -> Response {
        struct Form: Content {
            var csrf: String?
            var account: String?
            var code: String?
            var password: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let account = (form.account ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        do {
            try await IdentityService(try request.domain).confirmPasswordReset(
                ResetCodeConfirmation(account: account, code: form.code ?? "", password: form.password ?? ""), address: request.clientAddress)
            return request.redirect(to: "/signin?reset=1")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await render(request, account: account, codeSent: error.kind == .invalid, error: error)
        }
    }
}
