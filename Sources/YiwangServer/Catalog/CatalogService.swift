import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Filters of the public catalog search.
struct CatalogQuery: Sendable {
    var words: [String] = []
    var department: String?
    var type: ItemType?
    var target: ServiceTarget?
    var zeroVisit: Bool?
    var lifeEvent: String?

    /// Splits free text into words; wildcard characters are dropped so they match literally nothing special.
    static func words(from text: String?) -> [String] {
        guard let text else { return [] }
        let cleaned = text.prefix(100).filter { !"%_\\".contains($0) }.lowercased()
        // Control characters (a NUL ends a string in SQLite's FTS parser) separate words like spaces.
        let separates = { (c: Character) in
            c.isWhitespace || c == "，" || c == "," || c.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
        }
        return cleaned.split(whereSeparator: separates).map(String.init).prefix(8).map { $0 }
    }
}

/// What a client sends to create an entry.
struct NewItemRequest: Content {
    var baseCode: String
    var department: String
    var exerciseLevel: Int
    var guide: ServiceGuide
}

/// The catalog's operations: reads for everyone, writes through the workflow, each write
/// attributed and logged with its diff. Handlers authorize and call these; nothing else writes the catalog.
struct CatalogService {
    let db: any Database
    let now: Date
    let settings: Settings
    let actor: Actor
    let context: AuditContext

    init(_ ctx: DomainContext) {
        db = ctx.db
        now = ctx.now
        settings = ctx.settings
        actor = ctx.actor
        context = ctx.audit
    }

    /// Inside a catalog-wide operation (an import) that holds its own transaction and attribution.
    init(db: any Database, now: Date, settings: Settings, actor: Actor) {
        self.db = db
        self.now = now
        self.settings = settings
        self.actor = actor
        context = .system(actor.accountName)
    }

    var lintContext: LintContext { LintContext(today: now, staleAfterDays: settings.staleGuideDays) }

    // MARK: Reading the public catalog

