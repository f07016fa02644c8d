import Foundation

/// Where one member's task (并联审批) of a bundle application stands. The task's own case moves
/// through `CaseLifecycle` as any case does; this is what the bundle needs to know of it.
public enum ParallelTaskStatus: String, Codable, CaseIterable, Sendable, Hashable {
    case waiting, running, correctionRequested, approved, denied, withdrawn, terminated, cancelled

    public var chineseName: String {
        switch self {
        case .waiting: "等待前置事项"
        case .running: "办理中"
        case .correctionRequested: "待补正"
        case .approved: "准予"
        case .denied: "不予许可"
        case .withdrawn: "已撤回"
        case .terminated: "已终止"
        case .cancelled: "已取消"
        }
    }

    /// Not yet decided: the bundle is not complete while a task is open.
    public var isOpen: Bool { self == .waiting || self == .running || self == .correctionRequested }
}

/// How a task ends.
public enum ParallelTaskDecision: String, Codable, CaseIterable, Sendable, Hashable {
    case approved, denied, withdrawn, terminated

    var status: ParallelTaskStatus {
        switch self {
        case .approved: .approved
        case .denied: .denied
        case .withdrawn: .withdrawn
        case .terminated: .terminated
        }
    }
}

/// One member's task in a bundle application.
public struct ParallelTask: Codable, Sendable, Equatable {
    public struct Correction: Codable, Sendable, Equatable {
        public var reason: String
        public var missing: [String]
    }

    /// Implementation code of the member.
    public var member: String
    public var name: String
    /// Credit code of the department that handles it; only that department sees and moves it.
    public var department: String
    /// The working days of its clock: the item's limit, as for a single case.
    public var workingDays: Int
    /// The chosen members it waits for (their approval starts it).
    public var waitsFor: [String]
    public var status: ParallelTaskStatus
    /// Its legal clock, from the day it started; nil while it waits.
    public var clock: DeadlineClock?
    /// What it asks the applicant to correct, while it does.
    public var correction: Correction?
    /// Why it was cancelled.
    public var cancelReason: String?
}

public enum BundleOutcome: String, Codable, CaseIterable, Sendable, Hashable {
    case approved, partlyApproved, failed

    public var chineseName: String {
        switch self {
        case .approved: "全部办结"
        case .partlyApproved: "部分办结"
        case .failed: "办理失败"
        }
    }
}

/// A bundle application after acceptance: every task, the bundle's own clock (its promise), and
/// the outcome once complete. It keeps what it needs of the bundle version it was filed under, so
/// a later version never changes a running application.
public struct BundleProgress: Codable, Sendable, Equatable {
    public var bundle: String
    public var bundleName: String
    public var denialRule: BundleDenialRule
    public var acceptedOn: LocalDate
    /// The bundle's promise, counted in working days from acceptance; stopped while the applicant corrects.
    public var clock: DeadlineClock
    public var tasks: [ParallelTask]
    public var outcome: BundleOutcome?

    /// Every task is decided (or cancelled).
    public var isComplete: Bool { tasks.allSatisfy { !$0.status.isOpen } }

    public func task(_ member: String) -> ParallelTask? { tasks.first { $0.member == member } }

    /// The one correction notice naming what every asking task waits for; nil when none asks.
    public var correctionNotice: BundleCorrectionNotice? { correctionNotice(only: nil) }

    /// The notice as far as it concerns the given members (a department sees its own tasks' lines).
    public func correctionNotice(only members: Set<String>?) -> BundleCorrectionNotice? {
        let lines = tasks.compactMap { task -> BundleCorrectionNotice.Line? in
            guard task.status == .correctionRequested, let correction = task.correction, members?.contains(task.member) ?? true else { return nil }
            return BundleCorrectionNotice.Line(member: task.member, name: task.name, reason: correction.reason, missing: correction.missing)
        }
        return lines.isEmpty ? nil : BundleCorrectionNotice(lines: lines)
    }
}

/// The one correction notice (一次性告知) of a bundle: every task that asks, together.
public struct BundleCorrectionNotice: Codable, Sendable, Equatable {
    public struct Line: Codable, Sendable, Equatable {
        public var member: String
        public var name: String
        public var reason: String
        public var missing: [String]
    }

    public var lines: [Line]

