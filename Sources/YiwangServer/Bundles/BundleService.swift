import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

struct NewBundleApplicationRequest: Content {
    /// The bundle's code.
    var bundle: String
    /// Answers to the bundle's questions (情形引导), by question key.
    var answers: [String: String]?
    /// The optional members ticked, by implementation code.
    var optionalMembers: [String]?
    /// The merged form's answers.
    var form: [String: JSONValue]
    /// At the window: the applicant the clerk files for.
    var applicant: UUID?
    /// 投资项目代码: the application is an approval of this project, in its current stage.
    var project: String?
}

struct BundleActionRequest: Content {
    var action: BundleApplicationAction
    var reason: String?
    /// At acceptance of an application whose applicant the credit registry flags: why the clerk proceeds.
    var creditReason: String?
}

/// 一件事一次办 on the server: one form and one set of materials filed once, one acceptance that
/// fans out one case per member to its department, and the bundle following its tasks (Core's
/// `BundlePlan` decides; this performs the plan on the tasks' cases, the application, the trail
/// and the outbox, in the step's transaction).
struct BundleService: Sendable {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    var db: any Database { ctx.db }

    /// What a department does to its task itself, through the case transition API; the rest
    /// (filing, acceptance, withdrawal, resuming after correction) the bundle does for all its tasks.
    static let taskActions: Set<CaseAction> = [
        .review, .startSpecialProcedure, .endSpecialProcedure, .approve, .deny, .approveOnTimeout, .requestCorrection, .issueCertificate, .deliver,
        .close, .archive, .terminate,
    ]

    // MARK: Filing

