import Foundation

/// 智能表单: the online application form of an item, from which pages and validation are generated.
public struct FormSchema: Codable, Sendable, Hashable {
    public var fields: [FormField]

    public init(fields: [FormField]) {
        self.fields = fields
    }
}

public enum FormFieldType: String, Codable, CaseIterable, Sendable, Hashable {
    case text, textarea, number, date, select, checkbox, idNumber, creditCode, phone, email, address
}

/// Where a field's value can be pre-filled from, so an applicant never types what the platform knows.
public enum PrefillSource: String, Codable, CaseIterable, Sendable, Hashable {
    case applicantName, applicantIDNumber, applicantPhone, applicantAddress
    case companyName, companyCreditCode, legalRepresentative
    case sharedPopulation, sharedLegalPerson, sharedRealEstate, sharedSocialInsurance

    public var chineseName: String {
        switch self {
        case .applicantName: "申请人姓名(个人资料)"
        case .applicantIDNumber: "身份证号码(个人资料)"
        case .applicantPhone: "手机号码(个人资料)"
        case .applicantAddress: "联系地址(个人资料)"
        case .companyName: "企业名称(法人资料)"
        case .companyCreditCode: "统一社会信用代码(法人资料)"
        case .legalRepresentative: "法定代表人(法人资料)"
        case .sharedPopulation: "人口库(数据共享)"
        case .sharedLegalPerson: "法人库(数据共享)"
        case .sharedRealEstate: "不动产登记库(数据共享)"
        case .sharedSocialInsurance: "社保库(数据共享)"
        }
    }
}

/// Show a field only when another field has a given value.
public struct FieldCondition: Codable, Sendable, Hashable {
    public var field: String
    public var equals: String

    public init(field: String, equals: String) {
        self.field = field
        self.equals = equals
    }
}

public struct FormField: Codable, Sendable, Hashable {
    /// Machine name, unique within the form (lowerCamelCase).
    public var key: String
    public var label: String
    public var type: FormFieldType
    public var required: Bool
    public var options: [String]
    public var maxLength: Int?
    public var minimum: Double?
    public var maximum: Double?
    public var prefill: PrefillSource?
    public var visibleWhen: FieldCondition?
    public var help: String?

    public init(
        key: String, label: String, type: FormFieldType, required: Bool = true, options: [String] = [],
        maxLength: Int? = nil, minimum: Double? = nil, maximum: Double? = nil, prefill: PrefillSource? = nil,
        visibleWhen: FieldCondition? = nil, help: String? = nil
    ) {
        self.key = key
        self.label = label
        self.type = type
        self.required = required
        self.options = options
        self.maxLength = maxLength
        self.minimum = minimum
        self.maximum = maximum
        self.prefill = prefill
        self.visibleWhen = visibleWhen
        self.help = help
    }

    enum CodingKeys: String, CodingKey {
        case key, label, type, required, options, maxLength, minimum, maximum, prefill, visibleWhen, help
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        label = try c.decode(String.self, forKey: .label)
        type = try c.decode(FormFieldType.self, forKey: .type)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? true
        options = try c.decodeIfPresent([String].self, forKey: .options) ?? []
        maxLength = try c.decodeIfPresent(Int.self, forKey: .maxLength)
        minimum = try c.decodeIfPresent(Double.self, forKey: .minimum)
        maximum = try c.decodeIfPresent(Double.self, forKey: .maximum)
        prefill = try c.decodeIfPresent(PrefillSource.self, forKey: .prefill)
        visibleWhen = try c.decodeIfPresent(FieldCondition.self, forKey: .visibleWhen)
        help = try c.decodeIfPresent(String.self, forKey: .help)
    }
}
