import ConsoleKit
import Fluent
import Foundation
import Vapor
import YiwangCore

func registerCommands(_ app: Application) {
    app.asyncCommands.use(MigrateNowCommand(), as: "migrate")
    app.asyncCommands.use(SeedCommand(), as: "seed")
    app.asyncCommands.use(ExportCommand(), as: "export")
    app.asyncCommands.use(ImportCommand(), as: "import")
    app.asyncCommands.use(LintCatalogCommand(), as: "lint-catalog")
    app.asyncCommands.use(BenchCommand(), as: "bench")
    app.asyncCommands.use(StatisticsCommand(), as: "statistics")
    app.asyncCommands.use(CaseBenchCommand(), as: "bench-cases")
    app.asyncCommands.use(BundleBenchCommand(), as: "bench-bundles")
    app.asyncCommands.use(StatisticsBenchCommand(), as: "bench-statistics")
    app.asyncCommands.use(UserCommand(), as: "user")
    app.asyncCommands.use(VerifyAuditCommand(), as: "verify-audit")
    app.asyncCommands.use(RotateKeysCommand(), as: "rotate-keys")
    app.asyncCommands.use(CalendarCommand(), as: "calendar")
    app.asyncCommands.use(BackupCommand(), as: "backup")
    app.asyncCommands.use(RestoreCommand(), as: "restore")
    app.asyncCommands.use(GenerateCatalogCommand(), as: "generate-catalog")
    app.asyncCommands.use(SealCommand(), as: "seal")
    app.asyncCommands.use(LicenceCommand(), as: "licence")
    app.asyncCommands.use(RegistryCommand(), as: "registry")
}

/// Prepares the database for any command: migrations, then WAL on SQLite.
func migrateAndPrepare(_ app: Application) async throws {
    try await app.autoMigrate()
    try await prepareDatabase(app)
}

/// `yiwang migrate`: applies pending migrations without asking.
struct MigrateNowCommand: AsyncCommand {
    struct Signature: CommandSignature {}
    var help: String { "Applies every pending migration." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try await migrateAndPrepare(context.application)
        context.console.print("数据库迁移完成。")
    }
}

/// `yiwang seed --demo`: loads the demo city (only into an empty catalog unless --force).
struct SeedCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "demo", help: "Load the demo city and its staff accounts.")
        var demo: Bool
    }

    var help: String { "Loads seed data (--demo: the demo city)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.demo else {
            context.console.error("请指定要载入的数据，例如：yiwang seed --demo")
            throw ExitCode(2)
        }
        let app = context.application
        if app.settings.production {
            context.console.error("生产模式(YIWANG_ENV=production)不能载入演示城市及其公开密码的演示账号。")
            throw ExitCode(2)
        }
        try await migrateAndPrepare(app)
        let (report, staff) = try await DemoCity.seed(app)
        printSeed(report: report, staff: staff, password: app.settings.demoPassword, console: context.console)
    }
}

func printSeed(report: ImportReport, staff: [DemoCity.StaffSeed], password: String, console: any Console, applicants: Bool = true) {
    console.print("演示城市已载入：区划 \(report.regions) 个，实施机构 \(report.departments) 个，主题 \(report.lifeEvents) 个，"
        + "事项 \(report.created + report.updated) 个(已发布 \(report.published)，草稿 \(report.drafts))。")
    console.print("演示工作人员账号(密码均为 \(password)，仅供演示)：")
    for seed in staff {
        let roles = seed.grants.map { $0.role.chineseName }.joined(separator: "、")
        console.print("  \(seed.account)\t\(roles)\t\(seed.displayName)")
    }
    guard applicants else { return }
    console.print("演示申请人账号(密码同上；号码均为虚构且通过校验)：")
    for seed in DemoCity.applicantSeeds {
        console.print("  \(seed.account)\t\(seed.name)\t\(seed.note)")
    }
}

public struct ExitCode: Error, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { "exit \(code)" }
}