    /// Files a bundle application: the choice checked, the merged form checked against every
    /// member's own form, one draft case per chosen member holding its share of the form, all
    /// in one transaction. A retry with the same Idempotency-Key and body answers the first
    /// application; with another body, 409.
    func file(_ body: NewBundleApplicationRequest, idempotencyKey: String?) async throws -> (record: BundleApplicationRecord, created: Bool) {
        let cases = CaseService(ctx)
        let (applicantID, atWindow) = try await cases.filingApplicant(body.applicant)
        let scopeKey = "bundle:" + ctx.audit.actor + ":" + (try CaseService.idempotencyKey(idempotencyKey))
        let hash = try CaseService.fingerprint(body)
        if let earlier = try await replayed(scopeKey, hash: hash, on: db) { return (earlier, false) }

        let published = try await BundleCatalog.published(body.bundle, on: db)
        let bundle = published.bundle
        let choice = BundleChoice(answers: body.answers ?? [:], optionalMembers: Set(body.optionalMembers ?? []))
        let chosen = try bundle.choose(choice)
        guard !chosen.isEmpty else { throw DomainError.conflict("bundle.nothing_chosen", "按您的选择，本“一件事”没有需要办理的事项。") }
        let owner = ResourceOwner(departmentCreditCode: bundle.leadDepartment, regionCode: published.record.regionCode, applicantID: applicantID)
        if atWindow { try Policy.authorize(ctx.actor, .handleCaseAtWindow, on: owner) }
        let items = try await BundleCatalog.memberItems(chosen, on: db)
        if !atWindow, let offline = chosen.first(where: { items[$0.code]?.guide.canApplyOnline == false }) {
            throw DomainError.conflict("bundle.not_online", "成员事项“\(offline.name)”不支持网上申报，请到综合窗口办理本“一件事”。")
        }
        let merged = try await BundleCatalog.merge(bundle, choice: choice, items: items, on: db)
        let checked = merged.form.check(body.form, today: ctx.today)
        guard checked.isValid else {
            throw DomainError.invalid("bundle.form_invalid", "申请表填写有误，请按提示修改：" + checked.problems.map(\.message).joined(), fields: checked.problems)
        }
        let shares = merged.form.split(checked.values)
        let applicationID = UUID()
        let tasks = try chosen.compactMap { member -> CaseRecord? in
            guard let item = items[member.code] else { return nil }
            let record = try cases.newCase(
                UUID(), item: item.item, guide: item.guide, applicantID: applicantID, values: shares[member.code] ?? [:], atWindow: atWindow, commitment: false)
            record.bundleApplicationID = applicationID
            return record
        }
        // The credit registry is read once for the application, under the strictest rule of its
        // items: a blocked applicant is refused (一处失信，处处受限); a flagged one's tasks carry the
        // warning, which the lead window answers with a reason at the one acceptance.
        let guides = chosen.compactMap { items[$0.code]?.guide }
        guard let first = tasks.first?.id, let strictest = guides.first(where: { $0.creditRule == .block }) ?? guides.first else {
            throw DomainError.conflict("bundle.nothing_chosen", "按您的选择，本“一件事”没有需要办理的事项。")
        }
        let credit = try await cases.creditChecked(CaseService.TransitionOptions(), applicantID: applicantID, guide: strictest, caseID: first)
        for task in tasks { task.creditWarning = credit.creditWarning }
        let application = BundleApplicationRecord()
        application.id = applicationID
        application.bundleCode = bundle.code
        application.bundleName = bundle.name
        application.versionID = try published.version.requireID()
        application.applicantID = applicantID
        application.filedBy = ctx.audit.actor
        application.channel = atWindow ? "window" : ctx.audit.channel
        application.leadDepartment = bundle.leadDepartment
        application.regionCode = published.record.regionCode
        application.state = .submitted
        application.choiceJSON = try BundleApplicationRecord.encode(choice)
        application.formSealed = try ctx.keys.seal(try CaseService.json(checked.values))
        application.formShown = try CaseService.json(merged.form.schema.masked(checked.values))
        application.createdAt = ctx.now
        application.updatedAt = ctx.now
        let ctx = self.ctx
        let service = self
        let result = try await cases.recordingRead(credit.creditRead) { try await ctx.write { tx in
            if let earlier = try await service.replayed(scopeKey, hash: hash, on: tx) { return (earlier, false) }
            if let read = credit.creditRead { try await read.copy().create(on: tx) }
            try await application.create(on: tx)
            for task in tasks { try await task.write(on: tx) }
            let names = chosen.map { "“\($0.name)”" }.joined(separator: "、")
            let event = try await service.record(application, "submit", detail: "一次申报\(chosen.count)个事项：" + names, on: tx)
            try await AuditTrail.append(
                ctx.entry("bundle.submit", subjectType: "bundle_application", subjectID: applicationID.uuidString, owner: application.owner, after: bundle.code),
                on: tx)
            try await OutboxRecord.insert(
                [
                    OutboxRecord(
                        dedupeKey: "bundle:\(applicationID.uuidString):\(event.uuidString):department", caseID: nil,
                        recipient: "department:" + application.leadDepartment, channel: "inbox", subject: "新的“一件事”申请待受理",
                        body: "“\(bundle.name)”的一份申请(\(chosen.count)个事项)等待牵头部门一次受理：/admin/bundles/\(applicationID.uuidString)", at: ctx.now)
                ]
                    + service.toApplicant(
                        application, CaseNotice(subject: "一件事已申报：\(bundle.name)", body: "您申请的“\(bundle.name)”已提交，请留意受理结果。"), event: event,
                        channels: try await CaseService.applicantChannels(applicantID, on: tx)), on: tx)
            if let project = body.project { try await ProjectService(ctx).link(project, applicantID: applicantID, bundleApplicationID: applicationID, on: tx) }
            try await CaseService.rememberIdempotency(scopeKey, hash: hash, created: applicationID, at: ctx.now, on: tx)
            return (application, true)
        } }
        // A retry that met the first request under the write lock filed nothing: its read is logged alone.
        if !result.1, let read = credit.creditRead { try await DataSharingService(ctx).record(read) }
        return result
    }

    private func replayed(_ scopeKey: String, hash: String, on db: any Database) async throws -> BundleApplicationRecord? {
        guard let id = try await CaseService.replayedID(scopeKey, hash: hash, on: db) else { return nil }
        return try await BundleApplicationRecord.find(id, on: db)
    }

    // MARK: The application's steps

    /// Accept, refuse, withdraw or answer the correction notice, through the platform's runner.
    func act(_ id: UUID, _ action: BundleApplicationAction, reason: String?, creditReason: String? = nil) async throws -> BundleApplicationRecord {
        try await ctx.run(BundleStepFlow(), BundleStepFlow.Command(applicationID: id, action: action, reason: reason, creditReason: creditReason))
    }

