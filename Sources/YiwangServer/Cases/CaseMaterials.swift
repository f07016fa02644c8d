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
    /// Given as an electronic licence from the applicant's wallet (免证办), not as a file.
    @OptionalField(key: "licence_identifier") var licenceIdentifier: String?
    @Field(key: "supplied_at") var suppliedAt: Date

    init() {}

    var type: MaterialFileType { MaterialFileType(rawValue: fileType) ?? .pdf }
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

/// Hashes being uploaded in this process right now. Pinning a hash and removing a refused
/// upload's file happen under one lock, so an upload of the same content either pins it before
/// the removal (and the file stays) or finds it gone and writes it again; it never commits a row
/// naming a file that was removed under it. (Instances sharing a materials folder each keep
/// their own pins; a refused upload there may leave its file, never remove another's.)
enum UploadsInFlight {
    private struct State {
        var pins: [String: Int] = [:]
        /// Bumped by every pin of any content, so a removal can tell that some upload began
        /// since it looked (it then keeps the file: an unneeded file is harmless, a missing one is not).
        var generation = 0
    }

    private static let state = NIOLockedValueBox(State())

    static func pin(_ sha256: String) {
        state.withLockedValue {
            $0.pins[sha256, default: 0] += 1
            $0.generation &+= 1
        }
    }

    static func unpin(_ sha256: String) {
        state.withLockedValue {
            let left = ($0.pins[sha256] ?? 1) - 1
            $0.pins[sha256] = left > 0 ? left : nil
        }
    }

    /// Taken before looking whether any row names the file: nil while another upload of the
    /// content is in flight (the file must stay).
    static func ticket(_ sha256: String) -> Int? {
        state.withLockedValue { $0.pins[sha256] == nil ? $0.generation : nil }
    }

    /// Runs `remove` only if no upload began since `ticket` was taken.
    static func remove(_ sha256: String, ticket: Int, _ remove: () -> Void) {
        state.withLockedValue {
            if $0.pins[sha256] == nil, $0.generation == ticket { remove() }
        }
    }
}

extension Application {
    var materialStore: MaterialStore {
        get throws { MaterialStore(root: settings.materialsDirectory, keys: try keyRing) }
    }
}
