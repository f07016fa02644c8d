import Fluent
import FluentSQLiteDriver
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// `yiwang backup --output FILE`: a consistent copy of the SQLite database while the platform
/// serves. `VACUUM INTO` reads one snapshot (WAL readers never block the writer, and the writer
/// never blocks them) and writes a compact, self-contained database file; it gives the online
/// backup API's guarantee in one statement that runs through the driver. Material files are
/// content-addressed and written before the rows that name them, so copying the materials folder
/// after the backup completes gives every file the backup names. On PostgreSQL, use the
/// engine's own tools (see docs/operations.md).
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "output", short: "o", help: "The file to write (must not exist)") var output: String?
    }

    var help: String { "Writes a consistent backup of the SQLite database, safe while serving." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard case .sqliteFile = app.settings.database else {
            context.console.error(Backups.postgresAdvice)
            throw ExitCode(2)
        }
        guard let output = signature.output, !output.isEmpty else {
            context.console.error("请用 --output 指定备份文件，例如：yiwang backup --output /backups/yiwang-2026-12-04.sqlite")
            throw ExitCode(2)
        }
        guard !FileManager.default.fileExists(atPath: output) else {
            context.console.error("备份文件 \(output) 已存在，请换一个文件名(备份从不覆盖已有文件)。")
            throw ExitCode(2)
        }
        try await migrateAndPrepare(app)
        guard let sql = app.db as? any SQLDatabase else { throw ExitCode(2) }
        let started = ContinuousClock.now
        try await sql.raw("VACUUM INTO \(bind: output)").run()
        let head = try await Backups.head(ofFile: output, app: app)
        let seconds = (ContinuousClock.now - started).seconds
        context.console.print("备份完成：\(output)，留痕链至第 \(head) 条，用时 \(String(format: "%.1f", seconds)) 秒。")
        context.console.print("请同时复制材料文件夹 \(app.settings.materialsDirectory)(文件只增不改)，并妥善保管数据密钥：没有密钥，备份无法打开。")
    }
}

/// `yiwang restore FILE`: replaces the SQLite database with a backup, after checking the backup
/// is a sound database whose audit chain verifies under this platform's keys. Refused while
/// `serve` runs on the same data folder. The database it replaces is kept beside it; the restore
/// is itself recorded in the trail and in the checkpoint file.
struct RestoreCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "The backup file written by `yiwang backup`") var file: String
    }

    var help: String { "Restores the SQLite database from a backup (the server must be stopped)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard case .sqliteFile(let target) = app.settings.database else {
            context.console.error(Backups.postgresAdvice)
            throw ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: signature.file) else {
            context.console.error("找不到备份文件 \(signature.file)。")
            throw ExitCode(2)
        }
        guard let lock = ServeLock.tryAcquire(dataDirectory: app.settings.dataDirectory) else {
            context.console.error("平台正在使用该数据目录运行，请先停止服务再恢复。")
            throw ExitCode(2)
        }
        defer { lock.release() }
        // Checked on a copy: the backup file itself is never changed.
        let staged = target + ".restoring"
        try? FileManager.default.removeItem(atPath: staged)
        try FileManager.default.copyItem(atPath: signature.file, toPath: staged)
        let verification = try await Backups.check(file: staged, app: app)
        guard verification.intact else {
            try? FileManager.default.removeItem(atPath: staged)
            context.console.error("备份未通过核验，未作任何更改：" + verification.message)
            throw ExitCode(1)
        }
        let kept = target + ".before-restore-" + Backups.stamp(app.timeSource.now())
        let hadDatabase = FileManager.default.fileExists(atPath: target)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: target + suffix) {
            try FileManager.default.moveItem(atPath: target + suffix, toPath: kept + suffix)
        }
        let keptNote = hadDatabase ? "原数据库保存在 \(kept)。" : "此前没有数据库。"
        guard rename(staged, target) == 0 else {
            context.console.error("无法替换数据库文件 \(target)。" + keptNote)
            throw ExitCode(1)
        }
        Backups.syncDirectory(of: target)
        try await migrateAndPrepare(app)
        let now = app.timeSource.now()
        try await AuditTrail.append(
            AuditContext.system("system:cli", channel: "cli").entry(
                "audit.restored", subjectType: "database", subjectID: "sqlite",
                after: "restored from \((signature.file as NSString).lastPathComponent), chain at \(verification.headSequence)", at: now),
            on: app.db)
        let outcome = try await AuditTrail.recordCheckpoint(on: app.db, file: app.auditCheckpoints, at: now, kind: .restore)
        context.console.print("已从 \(signature.file) 恢复：留痕链核验完整(第 \(verification.headSequence) 条)，恢复操作已记入留痕。" + keptNote)
        if case .written(let checkpoint) = outcome {
            context.console.print("检查点文件已记下这次恢复(第 \(checkpoint.sequence) 条)：此前更长的检查点不再作为截短的证据。")
        }
    }
}

enum Backups {
    static let postgresAdvice = """
        PostgreSQL 请使用数据库自身的工具：pg_dump --format=custom(借助 MVCC 在服务运行时取得一致快照)做逻辑备份，\
        pg_restore 恢复到空库；需要按时间点恢复时，用 pg_basebackup 加 WAL 归档。恢复后运行 yiwang verify-audit 核验留痕链。
        """

    /// The head sequence recorded in a database file.
    static func head(ofFile path: String, app: Application) async throws -> Int64 {
        try await withDatabase(path, app: app) { db in try await AuditTrail.readHead(db).sequence }
    }

    /// Integrity and the audit chain of a database file, under this platform's keys.
    static func check(file path: String, app: Application) async throws -> AuditTrail.Verification {
        try await withDatabase(path, app: app) { db in
            guard let sql = db as? any SQLDatabase else { throw ExitCode(2) }
            struct Integrity: Decodable { var integrity_check: String }
            let integrity = try await sql.raw("PRAGMA integrity_check").all(decoding: Integrity.self).map(\.integrity_check)
            guard integrity == ["ok"] else {
                return AuditTrail.Verification(
                    intact: false, checked: 0, headSequence: 0, firstBreak: nil, message: "数据库文件损坏：" + integrity.prefix(3).joined(separator: "；"), checkpoint: nil)
            }
            return try await AuditTrail.verify(on: db)
        }
    }

    private static func withDatabase<T>(_ path: String, app: Application, _ body: (any Database) async throws -> T) async throws -> T {
        let id = DatabaseID(string: "backup-\(UUID().uuidString)")
        app.databases.use(.sqlite(.file(path)), as: id, isDefault: false)
        guard let db = app.databases.database(id, logger: app.logger, on: app.eventLoopGroup.any()) else { throw ExitCode(2) }
        // The file's connections close before anything moves it (the staged copy becomes the database).
        defer { app.databases.reinitialize(id) }
        return try await body(db)
    }

    static func stamp(_ date: Date) -> String {
        let c = ChinaTime.calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d-%02d%02d%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    static func syncDirectory(of path: String) {
        let descriptor = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }
}

/// An advisory lock on the data folder held by `serve` for as long as it runs, so that `restore`
/// cannot swap the database from under a running server.
final class ServeLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    static func tryAcquire(dataDirectory: String) -> ServeLock? {
        try? FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let descriptor = open(dataDirectory + "/serve.lock", O_RDWR | O_CREAT, 0o600)
        guard descriptor >= 0 else { return nil }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return ServeLock(descriptor: descriptor)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Held by `serve` until the process ends.
    nonisolated(unsafe) static var held: ServeLock?
}