    /// A department took a step on its task: the bundle follows (Core's `BundlePlan`), in the
    /// step's transaction. Steps that decide nothing for the bundle only touch its time.
    func taskStepped(_ record: CaseRecord, action: CaseAction, reason: String?, application id: UUID, on tx: any Database) async throws {
        guard let application = try await BundleApplicationRecord.find(id, on: tx), let progress = try application.progress else { return }
        let calendar = try await ctx.calendar(on: tx)
        let member = record.itemCode
        let step: BundleStep
        switch action {
        case .approve, .approveOnTimeout:
            step = try BundlePlan.decide(progress, member: member, decision: .approved, today: ctx.today, calendar: calendar)
        case .deny:
            step = try BundlePlan.decide(progress, member: member, decision: .denied, today: ctx.today, calendar: calendar)
        case .terminate:
            step = try BundlePlan.decide(progress, member: member, decision: .terminated, today: ctx.today, calendar: calendar)
        case .requestCorrection:
            step = try BundlePlan.requestCorrection(progress, member: member, reason: reason, today: ctx.today, calendar: calendar)
        default:
            application.updatedAt = ctx.now
            try await application.save(on: tx)
            return
        }
        let tasks = try await Tasks.load(application, on: tx)
        let told = try await perform(step, application, tasks: tasks, calendar: calendar, on: tx)
        application.updatedAt = ctx.now
        try await application.save(on: tx)
        let detail = "“\(record.itemName)”：" + action.chineseName + (reason.map { "，" + $0 } ?? "")
        let event = try await self.record(application, "task." + action.rawValue, member: member, detail: detail, on: tx)
        try await AuditTrail.append(
            ctx.entry(
                "bundle.task." + action.rawValue, subjectType: "bundle_application", subjectID: id.uuidString, owner: application.owner,
                before: member, after: application.state.rawValue), on: tx)
        try await OutboxRecord.insert(try await notices(told, application, event: event, on: tx), on: tx)
    }

    /// The materials of a bundle's task that an earlier task's result supplies (indexes in its guide).
    static func produced(for record: CaseRecord, on db: any Database) async throws -> Set<Int> {
        guard let id = record.bundleApplicationID, let application = try await BundleApplicationRecord.find(id, on: db) else { return [] }
        return try await Tasks.load(application, on: db).produced(for: record.itemCode)
    }

    /// The tasks' cases of an application and the merged materials, read once for a step.
    struct Tasks: Sendable {
        var cases: [String: CaseRecord]
        var guides: [String: ServiceGuide]
        var bundle: ServiceBundle
        var materials: [BundleMaterial]

        static func load(_ application: BundleApplicationRecord, on db: any Database) async throws -> Tasks {
            let records = try await CaseRecord.query(on: db).filter(\.$bundleApplicationID == application.id).all()
            var cases: [String: CaseRecord] = [:]
            var guides: [String: ServiceGuide] = [:]
            for record in records {
                cases[record.itemCode] = record
                guides[record.itemCode] = try await CaseService.guide(version: record.versionID, on: db)
            }
            guard let version = try await BundleVersionRecord.find(application.versionID, on: db) else {
                throw DomainError.notFound("bundle.version_missing", "一件事申请所依据的版本不存在。")
            }
            let bundle = try version.bundle
            let choice = try application.choice
            let types = try await LicenceTypeRecord.query(on: db).all().map { try $0.type }
            let chosen = try bundle.choose(choice).filter { cases[$0.code] != nil }
            let materials = try BundleMaterials.merge(bundle, members: chosen, guides: guides, licenceTypes: types)
            return Tasks(cases: cases, guides: guides, bundle: bundle, materials: materials)
        }

        /// The member's materials the applicant does not give: those an earlier task's result
        /// supplies, and those the platform holds for another member of the bundle (a licence or
        /// record it holds for one department it holds for all), by index in the member's guide.
        func produced(for member: String) -> Set<Int> {
            Set(materials.flatMap { material in
                material.uses.filter { $0.member == member && ($0.producedBy != nil || !material.askedOfApplicant) }.map(\.index)
            })
        }
    }

