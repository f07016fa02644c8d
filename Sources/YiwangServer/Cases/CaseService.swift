import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

struct NewCaseRequest: Content {
    /// The implementation code of a published item.
    var item: String
    var form: [String: JSONValue]
    /// Files given in an earlier case, reused by their hash (材料复用); new files are uploaded
    /// to the case afterwards.
    var materials: [MaterialReference]?
    /// The applicant signs the 告知承诺书 (items under 告知承诺制 only).
    var commitment: Bool?
    /// At the window: the applicant the clerk files for (the id from `/applicants/lookup`).
    var applicant: UUID?
    /// Submit at once (true) or keep as a draft.
    var submit: Bool?
}

struct MaterialReference: Content, Hashable {
    /// The material's position in the item's list, from 1 (as the guide numbers them).
    var material: Int
    /// SHA-256 of a file this applicant gave before.
    var reuse: String
}

struct TransitionRequest: Content {
    var action: CaseAction
    var reason: String?
    /// At acceptance: handle through the green channel (绿色通道), with `reason` saying why.
    var greenChannel: Bool?
    /// At approval or certificate: the result document's number (文号/证照编号).
    var resultDocument: String?
}

struct ExtensionRequest: Content {
    var workingDays: Int
    var reason: String
}

struct FormUpdateRequest: Content {
    var form: [String: JSONValue]
}

struct CaseView: Content {
    struct Item: Content {
        var code: String
        var name: String
    }

    struct Step: Content {
        var at: Date
        var action: String
        var actionName: String
        var state: String
        var stateName: String
        /// Who acted: to the applicant's side a role (申请人, 综合窗口人员, …); to staff the account.
        var actor: String
        /// The department a staff member acted for (the case's), so the applicant knows who handled it.
        var actorDepartment: String?
        var channel: String
        var reason: String?
    }

    struct Material: Content {
        /// The material's position in the item's list, from 1: the number in upload paths and
        /// in `MaterialReference.material`.
        var position: Int
        var name: String
        var required: Bool
        var heldByPlatform: Bool
        var deferrable: Bool
        var replacedByCommitment: Bool
        var files: [File]
    }

    struct File: Content {
        var id: UUID
        var sha256: String
        var size: Int
        var type: String
        var name: String
        var suppliedAt: Date
        var reused: Bool
        var afterAcceptance: Bool
    }

    var id: UUID
    var number: String?
    var state: CaseState
    var stateName: String
    var item: Item
    var channel: String
    var deadline: String?
    var deadlineProvisional: Bool
    var urgency: CaseUrgency
    var form: [String: JSONValue]
    var materials: [Material]
    /// Required materials still missing, by name (the one-time correction notice lists them).
    var missingMaterials: [String]
    var deferredOutstanding: Bool
    var deferredDue: String?
    var commitmentSigned: Bool
    var commitmentCheckDue: String?
    var greenChannel: Bool
    var assisted: Bool
    var resultDocument: String?
    var allowedActions: [CaseAction]
    var timeline: [Step]
    var createdAt: Date
    var updatedAt: Date
}

/// Cases: filing, and the one lifecycle function through which every change of a case passes,
/// writing the new state, the timeline step, the audit event and the notifications in a single
/// transaction.
struct CaseService {
    let db: any Database
    /// The moment of the change (a step taken in the same breath, such as a 即办件's approval
    /// after its acceptance, comes a millisecond later so the timeline keeps its order).
    private(set) var now: Date
    let actor: Actor
    let context: AuditContext
    let calendars: CalendarStore
    let keys: KeyRing
    /// The platform itself (background jobs): may take the actions no person may, such as
    /// approval on timeout, and nothing else is checked against a person's grants.
    let isPlatform: Bool
    let materialsRoot: String
    let warnWithin: Int
    let quotaBytes: Int

    init(request: Request) throws {
        db = request.db
        now = request.now
        actor = request.actor
        context = request.auditContext
        calendars = request.application.calendarStore
        keys = try request.application.keyRing
        isPlatform = false
        materialsRoot = request.application.settings.materialsDirectory
        warnWithin = request.application.settings.deadlineWarningDays
        quotaBytes = request.application.settings.applicantQuotaBytes
    }

    /// The platform acting on its own, named in the trail.
    init(platform app: Application, job: String) throws {
        try self.init(app: app, actor: .anonymous, context: .system("system:" + job), now: app.timeSource.now(), isPlatform: true)
    }

    /// Someone acting outside a request (the demo city's history, benchmarks), at a given time.
    init(app: Application, actor: Actor, context: AuditContext, now: Date, isPlatform: Bool = false) throws {
        db = app.db
        self.now = now
        self.actor = actor
        self.context = context
        calendars = app.calendarStore
        keys = try app.keyRing
        self.isPlatform = isPlatform
        materialsRoot = app.settings.materialsDirectory
        warnWithin = app.settings.deadlineWarningDays
        quotaBytes = app.settings.applicantQuotaBytes
    }

    var today: LocalDate { LocalDate(now) }

    // MARK: Filing

