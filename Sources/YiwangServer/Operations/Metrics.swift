import Fluent
import Foundation
import NIOConcurrencyHelpers
import Prometheus
import SQLKit
import Vapor
import YiwangCore

/// What operators watch, in the Prometheus text format at `/metrics` (swift-prometheus): request
/// latency per route, cases filed and decided, the outbox backlog and its oldest message, how
/// long ago the deadline watch last ran, the audit chain's length, and how long writers wait for
/// a database connection and the write lock. One registry per process: instances are scraped
/// one by one, as Prometheus expects.
final class PlatformMetrics: Sendable {
    static let shared = PlatformMetrics()

    let registry = PrometheusCollectorRegistry()
    /// The watch's last finished run; until the first, the process's start, so that a watch that
    /// never succeeds shows a lag that grows.
    private let watchLastRun = NIOLockedValueBox<Date?>(nil)

    /// The case series exist from the start (at zero), so a dashboard has a line before the first case.
    private init() {
        _ = counter("yiwang_cases_filed_total", labels: [], help: "已提交的办件")
        for state in [CaseState.approved, .denied] {
            _ = counter("yiwang_cases_decided_total", labels: [("result", state.rawValue)], help: "已作出决定的办件(按结果)")
        }
        _ = histogram("yiwang_db_write_wait_seconds", labels: [], help: "写事务等待数据库连接与写锁的时间")
    }

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]

    /// One request, labelled by its route pattern (never the raw path: no personal data, bounded labels).
    func observe(method: String, route: String, status: UInt, duration: Duration) {
        histogram("yiwang_http_request_duration_seconds", labels: [("method", method), ("route", route)], help: "请求处理时间(按路由)")
            .record(duration)
        counter("yiwang_http_requests_total", labels: [("method", method), ("route", route), ("status", String(status))], help: "请求数(按路由和状态码)")
            .increment()
    }

    /// One read of a shared registry, by registry and outcome (found, notFound, unavailable).
    func registryRead(_ registry: String, outcome: String) {
        counter("yiwang_registry_reads_total", labels: [("registry", registry), ("outcome", outcome)], help: "共享库调用次数(按库和结果)").increment()
    }

    /// One licence sealed and issued.
    func licenceIssued() { counter("yiwang_licences_issued_total", labels: [], help: "已签发的电子证照").increment() }

    func caseFiled() { counter("yiwang_cases_filed_total", labels: [], help: "已提交的办件").increment() }

    func caseDecided(_ state: CaseState) {
        counter("yiwang_cases_decided_total", labels: [("result", state.rawValue)], help: "已作出决定的办件(按结果)").increment()
    }

    /// How long a write waited for its connection and the write lock before its transaction began.
    func writeWait(_ duration: Duration) {
        histogram("yiwang_db_write_wait_seconds", labels: [], help: "写事务等待数据库连接与写锁的时间").record(duration)
    }

    /// SQLite's group commit: one commit carrying `transactions` write transactions (their ratio is
    /// the average group).
    func groupCommitted(transactions: Int) {
        counter("yiwang_db_group_commits_total", labels: [], help: "SQLite 合并提交的次数").increment()
        counter("yiwang_db_grouped_transactions_total", labels: [], help: "合并提交中的写事务数").increment(by: Int64(transactions))
    }

    /// The watch is due from now on (the server started): its lag counts from here until it runs.
    func deadlineWatchExpected(from date: Date) {
        watchLastRun.withLockedValue { if $0 == nil { $0 = date } }
    }

    func deadlineWatchRan(at date: Date, took duration: Duration) {
        watchLastRun.withLockedValue { $0 = date }
        histogram("yiwang_deadline_watch_run_seconds", labels: [], help: "期限监察每轮耗时").record(duration)
    }

    // The registry returns the series already made for a name and labels, so these only name them.
    private func histogram(_ name: String, labels: [(String, String)], help: String) -> DurationHistogram {
        registry.makeDurationHistogram(descriptor: Self.descriptor(name, unit: "seconds", help: help), labels: labels, buckets: Self.latencyBuckets)
    }

    private func counter(_ name: String, labels: [(String, String)], help: String) -> Counter {
        registry.makeCounter(descriptor: Self.descriptor(name, unit: "total", help: help), labels: labels)
    }

    /// `yiwang_<metric>_<unit>` split into the parts the library wants.
    private static func descriptor(_ name: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "yiwang", metricName: String(name.dropFirst("yiwang_".count).dropLast(unit.count + 1)), unitName: unit, helpText: help)
    }

    /// The exposition, with the gauges read from the database at scrape time.
    func render(_ app: Application) async -> String {
        let now = app.timeSource.now()
        let outbox = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "yiwang", metricName: "outbox_pending", unitName: "messages", helpText: "待投递的通知数"))
        let oldest = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "yiwang", metricName: "outbox_oldest_pending_age", unitName: "seconds", helpText: "最早一条待投递通知的等待时间"))
        let chain = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "yiwang", metricName: "audit_chain_length", unitName: "events", helpText: "留痕链长度(链头序号)"))
        let lag = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "yiwang", metricName: "deadline_watch_lag", unitName: "seconds", helpText: "距期限监察上次完成的时间"))
        let up = registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "yiwang", metricName: "database", unitName: "up", helpText: "数据库是否可读(1 可读)"))
        do {
            let pending = OutboxRecord.query(on: app.db).filter(\.$status == "pending")
            outbox.set(to: Double(try await pending.count()))
            let first = try await OutboxRecord.query(on: app.db).filter(\.$status == "pending").sort(\.$createdAt).first()
            oldest.set(to: first.map { max(0, now.timeIntervalSince($0.createdAt)) } ?? 0)
            chain.set(to: Double(try await AuditTrail.readHead(app.db).sequence))
            up.set(to: 1)
        } catch {
            up.set(to: 0)
        }
        lag.set(to: max(0, now.timeIntervalSince(watchLastRun.withLockedValue { $0 } ?? now)))
        return registry.emitToString()
    }
}

/// `GET /metrics`: for the allowed addresses (`YIWANG_METRICS_ALLOW`, loopback by default) or a
/// caller presenting `YIWANG_METRICS_TOKEN`; everyone else gets 404, as if nothing were there.
enum MetricsController {
    @Sendable static func scrape(_ request: Request) async throws -> Response {
        let settings = request.application.settings
        // A reverse proxy on the same host makes every caller look local: a forwarded request, or
        // one from a trusted proxy, is never let in by address, only by the token.
        let peer = request.remoteAddress?.ipAddress ?? ""
        let forwarded = request.headers.contains(name: "X-Forwarded-For") || request.headers.contains(name: "Forwarded")
            || settings.trustedProxies.contains(peer)
        let byAddress = !forwarded && settings.metricsAddresses.contains(peer)
        let byToken = settings.metricsToken.map { Secrets.equal(request.headers.bearerAuthorization?.token ?? "", $0) } ?? false
        guard byAddress || byToken else { throw Abort(.notFound) }
        let text = await PlatformMetrics.shared.render(request.application)
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }
}