    /// The notice as the applicant reads it.
    public var text: String {
        let items = lines.enumerated().map { index, line in
            "\(index + 1). “\(line.name)”：\(line.reason)" + (line.missing.isEmpty ? "" : "；缺少材料：" + line.missing.joined(separator: "、"))
        }
        return "请一次性补正以下内容，补正后各事项继续办理：" + items.joined(separator: "\n")
    }
}

/// What a step of a bundle does beyond its progress; the service performs each in the step's transaction.
public enum BundleEffect: Sendable, Equatable {
    /// Create (or release) the member's task in its department's queue, with its clock started.
    case startTask(member: String, department: String, clock: DeadlineClock)
    /// Create the member's task, waiting for the named members.
    case holdTask(member: String, department: String, waitsFor: [String])
    case cancelTask(member: String, reason: String)
    /// Send the bundle's one correction notice; it replaces an earlier one not yet answered.
    case correctionNotice(BundleCorrectionNotice)
    /// The applicant answered the notice: the task continues, its clock running again.
    case resumeTask(member: String)
    case tellApplicant(String)
    /// Every task is decided: hand the results out together.
    case complete(BundleOutcome)
}

public struct BundleStep: Sendable, Equatable {
    public var progress: BundleProgress
    public var effects: [BundleEffect]

    public init(progress: BundleProgress, effects: [BundleEffect]) {
        self.progress = progress
        self.effects = effects
    }
}

/// The department that holds a bundle back: the open task furthest past, or nearest, its deadline.
public struct BundleHoldup: Sendable, Equatable {
    public var member: String
    public var name: String
    public var department: String
    public var deadline: LocalDate
    public var status: DeadlineClock.Status
    /// Working days from today to the deadline; negative once past; nil where the calendar has no notice.
    public var workingDaysLeft: Int?
}

/// 并联审批 as pure rules: acceptance fans out one task per chosen member; tasks with no unfinished
/// predecessor start at once, each with its own clock; a task that waits starts (and its clock
/// with it) on the day its last predecessor is approved. A denial cancels the tasks not yet started
/// when the bundle's rule is `failBundle`; under `othersStand` only the tasks that wait on the
/// denied one (they need its result) are cancelled, and the applicant is told. The bundle is
/// complete when every task is decided.
public enum BundlePlan {
    /// The bundle's own deadline: its promise in working days from acceptance.
    public static func deadline(promise: Int, acceptedOn: LocalDate, calendar: WorkingCalendar) throws(DomainError) -> Deadline {
        try calendar.deadline(promise, after: acceptedOn)
    }

    /// One acceptance for the whole application. `limits` holds each member's working days (the
    /// item's `promisedLimit`, as a single case of it would have), by implementation code.
    public static func accept(
        _ bundle: ServiceBundle, choice: BundleChoice, limits: [String: Int], today: LocalDate, calendar: WorkingCalendar
    ) throws(DomainError) -> BundleStep {
        let chosen = try bundle.choose(choice)
        guard !chosen.isEmpty else { throw .conflict("bundle.nothing_chosen", "未选择任何事项，不能受理。") }
        if case .failure = bundle.topologicalOrder() {
            throw .conflict("bundle.order_cycle", "一件事“\(bundle.name)”的办理顺序存在循环，请事项管理员修正后再受理。")
        }
        let codes = Set(chosen.map(\.code))
        var tasks: [ParallelTask] = []
        var effects: [BundleEffect] = []
        for member in chosen {
            guard let days = limits[member.code] else {
                throw .invalid("bundle.limit_unknown", "未找到成员事项“\(member.name)”的办理时限。")
            }
            let waitsFor = bundle.predecessors(of: member.code, among: codes)
            var task = ParallelTask(
                member: member.code, name: member.name, department: member.department, workingDays: days, waitsFor: waitsFor, status: .waiting,
                clock: nil, correction: nil, cancelReason: nil)
            if waitsFor.isEmpty {
                let clock = try DeadlineClock(acceptedOn: today, workingDays: days, calendar: calendar)
                task.status = .running
                task.clock = clock
                effects.append(.startTask(member: member.code, department: member.department, clock: clock))
            } else {
                effects.append(.holdTask(member: member.code, department: member.department, waitsFor: waitsFor))
            }
            tasks.append(task)
        }
        let clock = try DeadlineClock(acceptedOn: today, workingDays: bundle.promisedLimit, calendar: calendar)
        let progress = BundleProgress(
            bundle: bundle.code, bundleName: bundle.name, denialRule: bundle.denialRule, acceptedOn: today, clock: clock, tasks: tasks, outcome: nil)
        return BundleStep(progress: progress, effects: effects)
    }

