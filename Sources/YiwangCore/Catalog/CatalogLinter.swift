import Foundation

public enum LintSeverity: String, Codable, CaseIterable, Sendable, Comparable {
    case error, warning, info

    public var chineseName: String {
        switch self {
        case .error: "错误"
        case .warning: "警告"
        case .info: "提示"
        }
    }

    private var rank: Int { LintSeverity.allCases.firstIndex(of: self)! }
    public static func < (lhs: LintSeverity, rhs: LintSeverity) -> Bool { lhs.rank < rhs.rank }
}

/// 智能纠错: one problem found in one guide.
public struct LintFinding: Codable, Sendable, Hashable {
    public var rule: String
    public var severity: LintSeverity
    /// Implementation code of the item.
    public var item: String
    /// Path of the element at fault, e.g. `materials/1`.
    public var field: String?
    public var message: String

    public init(rule: String, severity: LintSeverity, item: String, field: String?, message: String) {
        self.rule = rule
        self.severity = severity
        self.item = item
        self.field = field
        self.message = message
    }
}

/// The base catalog entry an implementation must agree with (同一事项、同一标准、同一编码).
public struct BaseEntry: Codable, Sendable, Hashable {
    public var baseCode: String
    public var name: String
    public var type: ItemType
    public var legalBasis: [String]

    public init(baseCode: String, name: String, type: ItemType, legalBasis: [String]) {
        self.baseCode = baseCode
        self.name = name
        self.type = type
        self.legalBasis = legalBasis
    }
}

/// Everything the linter looks at for one entry.
public struct LintSubject: Sendable {
    public var implementationCode: String
    public var baseCode: String
    public var departmentCreditCode: String
    public var departmentName: String
    public var guide: ServiceGuide
    public var base: BaseEntry?

    public init(
        implementationCode: String, baseCode: String, departmentCreditCode: String, departmentName: String,
        guide: ServiceGuide, base: BaseEntry?
    ) {
        self.implementationCode = implementationCode
        self.baseCode = baseCode
        self.departmentCreditCode = departmentCreditCode
        self.departmentName = departmentName
        self.guide = guide
        self.base = base
    }
}

/// A named check with a stable identifier; the identifier travels in every finding.
public struct LintRule: Sendable {
    public struct Problem: Sendable {
        public var field: String?
        public var message: String
        public init(_ field: String?, _ message: String) {
            self.field = field
            self.message = message
        }
    }

    public var id: String
    public var severity: LintSeverity
    /// What the rule checks, in Chinese, for the report legend.
    public var title: String
    public var check: @Sendable (LintSubject, LintContext) -> [Problem]
}

public struct LintContext: Sendable {
    /// Today's date in China; guides not reviewed for `staleAfterDays` are stale.
    public var today: Date
    public var staleAfterDays: Int

    public init(today: Date, staleAfterDays: Int = 365) {
        self.today = today
        self.staleAfterDays = staleAfterDays
    }
}

/// 智能纠错: checks guides against the elements the standards require and the rules of the
/// 放管服 reforms (no proofs without basis, no fees without basis, promises within the law).
public enum CatalogLinter {
    public static func lint(_ subject: LintSubject, context: LintContext) -> [LintFinding] {
        rules.flatMap { rule in
            rule.check(subject, context).map {
                LintFinding(
                    rule: rule.id, severity: rule.severity, item: subject.implementationCode,
                    field: $0.field, message: $0.message)
            }
        }
    }

    /// Whether a guide has no error-level finding (warnings do not block publication).
    public static func blockingFindings(_ subject: LintSubject, context: LintContext) -> [LintFinding] {
        lint(subject, context: context).filter { $0.severity == .error }
    }

