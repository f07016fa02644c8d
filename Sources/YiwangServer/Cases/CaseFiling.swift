import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Filing a case online or at the window, with idempotency keys, and editing its form.
extension CaseService {
    // MARK: Filing

    /// Files a case: online by the applicant (or the company they act for), or at the window by a
    /// clerk for the applicant standing there (代办). A retried request with the same
    /// Idempotency-Key and body answers the case it created; with another body, 409.
    /// The guide is returned when the case was made now (a replay answers without it).
    func create(_ body: NewCaseRequest, idempotencyKey: String?) async throws -> (record: CaseRecord, created: Bool, guide: ServiceGuide?) {
        let (applicantID, atWindow) = try await filingApplicant(body.applicant)
        let key = try Self.idempotencyKey(idempotencyKey)
        let scopeKey = context.actor + ":" + key
        let hash = try Self.fingerprint(body)
        // A retry answers what the first request made before anything is judged again: the item
        // may have been retired or the day changed since, and the client must not file twice.
        if let replay = try await replayed(scopeKey, hash: hash, on: db) { return (replay, false, nil) }

        guard let item = try await PublishedItem.find(body.item, on: db) else {
            throw DomainError.notFound("case.item_not_found", "未找到已公开的事项“\(body.item.prefix(40))”。")
        }
        let versionID = item.versionID
        let guide = try await publishedGuide(versionID, on: db)
        let owner = ResourceOwner(departmentCreditCode: item.departmentCode, regionCode: item.regionCode, applicantID: applicantID)
        if atWindow {
            try Policy.authorize(actor, .handleCaseAtWindow, on: owner)
        } else if !guide.canApplyOnline {
            throw DomainError.conflict("case.not_online", "“\(guide.name)”不支持网上申报，请到综合窗口办理。")
        }
        if body.commitment == true && !guide.commitmentBased {
            throw DomainError.invalid("case.commitment_not_applicable", "“\(guide.name)”不实行告知承诺制，无需签署承诺书。")
        }
        let submit = body.submit ?? true
        let checked = guide.form.check(body.form, today: today, requireAll: submit)
        guard checked.isValid else {
            throw DomainError.invalid("case.form_invalid", "申请表填写有误，请按提示修改：" + checked.problems.map(\.message).joined(), fields: checked.problems)
        }
        let references = Array(Set(body.materials ?? [])).sorted { ($0.material, $0.reuse) < ($1.material, $1.reuse) }
        for reference in references { _ = try Self.materialIndex(position: reference.material, in: guide) }
        let reused = try await reusableFiles(references.map(\.reuse), applicantID: applicantID, on: db)
        let caseID = UUID()
        let submitOptions = submit ? try await creditChecked(TransitionOptions(), applicantID: applicantID, guide: guide, caseID: caseID) : TransitionOptions()

        let record = try newCase(
            caseID, item: item, guide: guide, applicantID: applicantID, values: checked.values, atWindow: atWindow, commitment: body.commitment == true)
        let (context, now) = (self.context, self.now)
        let service = self
        let result = try await recordingRead(submitOptions.creditRead) { try await AuditTrail.writeTransaction(on: db) { tx in
            // Checked again under the write lock: two identical retries at once create one case.
            if let replay = try await service.replayed(scopeKey, hash: hash, on: tx) { return (replay, false, ServiceGuide?.none) }
            // The row is written once: by the submission's step, or here for a draft, or first
            // when reused files are to point at it.
            if !references.isEmpty { try await record.write(on: tx) }
            try await AuditTrail.append(
                context.entry("case.create", subjectType: "case", subjectID: caseID.uuidString, owner: record.owner, after: record.itemCode, at: now), on: tx)
            for reference in references {
                guard let earlier = reused[reference.reuse] else { continue }
                try await service.attach(
                    record, index: reference.material - 1, guide: guide, sha256: earlier.sha256, size: earlier.size, type: earlier.type,
                    fileName: earlier.fileName, reusedFrom: earlier.id, on: tx)
            }
            if submit { try await service.transition(record, .submit, reason: nil, guide: guide, options: submitOptions, on: tx) }
            if !record.$id.exists { try await record.write(on: tx) }
            if let project = body.project { try await ProjectService(service.ctx).link(project, applicantID: applicantID, caseID: caseID, on: tx) }
            try await Self.rememberIdempotency(scopeKey, hash: hash, created: caseID, at: now, on: tx)
            return (record, true, guide)
        } }
        // A retry that met the first request under the write lock submitted nothing: its read is logged alone.
        if !result.1, let read = submitOptions.creditRead { try await DataSharingService(ctx).record(read) }
        if result.1, submit { Self.count(.submit, reaching: result.0.state) }
        return result
    }

    /// A new case of a published item as a draft row (not yet written): the form sealed and its
    /// masked copy, the version's rules that stay on the case, and who filed it.
    func newCase(
        _ caseID: UUID, item: PublishedItem, guide: ServiceGuide, applicantID: String, values: [String: JSONValue], atWindow: Bool, commitment: Bool
    ) throws -> CaseRecord {
        let record = CaseRecord()
        record.id = caseID
        record.itemCode = item.implementationCode
        record.itemName = guide.name
        record.versionID = item.versionID
        record.applicantID = applicantID
        record.filedBy = context.actor
        record.departmentCode = item.departmentCode
        record.regionCode = item.regionCode
        record.state = .draft
        record.formSealed = try keys.seal(try Self.json(values))
        record.formShown = try Self.json(guide.form.masked(values))
        record.channel = atWindow ? "window" : context.channel
        record.deadlineProvisional = false
        record.deferredOutstanding = false
        record.alertLevel = "none"
        record.greenChannel = false
        record.commitmentSigned = commitment
        record.approvesOnTimeout = guide.approveOnTimeout
        // 代办: a clerk at the window, or an agent acting for a company.
        record.assistedBy = atWindow || context.actor != "applicant:" + applicantID ? context.actor : nil
        record.createdAt = now
        record.updatedAt = now
        record.refreshQueueOrder()
        return record
    }

