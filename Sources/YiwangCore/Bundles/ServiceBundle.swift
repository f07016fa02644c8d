import Foundation

/// The kind of a bundle (一件事): a citizen's life event, a company's matter, or one of the joint
/// procedures of construction projects (seed `003`).
public enum BundleKind: String, Codable, CaseIterable, Sendable, Hashable {
    case lifeEvent, business, jointDrawingReview, jointInspection, combinedAssessment

    public var chineseName: String {
        switch self {
        case .lifeEvent: "个人“一件事”"
        case .business: "企业“一件事”"
        case .jointDrawingReview: "多图联审"
        case .jointInspection: "联合验收"
        case .combinedAssessment: "多评合一"
        }
    }

    /// The working days the reform documents set for the joint procedures (seed `003`: 多图联审 7,
    /// 多评合一 40); a longer promise is flagged, not refused, since a city may not have got there yet.
    public var referenceLimit: Int? {
        switch self {
        case .jointDrawingReview: 7
        case .combinedAssessment: 40
        default: nil
        }
    }
}

/// What a denial of one task does to the bundle.
public enum BundleDenialRule: String, Codable, CaseIterable, Sendable, Hashable {
    /// The bundle fails: tasks not yet started are cancelled.
    case failBundle
    /// The other results stand; the applicant is told of the denial.
    case othersStand

    public var chineseName: String {
        switch self {
        case .failBundle: "任一事项不予许可则整件失败"
        case .othersStand: "其他事项结果继续有效"
        }
    }
}

/// Whether a member is always part of an application, chosen by the applicant, or brought in by
/// the applicant's answer to one of the bundle's questions.
public enum BundleMemberRole: String, Codable, CaseIterable, Sendable, Hashable {
    case required, optional, conditional

    public var chineseName: String {
        switch self {
        case .required: "必办"
        case .optional: "选办"
        case .conditional: "按情形办理"
        }
    }
}

/// A conditional member is chosen when the answer to `question` equals `equals`.
public struct BundleCondition: Codable, Sendable, Hashable {
    public var question: String
    public var equals: String

    public init(question: String, equals: String) {
        self.question = question
        self.equals = equals
    }
}

/// A question the bundle asks before its form (情形引导), e.g. "是否需要办理烟草专卖零售许可证？".
public struct BundleQuestion: Codable, Sendable, Hashable {
    /// Machine name (letters and digits), referenced by conditions.
    public var key: String
    public var text: String
    public var options: [String]

    public init(key: String, text: String, options: [String] = ["是", "否"]) {
        self.key = key
        self.text = text
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case key, text, options }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        text = try c.decode(String.self, forKey: .text)
        options = try c.decodeIfPresent([String].self, forKey: .options) ?? ["是", "否"]
    }
}

/// One item of a bundle, handled by its own department as one parallel task.
public struct BundleMember: Codable, Sendable, Hashable {
    /// 实施编码 of the item; identifies the member within the bundle.
    public var code: String
    /// The item's name, as the merged guide prints it.
    public var name: String
    /// Credit code of the department that implements the item.
    public var department: String
    public var role: BundleMemberRole
    /// Only for `conditional` members.
    public var condition: BundleCondition?

    public init(code: String, name: String, department: String, role: BundleMemberRole = .required, condition: BundleCondition? = nil) {
        self.code = code
        self.name = name
        self.department = department
        self.role = role
        self.condition = condition
    }

    enum CodingKeys: String, CodingKey { case code, name, department, role, condition }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        name = try c.decode(String.self, forKey: .name)
        department = try c.decode(String.self, forKey: .department)
        role = try c.decodeIfPresent(BundleMemberRole.self, forKey: .role) ?? .required
        condition = try c.decodeIfPresent(BundleCondition.self, forKey: .condition)
    }
}

/// `member` starts only when `waitsFor` is decided (e.g. 户口登记 waits for 出生医学证明).
public struct BundleOrderConstraint: Codable, Sendable, Hashable {
    public var member: String
    public var waitsFor: String

    public init(member: String, waitsFor: String) {
        self.member = member
        self.waitsFor = waitsFor
    }
}

