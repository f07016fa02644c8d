import Foundation

/// The counters the statistics keep per day, item and channel: each is changed by the same
/// transaction that changes a case, a review or a rectification (`StatisticsRules`), and each can
/// be recounted from those records (`yiwang statistics rebuild`).
public enum StatisticsCounter: String, CaseIterable, Codable, Sendable, Hashable {
    /// 申报量: cases submitted (a resubmission after correction is not counted again).
    case applications
    /// 受理 and 不予受理.
    case accepted, notAccepted
    /// Decisions (准予, 不予, 超时默认准予), and those made on or before the deadline.
    case decided, decidedOnTime
    /// Cases whose result reached the applicant (送达), those with no visit that were applied for
    /// online (全程网办), and the visits of those cases (跑动次数).
    case concluded, concludedFullyOnline, visits
    /// At acceptance: materials the item lists, and those the applicant did not have to give
    /// (reused files, licences from the wallet, registry and licence data the platform fetched).
    case materialsRequired, materialsSpared
    /// Reviews by level (an upheld appeal moves one from its level to `reviewsExcluded`).
    case reviewsLevel1, reviewsLevel2, reviewsLevel3, reviewsLevel4, reviewsLevel5, reviewsExcluded
    /// Rectifications of bad reviews closed by the deadline, or after it.
    case rectifiedOnTime, rectifiedLate

    /// The column of the summary tables (snake case of the name, worked out once: every read of a
    /// summary asks it for each counter of each row).
    public var column: String { Self.columns[self] ?? rawValue }

    private static let columns: [StatisticsCounter: String] = Dictionary(
        uniqueKeysWithValues: allCases.map { counter in
            var out = ""
            for character in counter.rawValue {
                if character.isUppercase || character.isNumber && !(out.last?.isNumber ?? false) { out += "_" }
                out += character.lowercased()
            }
            return (counter, out)
        })

    public static func reviews(_ level: ReviewLevel) -> StatisticsCounter {
        [.reviewsLevel1, .reviewsLevel2, .reviewsLevel3, .reviewsLevel4, .reviewsLevel5][level.rawValue - 1]
    }
}

/// A set of counter values (a row of a summary table, or the sum of many).
public struct Tally: Sendable, Equatable, Codable {
    public private(set) var values: [Int]

    public init() { values = Array(repeating: 0, count: StatisticsCounter.allCases.count) }

    public init(_ pairs: [StatisticsCounter: Int]) {
        self.init()
        for (counter, value) in pairs { self[counter] = value }
    }

    public subscript(_ counter: StatisticsCounter) -> Int {
        get { values[Self.index[counter] ?? 0] }
        set { values[Self.index[counter] ?? 0] = newValue }
    }

    private static let index: [StatisticsCounter: Int] = Dictionary(
        uniqueKeysWithValues: StatisticsCounter.allCases.enumerated().map { ($0.element, $0.offset) })

    public var isZero: Bool { values.allSatisfy { $0 == 0 } }

    public static func + (lhs: Tally, rhs: Tally) -> Tally {
        var sum = lhs
        for index in sum.values.indices { sum.values[index] += rhs.values[index] }
        return sum
    }

    public static func += (lhs: inout Tally, rhs: Tally) { lhs = lhs + rhs }

    public static prefix func - (tally: Tally) -> Tally {
        var negated = tally
        for index in negated.values.indices { negated.values[index] = -negated.values[index] }
        return negated
    }

    /// The counters that differ, for the rebuild's report.
    public func differences(from other: Tally) -> [(StatisticsCounter, stored: Int, recounted: Int)] {
        StatisticsCounter.allCases.compactMap { counter in self[counter] == other[counter] ? nil : (counter, self[counter], other[counter]) }
    }
}

/// Where a counted fact belongs: the day it happened, the item (empty for a window visit), the
/// department and region that handle it, and the channel the service was applied for through.
public struct TallyKey: Sendable, Hashable, Codable {
    public var day: LocalDate
    public var itemCode: String
    public var itemName: String
    public var departmentCode: String
    public var regionCode: String
    public var channel: String

