import Foundation
import XCTest
import YiwangCore

final class LocalDateTests: XCTestCase {
    func testParsingIsStrictAndKnowsLeapYears() throws {
        XCTAssertEqual(try LocalDate("2024-02-29").description, "2024-02-29")
        for bad in ["2025-02-29", "2024-02-30", "2024-2-1", "2024-13-01", "2024-00-10", "24-01-01", "2024-01-01x", ""] {
            XCTAssertThrowsError(try LocalDate(bad), bad) { error in
                XCTAssertEqual((error as? DomainError)?.code, "calendar.date")
            }
        }
        XCTAssertNil(LocalDate(year: 1900, month: 2, day: 29), "1900 was not a leap year")
        XCTAssertNotNil(LocalDate(year: 2000, month: 2, day: 29), "2000 was")
    }

    /// Day numbers and weekdays agree with Foundation's Gregorian calendar over two centuries.
    func testDayNumbersAndWeekdaysMatchFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let epoch = calendar.date(from: DateComponents(year: 1970, month: 1, day: 1))!
        for number in stride(from: -25_567, through: 47_482, by: 37) {
            let date = LocalDate(dayNumber: number)
            let foundation = calendar.date(byAdding: .day, value: number, to: epoch)!
            let c = calendar.dateComponents([.year, .month, .day, .weekday], from: foundation)
            XCTAssertEqual([date.year, date.month, date.day], [c.year!, c.month!, c.day!], "\(number)")
            XCTAssertEqual(date.weekday, (c.weekday! + 5) % 7 + 1, "ISO weekday of \(date)")
            XCTAssertEqual(LocalDate(year: date.year, month: date.month, day: date.day)?.dayNumber, number)
        }
        XCTAssertEqual(try LocalDate("2026-11-22").weekday, 7, "today is a Sunday")
        XCTAssertEqual(try LocalDate("2024-12-31").adding(days: 1).description, "2025-01-01")
    }
}

final class WorkingCalendarTests: XCTestCase {
    let calendar = try! WorkingCalendar(ChinaHolidays.shipped)

    func d(_ text: String) -> LocalDate { try! LocalDate(text) }

    func testYearTotalsMatchTheNotices() throws {
        XCTAssertEqual(try calendar.workingDays(in: 2024), 251)
        XCTAssertEqual(try calendar.workingDays(in: 2025), 248)
        XCTAssertEqual(try calendar.workingDays(in: 2026), 248)
    }

    func testAdjustedWeekendsAreWorkedAndHolidayWeekdaysAreNot() throws {
        XCTAssertTrue(try calendar.isWorkingDay(d("2024-02-04")), "调休 Sunday before Spring Festival 2024")
        XCTAssertTrue(try calendar.isWorkingDay(d("2024-02-09")), "除夕 2024 is only encouraged leave")
        XCTAssertFalse(try calendar.isWorkingDay(d("2024-02-16")), "a Friday inside the Spring Festival block")
        XCTAssertTrue(try calendar.isWorkingDay(d("2025-10-11")), "调休 Saturday after National Day 2025")
        XCTAssertFalse(try calendar.isWorkingDay(d("2025-10-08")), "the eighth day of the merged National Day and Mid-Autumn block")
        XCTAssertFalse(try calendar.isWorkingDay(d("2026-11-22")), "an ordinary Sunday")
        XCTAssertTrue(try calendar.isWorkingDay(d("2026-01-04")), "调休 Sunday after New Year 2026")
    }

    func testDeadlinesAcrossHolidaysYearEndsAndLeapDays() throws {
        let cases: [(String, Int, String)] = [
            ("2026-02-13", 1, "2026-02-14"),  // Friday → the 调休 Saturday
            ("2026-02-13", 2, "2026-02-24"),  // … then over the nine-day Spring Festival
            ("2025-09-30", 1, "2025-10-09"),  // over the eight-day National Day block
            ("2025-09-30", 3, "2025-10-11"),  // … to the 调休 Saturday
            ("2025-12-31", 1, "2026-01-04"),  // over New Year to the 调休 Sunday
            ("2024-02-28", 1, "2024-02-29"),  // a leap day is an ordinary Thursday
            ("2024-12-31", 1, "2025-01-02"),  // 2025-01-01 is a one-day holiday
            ("2026-11-20", 20, "2026-12-18"),  // 20 working days from a Friday, no holiday
            ("2026-11-22", 0, "2026-11-22"),
        ]
        for (from, count, expected) in cases {
            XCTAssertEqual(try calendar.addingWorkingDays(count, to: d(from)).description, expected, "\(from) + \(count)")
        }
    }

