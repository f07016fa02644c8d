import Fluent
import Foundation
import Vapor
import YiwangCore

/// What an import did.
struct ImportReport: Content, Equatable {
    var regions = 0
    var departments = 0
    var lifeEvents = 0
    var baseItems = 0
    var created = 0
    var updated = 0
    var published = 0
    var drafts = 0
}

/// Import and export of the whole catalog. An import is checked in full first and written in one
/// transaction, so it lands whole or not at all.
struct CatalogExchange {
    let db: any Database
    let now: Date
    let settings: Settings
    /// Who the written versions are attributed to.
    let attribution: String
    /// How the import appears in the audit trail (the API sets the caller's context).
    var auditContext: AuditContext?

    /// Rows per multi-row INSERT: keeps bind parameters well under SQLite's and PostgreSQL's limits.
    static let batchSize = 200

    func snapshot() async throws -> CatalogSnapshot {
        let regions = try await RegionRecord.query(on: db).all()
        let departments = try await DepartmentRecord.query(on: db).all()
        let bases = try await BaseItemRecord.query(on: db).all()
        let events = try await LifeEventRecord.query(on: db).all()
        return CatalogSnapshot(
            regionCodes: Set(regions.map(\.code)),
            departments: Dictionary(departments.map { ($0.creditCode, (name: $0.name, region: $0.regionCode)) }, uniquingKeysWith: { a, _ in a }),
            baseItems: Dictionary(bases.map { ($0.baseCode, $0.entry) }, uniquingKeysWith: { a, _ in a }),
            lifeEventSlugs: Set(events.map(\.slug)))
    }

    func importDocument(_ document: CatalogDocument) async throws -> ImportReport {
        let existing = try await snapshot()
        let codes = try CatalogDocumentValidator.validate(
            document, existing: existing, context: LintContext(today: now, staleAfterDays: settings.staleGuideDays))
        return try await AuditTrail.writeTransaction(on: db) { db in
            var report = ImportReport()
            try await upsertReferenceData(document, existing: existing, report: &report, on: db)
            let departments = try await DepartmentRecord.query(on: db).all()
                .reduce(into: [String: DepartmentRecord]()) { $0[$1.creditCode] = $1 }
            var knownBases = Set(try await BaseItemRecord.query(on: db).all().map(\.baseCode))
            var newBases: [BaseItemRecord] = []
            for item in document.items where !knownBases.contains(item.baseCode.uppercased()) {
                let code = item.baseCode.uppercased()
                newBases.append(BaseItemRecord(entry: BaseEntry(baseCode: code, name: item.guide.name, type: item.guide.type, legalBasis: item.guide.legalBasis)))
                knownBases.insert(code)
            }
            try await createInBatches(newBases, on: db)
            report.baseItems += newBases.count

            let existingItems = try await ItemRecord.query(on: db).all()
                .reduce(into: [String: ItemRecord]()) { $0[$1.implementationCode] = $1 }
            var newItems: [ItemRecord] = []
            var newVersions: [ItemVersionRecord] = []
            var newEvents: [CatalogEventRecord] = []
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            let note = String(decoding: try encoder.encode(CatalogEventDetail(changes: [], note: "目录导入")), as: UTF8.self)

            for (entry, code) in zip(document.items, codes) {
                let department = departments[code.creditCode.value]!
                let published = entry.state == .published
                if published { report.published += 1 } else { report.drafts += 1 }
                if let item = existingItems[code.value] {
                    report.updated += 1
                    try await importVersion(entry.guide, published: published, into: item, on: db)
                    continue
                }
                report.created += 1
                let item = ItemRecord(code: code, department: department, guide: entry.guide, at: now)
                let version = try ItemVersionRecord(itemID: item.id!, number: 1, guide: entry.guide, author: attribution, at: now)
                version.id = UUID()
                if published {
                    markPublished(version)
                    item.publishedVersionID = version.id
                    item.publishedAt = now
                }
                newItems.append(item)
                newVersions.append(version)
                newEvents.append(CatalogEventRecord(itemID: item.id!, versionNumber: 1, action: CatalogEventAction.importEntry.rawValue, actor: attribution, at: now, detail: note))
            }
            try await createInBatches(newItems, on: db)
            try await createInBatches(newVersions, on: db)
            try await createInBatches(newEvents, on: db)
            try await AuditTrail.append(
                (auditContext ?? .system(attribution)).entry(
                    "catalog.import", subjectType: "catalog", subjectID: "catalog",
                    after: "新建\(report.created)个、更新\(report.updated)个事项(已发布\(report.published)，草稿\(report.drafts))", at: now),
                on: db)
            return report
        }
    }

    private func markPublished(_ version: ItemVersionRecord) {
        version.state = .published
        version.submittedBy = attribution
        version.submittedAt = now
        version.approvedBy = attribution
        version.approvedAt = now
        version.publishedBy = attribution
        version.publishedAt = now
        version.note = "目录导入"
    }

