import Foundation

/// One year's official arrangement (国务院办公厅 notice): the days off that would otherwise be
/// working days or weekends of a holiday block, and the weekend days worked instead (调休上班).
public struct HolidayYear: Codable, Sendable, Equatable {
    public struct Holiday: Codable, Sendable, Equatable {
        public var name: String
        public var daysOff: [LocalDate]
        public var workdays: [LocalDate]

        public init(name: String, daysOff: [LocalDate], workdays: [LocalDate] = []) {
            self.name = name
            self.daysOff = daysOff
            self.workdays = workdays
        }
    }

    public var year: Int
    /// Where the arrangement comes from (the notice), for whoever checks it.
    public var source: String
    public var holidays: [Holiday]

    public init(year: Int, source: String, holidays: [Holiday]) {
        self.year = year
        self.source = source
        self.holidays = holidays
    }

    public var daysOff: Set<LocalDate> { Set(holidays.flatMap(\.daysOff)) }
    public var workdays: Set<LocalDate> { Set(holidays.flatMap(\.workdays)) }

    /// Every problem with the arrangement, in Chinese (empty when it can be used).
    public func problems() -> [FieldError] {
        var problems: [FieldError] = []
        if !(2000...2100).contains(year) { problems.append(FieldError(field: "year", message: "年份应在2000至2100之间。")) }
        if source.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(FieldError(field: "source", message: "请注明依据(如国务院办公厅通知)。")) }
        for (index, holiday) in holidays.enumerated() {
            if holiday.name.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(FieldError(field: "holidays/\(index)/name", message: "节日名称不能为空。"))
            }
            for day in holiday.daysOff + holiday.workdays where day.year != year {
                problems.append(FieldError(field: "holidays/\(index)", message: "\(day) 不在 \(year) 年内。"))
            }
            for day in holiday.workdays where !day.isWeekend {
                problems.append(FieldError(field: "holidays/\(index)/workdays", message: "\(day) 不是周末，无需调休上班。"))
            }
        }
        for day in daysOff.intersection(workdays).sorted() {
            problems.append(FieldError(field: "holidays", message: "\(day) 既是放假日又是调休上班日。"))
        }
        return problems
    }
}

/// A deadline and whether it is final: a date in a year whose arrangement is not yet published
/// is counted on weekends only and marked provisional, to be recomputed when the year is entered.
public struct Deadline: Codable, Sendable, Equatable {
    public var date: LocalDate
    public var provisional: Bool

    public init(date: LocalDate, provisional: Bool) {
        self.date = date
        self.provisional = provisional
    }
}

/// 工作日 arithmetic (行政许可法 Art. 82): Monday to Friday, minus official days off, plus the
/// 调休 weekend days worked. Precomputed over the covered years, so counting is one subtraction
/// and adding is one array read.
public struct WorkingCalendar: Sendable {
    public let years: [Int: HolidayYear]
    /// The first day covered, as a day number, and for each covered day whether it is worked.
    let firstDay: Int
    let working: [Bool]
    /// Working days strictly before each covered day (index = day − firstDay), plus one slot past the end.
    let workedBefore: [Int32]
    /// The day numbers of the covered working days, in order.
    let workingDays: [Int32]

