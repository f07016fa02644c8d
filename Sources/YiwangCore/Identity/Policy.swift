import Foundation

/// Staff roles (SPEC "who uses it"); each is granted within a scope.
public enum StaffRole: String, Codable, CaseIterable, Sendable, Hashable {
    case windowClerk, approver, departmentAdministrator, catalogAdministrator, supervisor, hotlineOperator, systemAdministrator

    public var chineseName: String {
        switch self {
        case .windowClerk: "综合窗口人员"
        case .approver: "后台审批人员"
        case .departmentAdministrator: "部门管理员"
        case .catalogAdministrator: "事项管理员"
        case .supervisor: "电子监察人员"
        case .hotlineOperator: "12345热线话务员"
        case .systemAdministrator: "系统管理员"
        }
    }
}

/// Where a grant applies: a department, a region subtree, or both; nil parts mean "any".
public struct Scope: Codable, Sendable, Hashable {
    public var departmentCreditCode: String?
    public var regionCode: String?

    public init(departmentCreditCode: String? = nil, regionCode: String? = nil) {
        self.departmentCreditCode = departmentCreditCode
        self.regionCode = regionCode
    }

    public static let everywhere = Scope()

    /// Whether every resource this scope reaches is also reached by `outer`.
    public func isWithin(_ outer: Scope) -> Bool {
        if let department = outer.departmentCreditCode, department != departmentCreditCode { return false }
        if let outerRegion = outer.regionCode {
            guard let own = regionCode, let outerCode = try? RegionCode(outerRegion), let ownCode = try? RegionCode(own) else {
                return false
            }
            return outerCode.contains(ownCode)
        }
        return true
    }

    /// Whether a resource owned by `department` in `region` lies inside this scope.
    public func covers(department: String?, region: String?) -> Bool {
        if let own = departmentCreditCode, own != department { return false }
        if let own = regionCode {
            guard let region, let scopeCode = try? RegionCode(own), let resourceCode = try? RegionCode(region) else {
                return false
            }
            return scopeCode.contains(resourceCode)
        }
        return true
    }
}

public struct Grant: Codable, Sendable, Hashable {
    public var role: StaffRole
    public var scope: Scope

    public init(role: StaffRole, scope: Scope) {
        self.role = role
        self.scope = scope
    }
}

/// Applicants: natural persons and legal persons (统一身份认证).
public enum ApplicantKind: String, Codable, CaseIterable, Sendable, Hashable {
    case person, company

    public var chineseName: String { self == .person ? "自然人" : "法人" }
}

/// What an agent (经办人) may do for a company; the legal representative may do everything.
public enum AgentPower: String, Codable, CaseIterable, Sendable, Hashable {
    case apply, viewCases, pay, receiveLicences

    public var chineseName: String {
        switch self {
        case .apply: "申请办理事项"
        case .viewCases: "查看办件进度"
        case .pay: "缴纳费用"
        case .receiveLicences: "领取证照"
        }
    }
}

/// A signed-in applicant, possibly acting for a company as its agent.
public struct ApplicantActor: Sendable, Hashable {
    public struct Representation: Sendable, Hashable {
        public var companyID: String
        public var companyName: String
        /// What the company granted; every power for its legal representative.
        public var powers: Set<AgentPower>
        /// The legal representative speaks for the company itself (manages its agents); an agent
        /// holding every power still does not.
        public var isLegalRepresentative: Bool

        public init(companyID: String, companyName: String, powers: Set<AgentPower>, isLegalRepresentative: Bool = false) {
            self.companyID = companyID
            self.companyName = companyName
            self.powers = isLegalRepresentative ? Set(AgentPower.allCases) : powers
            self.isLegalRepresentative = isLegalRepresentative
        }
    }

    public var accountID: String
    public var kind: ApplicantKind
    public var displayName: String
    public var actingFor: Representation?

    public init(accountID: String, kind: ApplicantKind, displayName: String, actingFor: Representation? = nil) {
        self.accountID = accountID
        self.kind = kind
        self.displayName = displayName
        self.actingFor = actingFor
    }

    /// Whose affairs this actor is handling: the company when acting for one, else their own.
    public var principalID: String { actingFor?.companyID ?? accountID }
}

/// Who is acting.
public enum Actor: Sendable, Hashable {
    case anonymous
    case staff(account: String, grants: [Grant])
    case applicant(ApplicantActor)

