import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import YiwangCore

/// The append-only file of signed checkpoints beside the database (`audit-checkpoints.jsonl` in
/// the data folder): one JSON object a line, written with O_APPEND and synced. It lives outside
/// the database so that whoever can rewrite the tables cannot also make the chain's end look
/// untouched; outside witnesses copy the same lines from `GET /api/v1/audit/checkpoints`.
struct AuditCheckpointFile: Sendable {
    let path: String

    /// One writer per process; instances on one PostgreSQL each keep their own file.
    private static let writing = NIOLock()

    struct Line: Codable {
        var kind: String
        var sequence: Int64
        var hash: String
        var at: Int64
        var signature: String
        var previous: String?

        init(_ checkpoint: AuditCheckpoint) {
            kind = checkpoint.kind.rawValue
            sequence = checkpoint.sequence
            hash = checkpoint.hash
            at = checkpoint.atMilliseconds
            signature = checkpoint.signature
            previous = checkpoint.previous
        }

        /// A line that does not parse is kept as a forged checkpoint, so that the verifier names it.
        var checkpoint: AuditCheckpoint {
            AuditCheckpoint(
                kind: AuditCheckpoint.Kind(rawValue: kind) ?? .checkpoint, sequence: sequence, hash: hash, atMilliseconds: at, signature: signature,
                previous: previous ?? "")
        }
    }

    /// The checkpoints, oldest first, after `sequence` (at most `limit`).
    func all(after sequence: Int64 = -1, limit: Int = .max) throws -> [AuditCheckpoint] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var out: [AuditCheckpoint] = []
        for line in Self.completeLines(data) {
            let checkpoint = Self.parse(Data(line))
            if checkpoint.sequence > sequence || checkpoint.kind == .restore {
                out.append(checkpoint)
                if out.count >= limit { break }
            }
        }
        return out
    }

    /// The last checkpoint, read from the file's end (the file grows by a line a minute at most).
    func latest() throws -> AuditCheckpoint? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        let window: UInt64 = 8192
        try handle.seek(toOffset: size > window ? size - window : 0)
        guard let tail = try handle.readToEnd() else { return nil }
        guard let last = Self.completeLines(tail).last else { return nil }
        return Self.parse(Data(last))
    }

    /// The lines that were written whole: a line cut short by a crash or a full disk (no newline
    /// yet) is not a checkpoint, and the next append starts on a line of its own.
    static func completeLines(_ data: Data) -> [Data.SubSequence] {
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if data.last != UInt8(ascii: "\n"), !lines.isEmpty { lines.removeLast() }
        return lines.filter { !$0.isEmpty }
    }

    static func parse(_ line: Data) -> AuditCheckpoint {
        (try? JSONDecoder().decode(Line.self, from: line))?.checkpoint
            ?? AuditCheckpoint(kind: .checkpoint, sequence: 0, hash: "", atMilliseconds: 0, signature: "unreadable")
    }

    /// Appends one line and syncs it to disk before returning.
    func append(_ checkpoint: AuditCheckpoint) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = try encoder.encode(Line(checkpoint))
        bytes.append(UInt8(ascii: "\n"))
        try Self.writing.withLock {
            // After a torn last line, this one starts on a line of its own.
            if let handle = FileHandle(forReadingAtPath: path) {
                defer { try? handle.close() }
                if let size = try? handle.seekToEnd(), size > 0 {
                    try? handle.seek(toOffset: size - 1)
                    if let last = try? handle.read(upToCount: 1), last.first != UInt8(ascii: "\n") { bytes.insert(UInt8(ascii: "\n"), at: 0) }
                }
            }
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o600)
            guard fd >= 0 else { throw CheckpointError(message: "无法打开检查点文件 \(path)：errno \(errno)") }
            defer { close(fd) }
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else { throw CheckpointError(message: "无法写入检查点文件 \(path)") }
        }
    }

    struct CheckpointError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

