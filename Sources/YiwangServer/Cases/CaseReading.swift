import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// What a case shows: the actions on offer, the view for the API and pages, and the lists.
extension CaseService {
    /// The permissions any one of which lets a person take `action` on this case (the same rule
    /// for offering an action and for performing it).
    static func permissions(_ action: CaseAction, _ record: CaseRecord, guide: ServiceGuide, onTheSpot: Bool = false) -> [PolicyAction] {
        // A bundle's task asks for a correction after acceptance from review: it stops the deciding
        // department's own clock, so only that department's approver may (not any window in scope).
        if action == .requestCorrection && record.bundleApplicationID != nil && !record.state.isBeforeAcceptance { return [.decideCase] }
        return PolicyAction.anyOf(
            action, filedAtWindow: record.channel == "window",
            onTheSpot: onTheSpot || (action == .approve && CaseVariants.decidedAtAcceptance(guide)))
    }

    /// What the rules need to know of the case beyond its state.
    func facts(_ record: CaseRecord, guide: ServiceGuide) -> CaseFacts {
        CaseFacts(
            deferredMaterialsOutstanding: record.deferredOutstanding,
            approvesOnTimeout: guide.approveOnTimeout,
            pastDeadline: record.deadline.flatMap { try? LocalDate($0) }.map { $0 < today } ?? false,
            producesCertificate: guide.result.kind == .licence, inBundle: record.bundleApplicationID != nil)
    }

    /// The actions the caller may take now, as buttons and as `allowedActions`: exactly those the
    /// transition would accept (policy, state machine and its guards, a complete form to submit,
    /// every blocking material to accept). An action that needs a reason is offered; the reason
    /// is asked for when it is taken.
    func allowedActions(_ record: CaseRecord, guide: ServiceGuide, checklist: MaterialChecklist) -> [CaseAction] {
        let facts = facts(record, guide: guide)
        return CaseLifecycle.actions(from: record.state).filter { action in
            guard !isPlatform, record.bundleApplicationID == nil || BundleService.taskActions.contains(action), Self.permissions(action, record, guide: guide).contains(where: { Policy.allows(actor, $0, on: record.owner) }),
                (try? CaseLifecycle.next(record.state, action, facts: facts)) != nil
            else { return false }
            switch action {
            case .submit:
                guard let values = try? formValues(record) else { return false }
                return guide.form.check(values, today: today).isValid
            case .accept:
                return (try? checklist.checkAcceptable()) != nil
            default:
                return true
            }
        }
    }

