import Foundation
import Vapor
import YiwangCore

/// What every page's layout needs: title, text-size preference, who is signed in, the CSRF token.
struct PageContext: Encodable {
    var title: String
    var largeText: Bool
    var path: String
    /// This page's path and query, percent-encoded, for links that come back here.
    var returnTo: String
    /// Whoever is signed in, as the header shows them.
    var accountName: String?
    var staffName: String?
    var isApplicant: Bool
    var kiosk: Bool
    var csrfToken: String?
    /// Which staff sections to offer (the policy layer decides; the page only hides links).
    var mayManageStaff: Bool
    var mayViewAudit: Bool
    var mayReadDrafts: Bool
    var mayManageCalendar: Bool
    var mayEditCatalog: Bool
    var mayReadCases: Bool
    var mayHandleAtWindow: Bool
    var mayReadLicences: Bool
    var mayViewDataUses: Bool
    /// 好差评: the reviews and rectifications in scope; the hotline's phone ratings.
    var mayReadReviews: Bool
    var mayRecordPhoneReviews: Bool
    var maySupervise: Bool

    init(request: Request, title: String) {
        self.title = title
        largeText = request.cookies["yw_text"]?.string == "large"
        path = request.url.path
        returnTo = request.returnTo
        accountName = request.signedIn?.displayName
        staffName = request.staffAccount?.displayName
        isApplicant = request.applicant != nil
        kiosk = request.channel == "kiosk" || request.cookies["yw_kiosk"]?.string == "1"
        csrfToken = request.hasSession ? request.session.data["csrf"] : nil
        let actor = request.actor
        mayManageStaff = Policy.mayAttempt(actor, .manageStaff)
        mayViewAudit = Policy.mayAttempt(actor, .viewAudit)
        mayReadDrafts = Policy.mayAttempt(actor, .readDraftCatalog)
        mayManageCalendar = Policy.mayAttempt(actor, .manageCalendar)
        mayEditCatalog = Policy.mayAttempt(actor, .editCatalog)
        mayReadCases = Policy.mayAttempt(actor, .readCases)
        mayHandleAtWindow = Policy.mayAttempt(actor, .handleCaseAtWindow)
        mayReadLicences = Policy.mayAttempt(actor, .readLicences)
        mayReadReviews = Policy.mayAttempt(actor, .readReviews)
        mayRecordPhoneReviews = Policy.mayAttempt(actor, .recordPhoneReviews)
        // The whole log is city-wide: only a supervisor of everywhere is offered it.
        mayViewDataUses = Policy.allows(actor, .viewDataUses)
        maySupervise = Policy.mayAttempt(actor, .superviseService)
    }
}

extension Request {
    /// This request's path and query, percent-encoded for a `next` or `back` parameter.
    var returnTo: String {
        (url.path + (url.query.map { "?" + $0 } ?? "")).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "%2F"
    }

    /// Whether a session cookie came with the request (avoids creating sessions for anonymous readers).
    /// Whether this request carries or has started a session. Never touches `session` otherwise:
    /// merely reading it would store a session for every anonymous page view.
    /// False until `SessionsReady` has run: an error page rendered for a request refused before
    /// the sessions middleware (an odd path) must not touch `session`, which traps there.
    var hasSession: Bool {
        storage[SessionsReadyKey.self] == true
            && (cookies[application.sessions.configuration.cookieName] != nil || storage[SessionStartedKey.self] == true)
    }

    private struct SessionStartedKey: StorageKey { typealias Value = Bool }
    fileprivate struct SessionsReadyKey: StorageKey { typealias Value = Bool }

    /// A per-session token that every state-changing form must echo back (empty where the
    /// request never reached the sessions middleware).
    func csrfToken() -> String {
        guard storage[SessionsReadyKey.self] == true else { return "" }
        storage[SessionStartedKey.self] = true
        if let token = session.data["csrf"] { return token }
        let token = [UInt8].random(count: 24).base64URLEncoded
        session.data["csrf"] = token
        return token
    }

    /// Refuses a form post whose CSRF token does not match the session's.
    func verifyCSRF(_ submitted: String?) throws {
        guard storage[SessionsReadyKey.self] == true, let expected = session.data["csrf"], let submitted, !submitted.isEmpty,
            Secrets.equal(expected, submitted)
        else {
            throw DomainError(.forbidden, code: "access.csrf", message: "表单已过期或来源不可信，请刷新页面后重试。")
        }
    }
}

extension Array where Element == UInt8 {
    var base64URLEncoded: String {
        Data(self).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// Paging for lists: `page` from 1, `per` from 1 to 100.
struct PageRequest: Sendable {
    var page: Int
    var per: Int

    init(page: Int?, per: Int?, defaultPer: Int = 20) throws(DomainError) {
        let page = page ?? 1
        let per = per ?? defaultPer
        guard page >= 1, page <= 100_000 else { throw .invalid("paging.page", "页码应为1到100000之间的整数。") }
        guard per >= 1, per <= 100 else { throw .invalid("paging.per", "每页条数应为1到100之间的整数。") }
        self.page = page
        self.per = per
    }

    var offset: Int { (page - 1) * per }
}

/// Placed right after the sessions middleware: marks the request as one whose session may be read.
struct SessionsReady: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        request.storage[Request.SessionsReadyKey.self] = true
        return try await next.respond(to: request)
    }
}
