import Foundation
import XCTest
import YiwangCore

final class DeadlineClockTests: XCTestCase {
    let calendar = try! WorkingCalendar(ChinaHolidays.shipped)

    func d(_ text: String) -> LocalDate { try! LocalDate(text) }

    func testSpecialProceduresStopTheClockAndEveryMoveIsExplained() throws {
        var clock = try DeadlineClock(acceptedOn: d("2026-09-14"), workingDays: 20, calendar: calendar)
        XCTAssertEqual(try clock.deadline(calendar)?.date.description, "2026-10-16", "over Mid-Autumn and National Day with two 调休 days")
        // An expert review from Monday 09-21 to Friday 09-25 (resumes Monday 09-28): the clock stands still.
        try clock.suspend(on: d("2026-09-21"), reason: "专家评审", calendar: calendar)
        XCTAssertNil(try clock.deadline(calendar))
        XCTAssertEqual(try clock.status(today: d("2026-09-22"), warnWithin: 3, calendar: calendar), .suspended)
        try clock.resume(on: d("2026-09-28"), calendar: calendar)
        // 09-21 … 09-24 were working days (09-25 is Mid-Autumn): four days added back.
        XCTAssertEqual(try clock.deadline(calendar)?.date.description, "2026-10-22")
        try clock.extend(by: 10, on: d("2026-10-09"), reason: "情况复杂，需补充调查", approvedBy: "局长", calendar: calendar)
        XCTAssertThrowsError(try clock.extend(by: 5, on: d("2026-10-10"), reason: "再延", approvedBy: "局长", calendar: calendar)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "deadline.already_extended")
        }
        let causes = clock.moves.map { move -> String in
            switch move.cause {
            case .started: "started"
            case .suspended: "suspended"
            case .resumed: "resumed"
            case .extended: "extended"
            case .recomputed: "recomputed"
            }
        }
        XCTAssertEqual(causes, ["started", "suspended", "resumed", "extended"])
        XCTAssertNil(clock.moves[1].deadline, "no deadline while suspended")
        XCTAssertEqual(clock.moves[3].deadline?.date, try calendar.addingWorkingDays(10, to: clock.moves[2].deadline!.date))
    }

    func testColoursWarnBeforeAndAlertAfterTheDeadline() throws {
        let clock = try DeadlineClock(acceptedOn: d("2026-11-02"), workingDays: 10, calendar: calendar)
        XCTAssertEqual(try clock.deadline(calendar)?.date.description, "2026-11-16")
        XCTAssertEqual(try clock.status(today: d("2026-11-05"), warnWithin: 3, calendar: calendar), .green)
        XCTAssertEqual(try clock.status(today: d("2026-11-11"), warnWithin: 3, calendar: calendar), .yellow)
        XCTAssertEqual(try clock.status(today: d("2026-11-16"), warnWithin: 3, calendar: calendar), .yellow, "the last day is still in time")
        XCTAssertEqual(try clock.status(today: d("2026-11-17"), warnWithin: 3, calendar: calendar), .red)
    }

    func testOutOfOrderMovesAreRefused() throws {
        var clock = try DeadlineClock(acceptedOn: d("2026-11-02"), workingDays: 10, calendar: calendar)
        XCTAssertThrowsError(try clock.resume(on: d("2026-11-03"), calendar: calendar)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "deadline.not_suspended")
        }
        XCTAssertThrowsError(try clock.suspend(on: d("2026-11-01"), reason: "听证", calendar: calendar))
        XCTAssertThrowsError(try clock.suspend(on: d("2026-11-03"), reason: "  ", calendar: calendar))
        try clock.suspend(on: d("2026-11-03"), reason: "听证", calendar: calendar)
        XCTAssertThrowsError(try clock.suspend(on: d("2026-11-04"), reason: "检验检测", calendar: calendar)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "deadline.already_suspended")
        }
        XCTAssertThrowsError(try clock.resume(on: d("2026-11-02"), calendar: calendar))
    }

    /// Random sequences of suspensions, resumptions and an extension: the deadline never moves
    /// earlier, an extension moves it by exactly its days, and it always equals a plain count of
    /// the working days outside every pause.
    func testDeadlinesOnlyMoveAsTheRulesSay() throws {
        var generator = SplitMix(seed: 20261122)
        for _ in 0..<300 {
            let start = d("2024-01-01").adding(days: Int(generator.next() % 700))
            let limit = Int(generator.next() % 40) + 1
            var clock = try DeadlineClock(acceptedOn: start, workingDays: limit, calendar: calendar)
            var paused: Set<LocalDate> = []
            var extra = 0
            var day = start
            var last = try clock.deadline(calendar)!.date
            for _ in 0..<6 {
                day = day.adding(days: Int(generator.next() % 6))
                switch generator.next() % 3 {
                case 0 where !clock.isSuspended:
                    try clock.suspend(on: day, reason: "检验检测", calendar: calendar)
                    let from = day
                    day = day.adding(days: Int(generator.next() % 9) + 1)
                    try clock.resume(on: day, calendar: calendar)
                    for number in from.dayNumber..<day.dayNumber { paused.insert(LocalDate(dayNumber: number)) }
                case 1 where clock.extensions == 0:
                    let days = Int(generator.next() % 10) + 1
                    try clock.extend(by: days, on: day, reason: "延期", approvedBy: "审批负责人", calendar: calendar)
                    extra = days
                default:
                    break
                }
                let now = try clock.deadline(calendar)!.date
                XCTAssertGreaterThanOrEqual(now, last, "the deadline never moves earlier (\(start))")
                // The oracle: count working days after acceptance, outside every pause.
                var expected = start
                var left = limit + extra
                while left > 0 {
                    expected = expected.adding(days: 1)
                    if !paused.contains(expected), try calendar.isWorkingDay(expected) { left -= 1 }
                }
                XCTAssertEqual(now, expected, "\(start) + \(limit)")
                last = now
            }
        }
    }

    func testAnExtensionAddsExactlyItsWorkingDays() throws {
        var clock = try DeadlineClock(acceptedOn: d("2026-03-02"), workingDays: 20, calendar: calendar)
        let before = try clock.deadline(calendar)!.date
        try clock.extend(by: 10, on: d("2026-03-20"), reason: "需现场勘验", approvedBy: "分管负责人", calendar: calendar)
        XCTAssertEqual(try clock.deadline(calendar)!.date, try calendar.addingWorkingDays(10, to: before))
    }
}

/// A small deterministic generator, so a failing sequence can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