    public static let rules: [LintRule] = [
        LintRule(id: "missing-legal-basis", severity: .error, title: "缺少设定依据") { s, _ in
            s.guide.legalBasis.allSatisfy(\.isBlank) ? [.init("legalBasis", "事项未填写设定依据。")] : []
        },
        LintRule(id: "missing-acceptance-conditions", severity: .error, title: "缺少受理条件") { s, _ in
            s.guide.acceptanceConditions.isBlank ? [.init("acceptanceConditions", "事项未填写受理条件。")] : []
        },
        LintRule(id: "missing-process", severity: .error, title: "缺少办理流程") { s, _ in
            s.guide.processSteps.isEmpty ? [.init("processSteps", "事项未填写办理流程。")] : []
        },
        LintRule(id: "missing-contact", severity: .error, title: "缺少咨询方式或办理地点") { s, _ in
            var problems: [LintRule.Problem] = []
            if s.guide.consultationPhone.isBlank { problems.append(.init("consultationPhone", "事项未填写咨询电话。")) }
            if s.guide.address.isBlank { problems.append(.init("address", "事项未填写办理地点。")) }
            if s.guide.officeHours.isBlank { problems.append(.init("officeHours", "事项未填写办理时间。")) }
            return problems
        },
        LintRule(id: "missing-result", severity: .error, title: "缺少审批结果") { s, _ in
            s.guide.result.name.isBlank ? [.init("result/name", "事项未填写审批结果名称。")] : []
        },
        LintRule(id: "missing-materials", severity: .warning, title: "依申请事项未列申请材料") { s, _ in
            s.guide.materials.isEmpty && s.guide.type != .reward
                ? [.init("materials", "依申请事项未列出任何申请材料，请核实是否确实无需材料。")] : []
        },
        LintRule(id: "missing-target-or-channel", severity: .error, title: "缺少服务对象或办理形式") { s, _ in
            var problems: [LintRule.Problem] = []
            if s.guide.targets.isEmpty { problems.append(.init("targets", "事项未填写服务对象(自然人/法人)。")) }
            if s.guide.channels.isEmpty { problems.append(.init("channels", "事项未填写办理形式。")) }
            return problems
        },
        LintRule(id: "promised-exceeds-statutory", severity: .error, title: "承诺时限超过法定时限") { s, _ in
            guard let statutory = s.guide.statutoryLimit, s.guide.promisedLimit > statutory else { return [] }
            return [.init("promisedLimit", "承诺办结时限\(s.guide.promisedLimit)个工作日超过法定办结时限\(statutory)个工作日。")]
        },
        LintRule(id: "limit-inconsistent", severity: .error, title: "时限与办件类型矛盾") { s, _ in
            var problems: [LintRule.Problem] = []
            if s.guide.promisedLimit < 0 { problems.append(.init("promisedLimit", "承诺办结时限不能为负数。")) }
            if let statutory = s.guide.statutoryLimit, statutory < 0 {
                problems.append(.init("statutoryLimit", "法定办结时限不能为负数。"))
            }
            if s.guide.processing == .immediate && s.guide.promisedLimit > 0 {
                problems.append(.init("processing", "即办件的承诺办结时限应为0(当场办结)，现为\(s.guide.promisedLimit)个工作日。"))
            }
            if s.guide.processing == .promised && s.guide.promisedLimit == 0 {
                problems.append(.init("processing", "承诺件应填写大于0的承诺办结时限；当场办结的事项应标为即办件。"))
            }
            return problems
        },
        LintRule(id: "proof-without-basis", severity: .error, title: "证明材料无设定依据(奇葩证明)") { s, _ in
            s.guide.materials.enumerated().compactMap { index, material in
                guard material.isProof, material.legalBasis?.isBlank ?? true else { return nil }
                return .init("materials/\(index)", "证明材料“\(material.name)”没有法律法规依据，不得要求申请人提供。")
            }
        },
        LintRule(id: "circular-proof", severity: .error, title: "循环证明") { s, _ in
            s.guide.materials.enumerated().compactMap { index, material in
                guard material.isProof else { return nil }
                let issuedBySelf = material.issuer.map { !$0.isBlank && $0 == s.departmentName } ?? false
                let provesOwnResult = !s.guide.result.name.isBlank && material.name.contains(s.guide.result.name)
                guard issuedBySelf || provesOwnResult else { return nil }
                return .init("materials/\(index)", "证明材料“\(material.name)”由本机构自身出具或证明的正是本事项的结果，构成循环证明。")
            }
        },
        LintRule(id: "fee-without-basis", severity: .error, title: "收费无依据") { s, _ in
            s.guide.fees.enumerated().compactMap { index, fee in
                fee.basis?.isBlank ?? true ? .init("fees/\(index)", "收费项目“\(fee.name)”未写明收费依据。") : nil
            }
        },
        LintRule(id: "fee-amount-invalid", severity: .error, title: "收费标准不正确") { s, _ in
            s.guide.fees.enumerated().compactMap { index, fee in
                if let amount = fee.amountFen, amount <= 0 {
                    return .init("fees/\(index)", "收费项目“\(fee.name)”金额应大于0；不收费的事项不应列出收费项目。")
                }
                return fee.standard.isBlank ? .init("fees/\(index)", "收费项目“\(fee.name)”未写明收费标准。") : nil
            }
        },
        LintRule(id: "duplicate-material", severity: .error, title: "重复材料") { s, _ in
            var seen: [String: Int] = [:]
            var problems: [LintRule.Problem] = []
            for (index, material) in s.guide.materials.enumerated() {
                let key = material.name.normalizedForComparison
                if let first = seen[key] {
                    problems.append(.init("materials/\(index)", "材料“\(material.name)”与第\(first + 1)项重复。"))
                } else {
                    seen[key] = index
                }
            }
            return problems
        },
        LintRule(id: "contradictory-material", severity: .error, title: "材料要求自相矛盾") { s, _ in
            s.guide.materials.enumerated().flatMap { index, material -> [LintRule.Problem] in
                var problems: [LintRule.Problem] = []
                if material.deferrable && !material.required {
                    problems.append(.init("materials/\(index)", "非必要材料“\(material.name)”不应标为容缺。"))
                }
                if material.deferrable && !s.guide.acceptWithDeferredMaterials {
                    problems.append(.init("materials/\(index)", "材料“\(material.name)”标为容缺，但事项未开通容缺受理。"))
                }
                if material.originalCount < 0 || material.copyCount < 0 {
                    problems.append(.init("materials/\(index)", "材料“\(material.name)”份数不能为负数。"))
                }
                return problems
            }
        },
        LintRule(id: "material-count-missing", severity: .warning, title: "材料份数未写明") { s, _ in
            s.guide.materials.enumerated().compactMap { index, material in
                guard material.source == .applicant, material.originalCount == 0, material.copyCount == 0 else { return nil }
                return .init("materials/\(index)", "申请人自备材料“\(material.name)”未写明原件或复印件份数。")
            }
        },
        LintRule(id: "shared-material-resubmitted", severity: .warning, title: "可共享材料仍要求提交") { s, _ in
            s.guide.materials.enumerated().compactMap { index, material in
                guard material.source.isHeldByPlatform,
                    material.originalCount > 0 || material.copyCount > 0
                else { return nil }
                return .init("materials/\(index)", "材料“\(material.name)”可通过电子证照或数据共享获取，不应再要求提交原件或复印件。")
            }
        },
        LintRule(id: "deferral-rules", severity: .error, title: "容缺受理设置不当") { s, _ in
            guard s.guide.acceptWithDeferredMaterials else { return [] }
            var problems: [LintRule.Problem] = []
            if !s.guide.materials.contains(where: \.deferrable) {
                problems.append(.init("acceptWithDeferredMaterials", "事项开通了容缺受理，但没有任何材料标为可容缺。"))
            }
            guard let days = s.guide.deferredMaterialDays else {
                problems.append(.init("deferredMaterialDays", "容缺受理须规定补齐材料的期限。"))
                return problems
            }
            if days <= 0 || days > 20 {
                problems.append(.init("deferredMaterialDays", "容缺补齐期限应在1至20个工作日之间。"))
            } else if s.guide.promisedLimit > 2 && days > s.guide.promisedLimit - 2 {
                problems.append(.init("deferredMaterialDays", "容缺补齐期限应比承诺时限至少短2个工作日。"))
            }
            return problems
        },
        LintRule(id: "zero-visit-not-online", severity: .error, title: "“不见面”事项未开通网上办理") { s, _ in
            var problems: [LintRule.Problem] = []
            if s.guide.requiredVisits < 0 { problems.append(.init("requiredVisits", "到办事现场次数不能为负数。")) }
            let remote: Set<HandlingChannel> = [.online, .mobile, .postal, .api]
            if s.guide.requiredVisits == 0 && s.guide.channels.allSatisfy({ !remote.contains($0) }) {
                problems.append(.init("channels", "到现场次数为0，但事项只能到窗口办理。"))
            }
            return problems
        },
        LintRule(id: "stale-guide", severity: .warning, title: "办事指南长期未复核") { s, c in
            guard let reviewed = ChinaTime.startOfDay(s.guide.reviewedOn) else {
                return [.init("reviewedOn", "复核日期“\(s.guide.reviewedOn)”不是有效日期(YYYY-MM-DD)。")]
            }
            let days = Int(c.today.timeIntervalSince(reviewed) / 86_400)
            return days > c.staleAfterDays
                ? [.init("reviewedOn", "办事指南已\(days)天未复核(上次复核\(s.guide.reviewedOn))，请核对法规是否变化。")] : []
        },
        LintRule(id: "bad-code", severity: .error, title: "事项编码校验不通过") { s, _ in
            var problems: [LintRule.Problem] = []
            do throws(DomainError) {
                let base = try BaseCode(s.baseCode)
                if base.type != s.guide.type {
                    problems.append(.init("type", "基本编码中的类型代码\(base.type.nationalCode)与事项类型“\(s.guide.type.chineseName)”不一致。"))
                }
            } catch {
                problems.append(.init("baseCode", error.message))
            }
            do throws(DomainError) {
                let code = try ImplementationCode(s.implementationCode)
                if code.baseCode.value != s.baseCode {
                    problems.append(.init("implementationCode", "实施编码的后12位与基本编码不一致。"))
                }
                if code.creditCode.value != s.departmentCreditCode {
                    problems.append(.init("implementationCode", "实施编码的前18位与实施机构的统一社会信用代码不一致。"))
                }
            } catch {
                problems.append(.init("implementationCode", error.message))
            }
            return problems
        },
        LintRule(id: "base-mismatch", severity: .error, title: "与基本目录不一致") { s, _ in
            guard let base = s.base else {
                return [.init("baseCode", "基本目录中没有编码为\(s.baseCode)的事项。")]
            }
            var problems: [LintRule.Problem] = []
            if base.name != s.guide.name {
                problems.append(.init("name", "事项名称“\(s.guide.name)”与基本目录“\(base.name)”不一致。"))
            }
            if base.type != s.guide.type {
                problems.append(.init("type", "事项类型“\(s.guide.type.chineseName)”与基本目录“\(base.type.chineseName)”不一致。"))
            }
            if base.legalBasis != s.guide.legalBasis {
                problems.append(.init("legalBasis", "设定依据与基本目录不一致。"))
            }
            return problems
        },
        LintRule(id: "form-field-invalid", severity: .error, title: "表单字段定义错误") { s, _ in
            var problems: [LintRule.Problem] = []
            var keys: Set<String> = []
            for (index, field) in s.guide.form.fields.enumerated() {
                if field.key.isBlank || !field.key.allSatisfy({ $0.isLetter || $0.isNumber }) || !field.key.first!.isLetter {
                    problems.append(.init("form/fields/\(index)", "字段标识“\(field.key)”应为字母开头的字母数字组合。"))
                }
                if !keys.insert(field.key).inserted {
                    problems.append(.init("form/fields/\(index)", "字段标识“\(field.key)”重复。"))
                }
                if field.label.isBlank { problems.append(.init("form/fields/\(index)", "字段“\(field.key)”缺少标签。")) }
                if field.type == .select && field.options.isEmpty {
                    problems.append(.init("form/fields/\(index)", "下拉字段“\(field.label)”没有可选项。"))
                }
                if let min = field.minimum, let max = field.maximum, min > max {
                    problems.append(.init("form/fields/\(index)", "字段“\(field.label)”最小值大于最大值。"))
                }
            }
            return problems
        },
        LintRule(id: "unreachable-form-field", severity: .error, title: "表单字段永远不会显示") { s, _ in
            let fields = s.guide.form.fields
            let byKey = Dictionary(fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            return fields.enumerated().compactMap { index, field in
                guard let condition = field.visibleWhen else { return nil }
                guard let controller = byKey[condition.field], condition.field != field.key else {
                    return .init("form/fields/\(index)", "字段“\(field.label)”的显示条件引用了不存在的字段“\(condition.field)”，该字段永远不会显示。")
                }
                let possible: Bool
                switch controller.type {
                case .select: possible = controller.options.contains(condition.equals)
                case .checkbox: possible = condition.equals == "true" || condition.equals == "false"
                default: possible = true
                }
                return possible ? nil : .init("form/fields/\(index)", "字段“\(field.label)”的显示条件“\(controller.label)=\(condition.equals)”不可能成立。")
            }
        },
        LintRule(id: "phone-format", severity: .warning, title: "咨询电话格式可疑") { s, _ in
            let phone = s.guide.consultationPhone
            guard !phone.isBlank else { return [] }
            let digits = phone.filter(\.isNumber)
            let allowed = phone.allSatisfy { $0.isNumber || "-() 转,、".contains($0) }
            return allowed && (digits.count == 5 || digits.count >= 7)
                ? [] : [.init("consultationPhone", "咨询电话“\(phone)”格式可疑。")]
        },
        LintRule(id: "commitment-without-replaceable", severity: .warning, title: "告知承诺事项没有可承诺材料") { s, _ in
            s.guide.commitmentBased && !s.guide.materials.contains(where: \.commitmentReplaceable)
                ? [.init("commitmentBased", "事项实行告知承诺制，但没有任何材料标明可以承诺替代。")] : []
        },
    ]
}

extension MaterialRequirement {
    /// A 证明 of a fact (not a form, licence or ID), the kind reformers cut when no law demands it.
    public var isProof: Bool {
        guard source == .applicant || source == .issuingAuthority, name.contains("证明") else { return false }
        // Application forms and identity documents mention 证明 but prove nothing new.
        let isForm = name.hasSuffix("表") || name.hasSuffix("申请书") || name.contains("申请(")
        return !isForm && !name.contains("身份")
    }
}

extension String {
    var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }

    var normalizedForComparison: String {
        filter { !$0.isWhitespace && !"()（）《》“”\"'、，,。.".contains($0) }.lowercased()
    }
}
