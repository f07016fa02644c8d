import ConsoleKit
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// `yiwang bench-cases`: the speed goals of the cases issue, measured against the database's own
/// ceiling in the same run and with the same durability settings:
/// - submit-and-accept through the HTTP API (cases/s, p50/p99), beside the raw transaction rate;
/// - the deadline watch over a large number of open cases;
/// - the approver's work queue with that many cases in the database.
/// Run it on an empty database (a fresh YIWANG_DATA_DIR, or a throwaway PostgreSQL database).
struct CaseBenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "cases", help: "Cases submitted and accepted over HTTP (default 3000)") var cases: Int?
        @Option(name: "concurrency", help: "Concurrent clients (default 4)") var concurrency: Int?
        @Option(name: "open-cases", help: "Open cases generated for the watch and the queue (default 1000000)") var openCases: Int?
        @Option(name: "requests", help: "Queue requests measured (default 2000)") var requests: Int?
    }

    var help: String { "Benchmarks case submission and acceptance, the deadline watch and the work queue." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let console = context.console
        let caseCount = max(100, min(signature.cases ?? 3_000, 200_000))
        let concurrency = max(1, min(signature.concurrency ?? 4, 64))
        let openCount = max(1_000, min(signature.openCases ?? 1_000_000, 5_000_000))
        let requests = max(100, min(signature.requests ?? 2_000, 100_000))
        let engine = try await Benchmark.prepare(app, console: console)
        console.print("Yiwang case benchmark — \(engine), \(caseCount) cases over HTTP with \(concurrency) clients, \(openCount) open cases")
        Benchmark.printMachine(console)
        _ = try await DemoCity.seed(app)
        let sql = app.db as! any SQLDatabase

        // The ceiling: a bare transaction writing a case-sized row and a timeline-sized row.
        try await sql.raw("CREATE TABLE bench_transactions (id TEXT PRIMARY KEY, body TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)").run()
        let payload = String(repeating: "办", count: 300)
        let sqlite = sql.dialect.name == "sqlite"
        let turns = TakingTurns()
        let raw = try await Benchmark.measure(count: caseCount, concurrency: concurrency) { index in
            let transaction: @Sendable () async throws -> Void = {
                try await app.db.transaction { tx in
                    let sql = tx as! any SQLDatabase
                    try await sql.raw("INSERT INTO bench_transactions (id, body, at) VALUES (\(bind: "c\(index)"), \(bind: payload), \(bind: Double(index)))").run()
                    try await sql.raw("INSERT INTO bench_transactions (id, body, at) VALUES (\(bind: "e\(index)"), \(bind: "accept"), \(bind: Double(index)))").run()
                }
            }
            // On SQLite, one writer at a time as the platform does: the ceiling without busy-handler sleeps.
            if sqlite { try await turns.run(transaction) } else { try await transaction() }
        }
        Benchmark.report("raw transaction (2 inserts, ceiling)", raw, unit: "tx/s", console)

        // Submit and accept over HTTP, each case reusing a material given once (材料复用).
        guard let item = try await ItemRecord.query(on: app.db).filter(\.$name == "食品经营许可(延续)").first(),
            let version = try await ItemVersionRecord.find(item.publishedVersionID, on: app.db),
            let citizen = try await ApplicantRecord.query(on: app.db).filter(\.$identifierIndex == ApplicantRecord.index(DemoCases.person, keys: try app.keyRing)).first(),
            let clerk = try await StaffAccountRecord.query(on: app.db).filter(\.$account == "market.clerk").first(),
            let approver = try await StaffAccountRecord.query(on: app.db).filter(\.$account == "market.approver").first()
        else {
            console.error("演示数据不完整，无法进行基准测试。")
            throw ExitCode(1)
        }
        let guide = try version.guide()
        let identity = IdentityService(try .platform(app, job: "bench"))
        let citizenToken = try await identity.issueToken(for: .applicant(citizen), actingFor: nil).token
        let clerkToken = try await identity.issueToken(for: .staff(clerk), actingFor: nil).token
        let approverToken = try await identity.issueToken(for: .staff(approver), actingFor: nil).token
        let form = DemoCases.sampleForm(guide.form, profile: ProfileValue.of(citizen, keys: try app.keyRing), partial: false)
        let required = guide.materials.enumerated().filter { $0.element.required && !$0.element.source.isHeldByPlatform }.map(\.offset)

        app.logger.logLevel = .warning
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        defer { Task { await app.server.shutdown() } }
        guard let port = app.http.server.shared.localAddress?.port else {
            console.error("无法启动基准测试用的服务器。")
            throw ExitCode(1)
        }
        let base = "http://127.0.0.1:\(port)/api/v1"
        let client = app.client
        @Sendable func headers(_ token: String, key: String? = nil) -> HTTPHeaders {
            var headers = HTTPHeaders()
            headers.bearerAuthorization = BearerAuthorization(token: token)
            headers.contentType = .json
            if let key { headers.add(name: "Idempotency-Key", value: key) }
            return headers
        }
        // One case gives the files every later case reuses.
        let first = try await client.post(URI(string: base + "/cases"), headers: headers(citizenToken, key: "bench-seed")) { request in
            try request.content.encode(NewCaseRequest(item: item.implementationCode, form: form, submit: false))
        }
        let seedCase = try first.content.decode(CaseView.self)
        var reuse: [MaterialReference] = []
        for index in required {
            let response = try await client.put(URI(string: base + "/cases/\(seedCase.id)/materials/\(index + 1)"), headers: headers(citizenToken)) { request in
                request.body = ByteBuffer(bytes: DemoCases.samplePDF(guide.materials[index].name, case: index))
            }
            reuse.append(MaterialReference(material: index + 1, reuse: try response.content.decode(CaseView.File.self).sha256))
        }
        let body = try JSONEncoder().encode(NewCaseRequest(item: item.implementationCode, form: form, materials: reuse, submit: true))
        let accept = try JSONEncoder().encode(TransitionRequest(action: .accept))
        let submitSamples = SampleBox()
        let acceptSamples = SampleBox()
        let submitAccept = try await Benchmark.measure(count: caseCount, concurrency: concurrency) { index in
            let begin = ContinuousClock.now
            let created = try await client.post(URI(string: base + "/cases"), headers: headers(citizenToken, key: "bench-\(index)")) { $0.body = ByteBuffer(data: body) }
            guard created.status == .created else { throw Abort(.internalServerError, reason: "submit failed: \(created.status) \(created.body.map { String(buffer: $0) } ?? "")") }
            let middle = ContinuousClock.now
            let id = try created.content.decode(CaseView.self).id
            let accepted = try await client.post(URI(string: base + "/cases/\(id)/transitions"), headers: headers(clerkToken)) { $0.body = ByteBuffer(data: accept) }
            guard accepted.status == .ok else { throw Abort(.internalServerError, reason: "accept failed: \(accepted.status)") }
            await submitSamples.add((middle - begin).milliseconds)
            await acceptSamples.add((ContinuousClock.now - middle).milliseconds)
        }
        Benchmark.report("submit + accept over HTTP (per case)", submitAccept, unit: "cases/s", console)
        Benchmark.report("  submit request", LatencySummary(samples: await submitSamples.samples, seconds: submitAccept.seconds), unit: "req/s", console)
        Benchmark.report("  accept request", LatencySummary(samples: await acceptSamples.samples, seconds: submitAccept.seconds), unit: "req/s", console)
        console.print(String(format: "cases/s as a share of the raw transaction rate: %.0f%% (goal: at least 50%%; goal: ≥ 1000 cases/s, p99 ≤ 20 ms)", 100 * submitAccept.throughput / raw.throughput))

        // Many open cases: generated rows, as the lifecycle would leave them.
        let generated = ContinuousClock.now
        try await generateOpenCases(openCount, app: app, version: version.id!, item: item)
        console.print(String(format: "generated %d open cases in %.1f s", openCount, (ContinuousClock.now - generated).seconds))
        // What autovacuum would have done by now on PostgreSQL (statistics, and the visibility map
        // that lets a count stay in the index); statistics on SQLite.
        if case .postgres = app.settings.database { try await sql.raw("VACUUM ANALYZE cases").run() } else { try await sql.raw("ANALYZE").run() }

        // The deadline watch: the first run raises the new alerts, the next ones find nothing new.
        for run in 1...3 {
            let started = ContinuousClock.now
            let result = try await DeadlineWatch(app: app).runOnce()
            console.print(String(
                format: "deadline watch run %d over %d open cases: %.3f s (warned %d, overdue %d, approved on timeout %d; goal ≤ 1 s)", run, openCount,
                (ContinuousClock.now - started).seconds, result.warned, result.overdue, result.approvedOnTimeout))
        }

        // The approver's work queue, first page and a later one: one client alone (the time a
        // request takes), then the concurrent clients (what waiting for the two cores adds).
        for clients in Set([1, concurrency]).sorted() {
            let queue = try await Benchmark.measure(count: requests, concurrency: clients) { index in
                let page = index % 10 == 9 ? 50 : 1
                let response = try await client.get(URI(string: base + "/cases?page=\(page)"), headers: headers(approverToken))
                guard response.status == .ok else { throw Abort(.internalServerError, reason: "queue failed: \(response.status)") }
            }
            Benchmark.report("approver work queue, \(clients) client\(clients == 1 ? "" : "s")", queue, unit: "req/s", console)
        }
        let total = try await CaseRecord.query(on: app.db).count()
        console.print("cases in the database: \(total) (goal: queue p99 ≤ 10 ms)")
        console.print(String(format: "memory: peak RSS %.1f MiB, current RSS %.1f MiB (server, client and data in one process)", MemoryReading.peakMiB(), MemoryReading.currentMiB()))
    }

    /// Open cases across every department, accepted over the last weeks with deadlines spread over
    /// the coming ones; those already near their deadline carry the alert an earlier run raised,
    /// except the last hundred, which are new to the watch.
    func generateOpenCases(_ count: Int, app: Application, version: UUID, item: ItemRecord) async throws {
        let sql = app.db as! any SQLDatabase
        let departments = try await DepartmentRecord.query(on: app.db).all().map { ($0.creditCode, $0.regionCode) }
        let now = app.timeSource.now()
        let today = LocalDate(now)
        let calendar = try await app.calendarStore.calendar(on: app.db, now: now)
        let cutoff = DeadlineClock.warningCutoff(today: today, warnWithin: app.settings.deadlineWarningDays, calendar: calendar)
        let columns = [
            "id", "item_code", "item_name", "version_id", "applicant_id", "filed_by", "department_code", "region_code", "state", "form_sealed", "form_shown",
            "channel", "deadline", "deadline_provisional", "deferred_outstanding", "alert_level", "created_at", "updated_at", "green_channel",
            "commitment_signed", "queue_order", "number", "approves_on_timeout",
        ]
        let batch = 1_000
        var written = 0
        while written < count {
            let rows = min(batch, count - written)
            let start = written
            try await app.db.transaction { tx in
                let insert = (tx as! any SQLDatabase).insert(into: CaseRecord.schema).columns(columns)
                for offset in 0..<rows {
                    let index = start + offset
                    let (department, region) = departments[index % departments.count]
                    let deadline = LocalDate(dayNumber: today.dayNumber - 3 + index % 90)
                    let state: CaseState = index % 3 == 0 ? .underReview : .accepted
                    let created = now.addingTimeInterval(-Double(index % 90) * 86_400)
                    let near = deadline <= cutoff && index < count - 100
                    let alert = near ? (deadline < today ? "red" : "yellow") : "none"
                    let text = deadline.description
                    insert.values([
                        SQLBind(UUID()), SQLBind(item.implementationCode), SQLBind(item.name), SQLBind(version), SQLBind("bench-\(index % 5000)"),
                        SQLBind("bench"), SQLBind(department), SQLBind(region), SQLBind(state.rawValue), SQLBind("-"), SQLBind("{}"), SQLBind("web"),
                        SQLBind(text), SQLBind(false), SQLBind(false), SQLBind(alert), SQLBind(created), SQLBind(created), SQLBind(false), SQLBind(false),
                        SQLBind(CaseQueue.order(state: state, greenChannel: false, deadline: text, createdAt: created)), SQLBind("B\(index)"),
                        SQLBind(false),
                    ])
                }
                try await insert.run()
            }
            written += rows
        }
    }
}

/// Latency samples gathered from concurrent tasks.
actor SampleBox {
    var samples: [Double] = []
    func add(_ value: Double) { samples.append(value) }
}

/// Runs one operation at a time, first come first served: the raw ceiling's writers take turns
/// in process as the platform's do, so SQLite's busy-handler sleeps are not what is measured.
actor TakingTurns {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return try await operation()
    }
}
