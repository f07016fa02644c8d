import Fluent
import Foundation
import Vapor
import YiwangCore

/// `yiwang registry import FILE` fills the local exchange's registries (people, legal persons,
/// credit listings; the format of Resources/Seed/registries.json); `yiwang registry repair CODE
/// --reason R` lifts a subject's credit listings (信用修复) at once.
struct RegistryCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "operation", help: "import or repair")
        var operation: String
        @Argument(name: "target", help: "the registry file (import), or the ID number or credit code whose listings are lifted (repair)")
        var target: String
        @Option(name: "reason", help: "why the listings are lifted (repair)")
        var reason: String?
    }

    var help: String { "Fills the local shared registries from a file, or lifts a subject's credit listings (信用修复)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let ctx = try DomainContext(app: app, actor: .anonymous, audit: .system("cli:registry", channel: "cli"), isPlatform: true)
        switch signature.operation {
        case "import":
            guard let data = FileManager.default.contents(atPath: signature.target) else {
                throw CommandError("读不到共享库文件 \(signature.target)。")
            }
            let contents = try JSONDecoder().decode(LocalSharedData.Contents.self, from: data)
            try await ctx.write { tx in
                try await LocalSharedData.fill(contents, keys: ctx.keys, at: ctx.now, on: tx)
                try await AuditTrail.append(
                    ctx.entry("registry.import", subjectType: "registry", subjectID: "local",
                        after: "人口 \(contents.people.count)，法人 \(contents.legalPersons.count)，失信 \(contents.creditListings.count)"), on: tx)
            }
            context.console.print("已导入：人口库 \(contents.people.count) 人，法人库 \(contents.legalPersons.count) 家，信用库 \(contents.creditListings.count) 条。")
        case "repair":
            let subject = signature.target
            guard let reason = signature.reason, !reason.isEmpty else { throw CommandError("请用 --reason 说明信用修复的依据。") }
            let lifted = try await DataSharingService.lift(subjectCode: subject.uppercased(), reason: reason, ctx: ctx)
            context.console.print("已解除 \(lifted) 条失信记录，立即生效。")
        default:
            throw CommandError("未知操作“\(signature.operation)”：可用 import、repair。")
        }
    }
}
