import Foundation

/// Where a case (办件) stands (SPEC C3).
public enum CaseState: String, Codable, CaseIterable, Sendable, Hashable {
    case draft, submitted, preReview, accepted, notAccepted, correctionRequested, underReview, specialProcedure
    case approved, denied, certificateIssued, delivered, closed, archived, withdrawn, terminated

    public var chineseName: String {
        switch self {
        case .draft: "草稿"
        case .submitted: "已申报"
        case .preReview: "预审中"
        case .accepted: "已受理"
        case .notAccepted: "不予受理"
        case .correctionRequested: "待补正"
        case .underReview: "审查中"
        case .specialProcedure: "特别程序"
        case .approved: "准予许可"
        case .denied: "不予许可"
        case .certificateIssued: "已制证"
        case .delivered: "已送达"
        case .closed: "已办结"
        case .archived: "已归档"
        case .withdrawn: "已撤回"
        case .terminated: "已终止"
        }
    }

    /// Whether the legal clock runs (accepted and not yet decided).
    public var clockRuns: Bool { [.accepted, .underReview].contains(self) }

    /// Not yet accepted: materials and the form may still change.
    public var isBeforeAcceptance: Bool { [.draft, .submitted, .preReview, .correctionRequested].contains(self) }

    /// States after which nothing but archiving can happen.
    public var isFinished: Bool { [.closed, .withdrawn, .terminated, .archived].contains(self) }
}

/// What can happen to a case, named as in the glossary.
public enum CaseAction: String, Codable, CaseIterable, Sendable, Hashable {
    case submit, preReview, accept, rejectAtAcceptance, requestCorrection
    case review, startSpecialProcedure, endSpecialProcedure, approve, deny, approveOnTimeout
    case issueCertificate, deliver, close, archive, withdraw, terminate
    /// A bundle's task continues after the applicant answered the bundle's correction notice.
    case resumeReview

    public var chineseName: String {
        switch self {
        case .submit: "申报"
        case .preReview: "预审"
        case .accept: "受理"
        case .rejectAtAcceptance: "不予受理"
        case .requestCorrection: "一次性告知补正"
        case .review: "开始审查"
        case .startSpecialProcedure: "启动特别程序"
        case .endSpecialProcedure: "结束特别程序"
        case .approve: "准予许可"
        case .deny: "不予许可"
        case .approveOnTimeout: "超时默认准予"
        case .issueCertificate: "制证"
        case .deliver: "送达"
        case .close: "办结"
        case .archive: "归档"
        case .withdraw: "撤回"
        case .terminate: "终止"
        case .resumeReview: "补正后继续审查"
        }
    }

    /// Actions that must say why (shown to the applicant, kept in the trail).
    public var needsReason: Bool { [.rejectAtAcceptance, .requestCorrection, .deny, .terminate, .startSpecialProcedure].contains(self) }
}

/// What the rules need to know beyond the state: facts of the case and its catalog version.
public struct CaseFacts: Sendable, Equatable {
    /// 容缺受理: deferrable materials still to be supplied block the decision.
    public var deferredMaterialsOutstanding: Bool
    /// The item allows approval by default when the deadline passes (超时默认).
    public var approvesOnTimeout: Bool
    /// The deadline has passed.
    public var pastDeadline: Bool
    /// The result is a certificate or licence to make (otherwise a decision letter is delivered directly).
    public var producesCertificate: Bool
    /// The case is one task of a bundle application (一件事): after acceptance it may ask the
    /// applicant to correct something (the bundle's one notice), its clock stopped meanwhile.
    public var inBundle: Bool

    public init(
        deferredMaterialsOutstanding: Bool = false, approvesOnTimeout: Bool = false, pastDeadline: Bool = false, producesCertificate: Bool = true,
        inBundle: Bool = false
    ) {
        self.deferredMaterialsOutstanding = deferredMaterialsOutstanding
        self.approvesOnTimeout = approvesOnTimeout
        self.pastDeadline = pastDeadline
        self.producesCertificate = producesCertificate
        self.inBundle = inBundle
    }
}

