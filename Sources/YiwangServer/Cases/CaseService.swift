import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

struct NewCaseRequest: Content {
    /// The implementation code of a published item.
    var item: String
    var form: [String: JSONValue]
    /// Submit at once (true) or keep as a draft.
    var submit: Bool?
}

struct TransitionRequest: Content {
    var action: CaseAction
    var reason: String?
}

struct CaseView: Content {
    struct Item: Content {
        var code: String
        var name: String
    }

    struct Step: Content {
        var at: Date
        var action: String
        var actionName: String
        var state: String
        var stateName: String
        var actor: String
        var channel: String
        var reason: String?
    }

    var id: UUID
    var number: String?
    var state: CaseState
    var stateName: String
    var item: Item
    var channel: String
    var deadline: String?
    var deadlineProvisional: Bool
    var form: [String: JSONValue]
    var allowedActions: [CaseAction]
    var timeline: [Step]
    var createdAt: Date
    var updatedAt: Date
}

/// Cases: filing, and the one lifecycle function through which every change of a case passes,
/// writing the new state, the timeline step, the audit event and the notifications in a single
/// transaction.
struct CaseService {
    let db: any Database
    let now: Date
    let actor: Actor
    let context: AuditContext
    let calendars: CalendarStore
    let keys: KeyRing
    /// The platform itself (background jobs): may take the actions no person may, such as
    /// approval on timeout, and nothing else is checked against a person's grants.
    let isPlatform: Bool

    init(request: Request) throws {
        db = request.db
        now = request.now
        actor = request.actor
        context = request.auditContext
        calendars = request.application.calendarStore
        keys = try request.application.keyRing
        isPlatform = false
    }

    /// The platform acting on its own, named in the trail.
    init(platform app: Application, job: String) throws {
        db = app.db
        now = app.timeSource.now()
        actor = .anonymous
        context = .system("system:" + job)
        calendars = app.calendarStore
        keys = try app.keyRing
        isPlatform = true
    }

    var today: LocalDate { LocalDate(now) }

    // MARK: Filing

