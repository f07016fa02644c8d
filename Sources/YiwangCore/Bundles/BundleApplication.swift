import Foundation

/// Where a bundle application (一件事申请) stands, as its applicant and the lead window see it.
public enum BundleApplicationState: String, Codable, CaseIterable, Sendable, Hashable {
    /// Filed: one form and one set of materials, waiting for the lead window's one acceptance.
    case submitted
    /// Accepted: the member tasks run in their departments.
    case accepted
    /// A task waits for the applicant's answer to the bundle's one correction notice.
    case correctionRequested
    /// Every task decided; the results are handed out together.
    case completed
    /// Refused at the window (不予受理), with the reason told.
    case notAccepted
    /// Withdrawn by the applicant before acceptance.
    case withdrawn

    public var chineseName: String {
        switch self {
        case .submitted: "已申报，待受理"
        case .accepted: "各部门并联办理中"
        case .correctionRequested: "待补正"
        case .completed: "已办结"
        case .notAccepted: "不予受理"
        case .withdrawn: "已撤回"
        }
    }

    public var isFinished: Bool { self == .completed || self == .notAccepted || self == .withdrawn }

    /// The state an accepted application is in, from its progress.
    public static func of(_ progress: BundleProgress) -> BundleApplicationState {
        if progress.outcome != nil { return .completed }
        return progress.tasks.contains { $0.status == .correctionRequested } ? .correctionRequested : .accepted
    }
}

/// What the applicant of a bundle is told, in one place so pages and notices agree.
public enum BundleNotices {
    /// The one receipt (受理回执) at acceptance: the number, the promise and every task.
    public static func receipt(bundleName: String, number: String, deadline: String?, tasks: [ParallelTask]) -> CaseNotice {
        let lines = tasks.enumerated().map { index, task in
            "\(index + 1). \(task.name)：" + (task.status == .waiting ? "待前置事项办结后开始" : task.status.chineseName)
        }
        return CaseNotice(
            subject: "一件事已受理：\(bundleName)",
            body: "您申请的“\(bundleName)”已一次受理，受理编号 \(number)，承诺于 \(deadline ?? "办结时限内") 前全部办结。各部门同时办理以下事项：\n"
                + lines.joined(separator: "\n"))
    }

    /// The results together, once every task is decided.
    public static func completed(bundleName: String, number: String?, outcome: BundleOutcome, tasks: [ParallelTask]) -> CaseNotice {
        let lines = tasks.enumerated().map { index, task in
            "\(index + 1). \(task.name)：\(task.status.chineseName)" + (task.cancelReason.map { "(\($0))" } ?? "")
        }
        let head: String = switch outcome {
        case .approved: "已全部办结，各项办理结果(电子证照已存入您的证照夹)如下："
        case .partlyApproved: "已办结，部分事项未获准予，结果如下："
        case .failed: "未能办成，结果如下："
        }
        return CaseNotice(
            subject: "一件事\(outcome.chineseName)：\(bundleName)",
            body: "您申请的“\(bundleName)”" + (number.map { "(受理编号 \($0))" } ?? "") + head + "\n" + lines.joined(separator: "\n"))
    }

    public static func notAccepted(bundleName: String, reason: String) -> CaseNotice {
        CaseNotice(subject: "一件事不予受理：\(bundleName)", body: "您申请的“\(bundleName)”不予受理：\(reason)")
    }

    public static func correction(bundleName: String, _ notice: BundleCorrectionNotice) -> CaseNotice {
        CaseNotice(subject: "一件事需要补正：\(bundleName)", body: "您申请的“\(bundleName)”" + notice.text)
    }

    public static func told(bundleName: String, _ text: String) -> CaseNotice {
        CaseNotice(subject: "一件事办理进度：\(bundleName)", body: text)
    }
}

/// What the applicant and the lead window do to a bundle application as a whole; the tasks
/// themselves move with the case transitions of their departments.
public enum BundleApplicationAction: String, Codable, CaseIterable, Sendable, Hashable {
    /// The lead window's one acceptance: every task fanned out.
    case accept
    /// 不予受理 at the window, with the reason.
    case reject
    /// The applicant withdraws before acceptance.
    case withdraw
    /// The applicant answers the one correction notice.
    case answerCorrection

    public var chineseName: String {
        switch self {
        case .accept: "一次受理"
        case .reject: "不予受理"
        case .withdraw: "撤回申请"
        case .answerCorrection: "已补正，继续办理"
        }
    }

    /// The actions the state allows (before the policy's say).
    public static func allowed(in state: BundleApplicationState) -> [BundleApplicationAction] {
        switch state {
        case .submitted: [.accept, .reject, .withdraw]
        case .correctionRequested: [.answerCorrection]
        default: []
        }
    }

    public static func notAllowed(_ action: BundleApplicationAction, in state: BundleApplicationState) -> DomainError {
        .conflict("bundle.action_not_allowed", "一件事申请当前为“\(state.chineseName)”，不能\(action.chineseName)。")
    }
}
