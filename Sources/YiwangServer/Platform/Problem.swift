import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Vapor
import YiwangCore

/// RFC 9457 problem details, with our stable error code and Chinese message.
struct ProblemDetails: Content {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var code: String
    var instance: String?
    var errors: [FieldError]?
}

/// Turns every error into a 4xx/5xx with a Chinese message: problem+json for the API, a page otherwise.
/// Bad input never becomes a 500.
struct ProblemMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            var problem = Self.problem(for: error, path: request.url.path)
            if problem.code == "access.unauthenticated", request.presentedInvalidToken {
                problem.code = "access.token_invalid"
                problem.type = "https://yiwang.gov.cn/problems/access.token_invalid"
                problem.detail = "访问令牌无效、已过期或已被撤销，请重新获取。"
            }
            if problem.status >= 500 {
                request.logger.report(error: error)
            } else {
                request.logger.info("request refused", metadata: ["code": .string(problem.code), "status": .stringConvertible(problem.status)])
            }
            var headers = (error as? any AbortError)?.headers ?? [:]
            if error is RouteNotFound {
                let allowed = request.application.routeTable.allowedMethods(for: request.url.path)
                if !allowed.isEmpty {
                    problem = Self.problem(for: Abort(.methodNotAllowed), path: request.url.path)
                    headers.replaceOrAdd(name: .allow, value: allowed.map(\.rawValue).joined(separator: ", "))
                }
            }
            if let retryAfter = (error as? DomainError)?.retryAfter { headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
            if let allowed = (error as? DomainError)?.allowedMethods, !allowed.isEmpty {
                headers.replaceOrAdd(name: .allow, value: allowed.joined(separator: ", "))
            }
            if problem.status == 503 && headers.first(name: .retryAfter) == nil { headers.replaceOrAdd(name: .retryAfter, value: "1") }
            return try await Self.response(problem, for: request, headers: headers)
        }
    }

    static func response(_ problem: ProblemDetails, for request: Request, headers extra: HTTPHeaders = [:]) async throws -> Response {
        let status = HTTPResponseStatus(statusCode: problem.status)
        let wantsJSON = request.url.path.hasPrefix("/api/") || request.url.path == "/healthz" || request.url.path == "/readyz"
            || request.headers.accept.first.map { $0.mediaType.type == "application" && $0.mediaType.subType.hasSuffix("json") } == true
        var headers = extra
        headers.remove(name: .contentType)
        if wantsJSON {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            let body = try encoder.encode(problem)
            headers.replaceOrAdd(name: .contentType, value: "application/problem+json; charset=utf-8")
            return Response(status: status, headers: headers, body: .init(data: body))
        }
        let page = ErrorPage(
            page: PageContext(request: request, title: problem.title), status: problem.status, title: problem.title,
            detail: problem.detail, errors: (problem.errors ?? []).map { FieldError(field: GuideLabels.describe($0.field), message: $0.message) })
        let response: Response
        if let rendered = try? await request.view.render("error", page).encodeResponse(for: request) {
            response = rendered
        } else {
            response = Response(status: status, body: .init(string: "\(problem.title)：\(problem.detail)"))
            response.headers.contentType = .plainText
        }
        response.status = status
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    static func problem(for error: any Error, path: String) -> ProblemDetails {
        switch error {
        case let domain as DomainError:
            let status = statusCode(for: domain.kind)
            return ProblemDetails(
                type: "https://yiwang.gov.cn/problems/\(domain.code)", title: title(for: status), status: status,
                detail: domain.message, code: domain.code, instance: path,
                errors: domain.fieldErrors.isEmpty ? nil : domain.fieldErrors)
        case let database as any DatabaseError where database.isConstraintFailure:
            // Two requests raced for the same unique value; the loser is told to look again.
            return ProblemDetails(
                type: "https://yiwang.gov.cn/problems/request.conflict", title: title(for: 409), status: 409,
                detail: "该记录刚被其他操作修改或已存在，请刷新后重试。", code: "request.conflict", instance: path)
        case let postgres as PSQLError where ["22021", "22P05"].contains(postgres.serverInfo?[.sqlState] ?? ""):
            // PostgreSQL refuses U+0000 (and untranslatable characters) in text; the statement
            // failed, so its transaction wrote nothing. The input was wrong, not the server.
            return ProblemDetails(
                type: "https://yiwang.gov.cn/problems/request.control_character", title: title(for: 400), status: 400,
                detail: "请求含有不可见的控制字符，请删除后重试。", code: "request.control_character", instance: path)
        case let sqlite as SQLiteError where isBusy(sqlite):
            return ProblemDetails(
                type: "https://yiwang.gov.cn/problems/server.busy", title: title(for: 503), status: 503,
                detail: "系统繁忙，请稍后重试。", code: "server.busy", instance: path)
        case let decoding as DecodingError:
            return ProblemDetails(
                type: "https://yiwang.gov.cn/problems/request.malformed", title: title(for: 400), status: 400,
                detail: describe(decoding), code: "request.malformed", instance: path)
        case let abort as any AbortError:
            let status = Int(abort.status.code)
            let code: String
            let detail: String
            switch status {
            case 400: (code, detail) = ("request.bad", "请求格式不正确。")
            case 401: (code, detail) = ("access.unauthenticated", "请先登录。")
            case 403: (code, detail) = ("access.forbidden", "您无权执行此操作。")
            case 404: (code, detail) = ("resource.not_found", "您访问的页面或资源不存在。")
            case 405: (code, detail) = ("request.method_not_allowed", "不支持该请求方法。")
            case 413: (code, detail) = ("request.too_large", "提交的内容过大，超出了允许的上限。")
            case 415: (code, detail) = ("request.unsupported_media_type", "不支持该内容类型，请使用 application/json。")
            case 422: (code, detail) = ("request.unprocessable", "请求内容无法处理。")
            case 429: (code, detail) = ("request.rate_limited", "请求过于频繁，请稍后再试。")
            case 500...: (code, detail) = ("server.error", "服务器内部错误，请稍后再试。")
            default: (code, detail) = ("request.refused", "请求被拒绝。")
            }
            return ProblemDetails(
                type: "https://yiwang.gov.cn/problems/\(code)", title: title(for: status), status: status,
                detail: detail, code: code, instance: path)
        default:
            return ProblemDetails(
                type: "https://yiwang.gov.cn/problems/server.error", title: title(for: 500), status: 500,
                detail: "服务器内部错误，请稍后再试。", code: "server.error", instance: path)
        }
    }

    static func isBusy(_ error: SQLiteError) -> Bool {
        switch error.reason {
        case .busy, .locked, .busyInSnapshot, .busyTimeout, .busyInRecovery: true
        default: false
        }
    }

    static func statusCode(for kind: DomainError.Kind) -> Int {
        switch kind {
        case .invalid: 400
        case .notFound: 404
        case .conflict: 409
        case .forbidden: 403
        case .unauthenticated: 401
        case .tooLarge: 413
        case .tooManyRequests: 429
        case .unavailable: 503
        case .methodNotAllowed: 405
        }
    }

    static func title(for status: Int) -> String {
        switch status {
        case 400: "请求有误"
        case 401: "需要登录"
        case 403: "没有权限"
        case 404: "未找到"
        case 405: "方法不允许"
        case 409: "状态冲突"
        case 413: "内容过大"
        case 415: "内容类型不支持"
        case 422: "无法处理"
        case 429: "请求过多"
        case 503: "服务暂不可用"
        case 500...: "服务器错误"
        default: "请求被拒绝"
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "/")
            return text.isEmpty ? "请求体" : "字段“\(text)”"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return parent == "请求体" ? "缺少必填字段“\(key.stringValue)”。" : "\(parent)缺少必填字段“\(key.stringValue)”。"
        case .typeMismatch(_, let context):
            return "\(path(context))的类型不正确。"
        case .valueNotFound(_, let context):
            return "\(path(context))不能为空。"
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? DomainError { return underlying.message }
            if context.codingPath.isEmpty { return "请求内容不是有效的 JSON。" }
            return "\(path(context))的取值不正确。"
        @unknown default:
            return "请求格式不正确。"
        }
    }
}

struct ErrorPage: Encodable {
    var page: PageContext
    var status: Int
    var title: String
    var detail: String
    var errors: [FieldError]
}