    /// Files a case: online by the applicant (or the company they act for), or at the window by a
    /// clerk for the applicant standing there (代办). A retried request with the same
    /// Idempotency-Key and body answers the case it created; with another body, 409.
    func create(_ body: NewCaseRequest, idempotencyKey: String?) async throws -> (record: CaseRecord, created: Bool) {
        let applicantID: String
        let atWindow: Bool
        switch actor {
        case .anonymous:
            throw DomainError(.unauthenticated, code: "access.unauthenticated", message: "请先登录后再申报。")
        case .applicant(let applicant):
            try Policy.authorize(actor, .applyForService, on: .applicant(applicant.principalID))
            guard body.applicant == nil || body.applicant?.uuidString == applicant.principalID else {
                throw DomainError.forbidden("网上申报只能为本人或所代表的企业办理。")
            }
            applicantID = applicant.principalID
            atWindow = false
        case .staff:
            try Policy.authorizeSomewhere(actor, .handleCaseAtWindow)
            guard let id = body.applicant, try await ApplicantRecord.find(id, on: db) != nil else {
                throw DomainError.invalid(
                    "case.applicant_required", "窗口受理请先核验申请人身份，并提供申请人编号(applicant)。",
                    fields: [FieldError(field: "applicant", message: "请先查找或登记申请人。")])
            }
            applicantID = id.uuidString
            atWindow = true
        }
        guard let key = idempotencyKey?.trimmingCharacters(in: .whitespaces), !key.isEmpty, key.count <= 100 else {
            throw DomainError.invalid("case.idempotency_key", "请在 Idempotency-Key 请求头中提供本次申报的唯一标识(不超过100个字符)，以免重试时重复申报。")
        }
        let scopeKey = context.actor + ":" + key
        let hash = try Self.fingerprint(body)
        if let replay = try await replayed(scopeKey, hash: hash, on: db) { return (replay, false) }

        guard let item = try await ItemRecord.query(on: db).filter(\.$implementationCode == body.item.trimmingCharacters(in: .whitespaces).uppercased()).first(),
            let versionID = item.publishedVersionID, let version = try await ItemVersionRecord.find(versionID, on: db)
        else { throw DomainError.notFound("case.item_not_found", "未找到已公开的事项“\(body.item.prefix(40))”。") }
        let guide = try version.guide()
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

        let record = CaseRecord()
        record.id = UUID()
        record.itemCode = item.implementationCode
        record.itemName = guide.name
        record.versionID = versionID
        record.applicantID = applicantID
        record.filedBy = context.actor
        record.departmentCode = item.departmentCode
        record.regionCode = item.regionCode
        record.state = .draft
        record.formSealed = try keys.seal(try Self.json(checked.values))
        record.formShown = try Self.json(guide.form.masked(checked.values))
        record.channel = atWindow ? "window" : context.channel
        record.deadlineProvisional = false
        record.deferredOutstanding = false
        record.alertLevel = "none"
        record.greenChannel = false
        record.commitmentSigned = body.commitment == true
        record.approvesOnTimeout = guide.approveOnTimeout
        // 代办: a clerk at the window, or an agent acting for a company.
        record.assistedBy = atWindow || context.actor != "applicant:" + applicantID ? context.actor : nil
        record.createdAt = now
        record.updatedAt = now
        record.refreshQueueOrder()
        let (context, now) = (self.context, self.now)
        let service = self
        let result = try await AuditTrail.writeTransaction(on: db) { tx in
            // Checked again under the write lock: two identical retries at once create one case.
            if let replay = try await service.replayed(scopeKey, hash: hash, on: tx) { return (replay, false) }
            try await record.create(on: tx)
            let idempotency = IdempotencyRecord()
            idempotency.scopeKey = scopeKey
            idempotency.requestHash = hash
            idempotency.caseID = record.id!
            idempotency.createdAt = now
            try await idempotency.create(on: tx)
            try await AuditTrail.append(
                context.entry("case.create", subjectType: "case", subjectID: record.id!.uuidString, owner: record.owner, after: record.itemCode, at: now), on: tx)
            for reference in references {
                guard let earlier = reused[reference.reuse] else { continue }
                try await service.attach(
                    record, index: reference.material - 1, guide: guide, sha256: earlier.sha256, size: earlier.size, type: earlier.type,
                    fileName: earlier.fileName, reusedFrom: earlier.id, on: tx)
            }
            if submit { try await service.transition(record, .submit, reason: nil, guide: guide, on: tx) }
            return (record, true)
        }
        if result.1, submit { Self.count(.submit, reaching: result.0.state) }
        return result
    }

    private func replayed(_ scopeKey: String, hash: String, on db: any Database) async throws -> CaseRecord? {
        guard let earlier = try await IdempotencyRecord.query(on: db).filter(\.$scopeKey == scopeKey).first() else { return nil }
        guard earlier.requestHash == hash else {
            throw DomainError.conflict("case.idempotency_mismatch", "该 Idempotency-Key 已用于另一份不同的申报，请换一个标识。")
        }
        return try await CaseRecord.find(earlier.caseID, on: db)
    }

