import ConsoleKit
import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import YiwangCore

/// `yiwang bench-bundles`: issue 13's benchmark — filing and accepting a 6-member 一件事 over
/// HTTP, beside the same six items filed and accepted as six single cases, in the same run:
/// - **一件事**: `POST /api/v1/bundle-applications` with the merged form (Idempotency-Key), each
///   material the merged list asks of the applicant uploaded once
///   (`PUT /bundle-applications/{id}/materials/{n}`), and the lead window's one acceptance
///   (`POST /bundle-applications/{id}/actions` `{"action":"accept"}`), which fans out six tasks;
/// - **six single cases, files reused** (as `yiwang bench-cases` does): for each item
///   `POST /api/v1/cases` submitted at once with the applicant's earlier files reused by hash,
///   then the item's window accepting it;
/// - **six single cases, files uploaded** (the same bytes' worth of work as the bundle): for each
///   item a draft, its materials uploaded, `submit`, then `accept`.
/// The three run in two halves, A B C then C B A, so that the database's growth weighs on each
/// alike; then one more of each is run alone with the SQL statements counted; then every row is
/// checked (each application `accepted` with six running tasks, each single case `accepted`)
/// before any figure is printed. Any response other than the one expected aborts with its body.
/// Run it on an empty database (a fresh YIWANG_DATA_DIR, or a throwaway PostgreSQL database).
struct BundleBenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "applications", help: "Bundle applications filed and accepted over HTTP (default 500); as many six-case operations of each kind beside them")
        var applications: Int?
        @Option(name: "concurrency", help: "Concurrent clients (default 4)") var concurrency: Int?
        @Option(name: "applicants", help: "Citizens the operations are spread over, in turn (default 50)") var applicants: Int?
    }

    var help: String { "Benchmarks filing and accepting a 6-member 一件事 beside the same six items as single cases, over HTTP." }

    /// The bench bundle's code (never one of the demo city's).
    static let code = "bench-six"
    /// 贵阳市人力资源和社会保障局, which runs the 社会保障卡 member.
    static let lead = "11520100032406767N"
    /// Six published demo items of six departments, each a 承诺件 (not 即办) a natural person
    /// applies for online; none waits for another, so the acceptance starts all six.
    static let memberCodes = [
        "11520100MB94373T1T3000106001000",  // 户口迁移审批, 贵阳市公安局
        "11520100032406767N3002014004000",  // 社会保障卡申领, 贵阳市人力资源和社会保障局 (lead)
        "11520100043033658J3002036005000",  // 基本医疗保险关系转移接续, 贵阳市医疗保障局
        "11520100091233429A3000117003000",  // 医师执业注册(首次), 贵阳市卫生健康委员会
        "11520100MB49540L813000122004000",  // 特种设备作业人员资格认定取证, 贵阳市市场监督管理局
        "1152010009244891273000104001000",  // 教师资格认定, 贵阳市教育局
    ]

    struct Member: Sendable {
        var code: String
        var name: String
        var department: String
        var guide: ServiceGuide
        /// Positions (from 1) of the materials the applicant must give: required, not held by the platform.
        var asked: [Int]
    }

    struct Applicant: Sendable {
        var id: String
        var token: String
        var bundleBody: Data
        /// Per member: a draft holding the member's form; and the same submitted at once, reusing files.
        var draftBodies: [Data]
        var reuseBodies: [Data]
    }

    struct IDOnly: Content { var id: UUID }
    struct FileOnly: Content { var sha256: String }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let console = context.console
        // Before any database connection opens: each connection keeps the logger it was opened
        // with, and the statements are counted from the drivers' query log (see `countStatements`).
        let statements = StatementCounter()
        let original = app.logger
        app.logger = Logger(label: original.label) { _ in CountingLogHandler(inner: original, counter: statements) }
        let count = max(10, min(signature.applications ?? 500, 100_000))
        let concurrency = max(1, min(signature.concurrency ?? 4, 64))
        let applicantCount = max(1, min(signature.applicants ?? 50, 10_000))
        let engine = try await Benchmark.prepare(app, console: console)
        let sql = app.db as! any SQLDatabase
        let engineVersion = try await Self.engineVersion(sql)
        console.print("Yiwang 一件事 benchmark — \(engine) \(engineVersion), \(count) operations of each kind over HTTP with \(concurrency) clients, \(applicantCount) applicants")
        Benchmark.printMachine(console)
        let seeded = ContinuousClock.now
        _ = try await DemoCity.seed(app)
        let demoBundles = try await BundleRecord.query(on: app.db).filter(\.$publishedVersionID != nil).count()
        console.print(String(format: "demo city seeded in %.1f s (%d 一件事 published)", (ContinuousClock.now - seeded).seconds, demoBundles))

        // The bench bundle, from the published guides, through the catalog's workflow and linter.
        var found: [Member] = []
        for code in Self.memberCodes {
            guard let item = try await PublishedItem.find(code, on: app.db) else {
                console.error("演示事项 \(code) 未发布，无法组成基准测试用的一件事。")
                throw ExitCode(1)
            }
            let guide = try await CaseService.guide(version: item.versionID, on: app.db)
            guard guide.processing == .promised, guide.promisedLimit > 0, guide.targets.contains(.naturalPerson), guide.canApplyOnline else {
                console.error("事项“\(guide.name)”不是可由自然人网上申请的承诺件，不适合本基准测试。")
                throw ExitCode(1)
            }
            let asked = guide.materials.enumerated().filter { $0.element.required && !$0.element.source.isHeldByPlatform }.map { $0.offset + 1 }
            found.append(Member(code: code, name: guide.name, department: item.departmentCode, guide: guide, asked: asked))
        }
        let members = found
        let bundle = ServiceBundle(
            code: Self.code, name: "六部门并联一件事(基准测试)", kind: .lifeEvent, leadDepartment: Self.lead,
            members: members.map { BundleMember(code: $0.code, name: $0.name, department: $0.department) },
            promisedLimit: members.map(\.guide.promisedLimit).max() ?? 1, denialRule: .othersStand)
        let catalog = BundleCatalog(try DomainContext.platform(app, job: "bench"))
        var version = try await catalog.save(bundle)
        for action in [CatalogAction.submit, .approve, .publish] {
            version = try await catalog.transition(bundle.code, version: version.version, action: action)
        }
        let departments = try await DepartmentRecord.names(members.map(\.department), on: app.db)
        console.print("bench bundle \(bundle.code) v\(version.version) \(version.state.rawValue), lead \(departments[Self.lead] ?? Self.lead), promise \(bundle.promisedLimit) working days, "
            + "linter: \(version.findings.filter { $0.severity == .error }.count) errors, \(version.findings.filter { $0.severity == .warning }.count) warnings")
        for member in members {
            console.print("  \(member.code) \(member.name) — \(departments[member.department] ?? member.department), promised \(member.guide.promisedLimit) / statutory \(member.guide.statutoryLimit.map(String.init) ?? "-") working days, \(member.asked.count) material(s) to give")
        }

        // One window clerk per department, and the applicants, each signed in with a token.
        let identity = IdentityService(try .platform(app, job: "bench"))
        let now = app.timeSource.now()
        var clerkTokens: [String: String] = [:]
        for (offset, department) in Set(members.map(\.department)).sorted().enumerated() {
            let clerk = try StaffAccountRecord(
                account: "bench.clerk.\(offset + 1)", displayName: "基准测试窗口(\(departments[department] ?? department))", passwordHash: "-",
                grants: [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: department))], createdAt: now)
            try await clerk.create(on: app.db)
            clerkTokens[department] = try await identity.issueToken(for: .staff(clerk), actingFor: nil).token
        }
        guard let leadToken = clerkTokens[Self.lead] else { throw ExitCode(1) }
        let memberClerks = members.map { clerkTokens[$0.department] ?? "" }
        let keys = try app.keyRing
        var made: [ApplicantRecord] = []
        for number in 0..<applicantCount {
            let record = try ApplicantRecord(kind: .person, identifier: Self.idNumber(number), name: "基准申请人\(number + 1)", passwordHash: "-", keys: keys, at: now)
            try record.setPhone(String(format: "139%08d", number), keys: keys)
            try await record.create(on: app.db)
            made.append(record)
        }
        let records = made

        app.logger.logLevel = .warning
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        defer { Task { await app.server.shutdown() } }
        guard let port = app.http.server.shared.localAddress?.port else {
            console.error("无法启动基准测试用的服务器。")
            throw ExitCode(1)
        }
        let http = BenchClient(client: app.client, base: "http://127.0.0.1:\(port)/api/v1")

        // The merged guide, as a client reads it: the form to fill and the materials to give.
        let guideResponse = try await http.call(.GET, "/bundles/\(Self.code)", token: nil, expect: .ok)
        let merged = try guideResponse.content.decode(BundleCatalog.GuideView.self)
        let askedPositions = merged.materials.filter { $0.askedOfApplicant && $0.required }.map(\.position)
        let memberFields = members.map(\.guide.form.fields.count).reduce(0, +)
        console.print("merged form: \(merged.form.fields.count) fields for the members' \(memberFields); materials: \(merged.materials.count) merged, \(askedPositions.count) asked of the applicant (the six cases ask \(members.map(\.asked.count).reduce(0, +)))")

        // Each applicant's bodies; the single cases' reused files given once in a draft per item.
        let setupStarted = ContinuousClock.now
        let store = ApplicantStore()
        _ = try await Benchmark.measure(count: applicantCount, concurrency: concurrency) { number in
            let record = records[number]
            let encoder = JSONEncoder()
            let profile = ProfileValue.of(record, keys: keys)
            let token = try await identity.issueToken(for: .applicant(record), actingFor: nil).token
            var drafts: [Data] = []
            var reused: [Data] = []
            for (k, member) in members.enumerated() {
                let form = Self.fill(member.guide.form, profile: profile)
                let draft = try encoder.encode(NewCaseRequest(item: member.code, form: form, submit: false))
                let created = try await http.call(.POST, "/cases", token: token, key: "seed-\(number)-\(k)", body: draft, expect: .created)
                let id = try created.content.decode(IDOnly.self).id
                var references: [MaterialReference] = []
                for position in member.asked {
                    let file = DemoCases.samplePDF("可复用材料 \(member.guide.materials[position - 1].name)", case: number)
                    let given = try await http.call(.PUT, "/cases/\(id)/materials/\(position)", token: token, body: Data(file), pdf: true, expect: .created)
                    references.append(MaterialReference(material: position, reuse: try given.content.decode(FileOnly.self).sha256))
                }
                drafts.append(draft)
                reused.append(try encoder.encode(NewCaseRequest(item: member.code, form: form, materials: references, submit: true)))
            }
            let bundleBody = try encoder.encode(
                NewBundleApplicationRequest(bundle: Self.code, answers: [:], optionalMembers: [], form: Self.fill(merged.form, profile: profile)))
            await store.set(
                number,
                Applicant(
                    id: try record.requireID().uuidString, token: token, bundleBody: bundleBody, draftBodies: drafts, reuseBodies: reused))
        }
        let applicants = try await store.all(applicantCount)
        console.print(String(
            format: "set-up: %d applicants signed in, %d draft cases holding their reusable files, in %.1f s; RSS %.1f MiB",
            applicantCount, applicantCount * members.count, (ContinuousClock.now - setupStarted).seconds, MemoryReading.currentMiB()))

        // The three operations.
        let encoder = JSONEncoder()
        let acceptBundle = try encoder.encode(BundleActionRequest(action: .accept, reason: nil))
        let acceptCase = try encoder.encode(TransitionRequest(action: .accept))
        let submitCase = try encoder.encode(TransitionRequest(action: .submit))
        let recorder = Recorder()
        let bundleOperation: @Sendable (Int, Recorder) async throws -> Void = { index, recorder in
            let applicant = applicants[index % applicants.count]
            let begin = ContinuousClock.now
            let filed = try await http.call(.POST, "/bundle-applications", token: applicant.token, key: "bundle-\(index)", body: applicant.bundleBody, expect: .created)
            let id = try filed.content.decode(IDOnly.self).id
            let filedAt = ContinuousClock.now
            await recorder.add("bundle.file", (filedAt - begin).milliseconds)
            for position in askedPositions {
                let started = ContinuousClock.now
                let file = DemoCases.samplePDF("一件事材料\(position)", case: index)
                _ = try await http.call(.PUT, "/bundle-applications/\(id)/materials/\(position)", token: applicant.token, body: Data(file), pdf: true, expect: .created)
                await recorder.add("bundle.upload", (ContinuousClock.now - started).milliseconds)
            }
            let uploadedAt = ContinuousClock.now
            await recorder.add("bundle.uploads", (uploadedAt - filedAt).milliseconds)
            _ = try await http.call(.POST, "/bundle-applications/\(id)/actions", token: leadToken, body: acceptBundle, expect: .ok)
            let end = ContinuousClock.now
            await recorder.add("bundle.accept", (end - uploadedAt).milliseconds)
            await recorder.add("bundle", (end - begin).milliseconds)
        }
        let reusedOperation: @Sendable (Int, Recorder) async throws -> Void = { index, recorder in
            let applicant = applicants[index % applicants.count]
            let begin = ContinuousClock.now
            for k in members.indices {
                let started = ContinuousClock.now
                let created = try await http.call(.POST, "/cases", token: applicant.token, key: "reused-\(index)-\(k)", body: applicant.reuseBodies[k], expect: .created)
                let id = try created.content.decode(IDOnly.self).id
                let submitted = ContinuousClock.now
                await recorder.add("reused.submit", (submitted - started).milliseconds)
                _ = try await http.call(.POST, "/cases/\(id)/transitions", token: memberClerks[k], body: acceptCase, expect: .ok)
                await recorder.add("reused.accept", (ContinuousClock.now - submitted).milliseconds)
            }
            await recorder.add("reused", (ContinuousClock.now - begin).milliseconds)
        }
        let uploadedOperation: @Sendable (Int, Recorder) async throws -> Void = { index, recorder in
            let applicant = applicants[index % applicants.count]
            let begin = ContinuousClock.now
            for (k, member) in members.enumerated() {
                var started = ContinuousClock.now
                let created = try await http.call(.POST, "/cases", token: applicant.token, key: "uploaded-\(index)-\(k)", body: applicant.draftBodies[k], expect: .created)
                let id = try created.content.decode(IDOnly.self).id
                await recorder.add("uploaded.draft", (ContinuousClock.now - started).milliseconds)
                for position in member.asked {
                    started = ContinuousClock.now
                    let file = DemoCases.samplePDF("单件材料 \(member.guide.materials[position - 1].name)", case: index)
                    _ = try await http.call(.PUT, "/cases/\(id)/materials/\(position)", token: applicant.token, body: Data(file), pdf: true, expect: .created)
                    await recorder.add("uploaded.upload", (ContinuousClock.now - started).milliseconds)
                }
                started = ContinuousClock.now
                _ = try await http.call(.POST, "/cases/\(id)/transitions", token: applicant.token, body: submitCase, expect: .ok)
                let submitted = ContinuousClock.now
                await recorder.add("uploaded.submit", (submitted - started).milliseconds)
                _ = try await http.call(.POST, "/cases/\(id)/transitions", token: memberClerks[k], body: acceptCase, expect: .ok)
                await recorder.add("uploaded.accept", (ContinuousClock.now - submitted).milliseconds)
            }
            await recorder.add("uploaded", (ContinuousClock.now - begin).milliseconds)
        }
        let operations: [(key: String, run: @Sendable (Int, Recorder) async throws -> Void)] = [
            ("bundle", bundleOperation), ("reused", reusedOperation), ("uploaded", uploadedOperation),
        ]

        let singlesBefore = try await Self.singleCases(sql, applicants: applicants.map(\.id))
        var seconds: [String: Double] = [:]
        do {
            // Warm-up: one of each per client (connections, caches), measured apart and not reported.
            let warmup = Recorder()
            for operation in operations {
                _ = try await Benchmark.measure(count: concurrency, concurrency: concurrency) { try await operation.run(count + $0, warmup) }
            }
            let half = count / 2
            for (operation, range) in operations.map({ ($0, 0..<half) }) + operations.reversed().map({ ($0, half..<count) }) {
                let summary = try await Benchmark.measure(count: range.count, concurrency: concurrency) { try await operation.run(range.lowerBound + $0, recorder) }
                seconds[operation.key, default: 0] += summary.seconds
                console.print(String(format: "  %@ %d..<%d: %.1f s", operation.key, range.lowerBound, range.upperBound, summary.seconds))
            }
        } catch {
            console.error("基准测试中止：\(error)")
            throw ExitCode(1)
        }
        let peak = MemoryReading.peakMiB()
        let current = MemoryReading.currentMiB()

        // One more of each, alone, with the SQL statements counted request by request.
        let counted: [String]
        do {
            counted = try await countStatements(
                statements, http: http, applicant: applicants[0], index: count + concurrency, askedPositions: askedPositions, members: members,
                leadToken: leadToken, memberClerks: memberClerks, acceptBundle: acceptBundle, acceptCase: acceptCase, submitCase: submitCase)
        } catch {
            console.error("基准测试中止：\(error)")
            throw ExitCode(1)
        }

        // Every row checked before any figure is printed.
        let operationsRun = count + concurrency + 1
        let verified = try await verify(app, sql: sql, expected: operationsRun, members: members, applicants: applicants.map(\.id), singlesBefore: singlesBefore, console: console)
        guard verified else {
            console.error("校验未通过：数据库中的记录与成功的请求不符，不报告任何数字。")
            throw ExitCode(1)
        }

        // The figures.
        console.print("")
        console.print("Figures (\(count) operations of each kind, \(concurrency) clients, \(applicantCount) applicants, \(engine) \(engineVersion)):")
        let tasks = members.count
        func summary(_ key: String, seconds: Double) async -> LatencySummary { LatencySummary(samples: await recorder.samples(key), seconds: seconds) }
        let rows: [(String, String, String)] = [
            ("bundle", "一件事: file + \(askedPositions.count) uploads + accept", "\(askedPositions.count + 2)"),
            ("reused", "six cases, files reused: 6 × (submit + accept)", "\(2 * tasks)"),
            ("uploaded", "six cases, files uploaded: 6 × (draft + uploads + submit + accept)", "\(3 * tasks + members.map(\.asked.count).reduce(0, +))"),
        ]
        console.print("| operation (each: 6 member tasks accepted) | requests | operations/s | member tasks/s | p50 | p99 | max |")
        console.print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for (key, label, requests) in rows {
            let s = await summary(key, seconds: seconds[key] ?? 0)
            console.print(String(format: "| %@ | %@ | %.1f | %.1f | %.1f ms | %.1f ms | %.1f ms |", label, requests, s.throughput, s.throughput * Double(tasks), s.p50, s.p99, s.max))
        }
        console.print("")
        console.print("| request (within the operations above) | n | p50 | p99 | max |")
        console.print("| --- | ---: | ---: | ---: | ---: |")
        let parts: [(String, String, String)] = [
            ("bundle.accept", "一件事 accept (fans out 6 tasks)", "bundle"), ("bundle.file", "一件事 file (merged form, 6 draft tasks)", "bundle"),
            ("bundle.upload", "一件事 upload, one material", "bundle"), ("bundle.uploads", "一件事 uploads, all of one application", "bundle"),
            ("reused.submit", "single case submit, files reused", "reused"), ("reused.accept", "single case accept (files reused)", "reused"),
            ("uploaded.draft", "single case draft", "uploaded"), ("uploaded.upload", "single case upload, one material", "uploaded"),
            ("uploaded.submit", "single case submit (files uploaded)", "uploaded"), ("uploaded.accept", "single case accept (files uploaded)", "uploaded"),
        ]
        for (key, label, phase) in parts {
            let s = await summary(key, seconds: seconds[phase] ?? 0)
            console.print(String(format: "| %@ | %d | %.1f ms | %.1f ms | %.1f ms |", label, s.count, s.p50, s.p99, s.max))
        }
        console.print("")
        console.print(String(format: "memory: peak RSS %.1f MiB, current RSS %.1f MiB after the measured operations (server and clients in one process; SQLite too, PostgreSQL not)", peak, current))
        console.print("SQL statements per request, one operation alone, as the drivers log them:")
        for line in counted { console.print("  " + line) }
    }

    // MARK: Helpers

    /// The form a client sends: every visible field answered as `DemoCases.sampleForm` would, the
    /// pre-filled ones from the applicant's profile; fields hidden by their condition left out.
    static func fill(_ schema: FormSchema, profile: [PrefillSource: ProfileValue]) -> [String: JSONValue] {
        var values = DemoCases.sampleForm(schema, profile: profile, partial: false)
        for field in schema.fields {
            if let condition = field.visibleWhen, values[condition.field] != .string(condition.equals) { values[field.key] = nil }
        }
        return values
    }

    /// A valid 公民身份号码 for the n-th bench applicant (born in 1985 in 南明区; never a demo one).
    static func idNumber(_ number: Int) -> String {
        let first17 = "520102" + String(format: "1985%02d%02d%03d", 1 + (number / 28_000) % 12, 1 + (number / 1_000) % 28, number % 1_000)
        return first17 + String(ResidentIDNumber.checkCharacter(forFirst17: Array(first17)) ?? "0")
    }

    static func engineVersion(_ sql: any SQLDatabase) async throws -> String {
        if sql.dialect.name == "sqlite" {
            return "sqlite " + (try await sql.raw("SELECT sqlite_version() AS v").first()?.decode(column: "v", as: String.self) ?? "?")
        }
        return "server " + (try await sql.raw("SHOW server_version").first()?.decode(column: "server_version", as: String.self) ?? "?")
    }

    /// Single cases (not a bundle's tasks) of the bench applicants, by item and state.
    static func singleCases(_ sql: any SQLDatabase, applicants: [String]) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for chunk in stride(from: 0, to: applicants.count, by: 500).map({ Array(applicants[$0..<min($0 + 500, applicants.count)]) }) {
            let rows = try await sql.select().column("item_code").column("state").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from(CaseRecord.schema).where("bundle_application_id", .is, SQLLiteral.null).where("applicant_id", .in, chunk)
                .groupBy("item_code").groupBy("state").all()
            for row in rows {
                let key = try row.decode(column: "item_code", as: String.self) + "/" + row.decode(column: "state", as: String.self)
                counts[key, default: 0] += try row.decode(column: "n", as: Int.self)
            }
        }
        return counts
    }

    /// Checks the rows: every bench application accepted with six running tasks (their six cases
    /// accepted), every single case of the two six-case operations accepted.
    func verify(
        _ app: Application, sql: any SQLDatabase, expected: Int, members: [Member], applicants: [String], singlesBefore: [String: Int], console: any Console
    ) async throws -> Bool {
        var ok = true
        let records = try await BundleApplicationRecord.query(on: app.db).filter(\.$bundleCode == Self.code).all()
        let accepted = records.filter { $0.state == .accepted }.count
        var sixRunning = 0
        for record in records {
            guard let progress = try record.progress else { continue }
            if progress.tasks.count == members.count, progress.tasks.allSatisfy({ $0.status == .running }) { sixRunning += 1 }
        }
        let taskRows = try await sql.raw("""
            SELECT COUNT(*) AS n FROM cases c JOIN bundle_applications b ON b.id = c.bundle_application_id
            WHERE b.bundle_code = \(bind: Self.code) AND c.state = 'accepted'
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        let withSix = try await sql.raw("""
            SELECT COUNT(*) AS n FROM (SELECT c.bundle_application_id FROM cases c JOIN bundle_applications b ON b.id = c.bundle_application_id
            WHERE b.bundle_code = \(bind: Self.code) AND b.state = 'accepted' AND c.state = 'accepted'
            GROUP BY c.bundle_application_id HAVING COUNT(*) = \(bind: members.count)) t
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        console.print("check: \(records.count) bench applications (expected \(expected)), \(accepted) accepted, \(sixRunning) with \(members.count) running tasks; "
            + "\(withSix) with \(members.count) accepted task cases; \(taskRows) task cases accepted (expected \(expected * members.count))")
        if records.count != expected || accepted != expected || sixRunning != expected || withSix != expected || taskRows != expected * members.count { ok = false }

        // Each item: the two six-case operations (measured, warm-up and counted; the counted run
        // files one case of each kind, of the first item only) accepted; the set-up's drafts untouched.
        let after = try await Self.singleCases(sql, applicants: applicants)
        var line: [String] = []
        for member in members {
            let acceptedDelta = (after[member.code + "/accepted"] ?? 0) - (singlesBefore[member.code + "/accepted"] ?? 0)
            let want = 2 * (expected - 1) + (member.code == members[0].code ? 2 : 0)
            line.append("\(member.name) \(acceptedDelta)/\(want)")
            if acceptedDelta != want { ok = false }
        }
        let otherStates = after.filter { !$0.key.hasSuffix("/accepted") && !$0.key.hasSuffix("/draft") }
        if !otherStates.isEmpty {
            ok = false
            line.append("unexpected states: " + otherStates.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", "))
        }
        console.print("check: single cases accepted per item (got/expected): " + line.joined(separator: "; "))
        return ok
    }

    /// One bundle operation, and one case of the first item each way (files reused, files
    /// uploaded), each request alone, with the statements the server's database runs for it
    /// counted from the drivers' query log (logged at trace level; the counter lowers every
    /// logger's level to trace only while it counts).
    func countStatements(
        _ counter: StatementCounter, http: BenchClient, applicant: Applicant, index: Int, askedPositions: [Int], members: [Member], leadToken: String,
        memberClerks: [String], acceptBundle: Data, acceptCase: Data, submitCase: Data
    ) async throws -> [String] {
        counter.counting(true)
        defer { counter.counting(false) }
        _ = counter.take()
        var lines: [String] = []
        let filed = try await http.call(.POST, "/bundle-applications", token: applicant.token, key: "bundle-\(index)", body: applicant.bundleBody, expect: .created)
        lines.append("一件事 file: " + counter.take().line)
        let id = try filed.content.decode(IDOnly.self).id
        var uploads = StatementCounter.Tally()
        for position in askedPositions {
            _ = try await http.call(.PUT, "/bundle-applications/\(id)/materials/\(position)", token: applicant.token,
                body: Data(DemoCases.samplePDF("一件事材料\(position)", case: index)), pdf: true, expect: .created)
            uploads.merge(counter.take())
        }
        lines.append("一件事 \(askedPositions.count) uploads together: " + uploads.line)
        _ = try await http.call(.POST, "/bundle-applications/\(id)/actions", token: leadToken, body: acceptBundle, expect: .ok)
        let accept = counter.take()
        lines.append("一件事 accept: " + accept.line)
        lines.append("  written by the accept, by table: " + accept.writesByTable)
        let created = try await http.call(.POST, "/cases", token: applicant.token, key: "reused-\(index)-0", body: applicant.reuseBodies[0], expect: .created)
        lines.append("single case submit (files reused, \(members[0].name)): " + counter.take().line)
        let caseID = try created.content.decode(IDOnly.self).id
        _ = try await http.call(.POST, "/cases/\(caseID)/transitions", token: memberClerks[0], body: acceptCase, expect: .ok)
        let single = counter.take()
        lines.append("single case accept: " + single.line)
        lines.append("  written by the accept, by table: " + single.writesByTable)
        let draft = try await http.call(.POST, "/cases", token: applicant.token, key: "uploaded-\(index)-0", body: applicant.draftBodies[0], expect: .created)
        lines.append("single case draft (\(members[0].name)): " + counter.take().line)
        let draftID = try draft.content.decode(IDOnly.self).id
        var caseUploads = StatementCounter.Tally()
        for position in members[0].asked {
            _ = try await http.call(.PUT, "/cases/\(draftID)/materials/\(position)", token: applicant.token,
                body: Data(DemoCases.samplePDF("单件材料 \(members[0].guide.materials[position - 1].name)", case: index)), pdf: true, expect: .created)
            caseUploads.merge(counter.take())
        }
        lines.append("single case \(members[0].asked.count) uploads together: " + caseUploads.line)
        _ = try await http.call(.POST, "/cases/\(draftID)/transitions", token: applicant.token, body: submitCase, expect: .ok)
        lines.append("single case submit (files uploaded): " + counter.take().line)
        _ = try await http.call(.POST, "/cases/\(draftID)/transitions", token: memberClerks[0], body: acceptCase, expect: .ok)
        lines.append("single case accept (files uploaded): " + counter.take().line)
        return lines
    }
}