    public var accountName: String {
        switch self {
        case .anonymous: "anonymous"
        case .staff(let account, _): account
        case .applicant(let applicant): "applicant:" + applicant.accountID
        }
    }

    public var grants: [Grant] {
        switch self {
        case .staff(_, let grants): grants
        case .anonymous, .applicant: []
        }
    }
}

/// What an actor wants to do.
public enum PolicyAction: String, CaseIterable, Sendable, Hashable {
    case readPublishedCatalog
    case readDraftCatalog
    case editCatalog
    case reviewCatalog
    case publishCatalog
    case importCatalog
    /// Create accounts, grant and revoke roles, disable, reset passwords.
    case manageStaff
    /// Search the audit trail and check its chain.
    case viewAudit
    /// Find an applicant by ID number (at the window, on the hotline), seeing masked data.
    case lookUpApplicants
    /// See a full ID number or phone number; every use is itself audited.
    case revealPersonalData
    /// Enter or correct a year's official holiday arrangement in the working calendar.
    case manageCalendar
    /// See cases handled by one's department (queues, timelines, the list of materials).
    case readCases
    /// Open the applicants' material files (scans of ID cards, contracts) of cases in scope;
    /// every download is audited. The hotline follows progress and never needs the scans.
    case readCaseMaterials
    /// The window's part of a case: pre-review, acceptance or refusal, correction notices, hand-out.
    case handleCaseAtWindow
    /// The back office's part: review, special procedures, decision, certificate, termination.
    case decideCase
    /// See notifications that could not be delivered, and resend them.
    case manageNotifications
    /// See the electronic licences issued in one's scope (a licence offered as a material, a
    /// holder's question); every look is logged for the holder.
    case readLicences
    /// Revoke, renew or change the face of a licence one's department issued.
    case manageLicences
    /// Issue, rotate and revoke the departments' electronic seals.
    case manageSeals
    /// Search the whole log of registry reads (数据使用记录).
    case viewDataUses
    /// Read the reviews (好差评) of cases and visits in scope, the reviewer masked.
    case readReviews
    /// See who gave a review (name and phone for the return visit); every look is audited.
    case revealReviewer
    /// Verify, classify, answer and call back a bad review (差评整改) of one's department.
    case handleBadReviews
    /// Decide a department's appeal that a bad review was mistaken or malicious (申诉复核).
    case decideReviewAppeals
    /// Write down a rating an applicant gives on the phone (channel 电话).
    case recordPhoneReviews
    /// The supervision board (电子监察): deadlines, alerts, bad reviews and cards in scope.
    case superviseService
    // Applicants' own affairs.
    case manageOwnAccount
    case manageAgents
    case applyForService
    case viewOwnCases
    case payFees
    case receiveLicences
    /// Rate one's own cases (好差评) and the rectification of one's bad review.
    case evaluateService

    /// Actions an applicant performs on their own (or their company's) affairs.
    public var isApplicantAction: Bool {
        switch self {
        case .manageOwnAccount, .manageAgents, .applyForService, .viewOwnCases, .payFees, .receiveLicences, .evaluateService: true
        default: false
        }
    }

    /// The agent power an action needs when done for a company.
    var agentPower: AgentPower? {
        switch self {
        case .applyForService: .apply
        case .viewOwnCases, .evaluateService: .viewCases
        case .payFees: .pay
        case .receiveLicences: .receiveLicences
        default: nil
        }
    }
}

extension PolicyAction {
    /// The permission a case action needs; nil for what only the platform itself does
    /// (approval on timeout, archiving).
    public init?(_ action: CaseAction) {
        switch action {
        case .submit, .withdraw, .resumeReview: self = .applyForService
        case .preReview, .accept, .rejectAtAcceptance, .requestCorrection, .deliver, .close: self = .handleCaseAtWindow
        case .review, .startSpecialProcedure, .endSpecialProcedure, .approve, .deny, .issueCertificate, .terminate: self = .decideCase
        case .approveOnTimeout, .archive: return nil
        }
    }

    /// The permissions, any one of which lets an actor take a case action. At the window a clerk
    /// files, submits and withdraws for the applicant who stands there (代办), and decides a
    /// 即办件 on the spot (`onTheSpot`, which the back office may also do); elsewhere each action
    /// has its one permission.
    public static func anyOf(_ action: CaseAction, filedAtWindow: Bool, onTheSpot: Bool = false) -> [PolicyAction] {
        guard let own = PolicyAction(action) else { return [] }
        switch action {
        case .submit where filedAtWindow, .withdraw where filedAtWindow: return [own, .handleCaseAtWindow]
        case .approve where onTheSpot: return [own, .handleCaseAtWindow]
        default: return [own]
        }
    }

