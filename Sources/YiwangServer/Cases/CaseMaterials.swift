import Crypto
import Fluent
import NIOConcurrencyHelpers
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// One material given for a case: which of the item's materials it answers, and the file, named
/// by the SHA-256 of its content. The file itself lives in the material store, once per content.
final class CaseMaterialRecord: Model, @unchecked Sendable {
    static let schema = "case_materials"

    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    /// Whose file it is: the applicant of the case (reuse is offered only to them).
    @Field(key: "applicant_id") var applicantID: String
    /// Index into the materials of the case's catalog version.
    @Field(key: "material_index") var materialIndex: Int
    @Field(key: "material_name") var materialName: String
    @Field(key: "sha256") var sha256: String
    @Field(key: "size") var size: Int
    @Field(key: "file_type") var fileType: String
    @Field(key: "file_name") var fileName: String
    @Field(key: "supplied_by") var suppliedBy: String
    /// Given after acceptance, to complete a 容缺 case.
    @Field(key: "after_acceptance") var afterAcceptance: Bool
    /// Taken from an earlier case (材料复用) instead of uploaded again.
    @OptionalField(key: "reused_from") var reusedFrom: UUID?
    @Field(key: "supplied_at") var suppliedAt: Date

    init() {}

    var type: MaterialFileType { MaterialFileType(rawValue: fileType) ?? .pdf }
}

/// 0010: case materials, the case facts the variants need (容缺, 告知承诺, green channel, 代办),
/// and the queue order with the indexes that serve the work queue and the deadline watch.
struct CreateCaseMaterials: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CaseMaterialRecord.schema)
            .id()
            .field("case_id", .uuid, .required, .references(CaseRecord.schema, "id", onDelete: .cascade))
            .field("applicant_id", .string, .required)
            .field("material_index", .int, .required)
            .field("material_name", .string, .required)
            .field("sha256", .string, .required)
            .field("size", .int, .required)
            .field("file_type", .string, .required)
            .field("file_name", .string, .required)
            .field("supplied_by", .string, .required)
            .field("after_acceptance", .bool, .required)
            .field("reused_from", .uuid)
            .field("supplied_at", .datetime, .required)
            .create()
        // One column per statement: SQLite adds columns one at a time.
        let columns: [(String, DatabaseSchema.DataType, [DatabaseSchema.FieldConstraint])] = [
            ("green_channel", .bool, [.required, .sql(.default(false))]),
            ("green_channel_reason", .string, []),
            ("assisted_by", .string, []),
            ("commitment_signed", .bool, [.required, .sql(.default(false))]),
            ("commitment_check_due", .string, []),
            ("deferred_due", .string, []),
            ("result_document", .string, []),
            ("queue_order", .string, [.required, .sql(.default(CaseQueue.outOfQueue))]),
            ("approves_on_timeout", .bool, [.required, .sql(.default(false))]),
        ]
        for (name, type, constraints) in columns {
            try await database.schema(CaseRecord.schema)
                .field(.definition(name: .key(.string(name)), dataType: type, constraints: constraints)).update()
        }
        // Cases filed before this migration take their place in the queue and keep their item's 超时默认.
        for record in try await CaseRecord.query(on: database).all() {
            record.refreshQueueOrder()
            record.approvesOnTimeout = try await ItemVersionRecord.find(record.versionID, on: database)?.guide().approveOnTimeout ?? false
            try await record.save(on: database)
        }
        if let sql = database as? any SQLDatabase {
            try await sql.raw("CREATE INDEX case_materials_case ON case_materials (case_id, material_index)").run()
            try await sql.raw("CREATE INDEX case_materials_applicant ON case_materials (applicant_id, supplied_at)").run()
            try await sql.raw("CREATE INDEX case_materials_reuse ON case_materials (applicant_id, sha256)").run()
            // The staff queue and the deadline watch read only what they need, from these.
            // `id` too, so that counting a queue (COUNT of ids) never leaves the index.
            try await sql.raw("CREATE INDEX cases_department_queue ON cases (department_code, queue_order, id)").run()
            try await sql.raw("CREATE INDEX cases_region_queue ON cases (region_code, queue_order, id)").run()
            try await sql.raw("CREATE INDEX cases_deadline_watch ON cases (state, alert_level, deadline)").run()
            try await sql.raw("CREATE INDEX cases_timeout_watch ON cases (approves_on_timeout, alert_level, deadline)").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CaseMaterialRecord.schema).delete()
        for name in ["green_channel", "green_channel_reason", "assisted_by", "commitment_signed", "commitment_check_due", "deferred_due", "result_document", "queue_order", "approves_on_timeout"] {
            try await database.schema(CaseRecord.schema).deleteField(.string(name)).update()
        }
    }
}

