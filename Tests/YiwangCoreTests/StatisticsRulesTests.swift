import Foundation
import XCTest
import YiwangCore

/// The statistics' rules: what each fact counts, how a period is read from the summary tables,
/// the C9 indicators' formulas, and the supervision board's cards.
final class StatisticsRulesTests: XCTestCase {
    func d(_ text: String) -> LocalDate { try! LocalDate(text) }

    // MARK: What a case step counts

    func testASubmissionCountsOnceAndAResubmissionAfterCorrectionNotAgain() {
        let facts = CaseStatisticsFacts(filedOnline: true)
        XCTAssertEqual(StatisticsRules.caseStep(.submit, from: .draft, on: d("2026-11-22"), facts: facts), Tally([.applications: 1]))
        XCTAssertTrue(StatisticsRules.caseStep(.submit, from: .correctionRequested, on: d("2026-11-23"), facts: facts).isZero)
    }

    func testAcceptanceCountsTheMaterialsAndARefusalIsCountedApart() {
        let facts = CaseStatisticsFacts(filedOnline: true, materialsRequired: 3, materialsSpared: 1)
        XCTAssertEqual(
            StatisticsRules.caseStep(.accept, from: .preReview, on: d("2026-11-22"), facts: facts),
            Tally([.accepted: 1, .materialsRequired: 3, .materialsSpared: 1]))
        XCTAssertEqual(StatisticsRules.caseStep(.rejectAtAcceptance, from: .submitted, on: d("2026-11-22"), facts: facts), Tally([.notAccepted: 1]))
    }

    func testADecisionOnTheDeadlineIsOnTimeAndOneAfterItIsLate() {
        let facts = CaseStatisticsFacts(filedOnline: true, deadline: d("2026-11-27"))
        for action in [CaseAction.approve, .deny, .approveOnTimeout] {
            XCTAssertEqual(StatisticsRules.caseStep(action, from: .underReview, on: d("2026-11-26"), facts: facts), Tally([.decided: 1, .decidedOnTime: 1]), action.rawValue)
            XCTAssertEqual(StatisticsRules.caseStep(action, from: .underReview, on: d("2026-11-27"), facts: facts), Tally([.decided: 1, .decidedOnTime: 1]), "on the day")
            XCTAssertEqual(StatisticsRules.caseStep(action, from: .underReview, on: d("2026-11-28"), facts: facts), Tally([.decided: 1]), "a day late")
        }
        // A case with no legal clock (即办件) is never late.
        XCTAssertEqual(
            StatisticsRules.caseStep(.approve, from: .accepted, on: d("2030-01-01"), facts: CaseStatisticsFacts(filedOnline: false)),
            Tally([.decided: 1, .decidedOnTime: 1]))
    }

    func testDeliveryCountsVisitsAndFullyOnlineOnlyWithoutAVisit() {
        let day = d("2026-11-30")
        XCTAssertEqual(
            StatisticsRules.caseStep(.deliver, from: .certificateIssued, on: day, facts: CaseStatisticsFacts(filedOnline: true, visits: 0)),
            Tally([.concluded: 1, .concludedFullyOnline: 1]))
        XCTAssertEqual(
            StatisticsRules.caseStep(.deliver, from: .certificateIssued, on: day, facts: CaseStatisticsFacts(filedOnline: true, visits: 1)),
            Tally([.concluded: 1, .visits: 1]), "online, but a visit for the original")
        XCTAssertEqual(
            StatisticsRules.caseStep(.deliver, from: .denied, on: day, facts: CaseStatisticsFacts(filedOnline: false, visits: 2)),
            Tally([.concluded: 1, .visits: 2]))
        XCTAssertEqual(
            StatisticsRules.caseStep(.deliver, from: .approved, on: day, facts: CaseStatisticsFacts(filedOnline: false, visits: 0)),
            Tally([.concluded: 1]), "filed at a window is never 全程网办")
    }

    func testStepsThatAreNotFactsOfTheStatisticsCountNothing() {
        let facts = CaseStatisticsFacts(filedOnline: true, deadline: d("2026-11-27"), visits: 3, materialsRequired: 3, materialsSpared: 2)
        for action in [CaseAction.withdraw, .requestCorrection, .preReview, .review, .issueCertificate, .close, .archive, .terminate] {
            XCTAssertTrue(StatisticsRules.caseStep(action, from: .accepted, on: d("2026-11-22"), facts: facts).isZero, action.rawValue)
        }
    }

