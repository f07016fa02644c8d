import Fluent
import Foundation
import Vapor
import YiwangCore

/// Catalog staff pages: the entries in one's scope, editing drafts, the workflow, diffs, the lint report.
enum AdminPageController {
    /// Pages for staff send anonymous visitors to the sign-in page rather than showing a 401.
    static func requireStaff(_ request: Request, _ action: PolicyAction) throws -> Response? {
        guard request.staffAccount != nil else {
            return request.redirect(to: "/admin/login?next=" + request.returnTo)
        }
        try request.authorizeSomewhere(action)
        return nil
    }

    struct DashboardRow: Encodable {
        var code: String
        var name: String
        var departmentName: String
        var latestVersion: Int
        var stateName: String
        var state: String
        var published: Bool
        var errors: Int
        var warnings: Int
    }

    struct DashboardPage: Encodable {
        var page: PageContext
        var rows: [DashboardRow]
        var counts: [ChoiceOption]
        var filter: String
        var canCreate: Bool
    }

    @Sendable static func dashboard(_ request: Request) async throws -> Response {
        if let account = request.staffAccount, !Policy.mayAttempt(request.actor, .readDraftCatalog) {
            // Each role lands on the first section it may use.
            if Policy.mayAttempt(request.actor, .manageStaff) { return request.redirect(to: "/admin/staff") }
            if Policy.mayAttempt(request.actor, .viewAudit) { return request.redirect(to: "/admin/audit") }
            struct HomePage: Encodable {
                var page: PageContext
                var roles: String
            }
            _ = request.csrfToken()
            return try await request.view.render("admin/home", HomePage(
                page: PageContext(request: request, title: "工作台"), roles: account.grants.map(\.role.chineseName).joined(separator: "、"))).encodeResponse(for: request)
        }
        if let redirect = try requireStaff(request, .readDraftCatalog) { return redirect }
        let service = CatalogService(try request.domain)
        let snapshot = try await service.snapshot(scopes: Policy.scopes(for: request.actor, .readDraftCatalog))
        let byItem = Dictionary(grouping: try await service.lint(snapshot, includeDrafts: true), by: \.item)
        let items = snapshot.items.sorted { ($0.departmentCode, $0.name) < ($1.departmentCode, $1.name) }
        let filter = (try? request.query.get(String.self, at: "state")) ?? ""
        var rows: [DashboardRow] = []
        var counts: [VersionState: Int] = [:]
        for item in items {
            guard let version = snapshot.newest[item.id!] else { continue }
            counts[version.state, default: 0] += 1
            if !filter.isEmpty && version.state.rawValue != filter { continue }
            let own = byItem[item.implementationCode] ?? []
            rows.append(DashboardRow(
                code: item.implementationCode, name: (try? version.guide().name) ?? item.name, departmentName: item.departmentName,
                latestVersion: version.number, stateName: version.state.chineseName, state: version.state.rawValue,
                published: item.publishedVersionID != nil, errors: own.filter { $0.severity == .error }.count,
                warnings: own.filter { $0.severity == .warning }.count))
        }
        let options = [ChoiceOption(value: "", label: "全部(\(counts.values.reduce(0, +)))", selected: filter.isEmpty)]
            + VersionState.allCases.map { ChoiceOption(value: $0.rawValue, label: "\($0.chineseName)(\(counts[$0] ?? 0))", selected: filter == $0.rawValue) }
        _ = request.csrfToken()
        return try await request.view.render("admin/dashboard", DashboardPage(
            page: PageContext(request: request, title: "事项管理"), rows: rows, counts: options, filter: filter,
            canCreate: Policy.mayAttempt(request.actor, .editCatalog))).encodeResponse(for: request)
    }

    // MARK: Editing

    /// The edit form: scalar elements as inputs, nested ones (materials, fees, …) as JSON.
    struct GuideForm: Content {
        var csrf: String?
        var baseCode: String?
        var department: String?
        var exerciseLevel: String?
        var name: String?
        var type: String?
        var legalBasis: String?
        var acceptanceConditions: String?
        var targets: [String]?
        var statutoryLimit: String?
        var promisedLimit: String?
        var processing: String?
        var requiredVisits: String?
        var channels: [String]?
        var scope: String?
        var commitmentBased: String?
        var acceptWithDeferredMaterials: String?
        var deferredMaterialDays: String?
        var approveOnTimeout: String?
        var consultationPhone: String?
        var supervisionPhone: String?
        var address: String?
        var officeHours: String?
        var lifeEvents: String?
        var reviewedOn: String?
        var result: String?
        var materials: String?
        var processSteps: String?
        var fees: String?
        var form: String?
        var faq: String?

