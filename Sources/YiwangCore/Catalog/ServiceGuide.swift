import Foundation

/// 申请材料: one document the applicant provides, or the platform fetches for them.
public struct MaterialRequirement: Codable, Sendable, Hashable {
    public var name: String
    /// 是否必备材料.
    public var required: Bool
    public var originalCount: Int
    public var copyCount: Int
    public var source: MaterialSource
    /// 容缺: may be supplied after acceptance.
    public var deferrable: Bool
    /// ✍ may be replaced by the applicant's written commitment (告知承诺).
    public var commitmentReplaceable: Bool
    /// 出具机构, for materials issued by another body.
    public var issuer: String?
    /// 要求提供材料的依据: a proof demanded without one is a 奇葩证明.
    public var legalBasis: String?
    /// 受理标准 / 填报须知.
    public var notes: String?
    /// Whether a blank template (空白表格) is offered for download.
    public var hasTemplate: Bool

    public init(
        name: String, required: Bool = true, originalCount: Int = 1, copyCount: Int = 0,
        source: MaterialSource = .applicant, deferrable: Bool = false, commitmentReplaceable: Bool = false,
        issuer: String? = nil, legalBasis: String? = nil, notes: String? = nil, hasTemplate: Bool = false
    ) {
        self.name = name
        self.required = required
        self.originalCount = originalCount
        self.copyCount = copyCount
        self.source = source
        self.deferrable = deferrable
        self.commitmentReplaceable = commitmentReplaceable
        self.issuer = issuer
        self.legalBasis = legalBasis
        self.notes = notes
        self.hasTemplate = hasTemplate
    }

    enum CodingKeys: String, CodingKey {
        case name, required, originalCount, copyCount, source, deferrable, commitmentReplaceable
        case issuer, legalBasis, notes, hasTemplate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? true
        originalCount = try c.decodeIfPresent(Int.self, forKey: .originalCount) ?? 1
        copyCount = try c.decodeIfPresent(Int.self, forKey: .copyCount) ?? 0
        source = try c.decodeIfPresent(MaterialSource.self, forKey: .source) ?? .applicant
        deferrable = try c.decodeIfPresent(Bool.self, forKey: .deferrable) ?? false
        commitmentReplaceable = try c.decodeIfPresent(Bool.self, forKey: .commitmentReplaceable) ?? false
        issuer = try c.decodeIfPresent(String.self, forKey: .issuer)
        legalBasis = try c.decodeIfPresent(String.self, forKey: .legalBasis)
        notes = try c.decodeIfPresent(String.self, forKey: .notes)
        hasTemplate = try c.decodeIfPresent(Bool.self, forKey: .hasTemplate) ?? false
    }
}

/// 收费: one fee with its standard and the legal basis that allows it.
public struct FeeRule: Codable, Sendable, Hashable {
    public var name: String
    /// Amount in fen (分), so money is never a floating-point number. Nil when the standard varies.
    public var amountFen: Int?
    /// 收费标准 as the guide prints it.
    public var standard: String
    /// 收费依据.
    public var basis: String?
    /// 是否允许减免 and on what basis.
    public var reductionBasis: String?

    public init(name: String, amountFen: Int? = nil, standard: String, basis: String?, reductionBasis: String? = nil) {
        self.name = name
        self.amountFen = amountFen
        self.standard = standard
        self.basis = basis
        self.reductionBasis = reductionBasis
    }
}

/// 办理流程: one step of the process as the guide explains it.
public struct ProcessStep: Codable, Sendable, Hashable {
    public var name: String
    public var description: String
    /// Working days this step takes, where the guide states it.
    public var workingDays: Int?

    public init(name: String, description: String, workingDays: Int? = nil) {
        self.name = name
        self.description = description
        self.workingDays = workingDays
    }
}

/// 审批结果: what the applicant receives.
public struct ResultSpec: Codable, Sendable, Hashable {
    /// 结果名称, e.g. 食品经营许可证.
    public var name: String
    /// 审批结果类型: licence/certificate, approval document, filing number, other.
    public var kind: ResultKind
    /// 有效期 as the guide prints it, e.g. "5年" or "长期".
    public var validity: String?
    /// Whether the result is issued as an electronic licence (电子证照).
    public var electronic: Bool

    public init(name: String, kind: ResultKind = .licence, validity: String? = nil, electronic: Bool = false) {
        self.name = name
        self.kind = kind
        self.validity = validity
        self.electronic = electronic
    }
}

public enum ResultKind: String, Codable, CaseIterable, Sendable, Hashable {
    case licence, approvalDocument, filingRecord, payment, other

    public var chineseName: String {
        switch self {
        case .licence: "证照"
        case .approvalDocument: "批文"
        case .filingRecord: "备案文书"
        case .payment: "给付/奖励"
        case .other: "其他"
        }
    }

    /// The decision document's title and wording, by what the item gives: a licence or approval
    /// (行政许可), a filing (备案), a payment (给付), or another result.
    public var decisionTitle: (approved: String, denied: String) {
        switch self {
        case .licence, .approvalDocument: ("准予行政许可决定书", "不予行政许可决定书")
        case .filingRecord: ("备案通知书", "不予备案通知书")
        case .payment: ("给付决定书", "不予给付决定书")
        case .other: ("办理结果通知书", "不予办理决定书")
        }
    }