    /// An imported guide for an existing entry replaces its pending draft or becomes a new version.
    private func importVersion(_ guide: ServiceGuide, published: Bool, into item: ItemRecord, on db: any Database) async throws {
        let service = CatalogService(db: db, now: now, settings: settings, actor: .staff(account: attribution, grants: []))
        let latest = try await service.latestVersion(of: item)
        let previous = try latest.guide()
        let version: ItemVersionRecord
        if latest.state.isInProgress {
            version = latest
            version.content = try ItemVersionRecord.encode(guide)
            version.state = .draft
            version.updatedAt = now
        } else {
            version = try ItemVersionRecord(itemID: item.id!, number: latest.number + 1, guide: guide, author: attribution, at: now)
        }
        if published { markPublished(version) }
        try await version.save(on: db)
        item.latestVersion = version.number
        if published {
            try await service.perform([.retirePreviouslyPublished, .becomePublic], of: version, item: item, guide: guide, on: db)
        } else {
            if item.publishedVersionID == nil { item.project(guide, version: version.number) }
            item.updatedAt = now
            try await item.save(on: db)
        }
        try await service.record(
            item: item, version: version.number, action: .importEntry, changes: GuideDiff.changes(from: previous, to: guide),
            note: "目录导入", on: db)
    }

    private func upsertReferenceData(_ document: CatalogDocument, existing: CatalogSnapshot, report: inout ImportReport, on db: any Database) async throws {
        let regions = try await RegionRecord.query(on: db).all().reduce(into: [String: RegionRecord]()) { $0[$1.code] = $1 }
        for region in document.regions {
            let code = try RegionCode(region.code).value
            let parent = try region.parent.map { try RegionCode($0).value }
            if let record = regions[code] {
                record.name = region.name
                record.level = region.level
                record.parentCode = parent
                try await record.save(on: db)
            } else {
                try await RegionRecord(code: code, name: region.name, level: region.level, parentCode: parent).create(on: db)
            }
            report.regions += 1
        }
        let departments = try await DepartmentRecord.query(on: db).all().reduce(into: [String: DepartmentRecord]()) { $0[$1.creditCode] = $1 }
        for department in document.departments {
            let code = try CreditCode(department.creditCode).value
            let region = try RegionCode(department.region).value
            let record = departments[code] ?? DepartmentRecord()
            record.creditCode = code
            record.name = department.name
            record.shortName = department.shortName
            record.regionCode = region
            record.phone = department.phone
            record.address = department.address
            record.officeHours = department.officeHours
            try await record.save(on: db)
            report.departments += 1
        }
        let events = try await LifeEventRecord.query(on: db).all().reduce(into: [String: LifeEventRecord]()) { $0[$1.slug] = $1 }
        for event in document.lifeEvents {
            let record = events[event.slug] ?? LifeEventRecord()
            record.slug = event.slug
            record.name = event.name
            record.summary = event.description
            record.target = event.target
            try await record.save(on: db)
            report.lifeEvents += 1
        }
        var bases: [BaseItemRecord] = []
        for base in document.baseItems where existing.baseItems[base.baseCode.uppercased()] == nil {
            var entry = base
            entry.baseCode = base.baseCode.uppercased()
            bases.append(BaseItemRecord(entry: entry))
        }
        try await createInBatches(bases, on: db)
        report.baseItems += bases.count
    }

    private func createInBatches<M: Model>(_ models: [M], on db: any Database) async throws {
        var start = 0
        while start < models.count {
            let end = min(start + Self.batchSize, models.count)
            try await Array(models[start..<end]).create(on: db)
            start = end
        }
    }

    // MARK: Export

    /// The catalog as a document: published versions, and with `includeDrafts` the newest draft of
    /// entries that have one, limited to `scopes` (nil = everything).
    func exportDocument(includeDrafts: Bool, scopes: [Scope]?) async throws -> CatalogDocument {
        let service = CatalogService(db: db, now: now, settings: settings, actor: .staff(account: attribution, grants: []))
        let snapshot = try await service.snapshot(scopes: scopes)
        var entries: [CatalogDocument.Item] = []
        for item in snapshot.items {
            let chosen: ItemVersionRecord?
            if includeDrafts, let newest = snapshot.newest[item.id!], newest.state.isInProgress {
                chosen = newest
            } else {
                chosen = snapshot.published[item.id!]
            }
            guard let version = chosen else { continue }
            entries.append(CatalogDocument.Item(
                code: item.implementationCode, baseCode: item.baseCode, department: item.departmentCode,
                exerciseLevel: item.exerciseLevel, state: version.state == .published ? .published : .draft, guide: try version.guide()))
        }
        let usedBases = Set(entries.map(\.baseCode))
        let bases = try await BaseItemRecord.query(on: db).sort(\.$baseCode).all().map(\.entry).filter { usedBases.contains($0.baseCode) }
        let regions = try await RegionRecord.query(on: db).all().sorted { ($0.level, $0.code) < ($1.level, $1.code) }
        let departments = try await DepartmentRecord.query(on: db).sort(\.$creditCode).all()
        let events = try await LifeEventRecord.query(on: db).sort(\.$slug).all()
        return CatalogDocument(
            regions: regions.map { .init(code: $0.code, name: $0.name, level: $0.level, parent: $0.parentCode) },
            departments: departments.map {
                .init(creditCode: $0.creditCode, name: $0.name, shortName: $0.shortName, region: $0.regionCode,
                      phone: $0.phone, address: $0.address, officeHours: $0.officeHours)
            },
            lifeEvents: events.map { .init(slug: $0.slug, name: $0.name, description: $0.summary, target: $0.target) },
            baseItems: bases, items: entries)
    }
}
