import ConsoleKit
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// `yiwang bench-statistics [--cases N] [--reviews M] [--days D]`: the data behind the statistics
/// benchmark of issue 12 (`GET /api/v1/statistics` with p99 ≤ 50 ms at a city's scale). On an
/// empty database it seeds the demo city, then generates in SQL, in one transaction:
/// - N cases over the city's published items and the D days ending today, filed online (web, API,
///   kiosk) or at a window, with the timelines the lifecycle writes (submit from draft, accept or
///   refuse, review, approve or deny, deliver, close; some withdrawn), each step on its own day,
///   deadlines from the working calendar and each item's promised limit, some decided late;
/// - M reviews of those cases (一事一评, one stage each) with the usual skew towards 非常满意,
///   through every channel a case's applicant rates by, a reason from the national list for each
///   bad one;
/// - the rectification of every bad review, in every state (some appealed, some upheld, some
///   late or still overdue), with its timeline.
/// Open cases and rectifications carry the deadline alert the watch would have raised, so a
/// server started on the data writes nothing of its own. The summary tables are then filled from
/// the records with the real recount (as `yiwang statistics rebuild --repair` does), and a second
/// recount must find nothing to change. scripts/bench_http.py serves the data and measures.
struct StatisticsBenchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "cases", help: "Cases to generate (default 1000000)") var cases: Int?
        @Option(name: "reviews", help: "Reviews of those cases (default 100000)") var reviews: Int?
        @Option(name: "days", help: "Days the cases are spread over, ending today (default 365)") var days: Int?
    }

    var help: String { "Generates cases, reviews and rectifications at a city's scale for the statistics benchmark, and fills the summaries by recount." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let console = context.console
        let caseCount = max(100, min(signature.cases ?? 1_000_000, 5_000_000))
        let reviewCount = max(0, min(signature.reviews ?? 100_000, caseCount))
        let days = max(1, min(signature.days ?? 365, 3_650))
        let engine = try await Benchmark.prepare(app, console: console)
        console.print("Yiwang statistics data — \(engine), \(caseCount) cases and \(reviewCount) reviews over \(days) days")
        Benchmark.printMachine(console)
        app.logger.logLevel = .warning

        var started = ContinuousClock.now
        try await DemoCity.seed(app)
        console.print(String(format: "demo city seeded in %.1f s", (ContinuousClock.now - started).seconds))

        started = ContinuousClock.now
        let dataset = try await StatisticsDataset.make(app, cases: caseCount, reviews: reviewCount, days: days)
        let made = try await dataset.generate(on: app.db)
        let generated = (ContinuousClock.now - started).seconds
        console.print(String(format: "generated in %.1f s: %d cases, %d timeline steps, %d reviews, %d rectifications (%d steps)", generated,
            made.cases, made.events, made.reviews, made.rectifications, made.rectificationEvents))
        started = ContinuousClock.now
        try await dataset.settle(on: app.db)
        console.print(String(format: "checkpoint and planner statistics: %.1f s", (ContinuousClock.now - started).seconds))

        // The summaries from the records, exactly as `yiwang statistics rebuild --repair` writes them.
        started = ContinuousClock.now
        let (differences, recount) = try await StatisticsRecount.compare(on: app.db)
        let recounted = (ContinuousClock.now - started).seconds
        console.print(String(format: "recount: %.1f s, %d daily rows, %d differences from the summary tables (the generated records are not in them yet)",
            recounted, recount.days.count, differences.count))
        started = ContinuousClock.now
        var named: [TallyKey: Tally] = [:]
        for (key, tally) in recount.days {
            var key = key
            key.itemName = recount.names[key.itemCode] ?? ""
            named[key] = tally
        }
        try await StatisticsLedger.replace(with: named, on: app.db)
        console.print(String(format: "summary tables written from the recount: %.1f s", (ContinuousClock.now - started).seconds))
        try await dataset.analyzeSummaries(on: app.db)

        // What the deadline watch does at a server's first start (the demo city leaves a few of
        // its own cases and rectifications for it; the generated ones carry their alerts already),
        // done now so a server started on the data writes nothing while it is measured. Its
        // approvals on timeout move the summaries by the live path, which the recount must match.
        started = ContinuousClock.now
        let watched = try await DeadlineWatch(app: app).runOnce()
        console.print(String(
            format: "deadline watch: %.1f s (warned %d, overdue %d, approved on timeout %d; rectifications warned %d, overdue %d)",
            (ContinuousClock.now - started).seconds, watched.warned, watched.overdue, watched.approvedOnTimeout, watched.rectificationsWarned,
            watched.rectificationsOverdue))

        started = ContinuousClock.now
        let (left, _) = try await StatisticsRecount.compare(on: app.db)
        console.print(String(format: "second recount: %.1f s, %d differences", (ContinuousClock.now - started).seconds, left.count))
        for difference in left.prefix(20) {
            console.error("  \(difference.table) \(difference.key.day) \(difference.key.itemCode) \(difference.key.channel) \(difference.counter.column): stored \(difference.stored), recounted \(difference.recounted)")
        }

        let sql = try app.db.sql()
        var sizes: [String] = []
        for table in ["cases", "case_events", "reviews", "rectifications", "rectification_events"] + StatisticsLedger.tables {
            let count = try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first(decodingColumn: "n", as: Int.self) ?? 0
            sizes.append("\(table) \(count)")
        }
        console.print("rows: " + sizes.joined(separator: ", "))
        console.print(String(format: "memory: peak RSS %.1f MiB", MemoryReading.peakMiB()))
        guard left.isEmpty else {
            console.error("the second recount found differences: the summaries do not match the records")
            throw ExitCode(1)
        }
    }
}

/// The generated data set: helper tables built from the catalog and the working calendar, a plan
/// of every case computed in SQL from its number (a fixed hash, so two runs make the same city),
/// and inserts from that plan.
struct StatisticsDataset {
    let cases: Int
    let reviews: Int
    let days: Int
    let today: LocalDate
    /// Deadlines on or before this day are within the warning days (yellow), as the watch sees them.
    let cutoff: LocalDate
    let postgres: Bool
    let items: [Item]
    let dayRows: [DayRow]
    let deadlineRows: [DeadlineRow]
    let onlineSet: QuestionSet
    let hallSet: QuestionSet
    let rectificationDays: Int

