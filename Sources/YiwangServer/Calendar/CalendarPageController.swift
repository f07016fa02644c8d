import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/admin/calendar`: the years entered, and a form to enter or correct one (system administrators).
enum CalendarPageController {
    struct YearRow: Encodable {
        var summary: CalendarYearSummary
        var holidays: String
    }

    struct CalendarPage: Encodable {
        var page: PageContext
        var rows: [YearRow]
        var year: String
        var arrangement: String
        var error: String?
        var errors: [FieldError]
        var notice: String?
    }

    static func render(
        _ request: Request, year: String = "", arrangement: String = "", error: String? = nil, errors: [FieldError] = [], notice: String? = nil,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        _ = request.csrfToken()
        let calendar = try await request.workingCalendar()
        let summaries = try await CalendarController.summaries(on: request.db, calendar: calendar)
        var rows: [YearRow] = []
        for summary in summaries {
            let holidays = (calendar.years[summary.year]?.holidays ?? []).map { holiday in
                let off = holiday.daysOff.sorted()
                let span = off.count > 1 ? "\(off.first!)至\(off.last!)" : (off.first?.description ?? "")
                let worked = holiday.workdays.sorted().map(\.description).joined(separator: "、")
                return "\(holiday.name)：\(span)" + (worked.isEmpty ? "" : "(\(worked) 上班)")
            }.joined(separator: "；")
            rows.append(YearRow(summary: summary, holidays: holidays))
        }
        let response = try await request.view.render("admin/calendar", CalendarPage(
            page: PageContext(request: request, title: "工作日历"), rows: rows, year: year, arrangement: arrangement, error: error,
            errors: errors, notice: notice)).encodeResponse(for: request)
        response.status = status
        return response
    }

    @Sendable static func show(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .manageCalendar) { return redirect }
        // Start the form from an existing year when asked (?edit=2026).
        if let edit = try? request.query.get(Int.self, at: "edit"), let record = try await CalendarYearRecord.find(edit, on: request.db) {
            let pretty = JSONEncoder()
            pretty.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let text = String(decoding: try pretty.encode(try record.decoded()), as: UTF8.self)
            return try await render(request, year: String(edit), arrangement: text)
        }
        return try await render(request)
    }

    @Sendable static func save(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .manageCalendar) { return redirect }
        struct Form: Content {
            var csrf: String?
            var arrangement: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        try request.authorize(.manageCalendar)
        let text = form.arrangement ?? ""
        do {
            let year: HolidayYear
            do { year = try JSONDecoder().decode(HolidayYear.self, from: Data(text.utf8)) } catch let error as DecodingError {
                throw DomainError.invalid("calendar.format", "安排内容不是有效的 JSON：" + ProblemMiddleware.describe(error))
            }
            _ = try await request.application.calendarStore.save(year, context: request.auditContext, on: request.db, now: request.now)
            return try await render(request, notice: "已保存 \(year.year) 年的节假日安排，此后的期限按新安排计算。")
        } catch let error as DomainError where error.kind == .invalid {
            return try await render(request, arrangement: text, error: error.message, errors: error.fieldErrors, status: .badRequest)
        }
    }
}
