import Fluent
import Foundation
import Vapor
import YiwangCore

struct TokenRequest: Content {
    var account: String
    var password: String
}

struct TokenResponse: Content {
    var token: String
    var expiresAt: Date
}

struct MeResponse: Content {
    var account: String
    var displayName: String
    var grants: [Grant]
}

/// Staff sign-in: a cookie session for pages, bearer tokens for the API. The full identity
/// capability (citizens, companies, lockout, rate limits) builds on these same records.
enum AuthController {
    static let genericFailure = DomainError(.unauthenticated, code: "auth.failed", message: "账号或密码不正确。")

    /// Checks a password in constant work whether or not the account exists.
    static func verify(account: String, password: String, on request: Request) async throws -> StaffAccountRecord {
        let name = account.trimmingCharacters(in: .whitespaces).lowercased()
        guard !name.isEmpty, name.count <= 100, !password.isEmpty, password.count <= 200 else { throw genericFailure }
        let record = try await StaffAccountRecord.query(on: request.db).filter(\.$account == name).first()
        guard let record else {
            // Spend the same work as a real check, so timing does not reveal which accounts exist.
            _ = try? await request.password.async.hash(password)
            throw genericFailure
        }
        let matches = (try? await request.password.async.verify(password, created: record.passwordHash)) ?? false
        guard matches, !record.disabled else { throw genericFailure }
        return record
    }

    @Sendable static func issueToken(_ request: Request) async throws -> Response {
        let body = try request.content.decode(TokenRequest.self)
        let account = try await verify(account: body.account, password: body.password, on: request)
        let token = [UInt8].random(count: 32).base64URLEncoded
        let now = request.now
        let expiresAt = now.addingTimeInterval(request.application.settings.tokenLifetime)
        try await ApiTokenRecord(tokenHash: ApiTokenRecord.hash(token), accountID: account.id!, createdAt: now, expiresAt: expiresAt)
            .create(on: request.db)
        let response = try await TokenResponse(token: token, expiresAt: expiresAt).encodeResponse(status: .created, for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    @Sendable static func revokeToken(_ request: Request) async throws -> HTTPStatus {
        guard let bearer = request.headers.bearerAuthorization?.token else {
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请在 Authorization 头中提供要撤销的令牌。")
        }
        try await ApiTokenRecord.query(on: request.db)
            .filter(\.$tokenHash == ApiTokenRecord.hash(bearer))
            .set(\.$revokedAt, to: request.now)
            .update()
        return .noContent
    }

    @Sendable static func me(_ request: Request) async throws -> MeResponse {
        guard let account = request.staffAccount else {
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录。")
        }
        return MeResponse(account: account.account, displayName: account.displayName, grants: account.grants)
    }

    // MARK: Pages

    struct LoginPage: Encodable {
        var page: PageContext
        var account: String
        var error: String?
        var next: String
    }

    struct LoginForm: Content {
        var account: String?
        var password: String?
        var csrf: String?
        var next: String?
    }

    @Sendable static func loginPage(_ request: Request) async throws -> View {
        _ = request.csrfToken()
        let next = safeRedirect(try? request.query.get(String.self, at: "next"))
        return try await request.view.render("admin/login", LoginPage(page: PageContext(request: request, title: "工作人员登录"), account: "", error: nil, next: next))
    }

    @Sendable static func login(_ request: Request) async throws -> Response {
        let form = try request.content.decode(LoginForm.self)
        try request.verifyCSRF(form.csrf)
        let next = safeRedirect(form.next)
        do {
            let account = try await verify(account: form.account ?? "", password: form.password ?? "", on: request)
            // A fresh session id at sign-in defeats session fixation: drop the old record, start anew.
            if let old = request.session.id {
                try await request.application.sessions.driver.deleteSession(old, for: request).get()
            }
            request.session.id = nil
            request.session.data = SessionData()
            request.session.data["staff"] = account.id!.uuidString
            request.session.data["csrf"] = [UInt8].random(count: 24).base64URLEncoded
            return request.redirect(to: next)
        } catch let error as DomainError {
            let page = LoginPage(page: PageContext(request: request, title: "工作人员登录"), account: form.account ?? "", error: error.message, next: next)
            let response = try await request.view.render("admin/login", page).encodeResponse(for: request)
            response.status = .unauthorized
            return response
        }
    }

    @Sendable static func logout(_ request: Request) async throws -> Response {
        struct Form: Content { var csrf: String? }
        try request.verifyCSRF(try request.content.decode(Form.self).csrf)
        request.session.destroy()
        return request.redirect(to: "/")
    }

    /// Only same-site paths may be redirect targets.
    static func safeRedirect(_ target: String?, fallback: String = "/admin") -> String {
        guard let target, target.hasPrefix("/"), !target.hasPrefix("//"), !target.contains("\\"), target.count < 500 else { return fallback }
        return target
    }
}
