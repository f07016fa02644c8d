import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Watches running deadlines: raises the yellow warning and the red alert once each to the
/// handling department's queue (and tells the applicant when a case is overdue), and approves on
/// timeout where the item allows it. Each run reads every open case whose deadline is near or past
/// and not yet alerted, so it catches up after downtime; each alert is claimed with a
/// compare-and-set, so several instances raise it once.
struct DeadlineWatch {
    let app: Application

    struct Report: Equatable {
        var warned = 0
        var overdue = 0
        var approvedOnTimeout = 0
        /// Rectifications of bad reviews warned and overdue (差评整改预警、超期).
        var rectificationsWarned = 0
        var rectificationsOverdue = 0
    }

    @discardableResult
    func runOnce(batch: Int = 1000) async throws -> Report {
        let db = app.db
        guard db is any SQLDatabase else { return Report() }
        let now = app.timeSource.now()
        let today = LocalDate(now)
        let calendar = try await app.calendarStore.calendar(on: db, now: now)
        let warnWithin = app.settings.deadlineWarningDays
        var report = Report()
        // Two index ranges, however many cases are open: cases not yet alerted whose deadline is
        // near or past, and warned cases whose deadline has now passed. Only their ids are read
        // (no ordering, so no engine is tempted to walk the whole table), then the rows in batches.
        let cutoff = DeadlineClock.warningCutoff(today: today, warnWithin: warnWithin, calendar: calendar).description
        var due: [UUID] = []
        for (level, last, inclusive) in [("none", cutoff, true), ("yellow", today.description, false)] {
            let query = CaseRecord.query(on: db).filter(\.$stateRaw ~~ [CaseState.accepted.rawValue, CaseState.underReview.rawValue])
                .filter(\.$alertLevel == level)
            if inclusive { query.filter(\.$deadline <= last) } else { query.filter(\.$deadline < last) }
            due += try await query.all(\.$id)
        }
        // Overdue cases already alerted whose item approves on timeout and whose 容缺 materials
        // have since arrived: the approval the watch could not give before.
        due += try await CaseRecord.query(on: db).filter(\.$approvesOnTimeout == true).filter(\.$alertLevel == "red")
            .filter(\.$deadline < today.description).filter(\.$stateRaw ~~ [CaseState.accepted.rawValue, CaseState.underReview.rawValue])
            .filter(\.$deferredOutstanding == false).all(\.$id)
        for start in stride(from: 0, to: due.count, by: batch) {
            let cases = try await CaseRecord.query(on: db).filter(\.$id ~~ Array(due[start..<min(start + batch, due.count)])).all()
            for record in cases {
                let urgency = record.urgency(today: today, warnWithin: warnWithin, calendar: calendar)
                if urgency == .red && record.approvesOnTimeout {
                    do {
                        _ = try await CaseService(try .platform(app, job: "deadline-watch")).perform(.approveOnTimeout, reason: "办理期限届满，依法视为准予", on: record.id!)
                        report.approvedOnTimeout += 1
                        continue
                    } catch let error as DomainError where error.kind == .conflict {
                        // Another instance decided it first, or deferred materials block it: alert instead.
                    } catch {
                        // Anything else stops this case only; it is alerted instead and retried next run.
                        app.logger.error("deadline watch could not approve case \(record.id?.uuidString ?? "?") on timeout: \(String(reflecting: error))")
                    }
                }
                guard urgency.alertRank > (CaseUrgency(rawValue: record.alertLevel)?.alertRank ?? 0) else { continue }
                // One case that cannot be alerted must not keep the watch from every other case.
                do {
                    if try await raise(urgency, for: record, at: now, on: db) {
                        if urgency == .yellow { report.warned += 1 } else { report.overdue += 1 }
                    }
                } catch {
                    app.logger.error("deadline watch could not alert case \(record.id?.uuidString ?? "?"): \(String(reflecting: error))")
                }
            }
        }
        try await watchRectifications(today: today, cutoff: cutoff, calendar: calendar, now: now, into: &report)
        return report
    }