    public init(_ arrangements: [HolidayYear]) throws(DomainError) {
        var byYear: [Int: HolidayYear] = [:]
        for arrangement in arrangements {
            let problems = arrangement.problems()
            guard problems.isEmpty else {
                throw .invalid("calendar.invalid", "\(arrangement.year) 年的节假日安排有误：" + problems.map(\.message).joined(), fields: problems)
            }
            byYear[arrangement.year] = arrangement
        }
        years = byYear
        guard let first = byYear.keys.min(), let last = byYear.keys.max() else {
            firstDay = 0
            working = []
            workedBefore = [0]
            workingDays = []
            return
        }
        let start = LocalDate(year: first, month: 1, day: 1)!.dayNumber
        let end = LocalDate(year: last, month: 12, day: 31)!.dayNumber
        let off = Set(byYear.values.flatMap(\.daysOff).map(\.dayNumber))
        let on = Set(byYear.values.flatMap(\.workdays).map(\.dayNumber))
        var working: [Bool] = []
        var before: [Int32] = []
        var days: [Int32] = []
        var count: Int32 = 0
        working.reserveCapacity(end - start + 1)
        for number in start...end {
            let date = LocalDate(dayNumber: number)
            // A year missing between covered ones counts weekends only; lookups refuse it anyway.
            let worked = on.contains(number) || (!off.contains(number) && !date.isWeekend)
            working.append(worked)
            before.append(count)
            if worked {
                days.append(Int32(number))
                count += 1
            }
        }
        before.append(count)
        firstDay = start
        self.working = working
        workedBefore = before
        workingDays = days
    }

    public func covers(_ year: Int) -> Bool { years[year] != nil }

    func requireCovered(_ date: LocalDate) throws(DomainError) {
        guard covers(date.year) else {
            let known = years.keys.sorted().map(String.init).joined(separator: "、")
            throw .invalid(
                "calendar.year_not_covered",
                "工作日历尚未录入 \(date.year) 年的节假日安排(已录入：\(known.isEmpty ? "无" : known))，请系统管理员录入后再计算。")
        }
    }

    public func isWorkingDay(_ date: LocalDate) throws(DomainError) -> Bool {
        try requireCovered(date)
        return working[date.dayNumber - firstDay]
    }

    /// The Nth working day after `start` (start itself never counts): 受理 on day 0, the
    /// deadline is the end of working day N. Refuses dates in years not covered.
    public func addingWorkingDays(_ count: Int, to start: LocalDate) throws(DomainError) -> LocalDate {
        guard count >= 0 else { throw .invalid("calendar.working_days", "工作日数不能为负数。") }
        try requireCovered(start)
        if count == 0 { return start }
        let index = Int(workedBefore[start.dayNumber - firstDay + 1]) + count - 1
        guard index < workingDays.count else {
            let next = years.keys.max()! + 1
            throw .invalid("calendar.year_not_covered", "期限将落入 \(next) 年，工作日历尚未录入 \(next) 年的节假日安排，请系统管理员录入后再计算。")
        }
        let result = LocalDate(dayNumber: Int(workingDays[index]))
        try requireCovered(result)
        return result
    }

    /// Like `addingWorkingDays`, but a deadline that runs into a year not yet covered is counted
    /// on weekends only from there and marked provisional.
    public func deadline(_ count: Int, after start: LocalDate) throws(DomainError) -> Deadline {
        guard count >= 0 else { throw .invalid("calendar.working_days", "工作日数不能为负数。") }
        var day = start
        var remaining = count
        var provisional = !covers(start.year)
        while remaining > 0 {
            day = day.adding(days: 1)
            if covers(day.year) {
                if working[day.dayNumber - firstDay] { remaining -= 1 }
            } else {
                provisional = true
                if !day.isWeekend { remaining -= 1 }
            }
        }
        return Deadline(date: day, provisional: provisional)
    }

    /// Working days after `start` up to and including `end` (negative when `end` is earlier).
    public func workingDays(after start: LocalDate, through end: LocalDate) throws(DomainError) -> Int {
        try requireCovered(start)
        try requireCovered(end)
        let a = Int(workedBefore[start.dayNumber - firstDay + 1])
        let b = Int(workedBefore[end.dayNumber - firstDay + 1])
        return b - a
    }

    /// Working days in a whole year.
    public func workingDays(in year: Int) throws(DomainError) -> Int {
        let first = LocalDate(year: year, month: 1, day: 1)!
        try requireCovered(first)
        let last = LocalDate(year: year, month: 12, day: 31)!
        return Int(workedBefore[last.dayNumber - firstDay + 1] - workedBefore[first.dayNumber - firstDay])
    }
}
