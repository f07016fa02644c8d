import Foundation
import YiwangCore

/// Display rows for templates: Leaf prints values, so every label is computed here, once.
struct MaterialRow: Encodable {
    var index: Int
    var name: String
    var required: Bool
    var requirement: String
    var counts: String
    var sourceName: String
    var exempt: Bool
    var deferrable: Bool
    var commitmentReplaceable: Bool
    var issuer: String?
    var legalBasis: String?
    var notes: String?
    var hasTemplate: Bool

    init(_ material: MaterialRequirement, index: Int) {
        self.index = index
        name = material.name
        required = material.required
        requirement = material.required ? (material.deferrable ? "必要(可容缺)" : "必要") : "非必要"
        exempt = material.source.isHeldByPlatform
        if exempt {
            counts = "免提交"
        } else {
            var parts: [String] = []
            if material.originalCount > 0 { parts.append("原件\(material.originalCount)份") }
            if material.copyCount > 0 { parts.append("复印件\(material.copyCount)份") }
            counts = parts.isEmpty ? "—" : parts.joined(separator: "，")
        }
        sourceName = material.source.chineseName
        deferrable = material.deferrable
        commitmentReplaceable = material.commitmentReplaceable
        issuer = material.issuer
        legalBasis = material.legalBasis
        notes = material.notes
        hasTemplate = material.hasTemplate
    }
}

struct FeeRow: Encodable {
    var name: String
    var standard: String
    var amount: String?
    var basis: String
    var reductionBasis: String?

    init(_ fee: FeeRule) {
        name = fee.name
        standard = fee.standard
        amount = fee.amountFen.map { String(format: "%.2f元", Double($0) / 100) }
        basis = fee.basis ?? "未写明"
        reductionBasis = fee.reductionBasis
    }
}

struct FormFieldRow: Encodable {
    var key: String
    var label: String
    var typeName: String
    var required: Bool
    var options: [String]
    var prefill: String?
    var condition: String?
    var help: String?
    var isTextarea: Bool
    var isSelect: Bool
    var isCheckbox: Bool

    init(_ field: FormField, in form: FormSchema) {
        key = field.key
        label = field.label
        switch field.type {
        case .text: typeName = "文本"
        case .textarea: typeName = "多行文本"
        case .number: typeName = "数字"
        case .date: typeName = "日期"
        case .select: typeName = "选择"
        case .checkbox: typeName = "勾选"
        case .idNumber: typeName = "身份证号码"
        case .creditCode: typeName = "统一社会信用代码"
        case .phone: typeName = "手机号码"
        case .email: typeName = "电子邮箱"
        case .address: typeName = "地址"
        }
        required = field.required
        options = field.options
        prefill = field.prefill?.chineseName
        if let condition = field.visibleWhen {
            let controller = form.fields.first { $0.key == condition.field }?.label ?? condition.field
            self.condition = "当“\(controller)”为“\(condition.equals)”时填写"
        }
        help = field.help
        isTextarea = field.type == .textarea
        isSelect = field.type == .select
        isCheckbox = field.type == .checkbox
    }
}

/// Every element of a guide, ready to print.
struct GuideView: Encodable, Sendable {
    var code: String
    var baseCode: String
    var name: String
    var typeName: String
    var departmentName: String
    var departmentCode: String
    var exerciseLevelName: String
    var version: Int
    var publishedAt: Date?
    var legalBasis: [String]
    var acceptanceConditions: String
    var targets: String
    var materials: [MaterialRow]
    var exemptMaterials: Int
    var processSteps: [ProcessStep]
    var statutoryLimit: String
    var promisedLimit: String
    var processingName: String
    var fees: [FeeRow]
    var free: Bool
    var resultName: String
    var resultKind: String
    var resultValidity: String?
    var resultElectronic: Bool
    var channels: String
    var online: Bool
    var requiredVisits: Int
    var zeroVisit: Bool
    var scopeName: String
    var commitmentBased: Bool
    var acceptWithDeferredMaterials: Bool
    var deferredMaterialDays: Int?
    var approveOnTimeout: Bool
    var consultationPhone: String
    var supervisionPhone: String?
    var address: String
    var officeHours: String
    var lifeEvents: [LifeEventView]
    var formFields: [FormFieldRow]
    var faq: [FrequentQuestion]
    var reviewedOn: String

