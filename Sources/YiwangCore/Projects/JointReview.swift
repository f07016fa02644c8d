import Foundation

/// One department's verdict in a joint review.
public enum ReviewVerdict: String, Codable, CaseIterable, Sendable, Hashable {
    case pass, passWithConditions, fail

    public var chineseName: String {
        switch self {
        case .pass: "通过"
        case .passWithConditions: "有条件通过"
        case .fail: "不通过"
        }
    }

    /// Conditions and refusals must say what they are.
    public var needsText: Bool { self != .pass }
}

/// What one department recorded in a joint review.
public struct ReviewOpinion: Codable, Sendable, Hashable {
    /// Credit code of the department.
    public var department: String
    public var verdict: ReviewVerdict
    /// The conditions or the grounds of a refusal; may be empty for a plain pass.
    public var text: String
    public var recordedOn: LocalDate

    public init(department: String, verdict: ReviewVerdict, text: String = "", recordedOn: LocalDate) {
        self.department = department
        self.verdict = verdict
        self.text = text
        self.recordedOn = recordedOn
    }
}

public enum JointReviewState: String, Codable, CaseIterable, Sendable, Hashable {
    /// Departments are recording their opinions.
    case open
    /// Consolidated: every department passed.
    case passed
    /// Consolidated: every department passed, some with conditions (listed together).
    case passedWithConditions
    /// Consolidated with a refusal or conflicting conditions: the lead department decides.
    case needsResolution
    /// The lead department decided; the outcome is in the resolution.
    case resolved

    public var chineseName: String {
        switch self {
        case .open: "审查中"
        case .passed: "通过"
        case .passedWithConditions: "有条件通过"
        case .needsResolution: "待牵头部门协调"
        case .resolved: "已协调决定"
        }
    }

    /// A result has been issued: the review's clock has stopped.
    public var isConcluded: Bool { self == .passed || self == .passedWithConditions || self == .resolved }
}

/// When and how the lead department consolidated the opinions of one round.
public struct JointReviewConsolidation: Codable, Sendable, Hashable {
    public var on: LocalDate
    /// The round's deadline at the time, kept so the record does not change with the calendar.
    public var deadline: LocalDate
    public var inTime: Bool
    /// Departments whose opinions conflict: every refusal, and the conditions the lead flagged.
    public var conflicting: [String]
}

/// How the lead department settled a refusal or conflicting conditions (the record of it).
public struct JointReviewResolution: Codable, Sendable, Hashable {
    public var decision: ReviewVerdict
    /// The conditions as settled, for a decision with conditions.
    public var conditions: String?
    public var reason: String
    public var decidedBy: String
    public var decidedOn: LocalDate
}

/// A finished round kept for the record when the review is reopened (revised drawings).
public struct JointReviewRound: Codable, Sendable, Hashable {
    public var number: Int
    public var startedOn: LocalDate
    public var opinions: [ReviewOpinion]
    public var state: JointReviewState
    public var consolidation: JointReviewConsolidation?
    public var resolution: JointReviewResolution?
    /// Why the lead reopened the review after this round.
    public var reopenReason: String
    public var reopenedOn: LocalDate
}

public enum JointReviewTimeliness: String, Codable, CaseIterable, Sendable, Hashable {
    case inTime, overdue

    public var chineseName: String {
        switch self {
        case .inTime: "未超期"
        case .overdue: "已超期"
        }
    }
}

public struct JointReviewTiming: Sendable, Equatable {
    public var deadline: Deadline
    /// The day the result was issued, nil while none is.
    public var concludedOn: LocalDate?
    public var timeliness: JointReviewTimeliness
}