    public init(day: LocalDate, itemCode: String, itemName: String, departmentCode: String, regionCode: String, channel: String) {
        self.day = day
        self.itemCode = itemCode
        self.itemName = itemName
        self.departmentCode = departmentCode
        self.regionCode = regionCode
        self.channel = channel
    }

    /// The key of the same facts in the monthly table (the first of the month).
    public var month: TallyKey {
        var key = self
        key.day = LocalDate(year: day.year, month: day.month, day: 1) ?? day
        return key
    }
}

/// A breakdown of the summaries besides the day: what a figure can be grouped or filtered by.
public enum StatisticsDimension: String, CaseIterable, Sendable, Hashable {
    case item, channel, department, region
}

/// One pair of summary tables (daily and monthly) keeping some of the dimensions; a dropped
/// dimension is stored as the empty string. The same tally is added to every level in the same
/// transaction, so each level is the exact sum of the one below it, and a query reads the
/// smallest level that keeps what it groups and filters by: a city's 30-day total reads about
/// 150 rows instead of 16,000 item rows.
public struct SummaryLevel: Sendable, Hashable {
    /// The tables are `<stem>_daily` and `<stem>_monthly`.
    public let stem: String
    public let keeps: Set<StatisticsDimension>

    public var daily: String { stem + "_daily" }
    public var monthly: String { stem + "_monthly" }

    /// Day × channel: the city's totals, by channel or by day.
    public static let city = SummaryLevel(stem: "statistics_city", keeps: [.channel])
    /// Day × department × region, every channel together.
    public static let department = SummaryLevel(stem: "statistics_department", keeps: [.department, .region])
    /// Day × item (with its department and region), every channel together.
    public static let item = SummaryLevel(stem: "statistics_item", keeps: [.item, .department, .region])
    /// Day × item × channel × department × region: every fact, the level the others sum.
    public static let full = SummaryLevel(stem: "statistics", keeps: Set(StatisticsDimension.allCases))

    /// Smallest first.
    public static let all: [SummaryLevel] = [.city, .department, .item, .full]

    /// The smallest level keeping every dimension asked for.
    public static func smallest(keeping needed: Set<StatisticsDimension>) -> SummaryLevel {
        all.first { $0.keeps.isSuperset(of: needed) } ?? .full
    }

    /// A fact's key at this level: the dimensions it drops are blank (the item's name with its code).
    public func key(_ key: TallyKey) -> TallyKey {
        var key = key
        if !keeps.contains(.item) {
            key.itemCode = ""
            key.itemName = ""
        }
        if !keeps.contains(.channel) { key.channel = "" }
        if !keeps.contains(.department) { key.departmentCode = "" }
        if !keeps.contains(.region) { key.regionCode = "" }
        return key
    }
}

extension StatisticsGrouping {
    /// The dimension a grouping needs kept (none for the total and by day).
    public var dimension: StatisticsDimension? {
        switch self {
        case .total, .day: nil
        case .department: .department
        case .item: .item
        case .channel: .channel
        case .region: .region
        }
    }
}

/// The facts of a case step the statistics need beyond the step itself.
public struct CaseStatisticsFacts: Sendable, Equatable {
    /// The case was applied for online (web, mobile, API or kiosk), not at a window.
    public var filedOnline: Bool
    /// The deadline the decision is measured against (nil: no legal clock, e.g. 即办件).
    public var deadline: LocalDate?
    /// Times the applicant came to a hall for this case (`StatisticsRules.visits`).
    public var visits: Int
    public var materialsRequired: Int
    public var materialsSpared: Int

    public init(filedOnline: Bool, deadline: LocalDate? = nil, visits: Int = 0, materialsRequired: Int = 0, materialsSpared: Int = 0) {
        self.filedOnline = filedOnline
        self.deadline = deadline
        self.visits = visits
        self.materialsRequired = materialsRequired
        self.materialsSpared = materialsSpared
    }
}

