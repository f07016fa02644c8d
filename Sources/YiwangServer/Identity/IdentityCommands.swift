import ConsoleKit
import Fluent
import Foundation
import Vapor
import YiwangCore

/// `yiwang user list|create|grant|revoke|disable|enable|reset …`: staff accounts from the
/// command line, through the same rules and audit as the pages.
struct UserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "operation", help: "list, create, grant, revoke, disable, enable or reset") var operation: String
        @Option(name: "account", short: "a", help: "The account name (all operations but list)") var account: String?
        @Option(name: "name", help: "Display name (create)") var name: String?
        @Option(name: "role", help: "Role: windowClerk, approver, departmentAdministrator, catalogAdministrator, supervisor, hotlineOperator, systemAdministrator") var role: String?
        @Option(name: "department", help: "Scope: the department's credit code") var department: String?
        @Option(name: "region", help: "Scope: a region code (the grant reaches its whole subtree)") var region: String?
        @Option(name: "password", help: "Password (create, reset); generated and printed once when absent") var password: String?
    }

    var help: String { "Manages staff accounts: list, create, grant, revoke, disable, enable, reset." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let operatorName = "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "operator")
        let administration = try StaffAdministration(app: app, operatorName: operatorName)
        do {
            switch signature.operation {
            case "list":
                for record in try await administration.list() {
                    let grants = record.grants.map { "\($0.role.chineseName)[\(describe($0.scope))]" }.joined(separator: " ")
                    context.console.print("\(record.account)\t\(record.displayName)\t\(record.disabled ? "已停用" : "启用")\t\(grants)")
                }
                return
            case "create":
                let account = try required(signature.account, "账号")
                let password = signature.password ?? StaffAdministration.generatedPassword()
                let grants = try signature.role.map { _ in [try grant(signature)] } ?? []
                let record = try await administration.create(NewStaffRequest(account: account, displayName: signature.name ?? account, password: password, grants: grants))
                context.console.print("已创建账号 \(record.account)。" + (signature.password == nil ? "初始密码：\(password)(仅显示这一次)" : ""))
            case "grant":
                let record = try await administration.grant(try grant(signature), to: try required(signature.account, "账号"))
                context.console.print("已授权：\(record.account) 现有角色 \(record.grants.map(\.role.chineseName).joined(separator: "、"))。")
            case "revoke":
                let record = try await administration.revoke(try grant(signature), from: try required(signature.account, "账号"))
                context.console.print("已撤销：\(record.account) 现有角色 \(record.grants.map(\.role.chineseName).joined(separator: "、"))。")
            case "disable", "enable":
                let record = try await administration.setDisabled(signature.operation == "disable", name: try required(signature.account, "账号"))
                context.console.print("账号 \(record.account) 已\(record.disabled ? "停用，其会话与令牌均已失效" : "启用")。")
            case "reset":
                let (record, password) = try await administration.resetPassword(name: try required(signature.account, "账号"), to: signature.password)
                context.console.print("账号 \(record.account) 的密码已重置并解除锁定。" + (signature.password == nil ? "新密码：\(password)(仅显示这一次)" : ""))
            default:
                context.console.error("不支持的操作“\(signature.operation)”。可用：list、create、grant、revoke、disable、enable、reset。")
                throw ExitCode(2)
            }
        } catch let error as DomainError {
            context.console.error(error.message)
            throw ExitCode(1)
        }
    }

    private func required(_ value: String?, _ label: String) throws(DomainError) -> String {
        guard let value, !value.isEmpty else { throw .invalid("cli.missing", "请提供\(label)。") }
        return value
    }

    private func grant(_ signature: Signature) throws(DomainError) -> Grant {
        guard let raw = signature.role, let role = StaffRole(rawValue: raw) else {
            throw .invalid("cli.role", "请用 --role 指定角色：" + StaffRole.allCases.map(\.rawValue).joined(separator: "、"))
        }
        return Grant(role: role, scope: Scope(departmentCreditCode: signature.department, regionCode: signature.region))
    }

    private func describe(_ scope: Scope) -> String {
        [scope.departmentCreditCode.map { "部门 \($0)" }, scope.regionCode.map { "区划 \($0)" }].compactMap { $0 }.joined(separator: "，").nonEmpty ?? "不限"
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

/// `yiwang verify-audit`: walks the whole chain; exit status 0 only when every link holds.
struct VerifyAuditCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "json", help: "Print the result as JSON") var json: Bool
    }

    var help: String { "Verifies the audit trail's hash chain; exits 1 at the first broken link." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let result = try await AuditTrail.verify(on: app.db, checkpoints: app.auditCheckpoints)
        if signature.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(result))
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else if result.intact {
            context.console.print(result.message + "链头序号 \(result.headSequence)。")
        } else {
            context.console.error("留痕链已损坏：" + result.message)
        }
        if !result.intact { throw ExitCode(1) }
    }
}