extension BundleBenchCommand {
    /// HTTP calls of the bench's clients: anything but the status expected aborts with the body.
    struct BenchClient: Sendable {
        let client: any Client
        let base: String

        @discardableResult
        func call(
            _ method: HTTPMethod, _ path: String, token: String?, key: String? = nil, body: Data? = nil, pdf: Bool = false, expect: HTTPStatus
        ) async throws -> ClientResponse {
            var headers = HTTPHeaders()
            if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
            if body != nil { headers.contentType = pdf ? HTTPMediaType(type: "application", subType: "pdf") : .json }
            if let key { headers.add(name: "Idempotency-Key", value: key) }
            let response = try await client.send(method, headers: headers, to: URI(string: base + path)) { request in
                if let body { request.body = ByteBuffer(data: body) }
            }
            guard response.status == expect else {
                throw Abort(
                    .internalServerError,
                    reason: "\(method.rawValue) \(path): expected \(expect.code), got \(response.status.code): \(response.body.map { String(buffer: $0) } ?? "")")
            }
            return response
        }
    }

    /// Latencies by name, gathered from concurrent clients.
    actor Recorder {
        private var values: [String: [Double]] = [:]
        func add(_ key: String, _ milliseconds: Double) { values[key, default: []].append(milliseconds) }
        func samples(_ key: String) -> [Double] { values[key] ?? [] }
    }

