import Foundation
import Vapor
import YiwangCore

/// A department as clients see it.
struct DepartmentView: Content {
    var creditCode: String
    var name: String
    var shortName: String
    var region: String
    var phone: String
    var address: String
    var officeHours: String

    init(_ record: DepartmentRecord) {
        creditCode = record.creditCode
        name = record.name
        shortName = record.shortName
        region = record.regionCode
        phone = record.phone
        address = record.address
        officeHours = record.officeHours
    }
}

struct RegionView: Content {
    var code: String
    var name: String
    var level: RegionLevel
    var levelName: String
    var parent: String?

    init(_ record: RegionRecord) {
        code = record.code
        name = record.name
        level = record.level
        levelName = record.level.chineseName
        parent = record.parentCode
    }
}

struct DepartmentRef: Content {
    var creditCode: String
    var name: String
}

/// An item in search results: enough to choose, with its materials.
struct ItemSummary: Content {
    var code: String
    var baseCode: String
    var name: String
    var type: ItemType
    var typeName: String
    var department: DepartmentRef
    var targets: [ServiceTarget]
    var statutoryLimit: Int?
    var promisedLimit: Int
    var processing: ProcessingKind
    var requiredVisits: Int
    var zeroVisit: Bool
    var canApplyOnline: Bool
    var channels: [HandlingChannel]
    var scope: HandlingScope
    var lifeEvents: [String]
    var materials: [MaterialRequirement]
    var version: Int
    var publishedAt: Date?

    init(item: ItemRecord, guide: ServiceGuide, version: Int) {
        code = item.implementationCode
        baseCode = item.baseCode
        name = guide.name
        type = guide.type
        typeName = guide.type.chineseName
        department = DepartmentRef(creditCode: item.departmentCode, name: item.departmentName)
        targets = guide.targets
        statutoryLimit = guide.statutoryLimit
        promisedLimit = guide.promisedLimit
        processing = guide.processing
        requiredVisits = guide.requiredVisits
        zeroVisit = guide.isZeroVisit
        canApplyOnline = guide.canApplyOnline
        channels = guide.channels
        scope = guide.scope
        lifeEvents = guide.lifeEvents
        materials = guide.materials
        self.version = version
        publishedAt = item.publishedAt
    }
}

/// The whole entry: identity, version and every element of the guide, side by side.
struct ItemDocument: Content {
    var code: String
    var baseCode: String
    var department: DepartmentRef
    var region: String
    var exerciseLevel: Int
    var version: Int
    var state: VersionState
    var publishedAt: Date?
    var guide: ServiceGuide

    enum CodingKeys: String, CodingKey { case code, baseCode, department, region, exerciseLevel, version, state, publishedAt, typeName }

    func encode(to encoder: any Encoder) throws {
        // The guide's elements sit at the top level, beside the identity of the entry.
        try guide.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(baseCode, forKey: .baseCode)
        try container.encode(department, forKey: .department)
        try container.encode(region, forKey: .region)
        try container.encode(exerciseLevel, forKey: .exerciseLevel)
        try container.encode(version, forKey: .version)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(publishedAt, forKey: .publishedAt)
        try container.encode(guide.type.chineseName, forKey: .typeName)
    }

    init(item: ItemRecord, version: ItemVersionRecord, guide: ServiceGuide) {
        code = item.implementationCode
        baseCode = item.baseCode
        department = DepartmentRef(creditCode: item.departmentCode, name: item.departmentName)
        region = item.regionCode
        exerciseLevel = item.exerciseLevel
        self.version = version.number
        state = version.state
        publishedAt = version.publishedAt
        self.guide = guide
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decode(String.self, forKey: .code)
        baseCode = try container.decode(String.self, forKey: .baseCode)
        department = try container.decode(DepartmentRef.self, forKey: .department)
        region = try container.decode(String.self, forKey: .region)
        exerciseLevel = try container.decode(Int.self, forKey: .exerciseLevel)
        version = try container.decode(Int.self, forKey: .version)
        state = try container.decode(VersionState.self, forKey: .state)
        publishedAt = try container.decodeIfPresent(Date.self, forKey: .publishedAt)
        guide = try ServiceGuide(from: decoder)
    }
}

struct VersionView: Content {
    var number: Int
    var state: VersionState
    var stateName: String
    var author: String
    var createdAt: Date
    var updatedAt: Date
    var submittedBy: String?
    var approvedBy: String?
    var publishedBy: String?
    var publishedAt: Date?
    var retiredAt: Date?
    var note: String?

    init(_ record: ItemVersionRecord) {
        number = record.number
        state = record.state
        stateName = record.state.chineseName
        author = record.author
        createdAt = record.createdAt
        updatedAt = record.updatedAt
        submittedBy = record.submittedBy
        approvedBy = record.approvedBy
        publishedBy = record.publishedBy
        publishedAt = record.publishedAt
        retiredAt = record.retiredAt
        note = record.note
    }
}

struct CatalogEventView: Content {
    var version: Int
    var action: String
    var actionName: String
    var actor: String
    var at: Date
    var changes: [GuideChange]
    var note: String?

    init(_ record: CatalogEventRecord) {
        version = record.versionNumber
        action = record.action
        actionName = CatalogEventAction(rawValue: record.action)?.chineseName ?? record.action
        actor = record.actor
        at = record.at
        let detail = try? JSONDecoder().decode(CatalogEventDetail.self, from: Data(record.detail.utf8))
        changes = detail?.changes ?? []
        note = detail?.note
    }
}

struct CatalogEventDetail: Codable {
    var changes: [GuideChange]
    var note: String?
}

struct LifeEventView: Content {
    var slug: String
    var name: String
    var description: String
    var target: ServiceTarget

    init(_ record: LifeEventRecord) {
        slug = record.slug
        name = record.name
        description = record.summary
        target = record.target
    }
}
