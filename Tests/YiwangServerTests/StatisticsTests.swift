import Fluent
import Foundation
import SQLKit
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The statistics: kept by the same transactions that change cases, reviews and rectifications,
/// they must equal a recount from the raw records whatever happened; the API reads them by
/// department, channel and day, checks its query, and answers CSV.
final class StatisticsTests: XCTestCase {
    typealias Report = StatisticsService.Report

    // MARK: The property: figures equal a recount

    func testTheFiguresEqualARecountOfTheRawRecordsAfterRandomActivity() async throws {
        try await withApp { app, clock in
            // setup: a week and a half of a small city's activity, across the end of November.
            clock.set(Fixtures.date("2026-11-25"))
            // Another seed replays another city: YIWANG_STATISTICS_SEED=7 swift test --filter StatisticsTests
            let seed = UInt64(ProcessInfo.processInfo.environment["YIWANG_STATISTICS_SEED"] ?? "") ?? 20_261_125
            let city = try await CitySimulation(app: app, clock: clock, seed: seed)
            try await city.run(days: 10, cases: 48)
            // What is left open is decided and closed after its deadline (decided late, rectified late).
            clock.set(Fixtures.date("2026-12-28"))
            try await city.decideOpenCases()
            try await city.settleRectifications()

            // The run went everywhere it should: a test that took no appeal proves nothing of appeals.
            for path in [
                "file", "submit", "requestCorrection", "resubmit", "accept", "rejectAtAcceptance", "review", "approve", "deny", "issueCertificate",
                "deliver", "withdraw", "rate.web", "rate.sms", "rate.phone", "rate.visit", "rate.bad", "verify", "reply", "returnVisit",
                "appealUpheld", "appealRejected", "rectificationRating",
            ] {
                XCTAssertGreaterThan(city.log[path] ?? 0, 0, "the simulation never took \(path): \(city.log.sorted { $0.key < $1.key })")
            }
            let late = try await RectificationRecord.query(on: app.db).filter(\.$onTime == false).count()
            let onTime = try await RectificationRecord.query(on: app.db).filter(\.$onTime == true).count()
            XCTAssertGreaterThan(late, 0)
            XCTAssertGreaterThan(onTime, 0)

            // check 1: the summary tables equal the recount, row by row, daily and monthly.
            let differences = try await StatisticsRecount.compare(on: app.db).differences
            XCTAssertEqual(differences.count, 0, differences.prefix(10).map { "\($0.table) \($0.key.day) \($0.key.itemCode) \($0.counter): \($0.stored) ≠ \($0.recounted)" }.joined(separator: "\n"))

            // check 2: the API's figures equal counts made here from the raw rows, by every grouping.
            let facts = try await RawFacts.read(app)
            XCTAssertGreaterThan(facts.count, 100)
            let decisions = facts.filter { $0.counter == .decided }.count
            let onTimeDecisions = facts.filter { $0.counter == .decidedOnTime }.count
            XCTAssertTrue(onTimeDecisions > 0 && onTimeDecisions < decisions, "decisions on time and late: \(onTimeDecisions) of \(decisions)")
            XCTAssertGreaterThan(facts.filter { $0.counter == .reviewsExcluded }.count, 0)
            // The busiest department and item, to filter by.
            let department = try XCTUnwrap(Dictionary(grouping: facts, by: \.department).max { $0.value.count < $1.value.count }?.key)
            let item = try XCTUnwrap(Dictionary(grouping: facts.filter { $0.department == department }, by: \.item).max { $0.value.count < $1.value.count }?.key)
            typealias Filter = (query: String, admits: (RawFacts.Fact) -> Bool)
            let none: Filter = ("", { _ in true })
            let byDepartment: Filter = ("&department=\(department)", { $0.department == department })
            let byItem: Filter = ("&item=\(item)", { $0.item == item })
            // Each summary level answers: the city (total, day, channel), departments (department,
            // region, or filtered by department), items (item, or filtered by item), every fact
            // (channel filtered by an item or a department).
            let queries: [(groupBy: String?, from: String, to: String, key: (RawFacts.Fact) -> String, filter: Filter, level: SummaryLevel)] = [
                ("department", "2026-11-01", "2026-12-31", { $0.department }, none, .department),  // whole months
                ("channel", "2026-11-27", "2026-12-31", { $0.channel }, none, .city),  // edge days and a month
                ("day", "2026-11-25", "2026-12-28", { $0.day }, none, .city),  // every day
                ("department", "2026-11-26", "2026-12-02", { $0.department }, none, .department),  // days only, across the month's end
                (nil, "2026-11-24", "2027-01-31", { _ in "" }, none, .city),
                ("item", "2026-11-20", "2026-12-31", { $0.item }, none, .item),
                ("region", "2026-11-27", "2027-01-31", { $0.region }, none, .department),
                ("department", "2026-11-26", "2026-12-28", { $0.department }, byDepartment, .department),  // a month less its left-out days
                ("channel", "2026-11-01", "2026-12-31", { $0.channel }, byDepartment, .full),
                ("day", "2026-11-25", "2026-12-28", { $0.day }, byItem, .item),
                ("channel", "2026-11-27", "2026-12-31", { $0.channel }, byItem, .full),
            ]
            var levels: Set<SummaryLevel> = []
            for query in queries {
                let path = "/api/v1/statistics?from=\(query.from)&to=\(query.to)" + (query.groupBy.map { "&groupBy=\($0)" } ?? "") + query.filter.query
                let res = try await call(app, .GET, path)
                XCTAssertEqual(res.status, .ok, res.body.string)
                let report = try res.content.decode(Report.self)
                let parsed = try StatisticsService(DomainContext(app: app, actor: .anonymous, audit: .system("test", channel: "test"))).query(
                    from: query.from, to: query.to, groupBy: query.groupBy, department: report.department, region: nil, item: report.item)
                XCTAssertEqual(StatisticsLedger.level(by: parsed.grouping, filter: parsed.filter), query.level, path)
                levels.insert(query.level)
                let expected = RawFacts.count(facts.filter(query.filter.admits), from: query.from, to: query.to, by: query.key)
                var answered = Dictionary(uniqueKeysWithValues: report.groups.map { ($0.key, $0.indicators) })
                if query.groupBy == nil { answered[""] = report.total }
                XCTAssertFalse(expected.isEmpty, path)
                for key in Set(expected.keys).union(answered.keys).sorted() {
                    RawFacts.assertEqual(answered[key] ?? Indicators(Tally(), catalog: nil), expected[key] ?? Tally(), "\(path) [\(key)]")
                }
                // The total is the sum of the groups.
                RawFacts.assertEqual(report.total, expected.values.reduce(Tally(), +), "\(path) total")
            }
            XCTAssertEqual(levels.count, SummaryLevel.all.count, "every level was read")
        }
    }

