import Fluent
import Foundation
import Vapor
import YiwangCore

/// The one place a case changes, as a workflow of the platform's runner: the policy decides
/// who may take the step, Core's `CaseLifecycle.plan` decides what it does (state, legal
/// clock, number, 容缺, green channel, result document, decision on the spot), and this
/// performs the plan: the case row, its timeline step, then the runner's audit event and
/// notifications, all in one transaction.
struct CaseStep: Workflow {
    struct Command: Sendable {
        var caseID: UUID
        var action: CaseAction
        var reason: String?
        var options: CaseService.TransitionOptions = .init()
    }

    struct Subject: Sendable {
        var record: CaseRecord
        var guide: ServiceGuide
    }

    /// The case as the step left it, with the guide it is judged by (the response is built from
    /// them, not read again).
    struct Done: Sendable {
        var record: CaseRecord
        var guide: ServiceGuide
    }

    struct Planned: Sendable {
        var plan: CasePlan
        var command: Command
        var from: CaseState
        var guide: ServiceGuide
        var calendar: WorkingCalendar
        /// The licence type the approval issues, if the catalog wires one to the item.
        var licenceType: LicenceType?
    }

    func load(_ command: Command, _ ctx: DomainContext, on tx: any Database) async throws -> Subject {
        let (record, guide) = try await CaseService(ctx).load(command.caseID, on: tx)
        return Subject(record: record, guide: guide)
    }

    func authorize(_ command: Command, _ subject: Subject, _ ctx: DomainContext) throws {
        let (action, record) = (command.action, subject.record)
        if record.bundleApplicationID != nil {
            if command.options.byBundle { return }
            guard BundleService.taskActions.contains(action) else {
                throw DomainError.conflict(
                    "case.bundle_task", "该办件是“一件事”的联办事项，“\(action.chineseName)”随一件事统一办理，请在一件事申请中操作。")
            }
        }
        let permissions = CaseService.permissions(action, record, guide: subject.guide, onTheSpot: command.options.onTheSpot)
        if permissions.isEmpty {
            guard ctx.isPlatform else { throw DomainError.forbidden("“\(action.chineseName)”只能由平台按规则自动执行。") }
        } else {
            guard !ctx.isPlatform else { throw DomainError.forbidden("平台只自动执行超时默认与归档。") }
            if !permissions.contains(where: { Policy.allows(ctx.actor, $0, on: record.owner) }) {
                try Policy.authorize(ctx.actor, permissions[0], on: record.owner)
            }
        }
    }

