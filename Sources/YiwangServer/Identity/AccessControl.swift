import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor
import YiwangCore

/// Who is signed in on this request, as loaded by `ActorMiddleware`.
enum SignedIn: Sendable {
    case staff(StaffAccountRecord)
    case applicant(ApplicantRecord, ApplicantActor)

    var principal: Principal {
        switch self {
        case .staff(let account): .staff(account.id!)
        case .applicant(let applicant, _): .applicant(applicant.id!)
        }
    }

    var actor: Actor {
        switch self {
        case .staff(let account): account.actor
        case .applicant(_, let applicant): .applicant(applicant)
        }
    }

    var actsForNoCompany: Bool {
        if case .applicant(_, let actor) = self { return actor.actingFor == nil }
        return false
    }

    var displayName: String {
        switch self {
        case .staff(let account): account.displayName
        case .applicant(_, let applicant): applicant.actingFor.map { "\(applicant.displayName)(代\($0.companyName)办理)" } ?? applicant.displayName
        }
    }
}

extension Request {
    private struct SignedInKey: StorageKey { typealias Value = SignedIn }
    private struct ChannelKey: StorageKey { typealias Value = String }

    var signedIn: SignedIn? {
        get { storage[SignedInKey.self] }
        set { storage[SignedInKey.self] = newValue }
    }

    /// The signed-in staff account, if any.
    var staffAccount: StaffAccountRecord? {
        if case .staff(let account) = signedIn { return account }
        return nil
    }

    /// The signed-in applicant's record and actor, if any.
    var applicant: (record: ApplicantRecord, actor: ApplicantActor)? {
        if case .applicant(let record, let actor) = signedIn { return (record, actor) }
        return nil
    }

    /// Who is acting on this request, for the policy layer.
    var actor: Actor { signedIn?.actor ?? .anonymous }

    /// web, kiosk or api: where the request came in.
    var channel: String {
        get { storage[ChannelKey.self] ?? (url.path.hasPrefix("/api/") ? "api" : "web") }
        set { storage[ChannelKey.self] = newValue }
    }

    /// The caller's address: the peer, or, when the peer is a trusted proxy, the last address it
    /// added to X-Forwarded-For (earlier entries are whatever the client claimed).
    var clientAddress: String {
        let peer = remoteAddress?.ipAddress ?? "unknown"
        // Proxies may append to the header or add another line: read all of it, trust only the last hop.
        guard application.settings.trustedProxies.contains(peer),
            let forwarded = headers[canonicalForm: "X-Forwarded-For"].last.map(String.init)?.trimmingCharacters(in: .whitespaces),
            (try? SocketAddress(ipAddress: forwarded, port: 0)) != nil
        else { return peer }
        return forwarded
    }

    var auditContext: AuditContext {
        var role: String?
        if case .staff(let account) = signedIn {
            role = Set(account.grants.map(\.role.rawValue)).sorted().joined(separator: ",")
        }
        var actingFor: String?
        if case .applicant(_, let applicant) = signedIn { actingFor = applicant.actingFor?.companyID }
        return AuditContext(actor: actor.accountName, actingFor: actingFor, role: role, channel: channel, address: clientAddress)
    }

    /// Asks the policy layer; throws 401/403 with a Chinese message when refused.
    func authorize(_ action: PolicyAction, on owner: ResourceOwner = .global) throws {
        try Policy.authorize(actor, action, on: owner)
    }

    /// Refuses early when the actor holds no role for the action at all.
    func authorizeSomewhere(_ action: PolicyAction) throws {
        try Policy.authorizeSomewhere(actor, action)
    }
}

