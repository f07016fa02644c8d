import Foundation

/// The catalog's exchange format: what `export` writes, `import` reads and the demo city is made of.
public struct CatalogDocument: Codable, Sendable {
    public struct City: Codable, Sendable, Hashable {
        public var name: String
        public var regionCode: String

        public init(name: String, regionCode: String) {
            self.name = name
            self.regionCode = regionCode
        }
    }

    public struct Region: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var level: RegionLevel
        public var parent: String?

        public init(code: String, name: String, level: RegionLevel, parent: String?) {
            self.code = code
            self.name = name
            self.level = level
            self.parent = parent
        }
    }

    public struct Department: Codable, Sendable, Hashable {
        public var creditCode: String
        public var name: String
        public var shortName: String
        public var region: String
        public var phone: String
        public var address: String
        public var officeHours: String

        public init(creditCode: String, name: String, shortName: String, region: String, phone: String, address: String, officeHours: String) {
            self.creditCode = creditCode
            self.name = name
            self.shortName = shortName
            self.region = region
            self.phone = phone
            self.address = address
            self.officeHours = officeHours
        }
    }

    public struct LifeEvent: Codable, Sendable, Hashable {
        public var slug: String
        public var name: String
        public var description: String
        public var target: ServiceTarget

        /// Slugs are short ASCII letters and digits, so they are safe in URLs and queries.
        public static func isValidSlug(_ slug: String) -> Bool {
            !slug.isEmpty && slug.count <= 64 && slug.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        }

        public init(slug: String, name: String, description: String, target: ServiceTarget) {
            self.slug = slug
            self.name = name
            self.description = description
            self.target = target
        }
    }

    public struct Item: Codable, Sendable {
        /// Implementation code; when absent it is derived from the department, level and base code.
        public var code: String?
        public var baseCode: String
        public var department: String
        public var exerciseLevel: Int
        /// `published` or `draft`: what the imported version becomes.
        public var state: VersionState
        public var guide: ServiceGuide

        public init(code: String?, baseCode: String, department: String, exerciseLevel: Int, state: VersionState, guide: ServiceGuide) {
            self.code = code
            self.baseCode = baseCode
            self.department = department
            self.exerciseLevel = exerciseLevel
            self.state = state
            self.guide = guide
        }
    }

    public var format: String?
    public var city: City?
    public var regions: [Region]
    public var departments: [Department]
    public var lifeEvents: [LifeEvent]
    public var baseItems: [BaseEntry]
    public var items: [Item]

    public static let formatName = "yiwang-catalog/1"

    public init(
        city: City? = nil, regions: [Region] = [], departments: [Department] = [], lifeEvents: [LifeEvent] = [],
        baseItems: [BaseEntry] = [], items: [Item] = []
    ) {
        self.format = CatalogDocument.formatName
        self.city = city
        self.regions = regions
        self.departments = departments
        self.lifeEvents = lifeEvents
        self.baseItems = baseItems
        self.items = items
    }

    enum CodingKeys: String, CodingKey { case format, city, regions, departments, lifeEvents, baseItems, items }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(String.self, forKey: .format)
        city = try c.decodeIfPresent(City.self, forKey: .city)
        regions = try c.decodeIfPresent([Region].self, forKey: .regions) ?? []
        departments = try c.decodeIfPresent([Department].self, forKey: .departments) ?? []
        lifeEvents = try c.decodeIfPresent([LifeEvent].self, forKey: .lifeEvents) ?? []
        baseItems = try c.decodeIfPresent([BaseEntry].self, forKey: .baseItems) ?? []
        items = try c.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}

/// What the document already-present catalog holds, so a document can be checked against it.
public struct CatalogSnapshot: Sendable {
    public var regionCodes: Set<String>
    public var departments: [String: (name: String, region: String)]
    public var baseItems: [String: BaseEntry]
    public var lifeEventSlugs: Set<String>

    public init(
        regionCodes: Set<String> = [], departments: [String: (name: String, region: String)] = [:],
        baseItems: [String: BaseEntry] = [:], lifeEventSlugs: Set<String> = []
    ) {
        self.regionCodes = regionCodes
        self.departments = departments
        self.baseItems = baseItems
        self.lifeEventSlugs = lifeEventSlugs
    }
}

/// Checks a whole import before anything is written: it lands whole or not at all.
public enum CatalogDocumentValidator {
    public static let maxItems = 50_000
    /// Field errors beyond this many are summarised, so a bad file does not produce a megabyte of errors.
    public static let maxReported = 100