    public var approvalWording: String {
        switch self {
        case .licence, .approvalDocument: "决定准予许可"
        case .filingRecord: "予以备案"
        case .payment: "决定予以给付"
        case .other: "决定予以办理"
        }
    }
}

/// 常见问题.
public struct FrequentQuestion: Codable, Sendable, Hashable {
    public var question: String
    public var answer: String

    public init(question: String, answer: String) {
        self.question = question
        self.answer = answer
    }
}

/// 办事指南: every element of one implementation entry (实施清单), as one versioned document.
///
/// A version of an item stores exactly this value; publishing freezes it. The identity of the
/// entry (its codes and department) lives beside it, not in it, so that a new version cannot
/// quietly move an item to another department.
public struct ServiceGuide: Codable, Sendable, Hashable {
    public var name: String
    public var type: ItemType
    /// 设定依据: laws and rules that create the item, one citation an entry.
    public var legalBasis: [String]
    public var acceptanceConditions: String
    public var targets: [ServiceTarget]
    public var materials: [MaterialRequirement]
    public var processSteps: [ProcessStep]
    /// 法定办结时限 in working days; nil when the law sets none.
    public var statutoryLimit: Int?
    /// 承诺办结时限 in working days; 0 for 即办件.
    public var promisedLimit: Int
    public var processing: ProcessingKind
    public var fees: [FeeRule]
    public var result: ResultSpec
    public var channels: [HandlingChannel]
    /// 到办事现场次数: 0 = 不见面.
    public var requiredVisits: Int
    public var scope: HandlingScope
    /// 告知承诺制 applies.
    public var commitmentBased: Bool
    /// 容缺受理 allowed, and within how many working days deferred materials must follow.
    public var acceptWithDeferredMaterials: Bool
    public var deferredMaterialDays: Int?
    /// 超时默认: approved by default when the deadline passes.
    public var approveOnTimeout: Bool
    public var consultationPhone: String
    public var supervisionPhone: String?
    public var address: String
    public var officeHours: String
    /// Life-event groupings (一件事) the item belongs to, by slug.
    public var lifeEvents: [String]
    public var form: FormSchema
    public var faq: [FrequentQuestion]
    /// The day the guide's content was last checked against the law (YYYY-MM-DD); stale guides are flagged.
    public var reviewedOn: String
    /// What a seriously dishonest applicant meets (一处失信，处处受限): `flag` (the clerk is warned and
    /// records a reason) unless the item says `block`.
    public var creditRule: CreditRule?

    public init(
        name: String, type: ItemType, legalBasis: [String], acceptanceConditions: String,
        targets: [ServiceTarget], materials: [MaterialRequirement], processSteps: [ProcessStep],
        statutoryLimit: Int?, promisedLimit: Int, processing: ProcessingKind, fees: [FeeRule],
        result: ResultSpec, channels: [HandlingChannel], requiredVisits: Int, scope: HandlingScope,
        commitmentBased: Bool = false, acceptWithDeferredMaterials: Bool = false, deferredMaterialDays: Int? = nil,
        approveOnTimeout: Bool = false, consultationPhone: String, supervisionPhone: String? = nil,
        address: String, officeHours: String, lifeEvents: [String] = [], form: FormSchema = FormSchema(fields: []),
        faq: [FrequentQuestion] = [], reviewedOn: String, creditRule: CreditRule? = nil
    ) {
        self.name = name
        self.type = type
        self.legalBasis = legalBasis
        self.acceptanceConditions = acceptanceConditions
        self.targets = targets
        self.materials = materials
        self.processSteps = processSteps
        self.statutoryLimit = statutoryLimit
        self.promisedLimit = promisedLimit
        self.processing = processing
        self.fees = fees
        self.result = result
        self.channels = channels
        self.requiredVisits = requiredVisits
        self.scope = scope
        self.commitmentBased = commitmentBased
        self.acceptWithDeferredMaterials = acceptWithDeferredMaterials
        self.deferredMaterialDays = deferredMaterialDays
        self.approveOnTimeout = approveOnTimeout
        self.consultationPhone = consultationPhone
        self.supervisionPhone = supervisionPhone
        self.address = address
        self.officeHours = officeHours
        self.lifeEvents = lifeEvents
        self.form = form
        self.faq = faq
        self.reviewedOn = reviewedOn
        self.creditRule = creditRule
    }

    /// 不见面: no visit to a hall is needed.
    public var isZeroVisit: Bool { requiredVisits == 0 }

    /// Whether the item charges nothing.
    public var isFree: Bool { fees.isEmpty }

    /// Whether an application can be made without coming to a hall (PC or phone).
    public var canApplyOnline: Bool { channels.contains(.online) || channels.contains(.mobile) }

    /// The materials the applicant must bring or upload: those the platform does not already hold.
    public var materialsToSubmit: [MaterialRequirement] { materials.filter { !$0.source.isHeldByPlatform } }
}
