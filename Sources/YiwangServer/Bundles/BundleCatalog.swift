import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// 一件事 definitions in the catalog: versioned and published like items (the catalog's
/// workflow, the bundle linter blocking on errors), and read as one merged guide and form.
struct BundleCatalog: Sendable {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    struct Published: Sendable {
        var record: BundleRecord
        var version: BundleVersionRecord
        var bundle: ServiceBundle
    }

    /// One member's published item and its guide.
    struct MemberItem: Sendable {
        var item: PublishedItem
        var guide: ServiceGuide
    }

    static func normalized(_ code: String) -> String { String(code.trimmingCharacters(in: .whitespaces).prefix(64)) }

    /// The published version of a bundle; an unknown or unpublished code is a 404.
    static func published(_ code: String, on db: any Database) async throws -> Published {
        guard let record = try await BundleRecord.query(on: db).filter(\.$code == normalized(code)).first(),
            let versionID = record.publishedVersionID, let version = try await BundleVersionRecord.find(versionID, on: db)
        else { throw DomainError.notFound("bundle.not_found", "未找到已发布的“一件事”“\(code.prefix(40))”。") }
        return Published(record: record, version: version, bundle: try version.bundle)
    }

    /// The published item of each member (or of those given), by implementation code. A member
    /// whose item is not published refuses the whole bundle: it cannot be applied for.
    static func memberItems(_ members: [BundleMember], on db: any Database) async throws -> [String: MemberItem] {
        var items: [String: MemberItem] = [:]
        for member in members {
            guard let item = try await PublishedItem.find(member.code, on: db) else {
                throw DomainError.conflict("bundle.member_unpublished", "成员事项“\(member.name)”目前未公开办理，暂不能申请本“一件事”。")
            }
            items[member.code] = MemberItem(item: item, guide: try await CaseService.guide(version: item.versionID, on: db))
        }
        return items
    }

    // MARK: Reading

    struct Summary: Content {
        var code: String
        var name: String
        var kind: BundleKind
        var kindName: String
        var leadDepartment: String
        var leadDepartmentName: String
        var promisedLimit: Int
        var memberCount: Int
        var version: Int
    }

    /// Every published bundle, by name.
    func list() async throws -> [Summary] {
        let records = try await BundleRecord.query(on: ctx.db).filter(\.$publishedVersionID != nil).sort(\.$name).all()
        let versions = try await BundleVersionRecord.query(on: ctx.db).filter(\.$id ~~ records.compactMap(\.publishedVersionID)).all()
        let byID = Dictionary(versions.compactMap { v in v.id.map { ($0, v) } }, uniquingKeysWith: { first, _ in first })
        let names = try await DepartmentRecord.names(records.map(\.leadDepartment), on: ctx.db)
        return try records.compactMap { record in
            guard let id = record.publishedVersionID, let version = byID[id] else { return nil }
            let bundle = try version.bundle
            return Summary(
                code: bundle.code, name: bundle.name, kind: bundle.kind, kindName: bundle.kind.chineseName, leadDepartment: bundle.leadDepartment,
                leadDepartmentName: names[bundle.leadDepartment] ?? bundle.leadDepartment, promisedLimit: bundle.promisedLimit,
                memberCount: bundle.members.count, version: version.number)
        }
    }

    struct GuideView: Content {
        struct Member: Content {
            var code: String
            var name: String
            var department: String
            var departmentName: String
            var role: BundleMemberRole
            var roleName: String
            var condition: BundleCondition?
            /// The working days its task has once started (the item's promise).
            var workingDays: Int
            var waitsFor: [String]
            var chosen: Bool
        }

        struct Source: Content {
            var member: String
            var memberName: String
            var field: String
        }

        struct Mapping: Content {
            var key: String
            var label: String
            var sources: [Source]
        }

        struct Material: Content {
            /// Position in the merged list, from 1 (what uploads name).
            var position: Int
            var name: String
            var required: Bool
            var askedOfApplicant: Bool
            var note: String?
            var members: [String]
            /// On an application: every task that asks it has its file (nil in a guide).
            var supplied: Bool?
            /// On an application: a task that asks it can still take it (nil in a guide).
            var open: Bool?
        }

