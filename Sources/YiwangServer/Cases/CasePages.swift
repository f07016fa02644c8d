import Fluent
import Foundation
import Vapor
import YiwangCore

/// What the case pages share, for applicants and staff alike: the form as inputs, the case as
/// a page model, the action buttons, and reading a posted form.

/// One input of an application form, with what was typed (or pre-filled) and its error.
struct FormInput: Encodable {
    var name: String
    var key: String
    var label: String
    var type: String
    var required: Bool
    var options: [String]
    var value: String
    var checked: Bool
    /// Pre-filled from the applicant's profile and shown masked: the server fills it in.
    var fromProfile: String?
    var condition: String?
    var help: String?
    var error: String?
    var inputMode: String?
    var maxLength: Int?

    static func inputs(
        _ schema: FormSchema, values: [String: JSONValue], profile: [PrefillSource: ProfileValue], errors: [FieldError]
    ) -> [FormInput] {
        let masked = schema.masked(values)
        return schema.fields.map { field in
            var text = values[field.key]?.scalarText ?? ""
            var kept: String?
            if let hidden = masked[field.key]?.scalarText, hidden != text {
                // A number already given is never written back into the page: shown masked, kept when left empty.
                kept = hidden + " (已填写，留空即保持不变)"
                text = ""
            }
            let shown = field.prefill.flatMap { profile[$0] }
            let row = FormFieldRow(field, in: schema)
            return FormInput(
                name: "f_" + field.key, key: field.key, label: field.label,
                type: field.type == .textarea ? "textarea" : field.type == .select ? "select" : field.type == .checkbox ? "checkbox"
                    : field.type == .date ? "date" : field.type == .number ? "number" : field.type == .email ? "email" : field.type == .phone ? "tel" : "text",
                required: field.required && field.visibleWhen == nil && kept == nil && shown?.isSensitive != true, options: field.options,
                value: text.isEmpty && kept == nil ? (shown?.isSensitive == false ? shown?.value ?? "" : "") : text,
                checked: values[field.key] == .bool(true),
                fromProfile: kept ?? (shown?.isSensitive == true && text.isEmpty ? (shown?.masked ?? "") + " (已从个人资料自动带入，留空即使用)" : nil),
                condition: row.condition, help: field.help, error: errors.first { $0.field == "form/" + field.key }?.message,
                inputMode: [.idNumber, .creditCode].contains(field.type) ? "text" : field.type == .number ? "decimal" : nil, maxLength: field.maxLength)
        }
    }

    /// The `f_<key>` fields of a posted page, as the form schema's values. Numbers shown masked
    /// and left empty keep what was given before (`kept`), or come from the applicant's profile.
    static func values(
        from posted: [String: String], schema: FormSchema, profile: [PrefillSource: ProfileValue], kept: [String: JSONValue] = [:]
    ) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        let masked = schema.masked(kept)
        for field in schema.fields {
            let text = posted["f_" + field.key]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if field.type == .checkbox {
                if !text.isEmpty { values[field.key] = .bool(true) }
            } else if !text.isEmpty {
                values[field.key] = .string(text)
            } else if let before = kept[field.key], masked[field.key] != before {
                values[field.key] = before
            } else if let source = field.prefill, let known = profile[source], known.isSensitive {
                values[field.key] = .string(known.value)
            }
        }
        return values
    }
}

/// A value the platform knows about the applicant, for pre-filling.
struct ProfileValue: Sendable {
    var value: String
    var masked: String
    var isSensitive: Bool