    /// A task is decided (or withdrawn, or terminated): which waiting tasks start, which are
    /// cancelled, what the applicant is told, and whether the bundle is complete.
    public static func decide(
        _ progress: BundleProgress, member: String, decision: ParallelTaskDecision, today: LocalDate, calendar: WorkingCalendar
    ) throws(DomainError) -> BundleStep {
        var progress = progress
        let index = try taskIndex(progress, member)
        let task = progress.tasks[index]
        let allowed: Set<ParallelTaskStatus> = switch decision {
        case .approved, .denied: [.running]
        case .terminated: [.running, .correctionRequested]
        case .withdrawn: [.waiting, .running, .correctionRequested]
        }
        guard allowed.contains(task.status) else {
            throw .conflict("bundle.task_not_open", "事项“\(task.name)”当前为“\(task.status.chineseName)”，不能作出此决定。")
        }
        progress.tasks[index].status = decision.status
        progress.tasks[index].correction = nil
        var effects: [BundleEffect] = []
        switch decision {
        case .approved:
            for (other, waiting) in progress.tasks.enumerated() where waiting.status == .waiting {
                let ready = waiting.waitsFor.allSatisfy { code in progress.task(code)?.status == .approved }
                guard ready else { continue }
                let clock = try DeadlineClock(acceptedOn: today, workingDays: waiting.workingDays, calendar: calendar)
                progress.tasks[other].status = .running
                progress.tasks[other].clock = clock
                effects.append(.startTask(member: waiting.member, department: waiting.department, clock: clock))
            }
        case .denied where progress.denialRule == .failBundle:
            let reason = "“\(task.name)”不予许可，本一件事办理失败，本事项不再办理。"
            let cancelled = cancel(&progress, reason: reason, effects: &effects) { $0.status == .waiting }.map(\.name)
            let consequence: String = cancelled.isEmpty ? "。" : "，尚未开始的" + quoted(cancelled) + "已取消。"
            effects.append(.tellApplicant("“\(task.name)”不予许可。按“\(progress.bundleName)”的规则，整件办理失败" + consequence))
        case .denied, .withdrawn, .terminated:
            let verb = decision == .denied ? "不予许可" : decision.status.chineseName
            let reason = "前置事项“\(task.name)”\(verb)，本事项无法办理。"
            var stopped: Set<String> = [task.member]
            var cancelled: [String] = []
            // Those that wait on a stopped task need its result: they stop too, and so on down the chain.
            while true {
                let more = cancel(&progress, reason: reason, effects: &effects) { $0.status == .waiting && !stopped.isDisjoint(with: $0.waitsFor) }
                if more.isEmpty { break }
                cancelled += more.map(\.name)
                stopped.formUnion(more.map(\.member))
            }
            let consequence: String = cancelled.isEmpty ? "" : "依赖该事项的" + quoted(cancelled) + "已取消；"
            if decision == .denied {
                effects.append(.tellApplicant("“\(task.name)”不予许可；" + consequence + "其他事项的办理结果继续有效。"))
            } else if !cancelled.isEmpty {
                effects.append(.tellApplicant("“\(task.name)”\(verb)；" + consequence + "其他事项继续办理。"))
            }
        }
        try resumeBundleClockIfNoCorrection(&progress, today: today, calendar: calendar)
        if progress.isComplete && progress.outcome == nil {
            let result = outcome(progress)
            progress.outcome = result
            effects.append(.complete(result))
        }
        return BundleStep(progress: progress, effects: effects)
    }

    /// The outcome of a complete bundle: failed on a denial under `failBundle`, else by how many
    /// tasks were approved.
    public static func outcome(_ progress: BundleProgress) -> BundleOutcome {
        let statuses = progress.tasks.map(\.status)
        if progress.denialRule == .failBundle && statuses.contains(.denied) { return .failed }
        if !statuses.isEmpty && statuses.allSatisfy({ $0 == .approved }) { return .approved }
        return statuses.contains(.approved) ? .partlyApproved : .failed
    }

