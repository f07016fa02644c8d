import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Recounts every summary from the records themselves (each case's timeline and materials, each
/// review, each rectification), with the same rules and the same facts the live transactions
/// use, and compares the result with the summary tables. `yiwang statistics rebuild` reports
/// every difference (there should be none) and, with `--repair`, writes the recount.
enum StatisticsRecount {
    struct Difference: Sendable, Equatable {
        var table: String
        var key: TallyKey
        var counter: StatisticsCounter
        var stored: Int
        var recounted: Int
    }

    /// The daily tallies the records imply, keyed without item names (and the names beside).
    /// Reads only the columns the rules need, with SQL, in batches of cases by id (their
    /// timelines and materials by the same id range): a million cases are recounted in a
    /// fraction of the time whole models would take, with the same rules and facts.
    static func recount(on db: any Database, batch: Int = 5000) async throws -> (days: [TallyKey: Tally], names: [String: String]) {
        let sql = try db.sql()
        var days: [TallyKey: Tally] = [:]
        var names: [String: String] = [:]
        var guides: [UUID: ServiceGuide] = [:]
        func add(_ tally: Tally, _ key: TallyKey) {
            guard !tally.isZero else { return }
            names[key.itemCode] = key.itemName
            days[key.withoutName, default: Tally()] += tally
        }
        var after: UUID?
        while true {
            var query = sql.select().columns("id", "item_code", "item_name", "version_id", "department_code", "region_code", "channel", "deadline")
                .from(CaseRecord.schema)
            if let after { query = query.where("id", .greaterThan, after) }
            let rows = try await query.orderBy("id").limit(batch).all()
            guard let firstRow = rows.first, let lastRow = rows.last else { break }
            let first = try firstRow.decode(column: "id", as: UUID.self)
            let last = try lastRow.decode(column: "id", as: UUID.self)
            after = last
            // The batch is every case with an id in [first, last]: their steps and materials are that range.
            var timelines: [UUID: [(at: Date, action: String, from: String)]] = [:]
            for row in try await sql.select().columns("case_id", "at", "action", "from_state").from(CaseEventRecord.schema)
                .where("case_id", .greaterThanOrEqual, first).where("case_id", .lessThanOrEqual, last).all()
            {
                timelines[try row.decode(column: "case_id", as: UUID.self), default: []].append(
                    (try row.decode(column: "at", as: Date.self), try row.decode(column: "action", as: String.self), try row.decode(column: "from_state", as: String.self)))
            }
            // Materials given before acceptance that the applicant did not have to give again (reused, or a wallet licence).
            var spared: [UUID: Set<Int>] = [:]
            for row in try await sql.select().columns("case_id", "material_index", "reused_from", "licence_identifier").from(CaseMaterialRecord.schema)
                .where("case_id", .greaterThanOrEqual, first).where("case_id", .lessThanOrEqual, last).where("after_acceptance", .equal, false).all()
            {
                guard try row.decodeNil(column: "reused_from") == false || row.decodeNil(column: "licence_identifier") == false else { continue }
                spared[try row.decode(column: "case_id", as: UUID.self), default: []].insert(try row.decode(column: "material_index", as: Int.self))
            }
            for row in rows {
                let id = try row.decode(column: "id", as: UUID.self)
                guard let timeline = timelines[id] else { continue }
                let version = try row.decode(column: "version_id", as: UUID.self)
                let guide: ServiceGuide
                if let known = guides[version] {
                    guide = known
                } else {
                    guide = try await CaseService.guide(version: version, on: db)
                    guides[version] = guide
                }
                let itemCode = try row.decode(column: "item_code", as: String.self)
                let itemName = try row.decode(column: "item_name", as: String.self)
                let departmentCode = try row.decode(column: "department_code", as: String.self)
                let regionCode = try row.decode(column: "region_code", as: String.self)
                let channel = try row.decode(column: "channel", as: String.self)
                let base = CaseStatistics.baseFacts(channel: channel, deadline: try row.decode(column: "deadline", as: String?.self))
                let given = spared[id] ?? []
                for event in timeline {
                    guard let action = CaseAction(rawValue: event.action), let from = CaseState(rawValue: event.from) else { continue }
                    let facts = CaseStatistics.facts(
                        action, base: base, guide: guide, spared: given,
                        submissionDays: Set(timeline.filter { $0.action == CaseAction.submit.rawValue }.map { chinaDay($0.at) }))
                    let day = chinaDay(event.at)
                    // As CaseStatistics.key(_:on:) keys a case's step.
                    let key = TallyKey(day: day, itemCode: itemCode, itemName: itemName, departmentCode: departmentCode, regionCode: regionCode, channel: channel)
                    add(StatisticsRules.caseStep(action, from: from, on: day, facts: facts), key)
                }
            }
        }
        // Reviews, their exclusion on appeal and their rectification's outcome. The rows are read
        // into the models (not from the database) so that their readings (level, kind, day,
        // state) are the very ones the live path uses.
        var rectifications: [UUID: RectificationRecord] = [:]
        for row in try await sql.select().columns("review_id", "state", "on_time").from(RectificationRecord.schema).all() {
            let record = RectificationRecord()
            record.reviewID = try row.decode(column: "review_id", as: UUID.self)
            record.stateRaw = try row.decode(column: "state", as: String.self)
            record.onTime = try row.decode(column: "on_time", as: Bool?.self)
            if rectifications[record.reviewID] == nil { rectifications[record.reviewID] = record }
        }
        var reviewAfter: UUID?
        while true {
            var query = sql.select().columns(
                "id", "subject_kind", "level", "day", "created_at", "item_code", "item_name", "department_code", "region_code", "service_channel"
            ).from(ReviewRecord.schema)
            if let reviewAfter { query = query.where("id", .greaterThan, reviewAfter) }
            let rows = try await query.orderBy("id").limit(batch).all()
            guard let lastRow = rows.last else { break }
            reviewAfter = try lastRow.decode(column: "id", as: UUID.self)
            for row in rows {
                let review = ReviewRecord()
                review.id = try row.decode(column: "id", as: UUID.self)
                review.subjectKindRaw = try row.decode(column: "subject_kind", as: String.self)
                guard review.subjectKind != .rectification else { continue }
                review.levelRaw = try row.decode(column: "level", as: Int.self)
                review.day = try row.decode(column: "day", as: String.self)
                review.createdAt = try row.decode(column: "created_at", as: Date.self)
                review.itemCode = try row.decode(column: "item_code", as: String.self)
                review.itemName = try row.decode(column: "item_name", as: String.self)
                review.departmentCode = try row.decode(column: "department_code", as: String.self)
                review.regionCode = try row.decode(column: "region_code", as: String.self)
                review.serviceChannel = try row.decode(column: "service_channel", as: String.self)
                add(StatisticsRules.review(review.level), review.tallyKey)
                guard let id = review.id, let rectification = rectifications[id] else { continue }
                switch rectification.state {
                case .appealUpheld: add(StatisticsRules.excluded(review.level), review.tallyKey)
                case .completed: add(StatisticsRules.rectified(onTime: rectification.onTime ?? false), review.tallyKey)
                default: break
                }
            }
        }
        return (days, names)
    }

    /// The China day of an instant, as `LocalDate(_:)` reads it, without building a Calendar per
    /// step: China has kept UTC+8 with no daylight time since 1992 (earlier instants ask the calendar).
    static func chinaDay(_ instant: Date) -> LocalDate {
        let seconds = instant.timeIntervalSince1970
        guard seconds >= 694_224_000 else { return LocalDate(instant) }
        return LocalDate(dayNumber: Int(((seconds + 28_800) / 86_400).rounded(.down)))
    }

    /// Recounts and compares with every summary table, at every level.
    static func compare(on db: any Database) async throws -> (differences: [Difference], recount: (days: [TallyKey: Tally], names: [String: String])) {
        let recount = try await recount(on: db)
        let expectedRows = StatisticsLedger.rows(from: recount.days)
        var differences: [Difference] = []
        for table in StatisticsLedger.tables {
            let expected = expectedRows[table] ?? [:]
            let stored = try await StatisticsLedger.stored(table, on: db)
            for key in Set(stored.keys).union(expected.keys).sorted(by: { ($0.day, $0.itemCode, $0.channel) < ($1.day, $1.itemCode, $1.channel) }) {
                let have = stored[key] ?? Tally()
                let want = expected[key] ?? Tally()
                for (counter, storedValue, recounted) in have.differences(from: want) {
                    differences.append(Difference(table: table, key: key, counter: counter, stored: storedValue, recounted: recounted))
                }
            }
        }
        return (differences, recount)
    }
}

extension CaseStatistics {
    /// The same facts as `facts(_:_:guide:on:)`, from rows already read.
    static func facts(_ action: CaseAction, _ record: CaseRecord, guide: ServiceGuide, materialsGiven: [CaseMaterialRecord], submissionDays: Set<LocalDate>) -> CaseStatisticsFacts {
        let spared = Set(materialsGiven.filter { $0.reusedFrom != nil || $0.licenceIdentifier != nil }.map(\.materialIndex))
        return facts(action, base: baseFacts(channel: record.channel, deadline: record.deadline), guide: guide, spared: spared, submissionDays: submissionDays)
    }

    /// What every step of a case knows: how it was filed and its deadline.
    static func baseFacts(channel: String, deadline: String?) -> CaseStatisticsFacts {
        CaseStatisticsFacts(filedOnline: StatisticsRules.isOnline(channel: channel), deadline: deadline.flatMap { try? LocalDate($0) })
    }

    /// The facts of one step: materials at acceptance (those held by the platform, and `spared`:
    /// indexes given by reuse or from the wallet), visits at delivery (the days it was submitted
    /// are read only then).
    static func facts(
        _ action: CaseAction, base: CaseStatisticsFacts, guide: ServiceGuide, spared: Set<Int>, submissionDays: @autoclosure () -> Set<LocalDate>
    ) -> CaseStatisticsFacts {
        var facts = base
        switch action {
        case .accept:
            facts.materialsRequired = guide.materials.count
            facts.materialsSpared = guide.materials.indices.filter { guide.materials[$0].source.isHeldByPlatform || spared.contains($0) }.count
        case .deliver:
            facts.visits = StatisticsRules.visits(filedAtWindow: !facts.filedOnline, submissionDays: submissionDays(), requiredVisits: guide.requiredVisits)
        default: break
        }
        return facts
    }
}

/// `yiwang statistics rebuild [--repair]`.
struct StatisticsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "operation", help: "rebuild")
        var operation: String
        @Flag(name: "repair", help: "replace the summary tables with the recount when they differ")
        var repair: Bool
    }

    var help: String { "Recounts the statistics' summary tables from the records and reports (or repairs) any difference." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard signature.operation == "rebuild" else { throw CommandError("未知操作“\(signature.operation)”：可用 rebuild。") }
        try await migrateAndPrepare(app)
        let started = Date()
        let (differences, recount) = try await StatisticsRecount.compare(on: app.db)
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        context.console.print("已重算 \(recount.days.count) 个日汇总行（用时 \(seconds) 秒）。")
        if differences.isEmpty {
            context.console.print("汇总表与原始记录一致：0 处差异。")
            return
        }
        for difference in differences.prefix(50) {
            context.console.print(
                "差异 \(difference.table) \(difference.key.day) \(difference.key.itemCode) \(difference.key.channel) \(difference.counter.column)：汇总 \(difference.stored)，重算 \(difference.recounted)")
        }
        context.console.print("共 \(differences.count) 处差异。")
        if signature.repair {
            // Recounted again and rewritten in one write transaction holding the audit chain's
            // head, which every step of a case, a review or a rectification also takes: nothing
            // can commit between the recount and the rewrite, so a running server loses nothing.
            let ctx = try DomainContext(app: app, actor: .anonymous, audit: .system("cli:statistics", channel: "cli"), isPlatform: true)
            let repaired = try await ctx.write { tx in
                let (found, recount) = try await StatisticsRecount.compare(on: tx)
                guard !found.isEmpty else { return 0 }
                var days: [TallyKey: Tally] = [:]
                for (key, tally) in recount.days {
                    var named = key
                    named.itemName = recount.names[key.itemCode] ?? ""
                    days[named] = tally
                }
                try await StatisticsLedger.replace(with: days, on: tx)
                try await AuditTrail.append(ctx.entry("statistics.rebuild", subjectType: "statistics", subjectID: "summaries", after: "修复 \(found.count) 处差异"), on: tx)
                return found.count
            }
            context.console.print("已按原始记录重写汇总表（修复 \(repaired) 处差异）。")
        } else {
            throw CommandError("汇总表与原始记录不一致（加 --repair 按原始记录重写）。")
        }
    }
}
