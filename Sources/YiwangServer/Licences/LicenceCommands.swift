import Fluent
import Foundation
import Vapor
import YiwangCore

/// `yiwang seal list|issue|rotate|revoke`: the city's electronic seals.
struct SealCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "operation", help: "list, export, issue, rotate or revoke")
        var operation: String
        @Option(name: "department", help: "the department's unified social credit code (issue, rotate)")
        var department: String?
        @Option(name: "key", help: "the seal's key id (revoke)")
        var key: String?
        @Option(name: "reason", help: "why the seal is revoked")
        var reason: String?
        @Option(name: "output", help: "where export writes the published certificates (as GET /api/v1/seals)")
        var output: String?
    }

    var help: String { "Lists, exports, issues, rotates or revokes the departments' SM2 seal certificates under the city root." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let ctx = try DomainContext(app: app, actor: .anonymous, audit: .system("cli:seal", channel: "cli"), isPlatform: true)
        let seals = Seals(ctx)
        switch signature.operation {
        case "list":
            for seal in try await seals.published() {
                context.console.print(
                    [seal.keyID, seal.role, seal.state, seal.ownerCode, seal.owner, "至 " + LocalDate(seal.notAfter).description]
                        .joined(separator: "\t"))
            }
        case "export":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            let data = try encoder.encode(try await seals.published())
            if let output = signature.output { try data.write(to: URL(fileURLWithPath: output)) } else { context.console.print(String(decoding: data, as: UTF8.self)) }
        case "issue", "rotate":
            guard let department = signature.department else { throw CommandError("请用 --department 指定部门的统一社会信用代码。") }
            let record = try await ctx.write { tx in try await seals.issue(department.uppercased(), on: tx) }
            context.console.print("已为 \(record.ownerName) 签发电子印章，密钥标识 \(record.keyID)，有效期至 \(LocalDate(record.notAfter))。")
        case "revoke":
            guard let key = signature.key, let reason = signature.reason else { throw CommandError("请用 --key 指定印章密钥标识，并用 --reason 说明理由。") }
            let record = try await ctx.write { tx in try await seals.revoke(keyID: key, reason: reason, on: tx) }
            context.console.print("已吊销 \(record.ownerName) 的电子印章 \(record.keyID)。此后该部门签章时将自动签发新印章。")
        default:
            throw CommandError("未知操作“\(signature.operation)”：可用 list、export、issue、rotate、revoke。")
        }
    }
}

/// `yiwang licence verify FILE [--certificates SEALS.json]` and `yiwang licence export IDENTIFIER`.
struct LicenceCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "operation", help: "verify, export, list or import-types")
        var operation: String
        @Argument(name: "target", help: "the licence document file (verify), identifier (export), `all` (list), or a licence types file (import-types)")
        var target: String
        @Option(name: "certificates", help: "the published seals (GET /api/v1/seals as a file) to verify with, offline")
        var certificates: String?
        @Option(name: "output", help: "where export writes the document (default: standard output)")
        var output: String?
    }

    var help: String { "Verifies a licence document offline with the published certificates (exit 0 when valid), or exports one." }

    func run(using context: CommandContext, signature: Signature) async throws {
        switch signature.operation {
        case "verify": try await verify(context, signature)
        case "export": try await export(context, signature)
        case "list":
            let app = context.application
            try await migrateAndPrepare(app)
            for licence in try await LicenceRecord.query(on: app.db).sort(\.$createdAt).all() {
                context.console.print([licence.identifier, licence.statusRaw, licence.name, licence.number, licence.issuerName].joined(separator: "\t"))
            }
        case "import-types":
            // The catalog's licence types (the format of Resources/Seed/licence-types.json).
            struct TypesFile: Decodable { var licenceTypes: [LicenceType] }
            let app = context.application
            try await migrateAndPrepare(app)
            guard let data = FileManager.default.contents(atPath: signature.target) else { throw CommandError("读不到证照类型文件 \(signature.target)。") }
            let types = try JSONDecoder().decode(TypesFile.self, from: data).licenceTypes
            let ctx = try DomainContext(app: app, actor: .anonymous, audit: .system("cli:licence", channel: "cli"), isPlatform: true)
            try await LicenceService(ctx).save(types: types)
            context.console.print("已导入 \(types.count) 个证照类型。")
        default: throw CommandError("未知操作“\(signature.operation)”：可用 verify、export、list、import-types。")
        }
    }

    /// Offline: the identifier's check character, the fields against the signature, the seal's
    /// certificate against the root in the same file, the seal's revocation and the validity
    /// dates. The catalogue's status (a licence revoked since) needs the online check.
    private func verify(_ context: CommandContext, _ signature: Signature) async throws {
        let app = context.application
        guard let data = FileManager.default.contents(atPath: signature.target) else { throw CommandError("读不到证照文件 \(signature.target)。") }
        let document: LicenceDocument
        do {
            document = try JSONDecoder().decode(LicenceDocument.self, from: data)
        } catch {
            throw CommandError("证照文件不是有效的电子证照文件(JSON)。")
        }
        let published: [Seals.Published]
        if let path = signature.certificates {
            guard let file = FileManager.default.contents(atPath: path) else { throw CommandError("读不到印章证书文件 \(path)。") }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            published = try decoder.decode([Seals.Published].self, from: file)
        } else {
            try await migrateAndPrepare(app)
            published = try await Seals(try DomainContext.platform(app, job: "licence-verify")).published()
        }
        let today = LocalDate(app.timeSource.now())
        let seal = published.first { $0.keyID == document.keyID && $0.role == "seal" }
        let roots = try published.filter { $0.role == "root" }.map { try SealCertificate(pem: $0.certificate) }
        var facts: SealFacts?
        if let seal, let certificate = try? SealCertificate(pem: seal.certificate), roots.contains(where: { certificate.isSigned(by: $0) }) {
            facts = try SealFacts(certificate: certificate, revokedOn: seal.revokedAt.map { LocalDate($0) })
        }
        let standing = LicenceStanding(status: .active, validUntil: document.validUntil.flatMap { try? LocalDate($0) })
        let verdict = LicenceVerification.verdict(of: document, seal: facts, standing: standing, today: today)
        context.console.print("\(verdict.rawValue)\t\(verdict.chineseName)\t\(document.name) \(document.number)\t\(document.identifier)")
        if verdict == .valid { context.console.print("签名与印章证书链有效(离线核验；证照目录中的注销状态请在线查询 /verify/\(document.identifier))。") }
        guard verdict == .valid else { throw CommandError("证照未通过核验：\(verdict.chineseName)。") }
    }

    private func export(_ context: CommandContext, _ signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let identifier = try LicenceIdentifier(signature.target)
        guard let licence = try await LicenceRecord.query(on: app.db).filter(\.$identifier == identifier.description).first() else {
            throw CommandError("未找到电子证照 \(identifier)。")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(try licence.document(try app.keyRing))
        if let output = signature.output {
            try data.write(to: URL(fileURLWithPath: output))
        } else {
            context.console.print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// A refusal of a command, printed in Chinese; the command exits non-zero.
struct CommandError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    var debugDescription: String { description }
}