    init(document: ItemDocument, lifeEvents: [LifeEventView]) {
        let guide = document.guide
        code = document.code
        baseCode = document.baseCode
        name = guide.name
        typeName = guide.type.chineseName
        departmentName = document.department.name
        departmentCode = document.department.creditCode
        exerciseLevelName = ExerciseLevel(rawValue: document.exerciseLevel)?.chineseName ?? "—"
        version = document.version
        publishedAt = document.publishedAt
        legalBasis = guide.legalBasis
        acceptanceConditions = guide.acceptanceConditions
        targets = guide.targets.map(\.chineseName).joined(separator: "、")
        materials = guide.materials.enumerated().map { MaterialRow($1, index: $0) }
        exemptMaterials = materials.filter(\.exempt).count
        processSteps = guide.processSteps
        statutoryLimit = guide.statutoryLimit.map { "\($0)个工作日" } ?? "法律未规定"
        promisedLimit = guide.promisedLimit == 0 ? "即办(当场办结)" : "\(guide.promisedLimit)个工作日"
        processingName = guide.processing.chineseName
        fees = guide.fees.map(FeeRow.init)
        free = guide.fees.isEmpty
        resultName = guide.result.name
        resultKind = guide.result.kind.chineseName
        resultValidity = guide.result.validity
        resultElectronic = guide.result.electronic
        channels = guide.channels.map(\.chineseName).joined(separator: "、")
        online = guide.canApplyOnline
        requiredVisits = guide.requiredVisits
        zeroVisit = guide.isZeroVisit
        scopeName = guide.scope.chineseName
        commitmentBased = guide.commitmentBased
        acceptWithDeferredMaterials = guide.acceptWithDeferredMaterials
        deferredMaterialDays = guide.deferredMaterialDays
        approveOnTimeout = guide.approveOnTimeout
        consultationPhone = guide.consultationPhone
        supervisionPhone = guide.supervisionPhone
        address = guide.address
        officeHours = guide.officeHours
        self.lifeEvents = lifeEvents
        formFields = guide.form.fields.map { FormFieldRow($0, in: guide.form) }
        faq = guide.faq
        reviewedOn = guide.reviewedOn
    }
}

/// One line of a result list.
struct ResultRow: Encodable {
    var code: String
    var name: String
    var typeName: String
    var departmentName: String
    var targets: String
    var promisedLimit: String
    var requiredVisits: Int
    var zeroVisit: Bool
    var online: Bool
    var materialCount: Int

    init(_ summary: ItemSummary) {
        code = summary.code
        name = summary.name
        typeName = summary.typeName
        departmentName = summary.department.name
        targets = summary.targets.map(\.chineseName).joined(separator: "、")
        promisedLimit = summary.promisedLimit == 0 ? "即办" : "\(summary.promisedLimit)个工作日"
        requiredVisits = summary.requiredVisits
        zeroVisit = summary.zeroVisit
        online = summary.canApplyOnline
        materialCount = summary.materials.filter { !$0.source.isHeldByPlatform }.count
    }
}

struct ChoiceOption: Encodable {
    var value: String
    var label: String
    var selected: Bool
}

struct PageLink: Encodable {
    var label: String
    var href: String?
    var current: Bool
}

/// A lint finding as staff read it: the rule's Chinese title and the element's Chinese name.
struct FindingRow: Encodable {
    var item: String
    var itemName: String
    var severity: LintSeverity
    var severityName: String
    var ruleTitle: String
    var fieldLabel: String?
    var message: String

    static let titles = Dictionary(CatalogLinter.rules.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })

    init(_ finding: LintFinding, itemName: String?) {
        item = finding.item
        self.itemName = itemName ?? finding.item
        severity = finding.severity
        severityName = finding.severity.chineseName
        ruleTitle = FindingRow.titles[finding.rule] ?? finding.rule
        fieldLabel = finding.field.map(GuideLabels.describe)
        message = finding.message
    }
}