    func testVisitsPerCase() {
        let days: Set<LocalDate> = [d("2026-11-20"), d("2026-11-23")]
        XCTAssertEqual(StatisticsRules.visits(filedAtWindow: true, submissionDays: days, requiredVisits: 0), 2, "each day at the window")
        XCTAssertEqual(StatisticsRules.visits(filedAtWindow: true, submissionDays: [], requiredVisits: 0), 1, "a window case is at least one visit")
        XCTAssertEqual(StatisticsRules.visits(filedAtWindow: false, submissionDays: days, requiredVisits: 1), 1, "online: what the item requires")
        XCTAssertEqual(StatisticsRules.visits(filedAtWindow: false, submissionDays: days, requiredVisits: -3), 0)
        XCTAssertFalse(StatisticsRules.isOnline(channel: "window"))
        for channel in ["web", "mobile", "api", "kiosk"] { XCTAssertTrue(StatisticsRules.isOnline(channel: channel), channel) }
    }

    func testAnUpheldAppealMovesAReviewFromItsLevelToExcluded() {
        for level in ReviewLevel.allCases {
            let both = StatisticsRules.review(level) + StatisticsRules.excluded(level)
            XCTAssertEqual(both, Tally([.reviewsExcluded: 1]), level.chineseName)
        }
        XCTAssertEqual(StatisticsRules.rectified(onTime: true), Tally([.rectifiedOnTime: 1]))
        XCTAssertEqual(StatisticsRules.rectified(onTime: false), Tally([.rectifiedLate: 1]))
    }

    // MARK: Tallies and keys

    func testTalliesAddNegateAndReportTheirDifferences() {
        let a = Tally([.applications: 3, .reviewsLevel5: 2])
        let b = Tally([.applications: 1, .visits: 4])
        XCTAssertEqual(a + b, Tally([.applications: 4, .reviewsLevel5: 2, .visits: 4]))
        XCTAssertTrue((a + -a).isZero)
        let differences = a.differences(from: b)
        XCTAssertEqual(differences.map { $0.0 }, [.applications, .visits, .reviewsLevel5])
        XCTAssertEqual(differences.map(\.stored), [3, 0, 2])
        XCTAssertEqual(differences.map(\.recounted), [1, 4, 0])
        XCTAssertEqual(StatisticsCounter.reviews(.veryDissatisfied), .reviewsLevel1)
        XCTAssertEqual(StatisticsCounter.reviews(.verySatisfied), .reviewsLevel5)
    }

    func testCountersNameTheirColumns() {
        XCTAssertEqual(StatisticsCounter.decidedOnTime.column, "decided_on_time")
        XCTAssertEqual(StatisticsCounter.reviewsLevel1.column, "reviews_level_1")
        XCTAssertEqual(StatisticsCounter.applications.column, "applications")
        XCTAssertEqual(Set(StatisticsCounter.allCases.map(\.column)).count, StatisticsCounter.allCases.count, "one column each")
    }

    func testAMonthlyKeyIsTheFirstOfItsMonth() {
        let key = TallyKey(day: d("2026-02-28"), itemCode: "X", itemName: "事项", departmentCode: "D", regionCode: "R", channel: "web")
        XCTAssertEqual(key.month.day, d("2026-02-01"))
        XCTAssertEqual(key.month.itemCode, "X")
        XCTAssertEqual(key.month.month, key.month)
    }

    // MARK: Summary levels