    /// What the applicant's record answers for each pre-fill source (numbers opened from their seal).
    static func of(_ record: ApplicantRecord, keys: KeyRing) -> [PrefillSource: ProfileValue] {
        var known: [PrefillSource: ProfileValue] = [:]
        let identifier = (try? keys.open(record.identifierSealed)) ?? ""
        let phone = record.phoneSealed.flatMap { try? keys.open($0) }
        switch record.kind {
        case .person:
            known[.applicantName] = ProfileValue(value: record.name, masked: record.name, isSensitive: false)
            if !identifier.isEmpty { known[.applicantIDNumber] = ProfileValue(value: identifier, masked: record.identifierMasked, isSensitive: true) }
        default:
            known[.companyName] = ProfileValue(value: record.name, masked: record.name, isSensitive: false)
            if !identifier.isEmpty {
                known[.companyCreditCode] = ProfileValue(
                    value: identifier, masked: record.identifierMasked, isSensitive: PersonalData.isNaturalPersonBusiness(identifier))
            }
            if let representative = record.representativeName {
                known[.legalRepresentative] = ProfileValue(value: representative, masked: representative, isSensitive: false)
            }
        }
        if let phone, let masked = record.phoneMasked { known[.applicantPhone] = ProfileValue(value: phone, masked: masked, isSensitive: true) }
        return known
    }
}

/// A button on a case page, with whether it asks for a reason.
struct ActionButton: Encodable {
    var action: String
    var name: String
    var needsReason: Bool
    var danger: Bool
    var primary: Bool
    /// Accepting offers the green channel; deciding and certificates take a document number.
    var offersGreenChannel: Bool
    var takesResultDocument: Bool

    init(_ action: CaseAction) {
        self.action = action.rawValue
        name = action.chineseName
        needsReason = action.needsReason
        danger = [.rejectAtAcceptance, .deny, .terminate, .withdraw].contains(action)
        primary = [.accept, .approve, .submit, .deliver, .review].contains(action)
        offersGreenChannel = action == .accept
        takesResultDocument = [.approve, .issueCertificate].contains(action)
    }
}

/// A case as its page shows it, for the applicant and for staff.
struct CasePage: Encodable {
    struct FormLine: Encodable {
        var label: String
        var value: String
    }

    var page: PageContext
    var view: CaseView
    var base: String
    var staff: Bool
    var urgencyName: String
    var channelName: String
    var formLines: [FormLine]
    var inputs: [FormInput]
    var editable: Bool
    var acceptsMaterials: Bool
    /// Whether the file names link to the files (the hotline sees the list, not the scans).
    var mayOpenFiles: Bool
    /// Why 受理 is not offered to a clerk who could otherwise take it (the blocking materials).
    var acceptBlocked: String?
    var reusable: [CaseView.File]
    /// 免证办: the applicant's licences that may stand for open materials.
    var licenceOffers: [CaseService.LicenceOffer]
    var buttons: [ActionButton]
    /// An approver may extend a running time limit once (延期).
    var mayExtend: Bool
    var maximumExtension: Int
    var correctionNotice: String?
    var decisionReason: String?
    var departmentName: String
    var consultationPhone: String
    var notice: String?
    var error: String?
    var errors: [FieldError]
    /// 好差评 for the applicant: the case's reviews and the form for a stage open to rate.
    var evaluation: EvaluationPages.CaseSection?
}

enum CasePages {
    /// The refusal a clerk would meet on 受理, said before they try: the materials still missing.
    static func acceptBlocked(_ record: CaseRecord, guide: ServiceGuide, view: CaseView, actor: Actor) -> String? {
        guard CaseLifecycle.actions(from: record.state).contains(.accept), !view.allowedActions.contains(.accept),
            Policy.allows(actor, .handleCaseAtWindow, on: record.owner)
        else { return nil }
        let supplied = Set(view.materials.filter { !$0.files.isEmpty }.map { $0.position - 1 })
        return MaterialChecklist(guide: guide, supplied: supplied, commitment: record.commitmentSigned).blockingNotice
    }