    struct Item {
        var code: String
        var name: String
        var version: UUID
        var department: String
        var region: String
        var online: Bool
        var immediate: Bool
        var limit: Int
    }

    struct DayRow {
        var day: LocalDate
        var rectificationDeadline: LocalDate
    }

    struct DeadlineRow {
        var limit: Int
        var accepted: LocalDate
        var deadline: LocalDate
    }

    struct Counts {
        var cases = 0
        var events = 0
        var reviews = 0
        var rectifications = 0
        var rectificationEvents = 0
    }

    /// Ids of generated rows: a fixed first group per kind of row, the row's number at the end.
    enum Tag {
        static let cases = "5CA5E000"
        static let reviews = "5EB1E000"
        static let rectifications = "5EC71000"
        static func event(_ step: Int) -> String { String(format: "5E7E00%02X", step) }
        static func rectificationEvent(_ step: Int) -> String { String(format: "5EC7E0%02X", step) }
    }

    static func make(_ app: Application, cases: Int, reviews: Int, days: Int) async throws -> StatisticsDataset {
        let db = app.db
        let now = app.timeSource.now()
        let today = LocalDate(now)
        let calendar = try await app.calendarStore.calendar(on: db, now: now)
        let cutoff = DeadlineClock.warningCutoff(today: today, warnWithin: app.settings.deadlineWarningDays, calendar: calendar)
        var items: [Item] = []
        for record in try await ItemRecord.query(on: db).filter(\.$publishedVersionID != nil).sort(\.$implementationCode).all() {
            guard let version = record.publishedVersionID else { continue }
            let guide = try await CaseService.guide(version: version, on: db)
            let immediate = guide.processing == .immediate || guide.promisedLimit <= 0
            items.append(
                Item(
                    code: record.implementationCode, name: record.name, version: version, department: record.departmentCode, region: record.regionCode,
                    online: guide.canApplyOnline, immediate: immediate, limit: immediate ? 0 : guide.promisedLimit))
        }
        guard !items.isEmpty else { throw CommandError("演示城市没有已发布的事项，无法生成办件。") }
        // Every day a step can fall on; deadlines for each promised limit from each acceptance day.
        let first = today.dayNumber - days - 3
        var dayRows: [DayRow] = []
        var deadlineRows: [DeadlineRow] = []
        let limits = Set(items.filter { !$0.immediate }.map(\.limit)).sorted()
        for number in first...today.dayNumber {
            let day = LocalDate(dayNumber: number)
            dayRows.append(
                DayRow(
                    day: day,
                    rectificationDeadline: try RectificationLifecycle.deadline(reviewedOn: day, workingDays: app.settings.rectificationWorkingDays, calendar: calendar)))
            for limit in limits { deadlineRows.append(DeadlineRow(limit: limit, accepted: day, deadline: try calendar.deadline(limit, after: day).date)) }
        }
        guard let onlineSet = app.questionSets.last(where: { $0.service == .online }), let hallSet = app.questionSets.last(where: { $0.service == .inHall }) else {
            throw CommandError("评价问卷未配置(Resources/Seed/review-questions.json)。")
        }
        let postgres: Bool
        if case .postgres = app.settings.database { postgres = true } else { postgres = false }
        return StatisticsDataset(
            cases: cases, reviews: reviews, days: days, today: today, cutoff: cutoff, postgres: postgres, items: items, dayRows: dayRows,
            deadlineRows: deadlineRows, onlineSet: onlineSet, hallSet: hallSet, rectificationDays: app.settings.rectificationWorkingDays)
    }

    // MARK: SQL of each engine

    /// The uuid `TAG-0000-4000-8000-<number in hex>`, as the column stores a UUID (SQLite: the
    /// upper-case text Fluent writes; PostgreSQL: uuid).
    func uuid(_ tag: String, _ number: String) -> String {
        postgres ? "CAST(\(uuidText(tag, number)) AS uuid)" : uuidText(tag, number)
    }

    /// The same uuid as `UUID.uuidString` spells it (upper case), for keys made of it.
    func uuidText(_ tag: String, _ number: String) -> String {
        postgres ? "upper('\(tag)-0000-4000-8000-' || lpad(to_hex(\(number)), 12, '0'))" : "printf('\(tag)-0000-4000-8000-%012X', \(number))"
    }

    /// The instant `seconds` after midnight, China time, of the day with this number.
    func instant(_ day: String, _ seconds: String) -> String {
        postgres ? "to_timestamp((\(day)) * 86400 - 28800 + (\(seconds)))" : "(CAST((\(day)) AS REAL) * 86400.0 - 28800.0 + (\(seconds)))"
    }

    func text(_ number: String) -> String { "CAST(\(number) AS TEXT)" }

    var uuidType: String { postgres ? "uuid" : "TEXT" }

    /// The numbers 0..<count as `seq(i)`, opening a WITH clause.
    func sequence(_ count: Int) -> String {
        postgres
            ? "WITH seq(i) AS (SELECT generate_series(CAST(0 AS BIGINT), CAST(\(count - 1) AS BIGINT)))"
            : "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < \(count))"
    }

    /// A pseudo-random number in 0..<65536 from a row's number (multiplicative hashing; each
    /// salt its own multiplier, so the choices of one row are independent enough).
    func hash(_ number: String, _ salt: Int) -> String {
        let multipliers: [Int64] = [
            2_654_435_761, 2_246_822_519, 3_266_489_917, 3_141_592_653, 2_718_281_829, 1_597_334_677, 3_812_015_801, 2_127_912_213,
            4_021_247_737, 2_909_305_031, 3_575_653_591, 2_860_486_313, 1_935_289_751, 3_367_900_313,
        ]
        let multiplier = multipliers[salt % multipliers.count]
        return "((((\(number)) + \(salt * 7_919)) * \(multiplier)) % 4294967296 / 65536)"
    }

    var todayNumber: Int { today.dayNumber }

    // MARK: Generating