    /// The permission a workflow step needs: authors submit, reviewers approve or return, publishers publish and retire.
    public init(_ action: CatalogAction) {
        switch action {
        case .submit: self = .editCatalog
        case .approve, .returnToDraft: self = .reviewCatalog
        case .publish, .retire: self = .publishCatalog
        }
    }
}

/// The owner of a resource: the department and region that handle it, and the applicant whose
/// affairs it is (for personal records and, later, cases).
public struct ResourceOwner: Sendable, Hashable {
    public var departmentCreditCode: String?
    public var regionCode: String?
    public var applicantID: String?

    public init(departmentCreditCode: String?, regionCode: String?, applicantID: String? = nil) {
        self.departmentCreditCode = departmentCreditCode
        self.regionCode = regionCode
        self.applicantID = applicantID
    }

    /// A resource that belongs to no one in particular (the whole catalog, the whole trail).
    public static let global = ResourceOwner(departmentCreditCode: nil, regionCode: nil)

    /// An applicant's own record, handled city-wide.
    public static func applicant(_ id: String) -> ResourceOwner {
        ResourceOwner(departmentCreditCode: nil, regionCode: nil, applicantID: id)
    }

    var isGlobal: Bool { self == .global }
}

/// One place decides who may do what. Handlers ask; they never compare roles themselves.
public enum Policy {
    /// The roles that may perform an action (within their scope).
    public static func roles(for action: PolicyAction) -> Set<StaffRole> {
        switch action {
        case .readPublishedCatalog:
            Set(StaffRole.allCases)
        case .readDraftCatalog:
            // Clerks and approvers see their department's coming guide changes before the public does.
            [.catalogAdministrator, .departmentAdministrator, .supervisor, .systemAdministrator, .windowClerk, .approver]
        case .editCatalog:
            [.catalogAdministrator, .departmentAdministrator]
        case .reviewCatalog, .publishCatalog:
            [.catalogAdministrator]
        case .importCatalog:
            [.catalogAdministrator]
        case .manageStaff:
            [.systemAdministrator, .departmentAdministrator]
        case .viewAudit:
            [.supervisor, .systemAdministrator]
        case .lookUpApplicants:
            [.windowClerk, .approver, .supervisor, .hotlineOperator]
        case .revealPersonalData:
            [.windowClerk, .supervisor]
        case .manageCalendar:
            [.systemAdministrator]
        case .readCases:
            [.windowClerk, .approver, .departmentAdministrator, .supervisor, .hotlineOperator]
        case .readCaseMaterials:
            [.windowClerk, .approver, .supervisor]
        case .handleCaseAtWindow:
            [.windowClerk]
        case .decideCase:
            [.approver]
        case .manageNotifications:
            [.systemAdministrator]
        case .readLicences:
            [.windowClerk, .approver, .supervisor]
        case .manageLicences:
            [.approver]
        case .manageSeals:
            [.systemAdministrator]
        case .viewDataUses:
            [.supervisor]
        case .readReviews:
            [.windowClerk, .approver, .departmentAdministrator, .supervisor]
        case .revealReviewer:
            [.departmentAdministrator, .supervisor]
        case .handleBadReviews:
            [.approver, .departmentAdministrator]
        case .decideReviewAppeals, .superviseService:
            [.supervisor]
        case .recordPhoneReviews:
            [.hotlineOperator]
        case .manageOwnAccount, .manageAgents, .applyForService, .viewOwnCases, .payFees, .receiveLicences, .evaluateService:
            []
        }
    }

    /// Roles a holder of `manager` may hand out (never more than their own kind of power).
    public static func grantableRoles(by manager: StaffRole) -> Set<StaffRole> {
        switch manager {
        case .systemAdministrator: Set(StaffRole.allCases)
        case .departmentAdministrator: [.windowClerk, .approver]
        default: []
        }
    }

    /// Whether the actor may give (or take away) this grant: a role they may hand out, within a scope they manage.
    public static func mayGrant(_ actor: Actor, _ grant: Grant) -> Bool {
        actor.grants.contains { held in
            roles(for: .manageStaff).contains(held.role) && grantableRoles(by: held.role).contains(grant.role)
                && grant.scope.isWithin(held.scope)
        }
    }

