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

/// Who is acting.
public enum Actor: Sendable, Hashable {
    case anonymous
    case staff(account: String, grants: [Grant])

    public var accountName: String {
        switch self {
        case .anonymous: "anonymous"
        case .staff(let account, _): account
        }
    }

    public var grants: [Grant] {
        switch self {
        case .anonymous: []
        case .staff(_, let grants): grants
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
    case exportCatalog
}

extension PolicyAction {
    /// The permission a workflow step needs: authors submit, reviewers approve or return, publishers publish and retire.
    public init(_ action: CatalogAction) {
        switch action {
        case .submit: self = .editCatalog
        case .approve, .returnToDraft: self = .reviewCatalog
        case .publish, .retire: self = .publishCatalog
        }
    }
}

/// The owner of a catalog resource, by department and region.
public struct ResourceOwner: Sendable, Hashable {
    public var departmentCreditCode: String?
    public var regionCode: String?

    public init(departmentCreditCode: String?, regionCode: String?) {
        self.departmentCreditCode = departmentCreditCode
        self.regionCode = regionCode
    }

    /// A resource that belongs to no one in particular (the whole catalog).
    public static let global = ResourceOwner(departmentCreditCode: nil, regionCode: nil)
}

/// One place decides who may do what. Handlers ask; they never compare roles themselves.
public enum Policy {
    /// The roles that may perform an action (within their scope).
    public static func roles(for action: PolicyAction) -> Set<StaffRole> {
        switch action {
        case .readPublishedCatalog:
            Set(StaffRole.allCases)
        case .readDraftCatalog:
            [.catalogAdministrator, .departmentAdministrator, .supervisor, .systemAdministrator]
        case .editCatalog:
            [.catalogAdministrator, .departmentAdministrator]
        case .reviewCatalog, .publishCatalog:
            [.catalogAdministrator]
        case .importCatalog:
            [.catalogAdministrator]
        case .exportCatalog:
            [.catalogAdministrator, .supervisor, .systemAdministrator]
        }
    }

    /// Actions open to everyone, signed in or not.
    public static func isPublic(_ action: PolicyAction) -> Bool { action == .readPublishedCatalog }

    public static func allows(_ actor: Actor, _ action: PolicyAction, on owner: ResourceOwner = .global) -> Bool {
        if isPublic(action) { return true }
        let allowed = roles(for: action)
        return actor.grants.contains { grant in
            allowed.contains(grant.role) && grantCovers(grant, owner)
        }
    }

    /// Whole-catalog resources (import, export, the full lint) need an unrestricted grant.
    private static func grantCovers(_ grant: Grant, _ owner: ResourceOwner) -> Bool {
        if owner == .global { return grant.scope == .everywhere }
        return grant.scope.covers(department: owner.departmentCreditCode, region: owner.regionCode)
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
        isPublic(action) || actor.grants.contains { roles(for: action).contains($0.role) }
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