    func testATamperedSummaryIsReportedByTheRecountAndRepairedFromTheRecords() async throws {
        try await withApp { app, _ in
            // setup: a few facts of each kind.
            let accepted = try await makeCase(app, .accepted).requireID()
            try await makeCase(app, .submitted)
            try await ReviewKit.rate(app, accepted, level: 1, reasons: ["tooSlow"])
            let before = try await ReviewKit.totals(app, from: "2026-11-01", to: "2026-11-30")
            var differences = try await StatisticsRecount.compare(on: app.db).differences
            XCTAssertEqual(differences, [])
            let sql = try XCTUnwrap(app.db as? any SQLDatabase)

            // act: a row changed, a row invented, every monthly row of every fact and of the city lost.
            try await sql.raw("UPDATE statistics_daily SET applications = applications + 5 WHERE day = '2026-11-22' AND item_code = \(bind: foodCode)").run()
            try await sql.raw("""
                INSERT INTO statistics_daily (day, item_code, channel, department_code, region_code, item_name, reviews_level_5)
                VALUES ('2026-11-23', \(bind: foodCode), 'web', \(bind: Fixtures.cityDepartment), \(bind: Fixtures.city), '伪造', 3)
                """).run()
            try await sql.raw("DELETE FROM statistics_monthly").run()
            try await sql.raw("DELETE FROM \(unsafeRaw: SummaryLevel.city.monthly)").run()

            // check: every difference is reported, with what is stored and what the records say.
            differences = try await StatisticsRecount.compare(on: app.db).differences
            let daily = differences.filter { $0.table == StatisticsLedger.daily }
            XCTAssertEqual(daily.map(\.counter), [.applications, .reviewsLevel5])
            XCTAssertEqual(daily.first.map { $0.stored - $0.recounted }, 5)
            XCTAssertEqual(daily.last?.key.day.description, "2026-11-23")
            XCTAssertEqual(daily.last.map { [$0.stored, $0.recounted] }, [3, 0])
            let monthly = differences.filter { $0.table == StatisticsLedger.monthly }
            XCTAssertFalse(monthly.isEmpty, "lost rows are found too")
            XCTAssertTrue(monthly.allSatisfy { $0.stored == 0 && $0.recounted > 0 })
            XCTAssertTrue(Set(monthly.map(\.counter)).isSuperset(of: [.applications, .accepted, .reviewsLevel1]))
            let cityMonthly = differences.filter { $0.table == SummaryLevel.city.monthly }
            XCTAssertTrue(!cityMonthly.isEmpty && cityMonthly.allSatisfy { $0.stored == 0 && $0.recounted > 0 && $0.key.itemCode.isEmpty })
            XCTAssertEqual(Set(differences.map(\.table)), [StatisticsLedger.daily, StatisticsLedger.monthly, SummaryLevel.city.monthly], "the other levels are intact")
            let tampered = try await ReviewKit.totals(app, from: "2026-11-01", to: "2026-11-30")
            XCTAssertEqual(tampered.applications, 0, "the city's whole month is read from its lost monthly rows")

            // act: repair as `yiwang statistics rebuild --repair` does.
            let recount = try await StatisticsRecount.compare(on: app.db).recount
            var days: [TallyKey: Tally] = [:]
            for (key, tally) in recount.days {
                var named = key
                named.itemName = recount.names[key.itemCode] ?? ""
                days[named] = tally
            }
            try await StatisticsLedger.replace(with: days, on: app.db)

            // check
            differences = try await StatisticsRecount.compare(on: app.db).differences
            XCTAssertEqual(differences, [])
            let after = try await ReviewKit.totals(app, from: "2026-11-01", to: "2026-11-30")
            XCTAssertEqual(after, before)
            XCTAssertEqual(after.applications, 2)
            XCTAssertEqual(after.reviewsByLevel, [1, 0, 0, 0, 0])
            let itemNames = try await sql.raw("SELECT DISTINCT item_name FROM statistics_daily").all().map { try $0.decode(column: "item_name", as: String.self) }
            XCTAssertEqual(itemNames, ["食品经营许可(新办)"], "names restored, the invented row gone")
        }
    }