    /// Files a case for the caller (or the company they act for). A retried request with the same
    /// Idempotency-Key and body answers the case it created; with another body, 409.
    func create(_ body: NewCaseRequest, idempotencyKey: String?) async throws -> (record: CaseRecord, created: Bool) {
        guard case .applicant(let applicant) = actor else {
            if case .anonymous = actor { throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录后再申报。") }
            throw DomainError.forbidden("只有申请人可以在网上申报；窗口代办请使用窗口受理。")
        }
        try Policy.authorize(actor, .applyForService, on: .applicant(applicant.principalID))
        guard let key = idempotencyKey?.trimmingCharacters(in: .whitespaces), !key.isEmpty, key.count <= 100 else {
            throw DomainError.invalid("case.idempotency_key", "请在 Idempotency-Key 请求头中提供本次申报的唯一标识(不超过100个字符)，以免重试时重复申报。")
        }
        let scopeKey = applicant.principalID + ":" + key
        let hash = try Self.fingerprint(body)
        if let replay = try await replayed(scopeKey, hash: hash, on: db) { return (replay, false) }

        guard let item = try await ItemRecord.query(on: db).filter(\.$implementationCode == body.item.trimmingCharacters(in: .whitespaces).uppercased()).first(),
            let versionID = item.publishedVersionID, let version = try await ItemVersionRecord.find(versionID, on: db)
        else { throw DomainError.notFound("case.item_not_found", "未找到已公开的事项“\(body.item.prefix(40))”。") }
        let guide = try version.guide()
        guard guide.canApplyOnline else {
            throw DomainError.conflict("case.not_online", "“\(guide.name)”不支持网上申报，请到综合窗口办理。")
        }
        let checked = guide.form.check(body.form, today: today)
        guard checked.isValid else {
            throw DomainError.invalid("case.form_invalid", "申请表填写有误，请按提示修改：" + checked.problems.map(\.message).joined(), fields: checked.problems)
        }
        let record = CaseRecord()
        record.id = UUID()
        record.itemCode = item.implementationCode
        record.itemName = guide.name
        record.versionID = versionID
        record.applicantID = applicant.principalID
        record.filedBy = context.actor
        record.departmentCode = item.departmentCode
        record.regionCode = item.regionCode
        record.state = .draft
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        record.formSealed = keys.seal(String(decoding: try encoder.encode(checked.values), as: UTF8.self))
        record.formShown = String(decoding: try encoder.encode(guide.form.masked(checked.values)), as: UTF8.self)
        record.channel = context.channel
        record.deadlineProvisional = false
        // Set when a case is accepted with deferrable materials missing (容缺受理); materials arrive with uploads.
        record.deferredOutstanding = false
        record.alertLevel = "none"
        record.createdAt = now
        record.updatedAt = now
        let (context, now) = (self.context, self.now)
        let service = self
        let submit = body.submit ?? true
        return try await AuditTrail.writeTransaction(on: db) { tx in
            // Checked again under the write lock: two identical retries at once create one case.
            if let replay = try await service.replayed(scopeKey, hash: hash, on: tx) { return (replay, false) }
            try await record.create(on: tx)
            let idempotency = IdempotencyRecord()
            idempotency.scopeKey = scopeKey
            idempotency.requestHash = hash
            idempotency.caseID = record.id!
            idempotency.createdAt = now
            try await idempotency.create(on: tx)
            try await AuditTrail.append(
                context.entry("case.create", subjectType: "case", subjectID: record.id!.uuidString, owner: record.owner, after: record.itemCode, at: now), on: tx)
            if submit { try await service.transition(record, .submit, reason: nil, guide: guide, on: tx) }
            return (record, true)
        }
    }

    private func replayed(_ scopeKey: String, hash: String, on db: any Database) async throws -> CaseRecord? {
        guard let earlier = try await IdempotencyRecord.query(on: db).filter(\.$scopeKey == scopeKey).first() else { return nil }
        guard earlier.requestHash == hash else {
            throw DomainError.conflict("case.idempotency_mismatch", "该 Idempotency-Key 已用于另一份不同的申报，请换一个标识。")
        }
        return try await CaseRecord.find(earlier.caseID, on: db)
    }

    /// SHA-256 of the request with sorted keys: the same request always has the same fingerprint.
    static func fingerprint(_ body: NewCaseRequest) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hash(data: try encoder.encode(body)).hex
    }

    // MARK: Reading

    /// A case the actor may see; others look like missing ones.
    func visibleCase(_ id: UUID) async throws -> CaseRecord {
        guard let record = try await CaseRecord.find(id, on: db), mayRead(record) else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        return record
    }

    func mayRead(_ record: CaseRecord) -> Bool {
        Policy.allows(actor, .viewOwnCases, on: .applicant(record.applicantID)) || Policy.allows(actor, .readCases, on: record.owner)
    }

    func view(_ record: CaseRecord) async throws -> CaseView {
        let steps = try await CaseEventRecord.query(on: db).filter(\.$caseID == record.id!).sort(\.$at).all().map { event in
            CaseView.Step(
                at: event.at, action: event.action, actionName: CaseAction(rawValue: event.action)?.chineseName ?? event.action,
                state: event.toState, stateName: CaseState(rawValue: event.toState)?.chineseName ?? event.toState, actor: event.actor,
                channel: event.channel, reason: event.reason)
        }
        let allowed = CaseLifecycle.actions(from: record.state).filter { action in
            PolicyAction(action).map { Policy.allows(actor, $0, on: record.owner) } ?? false
        }
        return CaseView(
            id: record.id!, number: record.number, state: record.state, stateName: record.state.chineseName,
            item: .init(code: record.itemCode, name: record.itemName), channel: record.channel, deadline: record.deadline,
            deadlineProvisional: record.deadlineProvisional, form: record.shownFormValues, allowedActions: allowed, timeline: steps,
            createdAt: record.createdAt, updatedAt: record.updatedAt)
    }

    struct Summary: Content {
        var id: UUID
        var number: String?
        var state: CaseState
        var stateName: String
        var itemCode: String
        var itemName: String
        var deadline: String?
        /// green, yellow (within the warning threshold), red (overdue), or none (no clock running).
        var urgency: String
        var updatedAt: Date
    }