        var code: String
        var name: String
        var kind: BundleKind
        var kindName: String
        var version: Int
        var leadDepartment: String
        var leadDepartmentName: String
        var promisedLimit: Int
        var denialRule: BundleDenialRule
        var denialRuleName: String
        var questions: [BundleQuestion]
        var members: [Member]
        /// The merged form for the members the choice selects: each shared field asked once.
        var form: FormSchema
        /// What each merged field fills in each member's own form (shown to staff).
        var mapping: [Mapping]
        var materials: [Material]
    }

    /// The merged guide and form of a published bundle for a choice (the required members alone
    /// when nothing was chosen and no question has to be answered).
    func guide(_ code: String, choice: BundleChoice?) async throws -> GuideView {
        let published = try await Self.published(code, on: ctx.db)
        let bundle = published.bundle
        // Without a choice: the required members alone, as far as no question must be answered first.
        let choice = choice ?? BundleChoice(answers: Dictionary(bundle.questions.compactMap { q in q.options.last.map { (q.key, $0) } }, uniquingKeysWith: { a, _ in a }))
        let chosen = try bundle.choose(choice)
        let items = try await Self.memberItems(bundle.members, on: ctx.db)
        let merged = try await Self.merge(bundle, choice: choice, items: items, on: ctx.db)
        let names = try await DepartmentRecord.names(bundle.members.map(\.department) + [bundle.leadDepartment], on: ctx.db)
        let memberNames = Dictionary(bundle.members.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        let chosenCodes = Set(chosen.map(\.code))
        return GuideView(
            code: bundle.code, name: bundle.name, kind: bundle.kind, kindName: bundle.kind.chineseName, version: published.version.number,
            leadDepartment: bundle.leadDepartment, leadDepartmentName: names[bundle.leadDepartment] ?? bundle.leadDepartment,
            promisedLimit: bundle.promisedLimit, denialRule: bundle.denialRule, denialRuleName: bundle.denialRule.chineseName, questions: bundle.questions,
            members: bundle.members.map { member in
                GuideView.Member(
                    code: member.code, name: member.name, department: member.department, departmentName: names[member.department] ?? member.department,
                    role: member.role, roleName: member.role.chineseName, condition: member.condition,
                    workingDays: items[member.code]?.guide.promisedLimit ?? 0,
                    waitsFor: bundle.predecessors(of: member.code, among: chosenCodes), chosen: chosenCodes.contains(member.code))
            },
            form: merged.form.schema,
            mapping: merged.form.mapping.map { mapping in
                GuideView.Mapping(
                    key: mapping.field.key, label: mapping.field.label,
                    sources: mapping.sources.map { .init(member: $0.member, memberName: memberNames[$0.member] ?? $0.member, field: $0.field) })
            },
            materials: Self.materialViews(merged.materials))
    }

    static func materialViews(_ materials: [BundleMaterial]) -> [GuideView.Material] {
        materials.enumerated().map { index, material in
            GuideView.Material(
                position: index + 1, name: material.requirement.name, required: material.requirement.required,
                askedOfApplicant: material.askedOfApplicant, note: material.note, members: material.uses.map(\.memberName), supplied: nil, open: nil)
        }
    }

    /// The merged form and materials of the members a choice selects, from their published guides.
    static func merge(
        _ bundle: ServiceBundle, choice: BundleChoice, items: [String: MemberItem], on db: any Database
    ) async throws -> (form: BundleForm, materials: [BundleMaterial]) {
        let chosen = try bundle.choose(choice)
        let forms = items.mapValues(\.guide.form)
        let guides = items.mapValues(\.guide)
        let types = try await LicenceTypeRecord.query(on: db).all().map { try $0.type }
        return (
            try BundleForm.compose(bundle, choice: choice, forms: forms),
            try BundleMaterials.merge(bundle, members: chosen, guides: guides, licenceTypes: types)
        )
    }

    // MARK: Editing and publishing

    struct VersionView: Content {
        var code: String
        var version: Int
        var state: VersionState
        var stateName: String
        var findings: [LintFinding]
        var allowedActions: [CatalogAction]
    }

    /// Saves a bundle as a draft: the open draft of its code is replaced, or a new version begins
    /// (a published version is never edited). Only error findings block, and only at submission.
    func save(_ submitted: ServiceBundle) async throws -> VersionView {
        let bundle = Self.normalizedCodes(submitted)

        let owner = try await leadOwner(bundle.leadDepartment)
        if !ctx.isPlatform { try Policy.authorize(ctx.actor, .editCatalog, on: owner) }
        let content = try BundleVersionRecord.encode(bundle)
        let ctx = self.ctx
        let version = try await ctx.write { tx in
            let record: BundleRecord
            if let existing = try await BundleRecord.query(on: tx).filter(\.$code == bundle.code).first() {
                guard existing.leadDepartment == bundle.leadDepartment else {
                    throw DomainError.conflict("bundle.lead_changed", "“一件事”“\(bundle.code)”的牵头部门不能在新版本中更换；请新建一件事。")
                }
                record = existing
            } else {
                guard BundleLinter.isSafeCode(bundle.code) else {
                    throw DomainError.invalid("bundle.code", "一件事编码应为字母开头的字母、数字、“-”或“_”，不超过64个字符。")
                }
                record = BundleRecord()
                record.id = UUID()
                record.code = bundle.code
                record.leadDepartment = bundle.leadDepartment
                record.regionCode = owner.regionCode ?? ""
                record.createdAt = ctx.now
            }
            record.name = bundle.name
            record.kind = bundle.kind.rawValue
            try await record.save(on: tx)
            let bundleID = try record.requireID()
            let versions = try await BundleVersionRecord.query(on: tx).filter(\.$bundleID == bundleID).sort(\.$number, .descending).all()
            let version: BundleVersionRecord
            if let draft = versions.first(where: { $0.state == .draft }) {
                version = draft
            } else {
                version = BundleVersionRecord()
                version.id = UUID()
                version.bundleID = bundleID
                version.number = (versions.first?.number ?? 0) + 1
                version.state = .draft
                version.createdBy = ctx.audit.actor
                version.createdAt = ctx.now
            }
            version.content = content
            version.updatedAt = ctx.now
            try await version.save(on: tx)
            try await AuditTrail.append(
                ctx.entry("bundle.saveDraft", subjectType: "bundle", subjectID: bundle.code, owner: record.owner, after: "v\(version.number)"), on: tx)
            return version
        }
        return try await view(bundle, version: version)
    }

    /// Moves a version through the catalog's workflow. Submitting, approving and publishing are
    /// refused while the linter finds errors against the members' published guides.
    func transition(_ code: String, version number: Int, action: CatalogAction) async throws -> VersionView {
        let ctx = self.ctx
        let (bundle, version) = try await ctx.write { tx -> (ServiceBundle, BundleVersionRecord) in
            guard let record = try await BundleRecord.query(on: tx).filter(\.$code == Self.normalized(code)).first(),
                let version = try await BundleVersionRecord.query(on: tx).filter(\.$bundleID == record.requireID()).filter(\.$number == number).first()
            else { throw DomainError.notFound("bundle.version_not_found", "未找到该“一件事”版本。") }
            if !ctx.isPlatform { try Policy.authorize(ctx.actor, PolicyAction(action), on: record.owner) }
            let bundle = try version.bundle
            let step = try CatalogWorkflow.transition(from: version.state, action: action)
            if [.submit, .approve, .publish].contains(action) {
                let blocking = BundleLinter.blockingFindings(bundle, guides: try await Self.publishedGuides(bundle, on: tx))
                guard blocking.isEmpty else {
                    throw DomainError.conflict("bundle.lint_errors", "“一件事”定义有误，不能\(action.chineseName)：" + blocking.map(\.message).joined(separator: "；"))
                }
            }
            for effect in step.effects {
                switch effect {
                case .retirePreviouslyPublished:
                    if let earlier = record.publishedVersionID, let old = try await BundleVersionRecord.find(earlier, on: tx) {
                        old.state = .retired
                        old.updatedAt = ctx.now
                        try await old.save(on: tx)
                    }
                case .becomePublic:
                    record.publishedVersionID = version.id
                    version.publishedAt = ctx.now
                case .withdrawFromPublic:
                    record.publishedVersionID = nil
                }
            }
            version.state = step.to
            version.updatedAt = ctx.now
            try await version.save(on: tx)
            try await record.save(on: tx)
            try await AuditTrail.append(
                ctx.entry(
                    "bundle." + action.rawValue, subjectType: "bundle", subjectID: bundle.code, owner: record.owner,
                    before: step.from.rawValue, after: "v\(number) " + step.to.rawValue), on: tx)
            return (bundle, version)
        }
        return try await view(bundle, version: version)
    }

    private func view(_ bundle: ServiceBundle, version: BundleVersionRecord) async throws -> VersionView {
        VersionView(
            code: bundle.code, version: version.number, state: version.state, stateName: version.state.chineseName,
            findings: BundleLinter.lint(bundle, guides: try await Self.publishedGuides(bundle, on: ctx.db)),
            allowedActions: CatalogWorkflow.allowedActions(in: version.state))
    }

    /// The published guide of each member whose item is published (the linter reports the others).
    static func publishedGuides(_ bundle: ServiceBundle, on db: any Database) async throws -> [String: ServiceGuide] {
        var guides: [String: ServiceGuide] = [:]
        for member in bundle.members {
            guard let item = try await PublishedItem.find(member.code, on: db) else { continue }
            guides[member.code] = try await CaseService.guide(version: item.versionID, on: db)
        }
        return guides
    }

    /// Implementation and credit codes are upper case wherever the platform compares them.
    static func normalizedCodes(_ submitted: ServiceBundle) -> ServiceBundle {
        var bundle = submitted
        let upper = { (code: String) in code.trimmingCharacters(in: .whitespaces).uppercased() }
        bundle.leadDepartment = upper(bundle.leadDepartment)
        for index in bundle.members.indices {
            bundle.members[index].code = upper(bundle.members[index].code)
            bundle.members[index].department = upper(bundle.members[index].department)
        }
        bundle.order = bundle.order.map { BundleOrderConstraint(member: upper($0.member), waitsFor: upper($0.waitsFor)) }
        return bundle
    }

    /// The demo city's bundles (Resources/Seed/demo-bundles.json), saved and published by the
    /// platform through the same workflow and linter as an administrator's; those already
    /// published are left as they are.
    static func seed(_ app: Application) async throws -> Int {
        struct SeedFile: Decodable { var bundles: [ServiceBundle] }
        let url = URL(fileURLWithPath: app.directory.resourcesDirectory + "Seed/demo-bundles.json")
        let bundles = try JSONDecoder().decode(SeedFile.self, from: Data(contentsOf: url)).bundles
        let catalog = BundleCatalog(try DomainContext.platform(app, job: "seed"))
        var published = 0
        for bundle in bundles {
            if try await BundleRecord.query(on: app.db).filter(\.$code == bundle.code).filter(\.$publishedVersionID != nil).first() != nil { continue }
            var version = try await catalog.save(bundle)
            for action in [CatalogAction.submit, .approve, .publish] {
                version = try await catalog.transition(bundle.code, version: version.version, action: action)
            }
            published += 1
        }
        return published
    }

    private func leadOwner(_ creditCode: String) async throws -> ResourceOwner {
        guard let department = try await DepartmentRecord.query(on: ctx.db).filter(\.$creditCode == creditCode).first() else {
            throw DomainError.invalid(
                "bundle.lead_unknown", "牵头部门“\(creditCode.prefix(40))”不在部门名录中。", fields: [FieldError(field: "leadDepartment", message: "请填写已登记部门的统一社会信用代码。")])
        }
        return ResourceOwner(departmentCreditCode: department.creditCode, regionCode: department.regionCode)
    }
}
