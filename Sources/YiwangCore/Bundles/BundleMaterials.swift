import Foundation

/// One material of a bundle application: asked once, however many members use it.
public struct BundleMaterial: Codable, Sendable, Equatable {
    /// One member's use of the material.
    public struct Use: Codable, Sendable, Hashable {
        /// Implementation code of the member.
        public var member: String
        public var memberName: String
        /// Index of the material in the member's guide (what `MaterialChecklist` counts).
        public var index: Int
        /// The earlier member whose result supplies it for this member, when one does.
        public var producedBy: String?
    }

    /// The merged requirement: the first member's wording, the strictest counts and flags.
    public var requirement: MaterialRequirement
    public var uses: [Use]
    /// The applicant gives it: some member needs it before any earlier member has produced it,
    /// and the platform does not hold it.
    public var askedOfApplicant: Bool
    /// What the applicant is told beside it, e.g. "由“出生医学证明首次签发”办结后自动获取".
    public var note: String?

    /// The members that use it, in order.
    public var members: [String] { uses.map(\.member) }
}

/// The materials of a bundle application, merged.
///
/// Two materials are the same when their names match after removing spaces, brackets, book-title
/// marks and quotes (the rule the catalog's duplicate-material check uses), or when both stand for
/// the same licence type (its name or one of its `acceptedAs` names). The merged requirement is
/// required if any member requires it, takes the largest counts, may be deferred (容缺) or replaced
/// by a commitment only if every member allows it, and is fetched by the platform (no counts)
/// when any member fetches it: a licence or record the platform holds for one department it holds
/// for all.
///
/// A member's material is produced by an earlier member (one it waits for, directly or through
/// others, under the order constraints) when the earlier member's result has that name, or its
/// item issues a licence type the material stands for; the applicant does not give it for that
/// member. Members that run in parallel with the producer still need it from the applicant.
public enum BundleMaterials {
    public static func merge(
        _ bundle: ServiceBundle, choice: BundleChoice, guides: [String: ServiceGuide], licenceTypes: [LicenceType] = []
    ) throws(DomainError) -> [BundleMaterial] {
        try merge(bundle, members: bundle.choose(choice), guides: guides, licenceTypes: licenceTypes)
    }

    /// A material name as compared.
    public static func normalisedName(_ name: String) -> String {
        name.normalizedForComparison.filter { !"【】[]〔〕<>".contains($0) }
    }

    /// The identity of a material: the licence type it stands for, else its normalised name.
    static func key(_ name: String, licenceTypes: [LicenceType]) -> String {
        let normalised = normalisedName(name)
        let type = licenceTypes.first { type in
            normalisedName(type.name) == normalised || type.acceptedAs.contains { normalisedName($0) == normalised }
        }
        return type.map { "licence:" + $0.code } ?? "name:" + normalised
    }

    /// What a member's approval supplies: its result by name, and the licence types its item issues.
    static func produced(by member: BundleMember, guide: ServiceGuide, licenceTypes: [LicenceType]) -> Set<String> {
        var keys: Set<String> = []
        if !guide.result.name.isBlank { keys.insert(key(guide.result.name, licenceTypes: licenceTypes)) }
        let baseCode = (try? ImplementationCode(member.code))?.baseCode.value ?? String(member.code.suffix(12))
        for type in licenceTypes where type.issuedBy.contains(baseCode) { keys.insert("licence:" + type.code) }
        return keys
    }

