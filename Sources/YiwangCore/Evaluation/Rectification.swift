import Foundation

/// How the handling department classifies a bad review once verified (谁办理、谁负责).
public enum RectificationKind: String, Codable, CaseIterable, Sendable, Hashable {
    /// 情况清楚、诉求合理: put right at once.
    case immediate
    /// 情况复杂: on the ledger, put right by the deadline.
    case scheduled
    /// 缺乏法定依据: explained to the reviewer.
    case explanation
    /// 申诉: the review was mistaken (误评).
    case appealMistaken
    /// 申诉: the review was malicious (恶意差评).
    case appealMalicious

    public var chineseName: String {
        switch self {
        case .immediate: "立行立改"
        case .scheduled: "限期整改"
        case .explanation: "解释说明"
        case .appealMistaken: "申诉（误评）"
        case .appealMalicious: "申诉（恶意差评）"
        }
    }

    public var isAppeal: Bool { self == .appealMistaken || self == .appealMalicious }
}

/// Where the rectification of one bad review stands.
public enum RectificationState: String, Codable, CaseIterable, Sendable, Hashable {
    /// 待核实: opened by the bad review, waiting for the department.
    case awaitingVerification
    /// 整改中: verified and classified, being put right (or explained).
    case rectifying
    /// 申诉复核中: the department says the review is mistaken or malicious; a supervisor decides.
    case appealed
    /// 已答复: the reviewer has been answered; the return visit (回访) is due.
    case replied
    /// 已办结: return visit recorded; the loop is closed.
    case completed
    /// 申诉成立: the review stays on record but leaves the statistics.
    case appealUpheld

    public var chineseName: String {
        switch self {
        case .awaitingVerification: "待核实"
        case .rectifying: "整改中"
        case .appealed: "申诉复核中"
        case .replied: "已答复待回访"
        case .completed: "整改办结"
        case .appealUpheld: "申诉成立"
        }
    }

    /// The 15-working-day clock runs until the loop is closed one way or the other.
    public var isOpen: Bool { self != .completed && self != .appealUpheld }
}

public enum RectificationAction: String, Codable, CaseIterable, Sendable, Hashable {
    case verify, reply, returnVisit, decideAppeal

    public var chineseName: String {
        switch self {
        case .verify: "核实分类"
        case .reply: "答复评价人"
        case .returnVisit: "回访"
        case .decideAppeal: "申诉复核"
        }
    }
}

/// What a step of the loop asks for.
public struct RectificationCommand: Sendable, Equatable {
    public var action: RectificationAction
    public var kind: RectificationKind?
    /// The finding (核实情况), the reply, the return visit's result, or the appeal's decision reason.
    public var text: String?
    /// Return visit: whether the reviewer was reached. Appeal: whether it is upheld.
    public var flag: Bool?

    public init(action: RectificationAction, kind: RectificationKind? = nil, text: String? = nil, flag: Bool? = nil) {
        self.action = action
        self.kind = kind
        self.text = text
        self.flag = flag
    }
}

/// The new state and what else the step changes.
public struct RectificationPlan: Sendable, Equatable {
    public enum Effect: Sendable, Equatable {
        case classify(RectificationKind)
        case record(finding: String)
        case reply(String)
        case returnVisit(result: String, reached: Bool)
        case appealDecided(upheld: Bool, reason: String)
        /// The loop closed: on time or late against the deadline (counted in the statistics).
        case rectified(onTime: Bool)
        /// An upheld appeal takes the review out of the statistics.
        case excludeReview
    }

    public var action: RectificationAction
    public var to: RectificationState
    public var effects: [Effect]
    /// The sentence the timeline and the trail keep.
    public var summary: String
}

/// The rectification loop's rules: one table of who may go where, and what each step records.
public enum RectificationLifecycle {
    public static let table: [RectificationAction: [RectificationState: RectificationState]] = [
        .verify: [.awaitingVerification: .rectifying],
        .reply: [.rectifying: .replied],
        .returnVisit: [.replied: .completed],
        .decideAppeal: [.appealed: .rectifying],
    ]

