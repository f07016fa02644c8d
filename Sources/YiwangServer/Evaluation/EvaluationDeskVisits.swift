import Fluent
import Foundation
import Vapor
import YiwangCore

/// 窗口接待（一次一评） on the window desk (`/admin/window`): the clerk picks their window (kept in
/// the session), starts serving a visitor (with the applicant the desk just found, if any) and
/// ends the visit, which the window's tablet (`/hall/rate/{code}`) then offers for rating.
enum EvaluationDeskVisits {
    /// The session key of the window the clerk sits at.
    static let windowKey = "desk.window"

    struct WindowOption: Encodable {
        var code: String
        var name: String
        var selected: Bool
    }

    struct OpenVisit: Encodable {
        var startedAt: String
        var clerkName: String
        /// The visitor, masked (the tablet never shows them; the desk only recognises them).
        var applicantName: String?
        var caseNumbers: [String]
    }

    struct Panel: Encodable {
        var windows: [WindowOption]
        var window: WindowOption?
        var tabletPath: String?
        var tabletURL: String?
        var open: OpenVisit?
        /// The applicant the desk has found, offered as the visitor of a visit started now.
        var applicantID: String?
        var applicantName: String?
        var notice: String?
    }

    /// The windows the clerk may serve at: those of their window grants' departments and regions.
    static func windows(_ request: Request) async throws -> [HallWindowRecord] {
        let actor = request.actor
        return try await HallWindowRecord.query(on: request.db)
            .scoped(actor, .handleCaseAtWindow, department: \.$departmentCode, region: \.$regionCode)
            .sort(\.$id).all()
            .filter { Policy.allows(actor, .handleCaseAtWindow, on: $0.owner) }
    }

    /// The window chosen in this session, or the only one the clerk may use.
    static func chosen(_ request: Request, among windows: [HallWindowRecord]) -> HallWindowRecord? {
        if request.hasSession, let code = request.session.data[windowKey], let window = windows.first(where: { $0.code == code }) { return window }
        return windows.count == 1 ? windows.first : nil
    }

    /// The panel as the window desk shows it.
    static func panel(_ request: Request, applicant: ApplicantRecord?, notice: String? = nil) async throws -> Panel {
        let windows = try await windows(request)
        let window = chosen(request, among: windows)
        var open: OpenVisit?
        if let window,
            let visit = try await WindowVisitRecord.query(on: request.db).filter(\.$windowCode == window.code).filter(\.$endedAt == nil)
                .sort(\.$startedAt, .descending).first()
        {
            let ids = visit.cases
            let numbers = ids.isEmpty ? [] : try await CaseRecord.query(on: request.db).filter(\.$id ~~ ids).all().compactMap(\.number).sorted()
            var visitor: String?
            if let raw = visit.applicantID, let id = UUID(uuidString: raw), let person = try await ApplicantRecord.find(id, on: request.db) {
                visitor = PersonalData.mask(person.name, as: .name)
            }
            open = OpenVisit(startedAt: EvaluationDeskPages.shown(visit.startedAt), clerkName: visit.clerkName, applicantName: visitor, caseNumbers: numbers)
        }
        let settings = request.application.settings
        let notices = ["window": "已选择窗口。", "started": "已开始接待。", "ended": "已结束接待，请办事人在窗口平板上评价本次服务。"]
        let queried = (try? request.query.get(String.self, at: "visit")).flatMap { notices[$0] }
        return Panel(
            windows: windows.map { WindowOption(code: $0.code, name: $0.name, selected: $0.code == window?.code) },
            window: window.map { WindowOption(code: $0.code, name: $0.name, selected: true) },
            tabletPath: window.map { "/hall/rate/" + $0.code }, tabletURL: window.map { settings.publicURL + "/hall/rate/" + $0.code }, open: open,
            applicantID: applicant?.id?.uuidString, applicantName: applicant.map { PersonalData.mask($0.name, as: .name) }, notice: notice ?? queried)
    }

    // MARK: Forms

    struct Form: Content {
        var csrf: String?
        var window: String?
        var applicant: String?
        /// 受理编号 handled during the visit, separated by commas, spaces or new lines.
        var caseNumbers: String?
    }

    /// The window a form names, or the session's; it must be one the clerk may serve at.
    static func window(_ request: Request, _ form: Form) async throws -> HallWindowRecord {
        let windows = try await windows(request)
        let typed = (form.window ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        if !typed.isEmpty {
            guard let window = windows.first(where: { $0.code == typed }) else {
                throw DomainError.notFound("window.not_found", "未找到您可使用的窗口“\(typed.prefix(16))”。")
            }
            return window
        }
        guard let window = chosen(request, among: windows) else {
            throw DomainError.invalid("window.required", "请先选择您所在的窗口。", fields: [FieldError(field: "window", message: "请选择窗口。")])
        }
        return window
    }

    static func numbers(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" || $0 == ";" || $0 == "；" || $0.isWhitespace })
            .map(String.init).filter { !$0.isEmpty }
    }

    static func decode(_ request: Request) async throws -> Form {
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        return form
    }

    @Sendable static func chooseWindow(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        let form = try await decode(request)
        do {
            let window = try await window(request, form)
            request.session.data[windowKey] = window.code
            return request.redirect(to: "/admin/window?visit=window")
        } catch let error as DomainError {
            return try await CaseDeskPageController.renderWindow(request, error: error)
        }
    }

    @Sendable static func start(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        let form = try await decode(request)
        var applicant: ApplicantRecord?
        do {
            let window = try await window(request, form)
            if let raw = form.applicant, !raw.isEmpty {
                guard let id = UUID(uuidString: raw), let found = try await ApplicantRecord.find(id, on: request.db) else {
                    throw DomainError.notFound("applicant.not_found", "未找到该申请人，请重新查找。")
                }
                applicant = found
            }
            _ = try await EvaluationService(try request.domain).startVisit(window: window.code, applicantID: applicant?.id?.uuidString)
            request.session.data[windowKey] = window.code
            // With the applicant found, the desk stays on them so the clerk can go on filing.
            if let applicant { return try await CaseDeskPageController.renderWindow(request, applicant: applicant, visitNotice: "已开始接待。") }
            return request.redirect(to: "/admin/window?visit=started")
        } catch let error as DomainError {
            return try await CaseDeskPageController.renderWindow(request, applicant: applicant, error: error)
        }
    }

    @Sendable static func end(_ request: Request) async throws -> Response {
        if let redirect = try AdminPageController.requireStaff(request, .handleCaseAtWindow) { return redirect }
        let form = try await decode(request)
        do {
            let window = try await window(request, form)
            _ = try await EvaluationService(try request.domain).endVisit(window: window.code, caseNumbers: numbers(form.caseNumbers))
            request.session.data[windowKey] = window.code
            return request.redirect(to: "/admin/window?visit=ended")
        } catch let error as DomainError {
            return try await CaseDeskPageController.renderWindow(request, error: error)
        }
    }
}