    struct Listing: Content {
        var cases: [Summary]
        var total: Int
        var page: Int
        var per: Int
    }

    /// An applicant's own cases (newest first), or a staff member's work queue in their scope
    /// (most urgent first: earliest deadline).
    func list(state: CaseState?, page: PageRequest, warnWithin: Int) async throws -> Listing {
        let query = CaseRecord.query(on: db)
        if let state { query.filter(\.$stateRaw == state.rawValue) }
        switch actor {
        case .applicant(let applicant):
            try Policy.authorize(actor, .viewOwnCases, on: .applicant(applicant.principalID))
            query.filter(\.$applicantID == applicant.principalID).sort(\.$updatedAt, .descending)
        default:
            try Policy.authorizeSomewhere(actor, .readCases)
            if let scopes = Policy.scopes(for: actor, .readCases) {
                query.group(.or) { group in
                    for scope in scopes {
                        group.group(.and) { inner in
                            if let department = scope.departmentCreditCode { inner.filter(\.$departmentCode == department) }
                            if let region = scope.regionCode, let code = try? RegionCode(region) { inner.filter(\.$regionCode =~ code.subtreePrefix) }
                        }
                    }
                }
            }
            // Cases without a deadline (not yet accepted) sort after the running clocks, on every engine.
            query.sort(.custom(SQLRaw("CASE WHEN deadline IS NULL THEN 1 ELSE 0 END"))).sort(\.$deadline).sort(\.$createdAt)
        }
        let total = try await query.count()
        let records = try await query.range(page.offset..<(page.offset + page.per)).all()
        let calendar = try await calendars.calendar(on: db, now: now)
        let today = self.today
        return Listing(
            cases: records.map { record in
                Summary(
                    id: record.id!, number: record.number, state: record.state, stateName: record.state.chineseName, itemCode: record.itemCode,
                    itemName: record.itemName, deadline: record.deadline,
                    urgency: Self.urgency(record, today: today, warnWithin: warnWithin, calendar: calendar), updatedAt: record.updatedAt)
            },
            total: total, page: page.page, per: page.per)
    }