/// Resolves the actor from a bearer token or the session; anonymous readers cost no query.
/// Sessions end when idle, after their absolute lifetime, when signed out everywhere, or when
/// the account is disabled. On the JSON API a session cookie only reads: anything that changes
/// state there needs a bearer token, so a cookie alone can never be ridden across sites.
struct ActorMiddleware: AsyncMiddleware {
    static let sessionLifetime: TimeInterval = 8 * 3600

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let now = request.now
        if let bearer = request.headers.bearerAuthorization?.token {
            request.channel = "api"
            let hash = AccessTokenRecord.hash(bearer)
            let cache = request.application.tokenCache
            if let cached = cache.lookUp(hash, at: now) {
                request.signedIn = cached
                return try await next.respond(to: request)
            }
            // A token that stands for no one leaves the caller anonymous: public reads still
            // answer, and whatever needs a caller answers 401 access.token_invalid.
            if let token = try await AccessTokenRecord.query(on: request.db).filter(\.$tokenHash == hash).first(),
                token.revokedAt == nil, token.expiresAt > now, let principal = Principal(key: token.principal),
                let signedIn = try await Sessions.load(principal, actingFor: token.actingFor, issuedAt: token.createdAt, on: request.db),
                // A token issued to act for a company is void once that authority is withdrawn.
                !(token.actingFor != nil && signedIn.actsForNoCompany)
            {
                cache.store(hash, signedIn, until: min(token.expiresAt, now.addingTimeInterval(request.application.settings.tokenCacheSeconds)))
                request.signedIn = signedIn
            } else {
                request.presentedInvalidToken = true
            }
        } else if request.hasSession, let key = request.session.data["principal"], let principal = Principal(key: key) {
            let kiosk = request.session.data["kiosk"] == "1"
            request.channel = kiosk ? "kiosk" : "web"
            let since = request.session.data["since"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) ?? .distantPast
            let seen = request.session.data["seen"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) ?? since
            let idleLimit = kiosk ? request.application.settings.kioskIdle : request.application.settings.sessionIdle
            let actingFor = request.session.data["actingFor"].flatMap(UUID.init(uuidString:))
            let readsOnly = request.url.path.hasPrefix("/api/") && request.method != .GET && request.method != .HEAD
            if now.timeIntervalSince(seen) > idleLimit || now.timeIntervalSince(since) > Self.sessionLifetime {
                try await Sessions.end(request, reason: "expired")
            } else if readsOnly {
                // Left anonymous: the API's writes answer 401 and ask for a token.
            } else if let signedIn = try await Sessions.load(principal, actingFor: actingFor, issuedAt: since, on: request.db) {
                request.signedIn = signedIn
                // Touch the session at most once a minute: idle expiry needs no write per page view.
                if now.timeIntervalSince(seen) > 60 { request.session.data["seen"] = String(now.timeIntervalSince1970) }
            } else {
                try await Sessions.end(request, reason: "revoked")
            }
        }
        return try await next.respond(to: request)
    }
}

/// Loading, starting and ending sessions, shared by the staff and applicant sign-in pages.
enum Sessions {
    /// Whether something issued at `issuedAt` survives a "sign out everywhere" at `revokedAt`,
    /// compared in whole milliseconds (what every database keeps exactly).
    static func survives(_ issuedAt: Date, _ revokedAt: Date?) -> Bool {
        guard let revokedAt else { return true }
        return AuditEntry.milliseconds(issuedAt) >= AuditEntry.milliseconds(revokedAt)
    }

    /// The principal's account, if it is still allowed in: not disabled, and not signed out
    /// everywhere after `issuedAt`.
    static func load(_ principal: Principal, actingFor: UUID?, issuedAt: Date, on db: any Database) async throws -> SignedIn? {
        switch principal {
        case .staff(let id):
            guard let account = try await StaffAccountRecord.find(id, on: db), !account.disabled, survives(issuedAt, account.sessionsRevokedAt)
            else { return nil }
            return .staff(account)
        case .applicant(let id):
            guard let record = try await ApplicantRecord.find(id, on: db), !record.disabled, survives(issuedAt, record.sessionsRevokedAt)
            else { return nil }
            var actor = ApplicantActor(accountID: id.uuidString, kind: record.kind, displayName: record.name)
            if let actingFor, record.kind == .person {
                actor.actingFor = try await Agency.representation(of: record, for: actingFor, on: db)
            }
            return .applicant(record, actor)
        }
    }

    /// Starts a fresh session for a principal: a new id defeats session fixation.
    static func start(_ request: Request, for principal: Principal, kiosk: Bool) async throws {
        try await renew(request)
        let now = String(request.now.timeIntervalSince1970)
        request.session.data["principal"] = principal.key
        request.session.data["since"] = now
        request.session.data["seen"] = now
        if kiosk { request.session.data["kiosk"] = "1" }
    }

