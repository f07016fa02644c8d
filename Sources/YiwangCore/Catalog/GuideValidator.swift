import Foundation

/// Structural checks a guide must pass before it is stored at all (the linter judges content later).
/// Every problem is reported at once, with its field path, so a form can show them all.
public enum GuideValidator {
    public static let maxMaterials = 100
    public static let maxFormFields = 100
    public static let maxListEntries = 50
    public static let maxTextLength = 4_000

    public static func validate(_ guide: ServiceGuide, baseCode: String? = nil) throws(DomainError) {
        var errors: [FieldError] = []
        func text(_ value: String, _ field: String, _ label: String, required: Bool = true, max: Int = maxTextLength) {
            if required && value.isBlank { errors.append(FieldError(field: field, message: "\(label)不能为空。")) }
            if value.count > max { errors.append(FieldError(field: field, message: "\(label)不能超过\(max)个字符。")) }
        }
        text(guide.name, "name", "事项名称", max: 200)
        text(guide.acceptanceConditions, "acceptanceConditions", "受理条件", required: false)
        text(guide.consultationPhone, "consultationPhone", "咨询电话", required: false, max: 100)
        text(guide.address, "address", "办理地点", required: false, max: 500)
        text(guide.officeHours, "officeHours", "办理时间", required: false, max: 500)
        if guide.legalBasis.count > maxListEntries { errors.append(FieldError(field: "legalBasis", message: "设定依据不能超过\(maxListEntries)条。")) }
        for (index, basis) in guide.legalBasis.enumerated() { text(basis, "legalBasis/\(index)", "设定依据", max: 1_000) }
        if guide.materials.count > maxMaterials { errors.append(FieldError(field: "materials", message: "申请材料不能超过\(maxMaterials)项。")) }
        for (index, material) in guide.materials.enumerated() {
            text(material.name, "materials/\(index)/name", "材料名称", max: 200)
            if material.originalCount < 0 || material.originalCount > 99 || material.copyCount < 0 || material.copyCount > 99 {
                errors.append(FieldError(field: "materials/\(index)", message: "材料份数应在0到99之间。"))
            }
        }
        if guide.processSteps.count > maxListEntries { errors.append(FieldError(field: "processSteps", message: "办理流程不能超过\(maxListEntries)步。")) }
        for (index, step) in guide.processSteps.enumerated() { text(step.name, "processSteps/\(index)/name", "流程环节名称", max: 100) }
        for (index, fee) in guide.fees.enumerated() { text(fee.name, "fees/\(index)/name", "收费项目名称", max: 200) }
        if guide.promisedLimit < 0 || guide.promisedLimit > 3_650 {
            errors.append(FieldError(field: "promisedLimit", message: "承诺办结时限应在0到3650个工作日之间。"))
        }
        if let statutory = guide.statutoryLimit, statutory < 0 || statutory > 3_650 {
            errors.append(FieldError(field: "statutoryLimit", message: "法定办结时限应在0到3650个工作日之间。"))
        }
        if guide.requiredVisits < 0 || guide.requiredVisits > 10 {
            errors.append(FieldError(field: "requiredVisits", message: "到办事现场次数应在0到10之间。"))
        }
        if let days = guide.deferredMaterialDays, days < 0 || days > 365 {
            errors.append(FieldError(field: "deferredMaterialDays", message: "容缺补齐期限应在0到365个工作日之间。"))
        }
        if guide.form.fields.count > maxFormFields { errors.append(FieldError(field: "form/fields", message: "表单字段不能超过\(maxFormFields)个。")) }
        for (index, field) in guide.form.fields.enumerated() {
            text(field.key, "form/fields/\(index)/key", "字段标识", max: 64)
            text(field.label, "form/fields/\(index)/label", "字段标签", max: 100)
        }
        if ChinaTime.day(from: guide.reviewedOn) == nil {
            errors.append(FieldError(field: "reviewedOn", message: "复核日期应为有效日期，格式 YYYY-MM-DD。"))
        }
        if let baseCode, let base = try? BaseCode(baseCode), base.type != guide.type {
            errors.append(FieldError(field: "type", message: "事项类型“\(guide.type.chineseName)”与基本编码中的类型代码\(base.type.nationalCode)不一致。"))
        }
        guard errors.isEmpty else {
            throw DomainError.invalid("catalog.guide_invalid", "办事指南有\(errors.count)处填写不正确。", fields: errors)
        }
    }
}