    func generate(on db: any Database) async throws -> Counts {
        let dataset = self
        return try await db.transaction { tx in
            var counts = Counts()
            let sql = try tx.sql()
            if !dataset.postgres {
                // A million rows into a table with eight indexes: keep the index pages in memory.
                try await sql.raw("PRAGMA cache_size = -1048576").run()
            }
            try await dataset.helperTables(sql)
            try await dataset.planCases(sql)
            counts.cases = try await dataset.insertCases(sql)
            counts.events = try await dataset.insertCaseEvents(sql)
            try await dataset.planReviews(sql)
            counts.reviews = try await dataset.insertReviews(sql)
            try await dataset.planRectifications(sql)
            (counts.rectifications, counts.rectificationEvents) = try await dataset.insertRectifications(sql)
            for table in ["bench_rectification_plan", "bench_review_plan", "bench_plan", "bench_reasons", "bench_answers", "bench_deadlines", "bench_days", "bench_items"] {
                try await sql.raw("DROP TABLE \(unsafeRaw: table)").run()
            }
            return counts
        }
    }

    /// After the load, what the engine would have done by itself before anyone reads: SQLite
    /// moves the write-ahead log into the database; both gather planner statistics.
    func settle(on db: any Database) async throws {
        let sql = try db.sql()
        if postgres {
            for table in ["cases", "case_events", "reviews", "rectifications", "rectification_events"] {
                try await sql.raw("VACUUM ANALYZE \(unsafeRaw: table)").run()
            }
        } else {
            try await sql.raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
            try await sql.raw("ANALYZE").run()
        }
    }

    func analyzeSummaries(on db: any Database) async throws {
        let sql = try db.sql()
        if postgres {
            for table in StatisticsLedger.tables { try await sql.raw("VACUUM ANALYZE \(unsafeRaw: table)").run() }
        } else {
            try await sql.raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
            try await sql.raw("ANALYZE").run()
        }
    }

    private func helperTables(_ sql: any SQLDatabase) async throws {
        try await sql.raw("""
            CREATE TABLE bench_items (n INTEGER PRIMARY KEY, code TEXT NOT NULL, name TEXT NOT NULL, version_id \(unsafeRaw: uuidType) NOT NULL,
                department_code TEXT NOT NULL, region_code TEXT NOT NULL, online INTEGER NOT NULL, immediate INTEGER NOT NULL, lim INTEGER NOT NULL)
            """).run()
        for (offset, item) in items.enumerated() {
            try await sql.insert(into: "bench_items").columns("n", "code", "name", "version_id", "department_code", "region_code", "online", "immediate", "lim")
                .values(
                    SQLBind(offset), SQLBind(item.code), SQLBind(item.name), SQLBind(item.version), SQLBind(item.department), SQLBind(item.region),
                    SQLBind(item.online ? 1 : 0), SQLBind(item.immediate ? 1 : 0), SQLBind(item.limit)
                ).run()
        }
        try await sql.raw("CREATE TABLE bench_days (dn INTEGER PRIMARY KEY, day TEXT NOT NULL, rect_deadline TEXT NOT NULL, rect_deadline_dn INTEGER NOT NULL)").run()
        for chunk in stride(from: 0, to: dayRows.count, by: 200) {
            let insert = sql.insert(into: "bench_days").columns("dn", "day", "rect_deadline", "rect_deadline_dn")
            for row in dayRows[chunk..<min(chunk + 200, dayRows.count)] {
                insert.values(
                    SQLBind(row.day.dayNumber), SQLBind(row.day.description), SQLBind(row.rectificationDeadline.description),
                    SQLBind(row.rectificationDeadline.dayNumber))
            }
            try await insert.run()
        }
        try await sql.raw("CREATE TABLE bench_deadlines (lim INTEGER NOT NULL, dn INTEGER NOT NULL, deadline TEXT NOT NULL, deadline_dn INTEGER NOT NULL, PRIMARY KEY (lim, dn))").run()
        for chunk in stride(from: 0, to: deadlineRows.count, by: 200) {
            let insert = sql.insert(into: "bench_deadlines").columns("lim", "dn", "deadline", "deadline_dn")
            for row in deadlineRows[chunk..<min(chunk + 200, deadlineRows.count)] {
                insert.values(SQLBind(row.limit), SQLBind(row.accepted.dayNumber), SQLBind(row.deadline.description), SQLBind(row.deadline.dayNumber))
            }
            try await insert.run()
        }
        // Answers and reasons as the live path stores them (sorted keys): every question takes the
        // overall level; a bad review names one reason of its set.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try await sql.raw("CREATE TABLE bench_answers (service TEXT NOT NULL, level INTEGER NOT NULL, answers TEXT NOT NULL, PRIMARY KEY (service, level))").run()
        try await sql.raw("CREATE TABLE bench_reasons (service TEXT NOT NULL, idx INTEGER NOT NULL, reasons TEXT NOT NULL, PRIMARY KEY (service, idx))").run()
        for set in [onlineSet, hallSet] {
            for level in ReviewLevel.allCases {
                let answers = Dictionary(uniqueKeysWithValues: set.questions.map { ($0.code, level.rawValue) })
                try await sql.insert(into: "bench_answers").columns("service", "level", "answers")
                    .values(SQLBind(set.service.rawValue), SQLBind(level.rawValue), SQLBind(String(decoding: try encoder.encode(answers), as: UTF8.self))).run()
            }
            for (index, reason) in set.badReasons.enumerated() {
                try await sql.insert(into: "bench_reasons").columns("service", "idx", "reasons")
                    .values(SQLBind(set.service.rawValue), SQLBind(index), SQLBind(String(decoding: try encoder.encode([reason]), as: UTF8.self))).run()
            }
            try await sql.raw("""
                INSERT INTO review_question_sets (version, service, content, created_at) VALUES (\(bind: set.version), \(bind: set.service.rawValue),
                \(bind: String(decoding: try encoder.encode(set), as: UTF8.self)), \(bind: Date())) ON CONFLICT (version) DO NOTHING
                """).run()
        }
    }