    /// Performs a bundle step on its tasks' cases: starts (submits and accepts, with the bundle's
    /// authority) and cancels them, resumes them after the applicant's answer; a task decided on
    /// the spot (即办件) is fed back at once, so those waiting on it start too. Returns what the
    /// applicant is told; the application takes the final progress.
    func perform(
        _ first: BundleStep, _ application: BundleApplicationRecord, tasks: Tasks, calendar: WorkingCalendar, on tx: any Database
    ) async throws -> [CaseNotice] {
        var step = first
        var told: [CaseNotice] = []
        var moment = ctx
        while true {
            var decidedOnTheSpot: [String] = []
            for effect in step.effects {
                moment = moment.advanced(by: 0.001)
                switch effect {
                case .startTask(let member, _, _):
                    _ = try await taskStep(member, .submit, tasks: tasks, at: moment, on: tx)
                    moment = moment.advanced(by: 0.001)
                    var options = CaseService.TransitionOptions()
                    options.producedInBundle = tasks.produced(for: member)
                    let accepted = try await taskStep(member, .accept, options: options, tasks: tasks, at: moment, on: tx)
                    if accepted.state == .approved {
                        decidedOnTheSpot.append(member)
                        // Timed with the step, after the acceptance's own entry.
                        try await BundleService(moment).record(application, "task.approve", member: member, detail: "“\(accepted.itemName)”：即办，受理时当场准予", on: tx)
                    }
                case .holdTask:
                    break
                case .cancelTask(let member, let reason):
                    _ = try await taskStep(member, .withdraw, reason: reason, tasks: tasks, at: moment, on: tx)
                case .resumeTask(let member):
                    _ = try await taskStep(member, .resumeReview, tasks: tasks, at: moment, on: tx)
                case .correctionNotice(let notice):
                    told.append(BundleNotices.correction(bundleName: application.bundleName, notice))
                case .tellApplicant(let text):
                    told.append(BundleNotices.told(bundleName: application.bundleName, text))
                case .complete(let outcome):
                    told.append(BundleNotices.completed(bundleName: application.bundleName, number: application.number, outcome: outcome, tasks: step.progress.tasks))
                    try await BundleService(moment).record(application, "complete", detail: "全部事项已办结：\(outcome.chineseName)，结果一并告知申请人", on: tx)
                }
            }
            try application.take(step.progress, calendar: calendar)
            guard !decidedOnTheSpot.isEmpty else { return told }
            var progress = step.progress
            var effects: [BundleEffect] = []
            for decided in decidedOnTheSpot {
                let next = try BundlePlan.decide(progress, member: decided, decision: .approved, today: ctx.today, calendar: calendar)
                progress = next.progress
                effects += next.effects
            }
            step = BundleStep(progress: progress, effects: effects)
        }
    }

    /// One step of a task's case, taken by the bundle through the case's own lifecycle.
    private func taskStep(
        _ member: String, _ action: CaseAction, reason: String? = nil, options: CaseService.TransitionOptions = .init(), tasks: Tasks,
        at moment: DomainContext, on tx: any Database
    ) async throws -> CaseRecord {
        guard let record = tasks.cases[member], let guide = tasks.guides[member], let id = record.id else {
            throw DomainError.notFound("bundle.task_unknown", "一件事申请中没有该事项的办件。")
        }
        var options = options
        options.byBundle = true
        do {
            return try await moment.step(
                CaseStep(), CaseStep.Command(caseID: id, action: action, reason: reason, options: options), CaseStep.Subject(record: record, guide: guide), on: tx
            ).record
        } catch let error as DomainError {
            // Which task refused matters to the clerk accepting six at once.
            throw DomainError(error.kind, code: error.code, message: "“\(record.itemName)”：" + error.message, fieldErrors: error.fieldErrors)
        }
    }

    // MARK: Recording

    /// A step of the bundle's own timeline; answers its id (the outbox keys hang on it).
    @discardableResult
    func record(_ application: BundleApplicationRecord, _ action: String, member: String? = nil, detail: String? = nil, on tx: any Database) async throws -> UUID {
        let event = BundleEventRecord(applicationID: try application.requireID(), at: ctx.now, actor: ctx.audit.actor, action: action, member: member, detail: detail)
        try await event.create(on: tx)
        return event.id ?? UUID()
    }