    /// The fast arithmetic agrees with counting day by day, for every start day and several lengths.
    func testFastArithmeticAgreesWithCountingDayByDay() throws {
        let off = Set(ChinaHolidays.shipped.flatMap { $0.daysOff })
        let on = Set(ChinaHolidays.shipped.flatMap { $0.workdays })
        func worked(_ day: LocalDate) -> Bool { on.contains(day) || (!off.contains(day) && !day.isWeekend) }
        var start = d("2024-01-01")
        while start < d("2026-10-01") {
            for count in [1, 5, 20, 45] {
                var day = start
                var left = count
                while left > 0 {
                    day = day.adding(days: 1)
                    if worked(day) { left -= 1 }
                }
                XCTAssertEqual(try calendar.addingWorkingDays(count, to: start), day, "\(start) + \(count)")
                XCTAssertEqual(try calendar.workingDays(after: start, through: day), count)
            }
            start = start.adding(days: 1)
        }
    }

    func testYearsNotCoveredAreRefusedOrMadeProvisional() throws {
        XCTAssertThrowsError(try calendar.isWorkingDay(d("2027-01-04"))) { error in
            XCTAssertEqual((error as? DomainError)?.code, "calendar.year_not_covered")
            XCTAssertTrue((error as? DomainError)?.message.contains("2027") ?? false)
        }
        XCTAssertThrowsError(try calendar.addingWorkingDays(20, to: d("2026-12-20")))
        // Counting into 2027 without its notice: weekends only, and flagged.
        let provisional = try calendar.deadline(20, after: d("2026-12-20"))
        XCTAssertTrue(provisional.provisional)
        XCTAssertEqual(provisional.date.description, "2027-01-15")
        let inside = try calendar.deadline(5, after: d("2026-11-20"))
        XCTAssertEqual(inside, Deadline(date: d("2026-11-27"), provisional: false))
        // Once 2027 is entered (here: a made-up arrangement with New Year off), the same deadline is final.
        let year2027 = HolidayYear(year: 2027, source: "test", holidays: [.init(name: "元旦", daysOff: [d("2027-01-01")])])
        let extended = try WorkingCalendar(ChinaHolidays.shipped + [year2027])
        let final = try extended.deadline(20, after: d("2026-12-20"))
        XCTAssertFalse(final.provisional)
        XCTAssertEqual(final.date.description, "2027-01-18", "the New Year day off moves it by one")
        XCTAssertEqual(try extended.addingWorkingDays(20, to: d("2026-12-20")), final.date)
    }

    func testBadArrangementsAreRefusedWithEveryReason() {
        let bad = HolidayYear(year: 2027, source: "", holidays: [
            .init(name: "春节", daysOff: [d("2027-02-06"), d("2026-12-31")], workdays: [d("2027-02-03"), d("2027-02-06")]),
        ])
        let problems = bad.problems().map(\.message).joined()
        XCTAssertTrue(problems.contains("依据"))
        XCTAssertTrue(problems.contains("2026-12-31 不在 2027 年内"))
        XCTAssertTrue(problems.contains("2027-02-03 不是周末"))
        XCTAssertTrue(problems.contains("2027-02-06 既是放假日又是调休上班日"))
        XCTAssertThrowsError(try WorkingCalendar([bad])) { error in
            XCTAssertEqual((error as? DomainError)?.code, "calendar.invalid")
        }
        XCTAssertThrowsError(try calendar.addingWorkingDays(-1, to: d("2026-01-05")))
    }
}