    static func urgency(_ record: CaseRecord, today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> String {
        guard record.state.clockRuns || record.state == .specialProcedure, let text = record.deadline, let deadline = try? LocalDate(text) else {
            return record.state == .specialProcedure ? "suspended" : "none"
        }
        return DeadlineClock.status(of: deadline, today: today, warnWithin: warnWithin, calendar: calendar).rawValue
    }

    // MARK: The lifecycle

    func perform(_ action: CaseAction, reason: String?, on id: UUID) async throws -> CaseRecord {
        let service = self
        return try await AuditTrail.writeTransaction(on: db) { tx in
            guard let record = try await CaseRecord.find(id, on: tx), service.isPlatform || service.mayRead(record) else {
                throw DomainError.notFound("case.not_found", "未找到该办件。")
            }
            guard let version = try await ItemVersionRecord.find(record.versionID, on: tx) else {
                throw DomainError.notFound("case.version_missing", "办件所依据的事项版本不存在。")
            }
            try await service.transition(record, action, reason: reason, guide: try version.guide(), on: tx)
            return record
        }
    }

    /// The one place a case changes: policy, state machine, legal clock, number, timeline, audit
    /// and notifications, all inside the caller's transaction.
    func transition(_ record: CaseRecord, _ action: CaseAction, reason rawReason: String?, guide: ServiceGuide, on tx: any Database) async throws {
        if let permission = PolicyAction(action) {
            guard !isPlatform else { throw DomainError.forbidden("平台只自动执行超时默认与归档。") }
            try Policy.authorize(actor, permission, on: record.owner)
        } else if !isPlatform {
            throw DomainError.forbidden("“\(action.chineseName)”只能由平台按规则自动执行。")
        }
        let reason = rawReason?.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000).description
        if action.needsReason && (reason ?? "").isEmpty {
            throw DomainError.invalid("case.reason_required", "“\(action.chineseName)”须说明理由，理由将告知申请人。", fields: [FieldError(field: "reason", message: "请填写理由。")])
        }
        let calendar = try await calendars.calendar(on: tx, now: now)
        let facts = CaseFacts(
            deferredMaterialsOutstanding: record.deferredOutstanding && [.approve, .deny, .approveOnTimeout].contains(action),
            approvesOnTimeout: guide.approveOnTimeout,
            pastDeadline: record.deadline.flatMap { try? LocalDate($0) }.map { $0 < today } ?? false,
            producesCertificate: guide.result.kind == .licence)
        let from = record.state
        let to = try CaseLifecycle.next(from, action, facts: facts)

        var clock = record.clock
        switch action {
        case .accept:
            clock = try DeadlineClock(acceptedOn: today, workingDays: guide.promisedLimit, calendar: calendar)
            record.number = try await nextNumber(for: record, on: tx)
        case .startSpecialProcedure:
            try clock?.suspend(on: today, reason: reason ?? "", calendar: calendar)
        case .endSpecialProcedure:
            try clock?.resume(on: today, calendar: calendar)
        default:
            break
        }
        if let clock {
            record.clock = clock
            let deadline = try clock.deadline(calendar)
            record.deadline = deadline?.date.description
            record.deadlineProvisional = deadline?.provisional ?? false
        }
        record.state = to
        record.updatedAt = now
        try await record.save(on: tx)
        let event = CaseEventRecord(caseID: record.id!, at: now, actor: context.actor, channel: context.channel, action: action, from: from, to: to, reason: reason)
        try await event.create(on: tx)
        try await AuditTrail.append(
            context.entry(
                "case." + action.rawValue, subjectType: "case", subjectID: record.id!.uuidString, owner: record.owner,
                before: from.rawValue, after: to.rawValue + (reason.map { "：" + $0 } ?? ""), at: now),
            on: tx)
        for message in Self.notifications(record, action: action, reason: reason, event: event.id!, at: now) {
            try await message.create(on: tx)
        }
    }

    /// 受理编号: region, day, and the day's running count in that region (unique; the write lock orders it).
    private func nextNumber(for record: CaseRecord, on tx: any Database) async throws -> String {
        let prefix = String(record.regionCode.prefix(6)) + today.description.replacingOccurrences(of: "-", with: "")
        let count = try await CaseRecord.query(on: tx).filter(\.$number =~ prefix).count()
        return prefix + String(format: "%05d", count + 1)
    }

    /// What the applicant is told, in their inbox and by SMS, for the steps that concern them.
    static func notifications(_ record: CaseRecord, action: CaseAction, reason: String?, event: UUID, at now: Date) -> [OutboxRecord] {
        let text: String
        switch action {
        case .submit: text = "您申报的“\(record.itemName)”已提交，请留意受理结果。"
        case .accept: text = "您申报的“\(record.itemName)”已受理，受理编号 \(record.number ?? "")，办理期限至 \(record.deadline ?? "")。"
        case .rejectAtAcceptance: text = "您申报的“\(record.itemName)”不予受理：\(reason ?? "")"
        case .requestCorrection: text = "您申报的“\(record.itemName)”需要补正材料：\(reason ?? "")。请一次性补齐后重新提交。"
        case .approve, .approveOnTimeout: text = "您申报的“\(record.itemName)”已准予许可。"
        case .deny: text = "您申报的“\(record.itemName)”不予许可：\(reason ?? "")。如不服，可依法申请行政复议或提起行政诉讼。"
        case .deliver: text = "您申报的“\(record.itemName)”办理结果已送达。"
        case .terminate: text = "您申报的“\(record.itemName)”已终止办理：\(reason ?? "")"
        default: return []
        }
        return ["inbox", "sms"].map { channel in
            OutboxRecord(
                dedupeKey: "\(record.id!.uuidString):\(event.uuidString):\(channel)", caseID: record.id, recipient: "applicant:" + record.applicantID,
                channel: channel, subject: "办件进度：\(action.chineseName)", body: text, at: now)
        }
    }
}
