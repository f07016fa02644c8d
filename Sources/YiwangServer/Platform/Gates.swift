import Vapor
import YiwangCore

/// Route gates: they refuse before the route reads a body, so an anonymous caller can never make
/// the server read (and hold) a large upload or import, and every protected operation answers
/// 401 to the anonymous, whatever its body. Handlers still ask the policy about the resource.

/// Anyone signed in (applicant or staff). Pages send the anonymous to sign in instead.
struct SignedInOnly: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if case .anonymous = request.actor { return try Gate.refuseAnonymous(request) }
        return try await next.respond(to: request)
    }
}

/// Staff only, and only those who hold `action` somewhere (the scope is checked per resource later).
struct StaffOnly: AsyncMiddleware {
    var action: PolicyAction?

    init(_ action: PolicyAction? = nil) { self.action = action }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        switch request.actor {
        case .anonymous:
            return try Gate.refuseAnonymous(request)
        case .applicant:
            throw DomainError.forbidden("该功能仅供工作人员使用。")
        case .staff:
            if let action { try request.authorizeSomewhere(action) }
        }
        return try await next.respond(to: request)
    }
}

enum Gate {
    /// 401 on the API (naming a bad token when one was sent); a redirect to sign in on pages.
    static func refuseAnonymous(_ request: Request) throws -> Response {
        if request.url.path.hasPrefix("/api/") {
            if request.presentedInvalidToken {
                throw DomainError(.unauthenticated, code: "access.token_invalid", message: "访问令牌无效、已过期或已被撤销，请重新获取。")
            }
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录。")
        }
        let signIn = request.url.path.hasPrefix("/admin") ? "/admin/login" : "/signin"
        // A form posted after the session ended comes back to the page it was on.
        let back = request.method == .GET ? request.returnTo : (request.headers.first(name: .referer).flatMap(Self.localPath) ?? "%2F")
        return request.redirect(to: signIn + "?next=" + back, redirectType: .normal)
    }

    /// The path and query of a same-site referrer, percent-encoded; nil for anything else.
    static func localPath(_ referer: String) -> String? {
        guard let url = URLComponents(string: referer), url.path.hasPrefix("/"), !url.path.hasPrefix("//") else { return nil }
        let local = url.path + (url.query.map { "?" + $0 } ?? "")
        return local.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
    }
}

extension Request {
    private struct InvalidTokenKey: StorageKey { typealias Value = Bool }

    /// A bearer token came with the request but stands for no one: public reads go on as
    /// anonymous; anything that needs a caller answers 401 `access.token_invalid`.
    var presentedInvalidToken: Bool {
        get { storage[InvalidTokenKey.self] ?? false }
        set { storage[InvalidTokenKey.self] = newValue }
    }
}

/// The methods each route path answers, so that a known path asked with another method answers
/// 405 with `Allow` rather than 404.
struct RouteTable: Sendable {
    private let routes: [(components: [PathComponent], method: HTTPMethod)]

    init(_ routes: [Route]) {
        self.routes = routes.map { ($0.path, $0.method) }
    }

    func allowedMethods(for path: String) -> [HTTPMethod] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map { String($0).removingPercentEncoding ?? String($0) }
        var methods: [HTTPMethod] = []
        for route in routes where Self.matches(route.components, parts) && !methods.contains(route.method) {
            methods.append(route.method)
        }
        if methods.contains(.GET), !methods.contains(.HEAD) { methods.append(.HEAD) }
        return methods
    }

    private static func matches(_ pattern: [PathComponent], _ parts: [String]) -> Bool {
        if pattern.last == .catchall { return parts.count >= pattern.count - 1 }
        guard pattern.count == parts.count else { return false }
        for (component, part) in zip(pattern, parts) {
            switch component {
            case .constant(let text): if text != part { return false }
            case .parameter, .anything: continue
            case .catchall: return true
            }
        }
        return true
    }
}

extension Application {
    private struct RouteTableKey: StorageKey { typealias Value = RouteTable }

    var routeTable: RouteTable {
        get { storage[RouteTableKey.self] ?? RouteTable([]) }
        set { storage[RouteTableKey.self] = newValue }
    }
}

/// Serves `Public/` (stylesheets and scripts) and nothing else: only GET and HEAD under `/css/`
/// and `/js/`, with short plain segments. Every other path goes straight to the routes, so an
/// odd or overlong path is a 404, never a failed file look-up (ENAMETOOLONG was a 500).
struct StaticFiles: AsyncMiddleware {
    let files: FileMiddleware

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory, defaultFile: nil)
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = request.url.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard request.method == .GET || request.method == .HEAD, path.hasPrefix("/css/") || path.hasPrefix("/js/"), path.utf8.count <= 256,
            segments.allSatisfy({ $0.utf8.count <= 100 && $0 != ".." && $0 != "." }), !path.contains("%"), !path.contains("//")
        else { return try await next.respond(to: request) }
        return try await files.respond(to: request, chainingTo: next)
    }
}

/// Refuses bodies the decoders would choke on before any handler reads them. MultipartKit stops
/// the process on an empty boundary, and Vapor picks a decoder by a media type that matches `*`
/// wildcards, so a wildcard type (`*/x`) could reach the multipart decoder by another name: a
/// wildcard is no content type, and any boundary given must be a real one.
struct BodyShapeGuard: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let type = request.headers.contentType {
            if type.type.contains("*") || type.subType.contains("*") {
                throw Abort(.unsupportedMediaType)
            }
            let boundary = type.parameters.first { $0.key.lowercased() == "boundary" }?.value
                .trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            if type.type.lowercased() == "multipart" || boundary != nil {
                guard let boundary, !boundary.isEmpty, boundary.utf8.count <= 70 else {
                    throw DomainError(.invalid, code: "request.multipart_boundary", message: "multipart 请求须带有效的 boundary 参数(1到70个字符)。")
                }
            }
        }
        return try await next.respond(to: request)
    }
}