    /// One row per case: its item, channel, fate (withdrawn, refused, denied, approved) and the day
    /// of each step; the state it has reached by today follows from those days.
    private func planCases(_ sql: any SQLDatabase) async throws {
        let t = todayNumber
        let h = { (salt: Int) in hash("i", salt) }
        try await sql.raw("""
            CREATE TABLE bench_plan AS
            \(unsafeRaw: sequence(cases)),
            a AS (SELECT i, \(unsafeRaw: h(1)) % 10000 AS u, \(unsafeRaw: h(2)) % 100 AS chroll, \(unsafeRaw: h(3)) % \(unsafeRaw: "\(days)") AS age,
                \(unsafeRaw: h(4)) % 1000 AS outcome, \(unsafeRaw: h(5)) % 3 AS accdelay, \(unsafeRaw: h(6)) % 100 AS lateroll, \(unsafeRaw: h(7)) AS decroll,
                \(unsafeRaw: h(8)) % 2 AS revdelay, \(unsafeRaw: h(9)) % 4 AS deldelay, \(unsafeRaw: h(10)) % 2 AS clodelay,
                \(unsafeRaw: h(11)) % 14400 AS subsecs, \(unsafeRaw: h(12)) % 3000 AS stepsecs, \(unsafeRaw: h(13)) % 50000 AS applicant FROM seq),
            b AS (SELECT a.*, u * u / 10000 * \(unsafeRaw: "\(items.count)") / 10000 AS n, \(unsafeRaw: "\(t)") - age AS sub_dn,
                \(unsafeRaw: "\(t)") - age + accdelay AS acc_dn FROM a),
            c AS (SELECT b.*, it.immediate, it.online, dl.deadline, dl.deadline_dn,
                    CASE WHEN b.outcome < 25 THEN 0 WHEN b.outcome < 65 THEN 1 WHEN b.outcome < 115 THEN 2 ELSE 3 END AS kind
                FROM b JOIN bench_items it ON it.n = b.n
                LEFT JOIN bench_deadlines dl ON dl.lim = it.lim AND dl.dn = b.acc_dn AND it.immediate = 0),
            d AS (SELECT c.*,
                    CASE WHEN kind < 2 THEN NULL WHEN immediate = 1 THEN acc_dn
                        WHEN lateroll < 4 THEN deadline_dn + 1 + decroll % 12
                        WHEN deadline_dn > acc_dn THEN acc_dn + 1 + decroll % (deadline_dn - acc_dn)
                        ELSE acc_dn + 1 END AS dec_dn FROM c),
            e AS (SELECT d.*,
                    CASE WHEN kind < 2 OR immediate = 1 THEN NULL WHEN acc_dn + revdelay > dec_dn THEN dec_dn ELSE acc_dn + revdelay END AS rev_dn,
                    CASE WHEN kind = 0 THEN NULL WHEN kind = 1 THEN acc_dn + deldelay ELSE dec_dn + deldelay END AS del_dn FROM d),
            f AS (SELECT e.*, del_dn + clodelay AS clo_dn,
                    CASE WHEN online = 0 OR chroll >= 76 THEN 'window' WHEN chroll < 55 THEN 'web' WHEN chroll < 68 THEN 'api' ELSE 'kiosk' END AS channel FROM e)
            SELECT i, n, channel, kind, immediate, sub_dn, acc_dn, rev_dn, dec_dn, del_dn, clo_dn,
                CASE WHEN kind >= 2 THEN deadline END AS deadline, deadline_dn, subsecs, stepsecs, applicant,
                CASE WHEN acc_dn > \(unsafeRaw: "\(t)") THEN 'submitted' WHEN kind = 0 THEN 'withdrawn'
                    WHEN clo_dn <= \(unsafeRaw: "\(t)") THEN 'closed' WHEN del_dn <= \(unsafeRaw: "\(t)") THEN 'delivered'
                    WHEN kind = 1 THEN 'notAccepted' WHEN dec_dn <= \(unsafeRaw: "\(t)") THEN (CASE WHEN kind = 2 THEN 'denied' ELSE 'approved' END)
                    WHEN rev_dn <= \(unsafeRaw: "\(t)") THEN 'underReview' ELSE 'accepted' END AS state
            FROM f
            """).run()
    }

    /// Hours of the steps (China time): filing in the morning, then one hour per later step, so
    /// steps on one day keep their order.
    enum Hour {
        static let submit = 8 * 3600
        static let accept = 13 * 3600
        static let review = 14 * 3600
        static let decide = 15 * 3600
        static let deliver = 16 * 3600
        static let close = 17 * 3600
    }