    /// The applicants made by the set-up's concurrent workers.
    actor ApplicantStore {
        private var applicants: [Int: Applicant] = [:]
        func set(_ number: Int, _ applicant: Applicant) { applicants[number] = applicant }
        func all(_ count: Int) throws -> [Applicant] {
            try (0..<count).map { number in
                guard let applicant = applicants[number] else { throw Abort(.internalServerError, reason: "applicant \(number) was not set up") }
                return applicant
            }
        }
    }

    /// Counts the statements the SQL drivers log ("Executing query" with the SQL in the metadata).
    final class StatementCounter: Sendable {
        struct Tally: Sendable {
            var verbs: [String: Int] = [:]
            var writes: [String: Int] = [:]

            mutating func merge(_ other: Tally) {
                verbs.merge(other.verbs, uniquingKeysWith: +)
                writes.merge(other.writes, uniquingKeysWith: +)
            }

            var total: Int { verbs.values.reduce(0, +) }

            var line: String {
                "\(total) statements (" + verbs.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
            }

            var writesByTable: String {
                writes.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
        }

        private let tally = NIOLockedValueBox(Tally())
        private let on = NIOLockedValueBox(false)

        var isCounting: Bool { on.withLockedValue { $0 } }
        func counting(_ value: Bool) { on.withLockedValue { $0 = value } }