/// The case state machine: one table of what each action may do from each state, and the
/// guards that depend on the case's facts. Every other layer asks it; nothing else moves a case.
public enum CaseLifecycle {
    /// The state each action leads to, from the states it is allowed in.
    public static let table: [CaseAction: [CaseState: CaseState]] = [
        .submit: [.draft: .submitted, .correctionRequested: .preReview],
        .preReview: [.submitted: .preReview],
        .accept: [.submitted: .accepted, .preReview: .accepted],
        .rejectAtAcceptance: [.submitted: .notAccepted, .preReview: .notAccepted],
        .requestCorrection: [
            .submitted: .correctionRequested, .preReview: .correctionRequested, .accepted: .correctionRequested, .underReview: .correctionRequested,
        ],
        .resumeReview: [.correctionRequested: .underReview],
        .review: [.accepted: .underReview],
        .startSpecialProcedure: [.underReview: .specialProcedure],
        .endSpecialProcedure: [.specialProcedure: .underReview],
        .approve: [.accepted: .approved, .underReview: .approved],
        .deny: [.accepted: .denied, .underReview: .denied],
        .approveOnTimeout: [.accepted: .approved, .underReview: .approved],
        .issueCertificate: [.approved: .certificateIssued],
        .deliver: [.approved: .delivered, .certificateIssued: .delivered, .denied: .delivered, .notAccepted: .delivered],
        .close: [.delivered: .closed],
        .archive: [.closed: .archived, .withdrawn: .archived, .terminated: .archived],
        .withdraw: [
            .draft: .withdrawn, .submitted: .withdrawn, .preReview: .withdrawn, .correctionRequested: .withdrawn,
            .accepted: .withdrawn, .underReview: .withdrawn, .specialProcedure: .withdrawn,
        ],
        .terminate: [.accepted: .terminated, .underReview: .terminated, .specialProcedure: .terminated, .correctionRequested: .terminated],
    ]

    /// The next state, or a clear refusal (409 at the API).
    public static func next(_ state: CaseState, _ action: CaseAction, facts: CaseFacts = CaseFacts()) throws(DomainError) -> CaseState {
        guard let target = table[action]?[state] else {
            throw .conflict("case.transition_not_allowed", "办件当前状态为“\(state.chineseName)”，不能执行“\(action.chineseName)”。")
        }
        switch action {
        case .approve, .approveOnTimeout, .deny:
            if facts.deferredMaterialsOutstanding {
                throw .conflict("case.deferred_materials_outstanding", "容缺受理的材料尚未补齐，不能作出决定。")
            }
        default:
            break
        }
        // After acceptance a correction stops the clock of one task of a bundle, whose applicant
        // answers one notice for every task; a single case is corrected before acceptance (《行政许可法》第三十二条).
        if action == .requestCorrection && !state.isBeforeAcceptance && !facts.inBundle {
            throw .conflict("case.correction_after_acceptance", "办件已受理，不能再要求补正；受理后的补正只适用于“一件事”的联办事项。")
        }
        if action == .resumeReview && !facts.inBundle {
            throw .conflict("case.not_in_bundle", "只有“一件事”的联办事项在申请人补正后继续审查。")
        }
        if action == .approveOnTimeout && !(facts.approvesOnTimeout && facts.pastDeadline) {
            throw .conflict("case.timeout_not_applicable", "该事项不适用超时默认，或办理期限尚未届满。")
        }
        if action == .issueCertificate && !facts.producesCertificate {
            throw .conflict("case.no_certificate", "该事项的办理结果不是证照，无需制证，请直接送达。")
        }
        return target
    }

    /// Timeline entries that record a fact rather than a transition.
    public static let deferredMaterialsSupplied = "supplyDeferredMaterials"
    public static let deadlineExtended = "extendDeadline"
    public static let formUpdated = "updateForm"
    public static let materialSupplied = "supplyMaterial"
    public static let materialReused = "reuseMaterial"

    /// The Chinese name of a timeline entry.
    public static func eventName(_ action: String) -> String {
        switch action {
        case deferredMaterialsSupplied: "补齐容缺材料"
        case deadlineExtended: "延长办理期限"
        case formUpdated: "修改申请表"
        case materialSupplied: "提交材料"
        case materialReused: "复用材料"
        default: CaseAction(rawValue: action)?.chineseName ?? action
        }
    }

    /// Actions possible from a state (before the guards), for pages and the API.
    public static func actions(from state: CaseState) -> [CaseAction] {
        CaseAction.allCases.filter { table[$0]?[state] != nil }
    }
}

/// The variants of a case the catalog version decides (SPEC C3).
public enum CaseVariants {
    /// After a 告知承诺 approval the department checks the commitment within this many working days.
    public static let commitmentCheckWorkingDays = 40
    /// 容缺受理 without a period in the guide: the missing materials follow within this many working days.
    public static let defaultDeferredMaterialDays = 5

    /// 《行政许可法》第四十二条: the time limit may be extended once, by at most ten working days,
    /// with the approval of the head of the department and the reason told to the applicant.
    public static let maximumExtensionWorkingDays = 10

