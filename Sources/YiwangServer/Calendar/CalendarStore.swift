import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import YiwangCore

/// One year's arrangement as stored: the JSON of `HolidayYear`, who entered it and when.
final class CalendarYearRecord: Model, @unchecked Sendable {
    static let schema = "calendar_years"

    @ID(custom: "year", generatedBy: .user) var id: Int?
    @Field(key: "arrangement") var arrangement: String
    @Field(key: "updated_by") var updatedBy: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    init(_ year: HolidayYear, by who: String, at: Date) throws {
        id = year.year
        arrangement = try CalendarYearRecord.encode(year)
        updatedBy = who
        updatedAt = at
    }

    static func encode(_ year: HolidayYear) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(year), as: UTF8.self)
    }

    func decoded() throws -> HolidayYear {
        try JSONDecoder().decode(HolidayYear.self, from: Data(arrangement.utf8))
    }
}

/// The working calendar as the platform uses it: built from the table, kept in memory, rebuilt
/// at once after a change here and at most a minute late after a change on another instance.
final class CalendarStore: Sendable {
    private struct Loaded: Sendable {
        var calendar: WorkingCalendar
        var at: Date
    }

    private let loaded = NIOLockedValueBox<Loaded?>(nil)
    static let freshness: TimeInterval = 60

    func calendar(on db: any Database, now: Date) async throws -> WorkingCalendar {
        if let current = loaded.withLockedValue({ $0 }), now.timeIntervalSince(current.at) < Self.freshness, now >= current.at {
            return current.calendar
        }
        let years = try await CalendarYearRecord.query(on: db).sort(\.$id).all().map { try $0.decoded() }
        let calendar = try WorkingCalendar(years)
        loaded.withLockedValue { $0 = Loaded(calendar: calendar, at: now) }
        return calendar
    }

    func forget() { loaded.withLockedValue { $0 = nil } }

    /// Enters or replaces one year's arrangement (validated, audited), and rebuilds the calendar.
    func save(_ year: HolidayYear, context: AuditContext, on db: any Database, now: Date) async throws -> HolidayYear {
        let problems = year.problems()
        guard problems.isEmpty else {
            throw DomainError.invalid("calendar.invalid", "\(year.year) 年的节假日安排有误：" + problems.map(\.message).joined(), fields: problems)
        }
        let record = try CalendarYearRecord(year, by: context.actor, at: now)
        try await AuditTrail.writeTransaction(on: db) { tx in
            let existing = try await CalendarYearRecord.find(year.year, on: tx)
            if let existing {
                existing.arrangement = record.arrangement
                existing.updatedBy = record.updatedBy
                existing.updatedAt = now
                try await existing.save(on: tx)
            } else {
                try await record.create(on: tx)
            }
            try await AuditTrail.append(
                context.entry(
                    "calendar.set", subjectType: "calendar", subjectID: String(year.year), before: existing?.arrangement,
                    after: "放假 \(year.daysOff.count) 天，调休上班 \(year.workdays.count) 天", at: now),
                on: tx)
        }
        forget()
        return year
    }
}

extension Application {
    private struct CalendarStoreKey: StorageKey { typealias Value = CalendarStore }

    var calendarStore: CalendarStore {
        get { storage[CalendarStoreKey.self] ?? CalendarStore() }
        set { storage[CalendarStoreKey.self] = newValue }
    }
}

extension Request {
    /// The working calendar, for deadlines.
    func workingCalendar() async throws -> WorkingCalendar {
        try await application.calendarStore.calendar(on: db, now: now)
    }
}