/// 多图联审 / 联合验收 / 多评合一: several departments review one set of drawings (or one site, or
/// the assessments of one project) together, each records its opinion, and the lead department
/// issues one consolidated result within the limit (seed `003`).
public struct JointReview: Codable, Sendable, Hashable {
    public var kind: BundleKind
    /// What is reviewed, e.g. “某某项目施工图设计文件”.
    public var subject: String
    public var projectCode: ProjectCode?
    /// Credit code of the lead department (牵头部门).
    public var leadDepartment: String
    /// Credit codes of the departments that give opinions, in the order the result lists them.
    public var departments: [String]
    public var startedOn: LocalDate
    /// Working days from the start of a round to its result.
    public var limit: Int
    public var round: Int
    public var roundStartedOn: LocalDate
    /// This round's opinions.
    public var opinions: [ReviewOpinion]
    public var state: JointReviewState
    public var consolidation: JointReviewConsolidation?
    public var resolution: JointReviewResolution?
    public var earlierRounds: [JointReviewRound]

    /// The departments yet to record an opinion this round.
    public var pendingDepartments: [String] {
        let given = Set(opinions.map(\.department))
        return departments.filter { !given.contains($0) }
    }

    public func opinion(of department: String) -> ReviewOpinion? { opinions.first { $0.department == department } }

    /// The result issued, nil while none is.
    public var outcome: ReviewVerdict? {
        switch state {
        case .passed: .pass
        case .passedWithConditions: .passWithConditions
        case .resolved: resolution?.decision
        case .open, .needsResolution: nil
        }
    }

    /// Every condition of this round's opinions, in the departments' order.
    public var conditions: [ReviewOpinion] { departments.compactMap(opinion(of:)).filter { $0.verdict == .passWithConditions } }
}

/// The rules of joint review as pure functions.
public enum JointReviewRules {
    public static let jointKinds: [BundleKind] = [.jointDrawingReview, .jointInspection, .combinedAssessment]
    public static let maximumSubjectLength = 200

    /// The limit when none is given: seed `003` sets 7 working days for 多图联审 and 40 for 多评合一;
    /// it sets none for 联合验收, for which we take 7 like the drawing review (a setting, see docs).
    public static func defaultLimit(for kind: BundleKind) -> Int? {
        switch kind {
        case .jointDrawingReview, .combinedAssessment: kind.referenceLimit
        case .jointInspection: 7
        case .lifeEvent, .business: nil
        }
    }

    /// Opens a review (round 1) on `startedOn`.
    public static func start(
        kind: BundleKind, subject rawSubject: String, projectCode: ProjectCode? = nil, lead rawLead: String, departments rawDepartments: [String],
        startedOn: LocalDate, limit: Int? = nil
    ) throws(DomainError) -> JointReview {
        guard let defaultLimit = defaultLimit(for: kind) else {
            throw .invalid("joint_review.kind", "“\(kind.chineseName)”不是联合审查，应为多图联审、联合验收或多评合一。")
        }
        var problems: [FieldError] = []
        let subject = rawSubject.trimmingCharacters(in: .whitespacesAndNewlines)
        if subject.isEmpty || subject.count > maximumSubjectLength {
            problems.append(FieldError(field: "subject", message: "请填写审查对象，不超过\(maximumSubjectLength)个字。"))
        }
        var lead = rawLead
        do throws(DomainError) {
            lead = try CreditCode(rawLead).value
        } catch {
            problems.append(FieldError(field: "leadDepartment", message: "牵头部门：" + error.message))
        }
        var departments: [String] = []
        for (index, raw) in rawDepartments.enumerated() {
            do throws(DomainError) {
                let code = try CreditCode(raw).value
                if departments.contains(code) {
                    problems.append(FieldError(field: "departments/\(index)", message: "参加部门\(code)重复。"))
                } else {
                    departments.append(code)
                }
            } catch {
                problems.append(FieldError(field: "departments/\(index)", message: "参加部门：" + error.message))
            }
        }
        if rawDepartments.count < 2 {
            problems.append(FieldError(field: "departments", message: "联合审查至少应有两个参加部门。"))
        }
        let days = limit ?? defaultLimit
        if days <= 0 { problems.append(FieldError(field: "limit", message: "办理时限应大于0个工作日。")) }
        guard problems.isEmpty else {
            throw .invalid("joint_review.invalid", "联合审查信息有误：" + problems.map(\.message).joined(separator: "；"), fields: problems)
        }
        return JointReview(
            kind: kind, subject: subject, projectCode: projectCode, leadDepartment: lead, departments: departments, startedOn: startedOn,
            limit: days, round: 1, roundStartedOn: startedOn, opinions: [], state: .open, consolidation: nil, resolution: nil,
            earlierRounds: [])
    }