    func testMigration0021FillsTheCoarserLevelsFromTheTablesOfEveryFact() async throws {
        try await withApp { app, _ in
            // setup: facts on two days of two items, reviewed, in the tables of every fact.
            let accepted = try await makeCase(app, .accepted).requireID()
            try await makeCase(app, .submitted)
            try await ReviewKit.rate(app, accepted, level: 1, reasons: ["tooSlow"])
            let before = try await ReviewKit.totals(app, from: "2026-11-01", to: "2026-11-30")
            let sql = try XCTUnwrap(app.db as? any SQLDatabase)

            // act: the coarser levels dropped and made again, as on a database that had only 0020's tables.
            try await AddSummaryLevels().revert(on: app.db)
            try await AddSummaryLevels().prepare(on: app.db)

            // check: every level equals the recount, and the figures read the same.
            let differences = try await StatisticsRecount.compare(on: app.db).differences
            XCTAssertEqual(differences, [])
            for level in SummaryLevel.all {
                let rows = try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: level.daily)").first(decodingColumn: "n", as: Int.self)
                XCTAssertGreaterThan(rows ?? 0, 0, level.daily)
            }
            let names = try await sql.raw("SELECT DISTINCT item_name FROM \(unsafeRaw: SummaryLevel.item.monthly)").all().map { try $0.decode(column: "item_name", as: String.self) }
            XCTAssertEqual(names, ["食品经营许可(新办)"])
            let after = try await ReviewKit.totals(app, from: "2026-11-01", to: "2026-11-30")
            XCTAssertEqual(after, before)
            XCTAssertEqual(after.applications, 2)
        }
    }

    // MARK: The query

    func testABadQueryIsRefusedWithAClearReason() async throws {
        try await withApp { app, _ in
            let refusals: [(String, Int, String, String?)] = [
                ("from=2026-13-01", 400, "statistics.date_invalid", "from"),
                ("to=2026-02-30", 400, "statistics.date_invalid", "to"),
                ("from=20261101", 400, "statistics.date_invalid", "from"),
                ("from=2026-11-23&to=2026-11-22", 400, "statistics.period_invalid", "from"),
                ("from=2016-01-01&to=2026-11-22", 400, "statistics.period_too_long", "to"),
                ("groupBy=day&from=2025-11-21&to=2026-11-22", 400, "statistics.period_too_long", "to"),
                ("groupBy=week", 400, "statistics.group_invalid", "groupBy"),
                ("groupBy=DAY", 400, "statistics.group_invalid", "groupBy"),
                ("region=abc", 400, "statistics.region_invalid", "region"),
                ("department=" + String(repeating: "9", count: 19), 400, "statistics.department_invalid", nil),
            ]
            for (query, status, code, field) in refusals {
                let res = try await call(app, .GET, "/api/v1/statistics?" + query)
                XCTAssertEqual(Int(res.status.code), status, query)
                let body = try problem(res)
                XCTAssertEqual(body.code, code, query)
                if let field { XCTAssertEqual(body.errors?.map(\.field), [field], query) }
            }
            // At the limits: a year and a day by day, ten years in all.
            var res = try await call(app, .GET, "/api/v1/statistics?groupBy=day&from=2025-11-22&to=2026-11-22")
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(try res.content.decode(Report.self).groups.count, 0, "nothing happened yet")
            res = try await call(app, .GET, "/api/v1/statistics?from=2016-11-25&to=2026-11-22")
            XCTAssertEqual(res.status, .ok, res.body.string)
            // Without a period: the thirty days to today.
            res = try await call(app, .GET, "/api/v1/statistics")
            let report = try res.content.decode(Report.self)
            XCTAssertEqual([report.from, report.to, report.groupBy], ["2026-10-24", "2026-11-22", "total"])
            XCTAssertNil(report.total.satisfactionIndex, "no reviews: no index, not zero")
        }
    }

    func testTheFiguresAsCSVWithAByteOrderMarkChineseHeadersAndATotal() async throws {
        try await withApp { app, _ in
            // setup
            let accepted = try await makeCase(app, .accepted).requireID()
            try await makeCase(app, .submitted)
            try await ReviewKit.rate(app, accepted, level: 5)

            // act
            var res = try await call(app, .GET, "/api/v1/statistics?groupBy=department&from=2026-11-01&to=2026-11-30&format=csv")

            // check
            XCTAssertEqual(res.status, .ok, res.body.string)
            XCTAssertEqual(res.headers.contentType?.type, "text")
            XCTAssertEqual(res.headers.contentType?.subType, "csv")
            XCTAssertEqual(res.headers.contentType?.parameters["charset"], "utf-8")
            XCTAssertEqual(res.headers.first(name: .contentDisposition), "attachment; filename=\"statistics-2026-11-01-2026-11-30.csv\"")
            XCTAssertEqual(Array(res.body.readableBytesView.prefix(3)), [0xEF, 0xBB, 0xBF], "a UTF-8 byte order mark")
            let text = String(decoding: res.body.readableBytesView.dropFirst(3), as: UTF8.self)
            let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            XCTAssertEqual(lines.count, 3, text)
            XCTAssertTrue(lines[0].hasPrefix("分组,名称,申报量,受理量,作出决定,送达办结,"), lines[0])
            XCTAssertTrue(lines[0].contains("满意度指数"))
            let department = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(Array(department.prefix(6)), [Fixtures.cityDepartment, "福州市市场监督管理局", "2", "1", "0", "0"])
            let total = lines[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            XCTAssertEqual(Array(total.prefix(4)), ["合计", "2026-11-01 至 2026-11-30", "2", "1"])
            XCTAssertEqual(total.count, lines[0].split(separator: ",").count, "every row has every column")
            XCTAssertTrue(total.contains("100.00"), "the satisfaction index of one 非常满意")

            // The same through the Accept header.
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .accept, value: "text/csv")
            res = try await call(app, .GET, "/api/v1/statistics?from=2026-11-01&to=2026-11-30", headers: headers)
            XCTAssertEqual(res.headers.contentType?.subType, "csv")
            XCTAssertTrue(res.body.string.contains("合计"))
            // JSON otherwise.
            res = try await call(app, .GET, "/api/v1/statistics?from=2026-11-01&to=2026-11-30")
            XCTAssertEqual(res.headers.contentType?.subType, "json")
        }
    }
}

