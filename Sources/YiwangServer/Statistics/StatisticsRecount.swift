import Fluent
import Foundation
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
    static func recount(on db: any Database, batch: Int = 2000) async throws -> (days: [TallyKey: Tally], names: [String: String]) {
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
            let query = CaseRecord.query(on: db).sort(\.$id).limit(batch)
            if let after { query.filter(\.$id > after) }
            let cases = try await query.all()
            guard let last = cases.last?.id else { break }
            after = last
            let ids = cases.compactMap(\.id)
            let events = Dictionary(grouping: try await CaseEventRecord.query(on: db).filter(\.$caseID ~~ ids).sort(\.$at).all(), by: \.caseID)
            let materials = Dictionary(
                grouping: try await CaseMaterialRecord.query(on: db).filter(\.$caseID ~~ ids).filter(\.$afterAcceptance == false).all(), by: \.caseID)
            for record in cases {
                guard let id = record.id, let timeline = events[id] else { continue }
                let guide: ServiceGuide
                if let known = guides[record.versionID] {
                    guide = known
                } else {
                    guide = try await CaseService.guide(version: record.versionID, on: db)
                    guides[record.versionID] = guide
                }
                let submissions = Set(timeline.filter { $0.action == CaseAction.submit.rawValue }.map { LocalDate($0.at) })
                for event in timeline {
                    guard let action = CaseAction(rawValue: event.action), let from = CaseState(rawValue: event.fromState) else { continue }
                    let facts = CaseStatistics.facts(
                        action, record, guide: guide, materialsGiven: materials[id] ?? [], submissionDays: submissions)
                    let day = LocalDate(event.at)
                    add(StatisticsRules.caseStep(action, from: from, on: day, facts: facts), CaseStatistics.key(record, on: day))
                }
            }
        }
        // Reviews, their exclusion on appeal and their rectification's outcome.
        var reviewAfter: UUID?
        while true {
            let query = ReviewRecord.query(on: db).sort(\.$id).limit(batch)
            if let reviewAfter { query.filter(\.$id > reviewAfter) }
            let reviews = try await query.all()
            guard let last = reviews.last?.id else { break }
            reviewAfter = last
            let counted = reviews.filter { $0.subjectKind != .rectification }
            let ids = counted.compactMap(\.id)
            let rectifications = Dictionary(
                (ids.isEmpty ? [] : try await RectificationRecord.query(on: db).filter(\.$reviewID ~~ ids).all()).map { ($0.reviewID, $0) },
                uniquingKeysWith: { first, _ in first })
            for review in counted {
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

    /// Recounts and compares with both summary tables.
    static func compare(on db: any Database) async throws -> (differences: [Difference], recount: (days: [TallyKey: Tally], names: [String: String])) {
        let recount = try await recount(on: db)
        var months: [TallyKey: Tally] = [:]
        for (key, tally) in recount.days { months[key.month, default: Tally()] += tally }
        var differences: [Difference] = []
        for (table, expected) in [(StatisticsLedger.daily, recount.days), (StatisticsLedger.monthly, months)] {
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
    /// The same facts as `facts(_:_:guide:on:)`, from rows already read (the recount's batches).
    static func facts(_ action: CaseAction, _ record: CaseRecord, guide: ServiceGuide, materialsGiven: [CaseMaterialRecord], submissionDays: Set<LocalDate>) -> CaseStatisticsFacts {
        var facts = CaseStatisticsFacts(filedOnline: StatisticsRules.isOnline(channel: record.channel), deadline: record.deadline.flatMap { try? LocalDate($0) })
        switch action {
        case .accept:
            let spared = Set(materialsGiven.filter { $0.reusedFrom != nil || $0.licenceIdentifier != nil }.map(\.materialIndex))
            facts.materialsRequired = guide.materials.count
            facts.materialsSpared = guide.materials.indices.filter { guide.materials[$0].source.isHeldByPlatform || spared.contains($0) }.count
        case .deliver:
            facts.visits = StatisticsRules.visits(filedAtWindow: !facts.filedOnline, submissionDays: submissionDays, requiredVisits: guide.requiredVisits)
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
            var days: [TallyKey: Tally] = [:]
            for (key, tally) in recount.days {
                var named = key
                named.itemName = recount.names[key.itemCode] ?? ""
                days[named] = tally
            }
            try await StatisticsLedger.replace(with: days, on: app.db)
            let ctx = try DomainContext(app: app, actor: .anonymous, audit: .system("cli:statistics", channel: "cli"), isPlatform: true)
            try await ctx.write { tx in
                try await AuditTrail.append(ctx.entry("statistics.rebuild", subjectType: "statistics", subjectID: "summaries", after: "修复 \(differences.count) 处差异"), on: tx)
            }
            context.console.print("已按原始记录重写汇总表。")
        } else {
            throw CommandError("汇总表与原始记录不一致（加 --repair 按原始记录重写）。")
        }
    }
}
