import Foundation

/// The legal clock of one case (行政许可法 Art. 42, 45): N working days from acceptance; the days
/// of special procedures (听证、检验检测、专家评审 …) do not count; an authorised approver may extend
/// once by a set number of working days, with a reason. Every move of the deadline is kept with
/// its cause, so anyone can see why the date is what it is.
public struct DeadlineClock: Codable, Sendable, Equatable {
    public enum Cause: Codable, Sendable, Equatable {
        case started(workingDays: Int)
        case suspended(reason: String)
        case resumed
        case extended(workingDays: Int, reason: String, approvedBy: String)
        case recomputed
    }

    /// One move: what happened on which day, and the deadline after it (nil while the clock is stopped).
    public struct Move: Codable, Sendable, Equatable {
        public var on: LocalDate
        public var cause: Cause
        public var deadline: Deadline?
    }

    public private(set) var acceptedOn: LocalDate
    /// Working days allowed, extensions included.
    public private(set) var workingDays: Int
    /// Days on which the clock stood still: each pause runs from its first day up to (not
    /// including) the day it resumed; an open pause has no end.
    public private(set) var pauses: [Pause]
    public private(set) var extensions: Int
    public private(set) var moves: [Move]

    public struct Pause: Codable, Sendable, Equatable {
        public var from: LocalDate
        public var until: LocalDate?
        public var reason: String
    }

    /// Most extensions the law allows on one case (one, under Art. 42).
    public static let maximumExtensions = 1

    public init(acceptedOn: LocalDate, workingDays: Int, calendar: WorkingCalendar) throws(DomainError) {
        guard workingDays >= 0, workingDays <= 3650 else { throw .invalid("deadline.working_days", "办理时限应为0到3650个工作日。") }
        self.acceptedOn = acceptedOn
        self.workingDays = workingDays
        pauses = []
        extensions = 0
        moves = []
        try record(.started(workingDays: workingDays), on: acceptedOn, calendar: calendar)
    }

    public var isSuspended: Bool { pauses.last.map { $0.until == nil } ?? false }

    /// Stops the clock from `day` (a special procedure begins).
    public mutating func suspend(on day: LocalDate, reason: String, calendar: WorkingCalendar) throws(DomainError) {
        guard !isSuspended else { throw .conflict("deadline.already_suspended", "办理时限已处于中止状态。") }
        guard day >= (moves.last?.on ?? acceptedOn) else { throw .invalid("deadline.date_order", "中止日期不能早于上一次计时变化。") }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw .invalid("deadline.reason", "请说明中止计时的原因(如听证、检验检测、专家评审)。") }
        pauses.append(Pause(from: day, until: nil, reason: reason))
        try record(.suspended(reason: reason), on: day, calendar: calendar)
    }

    /// Restarts the clock on `day` (the special procedure ended): `day` counts again.
    public mutating func resume(on day: LocalDate, calendar: WorkingCalendar) throws(DomainError) {
        guard isSuspended, let open = pauses.last else { throw .conflict("deadline.not_suspended", "办理时限未中止，无需恢复。") }
        guard day >= open.from else { throw .invalid("deadline.date_order", "恢复日期不能早于中止日期。") }
        pauses[pauses.count - 1].until = day
        try record(.resumed, on: day, calendar: calendar)
    }

    /// Adds working days to the limit (延期), once, with a reason and the approver.
    public mutating func extend(by days: Int, on day: LocalDate, reason: String, approvedBy: String, calendar: WorkingCalendar) throws(DomainError) {
        guard extensions < Self.maximumExtensions else { throw .conflict("deadline.already_extended", "该办件已延期过，不能再次延期。") }
        guard (1...3650).contains(days) else { throw .invalid("deadline.extension", "延期天数应为正整数。") }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw .invalid("deadline.reason", "延期须说明理由，并告知申请人。") }
        extensions += 1
        workingDays += days
        try record(.extended(workingDays: days, reason: reason, approvedBy: approvedBy), on: day, calendar: calendar)
    }

    /// Recomputes after the calendar changed (a provisional deadline becomes final).
    public mutating func recompute(on day: LocalDate, calendar: WorkingCalendar) throws(DomainError) {
        let before = try deadline(calendar)
        guard before != moves.last?.deadline else { return }
        try record(.recomputed, on: day, calendar: calendar)
    }

    private mutating func record(_ cause: Cause, on day: LocalDate, calendar: WorkingCalendar) throws(DomainError) {
        moves.append(Move(on: day, cause: cause, deadline: try deadline(calendar)))
    }

    /// The deadline now: the Nth counted working day after acceptance, skipping paused days;
    /// nil while the clock is stopped. Years the calendar does not cover count weekends only
    /// and make the deadline provisional.
    public func deadline(_ calendar: WorkingCalendar) throws(DomainError) -> Deadline? {
        guard !isSuspended else { return nil }
        var day = acceptedOn
        var remaining = workingDays
        var provisional = !calendar.covers(acceptedOn.year)
        var pauseIndex = 0
        while remaining > 0 {
            day = day.adding(days: 1)
            while pauseIndex < pauses.count, let until = pauses[pauseIndex].until, until <= day { pauseIndex += 1 }
            if pauseIndex < pauses.count, pauses[pauseIndex].from <= day { continue }
            if calendar.covers(day.year) {
                if try calendar.isWorkingDay(day) { remaining -= 1 }
            } else {
                provisional = true
                if !day.isWeekend { remaining -= 1 }
            }
        }
        return Deadline(date: day, provisional: provisional)
    }

    public enum Status: String, Codable, Sendable {
        /// More than the warning threshold left.
        case green
        /// Within the warning threshold (yellow 预警).
        case yellow
        /// Past the deadline (red 超期).
        case red
        /// Clock stopped by a special procedure.
        case suspended
    }

    /// Green, yellow within `warnWithin` working days of the deadline, red once it has passed.
    public func status(today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) throws(DomainError) -> Status {
        guard let deadline = try deadline(calendar) else { return .suspended }
        return Self.status(of: deadline.date, today: today, warnWithin: warnWithin, calendar: calendar)
    }

    /// The colour of a running deadline: red once passed, yellow within `warnWithin` working days
    /// (counted on weekdays where the calendar has no notice yet), green before.
    /// Every deadline on or before this day is yellow or red today; later ones are green. Lets the
    /// deadline watch read only the cases that need it. Where the calendar ends, a generous bound
    /// (the status of each case read still decides).
    public static func warningCutoff(today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> LocalDate {
        guard let next = try? calendar.addingWorkingDays(warnWithin + 1, to: today) else {
            return LocalDate(dayNumber: today.dayNumber + warnWithin * 2 + 14)
        }
        return LocalDate(dayNumber: next.dayNumber - 1)
    }

    public static func status(of deadline: LocalDate, today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> Status {
        if today > deadline { return .red }
        let left = (try? calendar.workingDays(after: today, through: deadline)) ?? (deadline.dayNumber - today.dayNumber) * 5 / 7
        return left <= warnWithin ? .yellow : .green
    }
}
