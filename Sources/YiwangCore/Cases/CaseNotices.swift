import Foundation

/// What a notice about a case needs to know of it.
public struct CaseNoticeFacts: Sendable, Equatable {
    public var itemName: String
    public var number: String?
    public var deadline: String?
    public var deferredDue: String?
    public var commitmentCheckDue: String?
    /// The reason given with the step (told to the applicant for refusals, corrections, denials).
    public var reason: String?
    /// What the item gives, which words the decision (许可, 备案, 给付).
    public var result: ResultKind

    public init(
        itemName: String, number: String? = nil, deadline: String? = nil, deferredDue: String? = nil, commitmentCheckDue: String? = nil,
        reason: String? = nil, result: ResultKind
    ) {
        self.itemName = itemName
        self.number = number
        self.deadline = deadline
        self.deferredDue = deferredDue
        self.commitmentCheckDue = commitmentCheckDue
        self.reason = reason
        self.result = result
    }
}

public struct CaseNotice: Sendable, Equatable {
    public var subject: String
    public var body: String

    public init(subject: String, body: String) {
        self.subject = subject
        self.body = body
    }
}

/// The words of every notice a step of a case sends: one place, shared by the service (which
/// queues them) and anything that shows them, so no page or job restates them.
public enum CaseNotices {
    /// The decision in the item's own terms: a licence is 准予许可, a filing 已备案, a payment 准予给付.
    public static func decision(_ result: ResultKind) -> (approved: String, denied: String) {
        switch result {
        case .licence, .approvalDocument: ("准予许可", "不予许可")
        case .filingRecord: ("予以备案", "不予备案")
        case .payment: ("准予给付", "不予给付")
        case .other: ("办结", "不予办理")
        }
    }

    /// What the handling department's inbox is told when its queue gains work; nil otherwise.
    public static func department(_ action: CaseAction, _ facts: CaseNoticeFacts) -> CaseNotice? {
        let body: String
        switch action {
        case .submit: body = "新的申报待受理：“\(facts.itemName)”。"
        case .accept: body = "办件 \(facts.number ?? "") “\(facts.itemName)”已受理，待审查决定。"
        default: return nil
        }
        return CaseNotice(subject: "待办：\(action.chineseName)", body: body)
    }

    /// What the applicant is told (inbox, SMS, e-mail); nil for steps that tell them nothing.
    /// 延期: what the timeline records and the applicant is told.
    public static func extended(itemName: String, workingDays: Int, deadline: String?, reason: String) -> (step: String, notice: CaseNotice) {
        let step = "延长\(workingDays)个工作日，办理期限至 \(deadline ?? "")。理由：\(reason)"
        return (step, CaseNotice(subject: "办件进度：延长办理期限", body: "您申报的“\(itemName)”" + step))
    }

    /// The licence a decision issued, in the holder's wallet (证照夹).
    public static func licenceIssued(itemName: String, licenceName: String, number: String, identifier: String) -> CaseNotice {
        CaseNotice(
            subject: "电子证照已制发：\(licenceName)",
            body: "您申报的“\(itemName)”已准予许可，电子\(licenceName)(编号 \(number))已存入您的证照夹，可出示、分享并在办事时免于提交。证照标识：\(identifier)。")
    }

    public static func applicant(_ action: CaseAction, _ facts: CaseNoticeFacts) -> CaseNotice? {
        let item = "您申报的“\(facts.itemName)”"
        let reason = facts.reason ?? ""
        let decision = decision(facts.result)
        let body: String
        switch action {
        case .submit:
            body = item + "已提交，请留意受理结果。"
        case .accept:
            body = item + "已受理，受理编号 \(facts.number ?? "")，办理期限至 \(facts.deadline ?? "")。"
                + (facts.deferredDue.map { "请于 \($0) 前补交容缺材料。" } ?? "")
        case .rejectAtAcceptance:
            body = item + "不予受理：\(reason)"
        case .requestCorrection:
            body = item + "需要补正：\(reason)。请一次性补齐后重新提交。"
        case .approve, .approveOnTimeout:
            body = item + "已\(decision.approved)。" + (facts.commitmentCheckDue.map { "您已作出告知承诺，相关部门将于 \($0) 前核查。" } ?? "")
        case .deny:
            body = item + "\(decision.denied)：\(reason)。如不服，可在收到决定之日起六十日内依法申请行政复议，或在六个月内提起行政诉讼。"
        case .deliver:
            body = item + "办理结果已送达。"
        case .terminate:
            body = item + "已终止办理：\(reason)"
        default:
            return nil
        }
        return CaseNotice(subject: "办件进度：\(action.chineseName)", body: body)
    }
}