    public static func merge(
        _ bundle: ServiceBundle, members chosen: [BundleMember], guides: [String: ServiceGuide], licenceTypes: [LicenceType]
    ) throws(DomainError) -> [BundleMaterial] {
        var guideOf: [String: ServiceGuide] = [:]
        for member in chosen {
            guard let guide = guides[member.code] else {
                throw .notFound("bundle.guide_unknown", "未找到成员事项“\(member.name)”的办事指南。")
            }
            guideOf[member.code] = guide
        }
        let codes = Set(chosen.map(\.code))
        var supplies: [String: Set<String>] = [:]
        for member in chosen {
            if let guide = guideOf[member.code] { supplies[member.code] = produced(by: member, guide: guide, licenceTypes: licenceTypes) }
        }
        var order: [String] = []
        var groups: [String: [(use: BundleMaterial.Use, requirement: MaterialRequirement)]] = [:]
        for member in chosen {
            guard let guide = guideOf[member.code] else { continue }
            let earlier = bundle.ancestors(of: member.code, among: codes)
            for (index, material) in guide.materials.enumerated() {
                let identity = key(material.name, licenceTypes: licenceTypes)
                let producer = chosen.first { earlier.contains($0.code) && supplies[$0.code]?.contains(identity) == true }
                let use = BundleMaterial.Use(member: member.code, memberName: member.name, index: index, producedBy: producer?.code)
                if groups[identity] == nil { order.append(identity) }
                groups[identity, default: []].append((use: use, requirement: material))
            }
        }
        let names = Dictionary(chosen.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        return order.compactMap { key in
            guard let entries = groups[key], !entries.isEmpty else { return nil }
            let asked = entries.filter { $0.use.producedBy == nil }
            // The first member's wording names it; the counts and flags are those of the members that still ask for it.
            var requirement = merged((asked.isEmpty ? entries : asked).map { $0.requirement })
            requirement.name = entries[0].requirement.name
            let producers = unique(entries.compactMap { $0.use.producedBy }).map { "“\(names[$0] ?? $0)”" }.joined(separator: "、")
            var note: String?
            if asked.isEmpty {
                note = "由\(producers)办结后自动获取"
            } else if asked.count < entries.count {
                let served = unique(entries.filter { $0.use.producedBy != nil }.map { $0.use.memberName }).map { "“\($0)”" }.joined(separator: "、")
                note = "\(served)所需的由\(producers)办结后自动获取，其他事项仍需提交"
            }
            return BundleMaterial(
                requirement: requirement, uses: entries.map { $0.use }, askedOfApplicant: !asked.isEmpty && !requirement.source.isHeldByPlatform, note: note)
        }
    }

    private static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }

    /// Several members' requirements for one material as one: the first's wording, the strictest rest.
    static func merged(_ requirements: [MaterialRequirement]) -> MaterialRequirement {
        guard var result = requirements.first else { return MaterialRequirement(name: "") }
        result.required = requirements.contains(where: \.required)
        result.originalCount = requirements.map(\.originalCount).max() ?? 0
        result.copyCount = requirements.map(\.copyCount).max() ?? 0
        result.deferrable = requirements.allSatisfy(\.deferrable)
        result.commitmentReplaceable = requirements.allSatisfy(\.commitmentReplaceable)
        result.hasTemplate = requirements.contains(where: \.hasTemplate)
        result.issuer = requirements.lazy.compactMap(\.issuer).first
        result.notes = requirements.lazy.compactMap(\.notes).first
        let bases = unique(requirements.compactMap(\.legalBasis).filter { !$0.isBlank })
        result.legalBasis = bases.isEmpty ? nil : bases.joined(separator: "；")
        if let held = requirements.first(where: { $0.source.isHeldByPlatform }) {
            result.source = held.source
            result.originalCount = 0
            result.copyCount = 0
        }
        return result
    }

    /// For each member, the indexes of its materials counted as given: those the applicant gave
    /// (`given` holds indexes into `materials`) and those an earlier member will produce. Feeds
    /// each member's `MaterialChecklist`.
    public static func supplied(_ materials: [BundleMaterial], given: Set<Int>) -> [String: Set<Int>] {
        var result: [String: Set<Int>] = [:]
        for (index, material) in materials.enumerated() {
            for use in material.uses where given.contains(index) || use.producedBy != nil {
                result[use.member, default: []].insert(use.index)
            }
        }
        return result
    }
}