/// 一件事一次办: one application, one acceptance, several items decided in parallel by their
/// departments (SPEC C5).
///
/// A version of a bundle stores exactly this value, as an item version stores its guide; it goes
/// through the same states (`VersionState`, `CatalogWorkflow`) and is frozen once published. An
/// application keeps what it needs of the version it was filed under (`BundleProgress`).
public struct ServiceBundle: Codable, Sendable, Hashable {
    /// Stable across versions; used in URLs (`/api/v1/bundles/{code}`).
    public var code: String
    public var name: String
    public var kind: BundleKind
    /// Credit code of the lead department (牵头部门), whose window accepts the whole application.
    public var leadDepartment: String
    public var members: [BundleMember]
    public var questions: [BundleQuestion]
    /// 承诺办结时限 of the whole bundle, in working days from acceptance.
    public var promisedLimit: Int
    public var order: [BundleOrderConstraint]
    public var denialRule: BundleDenialRule

    public init(
        code: String, name: String, kind: BundleKind, leadDepartment: String, members: [BundleMember], questions: [BundleQuestion] = [],
        promisedLimit: Int, order: [BundleOrderConstraint] = [], denialRule: BundleDenialRule = .othersStand
    ) {
        self.code = code
        self.name = name
        self.kind = kind
        self.leadDepartment = leadDepartment
        self.members = members
        self.questions = questions
        self.promisedLimit = promisedLimit
        self.order = order
        self.denialRule = denialRule
    }

    enum CodingKeys: String, CodingKey { case code, name, kind, leadDepartment, members, questions, promisedLimit, order, denialRule }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(BundleKind.self, forKey: .kind)
        leadDepartment = try c.decode(String.self, forKey: .leadDepartment)
        members = try c.decode([BundleMember].self, forKey: .members)
        questions = try c.decodeIfPresent([BundleQuestion].self, forKey: .questions) ?? []
        promisedLimit = try c.decode(Int.self, forKey: .promisedLimit)
        order = try c.decodeIfPresent([BundleOrderConstraint].self, forKey: .order) ?? []
        denialRule = try c.decodeIfPresent(BundleDenialRule.self, forKey: .denialRule) ?? .othersStand
    }

    public func member(_ code: String) -> BundleMember? { members.first { $0.code == code } }

    /// Position of a member in the definition: stable whatever the applicant chooses, so keys
    /// derived from it (prefixed form fields) do not move between applications.
    func ordinal(of code: String) -> Int? { members.firstIndex { $0.code == code }.map { $0 + 1 } }

    /// The members one application includes: every required member, the optional ones the
    /// applicant ticked, and the conditional ones whose question was answered as they ask.
    /// Refuses unanswered questions, answers outside the options and ticks on non-optional members.
    public func choose(_ choice: BundleChoice) throws(DomainError) -> [BundleMember] {
        var problems: [FieldError] = []
        for code in choice.optionalMembers.sorted() where member(code)?.role != .optional {
            problems.append(FieldError(field: "optionalMembers", message: "“\(String(code.prefix(40)))”不是本一件事的可选事项。"))
        }
        for key in choice.answers.keys.sorted() {
            guard let question = questions.first(where: { $0.key == key }) else {
                problems.append(FieldError(field: "answers/\(String(key.prefix(40)))", message: "本一件事没有这个问题。"))
                continue
            }
            if let answer = choice.answers[key], !question.options.contains(answer) {
                problems.append(FieldError(field: "answers/\(key)", message: "“\(question.text)”应从“\(question.options.joined(separator: "/"))”中选择。"))
            }
        }
        let asked = Set(members.compactMap { $0.role == .conditional ? $0.condition?.question : nil })
        for question in questions where asked.contains(question.key) && choice.answers[question.key] == nil {
            problems.append(FieldError(field: "answers/\(question.key)", message: "请回答：\(question.text)"))
        }
        guard problems.isEmpty else {
            throw .invalid("bundle.choice_invalid", "办理情形选择有误：" + problems.map(\.message).joined(separator: "；"), fields: problems)
        }
        return members.filter { member in
            switch member.role {
            case .required: true
            case .optional: choice.optionalMembers.contains(member.code)
            case .conditional: member.condition.map { choice.answers[$0.question] == $0.equals } ?? false
            }
        }
    }

    /// The members `code` waits for among those chosen. A constraint on a member not chosen is
    /// passed through to what that member waits for, so a chain A → X → B still orders A before B
    /// when X is left out.
    public func predecessors(of code: String, among chosen: Set<String>) -> [String] {
        var found: [String] = []
        var seen: Set<String> = [code]
        var queue = order.filter { $0.member == code }.map(\.waitsFor)
        while !queue.isEmpty {
            let next = queue.removeFirst()
            guard seen.insert(next).inserted else { continue }
            if chosen.contains(next) {
                found.append(next)
            } else {
                queue.append(contentsOf: order.filter { $0.member == next }.map(\.waitsFor))
            }
        }
        return found
    }

    /// Every chosen member `code` waits for, directly or through others.
    public func ancestors(of code: String, among chosen: Set<String>) -> Set<String> {
        var result: Set<String> = []
        var queue = predecessors(of: code, among: chosen)
        while let next = queue.popLast() {
            guard result.insert(next).inserted, next != code else { continue }
            queue.append(contentsOf: predecessors(of: next, among: chosen))
        }
        return result
    }

    /// The members in an order that respects every constraint between members, or the members
    /// of one cycle when there is none.
    public func topologicalOrder() -> Result<[String], OrderCycle> {
        let codes = members.map(\.code)
        let known = Set(codes)
        var waitsFor: [String: [String]] = [:]
        for constraint in order where known.contains(constraint.member) && known.contains(constraint.waitsFor) {
            waitsFor[constraint.member, default: []].append(constraint.waitsFor)
        }
        var sorted: [String] = []
        var mark: [String: Int] = [:]  // 1 = on the current path, 2 = done
        var path: [String] = []
        func visit(_ code: String) -> [String]? {
            if mark[code] == 2 { return nil }
            if mark[code] == 1 {
                let start = path.lastIndex(of: code) ?? 0
                return Array(path[start...]) + [code]
            }
            mark[code] = 1
            path.append(code)
            for before in waitsFor[code] ?? [] {
                if let cycle = visit(before) { return cycle }
            }
            path.removeLast()
            mark[code] = 2
            sorted.append(code)
            return nil
        }
        for code in codes {
            if let cycle = visit(code) { return .failure(OrderCycle(members: cycle)) }
        }
        return .success(sorted)
    }

    public struct OrderCycle: Error, Sendable, Equatable {
        /// The members around the cycle, the first repeated at the end.
        public var members: [String]
    }
}