    /// Gathers what the rule needs (facts, calendar, form problems, the material checklist) and
    /// asks Core.
    func plan(_ command: Command, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> Planned {
        let service = CaseService(ctx)
        let (record, guide, action) = (subject.record, subject.guide, command.action)
        let calendar = try await ctx.calendar(on: tx)
        let checksMaterials = action == .accept || action == .requestCorrection
        let licenceType =
            [.approve, .approveOnTimeout].contains(action) && guide.result.kind == .licence
            ? try await LicenceService(ctx).type(issuedBy: String(record.itemCode.suffix(12)), on: tx) : nil
        let input = CasePlanInput(
            facts: service.facts(record, guide: guide), reason: command.reason, greenChannel: command.options.greenChannel,
            resultDocument: command.options.resultDocument, today: ctx.today, calendar: calendar, clock: record.clock,
            promisedLimit: guide.promisedLimit, deferredMaterialDays: guide.deferredMaterialDays, commitmentSigned: record.commitmentSigned,
            currentResultDocument: record.resultDocument, defaultCertificateName: "\(record.number ?? command.caseID.uuidString)-证",
            formProblems: action == .submit ? guide.form.check(try service.formValues(record), today: ctx.today).problems : [],
            checklist: checksMaterials ? try await service.checklist(record, guide: guide, also: command.options.producedInBundle, on: tx) : nil,
            decidedAtAcceptance: CaseVariants.decidedAtAcceptance(guide), issuesLicence: licenceType != nil,
            creditWarning: command.options.creditWarning, standingCreditWarning: record.creditWarning, creditReasonOnFile: record.creditReason != nil,
            creditReason: command.options.creditReason)
        return Planned(
            plan: try CaseLifecycle.plan(record.state, action, input), command: command, from: record.state, guide: guide, calendar: calendar,
            licenceType: licenceType)
    }

    func persist(_ planned: Planned, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> (Done, StepRecord) {
        let service = CaseService(ctx)
        let (record, plan) = (subject.record, planned.plan)
        guard let id = record.id else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        var issued: (licence: LicenceRecord, audit: AuditEntry)?
        for effect in plan.effects {
            switch effect {
            case .giveNumber: record.number = try await service.nextNumber(for: record, on: tx)
            case .deferMaterials(let due):
                record.deferredOutstanding = true
                record.deferredDue = due
            case .greenChannel(let reason):
                record.greenChannel = true
                record.greenChannelReason = reason
            case .checkCommitmentBy(let due): record.commitmentCheckDue = due
            case .resultDocument(let document): record.resultDocument = document
            case .decideOnTheSpot: break  // the follow-up step
            case .issueLicence:
                guard let type = planned.licenceType else { break }
                issued = try await LicenceService(ctx).issue(for: record, type: type, on: tx)
                if record.resultDocument == nil { record.resultDocument = issued?.licence.number }
            case .creditWarning(let warning): record.creditWarning = warning
            case .creditReason(let reason): record.creditReason = reason
            }
        }
        if let clock = plan.clock { try record.take(clock, calendar: planned.calendar) }
        let (from, to, reason, action) = (planned.from, plan.to, plan.reason, planned.command.action)
        record.state = to
        record.updatedAt = ctx.now
        record.refreshQueueOrder()
        try await record.write(on: tx)
        if let read = planned.command.options.creditRead { try await read.copy().create(on: tx) }
        let event = CaseEventRecord(caseID: id, at: ctx.now, actor: ctx.audit.actor, channel: ctx.audit.channel, action: action, from: from, to: to, reason: reason)
        try await event.insert(on: tx)
        let eventID = event.id ?? UUID()
        // The statistics move in the same transaction as the case (exact at every commit).
        let counted = try await CaseStatistics.facts(action, record, guide: subject.guide, on: tx)
        try await StatisticsLedger.add(
            StatisticsRules.caseStep(action, from: from, on: ctx.today, facts: counted), at: CaseStatistics.key(record, on: ctx.today), on: tx)
        let audit = ctx.entry(
            "case." + action.rawValue, subjectType: "case", subjectID: id.uuidString, owner: record.owner,
            before: from.rawValue, after: to.rawValue + (reason.map { "：" + $0 } ?? ""))
        let channels = try await service.applicantChannels(record, on: tx)
        var notices = CaseService.notifications(
            record, action: action, reason: reason, result: subject.guide.result.kind, event: eventID, at: ctx.now, channels: channels)
        if let licence = issued?.licence {
            let told = CaseNotices.licenceIssued(itemName: record.itemName, licenceName: licence.name, number: licence.number, identifier: licence.identifier)
            notices += CaseService.toApplicant(record, told, event: licence.id ?? UUID(), at: ctx.now, channels: channels)
        }
        // 好差评: accepted, and once the result is delivered, the applicant is invited to rate by
        // SMS; a decision (or a refusal at acceptance) opens the link its printed QR code carries.
        switch action {
        case .accept, .deliver:
            notices += try await EvaluationService(ctx).invite(record, stage: action == .accept ? .acceptance : .conclusion, on: tx)
        case .approve, .deny, .approveOnTimeout, .rejectAtAcceptance:
            _ = try await EvaluationService(ctx).invite(record, stage: .conclusion, on: tx)
        default: break
        }
        // A bundle's applicant hears from the bundle: one receipt, one correction notice, the results
        // together. A denial or termination still reaches them with its reason and their appeal rights
        // (《行政许可法》第三十八条), and a 容缺 acceptance with the day its materials are due.
        let ownNotice = [.deny, .terminate].contains(action) || (action == .accept && record.deferredOutstanding)
        if record.bundleApplicationID != nil && !ownNotice { notices.removeAll { $0.recipient.hasPrefix("applicant:") } }
        // The bundle's own submission of a task is no new application for its department: the
        // acceptance that follows tells the department.
        if planned.command.options.byBundle && action == .submit { notices.removeAll { $0.recipient.hasPrefix("department:") } }
        var trail = [audit] + (issued.map { [$0.audit] } ?? [])
        for case .creditReason(let proceed) in plan.effects {
            trail.append(ctx.entry("case.creditProceed", subjectType: "case", subjectID: id.uuidString, owner: record.owner, before: record.creditWarning, after: proceed))
        }
        return (Done(record: record, guide: subject.guide), StepRecord(audit: trail, notices: notices))
    }

    /// 即办件: decided on the spot, in the same transaction as the acceptance, a millisecond later.
    /// A bundle's task tells its bundle what a department did (the bundle starts waiting tasks,
    /// cancels, sends its notice or completes), in the same transaction.
    func followUp(_ done: Done, _ planned: Planned, _ ctx: DomainContext, on tx: any Database) async throws {
        if planned.plan.effects.contains(.decideOnTheSpot), let id = done.record.id {
            var options = planned.command.options
            options.onTheSpot = true
            options.greenChannel = false
            _ = try await ctx.advanced(by: 0.001).step(
                self, Command(caseID: id, action: .approve, options: options), Subject(record: done.record, guide: planned.guide), on: tx)
        }
        if let application = done.record.bundleApplicationID, !planned.command.options.byBundle {
            try await BundleService(ctx).taskStepped(done.record, action: planned.command.action, reason: planned.plan.reason, application: application, on: tx)
        }
    }
}

/// 延期 as a workflow of the runner: an approver of the case's department extends its time
/// limit once (Core's `CaseVariants.planExtension` holds the law), the timeline and the
/// applicant are told why, in one transaction with the audit event.
struct CaseExtension: Workflow {
    struct Command: Sendable {
        var caseID: UUID
        var workingDays: Int
        var reason: String?
    }

    struct Planned: Sendable {
        var clock: DeadlineClock
        var workingDays: Int
        var reason: String
        var calendar: WorkingCalendar
    }

    func load(_ command: Command, _ ctx: DomainContext, on tx: any Database) async throws -> CaseStep.Subject {
        let (record, guide) = try await CaseService(ctx).load(command.caseID, on: tx)
        return CaseStep.Subject(record: record, guide: guide)
    }

    func authorize(_ command: Command, _ subject: CaseStep.Subject, _ ctx: DomainContext) throws {
        try Policy.authorize(ctx.actor, .decideCase, on: subject.record.owner)
    }

    func plan(_ command: Command, _ subject: CaseStep.Subject, _ ctx: DomainContext, on tx: any Database) async throws -> Planned {
        let calendar = try await ctx.calendar(on: tx)
        let (clock, reason) = try CaseVariants.planExtension(
            subject.record.clock, state: subject.record.state, workingDays: command.workingDays, reason: command.reason, today: ctx.today,
            approvedBy: ctx.audit.actor, calendar: calendar)
        return Planned(clock: clock, workingDays: command.workingDays, reason: reason, calendar: calendar)
    }

    func persist(_ planned: Planned, _ subject: CaseStep.Subject, _ ctx: DomainContext, on tx: any Database) async throws -> (CaseRecord, StepRecord) {
        let record = subject.record
        guard let id = record.id else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        try record.take(planned.clock, calendar: planned.calendar)
        record.alertLevel = "none"  // the new date is watched afresh even when an extension ends on the same day
        record.updatedAt = ctx.now
        record.refreshQueueOrder()
        try await record.write(on: tx)
        let told = CaseNotices.extended(itemName: record.itemName, workingDays: planned.workingDays, deadline: record.deadline, reason: planned.reason)
        let event = CaseEventRecord(
            caseID: id, at: ctx.now, actor: ctx.audit.actor, channel: ctx.audit.channel, action: CaseLifecycle.deadlineExtended,
            from: record.state, to: record.state, reason: told.step)
        try await event.insert(on: tx)
        let audit = ctx.entry("case.extendDeadline", subjectType: "case", subjectID: id.uuidString, owner: record.owner, after: told.step)
        let notices = CaseService.toApplicant(
            record, told.notice, event: event.id ?? UUID(), at: ctx.now, channels: try await CaseService(ctx).applicantChannels(record, on: tx))
        return (record, StepRecord(audit: [audit], notices: notices))
    }
}
