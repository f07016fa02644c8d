import Foundation
import Vapor
import YiwangCore

/// The 好差评 pages staff use: the window's visits (一次一评) on the window desk, the hotline's
/// form for a rating said on the phone, the reviews in scope, and the rectification loop of
/// each bad review (核实分类 → 答复 → 回访, 申诉复核 by a supervisor).
enum EvaluationDeskPages {
    static func register(_ app: Application) {
        app.get("admin", "evaluations", use: EvaluationDeskReviews.list)
        app.get("admin", "evaluations", "phone", use: EvaluationDeskHotline.page)
        app.get("admin", "rectifications", use: EvaluationDeskRectifications.list)
        app.get("admin", "rectifications", ":id", use: EvaluationDeskRectifications.show)

        let forms = app.grouped(StaffOnly())
        forms.post("admin", "evaluations", "phone", use: EvaluationDeskHotline.record)
        forms.post("admin", "rectifications", ":id", "actions", use: EvaluationDeskRectifications.act)
        forms.post("admin", "window", "visits", "window", use: EvaluationDeskVisits.chooseWindow)
        forms.post("admin", "window", "visits", "start", use: EvaluationDeskVisits.start)
        forms.post("admin", "window", "visits", "end", use: EvaluationDeskVisits.end)
    }

    /// A page rendered with the status its error asks for (4xx), never cached.
    static func render<Page: Encodable>(_ request: Request, _ template: String, _ page: Page, error: DomainError? = nil) async throws -> Response {
        let response = try await request.view.render(template, page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    /// A form's yes/no answer (`true`/`false`, a ticked box's `on`); nil when not given.
    static func flag(_ raw: String?) -> Bool? {
        switch raw?.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "1", "on", "yes": true
        case "false", "0", "no": false
        default: nil
        }
    }

    /// The five levels as a form offers them, highest first.
    static func levelOptions(_ chosen: Int?) -> [ChoiceOption] {
        ReviewLevel.descending.map { ChoiceOption(value: String($0.rawValue), label: $0.chineseName, selected: chosen == $0.rawValue) }
    }

    /// A moment as the pages show it (Beijing time, to the minute).
    static func shown(_ date: Date) -> String { ChineseDateTag.format(date) }
}