// MARK: - Counting from the raw rows

/// The facts of the statistics counted straight from the records, with none of the platform's
/// counting code: submissions from a draft, acceptances, refusals, decisions (on time against
/// the case's deadline), deliveries, reviews by level unless an appeal against them was upheld,
/// and rectifications closed on time or late.
enum RawFacts {
    struct Fact {
        var day: String
        var department: String
        var channel: String
        var item: String
        var region: String
        var counter: StatisticsCounter
    }

    static func read(_ app: Application) async throws -> [Fact] {
        var facts: [Fact] = []
        let cases = try await CaseRecord.query(on: app.db).all()
        let byID = Dictionary(uniqueKeysWithValues: cases.compactMap { record in record.id.map { ($0, record) } })
        for event in try await CaseEventRecord.query(on: app.db).all() {
            guard let record = byID[event.caseID] else { continue }
            let day = LocalDate(event.at).description
            func add(_ counter: StatisticsCounter) { facts.append(
                    Fact(day: day, department: record.departmentCode, channel: record.channel, item: record.itemCode, region: record.regionCode, counter: counter)) }
            switch event.action {
            case "submit" where event.fromState == "draft": add(.applications)
            case "accept": add(.accepted)
            case "rejectAtAcceptance": add(.notAccepted)
            case "approve", "deny", "approveOnTimeout":
                add(.decided)
                if record.deadline.map({ day <= $0 }) ?? true { add(.decidedOnTime) }
            case "deliver": add(.concluded)
            default: break
            }
        }
        let rectifications = try await RectificationRecord.query(on: app.db).all()
        let byReview = Dictionary(uniqueKeysWithValues: rectifications.map { ($0.reviewID, $0) })
        for review in try await ReviewRecord.query(on: app.db).filter(\.$subjectKindRaw != "rectification").all() {
            func add(_ counter: StatisticsCounter) {
                facts.append(
                    Fact(
                        day: review.day, department: review.departmentCode, channel: review.serviceChannel, item: review.itemCode, region: review.regionCode,
                        counter: counter))
            }
            let rectification = review.id.flatMap { byReview[$0] }
            if rectification?.stateRaw == "appealUpheld" {
                add(.reviewsExcluded)
            } else {
                add(.reviews(ReviewLevel(rawValue: review.levelRaw) ?? .basicallySatisfied))
            }
            if let rectification, rectification.stateRaw == "completed" { add(rectification.onTime == true ? .rectifiedOnTime : .rectifiedLate) }
        }
        return facts
    }