    /// The notices to the applicant on each of their channels, keyed so none is queued twice.
    func notices(_ told: [CaseNotice], _ application: BundleApplicationRecord, event: UUID, on tx: any Database) async throws -> [OutboxRecord] {
        guard !told.isEmpty else { return [] }
        let channels = try await CaseService.applicantChannels(application.applicantID, on: tx)
        var messages: [OutboxRecord] = []
        for (index, notice) in told.enumerated() {
            messages += toApplicant(application, notice, event: event, suffix: index == 0 ? "" : ":\(index)", channels: channels)
        }
        return messages
    }

    func toApplicant(
        _ application: BundleApplicationRecord, _ notice: CaseNotice, event: UUID, suffix: String = "", channels: [String]
    ) -> [OutboxRecord] {
        channels.map { channel in
            OutboxRecord(
                dedupeKey: "bundle:\(application.id?.uuidString ?? ""):\(event.uuidString)\(suffix):\(channel)", caseID: nil,
                recipient: "applicant:" + application.applicantID, channel: channel, subject: notice.subject, body: notice.body, at: ctx.now)
        }
    }
}

/// A step of a bundle application as a workflow of the platform's runner: the one acceptance
/// (every task fanned out), a refusal at the window, the applicant's withdrawal before
/// acceptance, and the applicant's answer to the one correction notice.
struct BundleStepFlow: Workflow {
    struct Command: Sendable {
        var applicationID: UUID
        var action: BundleApplicationAction
        var reason: String?
        var creditReason: String?
    }

    struct Subject: Sendable {
        var application: BundleApplicationRecord
        var tasks: BundleService.Tasks
    }

    struct Planned: Sendable {
        var action: BundleApplicationAction
        var step: BundleStep?
        var reason: String?
        /// The clerk's reason to proceed with a flagged applicant, kept on every task.
        var creditReason: String? = nil
        var calendar: WorkingCalendar
    }

    func load(_ command: Command, _ ctx: DomainContext, on tx: any Database) async throws -> Subject {
        guard let application = try await BundleApplicationRecord.find(command.applicationID, on: tx),
            Policy.mayRead(ctx.actor, case: application.subject)
        else { throw DomainError.notFound("bundle.application_not_found", "未找到该“一件事”申请。") }
        return Subject(application: application, tasks: try await BundleService.Tasks.load(application, on: tx))
    }

    func authorize(_ command: Command, _ subject: Subject, _ ctx: DomainContext) throws {
        let application = subject.application
        switch command.action {
        case .accept, .reject:
            try Policy.authorize(ctx.actor, .handleCaseAtWindow, on: application.owner)
        case .withdraw, .answerCorrection:
            guard Policy.mayFile(ctx.actor, case: application.subject) else {
                try Policy.authorize(ctx.actor, .applyForService, on: application.owner)
                return
            }
        }
    }