/// Material files on disk, one file per content, named by its SHA-256 and sealed with the data
/// key (scans of ID cards are personal data). A file is written and synced before the database
/// row that names it commits, so an acknowledged material is always readable after a crash; a
/// crash in between leaves only an unreferenced file.
struct MaterialStore: Sendable {
    let root: String
    let keys: KeyRing

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hex }

    func path(_ sha256: String) -> String { root + "/" + sha256.prefix(2) + "/" + sha256 }

    func exists(_ sha256: String) -> Bool { FileManager.default.fileExists(atPath: path(sha256)) }

    /// Stores the bytes (once per content) and answers their hash and whether this call wrote
    /// the file (a refused upload removes only a file it wrote).
    @discardableResult
    func put(_ bytes: [UInt8]) throws -> (sha256: String, written: Bool) {
        let hash = Self.sha256(bytes)
        guard !exists(hash) else { return (hash, false) }
        try write(keys.seal(bytes: bytes), as: hash)
        return (hash, true)
    }

    /// Removes a file no row names (after its upload was refused).
    func remove(_ sha256: String) {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit) else { return }
        unlink(path(sha256))
    }

    /// Re-seals a file under the current data key (after a key rotation); answers whether it had to.
    func reseal(_ sha256: String) throws -> Bool {
        guard let data = FileManager.default.contents(atPath: path(sha256)) else { return false }
        let sealed = Array(data)
        guard sealed.count > 5 else { return false }
        let idLength = Int(sealed[4])
        guard sealed.count > 5 + idLength, String(decoding: sealed[5..<(5 + idLength)], as: UTF8.self) != keys.currentKeyID else { return false }
        try write(keys.seal(bytes: try keys.open(bytes: sealed)), as: sha256)
        return true
    }

    /// Writes a new file beside the target, syncs it, renames it into place and syncs the
    /// directory; any failure leaves no partial file and answers in Chinese.
    private func write(_ sealed: [UInt8], as hash: String) throws {
        let directory = root + "/" + hash.prefix(2)
        let temporary = directory + "/." + hash + "." + UUID().uuidString
        let failed = DomainError(.conflict, code: "material.store_failed", message: "材料暂时无法保存，请稍后重试。")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
                let handle = FileHandle(forWritingAtPath: temporary)
            else { throw failed }
            defer { try? handle.close() }
            try handle.write(contentsOf: sealed)
            try handle.synchronize()
        } catch {
            unlink(temporary)
            throw failed
        }
        guard rename(temporary, path(hash)) == 0 else {
            unlink(temporary)
            throw failed
        }
        // The rename itself must reach the disk before the database says the file exists.
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Reads a file back, checking that it is still what its name says.
    func get(_ sha256: String) throws -> [UInt8] {
        guard sha256.count == 64, sha256.allSatisfy(\.isHexDigit), let data = FileManager.default.contents(atPath: path(sha256)) else {
            throw DomainError.notFound("material.file_missing", "材料文件不存在。")
        }
        let bytes = try keys.open(bytes: Array(data))
        guard Self.sha256(bytes) == sha256 else {
            throw DomainError.conflict("material.file_corrupt", "材料文件已损坏，请联系管理员。")
        }
        return bytes
    }
}

/// Hashes being uploaded in this process right now: a refused upload removes its new file only
/// when no other upload of the same content is under way (it could commit a row naming it).
enum UploadsInFlight {
    private static let counts = NIOLockedValueBox<[String: Int]>([:])

    static func pin(_ sha256: String) { counts.withLockedValue { $0[sha256, default: 0] += 1 } }

    /// Unpins; true when this was the last upload of that content in flight.
    static func unpin(_ sha256: String) -> Bool {
        counts.withLockedValue { counts in
            let left = (counts[sha256] ?? 1) - 1
            counts[sha256] = left > 0 ? left : nil
            return left <= 0
        }
    }
}

extension Application {
    var materialStore: MaterialStore {
        get throws { MaterialStore(root: settings.materialsDirectory, keys: try keyRing) }
    }
}