    /// The facts of a period, counted by group.
    static func count(_ facts: [Fact], from: String, to: String, by key: (Fact) -> String) -> [String: Tally] {
        var groups: [String: Tally] = [:]
        for fact in facts where fact.day >= from && fact.day <= to {
            groups[key(fact), default: Tally()][fact.counter] += 1
        }
        return groups
    }

    /// The API's indicators against the raw counts.
    static func assertEqual(_ answered: Indicators, _ raw: Tally, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(answered.applications, raw[.applications], "applications \(label)", file: file, line: line)
        XCTAssertEqual(answered.accepted, raw[.accepted], "accepted \(label)", file: file, line: line)
        XCTAssertEqual(answered.decided, raw[.decided], "decided \(label)", file: file, line: line)
        XCTAssertEqual(answered.concluded, raw[.concluded], "concluded \(label)", file: file, line: line)
        XCTAssertEqual(answered.reviewsByLevel, ReviewLevel.allCases.map { raw[.reviews($0)] }, "reviews by level \(label)", file: file, line: line)
        XCTAssertEqual(answered.excludedReviews, raw[.reviewsExcluded], "excluded \(label)", file: file, line: line)
        let onTime = raw[.decided] == 0 ? nil : Double(raw[.decidedOnTime]) / Double(raw[.decided])
        XCTAssertEqual(answered.onTimeRate.map { ($0 * 10_000).rounded() }, onTime.map { ($0 * 10_000).rounded() }, "on time \(label)", file: file, line: line)
        let bad = raw[.reviewsLevel1] + raw[.reviewsLevel2]
        let rectified = bad == 0 ? nil : Double(raw[.rectifiedOnTime]) / Double(bad)
        XCTAssertEqual(answered.rectifiedOnTimeShare.map { ($0 * 10_000).rounded() }, rectified.map { ($0 * 10_000).rounded() }, "rectified \(label)", file: file, line: line)
    }
}