public enum StatisticsRules {
    /// What one case step adds to the counters of its day.
    public static func caseStep(_ action: CaseAction, from: CaseState, on day: LocalDate, facts: CaseStatisticsFacts) -> Tally {
        var tally = Tally()
        switch action {
        case .submit where from == .draft: tally[.applications] = 1
        case .accept:
            tally[.accepted] = 1
            tally[.materialsRequired] = facts.materialsRequired
            tally[.materialsSpared] = facts.materialsSpared
        case .rejectAtAcceptance: tally[.notAccepted] = 1
        case .approve, .deny, .approveOnTimeout:
            tally[.decided] = 1
            if facts.deadline.map({ day <= $0 }) ?? true { tally[.decidedOnTime] = 1 }
        case .deliver:
            tally[.concluded] = 1
            tally[.visits] = facts.visits
            if facts.visits == 0 && facts.filedOnline { tally[.concludedFullyOnline] = 1 }
        default: break
        }
        return tally
    }

    /// A review as given (rectification ratings are not part of the satisfaction figures).
    public static func review(_ level: ReviewLevel) -> Tally { Tally([.reviews(level): 1]) }

    /// An upheld appeal: the review leaves its level and is counted as excluded.
    public static func excluded(_ level: ReviewLevel) -> Tally { Tally([.reviews(level): -1, .reviewsExcluded: 1]) }

    /// A rectification closed, counted on the review's own day (the share is of that day's bad reviews).
    public static func rectified(onTime: Bool) -> Tally { Tally([onTime ? .rectifiedOnTime : .rectifiedLate: 1]) }

    /// 跑动次数 of one case: a case applied for at a window counts each day it was submitted
    /// there (the first application and every resubmission after a correction notice); a case
    /// applied for online counts the visits its item still requires in person (原件核验, 领证).
    public static func visits(filedAtWindow: Bool, submissionDays: Set<LocalDate>, requiredVisits: Int) -> Int {
        filedAtWindow ? max(1, submissionDays.count) : max(0, requiredVisits)
    }

    /// Whether a case channel is online (全程网办 counts only these).
    public static func isOnline(channel: String) -> Bool { channel != "window" }
}

/// A period of days, checked, and how it is read from the summary tables: whole months from the
/// monthly table and the days at either end from the daily one, so a year costs twelve rows per
/// key instead of 365 and the sums stay exact.
public struct StatisticsPeriod: Sendable, Equatable {
    public var from: LocalDate
    public var to: LocalDate

    public static let longest = 3660

    public init(from: LocalDate, to: LocalDate) throws(DomainError) {
        guard from <= to else {
            throw DomainError.invalid("statistics.period_invalid", "起始日期不能晚于截止日期。", fields: [FieldError(field: "from", message: "起始日期不能晚于截止日期。")])
        }
        guard to.dayNumber - from.dayNumber < Self.longest else {
            throw DomainError.invalid("statistics.period_too_long", "统计区间最长 10 年。", fields: [FieldError(field: "to", message: "统计区间最长 10 年。")])
        }
        self.from = from
        self.to = to
    }

    public var days: Int { to.dayNumber - from.dayNumber + 1 }

    /// The whole months inside the period (their first days), and the day ranges left at its ends.
    public func split() -> (months: [LocalDate], days: [ClosedRange<LocalDate>]) {
        var months: [LocalDate] = []
        var cursor = from.day == 1 ? from : Self.firstOfNextMonth(from)
        while true {
            let next = Self.firstOfNextMonth(cursor)
            guard LocalDate(dayNumber: next.dayNumber - 1) <= to else { break }
            months.append(cursor)
            cursor = next
        }
        guard let first = months.first, let last = months.last else { return ([], [from...to]) }
        var days: [ClosedRange<LocalDate>] = []
        if from < first { days.append(from...LocalDate(dayNumber: first.dayNumber - 1)) }
        let afterLast = Self.firstOfNextMonth(last)
        if afterLast <= to { days.append(afterLast...to) }
        return (months, days)
    }

    /// One read of a summary level: the rows of the monthly table whose months start in `from…to`,
    /// or of the daily table for those days, added (`sign` 1) or taken away (-1).
    public struct Read: Sendable, Equatable {
        public enum Table: Sendable, Equatable { case daily, monthly }
        public var table: Table
        public var from: LocalDate
        public var to: LocalDate
        public var sign: Int