    /// The same watch over the rectifications of bad reviews: yellow within the warning days,
    /// red once the 15 working days have passed, each raised once to the handling department.
    private func watchRectifications(today: LocalDate, cutoff: String, calendar: WorkingCalendar, now: Date, into report: inout Report) async throws {
        let open = RectificationState.allCases.filter(\.isOpen).map(\.rawValue)
        var due: [RectificationRecord] = []
        for (level, last, inclusive) in [("none", cutoff, true), ("yellow", today.description, false)] {
            let query = RectificationRecord.query(on: app.db).filter(\.$stateRaw ~~ open).filter(\.$alertLevel == level)
            if inclusive { query.filter(\.$deadline <= last) } else { query.filter(\.$deadline < last) }
            due += try await query.all()
        }
        for record in due {
            let urgency = record.urgency(today: today, warnWithin: app.settings.deadlineWarningDays, calendar: calendar)
            guard urgency.alertRank > (CaseUrgency(rawValue: record.alertLevel)?.alertRank ?? 0), let id = record.id else { continue }
            let (level, seen, overdue) = (urgency.rawValue, record.alertLevel, urgency == .red)
            let message = OutboxRecord(
                dedupeKey: "rectification:\(id.uuidString):deadline:\(level)", caseID: record.caseID, recipient: "department:" + record.departmentCode,
                channel: "inbox", subject: overdue ? "差评整改超期：\(record.itemName)" : "差评整改即将到期：\(record.itemName)",
                body: "整改期限 \(record.deadline)" + (overdue ? "，已超期，请立即整改并回访评价人。" : "，请抓紧核实整改。"), at: now)
            do {
                let raised = try await AuditTrail.writeTransaction(on: app.db) { tx in
                    struct Claimed: Decodable { var id: UUID }
                    guard
                        try await !tx.sql().update(RectificationRecord.schema).set("alert_level", to: level).where("id", .equal, id)
                            .where("alert_level", .equal, seen).returning("id").all(decoding: Claimed.self).isEmpty
                    else { return false }
                    if try await OutboxRecord.query(on: tx).filter(\.$dedupeKey == message.dedupeKey).count() == 0 { try await message.create(on: tx) }
                    try await AuditTrail.append(
                        AuditContext.system("system:deadline-watch").entry(
                            overdue ? "rectification.deadlineOverdue" : "rectification.deadlineWarning", subjectType: "rectification",
                            subjectID: id.uuidString, owner: record.owner, after: record.deadline, at: now),
                        on: tx)
                    return true
                }
                if raised { if overdue { report.rectificationsOverdue += 1 } else { report.rectificationsWarned += 1 } }
            } catch {
                app.logger.error("deadline watch could not alert rectification \(id.uuidString): \(String(reflecting: error))")
            }
        }
    }

    /// Claims the alert with a compare-and-set (of several instances, one raises it) and writes
    /// the claim, the messages and the audit event in one transaction: an alert is never marked
    /// raised without being sent and recorded. Answers whether this run raised it.
    private func raise(_ urgency: CaseUrgency, for record: CaseRecord, at now: Date, on db: any Database) async throws -> Bool {
        let (level, overdue) = (urgency.rawValue, urgency == .red)
        let subject = overdue ? "办件超期：\(record.itemName)" : "办件即将到期：\(record.itemName)"
        let body = "受理编号 \(record.number ?? "")，办理期限 \(record.deadline ?? "")" + (overdue ? "，已超期，请立即处理并说明原因。" : "，请抓紧办理。")
        var messages = [
            OutboxRecord(
                dedupeKey: "\(record.id!.uuidString):deadline:\(record.deadline ?? ""):\(level):staff", caseID: record.id, recipient: "department:" + record.departmentCode,
                channel: "inbox", subject: subject, body: body, at: now)
        ]
        if overdue {
            messages.append(OutboxRecord(
                dedupeKey: "\(record.id!.uuidString):deadline:\(record.deadline ?? ""):red:applicant", caseID: record.id, recipient: "applicant:" + record.applicantID,
                channel: "inbox", subject: "您的办件已超过办理期限", body: "您申报的“\(record.itemName)”已超过承诺办理期限，监察部门已督办。", at: now))
        }
        let queued = messages
        let (id, seen) = (record.id!, record.alertLevel)
        return try await AuditTrail.writeTransaction(on: db) { tx in
            struct Claimed: Decodable { var id: UUID }
            guard let sql = tx as? any SQLDatabase,
                try await !sql.update(CaseRecord.schema).set("alert_level", to: level)
                    .where("id", .equal, id).where("alert_level", .equal, seen)
                    .returning("id").all(decoding: Claimed.self).isEmpty
            else { return false }
            // A message already queued for this deadline and level (the alert was claimed again
            // after a special procedure left the deadline where it was) is not queued twice.
            let keys = queued.map(\.dedupeKey)
            let sent = Set(try await OutboxRecord.query(on: tx).filter(\.$dedupeKey ~~ keys).all(\.$dedupeKey))
            for message in queued where !sent.contains(message.dedupeKey) { try await message.create(on: tx) }
            try await AuditTrail.append(
                AuditContext.system("system:deadline-watch").entry(
                    overdue ? "case.deadlineOverdue" : "case.deadlineWarning", subjectType: "case", subjectID: record.id!.uuidString,
                    owner: record.owner, after: record.deadline, at: now),
                on: tx)
            return true
        }
    }
}