    /// Records one participating department's opinion, once a round, before consolidation.
    public static func record(_ opinion: ReviewOpinion, in review: JointReview) throws(DomainError) -> JointReview {
        guard review.state == .open else {
            throw .conflict("joint_review.closed", "\(review.kind.chineseName)已汇总(\(review.state.chineseName))，不能再提交意见；如需重新审查，请牵头部门重新发起。")
        }
        let department = normalised(opinion.department)
        guard review.departments.contains(department) else {
            throw DomainError(.forbidden, code: "joint_review.not_participant", message: "\(department)不是本次\(review.kind.chineseName)的参加部门，不能提交意见。")
        }
        guard review.opinion(of: department) == nil else {
            throw .conflict("joint_review.already_recorded", "\(department)已提交本轮审查意见，不能重复提交。")
        }
        guard opinion.recordedOn >= review.roundStartedOn else {
            throw .invalid("joint_review.opinion_date", "意见日期\(opinion.recordedOn)早于本轮审查开始日期\(review.roundStartedOn)。")
        }
        let text = CaseVariants.reason(opinion.text)
        if opinion.verdict.needsText && text == nil {
            throw .invalid(
                "joint_review.opinion_text_required", "“\(opinion.verdict.chineseName)”的意见须写明\(opinion.verdict == .fail ? "不通过的理由" : "所附条件")。",
                fields: [FieldError(field: "text", message: "请填写意见内容。")])
        }
        var changed = review
        changed.opinions.append(ReviewOpinion(department: department, verdict: opinion.verdict, text: text ?? "", recordedOn: opinion.recordedOn))
        return changed
    }

    /// The lead department consolidates once every department has recorded: all pass → passed;
    /// passes and conditions → passed with the conditions listed together; a refusal, or
    /// conditions the lead flags as conflicting (`conflicting`, two departments or more) → the
    /// lead must resolve.
    public static func consolidate(
        _ review: JointReview, by department: String, conflicting flagged: Set<String> = [], today: LocalDate, calendar: WorkingCalendar
    ) throws(DomainError) -> JointReview {
        try requireLead(review, department)
        guard review.state == .open else {
            throw .conflict("joint_review.already_consolidated", "本轮\(review.kind.chineseName)已汇总(\(review.state.chineseName))。")
        }
        let pending = review.pendingDepartments
        guard pending.isEmpty else {
            throw .conflict("joint_review.opinions_missing", "还有部门未提交意见，暂不能汇总：" + pending.joined(separator: "、") + "。")
        }
        guard today >= review.roundStartedOn else {
            throw .invalid("joint_review.date", "汇总日期\(today)早于本轮审查开始日期\(review.roundStartedOn)。")
        }
        let flaggedCodes = Set(flagged.map(normalised))
        if !flaggedCodes.isEmpty {
            if let stranger = flaggedCodes.sorted().first(where: { !review.departments.contains($0) }) {
                throw .invalid("joint_review.conflict_flag", "标记冲突的\(stranger)不是本次审查的参加部门。")
            }
            guard flaggedCodes.count >= 2 else {
                throw .invalid("joint_review.conflict_flag", "意见冲突至少涉及两个部门，请标记相互冲突的全部意见。")
            }
            guard flaggedCodes.contains(where: { review.opinion(of: $0)?.verdict != .pass }) else {
                throw .invalid("joint_review.conflict_flag", "标记冲突的意见都是“通过”，没有可冲突的条件。")
            }
        }
        let deadline = try calendar.deadline(review.limit, after: review.roundStartedOn)
        let conflicting = review.departments.filter { code in
            flaggedCodes.contains(code) || review.opinion(of: code)?.verdict == .fail
        }
        var changed = review
        changed.consolidation = JointReviewConsolidation(on: today, deadline: deadline.date, inTime: today <= deadline.date, conflicting: conflicting)
        if !conflicting.isEmpty {
            changed.state = .needsResolution
        } else if review.opinions.allSatisfy({ $0.verdict == .pass }) {
            changed.state = .passed
        } else {
            changed.state = .passedWithConditions
        }
        return changed
    }