        public init(table: Table, from: LocalDate, to: LocalDate, sign: Int) {
            self.table = table
            self.from = from
            self.to = to
            self.sign = sign
        }
    }

    /// The reads that sum the period with the fewest daily rows: whole months from the monthly
    /// table; a month the period covers in part, from its days, or from its month less the days
    /// it leaves out when those are fewer (a month's row is the sum of its days' rows, so both are
    /// exact). A year from the 6th of a month reads 12 months and the 10 days left out or left
    /// over at its ends, instead of 11 months and 31 days.
    public func reads() -> [Read] {
        let (whole, edges) = split()
        var months = whole
        var reads: [Read] = []
        for range in edges {
            var start = range.lowerBound
            while start <= range.upperBound {
                // The part of the range in start's month.
                let monthStart = LocalDate(year: start.year, month: start.month, day: 1) ?? start
                let monthEnd = LocalDate(dayNumber: Self.firstOfNextMonth(monthStart).dayNumber - 1)
                let end = min(monthEnd, range.upperBound)
                let included = end.dayNumber - start.dayNumber + 1
                let leftOut = (monthEnd.dayNumber - monthStart.dayNumber + 1) - included
                if leftOut + 1 < included {
                    months.append(monthStart)
                    if monthStart < start { reads.append(Read(table: .daily, from: monthStart, to: LocalDate(dayNumber: start.dayNumber - 1), sign: -1)) }
                    if end < monthEnd { reads.append(Read(table: .daily, from: LocalDate(dayNumber: end.dayNumber + 1), to: monthEnd, sign: -1)) }
                } else {
                    reads.append(Read(table: .daily, from: start, to: end, sign: 1))
                }
                start = LocalDate(dayNumber: end.dayNumber + 1)
            }
        }
        // Consecutive months in one read of the monthly table.
        var runs: [Read] = []
        for month in months.sorted() {
            if let last = runs.last, Self.firstOfNextMonth(last.to) == month {
                runs[runs.count - 1].to = month
            } else {
                runs.append(Read(table: .monthly, from: month, to: month, sign: 1))
            }
        }
        return runs + reads
    }

    static func firstOfNextMonth(_ date: LocalDate) -> LocalDate {
        let (year, month) = date.month == 12 ? (date.year + 1, 1) : (date.year, date.month + 1)
        return LocalDate(year: year, month: month, day: 1) ?? LocalDate(dayNumber: date.dayNumber + 31)
    }
}

/// How figures are broken down.
public enum StatisticsGrouping: String, CaseIterable, Codable, Sendable {
    case total, department, item, channel, region, day

    public var chineseName: String {
        switch self {
        case .total: "合计"
        case .department: "部门"
        case .item: "事项"
        case .channel: "渠道"
        case .region: "区域"
        case .day: "日期"
        }
    }

    /// Grouping by day reads the daily table only: at most a year and a day of it.
    public static let longestDaily = 366
}

/// Facts of the published catalog the rates of items need.
public struct CatalogTally: Sendable, Equatable, Codable {
    public var items: Int
    public var onlineApplicable: Int
    public var zeroVisit: Int
    public var atMostOneVisit: Int

    public init(items: Int = 0, onlineApplicable: Int = 0, zeroVisit: Int = 0, atMostOneVisit: Int = 0) {
        self.items = items
        self.onlineApplicable = onlineApplicable
        self.zeroVisit = zeroVisit
        self.atMostOneVisit = atMostOneVisit
    }

    public static func + (lhs: CatalogTally, rhs: CatalogTally) -> CatalogTally {
        CatalogTally(
            items: lhs.items + rhs.items, onlineApplicable: lhs.onlineApplicable + rhs.onlineApplicable, zeroVisit: lhs.zeroVisit + rhs.zeroVisit,
            atMostOneVisit: lhs.atMostOneVisit + rhs.atMostOneVisit)
    }
}

