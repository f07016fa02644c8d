import Fluent
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

/// 0012: password resets by SMS code.
struct CreatePasswordResets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PasswordResetRecord.schema)
            .id()
            .field("applicant_id", .uuid, .required, .references(ApplicantRecord.schema, "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .field("attempts", .int, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PasswordResetRecord.schema).delete()
    }
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
    func requestPasswordReset(account typed: String, address: String, sms: LocalSMSGateway) async throws {
        try limits.enforce(.registration, key: "reset:" + address, at: now)
        let identifier = typed.trimmingCharacters(in: .whitespaces).uppercased()
        guard ResidentIDNumber.isValid(identifier) || CreditCode.isValid(identifier) else {
            throw DomainError.invalid("reset.account", "请输入注册时使用的公民身份号码或统一社会信用代码。", fields: [FieldError(field: "account", message: "号码不正确。")])
        }
        guard case .applicant(let record)? = try await find(identifier).account, !record.disabled, let sealed = record.phoneSealed else { return }
        if let last = try await PasswordResetRecord.query(on: db).filter(\.$applicantID == record.id!).sort(\.$createdAt, .descending).first(),
            now.timeIntervalSince(last.createdAt) < PasswordReset.resendAfter
        {
            let wait = Int(PasswordReset.resendAfter - now.timeIntervalSince(last.createdAt)) + 1
            throw DomainError.tooManyRequests("reset.too_soon", "验证码已发送，请于\(wait)秒后再获取。", retryAfter: wait)
        }
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
            throw DomainError(.conflict, code: "reset.sms_failed", message: "短信暂时无法发送，请稍后重试。")
        }
    }

    /// Checks the code and sets the new password; every session and token of the account ends.
    func confirmPasswordReset(_ body: ResetCodeConfirmation) async throws {
        let identifier = body.account.trimmingCharacters(in: .whitespaces).uppercased()
        let wrong = DomainError.invalid("reset.code", "验证码不正确或已失效，请核对或重新获取。", fields: [FieldError(field: "code", message: "验证码不正确。")])
        guard case .applicant(let record)? = try await find(identifier).account,
            let reset = try await PasswordResetRecord.query(on: db).filter(\.$applicantID == record.id!).sort(\.$createdAt, .descending).first()
        else { throw wrong }
        try PasswordReset.checkUsable(expiresAt: reset.expiresAt, usedAt: reset.usedAt, attempts: reset.attempts, now: now)
        let code = body.code.trimmingCharacters(in: .whitespaces)
        guard code.count == PasswordReset.codeLength, codeHash(code, for: record.id!) == reset.codeHash else {
            reset.attempts += 1
            try await reset.save(on: db)
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
            reset.usedAt = now
            try await reset.save(on: tx)
            record.passwordHash = hash
            record.sessionsRevokedAt = now
            try await record.save(on: tx)
            try await IdentityService.revokeTokens(of: Principal.applicant(record.id!), at: now, on: tx)
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
        try await IdentityService(request: request).requestPasswordReset(account: body.account, address: request.clientAddress, sms: request.application.smsGateway)
        return try await ["message": IdentityService.resetSent].encodeResponse(status: .accepted, for: request)
    }

    @Sendable static func confirm(_ request: Request) async throws -> HTTPStatus {
        try await IdentityService(request: request).confirmPasswordReset(try request.content.decode(ResetCodeConfirmation.self))
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
            try await IdentityService(request: request).requestPasswordReset(account: account, address: request.clientAddress, sms: request.application.smsGateway)
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
            try await IdentityService(request: request).confirmPasswordReset(
                ResetCodeConfirmation(account: account, code: form.code ?? "", password: form.password ?? ""))
            return request.redirect(to: "/signin?reset=1")
        } catch let error as DomainError where error.kind == .invalid || error.kind == .conflict {
            return try await render(request, account: account, codeSent: error.kind == .invalid, error: error)
        }
    }
}