    /// Whether the actor may manage an account holding these grants: every one of them must be
    /// theirs to give, so a department administrator can never touch a system administrator.
    public static func mayManage(_ actor: Actor, accountGrants: [Grant]) -> Bool {
        if accountGrants.isEmpty { return allows(actor, .manageStaff) }
        return accountGrants.allSatisfy { mayGrant(actor, $0) }
    }

    /// Actions open to everyone, signed in or not.
    public static func isPublic(_ action: PolicyAction) -> Bool { action == .readPublishedCatalog }

    public static func allows(_ actor: Actor, _ action: PolicyAction, on owner: ResourceOwner = .global) -> Bool {
        if isPublic(action) { return true }
        if action.isApplicantAction { return applicantAllows(actor, action, on: owner) }
        let allowed = roles(for: action)
        return actor.grants.contains { grant in
            allowed.contains(grant.role) && grantCovers(grant, owner, for: action)
        }
    }

    /// Whole-platform resources (import, export, the full lint, the whole trail) need an
    /// unrestricted grant. An applicant's own record is city-wide: any window clerk may find a
    /// walk-in applicant (masked), but anything more of it needs an unrestricted grant, or a
    /// case of theirs in the grant's scope (`mayReveal`).
    private static func grantCovers(_ grant: Grant, _ owner: ResourceOwner, for action: PolicyAction) -> Bool {
        if owner.isGlobal { return grant.scope == .everywhere }
        if owner.applicantID != nil, owner.departmentCreditCode == nil, owner.regionCode == nil {
            return action == .lookUpApplicants || grant.scope == .everywhere
        }
        return grant.scope.covers(department: owner.departmentCreditCode, region: owner.regionCode)
    }

    /// Whether the actor may see an applicant's full identifier and phone: with an unrestricted
    /// grant, or where the applicant has a case handled in the grant's scope (a clerk of one
    /// department cannot reveal the whole city).
    public static func mayReveal(_ actor: Actor, applicantID: String, casesHandledBy owners: [ResourceOwner]) -> Bool {
        if allows(actor, .revealPersonalData, on: .applicant(applicantID)) { return true }
        return owners.contains { owner in
            allows(actor, .revealPersonalData, on: ResourceOwner(departmentCreditCode: owner.departmentCreditCode, regionCode: owner.regionCode, applicantID: applicantID))
        }
    }

    /// Applicants act only on their own affairs; an agent only within the powers granted.
    private static func applicantAllows(_ actor: Actor, _ action: PolicyAction, on owner: ResourceOwner) -> Bool {
        guard case .applicant(let applicant) = actor, let subject = owner.applicantID, subject == applicant.principalID else {
            return false
        }
        switch action {
        case .manageOwnAccount:
            return applicant.actingFor == nil
        case .manageAgents:
            // The company account itself, or its legal representative acting for it.
            if applicant.actingFor == nil { return applicant.kind == .company }
            return applicant.actingFor?.isLegalRepresentative == true
        default:
            guard let representation = applicant.actingFor else { return true }
            guard let power = action.agentPower else { return false }
            return representation.powers.contains(power)
        }
    }

    public static func authorize(_ actor: Actor, _ action: PolicyAction, on owner: ResourceOwner = .global) throws(DomainError) {
        guard allows(actor, action, on: owner) else {
            if case .anonymous = actor {
                throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录。")
            }
            throw DomainError.forbidden()
        }
    }

    /// Whether the actor holds a role for the action anywhere (the scope is checked per resource later).
    public static func mayAttempt(_ actor: Actor, _ action: PolicyAction) -> Bool {
        if isPublic(action) { return true }
        if action.isApplicantAction {
            guard case .applicant(let applicant) = actor else { return false }
            return allows(actor, action, on: .applicant(applicant.principalID))
        }
        return actor.grants.contains { roles(for: action).contains($0.role) }
    }

    public static func authorizeSomewhere(_ actor: Actor, _ action: PolicyAction) throws(DomainError) {
        guard mayAttempt(actor, action) else {
            if case .anonymous = actor {
                throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录。")
            }
            throw DomainError.forbidden()
        }
    }

    /// The scopes in which an actor may perform an action, for filtering list queries;
    /// nil means unrestricted, an empty array means nothing.
    public static func scopes(for actor: Actor, _ action: PolicyAction) -> [Scope]? {
        if isPublic(action) { return nil }
        let allowed = roles(for: action)
        let scopes = actor.grants.filter { allowed.contains($0.role) }.map(\.scope)
        return scopes.contains(.everywhere) ? nil : scopes
    }
}
