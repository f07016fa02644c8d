import ConsoleKit
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// `yiwang bench`: imports a generated catalog, then measures search, guide pages and the
/// ceilings of the same machine (an empty route, raw database reads) in the same run.
/// Run it on an empty database (a fresh YIWANG_DATA_DIR, or a throwaway PostgreSQL database).
struct BenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "items", help: "Generated items to import (default 10000)") var items: Int?
        @Option(name: "requests", help: "Requests per measured route (default 2000)") var requests: Int?
        @Option(name: "concurrency", help: "Concurrent clients (default 2)") var concurrency: Int?
    }

    var help: String { "Benchmarks import, search and guide pages against the machine's own ceilings." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let console = context.console
        let itemCount = max(1, min(signature.items ?? 10_000, 50_000))
        let requests = max(100, min(signature.requests ?? 2_000, 100_000))
        let concurrency = max(1, min(signature.concurrency ?? 2, 64))
        let engine = try await Benchmark.prepare(app, console: console)
        console.print("Yiwang benchmark — \(engine), \(itemCount) items, \(requests) requests per route, \(concurrency) concurrent clients")
        Benchmark.printMachine(console)

        // Import
        let demo = try DemoCity.loadDocument(app)
        let document = SyntheticCatalog.generate(count: itemCount, from: demo)
        let exchange = CatalogExchange(db: app.db, now: app.timeSource.now(), settings: app.settings, attribution: "system:bench")
        let importStart = ContinuousClock.now
        _ = try await exchange.importDocument(document)
        let importSeconds = (ContinuousClock.now - importStart).seconds
        console.print(String(format: "import: %d items in %.2f s (%.0f items/s)", itemCount, importSeconds, Double(itemCount) / importSeconds))

        // Raw database reads: the ceiling for one indexed lookup.
        let sql = app.db as! any SQLDatabase
        let codes = try await ItemRecord.query(on: app.db).field(\.$implementationCode).limit(500).all().map(\.implementationCode)
        var rawSamples: [Double] = []
        let rawStart = ContinuousClock.now
        for index in 0..<requests {
            let started = ContinuousClock.now
            _ = try await sql.raw("SELECT name FROM items WHERE implementation_code = \(bind: codes[index % codes.count])").all()
            rawSamples.append((ContinuousClock.now - started).milliseconds)
        }
        report("raw DB read (indexed)", LatencySummary(samples: rawSamples, seconds: (ContinuousClock.now - rawStart).seconds), console)

        // The cost of authorization and the audit trail: the same write, without and with them.
        let benchToken = try await registerAuditBenchRoutes(app)

        // HTTP on loopback, in this process.
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        app.logger.logLevel = .warning
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        defer { Task { await app.server.shutdown() } }
        guard let port = app.http.server.shared.localAddress?.port else {
            console.error("无法启动基准测试用的服务器。")
            throw ExitCode(1)
        }
        let base = "http://127.0.0.1:\(port)"
        let words = ["营业执照", "食品", "出生", "养老", "公积金", "驾驶证", "许可", "登记", "备案", "补贴"]
        let routes: [(String, @Sendable (Int) -> String)] = [
            ("empty route /healthz (ceiling)", { _ in "\(base)/healthz" }),
            ("search API /api/v1/items?q=", { i in "\(base)/api/v1/items?q=\(words[i % words.count].addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed)!)&per=20" }),
            ("search API, filters only", { i in "\(base)/api/v1/items?type=license&zeroVisit=\(i % 2 == 0)&page=\(i % 5 + 1)" }),
            ("guide page /items/{code}", { i in "\(base)/items/\(codes[i % codes.count])" }),
            ("guide API /api/v1/items/{code}", { i in "\(base)/api/v1/items/\(codes[i % codes.count])" }),
        ]
        for (name, url) in routes {
            let summary = try await measure(app: app, requests: requests, concurrency: concurrency, url: url)
            report(name, summary, console)
        }
        // The write variants run interleaved, request by request, so that the database's growth
        // and WAL checkpoints weigh on each of them alike.
        var bearer = HTTPHeaders()
        bearer.bearerAuthorization = BearerAuthorization(token: benchToken)
        let variants: [(String, HTTPHeaders, String)] = [
            ("write, anonymous", [:], "\(base)/bench/write"),
            ("write, signed in (token)", bearer, "\(base)/bench/write"),
            ("write, signed in + policy", bearer, "\(base)/bench/write-authorized"),
            ("write, anonymous + audit", [:], "\(base)/bench/write-logged"),
            ("write, signed in + policy + audit", bearer, "\(base)/bench/write-audited"),
        ]
        let writes = try await measureInterleaved(app: app, requests: requests * variants.count, concurrency: concurrency, variants: variants.map { ($0.1, $0.2) })
        for (variant, summary) in zip(variants, writes) { report(variant.0 + " (interleaved)", summary, console) }
        console.print(String(
            format: "policy + audit overhead on the same signed-in write: p50 %+.3f ms, p99 %+.3f ms (goal: at most +1 ms at p99)",
            writes[4].p50 - writes[1].p50, writes[4].p99 - writes[1].p99))
        console.print(String(
            format: "token + policy + audit over the anonymous write: p50 %+.3f ms, p99 %+.3f ms",
            writes[4].p50 - writes[0].p50, writes[4].p99 - writes[0].p99))
        let verifyStart = ContinuousClock.now
        let verification = try await AuditTrail.verify(on: app.db)
        console.print(String(format: "verify-audit: %lld links in %.3f s, intact: %@", verification.checked, (ContinuousClock.now - verifyStart).seconds, verification.intact ? "yes" : "NO"))
        console.print(String(format: "memory: peak RSS %.1f MiB, current RSS %.1f MiB (server, client and data in one process)",
                             MemoryReading.peakMiB(), MemoryReading.currentMiB()))
    }

    /// Two routes that write the same row: one bare, one behind a bearer token, the policy layer
    /// and an audit append in the same transaction. Returns a token for the second.
    func registerAuditBenchRoutes(_ app: Application) async throws -> String {
        let grants = [Grant(role: .systemAdministrator, scope: .everywhere)]
        let account = try StaffAccountRecord(account: "bench.admin", displayName: "bench", passwordHash: "-", grants: grants, createdAt: app.timeSource.now())
        try await account.create(on: app.db)
        let (token, _) = try await IdentityService(try .platform(app, job: "bench")).issueToken(for: .staff(account), actingFor: nil)
        @Sendable func row(_ request: Request) -> SignInEventRecord {
            SignInEventRecord(principal: "bench", at: request.now, channel: "bench", address: request.clientAddress, userAgent: nil, outcome: .succeeded)
        }
        app.post("bench", "write") { request async throws -> HTTPStatus in
            try await request.db.transaction { try await row(request).create(on: $0) }
            return .ok
        }
        app.post("bench", "write-authorized") { request async throws -> HTTPStatus in
            try request.authorize(.manageStaff)
            try await request.db.transaction { try await row(request).create(on: $0) }
            return .ok
        }
        app.post("bench", "write-logged") { request async throws -> HTTPStatus in
            let entry = request.auditContext.entry("bench.write", subjectType: "bench", subjectID: "bench", at: request.now)
            try await AuditTrail.writeTransaction(on: request.db) { tx in
                try await row(request).create(on: tx)
                try await AuditTrail.append(entry, on: tx)
            }
            return .ok
        }
        app.post("bench", "write-audited") { request async throws -> HTTPStatus in
            try request.authorize(.manageStaff)
            let entry = request.auditContext.entry("bench.write", subjectType: "bench", subjectID: "bench", at: request.now)
            try await AuditTrail.writeTransaction(on: request.db) { tx in
                try await row(request).create(on: tx)
                try await AuditTrail.append(entry, on: tx)
            }
            return .ok
        }
        return token
    }

    /// Sends `requests` POSTs, request i to variant i mod n, and summarises each variant.
    func measureInterleaved(app: Application, requests: Int, concurrency: Int, variants: [(HTTPHeaders, String)]) async throws -> [LatencySummary] {
        let client = app.client
        for (headers, url) in variants { for _ in 0..<20 { _ = try await client.send(.POST, headers: headers, to: URI(string: url)) } }
        let started = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: [[Double]].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var samples = Array(repeating: [Double](), count: variants.count)
                    var index = worker
                    while index < requests {
                        let (headers, url) = variants[index % variants.count]
                        let begin = ContinuousClock.now
                        let response = try await client.send(.POST, headers: headers, to: URI(string: url))
                        guard response.status == .ok else { throw Abort(.internalServerError, reason: "bench request failed: \(response.status)") }
                        samples[index % variants.count].append((ContinuousClock.now - begin).milliseconds)
                        index += concurrency
                    }
                    return samples
                }
            }
            return try await group.reduce(into: Array(repeating: [Double](), count: variants.count)) { total, part in
                for (offset, values) in part.enumerated() { total[offset] += values }
            }
        }
        let seconds = (ContinuousClock.now - started).seconds
        return samples.map { LatencySummary(samples: $0, seconds: seconds / Double(variants.count)) }
    }

    func measure(
        app: Application, requests: Int, concurrency: Int, method: HTTPMethod = .GET, headers: HTTPHeaders = [:],
        url: @escaping @Sendable (Int) -> String
    ) async throws -> LatencySummary {
        let client = app.client
        // Warm up connections, caches and templates.
        for index in 0..<min(50, requests) { _ = try await client.send(method, headers: headers, to: URI(string: url(index))) }
        return try await Benchmark.measure(count: requests, concurrency: concurrency) { index in
            let response = try await client.send(method, headers: headers, to: URI(string: url(index)))
            guard response.status == .ok else { throw Abort(.internalServerError, reason: "bench request failed: \(response.status)") }
        }
    }

    func report(_ name: String, _ summary: LatencySummary, _ console: any Console) {
        Benchmark.report(name, summary, unit: "req/s", console)
    }
}