/// `yiwang rotate-keys`: re-seals every sealed value under the current data key, so an old key
/// can be retired from YIWANG_DATA_KEYS afterwards.
struct RotateKeysCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Re-encrypts personal data under the current data key." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        try await migrateAndPrepare(app)
        let keys = try app.keyRing
        let now = app.timeSource.now()
        let resealed = try await AuditTrail.writeTransaction(on: app.db) { tx -> Int in
            var resealed = 0
            for record in try await ApplicantRecord.query(on: tx).all() {
                var changed = false
                func reseal(_ sealed: String?) throws -> String? {
                    guard let sealed, KeyRing.keyID(of: sealed) != keys.currentKeyID else { return sealed }
                    changed = true
                    return try keys.seal(try keys.open(sealed))
                }
                record.identifierSealed = try reseal(record.identifierSealed) ?? record.identifierSealed
                record.phoneSealed = try reseal(record.phoneSealed)
                record.representativeSealed = try reseal(record.representativeSealed)
                record.emailSealed = try reseal(record.emailSealed)
                if changed {
                    try await record.save(on: tx)
                    resealed += 1
                }
            }
            // Case forms, as filed.
            for record in try await CaseRecord.query(on: tx).all() where KeyRing.keyID(of: record.formSealed) != keys.currentKeyID {
                record.formSealed = try keys.seal(try keys.open(record.formSealed))
                try await record.save(on: tx)
                resealed += 1
            }
            // Licences as signed (they hold the holder's number), seal private keys, and the local
            // exchange's registry entries.
            for record in try await LicenceRecord.query(on: tx).all() where KeyRing.keyID(of: record.documentSealed) != keys.currentKeyID {
                record.documentSealed = try keys.seal(try keys.open(record.documentSealed))
                try await record.save(on: tx)
                resealed += 1
            }
            for record in try await SealKeyRecord.query(on: tx).all() where KeyRing.keyID(of: record.privateKeySealed) != keys.currentKeyID {
                record.privateKeySealed = try keys.seal(try keys.open(record.privateKeySealed))
                try await record.save(on: tx)
                resealed += 1
            }
            resealed += try await LocalSharedData.reseal(keys: keys, on: tx)
            try await AuditTrail.append(
                AuditContext.system("cli:rotate-keys", channel: "cli").entry("privacy.rotateKeys", subjectType: "keys", subjectID: keys.currentKeyID, after: "\(resealed)", at: now),
                on: tx)
            return resealed
        }
        // Material files, each rewritten in place (a new file, then a rename).
        let store = try app.materialStore
        var files = 0
        for hash in Set(try await CaseMaterialRecord.query(on: app.db).all(\.$sha256)) where try store.reseal(hash) { files += 1 }
        context.console.print("已用当前密钥 \(keys.currentKeyID) 重新加密 \(resealed) 条记录的个人数据和 \(files) 个材料文件。")
    }
}