// MARK: - A small city, simulated

/// A deterministic generator (SplitMix64), so a failing run replays exactly.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives the platform through its services as a city would, day by day, with a seeded
/// generator: cases filed online (web, mobile, API) and at the window take random paths
/// (correction and resubmission, refusal, review, approval or denial, certificate, delivery,
/// withdrawal); applicants rate them through every door (the page, the SMS link, the hotline);
/// visitors rate visits at two departments' windows; bad reviews go round the rectification
/// loop, appeals included; the deadline watch runs each night.
final class CitySimulation {
    struct Tracked {
        var id: UUID
        var applicant: ApplicantRecord
        var atWindow: Bool
        var state: CaseState
        var number: String?
        var resubmissions = 0
    }

    let app: Application
    let clock: FixedTimeSource
    var random: SeededRandom
    let factory: CaseFactory
    var applicants: [ApplicantRecord] = []
    var cases: [Tracked] = []
    var rated: [UUID: Set<ReviewStage>] = [:]
    var ratedRectifications: Set<UUID> = []
    /// How often each path was taken.
    var log: [String: Int] = [:]

    /// Who handles the bad reviews of each department.
    static let handlers: [String: (account: String, grants: [Grant])] = [
        Fixtures.cityDepartment: ("approver", cityApprover), Fixtures.districtDepartment: ("district.approver", ReviewKit.districtApprover),
    ]
    static let windows: [(code: String, clerk: String, grants: [Grant])] = [("A01", "clerk", cityClerk), ("B01", "district.clerk", ReviewKit.districtClerk)]

    init(app: Application, clock: FixedTimeSource, seed: UInt64) async throws {
        self.app = app
        self.clock = clock
        random = SeededRandom(seed: seed)
        factory = CaseFactory(app: app)
        applicants = [try await makeApplicant(app, citizenID), try await makeApplicant(app, agentID)]
        try await ReviewKit.window(app, "A01")
        try await ReviewKit.window(app, "B01", department: Fixtures.districtDepartment, region: Fixtures.district)
    }

    func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
    func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
    func note(_ path: String) { log[path, default: 0] += 1 }

    func context(_ actor: Actor, channel: String = "api") throws -> DomainContext {
        var audit = CaseFactory.audit(actor)
        audit.channel = channel
        return try DomainContext(app: app, actor: actor, audit: audit)
    }

    func run(days: Int, cases target: Int) async throws {
        for day in 0..<days {
            let left = target - cases.count
            let today = day == days - 1 ? left : min(left, Int.random(in: 3...7, using: &random))
            for _ in 0..<max(0, today) { try await file() }
            for index in cases.indices where chance(0.65) { try await advance(index) }
            for index in cases.indices where chance(0.35) { try await rate(index) }
            for _ in 0..<Int.random(in: 1...3, using: &random) { try await visit() }
            try await handleRectifications(probability: 0.55)
            try await rateRectifications()
            try await DeadlineWatch(app: app).runOnce()
            clock.advance(by: 86_400)
        }
    }

    /// Every case still waiting for its decision gets one.
    func decideOpenCases() async throws {
        for index in cases.indices where [.accepted, .underReview].contains(cases[index].state) {
            if chance(0.7) { try await act(index, .approve, by: .approver) } else { try await act(index, .deny, by: .approver, reason: "逾期补正后仍不符合条件") }
        }
    }

    /// Every open loop is taken to its end.
    func settleRectifications() async throws {
        for _ in 0..<4 { try await handleRectifications(probability: 1) }
        try await rateRectifications()
    }