    private func insertCases(_ sql: any SQLDatabase) async throws -> Int {
        let t = "\(todayNumber)"
        let applicant = "'bench-' || \(text("p.applicant"))"
        let accepted = "p.kind >= 2 AND p.acc_dn <= \(t)"
        let running = "p.state IN ('accepted', 'underReview')"
        let deadline = "CASE WHEN \(accepted) THEN p.deadline END"
        let lastDay = """
            CASE p.state WHEN 'submitted' THEN p.sub_dn WHEN 'withdrawn' THEN p.acc_dn WHEN 'notAccepted' THEN p.acc_dn WHEN 'accepted' THEN p.acc_dn
            WHEN 'underReview' THEN p.rev_dn WHEN 'approved' THEN p.dec_dn WHEN 'denied' THEN p.dec_dn WHEN 'delivered' THEN p.del_dn ELSE p.clo_dn END
            """
        let lastSeconds = """
            CASE p.state WHEN 'submitted' THEN \(Hour.submit) + p.subsecs WHEN 'underReview' THEN \(Hour.review) + p.stepsecs
            WHEN 'approved' THEN \(Hour.decide) + p.stepsecs WHEN 'denied' THEN \(Hour.decide) + p.stepsecs WHEN 'delivered' THEN \(Hour.deliver) + p.stepsecs
            WHEN 'closed' THEN \(Hour.close) + p.stepsecs ELSE \(Hour.accept) + p.stepsecs END
            """
        // CaseQueue.order: out of every queue once closed or withdrawn; else by deadline, then filing time in ms.
        let queueOrder = """
            CASE WHEN p.state IN ('closed', 'withdrawn') THEN '\(CaseQueue.outOfQueue)'
            ELSE (CASE WHEN \(deadline) IS NULL THEN '29999-12-31' ELSE '1' || p.deadline END) || \(text("(p.sub_dn * 86400 + p.subsecs) * 1000")) END
            """
        let alert = """
            CASE WHEN \(running) AND p.deadline < '\(today.description)' THEN 'red' WHEN \(running) AND p.deadline <= '\(cutoff.description)' THEN 'yellow' ELSE 'none' END
            """
        try await sql.raw("""
            INSERT INTO cases (id, number, item_code, item_name, version_id, applicant_id, filed_by, department_code, region_code, state, form_sealed, form_shown,
                channel, deadline, deadline_provisional, deferred_outstanding, alert_level, created_at, updated_at, green_channel, commitment_signed, queue_order,
                approves_on_timeout)
            SELECT \(unsafeRaw: uuid(Tag.cases, "p.i")), CASE WHEN \(unsafeRaw: accepted) THEN 'TJ' || \(unsafeRaw: text("p.i")) END, it.code, it.name, it.version_id,
                \(unsafeRaw: applicant), CASE WHEN p.channel = 'window' THEN 'bench.clerk' ELSE 'applicant:' || \(unsafeRaw: applicant) END,
                it.department_code, it.region_code, p.state, '-', '{}', p.channel, \(unsafeRaw: deadline), false, false, \(unsafeRaw: alert),
                \(unsafeRaw: instant("p.sub_dn", "\(Hour.submit) + p.subsecs")), \(unsafeRaw: instant(lastDay, lastSeconds)), false, false, \(unsafeRaw: queueOrder), false
            FROM bench_plan p JOIN bench_items it ON it.n = p.n
            """).run()
        return cases
    }

    private func insertCaseEvents(_ sql: any SQLDatabase) async throws -> Int {
        let t = "\(todayNumber)"
        let applicant = "CASE WHEN p.channel = 'window' THEN 'bench.clerk' ELSE 'applicant:bench-' || \(text("p.applicant")) END"
        let filingChannel = "p.channel"
        struct Step {
            var action: CaseAction
            var from: String
            var to: String
            var day: String
            var hour: Int
            var actor: String
            var channel: String
            var reason: String?
            var when: String
        }
        let steps = [
            Step(action: .submit, from: "'draft'", to: "'submitted'", day: "p.sub_dn", hour: Hour.submit, actor: applicant, channel: filingChannel, when: "1 = 1"),
            Step(action: .withdraw, from: "'submitted'", to: "'withdrawn'", day: "p.acc_dn", hour: Hour.accept, actor: applicant, channel: filingChannel,
                when: "p.kind = 0 AND p.acc_dn <= \(t)"),
            Step(action: .rejectAtAcceptance, from: "'submitted'", to: "'notAccepted'", day: "p.acc_dn", hour: Hour.accept, actor: "'bench.clerk'",
                channel: "'window'", reason: "申请材料不齐全，申请人未在期限内补正", when: "p.kind = 1 AND p.acc_dn <= \(t)"),
            Step(action: .accept, from: "'submitted'", to: "'accepted'", day: "p.acc_dn", hour: Hour.accept, actor: "'bench.clerk'", channel: "'window'",
                when: "p.kind >= 2 AND p.acc_dn <= \(t)"),
            Step(action: .review, from: "'accepted'", to: "'underReview'", day: "p.rev_dn", hour: Hour.review, actor: "'bench.approver'", channel: "'web'",
                when: "p.rev_dn IS NOT NULL AND p.rev_dn <= \(t)"),
            Step(action: .approve, from: "CASE WHEN p.immediate = 1 THEN 'accepted' ELSE 'underReview' END", to: "'approved'", day: "p.dec_dn",
                hour: Hour.decide, actor: "'bench.approver'", channel: "'web'", when: "p.kind = 3 AND p.dec_dn <= \(t)"),
            Step(action: .deny, from: "CASE WHEN p.immediate = 1 THEN 'accepted' ELSE 'underReview' END", to: "'denied'", day: "p.dec_dn",
                hour: Hour.decide, actor: "'bench.approver'", channel: "'web'", reason: "申请人不符合法定条件", when: "p.kind = 2 AND p.dec_dn <= \(t)"),
            Step(action: .deliver, from: "CASE p.kind WHEN 1 THEN 'notAccepted' WHEN 2 THEN 'denied' ELSE 'approved' END", to: "'delivered'", day: "p.del_dn",
                hour: Hour.deliver, actor: "'bench.clerk'", channel: "'window'", when: "p.del_dn <= \(t)"),
            Step(action: .close, from: "'delivered'", to: "'closed'", day: "p.clo_dn", hour: Hour.close, actor: "'bench.clerk'", channel: "'window'",
                when: "p.clo_dn <= \(t)"),
        ]
        var total = 0
        for (number, step) in steps.enumerated() {
            let seconds = step.action == .submit ? "\(step.hour) + p.subsecs" : "\(step.hour) + p.stepsecs"
            let reason = step.reason.map { "'\($0)'" } ?? "NULL"
            try await sql.raw("""
                INSERT INTO case_events (id, case_id, at, actor, channel, action, from_state, to_state, reason)
                SELECT \(unsafeRaw: uuid(Tag.event(number), "p.i")), \(unsafeRaw: uuid(Tag.cases, "p.i")), \(unsafeRaw: instant(step.day, seconds)),
                    \(unsafeRaw: step.actor), \(unsafeRaw: step.channel), '\(unsafeRaw: step.action.rawValue)', \(unsafeRaw: step.from), \(unsafeRaw: step.to),
                    \(unsafeRaw: reason)
                FROM bench_plan p WHERE \(unsafeRaw: step.when)
                """).run()
            total += try await count(sql, "bench_plan p", where: step.when)
        }
        return total
    }