    func testAQueryReadsTheSmallestLevelKeepingWhatItGroupsAndFiltersBy() {
        XCTAssertEqual(SummaryLevel.smallest(keeping: []), .city)
        XCTAssertEqual(SummaryLevel.smallest(keeping: [.channel]), .city)
        XCTAssertEqual(SummaryLevel.smallest(keeping: [.department]), .department)
        XCTAssertEqual(SummaryLevel.smallest(keeping: [.region]), .department)
        XCTAssertEqual(SummaryLevel.smallest(keeping: [.department, .channel]), .full)
        XCTAssertEqual(SummaryLevel.smallest(keeping: [.item]), .item)
        XCTAssertEqual(SummaryLevel.smallest(keeping: [.item, .region]), .item)
        XCTAssertEqual(SummaryLevel.smallest(keeping: [.item, .channel]), .full)
        XCTAssertEqual(SummaryLevel.all.last, .full)
        XCTAssertEqual(SummaryLevel.full.keeps, Set(StatisticsDimension.allCases))
        // Every grouping's dimension is kept by some level, and the full level is the old tables.
        for grouping in StatisticsGrouping.allCases {
            let needed = grouping.dimension.map { Set([$0]) } ?? []
            XCTAssertTrue(SummaryLevel.smallest(keeping: needed).keeps.isSuperset(of: needed), grouping.rawValue)
        }
        XCTAssertEqual([SummaryLevel.full.daily, SummaryLevel.full.monthly], ["statistics_daily", "statistics_monthly"])
        XCTAssertEqual(Set(SummaryLevel.all.flatMap { [$0.daily, $0.monthly] }).count, 8, "eight tables")
    }

    func testALevelBlanksTheDimensionsItDrops() {
        let key = TallyKey(day: d("2026-02-28"), itemCode: "X", itemName: "事项", departmentCode: "D", regionCode: "R", channel: "web")
        XCTAssertEqual(SummaryLevel.full.key(key), key)
        let city = SummaryLevel.city.key(key)
        XCTAssertEqual([city.itemCode, city.itemName, city.departmentCode, city.regionCode, city.channel], ["", "", "", "", "web"])
        let department = SummaryLevel.department.key(key)
        XCTAssertEqual([department.itemCode, department.itemName, department.departmentCode, department.regionCode, department.channel], ["", "", "D", "R", ""])
        let item = SummaryLevel.item.key(key)
        XCTAssertEqual([item.itemCode, item.itemName, item.departmentCode, item.regionCode, item.channel], ["X", "事项", "D", "R", ""])
        XCTAssertEqual(SummaryLevel.item.key(key).month.day, d("2026-02-01"))
        XCTAssertEqual(city.day, key.day)
    }

    // MARK: Periods

    func period(_ from: String, _ to: String) -> StatisticsPeriod { try! StatisticsPeriod(from: d(from), to: d(to)) }

    func testWholeMonthsComeFromTheMonthlyTableAndTheEdgesFromTheDailyOne() {
        var split = period("2026-01-15", "2026-03-10").split()
        XCTAssertEqual(split.months, [d("2026-02-01")])
        XCTAssertEqual(split.days, [d("2026-01-15")...d("2026-01-31"), d("2026-03-01")...d("2026-03-10")])

        split = period("2026-01-01", "2026-03-31").split()
        XCTAssertEqual(split.months, [d("2026-01-01"), d("2026-02-01"), d("2026-03-01")])
        XCTAssertEqual(split.days, [], "whole months need no daily rows")

        split = period("2026-01-01", "2026-03-30").split()
        XCTAssertEqual(split.months, [d("2026-01-01"), d("2026-02-01")])
        XCTAssertEqual(split.days, [d("2026-03-01")...d("2026-03-30")], "March is a day short")
    }

    func testOneMonthAndLessThanAMonth() {
        XCTAssertEqual(period("2026-02-01", "2026-02-28").split().months, [d("2026-02-01")])
        XCTAssertEqual(period("2026-02-01", "2026-02-28").split().days, [])
        XCTAssertEqual(period("2024-02-01", "2024-02-29").split().months, [d("2024-02-01")], "a leap February")
        XCTAssertEqual(period("2024-02-01", "2024-02-28").split().months, [], "a leap February less its last day")
        let inside = period("2026-02-03", "2026-02-20").split()
        XCTAssertEqual(inside.months, [])
        XCTAssertEqual(inside.days, [d("2026-02-03")...d("2026-02-20")])
        // Spanning two partial months with no whole month between.
        let straddle = period("2026-01-20", "2026-02-10").split()
        XCTAssertEqual(straddle.months, [])
        XCTAssertEqual(straddle.days, [d("2026-01-20")...d("2026-02-10")])
    }