/// What the applicant chose before the form: answers to the bundle's questions and the optional
/// members ticked.
public struct BundleChoice: Codable, Sendable, Hashable {
    public var answers: [String: String]
    public var optionalMembers: Set<String>

    public init(answers: [String: String] = [:], optionalMembers: Set<String> = []) {
        self.answers = answers
        self.optionalMembers = optionalMembers
    }

    enum CodingKeys: String, CodingKey { case answers, optionalMembers }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        answers = try c.decodeIfPresent([String: String].self, forKey: .answers) ?? [:]
        optionalMembers = try c.decodeIfPresent(Set<String>.self, forKey: .optionalMembers) ?? []
    }
}

/// 一件事 checks, like `CatalogLinter` for items: each rule has a stable id and Chinese messages;
/// error findings block publication.
public enum BundleLinter {
    public struct Rule: Sendable {
        public var id: String
        public var severity: LintSeverity
        public var title: String
        public var check: @Sendable (ServiceBundle, [String: ServiceGuide]) -> [LintRule.Problem]
    }

    /// `guides` holds the published guide of each member, by implementation code; the limits and
    /// names are read from them.
    public static func lint(_ bundle: ServiceBundle, guides: [String: ServiceGuide]) -> [LintFinding] {
        rules.flatMap { rule in
            rule.check(bundle, guides).map {
                LintFinding(rule: rule.id, severity: rule.severity, item: bundle.code, field: $0.field, message: $0.message)
            }
        }
    }

