import Foundation

/// What the policy needs to know of a case beyond its owner.
public struct CaseSubject: Sendable {
    public var owner: ResourceOwner
    public var state: CaseState
    /// Filed at the comprehensive window (a clerk files for the applicant standing there).
    public var filedAtWindow: Bool
    /// Who filed it (account name), so an agent may follow what they filed.
    public var filedBy: String

    public init(owner: ResourceOwner, state: CaseState, filedAtWindow: Bool, filedBy: String) {
        self.owner = owner
        self.state = state
        self.filedAtWindow = filedAtWindow
        self.filedBy = filedBy
    }
}

extension Policy {
    /// Who may read a case: the applicant (or an agent who may follow their cases, or who filed
    /// this one); staff in scope, except for an online draft, which is the applicant's alone.
    public static func mayRead(_ actor: Actor, case subject: CaseSubject) -> Bool {
        mayRead(actor, subject, staffNeed: .readCases)
    }

    /// Who may open a case's material files: the applicant's side as for reading the case;
    /// staff only with `readCaseMaterials` in scope (the hotline sees progress, not scans).
    public static func mayReadFiles(_ actor: Actor, case subject: CaseSubject) -> Bool {
        mayRead(actor, subject, staffNeed: .readCaseMaterials)
    }

    private static func mayRead(_ actor: Actor, _ subject: CaseSubject, staffNeed: PolicyAction) -> Bool {
        guard let applicant = subject.owner.applicantID else { return false }
        if allows(actor, .viewOwnCases, on: .applicant(applicant)) { return true }
        if subject.filedBy == actor.accountName, allows(actor, .applyForService, on: .applicant(applicant)) { return true }
        if subject.state == .draft && !subject.filedAtWindow { return false }
        return allows(actor, staffNeed, on: subject.owner)
    }

    /// Who may change the form or give materials: the applicant online; for a case filed at the
    /// window, also the clerk there.
    public static func mayFile(_ actor: Actor, case subject: CaseSubject) -> Bool {
        PolicyAction.anyOf(.submit, filedAtWindow: subject.filedAtWindow).contains { allows(actor, $0, on: subject.owner) }
    }
}

/// Who took a step, as the applicant's side sees it: the applicant, their agent, a role of the
/// handling department, or the platform. Staff account names stay inside the department.
public enum CaseTimelineActor {
    /// Whether an account name is a staff member's (not an applicant's, not the platform's).
    public static func isStaff(_ account: String) -> Bool { !account.hasPrefix("applicant:") && !account.hasPrefix("system:") }

    public static func label(account: String, action: String, applicantID: String) -> String {
        if account == "applicant:" + applicantID { return "申请人" }
        if account.hasPrefix("applicant:") { return "经办人" }
        if account.hasPrefix("system:") { return "平台" }
        switch CaseAction(rawValue: action).flatMap(PolicyAction.init) {
        case .handleCaseAtWindow?, .applyForService?: return StaffRole.windowClerk.chineseName
        case .decideCase?: return StaffRole.approver.chineseName
        default: return action == CaseLifecycle.deadlineExtended ? StaffRole.approver.chineseName : "工作人员"
        }
    }
}
