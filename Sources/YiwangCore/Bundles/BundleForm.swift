import Foundation

/// One field of one member's form that a merged field stands for.
public struct BundleFieldSource: Codable, Sendable, Hashable {
    /// Implementation code of the member.
    public var member: String
    /// The field's key in that member's form.
    public var field: String

    public init(member: String, field: String) {
        self.member = member
        self.field = field
    }
}

/// A merged field with the member fields it fills, as staff see it.
public struct BundleFieldMapping: Sendable, Equatable {
    public var field: FormField
    public var sources: [BundleFieldSource]
}

/// The personal and company facts every form asks under its own key or label. A member field is
/// one of them when, in this order: its `prefill` is the fact's source; its key is one of the
/// fact's keys (compared ignoring case); or its label, without spaces, brackets and a trailing
/// colon or asterisk, is one of the fact's labels. The field's type must also be one the fact
/// can have (a name is text, an ID number is an ID number or text, …); a field pre-filled from
/// another source (人口库, 法定代表人 …) is none of them. The keys below are
/// reserved for these meanings in every form of the catalog: a form must not use `address` for
/// business premises. Labels naming someone else (新生儿姓名, 母亲身份证号码, 参保人身份证号码)
/// are deliberately absent: those are other people's facts.
public enum CanonicalField: String, CaseIterable, Sendable, Codable {
    case applicantName, idNumber, phone, address, companyName, creditCode

    public var chineseName: String {
        switch self {
        case .applicantName: "申请人姓名"
        case .idNumber: "申请人身份证号码"
        case .phone: "联系电话"
        case .address: "联系地址"
        case .companyName: "企业名称"
        case .creditCode: "统一社会信用代码"
        }
    }

    public var prefill: PrefillSource {
        switch self {
        case .applicantName: .applicantName
        case .idNumber: .applicantIDNumber
        case .phone: .applicantPhone
        case .address: .applicantAddress
        case .companyName: .companyName
        case .creditCode: .companyCreditCode
        }
    }

    /// Keys, lower-cased.
    public var keys: Set<String> {
        switch self {
        case .applicantName: ["applicantname", "applicant"]
        case .idNumber: ["idnumber", "applicantidnumber", "idcard", "idcardnumber", "idno"]
        case .phone: ["phone", "mobile", "mobilephone", "contactphone", "applicantphone", "telephone"]
        case .address: ["address", "contactaddress", "applicantaddress", "mailingaddress"]
        case .companyName: ["companyname", "enterprisename", "entityname", "unitname"]
        case .creditCode: ["creditcode", "companycreditcode", "unifiedsocialcreditcode", "uscc"]
        }
    }

    public var labels: Set<String> {
        switch self {
        case .applicantName: ["申请人", "申请人姓名", "姓名"]
        case .idNumber: ["身份证号码", "身份证号", "公民身份号码", "申请人身份证号码", "申请人身份证号", "申请人公民身份号码"]
        case .phone: ["联系电话", "手机号码", "手机号", "申请人联系电话", "申请人手机号码"]
        case .address: ["联系地址", "通讯地址", "申请人地址", "申请人联系地址"]
        case .companyName: ["企业名称", "单位名称", "公司名称", "市场主体名称", "申请单位名称"]
        case .creditCode: ["统一社会信用代码", "企业统一社会信用代码", "单位统一社会信用代码"]
        }
    }

    public var types: Set<FormFieldType> {
        switch self {
        case .applicantName, .companyName: [.text]
        case .idNumber: [.idNumber, .text]
        case .phone: [.phone, .text]
        case .address: [.address, .text, .textarea]
        case .creditCode: [.creditCode, .text]
        }
    }

    static func labelKey(_ label: String) -> String {
        label.normalizedForComparison.filter { !"：:*".contains($0) }
    }

    /// The fact a member field asks for, if it is one of the table.
    public static func of(_ field: FormField) -> CanonicalField? {
        let candidates = allCases.filter { $0.types.contains(field.type) }
        if let prefill = field.prefill { return candidates.first { $0.prefill == prefill } }
        let key = field.key.lowercased()
        if let byKey = candidates.first(where: { $0.keys.contains(key) }) { return byKey }
        let label = labelKey(field.label)
        return candidates.first { $0.labels.contains(label) }
    }
}