    /// The lead department settles a refusal or conflicting conditions; the reason is the record
    /// of how it was settled, and a decision with conditions states them.
    public static func resolve(
        _ review: JointReview, by department: String, decision: ReviewVerdict, conditions rawConditions: String? = nil, reason rawReason: String?,
        today: LocalDate
    ) throws(DomainError) -> JointReview {
        try requireLead(review, department)
        guard review.state == .needsResolution, let consolidation = review.consolidation else {
            throw .conflict("joint_review.not_awaiting_resolution", "\(review.kind.chineseName)当前为“\(review.state.chineseName)”，无需牵头部门协调决定。")
        }
        guard let reason = CaseVariants.reason(rawReason) else {
            throw .invalid(
                "joint_review.reason_required", "牵头部门协调决定须说明理由，理由将载入汇总意见。", fields: [FieldError(field: "reason", message: "请填写理由。")])
        }
        let conditions = CaseVariants.reason(rawConditions)
        if decision == .passWithConditions && conditions == nil {
            throw .invalid(
                "joint_review.conditions_required", "有条件通过须写明协调后的条件。", fields: [FieldError(field: "conditions", message: "请填写条件。")])
        }
        guard today >= consolidation.on else {
            throw .invalid("joint_review.date", "决定日期\(today)早于汇总日期\(consolidation.on)。")
        }
        var changed = review
        changed.resolution = JointReviewResolution(
            decision: decision, conditions: decision == .passWithConditions ? conditions : nil, reason: reason, decidedBy: review.leadDepartment,
            decidedOn: today)
        changed.state = .resolved
        return changed
    }

    /// Starts a new round (e.g. the drawings were revised): the finished round is kept for the
    /// record, every department records again, and the round has the full limit from today.
    public static func reopen(_ review: JointReview, by department: String, reason rawReason: String?, today: LocalDate) throws(DomainError) -> JointReview {
        try requireLead(review, department)
        guard review.state != .open else {
            throw .conflict("joint_review.still_open", "本轮\(review.kind.chineseName)尚未汇总，无需重新发起。")
        }
        guard let reason = CaseVariants.reason(rawReason) else {
            throw .invalid("joint_review.reason_required", "重新发起审查须说明理由。", fields: [FieldError(field: "reason", message: "请填写理由。")])
        }
        guard today >= review.roundStartedOn else {
            throw .invalid("joint_review.date", "重新发起日期\(today)早于本轮审查开始日期\(review.roundStartedOn)。")
        }
        var changed = review
        changed.earlierRounds.append(JointReviewRound(
            number: review.round, startedOn: review.roundStartedOn, opinions: review.opinions, state: review.state,
            consolidation: review.consolidation, resolution: review.resolution, reopenReason: reason, reopenedOn: today))
        changed.round += 1
        changed.roundStartedOn = today
        changed.opinions = []
        changed.state = .open
        changed.consolidation = nil
        changed.resolution = nil
        return changed
    }

    // MARK: - Time

    /// The current round's deadline: `limit` working days after its start (provisional where the
    /// calendar has no notice for the year yet).
    public static func deadline(_ review: JointReview, calendar: WorkingCalendar) throws(DomainError) -> Deadline {
        try calendar.deadline(review.limit, after: review.roundStartedOn)
    }