        func add(_ sql: String) {
            let words = sql.split(whereSeparator: { $0.isWhitespace }).map { String($0) }
            guard let first = words.first else { return }
            let verb = first.uppercased()
            func after(_ word: String) -> String? {
                guard let index = words.firstIndex(where: { $0.uppercased() == word }), index + 1 < words.count else { return nil }
                return words[index + 1].trimmingCharacters(in: CharacterSet(charactersIn: "\"`'()"))
            }
            let table: String? =
                switch verb {
                case "INSERT": after("INTO")
                case "UPDATE": words.count > 1 ? words[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"`'")) : nil
                case "DELETE": after("FROM")
                default: nil
                }
            tally.withLockedValue { tally in
                tally.verbs[verb, default: 0] += 1
                if let table { tally.writes[verb + " " + table, default: 0] += 1 }
            }
        }

        func take() -> Tally {
            tally.withLockedValue { tally in
                defer { tally = Tally() }
                return tally
            }
        }
    }

    /// The application's logger with statement counting beside it: while the counter counts, its
    /// level is trace (the drivers log each statement there) and the statements are tallied;
    /// otherwise it is the logger it wraps, at that logger's level.
    struct CountingLogHandler: LogHandler {
        var inner: Logger
        let counter: StatementCounter

        var metadata: Logger.Metadata {
            get { inner.handler.metadata }
            set { inner.handler.metadata = newValue }
        }

        var logLevel: Logger.Level {
            get { counter.isCounting ? .trace : inner.logLevel }
            set { inner.logLevel = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { inner[metadataKey: key] }
            set { inner[metadataKey: key] = newValue }
        }

        func log(event: LogEvent) {
            if counter.isCounting, event.message.description == "Executing query", case .string(let sql)? = event.metadata?["sql"] {
                counter.add(sql)
            }
            inner.log(level: event.level, event.message, metadata: event.metadata, source: event.source, file: event.file, function: event.function, line: event.line)
        }
    }
}