    public static func blockingFindings(_ bundle: ServiceBundle, guides: [String: ServiceGuide]) -> [LintFinding] {
        lint(bundle, guides: guides).filter { $0.severity == .error }
    }

    /// The limit the law allows a member: its 法定办结时限, or its promise where the law sets none.
    static func legalLimit(_ guide: ServiceGuide) -> Int { guide.statutoryLimit ?? guide.promisedLimit }

    /// The most working days the members' legal limits allow the whole bundle: the longest chain
    /// of members that must follow one another (parallel members overlap). Nil when a member's
    /// guide is unknown or the order has a cycle.
    public static func longestLegalChain(_ bundle: ServiceBundle, guides: [String: ServiceGuide]) -> Int? {
        guard case .success(let sorted) = bundle.topologicalOrder() else { return nil }
        let all = Set(bundle.members.map(\.code))
        var finish: [String: Int] = [:]
        for code in sorted {
            guard let guide = guides[code] else { return nil }
            let start = bundle.predecessors(of: code, among: all).compactMap { finish[$0] }.max() ?? 0
            finish[code] = start + legalLimit(guide)
        }
        return finish.values.max()
    }

    public static func isSafeCode(_ text: String) -> Bool {
        (1...64).contains(text.count) && text.first?.isLetter == true
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    public static let rules: [Rule] = [
        Rule(id: "bundle-identity", severity: .error, title: "一件事编码或名称不正确") { b, _ in
            var problems: [LintRule.Problem] = []
            if !BundleLinter.isSafeCode(b.code) { problems.append(.init("code", "一件事编码“\(b.code)”应为字母开头的字母、数字、“-”或“_”，不超过64个字符。")) }
            if b.name.isBlank { problems.append(.init("name", "一件事未填写名称。")) }
            return problems
        },
        Rule(id: "no-members", severity: .error, title: "没有成员事项") { b, _ in
            b.members.isEmpty ? [.init("members", "一件事未包含任何成员事项。")] : []
        },
        Rule(id: "no-required-member", severity: .warning, title: "没有必办事项") { b, _ in
            !b.members.isEmpty && !b.members.contains { $0.role == .required }
                ? [.init("members", "一件事没有任何必办事项，申请人可能提交一份不含任何事项的申请。")] : []
        },
        Rule(id: "duplicate-member", severity: .error, title: "成员事项重复") { b, _ in
            var seen: [String: Int] = [:]
            return b.members.enumerated().compactMap { index, member -> LintRule.Problem? in
                if let first = seen[member.code] {
                    return .init("members/\(index)", "成员事项“\(member.name)”(\(member.code))与第\(first + 1)项重复。")
                }
                seen[member.code] = index
                return nil
            }
        },
        Rule(id: "member-code", severity: .error, title: "成员事项编码与实施机构不符") { b, _ in
            b.members.enumerated().compactMap { index, member -> LintRule.Problem? in
                do throws(DomainError) {
                    let code = try ImplementationCode(member.code)
                    guard code.creditCode.value != member.department else { return nil }
                    return .init("members/\(index)/department", "成员事项“\(member.name)”的实施编码属于\(code.creditCode.value)，与所填实施机构\(member.department)不一致。")
                } catch {
                    return .init("members/\(index)/code", "成员事项“\(member.name)”：" + error.message)
                }
            }
        },
        Rule(id: "member-not-in-catalog", severity: .error, title: "成员事项不在事项库中") { b, guides in
            b.members.enumerated().compactMap { index, member -> LintRule.Problem? in
                guides[member.code] == nil ? .init("members/\(index)", "成员事项“\(member.name)”(\(member.code))在事项库中不存在或未发布。") : nil
            }
        },
        Rule(id: "member-name-mismatch", severity: .warning, title: "成员事项名称与办事指南不一致") { b, guides in
            b.members.enumerated().compactMap { index, member -> LintRule.Problem? in
                guard let guide = guides[member.code], guide.name != member.name else { return nil }
                return .init("members/\(index)/name", "成员事项名称“\(member.name)”与其办事指南“\(guide.name)”不一致。")
            }
        },
        Rule(id: "order-unknown-member", severity: .error, title: "办理顺序引用了非成员事项") { b, _ in
            let known = Set(b.members.map(\.code))
            return b.order.enumerated().flatMap { index, constraint -> [LintRule.Problem] in
                [constraint.member, constraint.waitsFor].filter { !known.contains($0) }.map {
                    LintRule.Problem("order/\(index)", "办理顺序引用的“\($0)”不是本一件事的成员事项。")
                }
            }
        },
        Rule(id: "order-cycle", severity: .error, title: "办理顺序存在循环") { b, _ in
            guard case .failure(let cycle) = b.topologicalOrder() else { return [] }
            let names = cycle.members.map { code in b.member(code).map { "“\($0.name)”" } ?? code }
            return [.init("order", "办理顺序存在循环，这些事项将永远互相等待：" + names.joined(separator: " → ") + "。")]
        },
        Rule(id: "question-invalid", severity: .error, title: "情形问题定义错误") { b, _ in
            var problems: [LintRule.Problem] = []
            var keys: Set<String> = []
            for (index, question) in b.questions.enumerated() {
                if !BundleLinter.isSafeCode(question.key) { problems.append(.init("questions/\(index)/key", "问题标识“\(question.key)”应为字母开头的字母数字组合。")) }
                if !keys.insert(question.key).inserted { problems.append(.init("questions/\(index)/key", "问题标识“\(question.key)”重复。")) }
                if question.text.isBlank { problems.append(.init("questions/\(index)/text", "问题“\(question.key)”未填写内容。")) }
                if Set(question.options).count < 2 || question.options.contains(where: \.isBlank) {
                    problems.append(.init("questions/\(index)/options", "问题“\(question.text)”应至少有两个不同且非空的选项。"))
                }
            }
            return problems
        },
        Rule(id: "condition-invalid", severity: .error, title: "按情形办理的事项条件错误") { b, _ in
            b.members.enumerated().compactMap { index, member -> LintRule.Problem? in
                switch (member.role, member.condition) {
                case (.conditional, nil):
                    return .init("members/\(index)/condition", "成员事项“\(member.name)”按情形办理，但未指明由哪个问题决定。")
                case (.conditional, let condition?):
                    guard let question = b.questions.first(where: { $0.key == condition.question }) else {
                        return .init("members/\(index)/condition", "成员事项“\(member.name)”的条件引用了未定义的问题“\(condition.question)”。")
                    }
                    return question.options.contains(condition.equals)
                        ? nil : .init("members/\(index)/condition", "成员事项“\(member.name)”的条件答案“\(condition.equals)”不是问题“\(question.text)”的选项。")
                case (_, .some):
                    return .init("members/\(index)/condition", "成员事项“\(member.name)”为\(member.role.chineseName)事项，不应设置情形条件。")
                case (_, nil):
                    return nil
                }
            }
        },
        Rule(id: "promise-invalid", severity: .error, title: "一件事承诺时限不正确") { b, guides in
            if b.promisedLimit <= 0 { return [.init("promisedLimit", "一件事承诺办结时限应大于0个工作日，现为\(b.promisedLimit)。")] }
            guard let longest = BundleLinter.longestLegalChain(b, guides: guides), b.promisedLimit > longest else { return [] }
            return [.init("promisedLimit", "一件事承诺办结时限\(b.promisedLimit)个工作日超过成员事项法定时限所允许的\(longest)个工作日(按办理顺序串联、并联事项取最长计算)。")]
        },
        Rule(id: "promise-above-reference", severity: .warning, title: "联合审批承诺时限超过改革要求") { b, _ in
            guard let reference = b.kind.referenceLimit, b.promisedLimit > reference else { return [] }
            return [.init("promisedLimit", "\(b.kind.chineseName)的承诺时限\(b.promisedLimit)个工作日超过改革要求的\(reference)个工作日。")]
        },
        Rule(id: "lead-runs-no-member", severity: .error, title: "牵头部门未承办任何成员事项") { b, _ in
            guard !b.members.isEmpty, !b.members.contains(where: { $0.department == b.leadDepartment }) else { return [] }
            return [.init("leadDepartment", "牵头部门\(b.leadDepartment)不承办本一件事的任何成员事项。")]
        },
    ]
}