/// The one form of a bundle application, composed from the chosen members' forms.
///
/// The merge rule: two member fields are the same field when they are the same canonical fact
/// (`CanonicalField`) or have the same key, and their types are compatible: equal, or one is
/// plain text and the other a stricter kind of text (ID number, credit code, phone, e-mail,
/// address, a select list; a textarea with text becomes single-line text). The merged field keeps
/// the stricter constraints: required if any member requires it, the shortest maxLength, the
/// narrowest number range, the options every select list shares. Fields that share a key but
/// cannot merge (a number and a date, ranges or option lists with nothing in common) are all
/// kept, each under its member's ordinal prefix (`m2Area`, `m3Area`) with the member named in
/// the label. A field shown only under a condition keeps it when every member has the same one;
/// otherwise it is shown always and is required only where a member requires it unconditionally
/// (each member's own check, run by `check`, still applies its condition). A member never
/// contributes two of its fields to one merged field. Only the chosen members' fields are asked.
public struct BundleForm: Codable, Sendable, Equatable {
    public var schema: FormSchema
    /// Merged field key → the member fields it fills, for staff and for `split`.
    public var sources: [String: [BundleFieldSource]]
    /// The chosen members, in the bundle's order, with their own forms.
    public var members: [String]
    public var memberForms: [String: FormSchema]

    /// Every merged field with what it fills, in the form's order.
    public var mapping: [BundleFieldMapping] {
        schema.fields.map { BundleFieldMapping(field: $0, sources: sources[$0.key] ?? []) }
    }

    /// The merged key a member's field is asked under.
    public func mergedKey(member: String, field: String) -> String? {
        sources.first { $0.value.contains(BundleFieldSource(member: member, field: field)) }?.key
    }

    /// Composes the form for the members `choice` selects; `forms` holds each member's form, by
    /// implementation code.
    public static func compose(_ bundle: ServiceBundle, choice: BundleChoice, forms: [String: FormSchema]) throws(DomainError) -> BundleForm {
        let chosen = try bundle.choose(choice)
        return try compose(bundle, members: chosen, forms: forms)
    }

    private enum Identity: Hashable {
        case canonical(CanonicalField)
        case key(String)

        var baseKey: String {
            switch self {
            case .canonical(let fact): fact.rawValue
            case .key(let key): key
            }
        }
    }

    private struct Source {
        var member: BundleMember
        var ordinal: Int
        var field: FormField
    }

    private struct Cluster {
        var identity: Identity
        var field: FormField
        var sources: [Source]
    }

    static func compose(_ bundle: ServiceBundle, members chosen: [BundleMember], forms: [String: FormSchema]) throws(DomainError) -> BundleForm {
        var clusters: [Cluster] = []
        for member in chosen {
            guard let form = forms[member.code] else {
                throw .notFound("bundle.form_unknown", "未找到成员事项“\(member.name)”的申请表。")
            }
            let ordinal = bundle.ordinal(of: member.code) ?? 0
            for field in form.fields {
                let source = Source(member: member, ordinal: ordinal, field: field)
                var identities: [Identity] = [.key(field.key)]
                if let fact = CanonicalField.of(field) { identities.insert(.canonical(fact), at: 0) }
                // Never two fields of one member in one merged field: each would claim the same answer.
                let open = identities.filter { identity in
                    !clusters.contains { $0.identity == identity && $0.sources.contains { $0.member.code == member.code } }
                }
                if let found = firstMerge(field, into: clusters, identities: open) {
                    clusters[found.index].field = found.field
                    clusters[found.index].sources.append(source)
                } else {
                    clusters.append(Cluster(identity: open.first ?? .key(field.key), field: field, sources: [source]))
                }
            }
        }
        let counts = Dictionary(clusters.map { ($0.identity, 1) }, uniquingKeysWith: +)
        var used: Set<String> = []
        var keyOf: [String: [String: String]] = [:]
        var fields: [FormField] = []
        var sources: [String: [BundleFieldSource]] = [:]
        for cluster in clusters {
            let first = cluster.sources[0]
            var field = cluster.field
            let base = cluster.identity.baseKey
            let prefixed = "m\(first.ordinal)" + base.prefix(1).uppercased() + String(base.dropFirst())
            var key = (counts[cluster.identity] ?? 1) > 1 || used.contains(base) ? prefixed : base
            if key == prefixed { field.label += "（\(first.member.name)）" }
            var suffix = 2
            while used.contains(key) {
                key = prefixed + String(suffix)
                suffix += 1
            }
            used.insert(key)
            field.key = key
            fields.append(field)
            sources[key] = cluster.sources.map { BundleFieldSource(member: $0.member.code, field: $0.field.key) }
            for source in cluster.sources { keyOf[source.member.code, default: [:]][source.field.key] = key }
        }
        // Conditions name member keys; now that every field has its merged key, translate them.
        for (index, cluster) in clusters.enumerated() {
            let conditions = cluster.sources.map { source in
                source.field.visibleWhen.map { FieldCondition(field: keyOf[source.member.code]?[$0.field] ?? $0.field, equals: $0.equals) }
            }
            if let common = conditions.first ?? nil, conditions.allSatisfy({ $0 == common }) {
                fields[index].visibleWhen = common
                fields[index].required = cluster.sources.contains { $0.field.required }
            } else {
                fields[index].visibleWhen = nil
                fields[index].required = cluster.sources.contains { $0.field.required && $0.field.visibleWhen == nil }
            }
        }
        var memberForms: [String: FormSchema] = [:]
        for member in chosen { memberForms[member.code] = forms[member.code] }
        return BundleForm(schema: FormSchema(fields: fields), sources: sources, members: chosen.map(\.code), memberForms: memberForms)
    }