    /// The case as the API and the pages show it. Pass the guide when it is already at hand.
    func view(_ record: CaseRecord, guide known: ServiceGuide? = nil, department knownDepartment: DepartmentRecord? = nil) async throws -> CaseView {
        let guide: ServiceGuide
        if let known { guide = known } else { guide = try await self.guide(of: record, on: db) }
        // Staff who read the case see who acted; the applicant's side sees roles, not accounts.
        let namesStaff = Policy.allows(actor, .readCases, on: record.owner)
        let department: String?
        if let knownDepartment { department = knownDepartment.name } else {
            department = try await db.sql().select().column("name").from(DepartmentRecord.schema)
                .where("credit_code", .equal, record.departmentCode).first()?.decode(column: "name", as: String.self)
        }
        guard let caseID = record.id else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        let steps = try await CaseEventRecord.timeline(of: caseID, on: db).map { event in
            CaseView.Step(
                at: event.at, action: event.action, actionName: CaseLifecycle.eventName(event.action),
                state: event.toState, stateName: CaseState(rawValue: event.toState)?.chineseName ?? event.toState,
                actor: namesStaff ? event.actor : CaseTimelineActor.label(account: event.actor, action: event.action, applicantID: record.applicantID),
                actorDepartment: CaseTimelineActor.isStaff(event.actor) ? department : nil,
                channel: event.channel, reason: event.reason)
        }
        let files = try await CaseMaterialRecord.query(on: db).filter(\.$caseID == caseID).sort(\.$suppliedAt).all()
        let checklist = MaterialChecklist(guide: guide, supplied: Set(files.map(\.materialIndex)), commitment: record.commitmentSigned)
        let calendar = try await calendars.calendar(on: db, now: now)
        return CaseView(
            id: caseID, number: record.number, state: record.state, stateName: record.state.chineseName,
            item: .init(code: record.itemCode, name: record.itemName), channel: record.channel, deadline: record.deadline,
            deadlineProvisional: record.deadlineProvisional, urgency: record.urgency(today: today, warnWithin: warnWithin, calendar: calendar),
            form: record.shownFormValues,
            materials: checklist.lines.map { line in
                CaseView.Material(
                    position: line.index + 1, name: line.name, required: line.required, heldByPlatform: line.heldByPlatform, deferrable: line.deferrable,
                    replacedByCommitment: line.replacedByCommitment, files: files.filter { $0.materialIndex == line.index }.map(Self.fileView))
            },
            missingMaterials: checklist.missingNames, deferredOutstanding: record.deferredOutstanding, deferredDue: record.deferredDue,
            commitmentSigned: record.commitmentSigned, commitmentCheckDue: record.commitmentCheckDue, greenChannel: record.greenChannel,
            assisted: record.assistedBy != nil, resultDocument: record.resultDocument,
            creditWarning: actor.grants.isEmpty ? nil : record.creditWarning, creditReason: actor.grants.isEmpty ? nil : record.creditReason,
            allowedActions: allowedActions(record, guide: guide, checklist: checklist),
            timeline: steps, createdAt: record.createdAt, updatedAt: record.updatedAt)
    }

    struct Summary: Content {
        var id: UUID
        var number: String?
        var state: CaseState
        var stateName: String
        var itemCode: String
        var itemName: String
        var deadline: String?
        /// green, yellow (within the warning threshold), red (overdue), suspended, or none (no clock running).
        var urgency: CaseUrgency
        var urgencyName: String
        var greenChannel: Bool
        var deferredOutstanding: Bool
        var channel: String
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
    func list(state: CaseState?, page: PageRequest) async throws -> Listing {
        let query = CaseRecord.query(on: db)
        if let state { query.filter(\.$stateRaw == state.rawValue) }
        switch actor {
        case .applicant(let applicant):
            try Policy.authorize(actor, .viewOwnCases, on: .applicant(applicant.principalID))
            query.filter(\.$applicantID == applicant.principalID).sort(\.$updatedAt, .descending)
        default:
            try Policy.authorizeSomewhere(actor, .readCases)
            query.scoped(actor, .readCases, department: \.$departmentCode, region: \.$regionCode)
            // The work queue: cases waiting for staff, in `CaseQueue` order (green channel, then
            // the earliest deadline), read from an index. A state filter also shows finished ones.
            if state == nil { query.filter(\.$queueOrder < CaseQueue.outOfQueue) }
            // An online draft is the applicant's alone; staff see the drafts begun at the window.
            if state == .draft { query.filter(\.$channel == "window") }
            query.sort(\.$queueOrder).sort(\.$createdAt)
        }
        let total = try await query.count()
        let records = try await query.range(page.offset..<(page.offset + page.per)).all()
        let calendar = try await calendars.calendar(on: db, now: now)
        let today = self.today
        return Listing(
            cases: records.map { record in
                let urgency = record.urgency(today: today, warnWithin: warnWithin, calendar: calendar)
                return Summary(
                    id: record.id!, number: record.number, state: record.state, stateName: record.state.chineseName, itemCode: record.itemCode,
                    itemName: record.itemName, deadline: record.deadline, urgency: urgency, urgencyName: urgency.chineseName,
                    greenChannel: record.greenChannel, deferredOutstanding: record.deferredOutstanding, channel: record.channel,
                    updatedAt: record.updatedAt)
            },
            total: total, page: page.page, per: page.per)
    }
}