    /// Whose affairs a filing is and where it is made: the applicant online (for themselves or
    /// the company they act for), or a clerk at the window for the applicant standing there.
    func filingApplicant(_ requested: UUID?) async throws -> (applicantID: String, atWindow: Bool) {
        let applicantID: String
        let atWindow: Bool
        switch actor {
        case .anonymous:
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录后再申报。")
        case .applicant(let applicant):
            try Policy.authorize(actor, .applyForService, on: .applicant(applicant.principalID))
            guard requested == nil || requested?.uuidString == applicant.principalID else {
                throw DomainError.forbidden("网上申报只能为本人或所代表的企业办理。")
            }
            applicantID = applicant.principalID
            atWindow = false
        case .staff:
            try Policy.authorizeSomewhere(actor, .handleCaseAtWindow)
            guard let id = requested, try await ApplicantRecord.find(id, on: db) != nil else {
                throw DomainError.invalid(
                    "case.applicant_required", "窗口受理请先核验申请人身份，并提供申请人编号(applicant)。",
                    fields: [FieldError(field: "applicant", message: "请先查找或登记申请人。")])
            }
            applicantID = id.uuidString
            atWindow = true
        }
        return (applicantID, atWindow)
    }

    private func replayed(_ scopeKey: String, hash: String, on db: any Database) async throws -> CaseRecord? {
        guard let id = try await Self.replayedID(scopeKey, hash: hash, on: db) else { return nil }
        return try await CaseRecord.lean(id, on: db)
    }

    /// What a request with this Idempotency-Key created before (a case or a bundle application);
    /// the same key with another body is refused.
    static func replayedID(_ scopeKey: String, hash: String, on db: any Database) async throws -> UUID? {
        guard let earlier = try await IdempotencyRecord.earlier(scopeKey, on: db) else { return nil }
        guard earlier.requestHash == hash else {
            throw DomainError.conflict("case.idempotency_mismatch", "该 Idempotency-Key 已用于另一份不同的申报，请换一个标识。")
        }
        return earlier.caseID
    }

    /// Remembers what a request with this key created, in the creating transaction.
    static func rememberIdempotency(_ scopeKey: String, hash: String, created id: UUID, at now: Date, on tx: any Database) async throws {
        let idempotency = IdempotencyRecord()
        idempotency.id = UUID()
        idempotency.scopeKey = scopeKey
        idempotency.requestHash = hash
        idempotency.caseID = id
        idempotency.createdAt = now
        try await idempotency.insert(on: tx)
    }

    /// The Idempotency-Key header, required on every create call.
    static func idempotencyKey(_ raw: String?) throws -> String {
        guard let key = raw?.trimmingCharacters(in: .whitespaces), !key.isEmpty, key.count <= 100 else {
            throw DomainError.invalid("case.idempotency_key", "请在 Idempotency-Key 请求头中提供本次申报的唯一标识(不超过100个字符)，以免重试时重复申报。")
        }
        return key
    }

    /// SHA-256 of the request with sorted keys: the same request always has the same fingerprint.
    static func fingerprint(_ body: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return SHA256.hash(data: try encoder.encode(body)).hex
    }

    static func json(_ values: [String: JSONValue]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(values), as: UTF8.self)
    }

    /// Changes the form of a draft, or of a case sent back for correction; what is there must be
    /// right, completeness is checked when it is submitted.
    func updateForm(_ id: UUID, form: [String: JSONValue]) async throws -> CaseRecord {
        let service = self
        return try await AuditTrail.writeTransaction(on: db) { tx in
            let (record, guide) = try await service.load(id, on: tx)
            try service.authorizeFiling(record)
            guard [.draft, .correctionRequested].contains(record.state) else {
                throw DomainError.conflict("case.form_locked", "办件当前状态为“\(record.state.chineseName)”，申请表不能再修改。")
            }
            let checked = guide.form.check(form, today: service.today, requireAll: false)
            guard checked.isValid else {
                throw DomainError.invalid("case.form_invalid", "申请表填写有误，请按提示修改：" + checked.problems.map(\.message).joined(), fields: checked.problems)
            }
            record.formSealed = try service.keys.seal(try Self.json(checked.values))
            record.formShown = try Self.json(guide.form.masked(checked.values))
            record.updatedAt = service.now
            try await record.save(on: tx)
            try await AuditTrail.append(
                service.context.entry("case.updateForm", subjectType: "case", subjectID: id.uuidString, owner: record.owner, at: service.now), on: tx)
            try await CaseEventRecord(
                caseID: id, at: service.now, actor: service.context.actor, channel: service.context.channel, action: CaseLifecycle.formUpdated,
                from: record.state, to: record.state, reason: nil
            ).create(on: tx)
            return record
        }
    }

    /// The form as filed, opened (only for those who handle the case or own it).
    func formValues(_ record: CaseRecord) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(keys.open(record.formSealed).utf8))
    }
}