        init(guide: ServiceGuide) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            func json<T: Encodable>(_ value: T) -> String { String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) }
            name = guide.name
            type = guide.type.rawValue
            legalBasis = guide.legalBasis.joined(separator: "\n")
            acceptanceConditions = guide.acceptanceConditions
            targets = guide.targets.map(\.rawValue)
            statutoryLimit = guide.statutoryLimit.map(String.init) ?? ""
            promisedLimit = String(guide.promisedLimit)
            processing = guide.processing.rawValue
            requiredVisits = String(guide.requiredVisits)
            channels = guide.channels.map(\.rawValue)
            scope = guide.scope.rawValue
            commitmentBased = guide.commitmentBased ? "on" : nil
            acceptWithDeferredMaterials = guide.acceptWithDeferredMaterials ? "on" : nil
            deferredMaterialDays = guide.deferredMaterialDays.map(String.init) ?? ""
            approveOnTimeout = guide.approveOnTimeout ? "on" : nil
            consultationPhone = guide.consultationPhone
            supervisionPhone = guide.supervisionPhone ?? ""
            address = guide.address
            officeHours = guide.officeHours
            lifeEvents = guide.lifeEvents.joined(separator: ",")
            reviewedOn = guide.reviewedOn
            result = json(guide.result)
            materials = json(guide.materials)
            processSteps = json(guide.processSteps)
            fees = json(guide.fees)
            form = json(guide.form)
            faq = json(guide.faq)
        }

        /// The form of an existing entry: its guide, and its identity, which the form cannot change.
        init(item: ItemRecord, guide: ServiceGuide) {
            self.init(guide: guide)
            identify(item)
        }

        mutating func identify(_ item: ItemRecord) {
            baseCode = item.baseCode
            department = item.departmentCode
            exerciseLevel = String(item.exerciseLevel)
        }

        /// Builds a guide, collecting every problem with its field so the form can show them all.
        func guide() throws(DomainError) -> ServiceGuide {
            var errors: [FieldError] = []
            func integer(_ text: String?, _ field: String, _ label: String, optional: Bool = false) -> Int? {
                let trimmed = (text ?? "").trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty {
                    if !optional { errors.append(FieldError(field: field, message: "\(label)不能为空。")) }
                    return nil
                }
                guard let value = Int(trimmed) else {
                    errors.append(FieldError(field: field, message: "\(label)应为整数。"))
                    return nil
                }
                return value
            }
            func json<T: Decodable>(_ text: String?, _ type: T.Type, _ field: String, _ label: String) -> T? {
                do {
                    return try JSONDecoder().decode(T.self, from: Data((text ?? "").utf8))
                } catch let error as DecodingError {
                    errors.append(FieldError(field: field, message: "\(label)：" + ProblemMiddleware.describe(error)))
                } catch {
                    errors.append(FieldError(field: field, message: "\(label)不是有效的 JSON。"))
                }
                return nil
            }
            let type = ItemType(rawValue: self.type ?? "")
            if type == nil { errors.append(FieldError(field: "type", message: "请选择事项类型。")) }
            let targets = (self.targets ?? []).compactMap(ServiceTarget.init(rawValue:))
            let channels = (self.channels ?? []).compactMap(HandlingChannel.init(rawValue:))
            let processing = ProcessingKind(rawValue: self.processing ?? "")
            if processing == nil { errors.append(FieldError(field: "processing", message: "请选择办件类型。")) }
            let scope = HandlingScope(rawValue: self.scope ?? "")
            if scope == nil { errors.append(FieldError(field: "scope", message: "请选择通办范围。")) }
            let statutory = integer(statutoryLimit, "statutoryLimit", "法定办结时限", optional: true)
            let promised = integer(promisedLimit, "promisedLimit", "承诺办结时限")
            let visits = integer(requiredVisits, "requiredVisits", "到现场次数")
            let deferredDays = integer(deferredMaterialDays, "deferredMaterialDays", "容缺补齐期限", optional: true)
            let result = json(self.result, ResultSpec.self, "result", "审批结果")
            let materials = json(self.materials, [MaterialRequirement].self, "materials", "申请材料")
            let steps = json(self.processSteps, [ProcessStep].self, "processSteps", "办理流程")
            let fees = json(self.fees, [FeeRule].self, "fees", "收费")
            let form = json(self.form, FormSchema.self, "form", "表单")
            let faq = json(self.faq, [FrequentQuestion].self, "faq", "常见问题")
            guard errors.isEmpty, let type, let processing, let scope, let promised, let visits, let result, let materials,
                let steps, let fees, let form, let faq
            else {
                throw DomainError.invalid("catalog.guide_invalid", "办事指南有\(errors.count)处填写不正确。", fields: errors)
            }
            func lines(_ text: String?) -> [String] {
                (text ?? "").split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            return ServiceGuide(
                name: (name ?? "").trimmingCharacters(in: .whitespaces), type: type, legalBasis: lines(legalBasis),
                acceptanceConditions: acceptanceConditions ?? "", targets: targets, materials: materials, processSteps: steps,
                statutoryLimit: statutory, promisedLimit: promised, processing: processing, fees: fees, result: result,
                channels: channels, requiredVisits: visits, scope: scope, commitmentBased: commitmentBased != nil,
                acceptWithDeferredMaterials: acceptWithDeferredMaterials != nil, deferredMaterialDays: deferredDays,
                approveOnTimeout: approveOnTimeout != nil, consultationPhone: consultationPhone ?? "",
                supervisionPhone: (supervisionPhone ?? "").isEmpty ? nil : supervisionPhone, address: address ?? "",
                officeHours: officeHours ?? "",
                lifeEvents: (lifeEvents ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                form: form, faq: faq, reviewedOn: (reviewedOn ?? "").trimmingCharacters(in: .whitespaces))
        }
    }

    struct EditorPage: Encodable {
        var page: PageContext
        var creating: Bool
        var code: String?
        var form: GuideForm
        var error: String?
        var errors: [FieldError]
        var types: [ChoiceOption]
        var targets: [ChoiceOption]
        var channels: [ChoiceOption]
        var processings: [ChoiceOption]
        var scopes: [ChoiceOption]
        var departments: [ChoiceOption]
        var levels: [ChoiceOption]
        var versions: [VersionView]
        var events: [CatalogEventView]
        var actions: [ChoiceOption]
        var findings: [FindingRow]
        var latestVersion: Int
        var stateName: String
        var editable: Bool
        var published: Bool
    }

    static func editorPage(
        _ request: Request, title: String, creating: Bool, code: String?, form: GuideForm, error: DomainError?,
        item: ItemRecord? = nil, latest: ItemVersionRecord? = nil
    ) async throws -> EditorPage {
        let departments = try await DepartmentRecord.query(on: request.db).sort(\.$creditCode).all()
            .filter { Policy.allows(request.actor, .editCatalog, on: ResourceOwner(departmentCreditCode: $0.creditCode, regionCode: $0.regionCode)) }
        var versions: [VersionView] = []
        var events: [CatalogEventView] = []
        var findings: [FindingRow] = []
        var actions: [ChoiceOption] = []
        if let item, let latest {
            let service = CatalogService(try request.domain)
            versions = try await service.versions(of: item).map(VersionView.init)
            events = try await service.events(of: item).prefix(30).map(CatalogEventView.init)
            findings = CatalogLinter.lint(try await service.lintSubject(item: item, guide: try latest.guide()), context: service.lintContext)
                .map { FindingRow($0, itemName: item.name) }
            var states = CatalogWorkflow.allowedActions(in: latest.state)
            if item.publishedVersionID != nil && !states.contains(.retire) { states.append(.retire) }
            actions = states.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: false) }
        }
        let selectedTargets = Set(form.targets ?? [])
        let selectedChannels = Set(form.channels ?? [])
        return EditorPage(
            page: PageContext(request: request, title: title), creating: creating, code: code, form: form, error: error?.message,
            errors: (error?.fieldErrors ?? []).map { FieldError(field: GuideLabels.describe($0.field), message: $0.message) },
            types: ItemType.allCases.map { ChoiceOption(value: $0.rawValue, label: "\($0.chineseName)(\($0.nationalCode))", selected: $0.rawValue == form.type) },
            targets: ServiceTarget.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: selectedTargets.contains($0.rawValue)) },
            channels: HandlingChannel.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: selectedChannels.contains($0.rawValue)) },
            processings: ProcessingKind.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == form.processing) },
            scopes: HandlingScope.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: $0.rawValue == form.scope) },
            departments: departments.map { ChoiceOption(value: $0.creditCode, label: $0.name, selected: $0.creditCode == form.department) },
            levels: ExerciseLevel.allCases.map { ChoiceOption(value: String($0.rawValue), label: "\($0.rawValue) \($0.chineseName)", selected: String($0.rawValue) == form.exerciseLevel) },
            versions: versions, events: events, actions: actions, findings: findings, latestVersion: latest?.number ?? 0,
            stateName: latest?.state.chineseName ?? "新建", editable: latest.map { $0.state == .draft || $0.state == .published || $0.state == .retired } ?? true,
            published: item?.publishedVersionID != nil)
    }

    static var blankGuide: ServiceGuide {
        ServiceGuide(
            name: "", type: .license, legalBasis: [], acceptanceConditions: "", targets: [.naturalPerson], materials: [],
            processSteps: [ProcessStep(name: "申请", description: "申请人通过网上或窗口提交申请。"), ProcessStep(name: "受理", description: "窗口核对材料，当场受理或一次性告知补正。"),
                           ProcessStep(name: "审查", description: "承办处室审查。"), ProcessStep(name: "决定", description: "作出准予或不予的决定。")],
            statutoryLimit: 20, promisedLimit: 10, processing: .promised, fees: [], result: ResultSpec(name: ""), channels: [.window, .online],
            requiredVisits: 1, scope: .none, consultationPhone: "", address: "", officeHours: "周一至周五 9:00-12:00，13:00-17:00(法定节假日除外)",
            reviewedOn: "2026-01-01")
    }

    @Sendable static func newItem(_ request: Request) async throws -> Response {
        if let redirect = try requireStaff(request, .editCatalog) { return redirect }
        _ = request.csrfToken()
        var form = GuideForm(guide: blankGuide)
        form.reviewedOn = ChinaTime.dayString(request.now)
        form.exerciseLevel = "3"
        return try await request.view.render("admin/editor", try await editorPage(request, title: "新建事项", creating: true, code: nil, form: form, error: nil))
            .encodeResponse(for: request)
    }

    /// Renders the editor, with the status of `error` when it re-displays a refused form.
    static func renderEditor(
        _ request: Request, form: GuideForm, error: DomainError? = nil, item: ItemRecord? = nil, latest: ItemVersionRecord? = nil
    ) async throws -> Response {
        let page = try await editorPage(
            request, title: item == nil ? "新建事项" : "编辑事项", creating: item == nil, code: item?.implementationCode,
            form: form, error: error, item: item, latest: latest)
        let response = try await request.view.render("admin/editor", page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        return response
    }

    @Sendable static func createItem(_ request: Request) async throws -> Response {
        if let redirect = try requireStaff(request, .editCatalog) { return redirect }
        let form = try request.content.decode(GuideForm.self)
        try request.verifyCSRF(form.csrf)
        do {
            let guide = try form.guide()
            let new = NewItemRequest(
                baseCode: form.baseCode ?? "", department: form.department ?? "", exerciseLevel: Int(form.exerciseLevel ?? "") ?? 0, guide: guide)
            let (item, _) = try await CatalogService(try request.domain).create(new)
            return request.redirect(to: "/admin/items/\(item.implementationCode)?saved=1")
        } catch let error as DomainError where error.kind != .forbidden {
            return try await renderEditor(request, form: form, error: error)
        }
    }

    @Sendable static func item(_ request: Request) async throws -> Response {
        if let redirect = try requireStaff(request, .readDraftCatalog) { return redirect }
        let service = CatalogService(try request.domain)
        let item = try await service.item(code: request.parameters.get("code") ?? "")
        try request.authorize(.readDraftCatalog, on: item.owner)
        let latest = try await service.latestVersion(of: item)
        _ = request.csrfToken()
        return try await renderEditor(request, form: GuideForm(item: item, guide: try latest.guide()), item: item, latest: latest)
    }

    @Sendable static func saveDraft(_ request: Request) async throws -> Response {
        if let redirect = try requireStaff(request, .editCatalog) { return redirect }
        var form = try request.content.decode(GuideForm.self)
        try request.verifyCSRF(form.csrf)
        let service = CatalogService(try request.domain)
        let item = try await service.item(code: request.parameters.get("code") ?? "")
        form.identify(item)
        do {
            _ = try await service.saveDraft(code: item.implementationCode, guide: try form.guide())
            return request.redirect(to: "/admin/items/\(item.implementationCode)?saved=1")
        } catch let error as DomainError where error.kind != .forbidden {
            return try await renderEditor(request, form: form, error: error, item: item, latest: try await service.latestVersion(of: item))
        }
    }

    @Sendable static func workflow(_ request: Request) async throws -> Response {
        if let redirect = try requireStaff(request, .readDraftCatalog) { return redirect }
        struct Form: Content { var csrf: String?; var action: String?; var note: String? }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        guard let action = CatalogAction(rawValue: form.action ?? "") else {
            throw DomainError.invalid("catalog.action_unknown", "请选择要执行的操作。")
        }
        let code = request.parameters.get("code") ?? ""
        let service = CatalogService(try request.domain)
        do {
            _ = try await service.perform(action, code: code, note: (form.note ?? "").isEmpty ? nil : form.note)
            return request.redirect(to: "/admin/items/\(code.uppercased())?done=\(action.rawValue)")
        } catch let error as DomainError where error.kind == .conflict {
            let item = try await service.item(code: code)
            let latest = try await service.latestVersion(of: item)
            return try await renderEditor(request, form: GuideForm(item: item, guide: try latest.guide()), error: error, item: item, latest: latest)
        }
    }

    struct DiffRow: Encodable {
        var label: String
        var path: String
        var before: String?
        var after: String?
    }

    struct DiffPage: Encodable {
        var page: PageContext
        var code: String
        var name: String
        var from: Int
        var to: Int
        var changes: [DiffRow]
        var versions: [ChoiceOption]
    }

    @Sendable static func diff(_ request: Request) async throws -> Response {
        if let redirect = try requireStaff(request, .readDraftCatalog) { return redirect }
        let service = CatalogService(try request.domain)
        let item = try await service.item(code: request.parameters.get("code") ?? "")
        try request.authorize(.readDraftCatalog, on: item.owner)
        // Versions outside 1...latest are clamped: an odd link never traps (to - 1 on Int.min).
        let latest = max(1, item.latestVersion)
        let to = min(max((try? request.query.get(Int.self, at: "to")) ?? latest, 1), latest)
        let from = min(max((try? request.query.get(Int.self, at: "from")) ?? (to > 1 ? to - 1 : 1), 1), latest)
        let changes = try await service.diff(of: item, from: from, to: to).map {
            DiffRow(label: GuideLabels.describe($0.path), path: $0.path, before: $0.before, after: $0.after)
        }
        let versions = (1...max(1, item.latestVersion)).map { ChoiceOption(value: String($0), label: "第\($0)版", selected: false) }
        return try await request.view.render("admin/diff", DiffPage(
            page: PageContext(request: request, title: "版本比较"), code: item.implementationCode, name: item.name, from: from, to: to,
            changes: changes, versions: versions)).encodeResponse(for: request)
    }

    struct LintPage: Encodable {
        struct DepartmentRow: Encodable {
            var name: String
            var errors: Int
            var warnings: Int
            var items: Int
        }
        struct RuleRow: Encodable {
            var id: String
            var title: String
            var severity: String
            var count: Int
        }
        var page: PageContext
        var findings: [FindingRow]
        var departments: [DepartmentRow]
        var rules: [RuleRow]
    }

    @Sendable static func lint(_ request: Request) async throws -> Response {
        if let redirect = try requireStaff(request, .readDraftCatalog) { return redirect }
        let service = CatalogService(try request.domain)
        let snapshot = try await service.snapshot(scopes: Policy.scopes(for: request.actor, .readDraftCatalog))
        let findings = try await service.lint(snapshot, includeDrafts: true)
        let itemsByCode = Dictionary(snapshot.items.map { ($0.implementationCode, $0) }, uniquingKeysWith: { a, _ in a })
        let byDepartment = Dictionary(grouping: findings) { itemsByCode[$0.item]?.departmentName ?? "" }
        let departments = byDepartment.map { name, own in
            LintPage.DepartmentRow(
                name: name, errors: own.filter { $0.severity == .error }.count, warnings: own.filter { $0.severity == .warning }.count,
                items: Set(own.map(\.item)).count)
        }
        let counts = Dictionary(grouping: findings, by: \.rule).mapValues(\.count)
        let rules = CatalogLinter.rules.map { LintPage.RuleRow(id: $0.id, title: $0.title, severity: $0.severity.chineseName, count: counts[$0.id] ?? 0) }
        return try await request.view.render("admin/lint", LintPage(
            page: PageContext(request: request, title: "智能纠错报告"),
            findings: findings.map { FindingRow($0, itemName: itemsByCode[$0.item]?.name) },
            departments: departments.sorted { ($0.errors, $0.warnings, $0.name) > ($1.errors, $1.warnings, $1.name) }, rules: rules)
        ).encodeResponse(for: request)
    }
}
