import Foundation

/// The official arrangements the platform ships with (STANDARDS.md §6.2). Administrators add
/// later years as the State Council publishes them (around October–November); these seed the
/// calendar table of a new database.
public enum ChinaHolidays {
    static func days(_ year: Int, _ spans: [(Int, Int, Int, Int)]) -> [LocalDate] {
        spans.flatMap { fromMonth, fromDay, toMonth, toDay in
            let start = LocalDate(year: year, month: fromMonth, day: fromDay)!
            let end = LocalDate(year: year, month: toMonth, day: toDay)!
            return (start.dayNumber...end.dayNumber).map(LocalDate.init(dayNumber:))
        }
    }

    static func day(_ year: Int, _ month: Int, _ day: Int) -> LocalDate { LocalDate(year: year, month: month, day: day)! }

    public static let year2024 = HolidayYear(year: 2024, source: "国务院办公厅关于2024年部分节假日安排的通知(国办发明电〔2023〕7号)", holidays: [
        .init(name: "元旦", daysOff: days(2024, [(1, 1, 1, 1)])),
        .init(name: "春节", daysOff: days(2024, [(2, 10, 2, 17)]), workdays: [day(2024, 2, 4), day(2024, 2, 18)]),
        .init(name: "清明节", daysOff: days(2024, [(4, 4, 4, 6)]), workdays: [day(2024, 4, 7)]),
        .init(name: "劳动节", daysOff: days(2024, [(5, 1, 5, 5)]), workdays: [day(2024, 4, 28), day(2024, 5, 11)]),
        .init(name: "端午节", daysOff: days(2024, [(6, 10, 6, 10)])),
        .init(name: "中秋节", daysOff: days(2024, [(9, 15, 9, 17)]), workdays: [day(2024, 9, 14)]),
        .init(name: "国庆节", daysOff: days(2024, [(10, 1, 10, 7)]), workdays: [day(2024, 9, 29), day(2024, 10, 12)]),
    ])

    public static let year2025 = HolidayYear(year: 2025, source: "国务院办公厅关于2025年部分节假日安排的通知(国办发明电〔2024〕12号)", holidays: [
        .init(name: "元旦", daysOff: days(2025, [(1, 1, 1, 1)])),
        .init(name: "春节", daysOff: days(2025, [(1, 28, 2, 4)]), workdays: [day(2025, 1, 26), day(2025, 2, 8)]),
        .init(name: "清明节", daysOff: days(2025, [(4, 4, 4, 6)])),
        .init(name: "劳动节", daysOff: days(2025, [(5, 1, 5, 5)]), workdays: [day(2025, 4, 27)]),
        .init(name: "端午节", daysOff: days(2025, [(5, 31, 6, 2)])),
        .init(name: "国庆节、中秋节", daysOff: days(2025, [(10, 1, 10, 8)]), workdays: [day(2025, 9, 28), day(2025, 10, 11)]),
    ])

    public static let year2026 = HolidayYear(year: 2026, source: "国务院办公厅关于2026年部分节假日安排的通知(2025年11月4日)", holidays: [
        .init(name: "元旦", daysOff: days(2026, [(1, 1, 1, 3)]), workdays: [day(2026, 1, 4)]),
        .init(name: "春节", daysOff: days(2026, [(2, 15, 2, 23)]), workdays: [day(2026, 2, 14), day(2026, 2, 28)]),
        .init(name: "清明节", daysOff: days(2026, [(4, 4, 4, 6)])),
        .init(name: "劳动节", daysOff: days(2026, [(5, 1, 5, 5)]), workdays: [day(2026, 5, 9)]),
        .init(name: "端午节", daysOff: days(2026, [(6, 19, 6, 21)])),
        .init(name: "中秋节", daysOff: days(2026, [(9, 25, 9, 27)])),
        .init(name: "国庆节", daysOff: days(2026, [(10, 1, 10, 7)]), workdays: [day(2026, 9, 20), day(2026, 10, 10)]),
    ])

    public static let shipped = [year2024, year2025, year2026]
}