    /// Renders a case for the applicant (`/me/cases/…`) or for staff (`/admin/cases/…`).
    static func render(
        _ request: Request, _ id: UUID, staff: Bool, notice: String? = nil, error: DomainError? = nil, typed: [String: JSONValue]? = nil,
        evaluation: EvaluationPages.CaseAttempt? = nil
    ) async throws -> Response {
        _ = request.csrfToken()
        let service = CaseService(try request.domain)
        let (record, guide) = try await service.load(id, on: request.db)
        let department = try await DepartmentRecord.query(on: request.db).filter(\.$creditCode == record.departmentCode).first()
        let view = try await service.view(record, guide: guide, department: department)
        let profile: [PrefillSource: ProfileValue]
        if let applicant = try await ApplicantRecord.find(UUID(uuidString: record.applicantID), on: request.db) {
            profile = ProfileValue.of(applicant, keys: service.keys)
        } else {
            profile = [:]
        }
        // The form opens for whoever may file it while it can change; an incomplete form is what
        // editing is for (submitting it is offered once it is complete).
        // A bundle's task keeps the share of the merged form its lead window accepted.
        let editable = [.draft, .correctionRequested].contains(record.state) && Policy.mayFile(request.actor, case: record.subject)
            && record.bundleApplicationID == nil
        let shown = record.shownFormValues
        let formLines = guide.form.fields.compactMap { field -> CasePage.FormLine? in
            guard let value = shown[field.key] else { return nil }
            let text = value == .bool(true) ? "是" : value == .bool(false) ? "否" : value.scalarText ?? ""
            return CasePage.FormLine(label: field.label, value: text)
        }
        // The form is opened for editing only for those who may change it, and only then.
        let values = editable ? try (typed ?? service.formValues(record)) : [:]
        let inputs = editable ? FormInput.inputs(guide.form, values: values, profile: profile, errors: error?.fieldErrors ?? []) : []
        let lastReason = { (action: CaseAction) in view.timeline.last { $0.action == action.rawValue }?.reason }
        // The same rules as `CaseService.supplyMaterial` and `extendDeadline`.
        let acceptsMaterials = CaseVariants.acceptsMaterials(record.state, deferredOutstanding: record.deferredOutstanding)
            && Policy.mayFile(request.actor, case: record.subject)
        let mayExtend = staff && (try? CaseVariants.checkExtension(workingDays: 1, state: record.state)) != nil
            && (record.clock?.extensions ?? 1) < DeadlineClock.maximumExtensions && Policy.allows(request.actor, .decideCase, on: record.owner)
        // 好差评: the applicant sees the case's reviews and rates the stage open to rate.
        var evaluationSection: EvaluationPages.CaseSection?
        if !staff { evaluationSection = try await EvaluationPages.caseSection(request, record, attempt: evaluation) }
        let page = CasePage(
            page: PageContext(request: request, title: record.number.map { "办件 \($0)" } ?? record.itemName),
            view: view, base: staff ? "/admin/cases" : "/me/cases", staff: staff,
            urgencyName: view.urgency.chineseName, channelName: AuditVocabulary.channel(record.channel),
            formLines: formLines, inputs: inputs, editable: editable,
            acceptsMaterials: acceptsMaterials,
            mayOpenFiles: Policy.mayReadFiles(request.actor, case: record.subject),
            acceptBlocked: acceptBlocked(record, guide: guide, view: view, actor: request.actor),
            reusable: acceptsMaterials && !staff ? try await service.reusableMaterials() : [],
            licenceOffers: acceptsMaterials && !staff ? try await service.licenceOffers(record, guide: guide) : [],
            buttons: view.allowedActions.filter { $0 != .submit || !editable }.map(ActionButton.init),
            mayExtend: mayExtend,
            maximumExtension: CaseVariants.maximumExtensionWorkingDays,
            correctionNotice: record.state == .correctionRequested ? lastReason(.requestCorrection) : nil,
            decisionReason: lastReason(.deny) ?? lastReason(.rejectAtAcceptance) ?? lastReason(.terminate),
            departmentName: department?.name ?? record.departmentCode, consultationPhone: guide.consultationPhone,
            notice: notice, error: error?.message, errors: error?.fieldErrors ?? [],
            evaluation: evaluationSection)
        let response = try await request.view.render("cases/case", page).encodeResponse(for: request)
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }

    /// The id in the path, or a 404 page.
    static func caseID(_ request: Request) throws -> UUID { try CaseAPIController.caseID(request) }

    /// A case action posted from a page: runs it, then shows the case again with what happened.
    static func act(_ request: Request, staff: Bool) async throws -> Response {
        struct Form: Content {
            var csrf: String?
            var action: String?
            var reason: String?
            var greenChannel: String?
            var resultDocument: String?
            var creditReason: String?
        }
        let form = try request.content.decode(Form.self)
        try request.verifyCSRF(form.csrf)
        let id = try caseID(request)
        guard let action = form.action.flatMap(CaseAction.init(rawValue:)) else {
            return try await render(request, id, staff: staff, error: .invalid("case.action", "请选择要执行的操作。"))
        }
        do {
            let options = CaseService.TransitionOptions(
                greenChannel: form.greenChannel == "on" || form.greenChannel == "true", resultDocument: form.resultDocument, creditReason: form.creditReason)
            _ = try await CaseService(try request.domain).perform(action, reason: form.reason, on: id, options: options)
            return request.redirect(to: (staff ? "/admin/cases/" : "/me/cases/") + id.uuidString + "?done=" + action.rawValue)
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, id, staff: staff, error: error)
        }
    }

    /// A material uploaded from a page (multipart), or an earlier file chosen for reuse.
    static func upload(_ request: Request, staff: Bool) async throws -> Response {
        struct Form: Content {
            var csrf: String?
            var material: Int?
            var file: File?
            var reuse: String?
            var licence: String?
        }
        let id = try caseID(request)
        let form: Form
        do { form = try request.content.decode(Form.self) } catch {
            return try await render(request, id, staff: staff, error: .invalid("material.form", "上传内容不完整，请重新选择文件。"))
        }
        try request.verifyCSRF(form.csrf)
        do {
            guard let material = form.material else { throw DomainError.invalid("material.index", "请选择材料。") }
            let bytes = form.file.flatMap { $0.data.readableBytes > 0 ? Array($0.data.readableBytesView) : nil }
            let reuse = form.reuse.flatMap { $0.isEmpty ? nil : $0 }
            if bytes == nil, let licence = form.licence, !licence.isEmpty {
                let file = try await CaseService(try request.domain).supplyLicence(id, position: material, identifier: licence)
                return request.redirect(
                    to: (staff ? "/admin/cases/" : "/me/cases/") + id.uuidString + "?uploaded=" + (file.materialName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            }
            if bytes == nil && reuse == nil { throw DomainError.invalid("material.missing_file", "请选择要上传的文件，或选择一份以前提交过的材料。") }
            let file = try await CaseService(try request.domain).supplyMaterial(id, position: material, upload: bytes, fileName: form.file?.filename, reuse: bytes == nil ? reuse : nil)
            return request.redirect(to: (staff ? "/admin/cases/" : "/me/cases/") + id.uuidString + "?uploaded=" + (file.materialName.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, id, staff: staff, error: error)
        }
    }

    /// The form of a draft or correction, saved from its page.
    static func saveForm(_ request: Request, staff: Bool) async throws -> Response {
        let posted = try request.content.decode([String: String].self)
        try request.verifyCSRF(posted["csrf"])
        let id = try caseID(request)
        let service = CaseService(try request.domain)
        let (record, guide) = try await service.load(id, on: request.db)
        let profile = try await ApplicantRecord.find(UUID(uuidString: record.applicantID), on: request.db).map { ProfileValue.of($0, keys: service.keys) } ?? [:]
        let values = FormInput.values(from: posted, schema: guide.form, profile: profile, kept: try service.formValues(record))
        do {
            _ = try await service.updateForm(id, form: values)
            if posted["intent"] == "submit" {
                _ = try await service.perform(.submit, reason: nil, on: id)
                return request.redirect(to: (staff ? "/admin/cases/" : "/me/cases/") + id.uuidString + "?done=submit")
            }
            return request.redirect(to: (staff ? "/admin/cases/" : "/me/cases/") + id.uuidString + "?saved=1")
        } catch let error as DomainError where error.kind != .notFound {
            return try await render(request, id, staff: staff, error: error, typed: values)
        }
    }

    /// What a redirect after an action says on the page that follows.
    static func notice(_ request: Request) -> String? {
        if let done = (try? request.query.get(String.self, at: "done")).flatMap(CaseAction.init(rawValue:)) { return "已完成：\(done.chineseName)。" }
        if let material = try? request.query.get(String.self, at: "uploaded") { return "已收到材料“\(material)”。" }
        if (try? request.query.get(String.self, at: "extended")) != nil { return "已延长办理期限，并告知申请人。" }
        if (try? request.query.get(String.self, at: "saved")) != nil { return "申请表已保存为草稿，可随时回来继续填写。" }
        if (try? request.query.get(String.self, at: "created")) != nil { return "草稿已建立。请上传材料，核对无误后提交。" }
        return nil
    }

    /// Printable documents: the acceptance receipt (受理通知书), the one-time correction notice
    /// (一次性补正告知书), and the decision (准予/不予许可决定书).
    static func printDocument(_ request: Request) async throws -> Response {
        struct DocumentPage: Encodable {
            var title: String
            var kind: String
            var view: CaseView
            var applicantName: String
            var departmentName: String
            var consultationPhone: String
            var address: String
            var at: Date
            var reason: String?
            var back: String
            /// 决定准予许可, 予以备案, 决定予以给付 … as the item's result calls for.
            var approvalWording: String
            /// 好差评: the link to rate the service, printed with its QR code on the receipt and the decision.
            var evaluation: EvaluationPages.PrintedLink?
        }
        let id = try caseID(request)
        let service = CaseService(try request.domain)
        let (record, guide) = try await service.load(id, on: request.db)
        let department = try await DepartmentRecord.query(on: request.db).filter(\.$creditCode == record.departmentCode).first()
        let view = try await service.view(record, guide: guide, department: department)
        let kind = request.parameters.get("kind") ?? ""
        let step: CaseView.Step?
        let title: String
        switch kind {
        case "receipt":
            step = view.timeline.last { $0.action == CaseAction.accept.rawValue }
            title = "受理通知书"
        case "correction":
            step = view.timeline.last { $0.action == CaseAction.requestCorrection.rawValue }
            title = "一次性补正告知书"
        case "decision":
            step = view.timeline.last { [CaseAction.approve, .approveOnTimeout, .deny, .rejectAtAcceptance].map(\.rawValue).contains($0.action) }
            let titles = guide.result.kind.decisionTitle
            title = step.map { $0.action == CaseAction.deny.rawValue ? titles.denied : $0.action == CaseAction.rejectAtAcceptance.rawValue ? "不予受理决定书" : titles.approved } ?? ""
        default:
            throw DomainError.notFound("case.document", "没有这种文书。")
        }
        guard let step else { throw DomainError.notFound("case.document_not_ready", "该办件还没有\(kind == "receipt" ? "受理" : kind == "correction" ? "补正告知" : "决定")文书。") }
        let applicant = try await ApplicantRecord.find(UUID(uuidString: record.applicantID), on: request.db)
        let staff = request.staffAccount != nil
        try await AuditTrail.append(
            request.auditContext.entry("case.print", subjectType: "case", subjectID: id.uuidString, owner: record.owner, after: kind, at: request.now), on: request.db)
        let response = try await request.view.render("cases/document", DocumentPage(
            title: title, kind: step.action, view: view, applicantName: applicant?.name ?? "", departmentName: department?.name ?? record.departmentCode,
            consultationPhone: guide.consultationPhone, address: guide.address, at: step.at, reason: step.reason,
            back: (staff ? "/admin/cases/" : "/me/cases/") + id.uuidString, approvalWording: guide.result.kind.approvalWording,
            evaluation: try await EvaluationPages.printedLink(request, record, document: kind))).encodeResponse(for: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }
}
