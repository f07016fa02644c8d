import Foundation

/// The four stages of 工程建设项目审批 (国办发〔2019〕11号), in order.
public enum ProjectStage: String, Codable, CaseIterable, Sendable, Hashable, Comparable {
    case landUsePlanning, engineeringPermit, constructionPermit, completionAcceptance

    public var chineseName: String {
        switch self {
        case .landUsePlanning: "立项用地规划许可"
        case .engineeringPermit: "工程建设许可"
        case .constructionPermit: "施工许可"
        case .completionAcceptance: "竣工验收"
        }
    }

    /// 1 to 4, as the stage pages number them.
    public var ordinal: Int { (ProjectStage.allCases.firstIndex(of: self) ?? 0) + 1 }

    /// The stage after this one; nil after 竣工验收.
    public var next: ProjectStage? {
        switch self {
        case .landUsePlanning: .engineeringPermit
        case .engineeringPermit: .constructionPermit
        case .constructionPermit: .completionAcceptance
        case .completionAcceptance: nil
        }
    }

    public static func < (lhs: ProjectStage, rhs: ProjectStage) -> Bool { lhs.ordinal < rhs.ordinal }
}

/// 全程代办员: a service-centre account that files and follows a major project's applications on
/// the owner's behalf.
public struct ProxyAgent: Codable, Sendable, Hashable {
    public var account: String
    public var assignedAt: Date
    /// The staff account that assigned the agent.
    public var assignedBy: String
    /// Why the agent was (re)assigned; required when replacing another agent.
    public var reason: String?

    public init(account: String, assignedAt: Date, assignedBy: String, reason: String? = nil) {
        self.account = account
        self.assignedAt = assignedAt
        self.assignedBy = assignedBy
        self.reason = reason
    }
}

/// 投资项目: an investment and construction project under its national project code, which ties
/// together every approval of the project through its stages (SPEC C5).
public struct InvestmentProject: Codable, Sendable, Hashable {
    public var code: ProjectCode
    public var name: String
    /// The owner (建设单位) as an applicant id.
    public var ownerID: String
    /// 6-digit 行政区划 code of the site; inside the approving place of the code.
    public var regionCode: String
    public var address: String
    /// Total investment in whole 元 (shown in 万元); an integer so sums never drift.
    public var investmentYuan: Int64
    public var stage: ProjectStage
    /// 重大项目: may get a 全程代办 proxy agent.
    public var isMajor: Bool
    public var proxyAgent: ProxyAgent?

    public init(
        code: ProjectCode, name: String, ownerID: String, regionCode: String, address: String, investmentYuan: Int64,
        stage: ProjectStage = .landUsePlanning, isMajor: Bool = false, proxyAgent: ProxyAgent? = nil
    ) {
        self.code = code
        self.name = name
        self.ownerID = ownerID
        self.regionCode = regionCode
        self.address = address
        self.investmentYuan = investmentYuan
        self.stage = stage
        self.isMajor = isMajor
        self.proxyAgent = proxyAgent
    }

    /// The investment as people read it, e.g. “1,234.56万元”.
    public var investmentText: String { ProjectRules.formatWan(investmentYuan) }
}

/// One approval of a project (a case or a bundle task) as the project sees it.
public struct ProjectApproval: Codable, Sendable, Hashable {
    public enum State: String, Codable, CaseIterable, Sendable, Hashable {
        case open, approved, denied, withdrawn

        public var chineseName: String {
            switch self {
            case .open: "办理中"
            case .approved: "准予"
            case .denied: "不予许可"
            case .withdrawn: "已撤回"
            }
        }
    }

    /// The case or task id.
    public var id: String
    public var itemName: String
    /// Credit code (or name) of the deciding department.
    public var department: String
    public var stage: ProjectStage
    public var state: State
    public var acceptedOn: LocalDate?
    public var decidedOn: LocalDate?
    public var deadline: LocalDate?

    public init(
        id: String, itemName: String, department: String, stage: ProjectStage, state: State = .open, acceptedOn: LocalDate? = nil,
        decidedOn: LocalDate? = nil, deadline: LocalDate? = nil
    ) {
        self.id = id
        self.itemName = itemName
        self.department = department
        self.stage = stage
        self.state = state
        self.acceptedOn = acceptedOn
        self.decidedOn = decidedOn
        self.deadline = deadline
    }