    public static let maximumTextLength = 1000

    /// The deadline: `workingDays` (15 unless the city sets otherwise) after the day of the review.
    /// A deadline running into a year whose holidays are not yet published is counted on
    /// weekdays from there (as cases' deadlines are), so a bad review in December is never refused.
    public static func deadline(reviewedOn day: LocalDate, workingDays: Int, calendar: WorkingCalendar) throws(DomainError) -> LocalDate {
        try calendar.deadline(workingDays, after: day).date
    }

    /// The colour of an open rectification's deadline, like a case's (yellow within the warning
    /// days, red once past); none once closed.
    public static func urgency(_ state: RectificationState, deadline: LocalDate, today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> CaseUrgency {
        guard state.isOpen else { return .none }
        return CaseUrgency(rawValue: DeadlineClock.status(of: deadline, today: today, warnWithin: warnWithin, calendar: calendar).rawValue) ?? .none
    }

    public static func plan(_ state: RectificationState, _ command: RectificationCommand, deadline: LocalDate, today: LocalDate) throws(DomainError) -> RectificationPlan {
        let text = (command.text ?? "").replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) {
            throw DomainError.invalid(
                "rectification.control_character", "说明含有不可见的控制字符。", fields: [FieldError(field: "text", message: "说明含有不可见的控制字符。")])
        }
        if text.count > maximumTextLength {
            throw DomainError.invalid("rectification.too_long", "说明最多 \(maximumTextLength) 字。", fields: [FieldError(field: "text", message: "说明最多 \(maximumTextLength) 字。")])
        }
        func needText(_ what: String) throws(DomainError) {
            if text.isEmpty { throw DomainError.invalid("rectification.text_required", "请填写\(what)。", fields: [FieldError(field: "text", message: "请填写\(what)。")]) }
        }
        let refused = DomainError.conflict(
            "rectification.transition_not_allowed", "差评整改当前为“\(state.chineseName)”，不能执行“\(command.action.chineseName)”。")
        switch command.action {
        case .verify:
            guard state == .awaitingVerification else { throw refused }
            guard let kind = command.kind else {
                throw DomainError.invalid("rectification.kind_required", "请选择处理方式：立行立改、限期整改、解释说明或申诉。", fields: [FieldError(field: "kind", message: "请选择处理方式。")])
            }
            try needText("核实情况")
            return RectificationPlan(
                action: command.action, to: kind.isAppeal ? .appealed : .rectifying, effects: [.classify(kind), .record(finding: text)],
                summary: "核实：\(kind.chineseName)。\(text)")
        case .reply:
            guard state == .rectifying else { throw refused }
            try needText("给评价人的答复")
            return RectificationPlan(action: .reply, to: .replied, effects: [.reply(text)], summary: "答复评价人：\(text)")
        case .returnVisit:
            guard state == .replied else { throw refused }
            try needText("回访结果")
            let reached = command.flag ?? true
            let onTime = today <= deadline
            return RectificationPlan(
                action: command.action, to: .completed, effects: [.returnVisit(result: text, reached: reached), .rectified(onTime: onTime)],
                summary: "回访\(reached ? "" : "（未联系上评价人）")：\(text)" + (onTime ? "" : "（超过整改期限）"))
        case .decideAppeal:
            guard state == .appealed else { throw refused }
            guard let upheld = command.flag else {
                throw DomainError.invalid("rectification.decision_required", "请选择申诉是否成立。", fields: [FieldError(field: "upheld", message: "请选择申诉是否成立。")])
            }
            try needText("复核意见")
            if upheld {
                return RectificationPlan(
                    action: .decideAppeal, to: .appealUpheld, effects: [.appealDecided(upheld: true, reason: text), .excludeReview],
                    summary: "申诉成立，该评价不计入统计：\(text)")
            }
            // A rejected appeal sends the department back to put it right, by the same deadline.
            return RectificationPlan(
                action: command.action, to: .rectifying, effects: [.appealDecided(upheld: false, reason: text), .classify(.scheduled)],
                summary: "申诉不成立，须限期整改：\(text)")
        }
    }
}