    /// In time or overdue: the result's day (or today while none is issued) against the deadline.
    public static func timing(_ review: JointReview, today: LocalDate, calendar: WorkingCalendar) throws(DomainError) -> JointReviewTiming {
        let deadline = try deadline(review, calendar: calendar)
        let concludedOn: LocalDate? =
            switch review.state {
            case .passed, .passedWithConditions: review.consolidation?.on
            case .resolved: review.resolution?.decidedOn
            case .open, .needsResolution: nil
            }
        let measured = concludedOn ?? today
        return JointReviewTiming(deadline: deadline, concludedOn: concludedOn, timeliness: measured > deadline.date ? .overdue : .inTime)
    }

    // MARK: - The consolidated result

    /// The one document of the review: each department's opinion, the conclusion with every
    /// condition listed together, and the lead's resolution when there was one. `names` gives
    /// departments' names by credit code.
    public static func resultText(_ review: JointReview, names: [String: String] = [:], calendar: WorkingCalendar? = nil) -> String {
        func label(_ code: String) -> String { names[code].map { "\($0)(\(code))" } ?? code }
        var lines: [String] = ["\(review.kind.chineseName)汇总意见", "审查对象：\(review.subject)"]
        if let code = review.projectCode { lines.append("项目代码：\(code)") }
        lines.append("牵头部门：\(label(review.leadDepartment))")
        var period = "第\(review.round)轮，\(review.roundStartedOn)开始，办理时限\(review.limit)个工作日"
        if let calendar, let deadline = try? deadline(review, calendar: calendar) {
            period += "，截止\(deadline.date)\(deadline.provisional ? "(暂定)" : "")"
        }
        lines.append(period + "。")
        lines.append("各部门意见：")
        for (index, code) in review.departments.enumerated() {
            guard let opinion = review.opinion(of: code) else {
                lines.append("\(index + 1). \(label(code))：尚未提交意见。")
                continue
            }
            let text = opinion.text.isEmpty ? "" : "意见：\(opinion.text)"
            lines.append("\(index + 1). \(label(code))：\(opinion.verdict.chineseName)。\(text)(\(opinion.recordedOn))")
        }
        switch review.state {
        case .open:
            lines.append("汇总结论：审查中，尚未汇总。")
        case .passed:
            lines.append("汇总结论：通过。")
        case .passedWithConditions:
            lines.append("汇总结论：有条件通过。须落实以下条件：")
            for (index, opinion) in review.conditions.enumerated() {
                lines.append("\(index + 1). \(label(opinion.department))：\(opinion.text)")
            }
        case .needsResolution:
            lines.append("汇总结论：意见不一致，待牵头部门协调决定。")
        case .resolved:
            if let resolution = review.resolution {
                lines.append("汇总结论：\(resolution.decision.chineseName)(牵头部门协调决定)。")
                if let conditions = resolution.conditions { lines.append("须落实以下条件：\(conditions)") }
            }
        }
        if let consolidation = review.consolidation {
            if !consolidation.conflicting.isEmpty {
                lines.append("意见存在冲突或不通过的部门：" + consolidation.conflicting.map(label).joined(separator: "、") + "。")
            }
            lines.append("汇总日期：\(consolidation.on)，\(consolidation.inTime ? "在办理时限内" : "已超过办理时限")。")
        }
        if let resolution = review.resolution {
            lines.append("协调记录：牵头部门于\(resolution.decidedOn)决定“\(resolution.decision.chineseName)”，理由：\(resolution.reason)")
        }
        if !review.earlierRounds.isEmpty {
            let earlier = review.earlierRounds.map { "第\($0.number)轮(\($0.state.chineseName))于\($0.reopenedOn)重新发起，理由：\($0.reopenReason)" }
            lines.append("此前审查：" + earlier.joined(separator: "；"))
        }
        return lines.joined(separator: "\n")
    }

    // MARK: - Helpers

    static func requireLead(_ review: JointReview, _ department: String) throws(DomainError) {
        guard normalised(department) == review.leadDepartment else {
            throw DomainError(.forbidden, code: "joint_review.not_lead", message: "只有牵头部门可以汇总、协调或重新发起\(review.kind.chineseName)。")
        }
    }

    /// Credit codes compare in their normal form (trimmed, upper-case).
    static func normalised(_ department: String) -> String {
        department.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
    }
}