    func plan(_ command: Command, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> Planned {
        let calendar = try await ctx.calendar(on: tx)
        let application = subject.application
        let state = application.state
        switch command.action {
        case .accept:
            guard state == .submitted else { throw BundleApplicationAction.notAllowed(.accept, in: state) }
            // One acceptance checks every task, those that wait included: a task that starts later
            // must not find its materials missing in another department's step.
            let cases = CaseService(ctx)
            for member in subject.tasks.bundle.members.map(\.code) {
                guard let record = subject.tasks.cases[member], let guide = subject.tasks.guides[member] else { continue }
                let checklist = try await cases.checklist(record, guide: guide, also: subject.tasks.produced(for: member), on: tx)
                if let notice = checklist.blockingNotice {
                    throw DomainError.conflict("case.materials_missing", "“\(record.itemName)”：" + notice)
                }
            }
            var creditReason: String?
            if subject.tasks.cases.values.contains(where: { $0.creditWarning != nil && $0.creditReason == nil }) {
                creditReason = try SharedDataRules.proceedReason(command.creditReason)
            }
            let limits = subject.tasks.guides.mapValues(\.promisedLimit)
            let step = try BundlePlan.accept(subject.tasks.bundle, choice: try application.choice, limits: limits, today: ctx.today, calendar: calendar)
            return Planned(action: command.action, step: step, reason: nil, creditReason: creditReason, calendar: calendar)
        case .reject:
            guard state == .submitted else { throw BundleApplicationAction.notAllowed(.reject, in: state) }
            guard let reason = CaseVariants.reason(command.reason) else {
                throw DomainError.invalid("bundle.reason_required", "不予受理须说明理由，理由将告知申请人。", fields: [FieldError(field: "reason", message: "请填写理由。")])
            }
            return Planned(action: command.action, step: nil, reason: reason, calendar: calendar)
        case .withdraw:
            guard state == .submitted else { throw BundleApplicationAction.notAllowed(.withdraw, in: state) }
            return Planned(action: command.action, step: nil, reason: CaseVariants.reason(command.reason), calendar: calendar)
        case .answerCorrection:
            guard let progress = try application.progress else { throw BundleApplicationAction.notAllowed(.answerCorrection, in: state) }
            return Planned(action: command.action, step: try BundlePlan.answerCorrection(progress, today: ctx.today, calendar: calendar), reason: nil, calendar: calendar)
        }
    }

    func persist(_ planned: Planned, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> (BundleApplicationRecord, StepRecord) {
        let service = BundleService(ctx)
        let (application, tasks) = (subject.application, subject.tasks)
        let id = try application.requireID()
        var told: [CaseNotice] = []
        var detail: String?
        var trail: [AuditEntry] = []
        if let step = planned.step {
            if application.number == nil {
                let prefix = "YJ" + String(application.regionCode.prefix(6)) + ctx.today.description.replacingOccurrences(of: "-", with: "")
                application.number = prefix + String(format: "%04lld", try await Counters.next(prefix, on: tx))
            }
            let wasSubmitted = application.state == .submitted
            if let reason = planned.creditReason {
                for record in tasks.cases.values where record.creditWarning != nil && record.creditReason == nil {
                    record.creditReason = reason
                    try await record.write(on: tx)
                }
                trail.append(ctx.entry("bundle.creditProceed", subjectType: "bundle_application", subjectID: id.uuidString, owner: application.owner, after: reason))
            }
            told = try await service.perform(step, application, tasks: tasks, calendar: planned.calendar, on: tx)
            if wasSubmitted, let progress = try application.progress {
                told.insert(
                    BundleNotices.receipt(bundleName: application.bundleName, number: application.number ?? "", deadline: application.deadline, tasks: progress.tasks),
                    at: 0)
                detail = "一次受理，受理编号 \(application.number ?? "")，并联办理\(progress.tasks.count)个事项，承诺 \(application.deadline ?? "") 前办结"
            } else {
                detail = "申请人已按一次性告知补正，相关事项继续办理"
            }
        } else {
            // Refused or withdrawn before acceptance: every task's case is withdrawn with it.
            let reason = planned.reason
            for member in tasks.cases.keys.sorted() {
                guard let record = tasks.cases[member], let guide = tasks.guides[member], let caseID = record.id, record.state == .draft else { continue }
                var options = CaseService.TransitionOptions()
                options.byBundle = true
                _ = try await ctx.step(
                    CaseStep(), CaseStep.Command(caseID: caseID, action: .withdraw, reason: reason, options: options), CaseStep.Subject(record: record, guide: guide),
                    on: tx)
            }
            if planned.action == .reject {
                application.state = .notAccepted
                told = [BundleNotices.notAccepted(bundleName: application.bundleName, reason: reason ?? "")]
                detail = "不予受理：" + (reason ?? "")
            } else {
                application.state = .withdrawn
                detail = "申请人撤回" + (reason.map { "：" + $0 } ?? "")
            }
        }
        application.updatedAt = ctx.now
        try await application.save(on: tx)
        let name = planned.action.rawValue
        let event = try await service.record(application, name, detail: detail, on: tx)
        let audit = ctx.entry(
            "bundle." + name, subjectType: "bundle_application", subjectID: id.uuidString, owner: application.owner, after: application.state.rawValue)
        return (application, StepRecord(audit: [audit] + trail, notices: try await service.notices(told, application, event: event, on: tx)))
    }
}