    /// Ends a session by moving to a fresh, empty one with a new CSRF token, so the very next form
    /// (a kiosk's sign-in after an idle timeout) carries a token the server knows.
    static func end(_ request: Request, reason: String) async throws {
        request.logger.debug("session ended", metadata: ["reason": .string(reason)])
        try await renew(request)
    }

    private static func renew(_ request: Request) async throws {
        if let old = request.session.id {
            try await request.application.sessions.driver.deleteSession(old, for: request).get()
        }
        request.session.id = nil
        request.session.data = SessionData()
        request.session.data["csrf"] = [UInt8].random(count: 24).base64URLEncoded
    }
}

/// Who a bearer token stands for, remembered for a few seconds so that an API client's burst
/// costs one look-up, not one per call. Every identity change made here empties it at once;
/// changes made by another instance are seen within `tokenCacheSeconds`.
final class TokenCache: @unchecked Sendable {
    private let lock = NIOLock()
    private var entries: [String: (signedIn: SignedIn, until: Date)] = [:]

    func lookUp(_ tokenHash: String, at now: Date) -> SignedIn? {
        lock.withLock {
            guard let entry = entries[tokenHash] else { return nil }
            guard entry.until > now else {
                entries[tokenHash] = nil
                return nil
            }
            return entry.signedIn
        }
    }

    func store(_ tokenHash: String, _ signedIn: SignedIn, until: Date) {
        lock.withLock {
            if entries.count >= 10_000 { entries.removeAll() }
            entries[tokenHash] = (signedIn, until)
        }
    }

    /// Forgets everything: called by every change to accounts, grants, agents and tokens.
    func invalidate() {
        lock.withLock { entries.removeAll() }
    }
}

/// Rate limits. Sign-in, registration and password-reset attempts are counted in the database by
/// one statement that counts and decides (fixed windows, shared by every instance, keyed by a
/// fingerprint of the address, never the address); the API's per-call limit is a token bucket in
/// each instance's memory, since a database write per API call would cost more than it guards.
final class RateLimits: @unchecked Sendable {
    enum Bucket: String, CaseIterable {
        case signIn, registration, api
        /// One 找回密码 code a minute per typed number, registered or not (the answer must not tell).
        case resetCode
        /// Code confirmations per address, like sign-ins.
        case resetConfirm
        /// 找回密码 codes per typed number and day: five tries a code, ten codes a day.
        case resetCodeDaily
    }

    private let lock = NIOLock()
    private var apiLimiter: RateLimiter
    private let windows: [Bucket: (requests: Int, seconds: Int64)]
    private let keys: KeyRing?

    init(settings: Settings, keys: KeyRing? = nil) {
        apiLimiter = RateLimiter(.init(requests: settings.apiCallsPerMinute, per: 60))
        windows = [
            .signIn: (settings.signInsPerMinute, 60), .registration: (settings.registrationsPerHour, 3600),
            .resetCode: (1, Int64(PasswordReset.resendAfter)), .resetConfirm: (settings.signInsPerMinute, 60),
            .resetCodeDaily: (10, 86_400),
        ]
        self.keys = keys
    }

    /// The in-memory API bucket.
    func take(_ bucket: Bucket = .api, key: String, at now: Date) -> RateLimiter.Decision {
        lock.withLock { apiLimiter.take(key, at: now) }
    }

    /// Throws 429 with Retry-After when the API bucket is empty for this key.
    func enforce(_ bucket: Bucket, key: String, at now: Date) throws {
        if case .limited(let retryAfter) = take(bucket, key: key, at: now) { throw Self.limited(retryAfter) }
    }