    /// Validates the document against itself and the existing catalog; returns the implementation
    /// code of every item in order.
    public static func validate(
        _ document: CatalogDocument, existing: CatalogSnapshot, context: LintContext
    ) throws(DomainError) -> [ImplementationCode] {
        var errors: [FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(FieldError(field: field, message: message)) }

        if let format = document.format, format != CatalogDocument.formatName {
            throw .invalid("catalog.import_format", "无法识别的导入格式“\(format)”，应为\(CatalogDocument.formatName)。")
        }
        guard document.items.count <= maxItems else {
            throw DomainError(.tooLarge, code: "catalog.import_too_many", message: "一次最多导入\(maxItems)个事项，本次有\(document.items.count)个。")
        }

        var regionLevels: [String: RegionLevel] = [:]
        for (index, region) in document.regions.enumerated() {
            do throws(DomainError) {
                let code = try RegionCode(region.code)
                if regionLevels[code.value] != nil { fail("regions/\(index)/code", "区划代码\(code.value)重复。") }
                regionLevels[code.value] = region.level
                if region.name.isBlank { fail("regions/\(index)/name", "区划名称不能为空。") }
            } catch { fail("regions/\(index)/code", error.message) }
        }
        let knownRegions = existing.regionCodes.union(regionLevels.keys)
        for (index, region) in document.regions.enumerated() {
            if let parent = region.parent {
                let padded = (try? RegionCode(parent))?.value ?? parent
                if !knownRegions.contains(padded) { fail("regions/\(index)/parent", "上级区划\(parent)不存在。") }
                if let parentLevel = regionLevels[padded], parentLevel >= region.level {
                    fail("regions/\(index)/level", "区划“\(region.name)”的层级必须低于其上级区划。")
                }
            } else if region.level != .province {
                fail("regions/\(index)/parent", "区划“\(region.name)”缺少上级区划。")
            }
        }

        var departments = existing.departments
        var newDepartments: Set<String> = []
        for (index, department) in document.departments.enumerated() {
            do throws(DomainError) {
                let code = try CreditCode(department.creditCode)
                if !newDepartments.insert(code.value).inserted { fail("departments/\(index)/creditCode", "统一社会信用代码\(code.value)重复。") }
                let region = (try? RegionCode(department.region))?.value ?? department.region
                if !knownRegions.contains(region) { fail("departments/\(index)/region", "实施机构“\(department.name)”所属区划\(department.region)不存在。") }
                if department.name.isBlank { fail("departments/\(index)/name", "实施机构名称不能为空。") }
                departments[code.value] = (department.name, region)
            } catch { fail("departments/\(index)/creditCode", error.message) }
        }

        var slugs = existing.lifeEventSlugs
        for (index, event) in document.lifeEvents.enumerated() {
            if !CatalogDocument.LifeEvent.isValidSlug(event.slug) {
                fail("lifeEvents/\(index)/slug", "主题标识“\(event.slug)”只能使用英文字母和数字。")
            }
            slugs.insert(event.slug)
        }

        var bases = existing.baseItems
        for (index, base) in document.baseItems.enumerated() {
            do throws(DomainError) {
                let code = try BaseCode(base.baseCode)
                if code.type != base.type {
                    fail("baseItems/\(index)/type", "基本目录“\(base.name)”的类型与编码中的类型代码不一致。")
                }
                if let known = bases[code.value], known != base, existing.baseItems[code.value] != nil {
                    fail("baseItems/\(index)", "基本目录\(code.value)已存在且内容不同；基本目录只能由上级统一修改。")
                }
                bases[code.value] = base
            } catch { fail("baseItems/\(index)/baseCode", error.message) }
        }

        var codes: [ImplementationCode] = []
        var seen: Set<String> = []
        for (index, item) in document.items.enumerated() {
            if errors.count > maxReported { break }
            let path = "items/\(index)"
            guard item.state == .published || item.state == .draft else {
                fail("\(path)/state", "导入的事项状态只能是 published 或 draft。")
                continue
            }
            let code: ImplementationCode
            do throws(DomainError) {
                let credit = try CreditCode(item.department)
                guard let level = ExerciseLevel(rawValue: item.exerciseLevel) else {
                    throw .invalid("code.exercise_level", "行使层级应为1到7。")
                }
                let base = try BaseCode(item.baseCode)
                code = ImplementationCode(creditCode: credit, level: level, baseCode: base)
                if let given = item.code, given.uppercased() != code.value {
                    throw .invalid("code.implementation_mismatch", "实施编码\(given)与实施机构、行使层级和基本编码不一致(应为\(code.value))。")
                }
            } catch {
                fail(path, error.message)
                continue
            }
            if !seen.insert(code.value).inserted { fail(path, "实施编码\(code.value)在文件中重复。") }
            guard let department = departments[code.creditCode.value] else {
                fail("\(path)/department", "实施机构\(code.creditCode.value)不存在。")
                continue
            }
            do throws(DomainError) {
                try GuideValidator.validate(item.guide, baseCode: code.baseCode.value)
            } catch {
                for field in error.fieldErrors { fail("\(path)/guide/\(field.field)", "“\(item.guide.name)”：\(field.message)") }
                continue
            }
            for slug in item.guide.lifeEvents where !slugs.contains(slug) {
                fail("\(path)/guide/lifeEvents", "“\(item.guide.name)”引用了不存在的主题“\(slug)”。")
            }
            if item.state == .published {
                let subject = LintSubject(
                    implementationCode: code.value, baseCode: code.baseCode.value, departmentCreditCode: code.creditCode.value,
                    departmentName: department.name, guide: item.guide, base: bases[code.baseCode.value])
                for finding in CatalogLinter.blockingFindings(subject, context: context) {
                    fail("\(path)/guide/\(finding.field ?? "")", "“\(item.guide.name)”不能发布：\(finding.message)")
                }
            }
            codes.append(code)
        }
        guard errors.isEmpty else {
            let shown = Array(errors.prefix(maxReported))
            let more = errors.count > maxReported ? "(仅列出前\(maxReported)处)" : ""
            throw DomainError.invalid("catalog.import_invalid", "导入文件有\(errors.count)处错误\(more)，未导入任何内容。", fields: shown)
        }
        return codes
    }
}