    /// Published items matching every word and filter, by name. A word of three or more
    /// characters is looked up in the text index (FTS5 trigram on SQLite, pg_trgm on
    /// PostgreSQL); shorter ones (most two-character Chinese words) narrow the rows it found.
    func search(_ query: CatalogQuery, page: PageRequest) async throws -> (items: [ItemSummary], total: Int) {
        let sql = try db.sql()
        let sqlite = sql.dialect.name == "sqlite"
        let indexed = sqlite ? query.words.filter { $0.count >= 3 } : []
        // FTS5 phrases: each word quoted (quotes doubled), all of them required.
        let phrases = indexed.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " AND ")
        func matching(_ select: SQLSelectBuilder, from table: any SQLExpression = SQLIdentifier("items")) -> SQLSelectBuilder {
            select.from(table).where("published_version_id", .isNot, SQLLiteral.null)
            if !indexed.isEmpty {
                select.where(SQLQueryString("rowid IN (SELECT rowid FROM item_search WHERE item_search MATCH \(bind: phrases))"))
            }
            for word in query.words where !indexed.contains(word) { select.where("search_text", .like, "%" + word + "%") }
            if let department = query.department { select.where("department_code", .equal, department) }
            if let type = query.type { select.where("type", .equal, type.rawValue) }
            if let target = query.target { select.where("targets", .like, "%,\(target.rawValue),%") }
            if let zeroVisit = query.zeroVisit { select.where("required_visits", zeroVisit ? .equal : .greaterThan, 0) }
            if let lifeEvent = query.lifeEvent { select.where("life_events", .like, "%,\(lifeEvent),%") }
            return select
        }
        struct Count: Decodable { var total: Int64 }
        let count = SQLFunction("COUNT", args: SQLLiteral.all)
        let onlyIndexedWords = !indexed.isEmpty && indexed.count == query.words.count && query.department == nil && query.type == nil
            && query.target == nil && query.zeroVisit == nil && query.lifeEvent == nil
        // Words alone: counted in the index, which holds published items only (0017).
        let counting = onlyIndexedWords
            ? sql.select().column(count, as: "total").from("item_search").where(SQLQueryString("item_search MATCH \(bind: phrases)"))
            : matching(sql.select().column(count, as: "total"))
        let total = Int(try await counting.first(decoding: Count.self)?.total ?? 0)
        guard total > page.offset else { return ([], total) }
        // Many matches: read published items in name order and stop after the page, rather than
        // sorting every match (SQLite's planner does not see how many the text index gives).
        let byName = sqlite && total > 200
        let rows = try await matching(sql.select().column(SQLLiteral.all), from: byName ? SQLRaw("items INDEXED BY items_published_by_name") : SQLIdentifier("items"))
            .orderBy("name").orderBy("implementation_code").limit(page.per).offset(page.offset).all()
        let items = try rows.map { try $0.decode(model: ItemRecord.self) }
        return (try await summaries(of: items), total)
    }

    /// List rows of published items: from their summary column, or (rows projected before it
    /// existed) from their published versions, read in one query.
    func summaries(of items: [ItemRecord]) async throws -> [ItemSummary] {
        let decoder = JSONDecoder()
        var summaries: [UUID: ItemSummary] = [:]
        for item in items {
            guard let id = item.id, let summary = item.summary, var row = try? decoder.decode(ItemSummary.self, from: Data(summary.utf8)) else { continue }
            row.publishedAt = item.publishedAt
            summaries[id] = row
        }
        let ids = items.filter { $0.id.map { summaries[$0] == nil } ?? false }.compactMap(\.publishedVersionID)
        let versions = ids.isEmpty ? [] : try await ItemVersionRecord.query(on: db).filter(\.$id ~~ ids).all()
        let byID = Dictionary(versions.compactMap { version in version.id.map { ($0, version) } }, uniquingKeysWith: { a, _ in a })
        return try items.compactMap { item in
            if let id = item.id, let row = summaries[id] { return row }
            guard let id = item.publishedVersionID, let version = byID[id] else { return nil }
            return ItemSummary(item: item, guide: try version.guide(), version: version.number)
        }
    }

    func item(code: String) async throws -> ItemRecord {
        let normalized = code.trimmingCharacters(in: .whitespaces).uppercased()
        guard normalized.count <= 64, let item = try await ItemRecord.query(on: db).filter(\.$implementationCode == normalized).first() else {
            throw DomainError.notFound("catalog.item_not_found", "没有找到实施编码为“\(code.prefix(64))”的事项。")
        }
        return item
    }

    /// The published entry, or 404 when the item has never been published or was retired.
    func publishedDocument(code: String) async throws -> ItemDocument {
        try await publishedDocument(of: try await item(code: code))
    }

    func publishedDocument(of item: ItemRecord) async throws -> ItemDocument {
        guard let versionID = item.publishedVersionID, let version = try await ItemVersionRecord.find(versionID, on: db) else {
            throw DomainError.notFound("catalog.item_not_published", "该事项尚未发布或已停用。")
        }
        return ItemDocument(item: item, version: version, guide: try version.guide())
    }

    func versions(of item: ItemRecord) async throws -> [ItemVersionRecord] {
        try await ItemVersionRecord.query(on: db).filter(\.$item.$id == item.id!).sort(\.$number, .descending).all()
    }

    func version(_ number: Int, of item: ItemRecord) async throws -> ItemVersionRecord {
        guard let version = try await ItemVersionRecord.query(on: db).filter(\.$item.$id == item.id!).filter(\.$number == number).first() else {
            throw DomainError.notFound("catalog.version_not_found", "事项没有第\(number)版。")
        }
        return version
    }

    func latestVersion(of item: ItemRecord) async throws -> ItemVersionRecord {
        try await version(item.latestVersion, of: item)
    }

    func events(of item: ItemRecord) async throws -> [CatalogEventRecord] {
        try await CatalogEventRecord.query(on: db).filter(\.$itemID == item.id!).sort(\.$at, .descending).sort(\.$versionNumber, .descending).all()
    }

    func diff(of item: ItemRecord, from: Int, to: Int) async throws -> [GuideChange] {
        let old = try await version(from, of: item)
        let new = try await version(to, of: item)
        return GuideDiff.changes(from: try old.guide(), to: try new.guide())
    }

    func baseEntry(_ code: String) async throws -> BaseEntry? {
        try await BaseItemRecord.query(on: db).filter(\.$baseCode == code).first()?.entry
    }

    func lintSubject(item: ItemRecord, guide: ServiceGuide) async throws -> LintSubject {
        LintSubject(
            implementationCode: item.implementationCode, baseCode: item.baseCode, departmentCreditCode: item.departmentCode,
            departmentName: item.departmentName, guide: guide, base: try await baseEntry(item.baseCode))
    }

    /// The entries within `scopes` (nil = all) with their published and newest versions, in two queries;
    /// what the staff dashboard, the lint report and the export all read.
    struct Snapshot {
        var items: [ItemRecord]
        var published: [UUID: ItemVersionRecord]
        var newest: [UUID: ItemVersionRecord]
    }

    func snapshot(scopes: [Scope]?) async throws -> Snapshot {
        let items = try await ItemRecord.query(on: db).sort(\.$implementationCode).all().within(scopes)
        let versions = try await ItemVersionRecord.query(on: db).all()
        var published: [UUID: ItemVersionRecord] = [:]
        for version in versions where version.state == .published { published[version.$item.id] = version }
        return Snapshot(items: items, published: published, newest: ItemVersionRecord.newestByItem(versions))
    }

    /// Findings on published guides, and, when `includeDrafts`, on the newest unpublished version of each entry.
    func lint(includeDrafts: Bool, scopes: [Scope]?) async throws -> [LintFinding] {
        try await lint(snapshot(scopes: scopes), includeDrafts: includeDrafts)
    }

    func lint(_ snapshot: Snapshot, includeDrafts: Bool) async throws -> [LintFinding] {
        let bases = try await BaseItemRecord.query(on: db).all().reduce(into: [String: BaseEntry]()) { $0[$1.baseCode] = $1.entry }
        var findings: [LintFinding] = []
        for item in snapshot.items {
            var versions = [snapshot.published[item.id!]]
            if includeDrafts, let newest = snapshot.newest[item.id!], newest.state.isInProgress { versions.append(newest) }
            for version in versions.compactMap({ $0 }) {
                let subject = LintSubject(
                    implementationCode: item.implementationCode, baseCode: item.baseCode, departmentCreditCode: item.departmentCode,
                    departmentName: item.departmentName, guide: try version.guide(), base: bases[item.baseCode])
                findings += CatalogLinter.lint(subject, context: lintContext)
            }
        }
        return findings
    }

    // MARK: Changing the catalog

    /// Creates a new entry with its first version as a draft.
    func create(_ request: NewItemRequest) async throws -> (ItemRecord, ItemVersionRecord) {
        let credit = try CreditCode(request.department)
        guard let level = ExerciseLevel(rawValue: request.exerciseLevel) else {
            throw DomainError.invalid("code.exercise_level", "行使层级应为1到7的整数。")
        }
        let baseCode = try BaseCode(request.baseCode)
        let code = ImplementationCode(creditCode: credit, level: level, baseCode: baseCode)
        guard let department = try await DepartmentRecord.query(on: db).filter(\.$creditCode == credit.value).first() else {
            throw DomainError.notFound("catalog.department_not_found", "统一社会信用代码为\(credit.value)的实施机构不存在。")
        }
        try Policy.authorize(actor, .editCatalog, on: ResourceOwner(departmentCreditCode: department.creditCode, regionCode: department.regionCode))
        try GuideValidator.validate(request.guide, baseCode: baseCode.value)
        if try await ItemRecord.query(on: db).filter(\.$implementationCode == code.value).first() != nil {
            throw DomainError.conflict("catalog.item_exists", "实施编码\(code.value)的事项已存在，请编辑其草稿。")
        }
        let hasBase = try await baseEntry(baseCode.value) != nil
        if !hasBase {
            // A new base entry is a catalog-wide definition: only catalog-wide staff may create one.
            guard Policy.allows(actor, .reviewCatalog) else {
                throw DomainError.invalid("catalog.base_not_found", "基本目录中没有编码为\(baseCode.value)的事项，请联系事项管理员先建立基本目录。")
            }
        }
        return try await AuditTrail.writeTransaction(on: db) { db in
            if !hasBase {
                try await BaseItemRecord(entry: BaseEntry(
                    baseCode: baseCode.value, name: request.guide.name, type: request.guide.type, legalBasis: request.guide.legalBasis)
                ).create(on: db)
            }
            let item = ItemRecord(code: code, department: department, guide: request.guide, at: now)
            try await item.create(on: db)
            let version = try ItemVersionRecord(itemID: item.id!, number: 1, guide: request.guide, author: actor.accountName, at: now)
            try await version.create(on: db)
            try await record(item: item, version: 1, action: .create, changes: GuideDiff.changes(from: nil, to: request.guide), note: nil, on: db)
            return (item, version)
        }
    }

    /// Saves a new draft: edits the current draft, or opens a new version after a published or retired one.
    func saveDraft(code: String, guide: ServiceGuide) async throws -> (ItemRecord, ItemVersionRecord) {
        let item = try await item(code: code)
        try Policy.authorize(actor, .editCatalog, on: item.owner)
        try GuideValidator.validate(guide, baseCode: item.baseCode)
        let latest = try await latestVersion(of: item)
        let previous = try latest.guide()
        let changes = GuideDiff.changes(from: previous, to: guide)
        switch latest.state {
        case .draft:
            guard !changes.isEmpty else { return (item, latest) }
            return try await AuditTrail.writeTransaction(on: db) { db in
                latest.content = try ItemVersionRecord.encode(guide)
                latest.updatedAt = now
                try await latest.save(on: db)
                if item.publishedVersionID == nil { item.project(guide, version: latest.number) }
                item.updatedAt = now
                try await item.save(on: db)
                try await record(item: item, version: latest.number, action: .update, changes: changes, note: nil, on: db)
                return (item, latest)
            }
        case .submitted, .approved:
            throw DomainError.conflict(
                "catalog.version_under_review", "第\(latest.number)版正在审核(\(latest.state.chineseName))，请先退回修改后再编辑。")
        case .published, .retired:
            guard !changes.isEmpty else {
                throw DomainError.invalid("catalog.no_changes", "内容与第\(latest.number)版相同，没有需要保存的修改。")
            }
            return try await AuditTrail.writeTransaction(on: db) { db in
                let version = try ItemVersionRecord(itemID: item.id!, number: latest.number + 1, guide: guide, author: actor.accountName, at: now)
                try await version.create(on: db)
                item.latestVersion = version.number
                item.updatedAt = now
                try await item.save(on: db)
                try await record(item: item, version: version.number, action: .createVersion, changes: changes, note: nil, on: db)
                return (item, version)
            }
        }
    }

    /// Moves a version through the publication workflow; publishing refuses a guide with errors.
    func perform(_ action: CatalogAction, code: String, note: String?) async throws -> ItemVersionRecord {
        let item = try await item(code: code)
        try Policy.authorize(actor, PolicyAction(action), on: item.owner)
        if let note, note.count > 1_000 { throw DomainError.invalid("catalog.note_too_long", "说明不能超过1000个字符。") }
        let version: ItemVersionRecord
        if action == .retire, let publishedID = item.publishedVersionID, let published = try await ItemVersionRecord.find(publishedID, on: db) {
            version = published
        } else {
            version = try await latestVersion(of: item)
        }
        let transition = try CatalogWorkflow.transition(from: version.state, action: action)
        let guide = try version.guide()
        if action == .approve || action == .publish {
            let blocking = CatalogLinter.blockingFindings(try await lintSubject(item: item, guide: guide), context: lintContext)
            guard blocking.isEmpty else {
                throw DomainError(
                    .conflict, code: "catalog.lint_errors",
                    message: "第\(version.number)版有\(blocking.count)处错误，须改正后才能\(action.chineseName)。",
                    fieldErrors: blocking.map { FieldError(field: $0.field ?? $0.rule, message: $0.message) })
            }
        }
        return try await AuditTrail.writeTransaction(on: db) { db in
            try await apply(transition, action: action, to: version, item: item, guide: guide, on: db)
            try await record(item: item, version: version.number, action: CatalogEventAction(action), changes: [], note: note, on: db)
            return version
        }
    }

    /// Writes a transition and performs its effects.
    func apply(
        _ transition: CatalogTransition, action: CatalogAction, to version: ItemVersionRecord, item: ItemRecord,
        guide: ServiceGuide, on db: any Database
    ) async throws {
        version.state = transition.to
        version.updatedAt = now
        switch action {
        case .submit: (version.submittedBy, version.submittedAt) = (actor.accountName, now)
        case .approve: (version.approvedBy, version.approvedAt) = (actor.accountName, now)
        case .publish: (version.publishedBy, version.publishedAt) = (actor.accountName, now)
        case .retire: version.retiredAt = now
        case .returnToDraft: (version.approvedBy, version.approvedAt) = (nil, nil)
        }
        try await version.save(on: db)
        try await perform(transition.effects, of: version, item: item, guide: guide, on: db)
    }

    /// Performs a transition's effects on the entry and saves it; imports that publish use this too.
    func perform(_ effects: [CatalogEffect], of version: ItemVersionRecord, item: ItemRecord, guide: ServiceGuide, on db: any Database) async throws {
        for effect in effects {
            switch effect {
            case .retirePreviouslyPublished:
                try await ItemVersionRecord.query(on: db)
                    .filter(\.$item.$id == item.id!).filter(\.$state == .published).filter(\.$id != version.id!)
                    .set(\.$state, to: .retired).set(\.$retiredAt, to: now).set(\.$updatedAt, to: now)
                    .update()
            case .becomePublic:
                item.publishedVersionID = version.id
                item.publishedAt = now
                item.project(guide, version: version.number)
            case .withdrawFromPublic:
                item.publishedVersionID = nil
                item.publishedAt = nil
            }
        }
        item.updatedAt = now
        try await item.save(on: db)
    }

    func record(item: ItemRecord, version: Int, action: CatalogEventAction, changes: [GuideChange], note: String?, on db: any Database) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let detail = String(decoding: try encoder.encode(CatalogEventDetail(changes: changes, note: note)), as: UTF8.self)
        try await CatalogEventRecord(itemID: item.id!, versionNumber: version, action: action.rawValue, actor: actor.accountName, at: now, detail: detail)
            .create(on: db)
        // The catalog's own log keeps the full diff; the trail keeps who, what and which paths changed.
        try await AuditTrail.append(
            context.entry(
                "catalog." + action.rawValue, subjectType: "item", subjectID: item.implementationCode,
                owner: ResourceOwner(departmentCreditCode: item.departmentCode, regionCode: item.regionCode),
                before: nil, after: "第\(version)版" + (changes.isEmpty ? "" : "：" + changes.map(\.path).prefix(20).joined(separator: ",")), at: now),
            on: db)
    }
}