    /// Counts one attempt in this key's window (which opens at the first attempt and lasts the
    /// bucket's period) and refuses past the bucket's limit, naming when the window ends.
    func enforce(_ bucket: Bucket, key: String, at now: Date, on db: any Database) async throws {
        guard let window = windows[bucket], let sql = db as? any SQLDatabase else { return try enforce(bucket, key: key, at: now) }
        let nowMs = AuditEntry.milliseconds(now)
        let expired = nowMs - window.seconds * 1000
        let fingerprint = bucket.rawValue + ":" + (keys?.blindIndex(key, purpose: "rate-limit") ?? key)
        struct Row: Decodable {
            var window_ms: Int64
            var count: Int
        }
        let row = try await sql.raw("""
            INSERT INTO rate_limit_windows (key, window_ms, count) VALUES (\(bind: fingerprint), \(bind: nowMs), 1)
            ON CONFLICT (key) DO UPDATE SET
              count = CASE WHEN rate_limit_windows.window_ms <= \(bind: expired) THEN 1 ELSE rate_limit_windows.count + 1 END,
              window_ms = CASE WHEN rate_limit_windows.window_ms <= \(bind: expired) THEN \(bind: nowMs) ELSE rate_limit_windows.window_ms END
            RETURNING window_ms, count
            """).first(decoding: Row.self)
        if let row, row.count > window.requests {
            let retryAfter = Int((row.window_ms + window.seconds * 1000 - nowMs + 999) / 1000)
            if bucket == .resetCode || bucket == .resetCodeDaily {
                throw DomainError.tooManyRequests("reset.too_soon", "验证码已发送，请于\(max(1, retryAfter))秒后再获取。", retryAfter: max(1, retryAfter))
            }
            throw Self.limited(retryAfter)
        }
    }

    /// Forgets a key's window (an attempt that did not happen, such as an SMS that was not sent).
    func forget(_ bucket: Bucket, key: String, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        let fingerprint = bucket.rawValue + ":" + (keys?.blindIndex(key, purpose: "rate-limit") ?? key)
        try await sql.raw("DELETE FROM rate_limit_windows WHERE key = \(bind: fingerprint)").run()
    }

    /// Windows that ended long ago are forgotten.
    static func forgetOldWindows(before: Date, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        try await sql.raw("DELETE FROM rate_limit_windows WHERE window_ms < \(bind: AuditEntry.milliseconds(before))").run()
    }

    static func limited(_ retryAfter: Int) -> DomainError {
        .tooManyRequests("request.rate_limited", "操作过于频繁，请于\(max(1, retryAfter))秒后再试。", retryAfter: max(1, retryAfter))
    }
}

extension Application {
    private struct RateLimitsKey: StorageKey { typealias Value = RateLimits }
    private struct DummyHashKey: StorageKey { typealias Value = DummyPasswordHash }
    private struct TokenCacheKey: StorageKey { typealias Value = TokenCache }

    var tokenCache: TokenCache {
        get { storage[TokenCacheKey.self] ?? TokenCache() }
        set { storage[TokenCacheKey.self] = newValue }
    }

    /// A bcrypt hash of a random secret, made on the first sign-in rather than at every start.
    var dummyPasswordHash: DummyPasswordHash {
        get { storage[DummyHashKey.self] ?? DummyPasswordHash() }
        set { storage[DummyHashKey.self] = newValue }
    }

    var rateLimits: RateLimits {
        get {
            if let limits = storage[RateLimitsKey.self] { return limits }
            let limits = RateLimits(settings: settings)
            storage[RateLimitsKey.self] = limits
            return limits
        }
        set { storage[RateLimitsKey.self] = newValue }
    }
}

/// Every API call counts against its token (or, without one, its address).
struct APIRateLimitMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.url.path.hasPrefix("/api/") {
            // By address: a made-up token must not buy a fresh bucket.
            try request.application.rateLimits.enforce(.api, key: request.clientAddress, at: request.now)
        }
        return try await next.respond(to: request)
    }
}

/// What an unknown account's password is checked against, so that every sign-in costs one bcrypt
/// verification at the configured cost. Made once, when first needed.
final class DummyPasswordHash: Sendable {
    private let hash = NIOLockedValueBox<String?>(nil)

    func value(_ passwords: AsyncPasswordHasher) async throws -> String {
        if let known = hash.withLockedValue({ $0 }) { return known }
        let made = try await passwords.hash([UInt8].random(count: 24).base64URLEncoded)
        return hash.withLockedValue { current in
            if let current { return current }
            current = made
            return made
        }
    }
}