extension AuditTrail {
    enum CheckpointOutcome: Equatable {
        case written(AuditCheckpoint)
        case unchanged
        /// The chain no longer extends the last checkpoint (or its head is forged): nothing is
        /// written, so a checkpoint can never bless a shortened chain.
        case refused(String)
    }

    /// Records the head as a checkpoint when it moved since the last one, after checking that the
    /// chain still extends that checkpoint and that the head's seal is genuine.
    @discardableResult
    static func recordCheckpoint(on db: any Database, file: AuditCheckpointFile, at now: Date, kind: AuditCheckpoint.Kind = .checkpoint) async throws -> CheckpointOutcome {
        let chain = try chain()
        let head = try await readHead(db)
        guard chain.isGenuineHead(sequence: head.sequence, hash: head.hash, seal: head.seal) else {
            return .refused("链头密封值不符，未写入检查点。")
        }
        let latest = try file.latest()
        if kind == .checkpoint, let latest {
            guard chain.isGenuine(latest) else { return .refused("最近的检查点签名不符，未写入新的检查点。") }
            if latest.sequence == head.sequence, latest.hash == head.hash { return .unchanged }
            let hashThen = latest.sequence == 0 ? nil : try await hash(at: latest.sequence, on: db)
            guard latest.admits(headSequence: head.sequence, hashThen: hashThen) else {
                return .refused("留痕链未接续最近的检查点(第\(latest.sequence)条)，未写入新的检查点。")
            }
        } else if kind == .checkpoint, head.sequence == 0 {
            return .unchanged
        } else if kind == .checkpoint {
            // No file for a chain that has links: a first start with checkpoints, or a file
            // deleted. Only outside witnesses can tell which; say so where operators look.
            Logger(label: "yiwang.audit").warning("starting a new audit checkpoint file at sequence \(head.sequence): \(file.path) was missing")
        }
        let checkpoint = chain.checkpoint(kind, sequence: head.sequence, hash: head.hash, at: now, after: latest)
        try file.append(checkpoint)
        return .written(checkpoint)
    }

    private static func hash(at sequence: Int64, on db: any Database) async throws -> String? {
        guard let sql = db as? any SQLDatabase else { return nil }
        struct Row: Decodable { var hash: String }
        return try await sql.select().column("hash").from(AuditEventRecord.schema).where("sequence", .equal, sequence).first(decoding: Row.self)?.hash
    }
}

extension Application {
    /// This instance's checkpoint file (`YIWANG_AUDIT_CHECKPOINTS`, default in the data folder).
    var auditCheckpoints: AuditCheckpointFile { AuditCheckpointFile(path: settings.auditCheckpointPath) }

    /// Writes a checkpoint if the head moved; a refusal is logged loudly (it means tampering).
    func checkpointAudit() async {
        do {
            let outcome = try await AuditTrail.recordCheckpoint(on: db, file: auditCheckpoints, at: timeSource.now())
            if case .refused(let reason) = outcome { logger.critical("audit checkpoint refused: \(reason)") }
        } catch {
            logger.error("audit checkpoint failed: \(error)")
        }
    }
}

/// `GET /api/v1/audit/checkpoints?after=N`: the signed checkpoints, for an outside witness to copy
/// and compare later (the supervisors' and system administrators' tokens).
enum AuditCheckpointController {
    struct Checkpoints: Content {
        var checkpoints: [Entry]
    }

    struct Entry: Content {
        var kind: String
        var sequence: Int64
        var hash: String
        var at: Date
        var signature: String
    }

    @Sendable static func list(_ request: Request) async throws -> Checkpoints {
        try request.authorize(.viewAudit)
        let after = try request.query.get(Int64?.self, at: "after") ?? -1
        let entries = try request.application.auditCheckpoints.all(after: after, limit: 1000)
        return Checkpoints(checkpoints: entries.map {
            Entry(kind: $0.kind.rawValue, sequence: $0.sequence, hash: $0.hash, at: Date(timeIntervalSince1970: Double($0.atMilliseconds) / 1000), signature: $0.signature)
        })
    }
}