/// `yiwang export [--format json|csv] [--output FILE] [--include-drafts]`.
struct ExportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "format", help: "json (default) or csv") var format: String?
        @Option(name: "output", short: "o", help: "File to write; standard output when absent") var output: String?
        @Flag(name: "include-drafts", help: "Also export the newest unpublished version of each item") var includeDrafts: Bool
    }

    var help: String { "Exports the catalog as JSON or CSV." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let exchange = CatalogExchange(db: app.db, now: app.timeSource.now(), settings: app.settings, attribution: "system:cli")
        let document = try await exchange.exportDocument(includeDrafts: signature.includeDrafts, scopes: nil)
        let data: Data
        switch (signature.format ?? "json").lowercased() {
        case "json":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            data = try encoder.encode(document)
        case "csv":
            data = Data(try CatalogCSV.encode(document.items).utf8)
        default:
            context.console.error("导出格式应为 json 或 csv。")
            throw ExitCode(2)
        }
        if let output = signature.output {
            try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            context.console.print("已导出 \(document.items.count) 个事项到 \(output)。")
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

/// `yiwang import FILE [--format json|csv]`: all or nothing.
struct ImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "The JSON or CSV file to import") var file: String
        @Option(name: "format", help: "json or csv; guessed from the file name when absent") var format: String?
    }

    var help: String { "Imports a catalog file (JSON or CSV); nothing is written if any entry is wrong." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        guard let data = FileManager.default.contents(atPath: signature.file) else {
            context.console.error("无法读取文件 \(signature.file)。")
            throw ExitCode(2)
        }
        let format = signature.format?.lowercased() ?? (signature.file.lowercased().hasSuffix(".csv") ? "csv" : "json")
        do {
            let document: CatalogDocument
            if format == "csv" {
                document = CatalogDocument(items: try CatalogCSV.decode(String(decoding: data, as: UTF8.self)))
            } else {
                document = try JSONDecoder().decode(CatalogDocument.self, from: data)
            }
            let exchange = CatalogExchange(db: app.db, now: app.timeSource.now(), settings: app.settings, attribution: "system:cli")
            let report = try await exchange.importDocument(document)
            context.console.print("导入完成：新建 \(report.created) 个，更新 \(report.updated) 个事项(已发布 \(report.published)，草稿 \(report.drafts))。")
        } catch let error as DomainError {
            context.console.error(error.message)
            for field in error.fieldErrors { context.console.error("  \(field.field): \(field.message)") }
            throw ExitCode(1)
        } catch let error as DecodingError {
            context.console.error("文件格式不正确：" + ProblemMiddleware.describe(error))
            throw ExitCode(1)
        }
    }
}

/// `yiwang lint-catalog [--include-drafts] [--json]`: exit status 1 when any error is found.
struct LintCatalogCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "include-drafts", help: "Also check the newest unpublished version of each item") var includeDrafts: Bool
        @Flag(name: "json", help: "Print the findings as JSON") var json: Bool
    }

    var help: String { "Runs the guide linter over the catalog; exits non-zero when errors are found." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let service = CatalogService(db: app.db, now: app.timeSource.now(), settings: app.settings, actor: .staff(account: "system:cli", grants: []))
        let findings = try await service.lint(includeDrafts: signature.includeDrafts, scopes: nil)
        if signature.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            FileHandle.standardOutput.write(try encoder.encode(["findings": findings]))
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            for finding in findings {
                context.console.print("[\(finding.severity.chineseName)] \(finding.item) \(finding.rule) \(finding.field ?? "-")：\(finding.message)")
            }
        }
        let errors = findings.filter { $0.severity == .error }.count
        context.console.print("共 \(findings.count) 条：错误 \(errors) 条，警告 \(findings.filter { $0.severity == .warning }.count) 条。")
        if errors > 0 { throw ExitCode(1) }
    }
}

/// Before `serve` (the default command): migrate, enable WAL, and load the demo city into an
/// empty database, so that a newcomer's first run shows a living catalog.
public func prepareForCommand(_ app: Application, arguments: [String]) async throws {
    let command = arguments.dropFirst().first { !$0.hasPrefix("-") }
    guard command == nil || command == "serve" else { return }
    app.settings.runsBackgroundJobs = true
    if case .sqliteFile = app.settings.database {
        // `restore` waits for this lock: it never swaps the database under a running server.
        // Several servers on one SQLite file are not supported, so a second one stops here too.
        guard let lock = ServeLock.tryAcquire(dataDirectory: app.settings.dataDirectory) else {
            throw ConfigurationError(problems: ["another `yiwang serve` (or a restore) is using \(app.settings.dataDirectory); stop it first"])
        }
        ServeLock.held = lock
    }
    try await migrateAndPrepare(app)
    try await rebuildSearchIndex(app)
    if app.settings.autoSeedDemo, !app.settings.production, try await DemoCity.isEmpty(app.db) {
        let (report, staff) = try await DemoCity.seed(app)
        // Log collectors read standard output in JSON mode: the demo sign-in numbers stay out of it
        // (they are in the README).
        printSeed(report: report, staff: staff, password: app.settings.demoPassword, console: app.console, applicants: !app.settings.jsonLogs)
    }
    let demo = try await DemoCity.presentAccounts(app)
    if app.settings.production {
        guard demo.isEmpty else {
            throw ConfigurationError(problems: [
                "YIWANG_ENV=production refuses to start while demo accounts exist (their password is published): " + demo.joined(separator: ", ")
                    + ". Disable or remove them, or start from an empty database.",
            ])
        }
    } else if !demo.isEmpty {
        app.logger.warning("开发模式：数据库中有演示账号(\(demo.joined(separator: "、")))，其密码已公开，切勿用于真实服务；生产环境请设置 YIWANG_ENV=production。")
    }
}

/// After a command that may have written audit events, checkpoint the head outside the database
/// (`serve` does this on its own schedule and when it stops).
public func finishCommand(_ app: Application, arguments: [String]) async {
    let command = arguments.dropFirst().first { !$0.hasPrefix("-") }
    guard let command, ["seed", "import", "user", "calendar", "rotate-keys", "migrate"].contains(command) else { return }
    await app.checkpointAudit()
}
