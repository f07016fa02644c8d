import Fluent
import Foundation
import Vapor
import YiwangCore

/// 行政区划.
final class RegionRecord: Model, @unchecked Sendable {
    static let schema = "regions"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Enum(key: "level") var level: RegionLevel
    @OptionalField(key: "parent_code") var parentCode: String?

    init() {}

    init(code: String, name: String, level: RegionLevel, parentCode: String?) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
    }
}

/// 实施机构.
final class DepartmentRecord: Model, @unchecked Sendable {
    static let schema = "departments"

    @ID(key: .id) var id: UUID?
    @Field(key: "credit_code") var creditCode: String
    @Field(key: "name") var name: String
    @Field(key: "short_name") var shortName: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "phone") var phone: String
    @Field(key: "address") var address: String
    @Field(key: "office_hours") var officeHours: String

    init() {}

    init(creditCode: String, name: String, shortName: String, regionCode: String, phone: String, address: String, officeHours: String) {
        self.creditCode = creditCode
        self.name = name
        self.shortName = shortName
        self.regionCode = regionCode
        self.phone = phone
        self.address = address
        self.officeHours = officeHours
    }
}

/// 基本目录: the definition every level shares.
final class BaseItemRecord: Model, @unchecked Sendable {
    static let schema = "base_items"

    @ID(key: .id) var id: UUID?
    @Field(key: "base_code") var baseCode: String
    @Field(key: "name") var name: String
    @Enum(key: "type") var type: ItemType
    @Field(key: "legal_basis") var legalBasisJSON: String

    init() {}

    init(entry: BaseEntry) {
        baseCode = entry.baseCode
        name = entry.name
        type = entry.type
        legalBasisJSON = Self.encode(entry.legalBasis)
    }

    var entry: BaseEntry {
        BaseEntry(
            baseCode: baseCode, name: name, type: type,
            legalBasis: (try? JSONDecoder().decode([String].self, from: Data(legalBasisJSON.utf8))) ?? [])
    }

    static func encode(_ basis: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(basis)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

/// 实施清单 entry: one department's implementation of a base item. Its content lives in versions;
/// the columns here are the search projection of the published version.
final class ItemRecord: Model, @unchecked Sendable {
    static let schema = "items"

    @ID(key: .id) var id: UUID?
    @Field(key: "implementation_code") var implementationCode: String
    @Field(key: "base_code") var baseCode: String
    @Field(key: "department_code") var departmentCode: String
    @Field(key: "department_name") var departmentName: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "exercise_level") var exerciseLevel: Int
    @Field(key: "latest_version") var latestVersion: Int
    @OptionalField(key: "published_version_id") var publishedVersionID: UUID?
    @OptionalField(key: "published_at") var publishedAt: Date?
    @Field(key: "name") var name: String
    @Enum(key: "type") var type: ItemType
    @Field(key: "targets") var targets: String
    @Field(key: "life_events") var lifeEvents: String
    @Field(key: "required_visits") var requiredVisits: Int
    @Field(key: "promised_limit") var promisedLimit: Int
    @OptionalField(key: "statutory_limit") var statutoryLimit: Int?
    @Field(key: "search_text") var searchText: String
    /// The list row of the projected guide (JSON of `ItemSummary`), so lists need not decode guides.
    @OptionalField(key: "summary") var summary: String?
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    /// A new entry of `department`, its projection taken from its first version's guide.
    init(code: ImplementationCode, department: DepartmentRecord, guide: ServiceGuide, at date: Date) {
        id = UUID()
        implementationCode = code.value
        baseCode = code.baseCode.value
        departmentCode = department.creditCode
        departmentName = department.name
        regionCode = department.regionCode
        exerciseLevel = code.level.rawValue
        latestVersion = 1
        updatedAt = date
        project(guide, version: 1)
    }

    /// Refreshes the search projection and the list row from a guide (the published one, or
    /// the draft while nothing is published).
    func project(_ guide: ServiceGuide, version: Int) {
        name = guide.name
        type = guide.type
        targets = "," + guide.targets.map(\.rawValue).joined(separator: ",") + ","
        lifeEvents = "," + guide.lifeEvents.joined(separator: ",") + ","
        requiredVisits = guide.requiredVisits
        promisedLimit = guide.promisedLimit
        statutoryLimit = guide.statutoryLimit
        let words = [guide.name, guide.type.chineseName, departmentName, guide.result.name, guide.acceptanceConditions]
            + guide.materials.map(\.name)
        searchText = words.joined(separator: " ").lowercased()
        summary = (try? JSONEncoder().encode(ItemSummary(item: self, guide: guide, version: version))).map { String(decoding: $0, as: UTF8.self) }
    }

    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: departmentCode, regionCode: regionCode) }
}

extension Array where Element == ItemRecord {
    /// The entries inside any of `scopes`; nil scopes mean no restriction (from `Policy.scopes`).
    func within(_ scopes: [Scope]?) -> [ItemRecord] {
        guard let scopes else { return self }
        return filter { item in scopes.contains { $0.covers(department: item.departmentCode, region: item.regionCode) } }
    }
}