    /// Past its deadline: still open after it, or decided after it.
    public func isLate(today: LocalDate) -> Bool {
        guard let deadline else { return false }
        if state == .open { return today > deadline }
        return (decidedOn ?? today) > deadline
    }
}

/// A project after a rule, with the words the audit trail and timeline record.
public struct ProjectChange: Sendable, Equatable {
    public var project: InvestmentProject
    public var description: String

    public init(project: InvestmentProject, description: String) {
        self.project = project
        self.description = description
    }
}

/// A span of a project's time in working days: from the first acceptance to today, or to the
/// last decision once nothing is open.
public struct ProjectTime: Codable, Sendable, Equatable {
    public var from: LocalDate
    public var through: LocalDate
    public var workingDays: Int
    /// Some approval is still open, so the span runs to today.
    public var running: Bool

    public init(from: LocalDate, through: LocalDate, workingDays: Int, running: Bool) {
        self.from = from
        self.through = through
        self.workingDays = workingDays
        self.running = running
    }
}

/// The project's time so far, in total and per stage (stages without an accepted approval are absent).
public struct ProjectElapsed: Sendable, Equatable {
    public var total: ProjectTime?
    public var stages: [ProjectStage: ProjectTime]

    public init(total: ProjectTime?, stages: [ProjectStage: ProjectTime]) {
        self.total = total
        self.stages = stages
    }
}

/// The rules of investment projects as pure functions: registration, stage advance, 全程代办,
/// and the project's time.
public enum ProjectRules {
    public static let maximumNameLength = 200
    public static let maximumAddressLength = 200

    // MARK: - Registration

    /// A new project: every field is checked and every problem reported at once.
    public static func register(
        code rawCode: String, name rawName: String, ownerID rawOwner: String, regionCode rawRegion: String, address rawAddress: String,
        investmentYuan: Int64, isMajor: Bool = false, stage: ProjectStage = .landUsePlanning, today: LocalDate,
        check: ProjectCodeCheck = .iso7064Mod11_2
    ) throws(DomainError) -> InvestmentProject {
        var problems: [FieldError] = []
        var code: ProjectCode?
        do throws(DomainError) {
            code = try ProjectCode(rawCode, today: today, check: check)
        } catch {
            problems.append(FieldError(field: "code", message: error.message))
        }
        let name = rawName.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty {
            problems.append(FieldError(field: "name", message: "请填写项目名称。"))
        } else if name.count > maximumNameLength {
            problems.append(FieldError(field: "name", message: "项目名称不能超过\(maximumNameLength)个字，现为\(name.count)个字。"))
        }
        let owner = rawOwner.trimmingCharacters(in: .whitespacesAndNewlines)
        if owner.isEmpty { problems.append(FieldError(field: "ownerID", message: "请指明项目单位(建设单位)。")) }
        let region = rawRegion.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = ProjectCode.regionProblem(region) {
            problems.append(FieldError(field: "regionCode", message: "建设地点" + problem))
        } else if let code, !regionFits(site: region, approvingPlace: code.region) {
            problems.append(FieldError(
                field: "regionCode", message: "建设地点的行政区划“\(region)”不在项目代码的赋码地区“\(code.region)”范围内。"))
        }
        let address = rawAddress.trimmingCharacters(in: .whitespacesAndNewlines)
        if address.isEmpty {
            problems.append(FieldError(field: "address", message: "请填写建设地点详细地址。"))
        } else if address.count > maximumAddressLength {
            problems.append(FieldError(field: "address", message: "详细地址不能超过\(maximumAddressLength)个字。"))
        }
        if investmentYuan <= 0 { problems.append(FieldError(field: "investment", message: "总投资应大于0。")) }
        guard problems.isEmpty, let code else {
            throw .invalid("project.invalid", "投资项目信息有误：" + problems.map(\.message).joined(separator: "；"), fields: problems)
        }
        return InvestmentProject(
            code: code, name: name, ownerID: owner, regionCode: region, address: address, investmentYuan: investmentYuan, stage: stage,
            isMajor: isMajor)
    }

    /// The site lies in the approving place: a province approves anywhere in it, a city in its
    /// counties, a county only itself.
    public static func regionFits(site: String, approvingPlace: String) -> Bool {
        guard ProjectCode.regionProblem(site) == nil, ProjectCode.regionProblem(approvingPlace) == nil else { return false }
        do throws(DomainError) {
            return try RegionCode(approvingPlace).contains(RegionCode(site))
        } catch {
            return false
        }
    }