    private static func firstMerge(_ field: FormField, into clusters: [Cluster], identities: [Identity]) -> (index: Int, field: FormField)? {
        for identity in identities {
            for (index, cluster) in clusters.enumerated() where cluster.identity == identity {
                if let merged = merge(cluster.field, field) { return (index, merged) }
            }
        }
        return nil
    }

    /// The type two member fields can both be asked as, the stricter of the two; nil when they
    /// cannot (a number and a date).
    static func mergedType(_ a: FormFieldType, _ b: FormFieldType) -> FormFieldType? {
        if a == b { return a }
        let stricterText: Set<FormFieldType> = [.idNumber, .creditCode, .phone, .email, .address, .select]
        switch (a, b) {
        case (.text, let other) where stricterText.contains(other): return other
        case (let other, .text) where stricterText.contains(other): return other
        case (.text, .textarea), (.textarea, .text): return .text
        case (.textarea, .address), (.address, .textarea): return .address
        default: return nil
        }
    }

    /// Two member fields as one, with the stricter of each constraint; nil when they conflict.
    static func merge(_ a: FormField, _ b: FormField) -> FormField? {
        guard let type = mergedType(a.type, b.type) else { return nil }
        var merged = a
        merged.type = type
        merged.required = a.required || b.required
        merged.maxLength = [a.maxLength, b.maxLength].compactMap { $0 }.min()
        merged.minimum = [a.minimum, b.minimum].compactMap { $0 }.max()
        merged.maximum = [a.maximum, b.maximum].compactMap { $0 }.min()
        if let low = merged.minimum, let high = merged.maximum, low > high { return nil }
        if type == .select {
            switch (a.type == .select, b.type == .select) {
            case (true, true): merged.options = a.options.filter(b.options.contains)
            case (false, true): merged.options = b.options
            default: merged.options = a.options
            }
            if merged.options.isEmpty { return nil }
        }
        merged.prefill = a.prefill ?? b.prefill
        merged.help = a.help ?? b.help
        return merged
    }

    /// Each member's answers, under its own keys, from the merged answers; every chosen member
    /// has an entry.
    public func split(_ answers: [String: JSONValue]) -> [String: [String: JSONValue]] {
        var result: [String: [String: JSONValue]] = [:]
        for member in members { result[member] = [:] }
        for (key, value) in answers {
            for source in sources[key] ?? [] { result[source.member, default: [:]][source.field] = value }
        }
        return result
    }

    /// Checks the merged answers against the merged form and then each member's answers against
    /// its own form (so a member's conditions and rules hold whatever the merge relaxed); every
    /// problem is reported once, under the merged key. The values are the merged form's.
    public func check(_ answers: [String: JSONValue], today: LocalDate? = nil, requireAll: Bool = true) -> FormSchema.Checked {
        var checked = schema.check(answers, today: today, requireAll: requireAll)
        var reported = Set(checked.problems.map(\.field))
        let perMember = split(answers)
        for member in members {
            guard let form = memberForms[member] else { continue }
            for problem in form.check(perMember[member] ?? [:], today: today, requireAll: requireAll).problems {
                let memberKey = String(problem.field.dropFirst("form/".count))
                let path = "form/" + (mergedKey(member: member, field: memberKey) ?? memberKey)
                guard reported.insert(path).inserted else { continue }
                checked.problems.append(FieldError(field: path, message: problem.message))
            }
        }
        return checked
    }
}