/// The indicators of SPEC C9, each defined once here (docs/statistics.md writes the formulas
/// out). A rate whose denominator is zero is nil ("—"), never 0 or 100 %.
public struct Indicators: Sendable, Equatable, Codable {
    public var applications: Int
    public var accepted: Int
    public var decided: Int
    public var concluded: Int
    /// 网上可办率 = 可网上申请的已发布事项 ÷ 已发布事项.
    public var onlineApplicableRate: Double?
    /// 全程网办率 = 网上申请且零跑动送达的办件 ÷ 送达的办件.
    public var fullyOnlineRate: Double?
    /// 按时办结率 = 期限内作出决定的办件 ÷ 作出决定的办件.
    public var onTimeRate: Double?
    /// 平均跑动次数 = 送达办件的跑动次数之和 ÷ 送达的办件.
    public var averageVisits: Double?
    /// 零跑动事项占比 and 最多跑一次事项占比 (of published items).
    public var zeroVisitItemShare: Double?
    public var atMostOneVisitItemShare: Double?
    /// 材料精简率 = 受理时免于提交的材料 ÷ 事项列出的材料.
    public var materialReduction: Double?
    public var materialsSpared: Int
    /// Reviews counted (appeals upheld are not), bad reviews among them, and those excluded.
    public var reviews: Int
    public var badReviews: Int
    public var excludedReviews: Int
    public var reviewsByLevel: [Int]
    /// 满意度指数 = Σ(等级分 × 条数) ÷ 评价条数, 等级分 = 星级 × 20.
    public var satisfactionIndex: Double?
    /// 差评率 = 差评 ÷ 评价.
    public var badReviewShare: Double?
    /// 差评按期整改率 = 按期整改办结的差评 ÷ 差评.
    public var rectifiedOnTimeShare: Double?

    public init(_ tally: Tally, catalog: CatalogTally?) {
        func rate(_ numerator: Int, _ denominator: Int) -> Double? {
            denominator > 0 ? (Double(numerator) / Double(denominator) * 10_000).rounded() / 10_000 : nil
        }
        applications = tally[.applications]
        accepted = tally[.accepted]
        decided = tally[.decided]
        concluded = tally[.concluded]
        onlineApplicableRate = catalog.flatMap { rate($0.onlineApplicable, $0.items) }
        zeroVisitItemShare = catalog.flatMap { rate($0.zeroVisit, $0.items) }
        atMostOneVisitItemShare = catalog.flatMap { rate($0.atMostOneVisit, $0.items) }
        fullyOnlineRate = rate(tally[.concludedFullyOnline], tally[.concluded])
        onTimeRate = rate(tally[.decidedOnTime], tally[.decided])
        averageVisits = tally[.concluded] > 0 ? (Double(tally[.visits]) / Double(tally[.concluded]) * 100).rounded() / 100 : nil
        materialReduction = rate(tally[.materialsSpared], tally[.materialsRequired])
        materialsSpared = tally[.materialsSpared]
        reviewsByLevel = ReviewLevel.allCases.map { tally[.reviews($0)] }
        reviews = reviewsByLevel.reduce(0, +)
        badReviews = ReviewLevel.allCases.filter(\.isBad).map { tally[.reviews($0)] }.reduce(0, +)
        excludedReviews = tally[.reviewsExcluded]
        let points = ReviewLevel.allCases.map { $0.score * tally[.reviews($0)] }.reduce(0, +)
        satisfactionIndex = reviews > 0 ? (Double(points) / Double(reviews) * 100).rounded() / 100 : nil
        badReviewShare = rate(badReviews, reviews)
        rectifiedOnTimeShare = rate(tally[.rectifiedOnTime], badReviews)
    }
}

/// 电子监察's cards: each department gets a red card for every case decided after its deadline
/// in the period, every open case past its deadline and every bad review whose rectification is
/// past its deadline; a yellow card for every open case and rectification in its warning days.
/// The department's colour is red with any red card, yellow with any yellow card, else green.
public struct SupervisionCards: Sendable, Equatable, Codable {
    public var red: Int
    public var yellow: Int

    public init(lateDecisions: Int, overdueCases: Int, overdueRectifications: Int, warnedCases: Int, warnedRectifications: Int) {
        red = lateDecisions + overdueCases + overdueRectifications
        yellow = warnedCases + warnedRectifications
    }

    public var colour: CaseUrgency { red > 0 ? .red : yellow > 0 ? .yellow : .green }
}