    /// Checks a requested extension against the law before the clock takes it.
    public static func checkExtension(workingDays: Int, state: CaseState) throws(DomainError) {
        guard state.clockRuns || state == .specialProcedure else {
            throw .conflict("case.no_running_clock", "办件当前状态为“\(state.chineseName)”，没有正在计算的办理期限，不能延期。")
        }
        guard (1...maximumExtensionWorkingDays).contains(workingDays) else {
            throw .invalid("case.extension_days", "延长期限应为1到\(maximumExtensionWorkingDays)个工作日(《行政许可法》第四十二条)。")
        }
    }

    /// A reason as recorded and told: trimmed, at most 2,000 characters, nil when nothing is left.
    public static func reason(_ raw: String?) -> String? {
        let reason = raw?.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000).description
        return reason?.isEmpty == true ? nil : reason
    }

    /// 延期 planned: the law's checks, the reason the applicant must be told, the clock moved
    /// (the move recorded with its cause), and the words of the timeline step and the notice.
    public static func planExtension(
        _ clock: DeadlineClock?, state: CaseState, workingDays: Int, reason raw: String?, today: LocalDate, approvedBy: String,
        calendar: WorkingCalendar
    ) throws(DomainError) -> (clock: DeadlineClock, reason: String) {
        try checkExtension(workingDays: workingDays, state: state)
        guard let reason = reason(raw), var clock else {
            throw .invalid("case.reason_required", "延期须说明理由，理由将告知申请人。", fields: [FieldError(field: "reason", message: "请填写理由。")])
        }
        try clock.extend(by: workingDays, on: today, reason: reason, approvedBy: approvedBy, calendar: calendar)
        return (clock, reason)
    }

    /// A 即办件 is decided at acceptance: the approval follows in the same transaction.
    public static func decidedAtAcceptance(_ guide: ServiceGuide) -> Bool { guide.processing == .immediate }

    /// States in which materials may still be given: before acceptance, or a deferred one later.
    public static func acceptsMaterials(_ state: CaseState, deferredOutstanding: Bool) -> Bool {
        [.draft, .submitted, .preReview, .correctionRequested].contains(state)
            || (deferredOutstanding && [.accepted, .underReview, .specialProcedure].contains(state))
    }
}

/// The staff work queue's order, as one sortable key kept on the case, so that a department's
/// queue is read from an index however many cases the database holds.
public enum CaseQueue {
    /// Cases out of every staff queue (the applicant's turn, or finished) sort after this.
    public static let outOfQueue = "~"

    /// Waiting for staff: to accept, review, decide, make, hand out or close.
    public static func awaitsStaff(_ state: CaseState) -> Bool {
        ![.draft, .correctionRequested, .closed, .archived, .withdrawn, .terminated].contains(state)
    }

    /// Green channel first, then the earliest deadline, then cases without one (not yet
    /// accepted) by filing time.
    public static func order(state: CaseState, greenChannel: Bool, deadline: String?, createdAt: Date) -> String {
        guard awaitsStaff(state) else { return outOfQueue }
        let filed = String(format: "%013.0f", max(0, createdAt.timeIntervalSince1970 * 1000))
        let green = greenChannel && (state.isBeforeAcceptance || state.clockRuns || state == .specialProcedure)
        return (green ? "0" : deadline == nil ? "2" : "1") + (deadline ?? "9999-12-31") + filed
    }
}

/// How urgent a case is for the staff who hold it: the colour of its running deadline, or why
/// there is none. Alerts are raised at yellow and red, each once per deadline.
public enum CaseUrgency: String, Codable, Sendable, CaseIterable {
    case green, yellow, red, suspended, none

    public var chineseName: String {
        switch self {
        case .green: "正常"
        case .yellow: "预警"
        case .red: "超期"
        case .suspended: "暂停计时"
        case .none: "未计时"
        }
    }

    /// Order of alerts: an alert is raised only when a case becomes more urgent than its last.
    public var alertRank: Int {
        switch self {
        case .red: 2
        case .yellow: 1
        default: 0
        }
    }

    public static func of(state: CaseState, deadline: String?, today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> CaseUrgency {
        if state == .specialProcedure { return .suspended }
        guard state.clockRuns, let text = deadline, let date = try? LocalDate(text) else { return .none }
        return CaseUrgency(rawValue: DeadlineClock.status(of: date, today: today, warnWithin: warnWithin, calendar: calendar).rawValue) ?? .none
    }
}