    /// SHA-256 of the request with sorted keys: the same request always has the same fingerprint.
    static func fingerprint(_ body: NewCaseRequest) throws -> String {
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

    // MARK: Materials

    /// The index (from 0) of the material at `position` (from 1), refused when the item has no
    /// such material or the platform fetches it itself.
    static func materialIndex(position: Int, in guide: ServiceGuide) throws(DomainError) -> Int {
        guard position >= 1, position <= guide.materials.count else {
            throw .invalid(
                "material.index", "该事项的材料序号应为1到\(guide.materials.count)之间的整数。", fields: [FieldError(field: "material", message: "材料序号不正确。")])
        }
        let index = position - 1
        guard !guide.materials[index].source.isHeldByPlatform else {
            throw .conflict("material.held_by_platform", "“\(guide.materials[index].name)”由平台通过电子证照或数据共享获取，无需提交。")
        }
        return index
    }

    /// Files this applicant gave before, by hash; a hash they never gave is refused, so nobody
    /// can attach someone else's file by guessing its hash.
    private func reusableFiles(_ hashes: [String], applicantID: String, on db: any Database) async throws -> [String: CaseMaterialRecord] {
        var byHash: [String: CaseMaterialRecord] = [:]
        // One row per hash: a file reused in many cases must not make each reuse slower.
        for hash in Set(hashes) {
            byHash[hash] = try await CaseMaterialRecord.query(on: db).filter(\.$applicantID == applicantID).filter(\.$sha256 == hash).first()
        }
        let store = try materialStore
        for hash in hashes where byHash[hash] == nil || !store.exists(hash) {
            throw DomainError.notFound("material.reuse_not_found", "未找到可复用的材料文件(\(hash.prefix(12))…)，请重新上传。")
        }
        return byHash
    }

    var materialStore: MaterialStore { get throws { MaterialStore(root: materialsRoot, keys: keys) } }

    /// Who may give materials for a case: the applicant online, the clerk at the window.
    private func authorizeFiling(_ record: CaseRecord) throws {
        if !Policy.mayFile(actor, case: record.subject) { try Policy.authorize(actor, .applyForService, on: record.owner) }
    }

    /// Gives a material for a case: a new upload (checked by content, stored once by hash before
    /// the row that names it commits) or a file the applicant gave before. Every refusal comes
    /// before the file reaches the disk; a file written for an upload the transaction then
    /// refuses is removed again.
    func supplyMaterial(_ id: UUID, position: Int, upload: [UInt8]?, fileName: String?, reuse: String?) async throws -> CaseMaterialRecord {
        let (current, guide) = try await load(id, on: db)
        let index = try await checkSupply(current, position: position, guide: guide, on: db)
        var stored: (sha256: String, size: Int, type: MaterialFileType, name: String)?
        var written = false
        if let upload {
            let type = try MaterialFile.check(upload)
            let sha256 = MaterialStore.sha256(upload)
            try await checkQuota(applicantID: current.applicantID, adding: sha256, size: upload.count, on: db)
            UploadsInFlight.pin(sha256)
            do {
                written = try materialStore.put(upload).written
            } catch {
                _ = UploadsInFlight.unpin(sha256)
                throw error
            }
            stored = (sha256, upload.count, type, MaterialFile.displayName(fileName, type: type))
        }
        let service = self
        let uploaded = stored
        do {
            let material = try await AuditTrail.writeTransaction(on: db) { tx in
                let (record, guide) = try await service.load(id, on: tx)
                _ = try await service.checkSupply(record, position: position, guide: guide, on: tx)
                var file = uploaded
                var reusedFrom: UUID?
                if let file {
                    try await service.checkQuota(applicantID: record.applicantID, adding: file.sha256, size: file.size, on: tx)
                } else if let reuse {
                    guard let earlier = try await service.reusableFiles([reuse], applicantID: record.applicantID, on: tx)[reuse] else {
                        throw DomainError.notFound("material.reuse_not_found", "未找到可复用的材料文件，请重新上传。")
                    }
                    file = (earlier.sha256, earlier.size, earlier.type, earlier.fileName)
                    reusedFrom = earlier.id
                }
                guard let file else { throw DomainError.invalid("material.missing_file", "请选择要上传的文件，或选择一份以前提交过的材料。") }
                return try await service.attach(
                    record, index: index, guide: guide, sha256: file.sha256, size: file.size, type: file.type, fileName: file.name,
                    reusedFrom: reusedFrom, on: tx)
            }
            if let stored { _ = UploadsInFlight.unpin(stored.sha256) }
            return material
        } catch {
            if let stored {
                let last = UploadsInFlight.unpin(stored.sha256)
                if written, last, try await CaseMaterialRecord.query(on: db).filter(\.$sha256 == stored.sha256).count() == 0 {
                    try materialStore.remove(stored.sha256)
                }
            }
            throw error
        }
    }

    /// Whether this caller may give the material at `position` now; answers its index.
    private func checkSupply(_ record: CaseRecord, position: Int, guide: ServiceGuide, on db: any Database) async throws -> Int {
        try authorizeFiling(record)
        let index = try Self.materialIndex(position: position, in: guide)
        guard CaseVariants.acceptsMaterials(record.state, deferredOutstanding: record.deferredOutstanding) else {
            throw DomainError.conflict("material.case_locked", "办件当前状态为“\(record.state.chineseName)”，不能再提交材料。")
        }
        if record.state != .draft && !record.state.isBeforeAcceptance {
            guard try await checklist(record, guide: guide, on: db).deferrable.contains(where: { $0.index == index }) else {
                throw DomainError.conflict("material.not_deferred", "办件已受理，只能补交容缺受理时缺少的材料。")
            }
        }
        return index
    }

    /// Refuses an upload that would take the applicant past their storage quota; a file they
    /// already gave costs nothing again.
    private func checkQuota(applicantID: String, adding sha256: String, size: Int, on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        struct Row: Decodable {
            var used: Int64?
            var known: Int64?
        }
        let row = try await sql.raw("""
            SELECT CAST(SUM(size) AS BIGINT) AS used, CAST(SUM(CASE WHEN sha256 = \(bind: sha256) THEN 1 ELSE 0 END) AS BIGINT) AS known
            FROM (SELECT sha256, MAX(size) AS size FROM case_materials WHERE applicant_id = \(bind: applicantID) GROUP BY sha256) files
            """).first(decoding: Row.self)
        let used = Int(row?.used ?? 0)
        guard (row?.known ?? 0) == 0 else { return }
        let quota = quotaBytes
        if used + size > quota {
            let megabytes = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
            throw DomainError(
                .tooLarge, code: "material.quota_exceeded",
                message: "您的材料存储空间已用 \(megabytes(used)) MB，上限为 \(megabytes(quota)) MB，本文件无法保存。可复用以前提交过的文件，或联系综合窗口。")
        }
    }

    /// Records a material on a case, with a timeline entry. After acceptance it completes a
    /// 容缺 case: when the last deferred material arrives the decision is unblocked and the
    /// department is told.
    @discardableResult
    private func attach(
        _ record: CaseRecord, index: Int, guide: ServiceGuide, sha256: String, size: Int, type: MaterialFileType, fileName: String,
        reusedFrom: UUID?, on tx: any Database
    ) async throws -> CaseMaterialRecord {
        let afterAcceptance = record.state != .draft && !record.state.isBeforeAcceptance
        let material = CaseMaterialRecord()
        material.id = UUID()
        material.caseID = record.id!
        material.applicantID = record.applicantID
        material.materialIndex = index
        material.materialName = guide.materials[index].name
        material.sha256 = sha256
        material.size = size
        material.fileType = type.rawValue
        material.fileName = fileName
        material.suppliedBy = context.actor
        material.afterAcceptance = afterAcceptance
        material.reusedFrom = reusedFrom
        material.suppliedAt = now
        try await material.create(on: tx)
        try await AuditTrail.append(
            context.entry(
                reusedFrom == nil ? "case.material" : "case.materialReuse", subjectType: "case", subjectID: record.id!.uuidString, owner: record.owner,
                after: "\(index + 1):\(material.materialName):\(sha256.prefix(16))", at: now),
            on: tx)
        try await CaseEventRecord(
            caseID: record.id!, at: now, actor: context.actor, channel: context.channel,
            action: reusedFrom == nil ? CaseLifecycle.materialSupplied : CaseLifecycle.materialReused,
            from: record.state, to: record.state, reason: "第\(index + 1)项“\(material.materialName)”"
        ).create(on: tx)
        record.updatedAt = now
        if afterAcceptance, try await checklist(record, guide: guide, on: tx).missing.isEmpty {
            record.deferredOutstanding = false
            record.deferredDue = nil
            let event = CaseEventRecord(
                caseID: record.id!, at: now, actor: context.actor, channel: context.channel, action: CaseLifecycle.deferredMaterialsSupplied,
                from: record.state, to: record.state, reason: nil)
            try await event.create(on: tx)
            try await OutboxRecord(
                dedupeKey: "\(record.id!.uuidString):\(event.id!.uuidString):department", caseID: record.id, recipient: "department:" + record.departmentCode,
                channel: "inbox", subject: "容缺材料已补齐", body: "办件 \(record.number ?? "")“\(record.itemName)”的容缺材料已补齐，可以作出决定。", at: now
            ).create(on: tx)
        }
        try await record.save(on: tx)
        return material
    }

    func checklist(_ record: CaseRecord, guide: ServiceGuide, on db: any Database) async throws -> MaterialChecklist {
        let supplied = try await CaseMaterialRecord.query(on: db).filter(\.$caseID == record.id!).all(\.$materialIndex)
        return MaterialChecklist(guide: guide, supplied: Set(supplied), commitment: record.commitmentSigned)
    }

    /// A material file, for the applicant's side and the staff who may open files in scope.
    /// A staff member's download is audited: scans of ID cards are read for a purpose.
    func materialFile(_ caseID: UUID, file: UUID) async throws -> (CaseMaterialRecord, [UInt8]) {
        let record = try await visibleCase(caseID)
        guard Policy.mayReadFiles(actor, case: record.subject) else {
            throw DomainError.forbidden("您可以查看办件进度，但无权查阅申请人提交的材料文件。")
        }
        guard let material = try await CaseMaterialRecord.find(file, on: db), material.caseID == record.id else {
            throw DomainError.notFound("material.not_found", "未找到该材料。")
        }
        let bytes = try materialStore.get(material.sha256)
        if case .staff = actor {
            try await AuditTrail.append(
                context.entry(
                    "case.materialDownload", subjectType: "case", subjectID: caseID.uuidString, owner: record.owner,
                    after: "\(material.materialIndex + 1):\(material.materialName):\(material.id!.uuidString)", at: now),
                on: db)
        }
        return (material, bytes)
    }

    /// The applicant's earlier files, newest first, once per content (for 材料复用).
    func reusableMaterials() async throws -> [CaseView.File] {
        guard case .applicant(let applicant) = actor else {
            throw DomainError.forbidden("只有申请人有可复用的材料。")
        }
        // An agent who may only apply still reuses the company's files for the case they file.
        if !Policy.allows(actor, .applyForService, on: .applicant(applicant.principalID)) {
            try Policy.authorize(actor, .viewOwnCases, on: .applicant(applicant.principalID))
        }
        let files = try await CaseMaterialRecord.query(on: db).filter(\.$applicantID == applicant.principalID).filter(\.$reusedFrom == nil)
            .sort(\.$suppliedAt, .descending).range(0..<200).all()
        var seen = Set<String>()
        return files.filter { seen.insert($0.sha256).inserted }.map(Self.fileView)
    }

    static func fileView(_ file: CaseMaterialRecord) -> CaseView.File {
        CaseView.File(
            id: file.id!, sha256: file.sha256, size: file.size, type: file.type.chineseName, name: file.fileName, suppliedAt: file.suppliedAt,
            reused: file.reusedFrom != nil, afterAcceptance: file.afterAcceptance)
    }

    // MARK: Reading

    /// A case the actor may see; others look like missing ones.
    func visibleCase(_ id: UUID) async throws -> CaseRecord {
        guard let record = try await CaseRecord.find(id, on: db), mayRead(record) else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        return record
    }

    func mayRead(_ record: CaseRecord) -> Bool { Policy.mayRead(actor, case: record.subject) }

    /// A case and the catalog version it is judged by.
    func load(_ id: UUID, on db: any Database) async throws -> (CaseRecord, ServiceGuide) {
        guard let record = try await CaseRecord.find(id, on: db), isPlatform || mayRead(record) else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        return (record, try await guide(of: record, on: db))
    }

    /// The rules of the catalog version the case was filed under.
    func guide(of record: CaseRecord, on db: any Database) async throws -> ServiceGuide {
        guard let version = try await ItemVersionRecord.find(record.versionID, on: db) else {
            throw DomainError.notFound("case.version_missing", "办件所依据的事项版本不存在。")
        }
        return try version.guide()
    }

    /// The permissions any one of which lets a person take `action` on this case (the same rule
    /// for offering an action and for performing it).
    static func permissions(_ action: CaseAction, _ record: CaseRecord, guide: ServiceGuide, onTheSpot: Bool = false) -> [PolicyAction] {
        PolicyAction.anyOf(
            action, filedAtWindow: record.channel == "window",
            onTheSpot: onTheSpot || (action == .approve && CaseVariants.decidedAtAcceptance(guide)))
    }

    /// What the rules need to know of the case beyond its state.
    func facts(_ record: CaseRecord, guide: ServiceGuide) -> CaseFacts {
        CaseFacts(
            deferredMaterialsOutstanding: record.deferredOutstanding,
            approvesOnTimeout: guide.approveOnTimeout,
            pastDeadline: record.deadline.flatMap { try? LocalDate($0) }.map { $0 < today } ?? false,
            producesCertificate: guide.result.kind == .licence)
    }

    /// The actions the caller may take now, as buttons and as `allowedActions`: exactly those the
    /// transition would accept (policy, state machine and its guards, a complete form to submit,
    /// every blocking material to accept). An action that needs a reason is offered; the reason
    /// is asked for when it is taken.
    func allowedActions(_ record: CaseRecord, guide: ServiceGuide, checklist: MaterialChecklist) -> [CaseAction] {
        let facts = facts(record, guide: guide)
        return CaseLifecycle.actions(from: record.state).filter { action in
            guard !isPlatform, Self.permissions(action, record, guide: guide).contains(where: { Policy.allows(actor, $0, on: record.owner) }),
                (try? CaseLifecycle.next(record.state, action, facts: facts)) != nil
            else { return false }
            switch action {
            case .submit:
                guard let values = try? formValues(record) else { return false }
                return guide.form.check(values, today: today).isValid
            case .accept:
                return (try? checklist.checkAcceptable()) != nil
            default:
                return true
            }
        }
    }

    /// The case as the API and the pages show it. Pass the guide when it is already at hand.
    func view(_ record: CaseRecord, guide known: ServiceGuide? = nil) async throws -> CaseView {
        let guide: ServiceGuide
        if let known { guide = known } else { guide = try await self.guide(of: record, on: db) }
        // Staff who read the case see who acted; the applicant's side sees roles, not accounts.
        let namesStaff = Policy.allows(actor, .readCases, on: record.owner)
        let department = try await DepartmentRecord.query(on: db).filter(\.$creditCode == record.departmentCode).first()?.name
        let steps = try await CaseEventRecord.query(on: db).filter(\.$caseID == record.id!).sort(\.$at).all().map { event in
            CaseView.Step(
                at: event.at, action: event.action, actionName: CaseLifecycle.eventName(event.action),
                state: event.toState, stateName: CaseState(rawValue: event.toState)?.chineseName ?? event.toState,
                actor: namesStaff ? event.actor : CaseTimelineActor.label(account: event.actor, action: event.action, applicantID: record.applicantID),
                actorDepartment: CaseTimelineActor.isStaff(event.actor) ? department : nil,
                channel: event.channel, reason: event.reason)
        }
        let files = try await CaseMaterialRecord.query(on: db).filter(\.$caseID == record.id!).sort(\.$suppliedAt).all()
        let checklist = MaterialChecklist(guide: guide, supplied: Set(files.map(\.materialIndex)), commitment: record.commitmentSigned)
        let calendar = try await calendars.calendar(on: db, now: now)
        return CaseView(
            id: record.id!, number: record.number, state: record.state, stateName: record.state.chineseName,
            item: .init(code: record.itemCode, name: record.itemName), channel: record.channel, deadline: record.deadline,
            deadlineProvisional: record.deadlineProvisional, urgency: record.urgency(today: today, warnWithin: warnWithin, calendar: calendar),
            form: record.shownFormValues,
            materials: checklist.lines.map { line in
                CaseView.Material(
                    position: line.index + 1, name: line.name, required: line.required, heldByPlatform: line.heldByPlatform, deferrable: line.deferrable,
                    replacedByCommitment: line.replacedByCommitment, files: files.filter { $0.materialIndex == line.index }.map(Self.fileView))
            },
            missingMaterials: checklist.missingNames, deferredOutstanding: record.deferredOutstanding, deferredDue: record.deferredDue,
            commitmentSigned: record.commitmentSigned, commitmentCheckDue: record.commitmentCheckDue, greenChannel: record.greenChannel,
            assisted: record.assistedBy != nil, resultDocument: record.resultDocument, allowedActions: allowedActions(record, guide: guide, checklist: checklist),
            timeline: steps, createdAt: record.createdAt, updatedAt: record.updatedAt)
    }

    struct Summary: Content {
        var id: UUID
        var number: String?
        var state: CaseState
        var stateName: String
        var itemCode: String
        var itemName: String
        var deadline: String?
        /// green, yellow (within the warning threshold), red (overdue), suspended, or none (no clock running).
        var urgency: CaseUrgency
        var urgencyName: String
        var greenChannel: Bool
        var deferredOutstanding: Bool
        var channel: String
        var updatedAt: Date
    }

    struct Listing: Content {
        var cases: [Summary]
        var total: Int
        var page: Int
        var per: Int
    }

    /// An applicant's own cases (newest first), or a staff member's work queue in their scope
    /// (most urgent first: earliest deadline).
    func list(state: CaseState?, page: PageRequest) async throws -> Listing {
        let query = CaseRecord.query(on: db)
        if let state { query.filter(\.$stateRaw == state.rawValue) }
        switch actor {
        case .applicant(let applicant):
            try Policy.authorize(actor, .viewOwnCases, on: .applicant(applicant.principalID))
            query.filter(\.$applicantID == applicant.principalID).sort(\.$updatedAt, .descending)
        default:
            try Policy.authorizeSomewhere(actor, .readCases)
            if let scopes = Policy.scopes(for: actor, .readCases) {
                query.group(.or) { group in
                    for scope in scopes {
                        group.group(.and) { inner in
                            if let department = scope.departmentCreditCode { inner.filter(\.$departmentCode == department) }
                            if let region = scope.regionCode, let code = try? RegionCode(region) { inner.filter(\.$regionCode =~ code.subtreePrefix) }
                        }
                    }
                }
            }
            // The work queue: cases waiting for staff, in `CaseQueue` order (green channel, then
            // the earliest deadline), read from an index. A state filter also shows finished ones.
            if state == nil { query.filter(\.$queueOrder < CaseQueue.outOfQueue) }
            // An online draft is the applicant's alone; staff see the drafts begun at the window.
            if state == .draft { query.filter(\.$channel == "window") }
            query.sort(\.$queueOrder).sort(\.$createdAt)
        }
        let total = try await query.count()
        let records = try await query.range(page.offset..<(page.offset + page.per)).all()
        let calendar = try await calendars.calendar(on: db, now: now)
        let today = self.today
        return Listing(
            cases: records.map { record in
                let urgency = record.urgency(today: today, warnWithin: warnWithin, calendar: calendar)
                return Summary(
                    id: record.id!, number: record.number, state: record.state, stateName: record.state.chineseName, itemCode: record.itemCode,
                    itemName: record.itemName, deadline: record.deadline, urgency: urgency, urgencyName: urgency.chineseName,
                    greenChannel: record.greenChannel, deferredOutstanding: record.deferredOutstanding, channel: record.channel,
                    updatedAt: record.updatedAt)
            },
            total: total, page: page.page, per: page.per)
    }

    // MARK: The lifecycle

    func perform(_ action: CaseAction, reason: String?, on id: UUID, options: TransitionOptions = TransitionOptions()) async throws -> CaseRecord {
        let service = self
        let record = try await AuditTrail.writeTransaction(on: db) { tx in
            let (record, guide) = try await service.load(id, on: tx)
            try await service.transition(record, action, reason: reason, guide: guide, options: options, on: tx)
            return record
        }
        Self.count(action, reaching: record.state)
        return record
    }

    /// Counts, once committed, what operators watch: cases filed and decided.
    static func count(_ action: CaseAction, reaching state: CaseState) {
        switch action {
        case .submit: PlatformMetrics.shared.caseFiled()
        case .approve, .approveOnTimeout, .deny: PlatformMetrics.shared.caseDecided(state)
        case .accept where state == .approved: PlatformMetrics.shared.caseDecided(state)  // 即办件
        default: break
        }
    }

    struct TransitionOptions: Sendable {
        var greenChannel = false
        var resultDocument: String?
        /// A 即办件's approval, taken by the clerk at acceptance.
        var onTheSpot = false
    }

    /// The one place a case changes: policy, state machine, legal clock, materials, number,
    /// timeline, audit and notifications, all inside the caller's transaction.
    func transition(
        _ record: CaseRecord, _ action: CaseAction, reason rawReason: String?, guide: ServiceGuide, options: TransitionOptions = TransitionOptions(),
        on tx: any Database
    ) async throws {
        let permissions = Self.permissions(action, record, guide: guide, onTheSpot: options.onTheSpot)
        if permissions.isEmpty {
            guard isPlatform else { throw DomainError.forbidden("“\(action.chineseName)”只能由平台按规则自动执行。") }
        } else {
            guard !isPlatform else { throw DomainError.forbidden("平台只自动执行超时默认与归档。") }
            if !permissions.contains(where: { Policy.allows(actor, $0, on: record.owner) }) {
                try Policy.authorize(actor, permissions[0], on: record.owner)
            }
        }
        var reason = rawReason?.trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000).description
        if reason?.isEmpty == true { reason = nil }
        if action.needsReason && reason == nil {
            throw DomainError.invalid("case.reason_required", "“\(action.chineseName)”须说明理由，理由将告知申请人。", fields: [FieldError(field: "reason", message: "请填写理由。")])
        }
        if options.greenChannel && reason == nil {
            throw DomainError.invalid("case.reason_required", "走绿色通道须说明理由。", fields: [FieldError(field: "reason", message: "请填写绿色通道的理由。")])
        }
        let calendar = try await calendars.calendar(on: tx, now: now)
        let facts = facts(record, guide: guide)
        let from = record.state
        let to = try CaseLifecycle.next(from, action, facts: facts)

        var clock = record.clock
        switch action {
        case .submit:
            // A draft or a correction is complete only when the whole form is.
            let checked = guide.form.check(try formValues(record), today: today)
            guard checked.isValid else {
                throw DomainError.invalid("case.form_invalid", "申请表尚未填写完整：" + checked.problems.map(\.message).joined(), fields: checked.problems)
            }
        case .accept:
            let checklist = try await self.checklist(record, guide: guide, on: tx)
            try checklist.checkAcceptable()
            if !checklist.deferrable.isEmpty {
                // 容缺受理: accepted now, the named materials follow by a set day, no decision before.
                record.deferredOutstanding = true
                let days = guide.deferredMaterialDays ?? CaseVariants.defaultDeferredMaterialDays
                record.deferredDue = try DeadlineClock(acceptedOn: today, workingDays: days, calendar: calendar).deadline(calendar)?.date.description
                reason = [reason, "容缺受理，须于 \(record.deferredDue ?? "") 前补交：" + checklist.deferrable.map(\.name).joined(separator: "、")]
                    .compactMap { $0 }.joined(separator: "；")
            }
            if options.greenChannel {
                record.greenChannel = true
                record.greenChannelReason = reason
            }
            clock = try DeadlineClock(acceptedOn: today, workingDays: guide.promisedLimit, calendar: calendar)
            record.number = try await nextNumber(for: record, on: tx)
        case .requestCorrection:
            // 一次性告知: the notice names every missing material together with what the clerk wrote.
            let missing = try await checklist(record, guide: guide, on: tx).missingNames
            if !missing.isEmpty {
                let written = (reason ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "。；;，,. \n"))
                reason = written + "；缺少材料：" + missing.joined(separator: "、")
            }
        case .startSpecialProcedure:
            try clock?.suspend(on: today, reason: reason ?? "", calendar: calendar)
        case .endSpecialProcedure:
            try clock?.resume(on: today, calendar: calendar)
        case .approve, .approveOnTimeout:
            if record.commitmentSigned {
                // 告知承诺: approved on the commitment, checked afterwards.
                record.commitmentCheckDue = try DeadlineClock(acceptedOn: today, workingDays: CaseVariants.commitmentCheckWorkingDays, calendar: calendar)
                    .deadline(calendar)?.date.description
            }
            record.resultDocument = try Self.resultDocument(options.resultDocument) ?? record.resultDocument
        case .issueCertificate:
            record.resultDocument = try Self.resultDocument(options.resultDocument) ?? record.resultDocument ?? "\(record.number ?? record.id!.uuidString)-证"
        default:
            break
        }
        if let clock {
            record.clock = clock
            let deadline = try clock.deadline(calendar)
            // A deadline that moved (a special procedure ended) is watched afresh.
            if record.deadline != deadline?.date.description { record.alertLevel = "none" }
            record.deadline = deadline?.date.description
            record.deadlineProvisional = deadline?.provisional ?? false
        }
        record.state = to
        record.updatedAt = now
        record.refreshQueueOrder()
        try await record.save(on: tx)
        let event = CaseEventRecord(caseID: record.id!, at: now, actor: context.actor, channel: context.channel, action: action, from: from, to: to, reason: reason)
        try await event.create(on: tx)
        try await AuditTrail.append(
            context.entry(
                "case." + action.rawValue, subjectType: "case", subjectID: record.id!.uuidString, owner: record.owner,
                before: from.rawValue, after: to.rawValue + (reason.map { "：" + $0 } ?? ""), at: now),
            on: tx)
        let messages = Self.notifications(record, action: action, reason: reason, event: event.id!, at: now, channels: try await applicantChannels(record, on: tx))
        if !messages.isEmpty { try await messages.create(on: tx) }  // one multi-row insert
        if action == .accept && CaseVariants.decidedAtAcceptance(guide) && !record.deferredOutstanding {
            // 即办件: decided on the spot, in the same transaction as the acceptance (with 容缺
            // materials still to come, it waits for them like any other case).
            var immediate = options
            immediate.onTheSpot = true
            immediate.greenChannel = false
            var later = self
            later.now = now.addingTimeInterval(0.001)
            try await later.transition(record, .approve, reason: nil, guide: guide, options: immediate, on: tx)
        }
    }

    /// 延期: an approver extends the time limit once, with the reason told to the applicant. The
    /// deadline's move is recorded in the clock with its cause; alerts start over from the new date.
    func extendDeadline(_ id: UUID, workingDays: Int, reason rawReason: String?) async throws -> CaseRecord {
        let service = self
        return try await AuditTrail.writeTransaction(on: db) { tx in
            let (record, _) = try await service.load(id, on: tx)
            try Policy.authorize(service.actor, .decideCase, on: record.owner)
            try CaseVariants.checkExtension(workingDays: workingDays, state: record.state)
            let reason = (rawReason ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(2000).description
            guard !reason.isEmpty, var clock = record.clock else {
                throw DomainError.invalid("case.reason_required", "延期须说明理由，理由将告知申请人。", fields: [FieldError(field: "reason", message: "请填写理由。")])
            }
            let calendar = try await service.calendars.calendar(on: tx, now: service.now)
            try clock.extend(by: workingDays, on: service.today, reason: reason, approvedBy: service.context.actor, calendar: calendar)
            record.clock = clock
            let deadline = try clock.deadline(calendar)
            record.deadline = deadline?.date.description
            record.deadlineProvisional = deadline?.provisional ?? false
            record.alertLevel = "none"
            record.updatedAt = service.now
            record.refreshQueueOrder()
            try await record.save(on: tx)
            let text = "延长\(workingDays)个工作日，办理期限至 \(record.deadline ?? "")。理由：\(reason)"
            let event = CaseEventRecord(
                caseID: record.id!, at: service.now, actor: service.context.actor, channel: service.context.channel, action: CaseLifecycle.deadlineExtended,
                from: record.state, to: record.state, reason: text)
            try await event.create(on: tx)
            try await AuditTrail.append(
                service.context.entry("case.extendDeadline", subjectType: "case", subjectID: id.uuidString, owner: record.owner, after: text, at: service.now), on: tx)
            for channel in try await service.applicantChannels(record, on: tx) {
                try await OutboxRecord(
                    dedupeKey: "\(id.uuidString):\(event.id!.uuidString):\(channel)", caseID: id, recipient: "applicant:" + record.applicantID, channel: channel,
                    subject: "办件进度：延长办理期限", body: "您申报的“\(record.itemName)”" + text, at: service.now
                ).create(on: tx)
            }
            return record
        }
    }

    static func resultDocument(_ raw: String?) throws(DomainError) -> String? {
        guard let text = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        guard text.count <= 100, !text.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw .invalid("case.result_document", "结果文书编号不超过100个字符。", fields: [FieldError(field: "resultDocument", message: "编号过长或含有控制字符。")])
        }
        return text
    }

    /// 受理编号: region, day, and the day's running count in that region (unique; the write lock orders it).
    private func nextNumber(for record: CaseRecord, on tx: any Database) async throws -> String {
        let prefix = String(record.regionCode.prefix(6)) + today.description.replacingOccurrences(of: "-", with: "")
        let count = try await CaseRecord.query(on: tx).filter(\.$number =~ prefix).count()
        return prefix + String(format: "%05d", count + 1)
    }

    /// What the applicant is told, in their inbox and by SMS, for the steps that concern them; and
    /// the handling department, in its inbox, when its queue gains a case.
    /// The applicant's channels: the inbox and SMS always, e-mail when they gave an address.
    func applicantChannels(_ record: CaseRecord, on db: any Database) async throws -> [String] {
        guard let id = UUID(uuidString: record.applicantID),
            try await ApplicantRecord.query(on: db).filter(\.$id == id).filter(\.$emailSealed != nil).count() > 0
        else { return ["inbox", "sms"] }
        return ["inbox", "sms", "email"]
    }

    static func notifications(
        _ record: CaseRecord, action: CaseAction, reason: String?, event: UUID, at now: Date, channels: [String] = ["inbox", "sms"]
    ) -> [OutboxRecord] {
        var messages: [OutboxRecord] = []
        let staffText: String? =
            switch action {
            case .submit: "新的申报待受理：“\(record.itemName)”。"
            case .accept: "办件 \(record.number ?? "") “\(record.itemName)”已受理，待审查决定。"
            default: nil
            }
        if let staffText {
            messages.append(
                OutboxRecord(
                    dedupeKey: "\(record.id!.uuidString):\(event.uuidString):department", caseID: record.id, recipient: "department:" + record.departmentCode,
                    channel: "inbox", subject: "待办：\(action.chineseName)", body: staffText, at: now))
        }
        let text: String
        switch action {
        case .submit: text = "您申报的“\(record.itemName)”已提交，请留意受理结果。"
        case .accept: text = "您申报的“\(record.itemName)”已受理，受理编号 \(record.number ?? "")，办理期限至 \(record.deadline ?? "")。" + (record.deferredDue.map { "请于 \($0) 前补交容缺材料。" } ?? "")
        case .rejectAtAcceptance: text = "您申报的“\(record.itemName)”不予受理：\(reason ?? "")"
        case .requestCorrection: text = "您申报的“\(record.itemName)”需要补正：\(reason ?? "")。请一次性补齐后重新提交。"
        case .approve, .approveOnTimeout: text = "您申报的“\(record.itemName)”已准予许可。" + (record.commitmentCheckDue.map { "您已作出告知承诺，相关部门将于 \($0) 前核查。" } ?? "")
        case .deny: text = "您申报的“\(record.itemName)”不予许可：\(reason ?? "")。如不服，可在收到决定之日起六十日内依法申请行政复议，或在六个月内提起行政诉讼。"
        case .deliver: text = "您申报的“\(record.itemName)”办理结果已送达。"
        case .terminate: text = "您申报的“\(record.itemName)”已终止办理：\(reason ?? "")"
        default: return messages
        }
        return messages
            + channels.map { channel in
                OutboxRecord(
                    dedupeKey: "\(record.id!.uuidString):\(event.uuidString):\(channel)", caseID: record.id, recipient: "applicant:" + record.applicantID,
                    channel: channel, subject: "办件进度：\(action.chineseName)", body: text, at: now)
            }
    }
}
