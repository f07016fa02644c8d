import Foundation
import YiwangCore

/// Factories for tests: a small province, two departments, and guides that pass every rule
/// unless a test changes them.
public enum Fixtures {
    /// Valid credit codes (GB 32100 check characters verified in STANDARDS.md).
    public static let cityDepartment = "11100000000013338W"
    public static let districtDepartment = "11650000010183859F"
    public static let unknownButValidCredit = "91350100M000100Y43"

    public static let province = "350000000000"
    public static let city = "350100000000"
    public static let district = "350102000000"

    public static func guide(name: String = "食品经营许可(新办)", type: ItemType = .license) -> ServiceGuide {
        ServiceGuide(
            name: name, type: type, legalBasis: ["《中华人民共和国食品安全法》第三十五条"],
            acceptanceConditions: "在本市从事食品销售和餐饮服务活动的经营者。", targets: [.naturalPerson, .legalPerson],
            materials: [
                MaterialRequirement(name: "食品经营许可申请书", originalCount: 1, hasTemplate: true),
                MaterialRequirement(name: "营业执照", originalCount: 0, copyCount: 0, source: .eLicence),
                MaterialRequirement(name: "食品安全管理制度", originalCount: 1, deferrable: true),
            ],
            processSteps: [
                ProcessStep(name: "申请", description: "网上或窗口提交申请。"),
                ProcessStep(name: "受理", description: "材料齐全的当场受理。"),
                ProcessStep(name: "决定", description: "作出准予或不予许可的决定。", workingDays: 3),
            ],
            statutoryLimit: 10, promisedLimit: 5, processing: .promised, fees: [],
            result: ResultSpec(name: "食品经营许可证", kind: .licence, validity: "5年", electronic: true),
            channels: [.window, .online], requiredVisits: 0, scope: .cityWide, acceptWithDeferredMaterials: true,
            deferredMaterialDays: 3, consultationPhone: "0591-87000000", supervisionPhone: "12345",
            address: "福州市政务服务中心一楼综合窗口", officeHours: "周一至周五 9:00-17:00",
            lifeEvents: ["openRestaurant"],
            form: FormSchema(fields: [
                FormField(key: "applicantName", label: "申请人", type: .text, prefill: .applicantName),
                FormField(key: "businessKind", label: "经营项目", type: .select, options: ["预包装食品销售", "热食类食品制售"]),
                FormField(key: "hotFoodArea", label: "加工区面积(平方米)", type: .number, minimum: 1,
                          visibleWhen: FieldCondition(field: "businessKind", equals: "热食类食品制售")),
            ]),
            faq: [FrequentQuestion(question: "仅销售预包装食品需要许可吗？", answer: "不需要，办理备案即可。")],
            reviewedOn: "2026-09-01")
    }

    public static let baseCode = "000122001000"
    public static let secondBaseCode = "000722002000"

    public static func base(_ code: String = baseCode, guide: ServiceGuide = guide()) -> BaseEntry {
        BaseEntry(baseCode: code, name: guide.name, type: guide.type, legalBasis: guide.legalBasis)
    }

    public static func implementationCode(department: String = cityDepartment, level: Int = 3, base: String = baseCode) -> String {
        department + String(level) + base
    }

    public static func subject(_ guide: ServiceGuide = guide(), base: BaseEntry? = nil) -> LintSubject {
        LintSubject(
            implementationCode: implementationCode(), baseCode: baseCode, departmentCreditCode: cityDepartment,
            departmentName: "福州市市场监督管理局", guide: guide, base: base ?? Fixtures.base(guide: guide))
    }

    /// A China-time date at noon, for pinned clocks.
    public static func date(_ text: String) -> Date {
        ChinaTime.startOfDay(text)!.addingTimeInterval(12 * 3600)
    }

    /// A whole small catalog: regions, two departments, a life event, two published items and one draft.
    public static func document() -> CatalogDocument {
        let food = guide()
        var confirmation = guide(name: "食品小作坊登记", type: .confirmation)
        confirmation.lifeEvents = []
        var draft = guide(name: "食品经营许可(新办)")
        draft.promisedLimit = 3
        return CatalogDocument(
            city: .init(name: "福州市", regionCode: city),
            regions: [
                .init(code: province, name: "福建省", level: .province, parent: nil),
                .init(code: city, name: "福州市", level: .city, parent: province),
                .init(code: district, name: "鼓楼区", level: .county, parent: city),
            ],
            departments: [
                .init(creditCode: cityDepartment, name: "福州市市场监督管理局", shortName: "市市场监管局", region: city,
                      phone: "0591-87000000", address: "福州市鼓楼区五四路1号", officeHours: "周一至周五 9:00-17:00"),
                .init(creditCode: districtDepartment, name: "鼓楼区行政审批局", shortName: "鼓楼区审批局", region: district,
                      phone: "0591-87111111", address: "福州市鼓楼区东街1号", officeHours: "周一至周五 9:00-17:00"),
            ],
            lifeEvents: [.init(slug: "openRestaurant", name: "开办餐饮店一件事", description: "一次申请，多证同发。", target: .legalPerson)],
            baseItems: [base(baseCode, guide: food), base(secondBaseCode, guide: confirmation)],
            items: [
                .init(code: nil, baseCode: baseCode, department: cityDepartment, exerciseLevel: 3, state: .published, guide: food),
                .init(code: nil, baseCode: secondBaseCode, department: cityDepartment, exerciseLevel: 3, state: .published, guide: confirmation),
                .init(code: nil, baseCode: baseCode, department: districtDepartment, exerciseLevel: 4, state: .draft, guide: draft),
            ])
    }
}