    private func count(_ sql: any SQLDatabase, _ from: String, where condition: String) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: from) WHERE \(unsafeRaw: condition)").first(decodingColumn: "n", as: Int.self) ?? 0
    }

    /// Level skew of the generated reviews (per mille): 非常不满意 1.5 %, 不满意 2.5 %, 基本满意 5 %,
    /// 满意 13 %, 非常满意 78 %.
    let levelExpression = "CASE WHEN r.lroll < 15 THEN 1 WHEN r.lroll < 40 THEN 2 WHEN r.lroll < 90 THEN 3 WHEN r.lroll < 220 THEN 4 ELSE 5 END"

    /// Every k-th case that can be rated (accepted or refused), one stage each: the acceptance
    /// while it runs (and for a quarter of those decided), the conclusion otherwise; given on the
    /// day of that step or up to three days later.
    private func planReviews(_ sql: any SQLDatabase) async throws {
        let t = "\(todayNumber)"
        let rateable = try await count(sql, "bench_plan p", where: "p.state NOT IN ('submitted', 'withdrawn')")
        let wanted = min(reviews, rateable)
        let stride = max(1, rateable / max(1, wanted))
        let h = { (salt: Int) in hash("q.i", salt) }
        let early = "q.state IN ('accepted', 'underReview') OR (q.kind >= 2 AND \(h(20)) % 4 = 0)"
        try await sql.raw("""
            CREATE TABLE bench_review_plan AS
            SELECT r.*, CASE WHEN r.base_dn + r.rdelay > \(unsafeRaw: t) THEN \(unsafeRaw: t) ELSE r.base_dn + r.rdelay END AS rd
            FROM (SELECT q.k / \(unsafeRaw: "\(stride)") AS j, q.i, q.n, q.channel, q.kind, q.applicant,
                    CASE WHEN \(unsafeRaw: early) THEN 'acceptance' ELSE 'conclusion' END AS stage,
                    CASE WHEN \(unsafeRaw: early) THEN q.acc_dn WHEN q.del_dn <= \(unsafeRaw: t) THEN q.del_dn WHEN q.kind = 1 THEN q.acc_dn ELSE q.dec_dn END AS base_dn,
                    \(unsafeRaw: h(21)) % 4 AS rdelay, \(unsafeRaw: h(22)) % 1000 AS lroll, \(unsafeRaw: h(23)) % 100 AS croll,
                    \(unsafeRaw: h(24)) % 64 AS reasonroll, \(unsafeRaw: h(25)) % 10800 AS rsecs
                FROM (SELECT p.*, ROW_NUMBER() OVER (ORDER BY p.i) - 1 AS k FROM bench_plan p WHERE p.state NOT IN ('submitted', 'withdrawn')) q
                WHERE q.k % \(unsafeRaw: "\(stride)") = 0 AND q.k / \(unsafeRaw: "\(stride)") < \(unsafeRaw: "\(wanted)")) r
            """).run()
    }

    private func insertReviews(_ sql: any SQLDatabase) async throws -> Int {
        let hall = "r.channel = 'window'"
        // The channels a case's applicant rates by: its page (PC or mobile), the SMS link, the QR
        // code on the receipt, the hall's self-service terminal (window cases), the hotline.
        let channel = """
            CASE WHEN \(hall) THEN (CASE WHEN r.croll < 35 THEN '\(ReviewChannel.sms.rawValue)' WHEN r.croll < 65 THEN '\(ReviewChannel.qrCode.rawValue)'
                WHEN r.croll < 85 THEN '\(ReviewChannel.hallTerminal.rawValue)' ELSE '\(ReviewChannel.phone.rawValue)' END)
            ELSE (CASE WHEN r.croll < 45 THEN '\(ReviewChannel.web.rawValue)' WHEN r.croll < 75 THEN '\(ReviewChannel.mobile.rawValue)'
                WHEN r.croll < 88 THEN '\(ReviewChannel.sms.rawValue)' WHEN r.croll < 96 THEN '\(ReviewChannel.qrCode.rawValue)'
                ELSE '\(ReviewChannel.phone.rawValue)' END) END
            """
        let phone = "CASE WHEN \(hall) THEN r.croll >= 85 ELSE r.croll >= 96 END"
        let service = "CASE WHEN \(hall) THEN '\(hallSet.service.rawValue)' ELSE '\(onlineSet.service.rawValue)' END"
        let reasonIndex = "CASE WHEN \(hall) THEN r.reasonroll % \(hallSet.badReasons.count) ELSE r.reasonroll % \(onlineSet.badReasons.count) END"
        let words = """
            CASE \(levelExpression) WHEN 1 THEN '跑了好几趟还没办成，非常不满意' WHEN 2 THEN '等待时间太长' WHEN 5 THEN
                (CASE WHEN r.rsecs % 5 = 0 THEN '办事很方便，点赞' ELSE '' END) ELSE '' END
            """
        try await sql.raw("""
            INSERT INTO reviews (id, subject_kind, subject_key, case_id, case_number, stage, item_code, item_name, department_code, region_code,
                service_channel, channel, question_set, level, answers, reasons, text, reviewer_id, recorded_by, day, created_at)
            SELECT \(unsafeRaw: uuid(Tag.reviews, "r.j")), '\(unsafeRaw: ReviewSubjectKind.caseStage.rawValue)',
                'case:' || \(unsafeRaw: uuidText(Tag.cases, "r.i")) || ':' || r.stage, \(unsafeRaw: uuid(Tag.cases, "r.i")),
                CASE WHEN r.kind >= 2 THEN 'TJ' || \(unsafeRaw: text("r.i")) END, r.stage, it.code, it.name, it.department_code, it.region_code,
                r.channel, \(unsafeRaw: channel), CASE WHEN \(unsafeRaw: hall) THEN '\(unsafeRaw: hallSet.version)' ELSE '\(unsafeRaw: onlineSet.version)' END,
                \(unsafeRaw: levelExpression), an.answers, COALESCE(rs.reasons, '[]'), \(unsafeRaw: words), 'bench-' || \(unsafeRaw: text("r.applicant")),
                CASE WHEN \(unsafeRaw: phone) THEN 'hotline' END, bd.day,
                \(unsafeRaw: instant("r.rd", "CASE WHEN r.rd = r.base_dn THEN 18 * 3600 + r.rsecs ELSE 9 * 3600 + r.rsecs * 2 END"))
            FROM bench_review_plan r JOIN bench_items it ON it.n = r.n JOIN bench_days bd ON bd.dn = r.rd
            JOIN bench_answers an ON an.service = \(unsafeRaw: service) AND an.level = \(unsafeRaw: levelExpression)
            LEFT JOIN bench_reasons rs ON r.lroll < 40 AND rs.service = \(unsafeRaw: service) AND rs.idx = \(unsafeRaw: reasonIndex)
            """).run()
        return try await count(sql, "bench_review_plan r", where: "1 = 1")
    }

    /// The rectification of each bad review (levels 1 and 2), by path: 8 % appealed and upheld,
    /// 4 % appealed and sent back to be put right, 73 % put right in time, 12 % closed after the
    /// deadline, 3 % stalled after verification (overdue once the deadline passes). Each step
    /// falls a few days after the one before; those after today have not happened yet.
    private func planRectifications(_ sql: any SQLDatabase) async throws {
        let t = "\(todayNumber)"
        let h = { (salt: Int) in hash("r.j", salt) }
        try await sql.raw("""
            CREATE TABLE bench_rectification_plan AS
            SELECT y.*,
                CASE WHEN y.v_dn > \(unsafeRaw: t) THEN 'awaitingVerification' WHEN y.path < 12 AND y.a_dn > \(unsafeRaw: t) THEN 'appealed'
                    WHEN y.path < 8 THEN 'appealUpheld' WHEN y.path >= 97 THEN 'rectifying' WHEN y.p_dn > \(unsafeRaw: t) THEN 'rectifying'
                    WHEN y.q_dn > \(unsafeRaw: t) THEN 'replied' ELSE 'completed' END AS state
            FROM (SELECT x.*,
                    CASE WHEN x.path < 8 OR x.path >= 97 THEN NULL WHEN x.path < 12 THEN x.a_dn + 1 + x.roll % 3 ELSE x.v_dn + 1 + x.roll % 5 END AS p_dn,
                    CASE WHEN x.path < 8 OR x.path >= 97 THEN NULL WHEN x.path < 12 THEN x.a_dn + 2 + x.roll % 3 + (x.roll / 8) % 3
                        WHEN x.path >= 85 THEN x.rect_deadline_dn + 1 + (x.roll / 8) % 10
                        ELSE x.v_dn + 2 + x.roll % 5 + (x.roll / 8) % 4 END AS q_dn
                FROM (SELECT r.j, r.i, r.n, r.rd, r.rsecs, r.base_dn, bd.rect_deadline, bd.rect_deadline_dn, \(unsafeRaw: h(30)) % 100 AS path,
                        \(unsafeRaw: h(31)) AS roll, r.rd + 1 + \(unsafeRaw: h(31)) % 3 AS v_dn,
                        CASE WHEN \(unsafeRaw: h(30)) % 100 < 12 THEN r.rd + 3 + \(unsafeRaw: h(31)) % 3 + \(unsafeRaw: h(32)) % 5 END AS a_dn
                    FROM bench_review_plan r JOIN bench_days bd ON bd.dn = r.rd WHERE r.lroll < 40) x) y
            """).run()
    }

    private func insertRectifications(_ sql: any SQLDatabase) async throws -> (Int, Int) {
        let t = "\(todayNumber)"
        let kind = """
            CASE WHEN x.v_dn > \(t) THEN NULL WHEN x.path < 8 THEN (CASE WHEN x.roll % 2 = 0 THEN '\(RectificationKind.appealMistaken.rawValue)'
                ELSE '\(RectificationKind.appealMalicious.rawValue)' END)
            WHEN x.path < 12 THEN (CASE WHEN x.a_dn <= \(t) THEN '\(RectificationKind.scheduled.rawValue)' ELSE '\(RectificationKind.appealMistaken.rawValue)' END)
            ELSE (CASE x.roll % 3 WHEN 0 THEN '\(RectificationKind.immediate.rawValue)' WHEN 1 THEN '\(RectificationKind.scheduled.rawValue)'
                ELSE '\(RectificationKind.explanation.rawValue)' END) END
            """
        let verifiedKind = """
            CASE WHEN x.path < 8 THEN (CASE WHEN x.roll % 2 = 0 THEN '\(RectificationKind.appealMistaken.chineseName)' ELSE '\(RectificationKind.appealMalicious.chineseName)' END)
            WHEN x.path < 12 THEN '\(RectificationKind.appealMistaken.chineseName)'
            ELSE (CASE x.roll % 3 WHEN 0 THEN '\(RectificationKind.immediate.chineseName)' WHEN 1 THEN '\(RectificationKind.scheduled.chineseName)'
                ELSE '\(RectificationKind.explanation.chineseName)' END) END
            """
        let finding = "经核实，评价反映的情况属实，已责成窗口改进。"
        let appealFinding = "经核实，评价人反映的问题与办件记录不符，申请复核。"
        let reply = "已向评价人说明处理情况并致歉，相关问题已整改。"
        let visit = "评价人对整改结果表示认可。"
        let upheld = "经复核，该评价与事实不符，申诉成立。"
        let rejected = "经复核，申诉理由不充分，申诉不成立。"
        let open = "x.state NOT IN ('\(RectificationState.completed.rawValue)', '\(RectificationState.appealUpheld.rawValue)')"
        let alert = """
            CASE WHEN \(open) AND x.rect_deadline < '\(today.description)' THEN 'red' WHEN \(open) AND x.rect_deadline <= '\(cutoff.description)' THEN 'yellow'
            ELSE 'none' END
            """
        let reviewTime = instant("x.rd", "CASE WHEN x.rd = x.base_dn THEN 18 * 3600 + x.rsecs ELSE 9 * 3600 + x.rsecs * 2 END")
        let lastDay = """
            CASE x.state WHEN 'awaitingVerification' THEN x.rd WHEN 'appealed' THEN x.v_dn WHEN 'appealUpheld' THEN x.a_dn
            WHEN 'rectifying' THEN (CASE WHEN x.a_dn IS NOT NULL AND x.a_dn <= \(t) THEN x.a_dn ELSE x.v_dn END) WHEN 'replied' THEN x.p_dn ELSE x.q_dn END
            """
        let lastSeconds = """
            CASE x.state WHEN 'awaitingVerification' THEN (CASE WHEN x.rd = x.base_dn THEN 18 * 3600 + x.rsecs ELSE 9 * 3600 + x.rsecs * 2 END)
            WHEN 'appealed' THEN 10 * 3600 WHEN 'appealUpheld' THEN 11 * 3600
            WHEN 'rectifying' THEN (CASE WHEN x.a_dn IS NOT NULL AND x.a_dn <= \(t) THEN 11 * 3600 ELSE 10 * 3600 END) WHEN 'replied' THEN 14 * 3600 ELSE 16 * 3600 END
            """
        try await sql.raw("""
            INSERT INTO rectifications (id, review_id, case_id, department_code, region_code, item_code, item_name, state, kind, deadline, alert_level,
                finding, reply, visit_result, visit_reached, appeal_decision, closed_on, on_time, created_at, updated_at)
            SELECT \(unsafeRaw: uuid(Tag.rectifications, "x.j")), \(unsafeRaw: uuid(Tag.reviews, "x.j")), \(unsafeRaw: uuid(Tag.cases, "x.i")),
                it.department_code, it.region_code, it.code, it.name, x.state, \(unsafeRaw: kind), x.rect_deadline, \(unsafeRaw: alert),
                CASE WHEN x.v_dn <= \(unsafeRaw: t) THEN (CASE WHEN x.path < 12 THEN '\(unsafeRaw: appealFinding)' ELSE '\(unsafeRaw: finding)' END) END,
                CASE WHEN x.p_dn <= \(unsafeRaw: t) THEN '\(unsafeRaw: reply)' END,
                CASE WHEN x.q_dn <= \(unsafeRaw: t) THEN '\(unsafeRaw: visit)' END,
                CASE WHEN x.q_dn <= \(unsafeRaw: t) THEN true END,
                CASE WHEN x.path < 12 AND x.a_dn <= \(unsafeRaw: t) THEN (CASE WHEN x.path < 8 THEN '\(unsafeRaw: upheld)' ELSE '\(unsafeRaw: rejected)' END) END,
                CASE x.state WHEN 'completed' THEN cq.day WHEN 'appealUpheld' THEN ca.day END,
                CASE WHEN x.state = 'completed' THEN x.q_dn <= x.rect_deadline_dn END,
                \(unsafeRaw: reviewTime), \(unsafeRaw: instant(lastDay, lastSeconds))
            FROM bench_rectification_plan x JOIN bench_items it ON it.n = x.n
            LEFT JOIN bench_days cq ON cq.dn = x.q_dn LEFT JOIN bench_days ca ON ca.dn = x.a_dn
            """).run()
        let rectifications = try await count(sql, "bench_rectification_plan x", where: "1 = 1")

        struct Step {
            var action: String
            var from: String
            var to: String
            var day: String
            var seconds: String
            var actor: String
            var summary: String
            var when: String
        }
        let steps = [
            Step(
                action: "open", from: "'awaitingVerification'", to: "'awaitingVerification'", day: "x.rd",
                seconds: "CASE WHEN x.rd = x.base_dn THEN 18 * 3600 + x.rsecs ELSE 9 * 3600 + x.rsecs * 2 END", actor: "'system:review'",
                summary: "'差评生成整改任务，整改期限 ' || x.rect_deadline || '（\(rectificationDays)个工作日）'", when: "1 = 1"),
            Step(
                action: RectificationAction.verify.rawValue, from: "'awaitingVerification'",
                to: "CASE WHEN x.path < 12 THEN 'appealed' ELSE 'rectifying' END", day: "x.v_dn", seconds: "10 * 3600", actor: "'bench.admin'",
                summary: "'核实：' || \(verifiedKind) || '。' || (CASE WHEN x.path < 12 THEN '\(appealFinding)' ELSE '\(finding)' END)",
                when: "x.v_dn <= \(t)"),
            Step(
                action: RectificationAction.decideAppeal.rawValue, from: "'appealed'", to: "CASE WHEN x.path < 8 THEN 'appealUpheld' ELSE 'rectifying' END",
                day: "x.a_dn", seconds: "11 * 3600", actor: "'supervisor'",
                summary: "CASE WHEN x.path < 8 THEN '申诉成立，该评价不计入统计：\(upheld)' ELSE '申诉不成立，须限期整改：\(rejected)' END",
                when: "x.path < 12 AND x.a_dn <= \(t)"),
            Step(
                action: RectificationAction.reply.rawValue, from: "'rectifying'", to: "'replied'", day: "x.p_dn", seconds: "14 * 3600", actor: "'bench.admin'",
                summary: "'答复评价人：\(reply)'", when: "x.p_dn <= \(t)"),
            Step(
                action: RectificationAction.returnVisit.rawValue, from: "'replied'", to: "'completed'", day: "x.q_dn", seconds: "16 * 3600",
                actor: "'bench.admin'", summary: "'回访：\(visit)' || (CASE WHEN x.q_dn <= x.rect_deadline_dn THEN '' ELSE '（超过整改期限）' END)",
                when: "x.q_dn <= \(t)"),
        ]
        var events = 0
        for (number, step) in steps.enumerated() {
            try await sql.raw("""
                INSERT INTO rectification_events (id, rectification_id, at, actor, action, from_state, to_state, summary)
                SELECT \(unsafeRaw: uuid(Tag.rectificationEvent(number), "x.j")), \(unsafeRaw: uuid(Tag.rectifications, "x.j")),
                    \(unsafeRaw: instant(step.day, step.seconds)), \(unsafeRaw: step.actor), '\(unsafeRaw: step.action)', \(unsafeRaw: step.from),
                    \(unsafeRaw: step.to), \(unsafeRaw: step.summary)
                FROM bench_rectification_plan x WHERE \(unsafeRaw: step.when)
                """).run()
            events += try await count(sql, "bench_rectification_plan x", where: step.when)
        }
        return (rectifications, events)
    }
}
