import Foundation

/// The publication state of one version of a catalog entry.
public enum VersionState: String, Codable, CaseIterable, Sendable, Hashable {
    case draft, submitted, approved, published, retired

    public var chineseName: String {
        switch self {
        case .draft: "草稿"
        case .submitted: "已提交审核"
        case .approved: "已审核通过"
        case .published: "已发布"
        case .retired: "已停用"
        }
    }

    /// Content can change only while a version is a draft; a published version is frozen forever.
    public var isEditable: Bool { self == .draft }

    /// On its way to publication (draft or under review), as opposed to public or past.
    public var isInProgress: Bool { self == .draft || self == .submitted || self == .approved }
}

/// What catalog staff can do to a version.
public enum CatalogAction: String, Codable, CaseIterable, Sendable, Hashable {
    case submit, approve, returnToDraft, publish, retire

    public var chineseName: String {
        switch self {
        case .submit: "提交审核"
        case .approve: "审核通过"
        case .returnToDraft: "退回修改"
        case .publish: "发布"
        case .retire: "停用"
        }
    }
}

/// The effects the server performs after a transition, in the same transaction.
public enum CatalogEffect: Equatable, Sendable {
    /// Retire the version that was published before (a new one supersedes it).
    case retirePreviouslyPublished
    /// Make this version the public one (search projection, guide pages).
    case becomePublic
    /// Take the item off the public catalog.
    case withdrawFromPublic
}

public struct CatalogTransition: Equatable, Sendable {
    public var from: VersionState
    public var to: VersionState
    public var effects: [CatalogEffect]
}

/// 草稿 → 已提交 → 已审核 → 已发布 → 已停用, with 退回 from the two review states back to 草稿.
public enum CatalogWorkflow {
    public static func transition(from state: VersionState, action: CatalogAction) throws(DomainError) -> CatalogTransition {
        switch (state, action) {
        case (.draft, .submit):
            return CatalogTransition(from: state, to: .submitted, effects: [])
        case (.submitted, .approve):
            return CatalogTransition(from: state, to: .approved, effects: [])
        case (.submitted, .returnToDraft), (.approved, .returnToDraft):
            return CatalogTransition(from: state, to: .draft, effects: [])
        case (.approved, .publish):
            return CatalogTransition(from: state, to: .published, effects: [.retirePreviouslyPublished, .becomePublic])
        case (.published, .retire):
            return CatalogTransition(from: state, to: .retired, effects: [.withdrawFromPublic])
        default:
            throw DomainError.conflict(
                "catalog.transition_not_allowed",
                "事项版本当前为“\(state.chineseName)”状态，不能执行“\(action.chineseName)”。")
        }
    }

    /// The actions allowed in a state, for buttons on pages.
    public static func allowedActions(in state: VersionState) -> [CatalogAction] {
        CatalogAction.allCases.filter { (try? transition(from: state, action: $0)) != nil }
    }
}