    func testAPeriodAcrossTheYearEnd() {
        let split = period("2025-12-15", "2026-02-05").split()
        XCTAssertEqual(split.months, [d("2026-01-01")])
        XCTAssertEqual(split.days, [d("2025-12-15")...d("2025-12-31"), d("2026-02-01")...d("2026-02-05")])
        XCTAssertEqual(period("2025-11-01", "2026-01-31").split().months, [d("2025-11-01"), d("2025-12-01"), d("2026-01-01")])
        XCTAssertEqual(period("2025-12-01", "2025-12-31").split().months, [d("2025-12-01")], "December alone")
    }

    func testASingleDay() {
        for day in ["2026-02-01", "2026-02-28", "2026-12-31", "2026-11-22"] {
            let split = period(day, day).split()
            XCTAssertEqual(split.months, [], day)
            XCTAssertEqual(split.days, [d(day)...d(day)], day)
            XCTAssertEqual(period(day, day).days, 1)
        }
    }

    func testAPeriodIsCheckedWhenMade() {
        XCTAssertThrowsError(try StatisticsPeriod(from: d("2026-11-23"), to: d("2026-11-22"))) { error in
            XCTAssertEqual((error as? DomainError)?.code, "statistics.period_invalid")
        }
        XCTAssertNoThrow(try StatisticsPeriod(from: d("2016-01-01"), to: LocalDate(dayNumber: d("2016-01-01").dayNumber + StatisticsPeriod.longest - 1)))
        XCTAssertThrowsError(try StatisticsPeriod(from: d("2016-01-01"), to: LocalDate(dayNumber: d("2016-01-01").dayNumber + StatisticsPeriod.longest))) { error in
            XCTAssertEqual((error as? DomainError)?.code, "statistics.period_too_long")
        }
    }

    /// For any period, the months and the edge days cover each of its days exactly once, and
    /// nothing outside it (so the sums read from the two tables are exact).
    func testReadsTakeAMonthLessTheDaysItLeavesOutWhenThoseAreFewer() {
        typealias Read = StatisticsPeriod.Read
        // A year from the 6th: twelve months, less 1–5 December 2025, and 1–5 December 2026 read by day.
        XCTAssertEqual(
            period("2025-12-06", "2026-12-05").reads(),
            [
                Read(table: .monthly, from: d("2025-12-01"), to: d("2026-11-01"), sign: 1),
                Read(table: .daily, from: d("2025-12-01"), to: d("2025-12-05"), sign: -1),
                Read(table: .daily, from: d("2026-12-01"), to: d("2026-12-05"), sign: 1),
            ])
        // Inside one month: its row less the two days left out; a short span by day.
        XCTAssertEqual(
            period("2026-11-02", "2026-11-29").reads(),
            [
                Read(table: .monthly, from: d("2026-11-01"), to: d("2026-11-01"), sign: 1),
                Read(table: .daily, from: d("2026-11-01"), to: d("2026-11-01"), sign: -1),
                Read(table: .daily, from: d("2026-11-30"), to: d("2026-11-30"), sign: -1),
            ])
        XCTAssertEqual(period("2026-11-10", "2026-11-20").reads(), [Read(table: .daily, from: d("2026-11-10"), to: d("2026-11-20"), sign: 1)])
        // Across a month's end with no whole month: each side on its own.
        XCTAssertEqual(
            period("2026-10-03", "2026-11-04").reads(),
            [
                Read(table: .monthly, from: d("2026-10-01"), to: d("2026-10-01"), sign: 1),
                Read(table: .daily, from: d("2026-10-01"), to: d("2026-10-02"), sign: -1),
                Read(table: .daily, from: d("2026-11-01"), to: d("2026-11-04"), sign: 1),
            ])
        XCTAssertEqual(period("2026-03-01", "2026-05-31").reads(), [Read(table: .monthly, from: d("2026-03-01"), to: d("2026-05-01"), sign: 1)])
    }

