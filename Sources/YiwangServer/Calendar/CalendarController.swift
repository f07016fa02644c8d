import ConsoleKit
import Fluent
import Foundation
import Vapor
import YiwangCore

struct DeadlineResponse: Content {
    var from: String
    var workingDays: Int
    var deadline: String
}

struct CalendarYearSummary: Content {
    var year: Int
    var source: String
    var workingDays: Int
    var daysOff: Int
    var adjustedWorkdays: Int
    var updatedBy: String
    var updatedAt: Date
}

/// `/api/v1/calendar…`: deadlines for anyone, the arrangements for everyone to read and for
/// system administrators to enter.
enum CalendarController {
    /// Day N after `from`, counting working days only; refuses years the calendar does not cover.
    @Sendable static func deadline(_ request: Request) async throws -> DeadlineResponse {
        struct Query: Decodable {
            var from: String?
            var workingDays: String?
        }
        let query = try request.query.decode(Query.self)
        var problems: [FieldError] = []
        var from: LocalDate?
        do { from = try LocalDate(query.from ?? "") } catch { problems.append(FieldError(field: "from", message: error.message)) }
        let count = query.workingDays.flatMap { Int($0) }
        if count == nil || !(0...3650).contains(count!) {
            problems.append(FieldError(field: "workingDays", message: "workingDays 应为0到3650之间的整数。"))
        }
        guard problems.isEmpty, let from, let count else {
            throw DomainError.invalid("calendar.query", "请求参数有误：" + problems.map(\.message).joined(), fields: problems)
        }
        let deadline = try await request.workingCalendar().addingWorkingDays(count, to: from)
        return DeadlineResponse(from: from.description, workingDays: count, deadline: deadline.description)
    }

    static func summaries(on db: any Database, calendar: WorkingCalendar) async throws -> [CalendarYearSummary] {
        try await CalendarYearRecord.query(on: db).sort(\.$id).all().map { record in
            let year = try record.decoded()
            return CalendarYearSummary(
                year: year.year, source: year.source, workingDays: try calendar.workingDays(in: year.year), daysOff: year.daysOff.count,
                adjustedWorkdays: year.workdays.count, updatedBy: record.updatedBy, updatedAt: record.updatedAt)
        }
    }

    @Sendable static func years(_ request: Request) async throws -> [CalendarYearSummary] {
        try await summaries(on: request.db, calendar: try await request.workingCalendar())
    }

    static func yearParameter(_ request: Request) throws -> Int {
        guard let text = request.parameters.get("year"), let year = Int(text), (2000...2100).contains(year) else {
            throw DomainError.invalid("calendar.year", "年份应为2000到2100之间的整数。")
        }
        return year
    }

    @Sendable static func year(_ request: Request) async throws -> HolidayYear {
        let year = try yearParameter(request)
        guard let record = try await CalendarYearRecord.find(year, on: request.db) else {
            throw DomainError.notFound("calendar.year_not_covered", "工作日历尚未录入 \(year) 年的节假日安排。")
        }
        return try record.decoded()
    }

    @Sendable static func setYear(_ request: Request) async throws -> HolidayYear {
        try request.authorize(.manageCalendar)
        let year = try yearParameter(request)
        let body = try request.content.decode(HolidayYear.self)
        guard body.year == year else {
            throw DomainError.invalid("calendar.year", "请求体中的年份(\(body.year))与地址中的年份(\(year))不一致。")
        }
        return try await request.application.calendarStore.save(body, context: request.auditContext, on: request.db, now: request.now)
    }
}

extension HolidayYear: Content {}

/// `yiwang calendar list | show YEAR | set FILE | deadline FROM N`.
struct CalendarCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "operation", help: "list, show, set or deadline") var operation: String
        @Option(name: "year", help: "The year (show)") var year: Int?
        @Option(name: "file", help: "A HolidayYear JSON file (set)") var file: String?
        @Option(name: "from", help: "YYYY-MM-DD (deadline)") var from: String?
        @Option(name: "working-days", help: "N (deadline)") var workingDays: Int?
    }

    var help: String { "Shows and enters the working calendar's holiday arrangements; computes deadlines." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let now = app.timeSource.now()
        do {
            switch signature.operation {
            case "list":
                let calendar = try await app.calendarStore.calendar(on: app.db, now: now)
                for summary in try await CalendarController.summaries(on: app.db, calendar: calendar) {
                    context.console.print("\(summary.year)\t工作日 \(summary.workingDays) 天\t放假 \(summary.daysOff) 天\t调休上班 \(summary.adjustedWorkdays) 天\t\(summary.source)")
                }
            case "show":
                guard let year = signature.year, let record = try await CalendarYearRecord.find(year, on: app.db) else {
                    throw DomainError.notFound("calendar.year_not_covered", "工作日历尚未录入该年份。")
                }
                FileHandle.standardOutput.write(Data((record.arrangement + "\n").utf8))
            case "set":
                guard let file = signature.file, let data = FileManager.default.contents(atPath: file) else {
                    throw DomainError.invalid("cli.file", "请用 --file 指定可读取的 JSON 文件。")
                }
                let year: HolidayYear
                do { year = try JSONDecoder().decode(HolidayYear.self, from: data) } catch let error as DecodingError {
                    throw DomainError.invalid("cli.file", "文件格式不正确：" + ProblemMiddleware.describe(error))
                }
                _ = try await app.calendarStore.save(year, context: .system("cli:calendar", channel: "cli"), on: app.db, now: now)
                context.console.print("已录入 \(year.year) 年的节假日安排：放假 \(year.daysOff.count) 天，调休上班 \(year.workdays.count) 天。")
            case "deadline":
                let from = try LocalDate(signature.from ?? "")
                let calendar = try await app.calendarStore.calendar(on: app.db, now: now)
                context.console.print(try calendar.addingWorkingDays(signature.workingDays ?? 0, to: from).description)
            default:
                context.console.error("不支持的操作“\(signature.operation)”。可用：list、show、set、deadline。")
                throw ExitCode(2)
            }
        } catch let error as DomainError {
            context.console.error(error.message)
            throw ExitCode(1)
        }
    }
}