    // MARK: - Investment in 万元

    /// 元 as 万元 with two decimals (to the nearest 100 元, halves up) and thousands separators,
    /// e.g. 12,345,600 元 → “1,234.56万元”.
    public static func formatWan(_ yuan: Int64) -> String {
        let hundredths = (yuan.magnitude + 50) / 100
        let whole = String(hundredths / 100)
        let cents = hundredths % 100
        var grouped = ""
        for (offset, character) in whole.enumerated() {
            if offset > 0, (whole.count - offset) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (yuan < 0 ? "-" : "") + grouped + "." + (cents < 10 ? "0" : "") + String(cents) + "万元"
    }

    /// Reads an amount in 万元 as people type it (“1,234.56”, “1234.5678万元”) into whole 元.
    public static func yuan(fromWan raw: String) throws(DomainError) -> Int64 {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ",", with: "")
            .replacingOccurrences(of: "，", with: "")
        for unit in ["万元", "万"] where text.hasSuffix(unit) {
            text = String(text.dropLast(unit.count)).trimmingCharacters(in: .whitespaces)
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let invalid = DomainError.invalid(
            "project.investment", "总投资应写成以万元为单位的正数，最多4位小数(精确到元)，如“1234.56”。",
            fields: [FieldError(field: "investment", message: "请填写以万元为单位的总投资。")])
        guard (1...2).contains(parts.count), let wholePart = parts.first, !wholePart.isEmpty, wholePart.allSatisfy(\.isASCIIDigit) else {
            throw invalid
        }
        let fraction = parts.count == 2 ? (parts.last ?? "") : ""
        guard fraction.count <= 4, fraction.allSatisfy(\.isASCIIDigit), parts.count == 1 || !fraction.isEmpty else { throw invalid }
        guard let whole = Int64(wholePart), let small = Int64(fraction + String(repeating: "0", count: 4 - fraction.count)) else {
            throw invalid
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 10_000)
        let (total, overflowAgain) = scaled.addingReportingOverflow(small)
        guard !overflow, !overflowAgain, total > 0 else { throw invalid }
        return total
    }

    // MARK: - Stages

    /// Moves the project to the next stage once every approval of the current stage is approved.
    /// A denied or withdrawn approval no longer blocks once the same item (same department) was
    /// approved in a later application; at least one approval must have been given.
    public static func advance(_ project: InvestmentProject, approvals: [ProjectApproval]) throws(DomainError) -> ProjectChange {
        guard let next = project.stage.next else {
            throw .conflict("project.stage_final", "项目已处于最后阶段“\(project.stage.chineseName)”，没有下一阶段。")
        }
        let current = approvals.filter { $0.stage == project.stage }
        let approvedItems = Set(current.filter { $0.state == .approved }.map { ItemKey(itemName: $0.itemName, department: $0.department) })
        let blocking = current.filter { approval in
            switch approval.state {
            case .open: true
            case .denied: !approvedItems.contains(ItemKey(itemName: approval.itemName, department: approval.department))
            case .approved, .withdrawn: false
            }
        }
        guard blocking.isEmpty else {
            let list = blocking.map { "“\($0.itemName)”(\($0.department)，\($0.state.chineseName))" }.joined(separator: "；")
            throw .conflict(
                "project.stage_approvals_pending",
                "“\(project.stage.chineseName)”阶段还有审批事项未获准予，项目不能进入“\(next.chineseName)”阶段：\(list)。")
        }
        guard !approvedItems.isEmpty else {
            throw .conflict(
                "project.stage_no_approval", "“\(project.stage.chineseName)”阶段还没有准予的审批事项，项目不能进入“\(next.chineseName)”阶段。")
        }
        var moved = project
        moved.stage = next
        return ProjectChange(project: moved, description: "项目由“\(project.stage.chineseName)”阶段进入“\(next.chineseName)”阶段。")
    }

    private struct ItemKey: Hashable {
        var itemName: String
        var department: String
    }

    // MARK: - 全程代办

    /// Assigns a 全程代办 proxy agent to a major project; replacing another agent needs a reason.
    public static func assignProxy(
        _ project: InvestmentProject, account rawAccount: String, by assigner: String, at instant: Date, reason rawReason: String? = nil
    ) throws(DomainError) -> ProjectChange {
        guard project.isMajor else {
            throw .conflict("project.proxy_not_major", "只有重大项目可以指定全程代办员，“\(project.name)”不是重大项目。")
        }
        let account = rawAccount.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !account.isEmpty else {
            throw .invalid("project.proxy_account", "请指定代办员账号。", fields: [FieldError(field: "account", message: "请指定代办员账号。")])
        }
        guard account != project.ownerID else {
            throw .invalid("project.proxy_account", "代办员不能是项目单位本身。", fields: [FieldError(field: "account", message: "代办员不能是项目单位本身。")])
        }
        let reason = CaseVariants.reason(rawReason)
        var changed = project
        changed.proxyAgent = ProxyAgent(account: account, assignedAt: instant, assignedBy: assigner, reason: reason)
        guard let previous = project.proxyAgent else {
            return ProjectChange(project: changed, description: "为项目“\(project.name)”(\(project.code))指定全程代办员\(account)。")
        }
        guard previous.account != account else {
            throw .conflict("project.proxy_unchanged", "\(account)已是本项目的全程代办员。")
        }
        guard let reason else {
            throw .invalid(
                "project.proxy_reason_required", "更换全程代办员须说明理由。", fields: [FieldError(field: "reason", message: "请填写更换理由。")])
        }
        return ProjectChange(
            project: changed, description: "项目“\(project.name)”(\(project.code))的全程代办员由\(previous.account)更换为\(account)，理由：\(reason)")
    }

    /// Ends a project's 全程代办 (the owner takes over, or the project is no longer major), with a reason.
    public static func releaseProxy(_ project: InvestmentProject, by releaser: String, reason rawReason: String?) throws(DomainError) -> ProjectChange {
        guard let previous = project.proxyAgent else {
            throw .conflict("project.proxy_none", "项目“\(project.name)”没有全程代办员。")
        }
        guard let reason = CaseVariants.reason(rawReason) else {
            throw .invalid(
                "project.proxy_reason_required", "取消全程代办须说明理由。", fields: [FieldError(field: "reason", message: "请填写取消理由。")])
        }
        var changed = project
        changed.proxyAgent = nil
        return ProjectChange(
            project: changed, description: "\(releaser)取消项目“\(project.name)”(\(project.code))的全程代办员\(previous.account)，理由：\(reason)")
    }

    /// Whether `account` may file and follow the project's applications as its owner: the owner
    /// itself, or the proxy agent of a major project (for the policy layer).
    public static func mayActForOwner(_ project: InvestmentProject, account: String) -> Bool {
        if account == project.ownerID { return true }
        guard project.isMajor, let agent = project.proxyAgent else { return false }
        return agent.account == account
    }

    // MARK: - Time

    /// The project's time so far in working days, in total and per stage: from the first
    /// acceptance to today, or to the last decision once every accepted approval is decided.
    /// Acceptance day is day 0, as for a case's deadline.
    public static func elapsedWorkingDays(
        _ approvals: [ProjectApproval], today: LocalDate, calendar: WorkingCalendar
    ) throws(DomainError) -> ProjectElapsed {
        var stages: [ProjectStage: ProjectTime] = [:]
        for stage in ProjectStage.allCases {
            if let time = try span(approvals.filter { $0.stage == stage }, today: today, calendar: calendar) { stages[stage] = time }
        }
        return ProjectElapsed(total: try span(approvals, today: today, calendar: calendar), stages: stages)
    }

    static func span(_ approvals: [ProjectApproval], today: LocalDate, calendar: WorkingCalendar) throws(DomainError) -> ProjectTime? {
        let accepted = approvals.filter { $0.acceptedOn != nil }
        guard let from = accepted.compactMap(\.acceptedOn).min() else { return nil }
        let running = accepted.contains { $0.state == .open }
        let lastDecision = accepted.compactMap(\.decidedOn).max() ?? today
        // Never past today (a decision dated ahead is a data slip) nor before the start.
        let through = max(from, min(running ? today : lastDecision, today))
        let days = try calendar.workingDays(after: from, through: through)
        return ProjectTime(from: from, through: through, workingDays: max(0, days), running: running)
    }
}
