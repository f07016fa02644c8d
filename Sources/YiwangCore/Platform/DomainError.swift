import Foundation

/// A rule was broken. Carries a stable machine code (e.g. `catalog.promised_exceeds_statutory`)
/// and a Chinese message for people; the server maps `kind` to an HTTP status.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case invalid, notFound, conflict, forbidden, unauthenticated, tooLarge, tooManyRequests
        /// An outside service (a shared registry) did not answer in time: try again shortly.
        case unavailable
        /// The resource exists but can never be changed this way (an append-only review).
        case methodNotAllowed
    }

    public var kind: Kind
    public var code: String
    public var message: String
    /// Per-field problems, for forms and problem details (`errors`).
    public var fieldErrors: [FieldError]
    /// For `tooManyRequests`: whole seconds until a retry may succeed (the Retry-After header).
    public var retryAfter: Int?
    /// For `methodNotAllowed`: the methods the resource does allow (the Allow header).
    public var allowedMethods: [String] = []

    public init(_ kind: Kind, code: String, message: String, fieldErrors: [FieldError] = []) {
        self.kind = kind
        self.code = code
        self.message = message
        self.fieldErrors = fieldErrors
    }

    public var description: String { "\(code): \(message)" }

    public static func tooManyRequests(_ code: String, _ message: String, retryAfter: Int) -> DomainError {
        var error = DomainError(.tooManyRequests, code: code, message: message)
        error.retryAfter = retryAfter
        return error
    }

    /// An outside service is down or slow; nothing was changed, and a retry after a while may succeed.
    public static func unavailable(_ code: String, _ message: String, retryAfter: Int = 30) -> DomainError {
        var error = DomainError(.unavailable, code: code, message: message)
        error.retryAfter = retryAfter
        return error
    }

    /// The resource exists but never takes this method; `allowed` is what it does take.
    public static func methodNotAllowed(_ code: String, _ message: String, allowed: [String]) -> DomainError {
        var error = DomainError(.methodNotAllowed, code: code, message: message)
        error.allowedMethods = allowed
        return error
    }

    public static func invalid(_ code: String, _ message: String, fields: [FieldError] = []) -> DomainError {
        DomainError(.invalid, code: code, message: message, fieldErrors: fields)
    }

    public static func notFound(_ code: String, _ message: String) -> DomainError {
        DomainError(.notFound, code: code, message: message)
    }

    public static func conflict(_ code: String, _ message: String) -> DomainError {
        DomainError(.conflict, code: code, message: message)
    }

    public static func forbidden(_ message: String = "您无权执行此操作。") -> DomainError {
        DomainError(.forbidden, code: "access.forbidden", message: message)
    }
}

public struct FieldError: Codable, Sendable, Equatable {
    /// A JSON-pointer-like path to the field, e.g. `materials/2/name`.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Injected time: rules never read the system clock themselves.
public protocol TimeSource: Sendable {
    func now() -> Date
}

public struct SystemTimeSource: TimeSource {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that stands still until moved; for tests and reproducible runs.
public final class FixedTimeSource: TimeSource, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ date: Date) { current = date }

    public func now() -> Date { lock.withLock { current } }

    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }

    public func set(_ date: Date) { lock.withLock { current = date } }
}

/// Calendar days in China Standard Time; dates in guides and calendars are local dates.
public enum ChinaTime {
    /// China Standard Time; a host without tzdata still gets UTC+8 (China keeps no daylight time).
    public static let timeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .current

    public static var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// Parses `YYYY-MM-DD` strictly (a real date, no trailing text).
    public static func day(from text: String) -> DateComponents? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar) else { return nil }
        return components
    }

    /// The first instant of a `YYYY-MM-DD` day in China time.
    public static func startOfDay(_ text: String) -> Date? {
        guard let components = day(from: text) else { return nil }
        return calendar.date(from: components)
    }

    public static func dayString(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