/// What the benchmark commands share: the set-up, running operations over concurrent workers,
/// and one line of figures per measurement.
enum Benchmark {
    /// Migrates, lifts the per-address API limit (the clients share one address; the bucket is
    /// still taken on every call, so its cost stays in the figures) and refuses a database that
    /// is not empty. Answers the engine, as the report names it.
    static func prepare(_ app: Application, console: any Console) async throws -> String {
        try await migrateAndPrepare(app)
        var unlimited = app.settings
        unlimited.apiCallsPerMinute = 100_000_000
        app.rateLimits = RateLimits(settings: unlimited)
        guard try await DemoCity.isEmpty(app.db) else {
            console.error("基准测试需要空数据库：请设置新的 YIWANG_DATA_DIR 或指向一次性的 PostgreSQL 数据库。")
            throw ExitCode(2)
        }
        if case .postgres = app.settings.database { return "PostgreSQL" }
        return "SQLite (WAL, synchronous=\(app.settings.sqliteSynchronous))"
    }

    static func printMachine(_ console: any Console) {
        console.print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory / 1_048_576) MiB")
    }

    /// Runs `count` operations over `concurrency` workers and summarises their latencies.
    static func measure(count: Int, concurrency: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> LatencySummary {
        let started = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var samples: [Double] = []
                    var index = worker
                    while index < count {
                        let begin = ContinuousClock.now
                        try await operation(index)
                        samples.append((ContinuousClock.now - begin).milliseconds)
                        index += concurrency
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        return LatencySummary(samples: samples, seconds: (ContinuousClock.now - started).seconds)
    }

    static func report(_ name: String, _ summary: LatencySummary, unit: String, _ console: any Console) {
        let label = name.count < 40 ? name + String(repeating: " ", count: 40 - name.count) : name
        console.print(label + String(
            format: "%8.0f %@   p50 %7.3f ms   p99 %7.3f ms   max %7.3f ms   (n=%d)", summary.throughput, unit, summary.p50, summary.p99, summary.max,
            summary.count))
    }
}

/// Reads the process's memory from /proc (Linux).
enum MemoryReading {
    static func value(_ key: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            let number = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Double($0) } ?? 0
            return number / 1024
        }
        return 0
    }

    static func peakMiB() -> Double { value("VmHWM:") }
    static func currentMiB() -> Double { value("VmRSS:") }
}

/// `yiwang generate-catalog --items N --output FILE`: a catalog document of N entries made from
/// the demo city's real guides under new base codes, for benchmarks at scale (`yiwang import FILE`
/// loads it; scripts/bench_http.py uses both).
struct GenerateCatalogCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "items", help: "Entries to generate (default 10000, at most 50000)") var items: Int?
        @Option(name: "output", help: "Where to write the JSON document") var output: String?
    }

    var help: String { "Writes a generated catalog (real demo guides under new base codes) for benchmarks at scale." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let count = max(1, min(signature.items ?? 10_000, 50_000))
        guard let output = signature.output, !output.isEmpty else {
            context.console.error("请用 --output 指定输出文件。")
            throw ExitCode(2)
        }
        let document = SyntheticCatalog.generate(count: count, from: try DemoCity.loadDocument(context.application))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard FileManager.default.createFile(atPath: output, contents: try encoder.encode(document)) else {
            context.console.error("无法写入 \(output)。")
            throw ExitCode(2)
        }
        context.console.print("已生成 \(count) 个事项：\(output)")
    }
}