    /// A task asks the applicant to correct something: its clock stops (the applicant's days do
    /// not count against the department), and so does the bundle's; the applicant gets one notice
    /// naming everything every task is waiting for.
    public static func requestCorrection(
        _ progress: BundleProgress, member: String, reason rawReason: String?, missing: [String] = [], today: LocalDate, calendar: WorkingCalendar
    ) throws(DomainError) -> BundleStep {
        var progress = progress
        let index = try taskIndex(progress, member)
        let task = progress.tasks[index]
        guard task.status == .running else {
            throw .conflict("bundle.task_not_running", "事项“\(task.name)”当前为“\(task.status.chineseName)”，不能要求补正。")
        }
        guard let reason = CaseVariants.reason(rawReason) else {
            throw .invalid("bundle.reason_required", "要求补正须说明理由，理由将告知申请人。", fields: [FieldError(field: "reason", message: "请填写理由。")])
        }
        progress.tasks[index].status = .correctionRequested
        progress.tasks[index].correction = ParallelTask.Correction(reason: reason, missing: missing)
        try progress.tasks[index].clock?.suspend(on: today, reason: "补正：" + reason, calendar: calendar)
        if !progress.clock.isSuspended { try progress.clock.suspend(on: today, reason: "等待申请人补正", calendar: calendar) }
        guard let notice = progress.correctionNotice else { throw .conflict("bundle.no_correction", "本一件事没有待补正的事项。") }
        return BundleStep(progress: progress, effects: [.correctionNotice(notice)])
    }

    /// The applicant answered the bundle's notice: every task that asked continues, its clock running again.
    public static func answerCorrection(_ progress: BundleProgress, today: LocalDate, calendar: WorkingCalendar) throws(DomainError) -> BundleStep {
        var progress = progress
        var effects: [BundleEffect] = []
        for (index, task) in progress.tasks.enumerated() where task.status == .correctionRequested {
            progress.tasks[index].status = .running
            progress.tasks[index].correction = nil
            if task.clock?.isSuspended == true { try progress.tasks[index].clock?.resume(on: today, calendar: calendar) }
            effects.append(.resumeTask(member: task.member))
        }
        guard !effects.isEmpty else { throw .conflict("bundle.no_correction", "本一件事没有待补正的事项。") }
        try resumeBundleClockIfNoCorrection(&progress, today: today, calendar: calendar)
        return BundleStep(progress: progress, effects: effects)
    }

    /// Which department holds the bundle back: among the running tasks, the one with the earliest
    /// deadline (furthest past it, or nearest to it). Nil when no department has a task running
    /// (the tasks wait on the applicant, or all are decided).
    public static func holdingBack(_ progress: BundleProgress, today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> BundleHoldup? {
        var best: (task: ParallelTask, deadline: LocalDate)?
        for task in progress.tasks where task.status == .running {
            guard let clock = task.clock, let found = try? clock.deadline(calendar) else { continue }
            let deadline = found.date
            if best.map({ deadline < $0.deadline }) ?? true { best = (task, deadline) }
        }
        guard let best else { return nil }
        return BundleHoldup(
            member: best.task.member, name: best.task.name, department: best.task.department, deadline: best.deadline,
            status: DeadlineClock.status(of: best.deadline, today: today, warnWithin: warnWithin, calendar: calendar),
            workingDaysLeft: try? calendar.workingDays(after: today, through: best.deadline))
    }

    private static func taskIndex(_ progress: BundleProgress, _ member: String) throws(DomainError) -> Int {
        guard progress.outcome == nil else { throw .conflict("bundle.complete", "本一件事已办结，不能再变更。") }
        guard let index = progress.tasks.firstIndex(where: { $0.member == member }) else {
            throw .notFound("bundle.task_unknown", "本一件事中没有该事项。")
        }
        return index
    }

    /// Cancels the tasks that match, returning them.
    private static func cancel(
        _ progress: inout BundleProgress, reason: String, effects: inout [BundleEffect], where matches: (ParallelTask) -> Bool
    ) -> [ParallelTask] {
        var cancelled: [ParallelTask] = []
        for (index, task) in progress.tasks.enumerated() where matches(task) {
            progress.tasks[index].status = .cancelled
            progress.tasks[index].cancelReason = reason
            effects.append(.cancelTask(member: task.member, reason: reason))
            cancelled.append(task)
        }
        return cancelled
    }

    private static func quoted(_ names: [String]) -> String { names.map { "“\($0)”" }.joined(separator: "、") }

    private static func resumeBundleClockIfNoCorrection(_ progress: inout BundleProgress, today: LocalDate, calendar: WorkingCalendar) throws(DomainError) {
        guard progress.clock.isSuspended, !progress.tasks.contains(where: { $0.status == .correctionRequested }) else { return }
        try progress.clock.resume(on: today, calendar: calendar)
    }
}