    func testEveryPeriodsReadsCountEachOfItsDaysOnceAndNoOtherDay() {
        var random = SplitMix(seed: 20_261_205)
        let origin = d("2023-11-01").dayNumber
        for _ in 0..<2000 {
            let start = origin + Int.random(in: 0..<1200, using: &random)
            let length = Int.random(in: 0..<[3, 40, 100, 800].randomElement(using: &random)!, using: &random)
            let period = try! StatisticsPeriod(from: LocalDate(dayNumber: start), to: LocalDate(dayNumber: start + length))
            var count: [Int: Int] = [:]
            var dailyDays = 0
            for read in period.reads() {
                XCTAssertTrue(read.sign == 1 || read.sign == -1)
                XCTAssertLessThanOrEqual(read.from, read.to)
                var day = read.from
                switch read.table {
                case .monthly:
                    XCTAssertEqual([read.from.day, read.to.day], [1, 1])
                    // Every day of every month the read spans.
                    day = read.from
                    let after = read.to.month == 12 ? LocalDate(year: read.to.year + 1, month: 1, day: 1) : LocalDate(year: read.to.year, month: read.to.month + 1, day: 1)
                    while day < after! {
                        count[day.dayNumber, default: 0] += read.sign
                        day = day.adding(days: 1)
                    }
                case .daily:
                    while day <= read.to {
                        count[day.dayNumber, default: 0] += read.sign
                        day = day.adding(days: 1)
                        dailyDays += 1
                    }
                }
            }
            let covered = count.filter { $0.value != 0 }
            XCTAssertEqual(Set(covered.keys), Set(start...start + length), "\(period.from)…\(period.to)")
            XCTAssertTrue(covered.values.allSatisfy { $0 == 1 }, "\(period.from)…\(period.to)")
            // Never more daily rows than the days at the ends the plain split reads.
            let split = period.split().days.reduce(0) { $0 + $1.upperBound.dayNumber - $1.lowerBound.dayNumber + 1 }
            XCTAssertLessThanOrEqual(dailyDays, split, "\(period.from)…\(period.to)")
        }
    }

    func testEverySplitCoversItsPeriodExactlyOnce() {
        var random = SplitMix(seed: 20_261_122)
        let origin = d("2023-11-01").dayNumber
        for _ in 0..<2000 {
            let start = origin + Int.random(in: 0..<1200, using: &random)
            let length = Int.random(in: 0..<[3, 40, 100, 800].randomElement(using: &random)!, using: &random)
            let period = try! StatisticsPeriod(from: LocalDate(dayNumber: start), to: LocalDate(dayNumber: start + length))
            let (months, days) = period.split()
            var covered: [Int] = []
            for month in months {
                XCTAssertEqual(month.day, 1, "\(period)")
                var day = month
                while day.month == month.month {
                    covered.append(day.dayNumber)
                    day = day.adding(days: 1)
                }
            }
            for range in days { covered += Array(range.lowerBound.dayNumber...range.upperBound.dayNumber) }
            XCTAssertEqual(covered.sorted(), Array(start...start + length), "\(period.from)…\(period.to)")
            XCTAssertLessThanOrEqual(days.count, 2)
            XCTAssertEqual(months, months.sorted())
        }
    }

    // MARK: Indicators

    func testEveryRateIsNilWhenItsDenominatorIsZero() {
        let empty = Indicators(Tally(), catalog: nil)
        XCTAssertNil(empty.onlineApplicableRate)
        XCTAssertNil(empty.fullyOnlineRate)
        XCTAssertNil(empty.onTimeRate)
        XCTAssertNil(empty.averageVisits)
        XCTAssertNil(empty.zeroVisitItemShare)
        XCTAssertNil(empty.atMostOneVisitItemShare)
        XCTAssertNil(empty.materialReduction)
        XCTAssertNil(empty.satisfactionIndex)
        XCTAssertNil(empty.badReviewShare)
        XCTAssertNil(empty.rectifiedOnTimeShare)
        XCTAssertEqual(empty.reviewsByLevel, [0, 0, 0, 0, 0])
        let noItems = Indicators(Tally([.applications: 3]), catalog: CatalogTally())
        XCTAssertNil(noItems.onlineApplicableRate, "a catalog of no items has no rate")
        XCTAssertEqual(noItems.applications, 3)
        // Numerators without denominators (only excluded reviews; rectified but no bad review left).
        let excludedOnly = Indicators(Tally([.reviewsExcluded: 2, .rectifiedOnTime: 1]), catalog: nil)
        XCTAssertNil(excludedOnly.satisfactionIndex)
        XCTAssertNil(excludedOnly.rectifiedOnTimeShare)
        XCTAssertEqual(excludedOnly.excludedReviews, 2)
        XCTAssertEqual(excludedOnly.reviews, 0)
    }

