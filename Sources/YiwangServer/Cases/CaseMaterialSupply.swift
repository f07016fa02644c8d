import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Materials given for a case: uploads and reuse, the quota, the files and who may read them.
extension CaseService {
    // MARK: Materials

    /// The index (from 0) of the material at `position` (from 1), refused when the item has no
    /// such material or the platform fetches it itself.
    /// `fromWallet`: a licence from the applicant's wallet may stand for a material the platform
    /// fetches itself (电子证照调取): the applicant confirms which licence, the clerk sees it verified.
    static func materialIndex(position: Int, in guide: ServiceGuide, fromWallet: Bool = false) throws(DomainError) -> Int {
        guard position >= 1, position <= guide.materials.count else {
            throw .invalid(
                "material.index", "该事项的材料序号应为1到\(guide.materials.count)之间的整数。", fields: [FieldError(field: "material", message: "材料序号不正确。")])
        }
        let index = position - 1
        guard fromWallet || !guide.materials[index].source.isHeldByPlatform else {
            throw .conflict("material.held_by_platform", "“\(guide.materials[index].name)”由平台通过电子证照或数据共享获取，无需提交。")
        }
        return index
    }

    /// Files this applicant gave before, by hash; a hash they never gave is refused, so nobody
    /// can attach someone else's file by guessing its hash.
    func reusableFiles(_ hashes: [String], applicantID: String, on db: any Database) async throws -> [String: CaseMaterialRecord] {
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
    func authorizeFiling(_ record: CaseRecord) throws {
        if !Policy.mayFile(actor, case: record.subject) { try Policy.authorize(actor, .applyForService, on: record.owner) }
    }

    /// Gives a material for a case: a new upload (checked by content, stored once by hash before
    /// the row that names it commits) or a file the applicant gave before. Every refusal comes
    /// before the file reaches the disk; a file written for an upload the transaction then
    /// refuses is removed again.
    func supplyMaterial(_ id: UUID, position: Int, upload: [UInt8]?, fileName: String?, reuse: String?) async throws -> CaseMaterialRecord {
        let (current, guide) = try await load(id, on: db)
        let index = try await checkSupply(current, position: position, guide: guide, on: db)
        let service = self
        return try await storing(upload, fileName: fileName, applicantID: current.applicantID) { uploaded in
            try await AuditTrail.writeTransaction(on: service.db) { tx in
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
                    file = StoredUpload(sha256: earlier.sha256, size: earlier.size, type: earlier.type, name: earlier.fileName)
                    reusedFrom = earlier.id
                }
                guard let file else { throw DomainError.invalid("material.missing_file", "请选择要上传的文件，或选择一份以前提交过的材料。") }
                return try await service.attach(
                    record, index: index, guide: guide, sha256: file.sha256, size: file.size, type: file.type, fileName: file.name,
                    reusedFrom: reusedFrom, on: tx)
            }
        }
    }

    /// A file as the store holds it.
    struct StoredUpload: Sendable {
        var sha256: String
        var size: Int
        var type: MaterialFileType
        var name: String
    }

    /// Stores an upload (checked by content, within the applicant's quota) before `body` writes
    /// the rows that name it; every refusal comes before the file reaches the disk, and a file
    /// written for an upload that `body` then refuses is removed again. Without an upload, `body`
    /// runs with nil.
    func storing<T: Sendable>(
        _ upload: [UInt8]?, fileName: String?, applicantID: String, _ body: @Sendable (StoredUpload?) async throws -> T
    ) async throws -> T {
        var stored: StoredUpload?
        var written = false
        if let upload {
            let type = try MaterialFile.check(upload)
            let sha256 = MaterialStore.sha256(upload)
            try await checkQuota(applicantID: applicantID, adding: sha256, size: upload.count, on: db)
            UploadsInFlight.pin(sha256)
            do {
                written = try materialStore.put(upload).written
            } catch {
                UploadsInFlight.unpin(sha256)
                throw error
            }
            stored = StoredUpload(sha256: sha256, size: upload.count, type: type, name: MaterialFile.displayName(fileName, type: type))
        }
        do {
            let result = try await body(stored)
            if let stored { UploadsInFlight.unpin(stored.sha256) }
            return result
        } catch {
            if let stored {
                UploadsInFlight.unpin(stored.sha256)
                // Removed only if no row names it and no upload of the same content began since.
                if written, let ticket = UploadsInFlight.ticket(stored.sha256),
                    try await CaseMaterialRecord.query(on: db).filter(\.$sha256 == stored.sha256).count() == 0
                {
                    let store = try materialStore
                    UploadsInFlight.remove(stored.sha256, ticket: ticket) { store.remove(stored.sha256) }
                }
            }
            throw error
        }
    }

    /// Whether this caller may give the material at `position` now; answers its index.
    func checkSupply(_ record: CaseRecord, position: Int, guide: ServiceGuide, fromWallet: Bool = false, on db: any Database) async throws -> Int {
        try authorizeFiling(record)
        let index = try Self.materialIndex(position: position, in: guide, fromWallet: fromWallet)
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
    func checkQuota(applicantID: String, adding sha256: String, size: Int, on db: any Database) async throws {
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
    func attach(
        _ record: CaseRecord, index: Int, guide: ServiceGuide, sha256: String, size: Int, type: MaterialFileType, fileName: String,
        reusedFrom: UUID?, licence: String? = nil, on tx: any Database
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
        material.licenceIdentifier = licence
        material.suppliedAt = now
        try await material.create(on: tx)
        try await AuditTrail.append(
            context.entry(
                licence != nil ? "case.materialLicence" : (reusedFrom == nil ? "case.material" : "case.materialReuse"), subjectType: "case", subjectID: record.id!.uuidString, owner: record.owner,
                after: "\(index + 1):\(material.materialName):\(sha256.prefix(16))", at: now),
            on: tx)
        try await CaseEventRecord(
            caseID: record.id!, at: now, actor: context.actor, channel: context.channel,
            action: reusedFrom == nil ? CaseLifecycle.materialSupplied : CaseLifecycle.materialReused,
            from: record.state, to: record.state,
            reason: "第\(index + 1)项“\(material.materialName)”" + (licence.map { "：使用电子证照(已核验签章) " + $0 } ?? "")
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

    /// `also`: indexes counted as given without a file (a bundle's task whose material an
    /// earlier task's result supplies).
    func checklist(_ record: CaseRecord, guide: ServiceGuide, also: Set<Int>? = nil, on db: any Database) async throws -> MaterialChecklist {
        guard let id = record.id else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        let supplied = try await CaseMaterialRecord.query(on: db).filter(\.$caseID == id).all(\.$materialIndex)
        // A bundle's task counts what an earlier task's result supplies, at every step, not only at acceptance.
        var produced = also ?? []
        if also == nil, record.bundleApplicationID != nil { produced = try await BundleService.produced(for: record, on: db) }
        return MaterialChecklist(guide: guide, supplied: Set(supplied).union(produced), commitment: record.commitmentSigned)
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
        // A licence given from the wallet is its signed document, not a stored file.
        let bytes = try await licenceDocument(material) ?? materialStore.get(material.sha256)
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
            reused: file.reusedFrom != nil, afterAcceptance: file.afterAcceptance, licence: file.licenceIdentifier)
    }

    /// The signed document of a material given as a licence, as JSON.
    func licenceDocument(_ material: CaseMaterialRecord) async throws -> [UInt8]? {
        guard let identifier = material.licenceIdentifier,
            let licence = try await LicenceRecord.query(on: db).filter(\.$identifier == identifier).first()
        else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(try licence.document(keys)))
    }
}