    // MARK: Cases

    func file() async throws {
        let applicant = pick(applicants)
        let atWindow = chance(0.3)
        let form: [String: JSONValue] = ["applicantName": .string(applicant.name), "businessKind": .string("预包装食品销售")]
        let body = NewCaseRequest(item: chance(0.6) ? foodCode : workshopCode, form: form, applicant: atWindow ? applicant.id : nil, submit: chance(0.85))
        let service =
            atWindow
            ? try factory.service(.clerk, for: applicant)
            : CaseService(try context(CaseFactory.actor(applicant), channel: pick(["web", "mobile", "api"])))
        let record = try await service.create(body, idempotencyKey: UUID().uuidString).record
        let id = try record.requireID()
        try await factory.supply(id, [1, 3], by: service)
        cases.append(Tracked(id: id, applicant: applicant, atWindow: atWindow, state: record.state, number: record.number))
        note("file")
        if record.state == .submitted { note("submit") }
    }

    func act(_ index: Int, _ action: CaseAction, by party: CaseFactory.Party, reason: String? = nil) async throws {
        let record = try await factory.step(action, on: cases[index].id, by: party, for: cases[index].applicant, reason: reason)
        cases[index].state = record.state
        cases[index].number = record.number
        note(action.rawValue)
    }

    /// The applicant's own steps: online by themselves, at the window through the clerk.
    func applicantParty(_ index: Int) -> CaseFactory.Party { cases[index].atWindow ? .clerk : .applicant }

    func advance(_ index: Int) async throws {
        let roll = Double.random(in: 0..<1, using: &random)
        switch cases[index].state {
        case .draft:
            if roll < 0.7 { try await act(index, .submit, by: applicantParty(index)) } else if roll < 0.8 { try await act(index, .withdraw, by: applicantParty(index)) }
        case .submitted, .preReview:
            if roll < 0.55 {
                try await act(index, .accept, by: .clerk)
            } else if roll < 0.75 {
                try await act(index, .requestCorrection, by: .clerk, reason: "请补充经营场所说明")
            } else if roll < 0.85 {
                try await act(index, .rejectAtAcceptance, by: .clerk, reason: "不属于本部门职权范围")
            } else if roll < 0.9 {
                try await act(index, .withdraw, by: applicantParty(index))
            }
        case .correctionRequested:
            if roll < 0.75 {
                try await act(index, .submit, by: applicantParty(index))
                cases[index].resubmissions += 1
                note("resubmit")
            } else if roll < 0.82 {
                try await act(index, .withdraw, by: applicantParty(index))
            }
        case .accepted:
            if roll < 0.35 {
                try await act(index, .review, by: .approver)
            } else if roll < 0.6 {
                try await act(index, .approve, by: .approver)
            } else if roll < 0.72 {
                try await act(index, .deny, by: .approver, reason: "经营场所不符合要求")
            } else if roll < 0.77 {
                try await act(index, .withdraw, by: applicantParty(index))
            }
        case .underReview:
            if roll < 0.5 { try await act(index, .approve, by: .approver) } else if roll < 0.7 { try await act(index, .deny, by: .approver, reason: "材料不实") }
        case .approved:
            if roll < 0.7 { try await act(index, .issueCertificate, by: .approver) } else { try await act(index, .deliver, by: .clerk) }
        case .certificateIssued, .denied, .notAccepted:
            if roll < 0.7 { try await act(index, .deliver, by: .clerk) }
        case .delivered:
            if roll < 0.3 { try await act(index, .close, by: .clerk) }
        default:
            break
        }
    }

    // MARK: Reviews

    func submission() -> ReviewSubmission {
        let level = pick([5, 5, 5, 4, 4, 3, 2, 2, 1, 1])
        return ReviewSubmission(level: level, reasons: level <= 2 ? ["tooSlow"] : [], text: pick(["", "办事顺利", "等候太久，电话13800000001"]))
    }