    func testTheCaseRates() {
        let tally = Tally([
            .applications: 10, .accepted: 8, .decided: 3, .decidedOnTime: 2, .concluded: 3, .concludedFullyOnline: 1, .visits: 5,
            .materialsRequired: 8, .materialsSpared: 3,
        ])
        let figures = Indicators(tally, catalog: CatalogTally(items: 4, onlineApplicable: 3, zeroVisit: 1, atMostOneVisit: 2))
        XCTAssertEqual(figures.applications, 10)
        XCTAssertEqual(figures.accepted, 8)
        XCTAssertEqual(figures.onTimeRate, 0.6667, "two of three, to four places")
        XCTAssertEqual(figures.fullyOnlineRate, 0.3333)
        XCTAssertEqual(figures.averageVisits, 1.67, "five visits over three cases, to two places")
        XCTAssertEqual(figures.materialReduction, 0.375)
        XCTAssertEqual(figures.materialsSpared, 3)
        XCTAssertEqual(figures.onlineApplicableRate, 0.75)
        XCTAssertEqual(figures.zeroVisitItemShare, 0.25)
        XCTAssertEqual(figures.atMostOneVisitItemShare, 0.5)
    }

    func testTheSatisfactionIndexAndTheShareOfBadReviewsRectifiedOnTime() {
        // Two 非常满意 (100), one 满意 (80), one 不满意 (40), one 非常不满意 (20): 340 / 5 = 68.
        let tally = Tally([
            .reviewsLevel5: 2, .reviewsLevel4: 1, .reviewsLevel2: 1, .reviewsLevel1: 1, .reviewsExcluded: 4, .rectifiedOnTime: 1, .rectifiedLate: 1,
        ])
        let figures = Indicators(tally, catalog: nil)
        XCTAssertEqual(figures.reviews, 5, "excluded reviews are not counted")
        XCTAssertEqual(figures.reviewsByLevel, [1, 1, 0, 1, 2], "from 非常不满意 up")
        XCTAssertEqual(figures.badReviews, 2)
        XCTAssertEqual(figures.excludedReviews, 4)
        XCTAssertEqual(figures.satisfactionIndex, 68)
        XCTAssertEqual(figures.badReviewShare, 0.4)
        XCTAssertEqual(figures.rectifiedOnTimeShare, 0.5, "one of two bad reviews put right on time; the late one is not")
        XCTAssertEqual(Indicators(Tally([.reviewsLevel5: 3]), catalog: nil).satisfactionIndex, 100)
        XCTAssertEqual(Indicators(Tally([.reviewsLevel1: 3]), catalog: nil).satisfactionIndex, 20)
        XCTAssertEqual(Indicators(Tally([.reviewsLevel3: 1, .reviewsLevel4: 2]), catalog: nil).satisfactionIndex, 73.33, "220 / 3")
        XCTAssertEqual(Indicators(Tally([.reviewsLevel3: 1, .reviewsLevel4: 2]), catalog: nil).badReviewShare, 0, "no bad review is 0 %, not nil")
    }

    // MARK: Cards

    func testEachLateOrOverdueThingIsARedCardAndEachWarningAYellowOne() {
        let cards = SupervisionCards(lateDecisions: 2, overdueCases: 1, overdueRectifications: 3, warnedCases: 4, warnedRectifications: 1)
        XCTAssertEqual(cards.red, 6)
        XCTAssertEqual(cards.yellow, 5)
        XCTAssertEqual(cards.colour, .red)
        XCTAssertEqual(SupervisionCards(lateDecisions: 0, overdueCases: 0, overdueRectifications: 0, warnedCases: 0, warnedRectifications: 1).colour, .yellow)
        XCTAssertEqual(SupervisionCards(lateDecisions: 0, overdueCases: 0, overdueRectifications: 1, warnedCases: 0, warnedRectifications: 0).colour, .red)
        XCTAssertEqual(SupervisionCards(lateDecisions: 1, overdueCases: 0, overdueRectifications: 0, warnedCases: 9, warnedRectifications: 0).colour, .red)
        XCTAssertEqual(SupervisionCards(lateDecisions: 0, overdueCases: 0, overdueRectifications: 0, warnedCases: 0, warnedRectifications: 0).colour, .green)
    }
}

