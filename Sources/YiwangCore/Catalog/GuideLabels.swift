import Foundation

/// Chinese names for the elements of a guide, so that diffs, lint findings and form errors show
/// people "申请材料第3项·名称" rather than `materials/2/name`.
public enum GuideLabels {
    static let elements: [String: String] = [
        "name": "事项名称", "type": "事项类型", "legalBasis": "设定依据", "acceptanceConditions": "受理条件",
        "targets": "服务对象", "materials": "申请材料", "processSteps": "办理流程", "statutoryLimit": "法定办结时限",
        "promisedLimit": "承诺办结时限", "processing": "办件类型", "fees": "收费", "result": "审批结果",
        "channels": "办理形式", "requiredVisits": "到办事现场次数", "scope": "通办范围", "commitmentBased": "告知承诺制",
        "acceptWithDeferredMaterials": "容缺受理", "deferredMaterialDays": "容缺补齐期限", "approveOnTimeout": "超时默认",
        "consultationPhone": "咨询电话", "supervisionPhone": "监督电话", "address": "办理地点", "officeHours": "办理时间",
        "lifeEvents": "所属一件事", "form": "网上申请表单", "faq": "常见问题", "reviewedOn": "复核日期",
        "baseCode": "基本编码", "implementationCode": "实施编码", "department": "实施机构", "exerciseLevel": "行使层级",
    ]

    static let parts: [String: String] = [
        "name": "名称", "required": "是否必要", "originalCount": "原件份数", "copyCount": "复印件份数", "source": "来源",
        "deferrable": "可容缺", "commitmentReplaceable": "可承诺替代", "issuer": "出具机构", "legalBasis": "依据",
        "notes": "说明", "hasTemplate": "空白表格", "amountFen": "金额", "standard": "收费标准", "basis": "收费依据",
        "reductionBasis": "减免依据", "description": "说明", "workingDays": "工作日", "kind": "结果类型",
        "validity": "有效期", "electronic": "电子证照", "fields": "字段", "key": "字段标识", "label": "标签",
        "options": "可选项", "maxLength": "最大长度", "minimum": "最小值", "maximum": "最大值", "prefill": "自动带出",
        "visibleWhen": "显示条件", "field": "条件字段", "equals": "条件取值", "help": "填写说明",
        "question": "问题", "answer": "答案",
    ]

    /// `materials/2/name` → `申请材料第3项·名称`; unknown parts are kept as they are.
    public static func describe(_ path: String) -> String {
        var text = ""
        for (offset, part) in path.split(separator: "/").map(String.init).enumerated() {
            if let index = Int(part) {
                text += "第\(index + 1)项"
            } else if offset == 0 {
                text += elements[part] ?? part
            } else {
                text += "·" + (parts[part] ?? elements[part] ?? part)
            }
        }
        return text.isEmpty ? path : text
    }
}

/// What a catalog change record says happened; stored by its raw value.
public enum CatalogEventAction: String, Codable, CaseIterable, Sendable {
    case create
    case update
    case createVersion = "create-version"
    case importEntry = "import"
    case submit, approve, returnToDraft, publish, retire

    public init(_ action: CatalogAction) {
        switch action {
        case .submit: self = .submit
        case .approve: self = .approve
        case .returnToDraft: self = .returnToDraft
        case .publish: self = .publish
        case .retire: self = .retire
        }
    }

    public var chineseName: String {
        switch self {
        case .create: "新建事项"
        case .update: "修改草稿"
        case .createVersion: "新建版本"
        case .importEntry: "目录导入"
        case .submit: "提交审核"
        case .approve: "审核通过"
        case .returnToDraft: "退回修改"
        case .publish: "发布"
        case .retire: "停用"
        }
    }
}