    func rate(_ index: Int) async throws {
        let tracked = cases[index]
        guard let stage = ReviewStage.of(tracked.state), !(rated[tracked.id]?.contains(stage) ?? false) else { return }
        let submission = submission()
        let link = try await OutboxRecord.query(on: app.db).filter(\.$dedupeKey == "review-invitation:\(tracked.id.uuidString):\(stage.rawValue)").first()
        let door = pick(["self", "self", "link", "phone"])
        if door == "link", link != nil {
            let token = EvaluationService.token(caseID: tracked.id, stage: stage, keys: try app.keyRing)
            _ = try await EvaluationService(try context(.anonymous, channel: "web")).rateByInvitation(token: token, submission, channel: .sms)
            note("rate.sms")
        } else if door == "phone", let number = tracked.number {
            _ = try await EvaluationService(try context(.staff(account: "hotline", grants: ReviewKit.hotline))).recordPhoneRating(caseNumber: number, submission)
            note("rate.phone")
        } else {
            let channel = pick([ReviewChannel.web, .mobile, .qrCode])
            _ = try await EvaluationService(try context(CaseFactory.actor(tracked.applicant))).rateCase(tracked.id, submission, channel: channel)
            note("rate.\(channel.rawValue)")
        }
        if (submission.level ?? 3) <= 2 { note("rate.bad") }
        rated[tracked.id, default: []].insert(stage)
    }

    func visit() async throws {
        let window = pick(Self.windows)
        let clerk = EvaluationService(try context(.staff(account: window.clerk, grants: window.grants)))
        let visitor = chance(0.7) ? pick(applicants).id?.uuidString : nil
        let visit = try await clerk.startVisit(window: window.code, applicantID: visitor)
        _ = try await clerk.endVisit(window: window.code)
        guard chance(0.8) else { return }
        var submission = submission()
        if (submission.level ?? 3) <= 2 { submission.reasons = [pick(["longWait", "attitudePoor", "tooSlow"])] }
        _ = try await EvaluationService(try context(.anonymous, channel: "web")).rateVisit(window: window.code, visitID: try visit.requireID(), submission)
        note("rate.visit")
    }

    // MARK: Rectifications

    func handleRectifications(probability: Double) async throws {
        let open = try await RectificationRecord.query(on: app.db).filter(\.$stateRaw ~~ RectificationState.allCases.filter(\.isOpen).map(\.rawValue))
            .sort(\.$createdAt).all()
        for record in open where chance(probability) {
            guard let handler = Self.handlers[record.departmentCode] else { throw Abort(.internalServerError, reason: "no handler for \(record.departmentCode)") }
            let id = try record.requireID()
            switch record.state {
            case .awaitingVerification:
                let kind: RectificationKind = chance(0.3) ? pick([.appealMistaken, .appealMalicious]) : pick([.immediate, .scheduled, .explanation])
                try await ReviewKit.runStep(app, id, .init(action: .verify, kind: kind, text: "已核实"), as: handler.account, handler.grants)
                note("verify")
            case .rectifying:
                try await ReviewKit.runStep(app, id, .init(action: .reply, text: "已整改并答复"), as: handler.account, handler.grants)
                note("reply")
            case .replied:
                try await ReviewKit.runStep(app, id, .init(action: .returnVisit, text: "已回访", flag: chance(0.8)), as: handler.account, handler.grants)
                note("returnVisit")
            case .appealed:
                let upheld = chance(0.5)
                try await ReviewKit.runStep(app, id, .init(action: .decideAppeal, text: "复核意见", flag: upheld), as: "supervisor", ReviewKit.supervisor)
                note(upheld ? "appealUpheld" : "appealRejected")
            case .completed, .appealUpheld:
                break
            }
        }
    }

    /// Reviewers rate some closed rectifications (not counted as reviews of the service).
    func rateRectifications() async throws {
        let closed = try await RectificationRecord.query(on: app.db).filter(\.$stateRaw == RectificationState.completed.rawValue).all()
        for record in closed where !ratedRectifications.contains(record.reviewID) && chance(0.5) {
            guard let review = try await ReviewRecord.find(record.reviewID, on: app.db),
                let reviewer = applicants.first(where: { $0.id?.uuidString == review.reviewerID })
            else { continue }
            _ = try await EvaluationService(try context(CaseFactory.actor(reviewer))).rateRectification(reviewID: record.reviewID, level: pick([4, 3, 2]), text: nil)
            ratedRectifications.insert(record.reviewID)
            note("rectificationRating")
        }
    }
}