extension ItemVersionRecord {
    /// The newest version of each entry, by entry id.
    static func newestByItem(_ versions: [ItemVersionRecord]) -> [UUID: ItemVersionRecord] {
        versions.reduce(into: [:]) { newest, version in
            if version.number > (newest[version.$item.id]?.number ?? 0) { newest[version.$item.id] = version }
        }
    }
}

/// One version of an entry's guide. Only drafts change; published versions are immutable.
final class ItemVersionRecord: Model, @unchecked Sendable {
    static let schema = "item_versions"

    @ID(key: .id) var id: UUID?
    @Parent(key: "item_id") var item: ItemRecord
    @Field(key: "number") var number: Int
    @Enum(key: "state") var state: VersionState
    @Field(key: "content") var content: String
    @Field(key: "author") var author: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "submitted_by") var submittedBy: String?
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @OptionalField(key: "approved_by") var approvedBy: String?
    @OptionalField(key: "approved_at") var approvedAt: Date?
    @OptionalField(key: "published_by") var publishedBy: String?
    @OptionalField(key: "published_at") var publishedAt: Date?
    @OptionalField(key: "retired_at") var retiredAt: Date?
    @OptionalField(key: "note") var note: String?

    init() {}

    init(itemID: UUID, number: Int, guide: ServiceGuide, author: String, at date: Date) throws {
        self.$item.id = itemID
        self.number = number
        self.state = .draft
        self.content = try Self.encode(guide)
        self.author = author
        self.createdAt = date
        self.updatedAt = date
    }

    /// The guide this version holds, decoded once per version and content: every case request
    /// reads its version's rules, and a published version never changes.
    func guide() throws -> ServiceGuide {
        guard let id else { return try JSONDecoder().decode(ServiceGuide.self, from: Data(content.utf8)) }
        return try Self.guide(id, content: content)
    }

    /// The guide of version `id` holding `content` (read however the caller read it).
    static func guide(_ id: UUID, content: String) throws -> ServiceGuide {
        if let cached = GuideCache.shared.get(id, content: content) { return cached }
        let guide = try JSONDecoder().decode(ServiceGuide.self, from: Data(content.utf8))
        GuideCache.shared.put(id, content: content, guide)
        return guide
    }

    static func encode(_ guide: ServiceGuide) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(guide), as: UTF8.self)
    }
}

/// Who changed what, when: every edit and workflow step of the catalog, with its diff.
final class CatalogEventRecord: Model, @unchecked Sendable {
    static let schema = "catalog_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "item_id") var itemID: UUID
    @Field(key: "version_number") var versionNumber: Int
    @Field(key: "action") var action: String
    @Field(key: "actor") var actor: String
    @Field(key: "at") var at: Date
    @Field(key: "detail") var detail: String

    init() {}

    init(itemID: UUID, versionNumber: Int, action: String, actor: String, at: Date, detail: String) {
        self.itemID = itemID
        self.versionNumber = versionNumber
        self.action = action
        self.actor = actor
        self.at = at
        self.detail = detail
    }
}

/// 一件事: a life-event or business grouping of items.
final class LifeEventRecord: Model, @unchecked Sendable {
    static let schema = "life_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "name") var name: String
    @Field(key: "description") var summary: String
    @Enum(key: "target") var target: ServiceTarget

    init() {}

    init(slug: String, name: String, summary: String, target: ServiceTarget) {
        self.slug = slug
        self.name = name
        self.summary = summary
        self.target = target
    }
}

/// Decoded guides by version, kept with the content they came from (a draft edited since is
/// decoded again); bounded, the least recently used leaving first.
final class GuideCache: Sendable {
    static let shared = GuideCache()
    private struct Entry: Sendable {
        var content: String
        var guide: ServiceGuide
    }

    private let guides = BoundedCache<UUID, Entry>(limit: 4096)

    func get(_ id: UUID, content: String) -> ServiceGuide? {
        guides[id].flatMap { $0.content == content ? $0.guide : nil }
    }

    func put(_ id: UUID, content: String, _ guide: ServiceGuide) {
        guides.keep(Entry(content: content, guide: guide), for: id)
    }
}

/// What filing a case needs of a published item, read in one statement without Fluent.
struct PublishedItem: Sendable {
    var implementationCode: String
    var departmentCode: String
    var regionCode: String
    var versionID: UUID

    /// The item with this implementation code, when it has a published version.
    static func find(_ code: String, on db: any Database) async throws -> PublishedItem? {
        let normalized = code.trimmingCharacters(in: .whitespaces).uppercased()
        guard normalized.count <= 64,
            let row = try await db.sql().select().columns("implementation_code", "department_code", "region_code", "published_version_id")
                .from(ItemRecord.schema).where("implementation_code", .equal, normalized).first(),
            let versionID = try row.decode(column: "published_version_id", as: UUID?.self)
        else { return nil }
        return PublishedItem(
            implementationCode: try row.decode(column: "implementation_code", as: String.self),
            departmentCode: try row.decode(column: "department_code", as: String.self),
            regionCode: try row.decode(column: "region_code", as: String.self), versionID: versionID)
    }
}
