import Foundation
import XCTest
import YiwangCore
import YiwangTestSupport

/// 一件事一次办: the bundle definition and its linter, the merged form and materials, and the
/// fan-out of parallel tasks with order constraints, deadlines, denial rules and corrections.
final class BundleTests: XCTestCase {
    // MARK: - Fixtures: two of the ten bundles (CATALOG-FACTS §23, B1 and B3) with realistic forms

    /// A valid credit code from its first 17 characters.
    static func credit(_ first17: String) -> String {
        first17 + String(CreditCode.checkCharacter(forFirst17: Array(first17)) ?? "0")
    }

    static let health = credit("11350100MB1000001")
    static let police = credit("11350100MB1000002")
    static let medicalInsurance = credit("11350100MB1000003")
    static let humanResources = credit("11350100MB1000004")
    static let market = credit("11350100MB1000005")
    static let fire = credit("11350100MB1000006")
    static let tobacco = credit("11350100MB1000007")
    static let urban = credit("11350100MB1000008")

    static func code(_ department: String, _ base: String) -> String { department + "3" + base }

    // 新生儿出生一件事
    static let birthCertificate = code(health, "352000001000")
    static let birthRegistration = code(police, "350700002000")
    static let insurance = code(medicalInsurance, "352000003000")
    static let socialCard = code(humanResources, "352000004000")
    static let vaccination = code(health, "352000005000")

    // 开办餐饮店一件事
    static let companyRegistration = code(market, "350700006000")
    static let foodLicence = code(market, "350100007000")
    static let fireCheck = code(fire, "350100008000")
    static let signboard = code(urban, "350100009000")
    static let tobaccoLicence = code(tobacco, "350100010000")

    static func field(
        _ key: String, _ label: String, _ type: FormFieldType = .text, required: Bool = true, options: [String] = [], maxLength: Int? = nil,
        minimum: Double? = nil, maximum: Double? = nil, prefill: PrefillSource? = nil, when: FieldCondition? = nil
    ) -> FormField {
        FormField(
            key: key, label: label, type: type, required: required, options: options, maxLength: maxLength, minimum: minimum, maximum: maximum,
            prefill: prefill, visibleWhen: when)
    }

    static let newbornForms: [String: FormSchema] = [
        birthCertificate: FormSchema(fields: [
            field("applicantName", "申请人", prefill: .applicantName),
            field("idNumber", "身份证号码", .idNumber),
            field("phone", "联系电话", .phone),
            field("newbornName", "新生儿姓名", maxLength: 20),
            field("newbornGender", "新生儿性别", .select, options: ["男", "女"]),
            field("birthDate", "出生日期", .date),
            field("motherName", "母亲姓名"),
            field("motherIdNumber", "母亲身份证号码", .idNumber),
            field("fatherName", "父亲姓名", required: false),
        ]),
        birthRegistration: FormSchema(fields: [
            field("declarantName", "申请人姓名"),
            field("applicantIdCard", "身份证号码"),
            field("mobile", "手机号码", .phone),
            field("newbornName", "新生儿姓名", maxLength: 15),
            field("newbornGender", "新生儿性别", .select, options: ["男", "女"]),
            field("birthDate", "出生日期", .date),
            field("householdAddress", "户籍地址", .address),
            field("relation", "与户主关系", .select, options: ["子", "女", "孙子", "孙女"]),
        ]),
        insurance: FormSchema(fields: [
            field("applicantName", "申请人"),
            field("phone", "联系电话"),
            field("insuredName", "参保人姓名"),
            field("insuredIdNumber", "参保人身份证号码", .idNumber, required: false),
            field("address", "联系地址", .address),
        ]),
        socialCard: FormSchema(fields: [
            field("applicantName", "申请人"),
            field("idNumber", "身份证号码", .idNumber),
            field("phone", "联系电话", .phone),
            field("address", "联系地址", .textarea, maxLength: 100),
            field("cardholderName", "持卡人姓名"),
            field("pickUpPoint", "领卡网点", .select, options: ["市民服务中心", "工商银行营业网点"]),
        ]),
        vaccination: FormSchema(fields: [
            field("newbornName", "新生儿姓名"),
            field("birthDate", "出生日期", .date),
            field("motherName", "母亲姓名"),
            field("contactPhone", "联系电话", .phone),
            field("vaccinationSite", "接种单位", .select, options: ["市妇幼保健院", "社区卫生服务中心"]),
        ]),
    ]

    static func newborn(rule: BundleDenialRule = .othersStand) -> ServiceBundle {
        ServiceBundle(
            code: "newborn", name: "新生儿出生一件事", kind: .lifeEvent, leadDepartment: health,
            members: [
                BundleMember(code: birthCertificate, name: "出生医学证明首次签发", department: health),
                BundleMember(code: birthRegistration, name: "出生登记", department: police),
                BundleMember(code: insurance, name: "城乡居民医保参保登记", department: medicalInsurance),
                BundleMember(code: socialCard, name: "社会保障卡申领", department: humanResources, role: .optional),
                BundleMember(code: vaccination, name: "预防接种证办理", department: health),
            ],
            promisedLimit: 5,
            order: [
                BundleOrderConstraint(member: birthRegistration, waitsFor: birthCertificate),
                BundleOrderConstraint(member: insurance, waitsFor: birthRegistration),
                BundleOrderConstraint(member: socialCard, waitsFor: birthRegistration),
            ],
            denialRule: rule)
    }

    static let tobaccoQuestion = BundleQuestion(key: "tobacco", text: "是否需要办理烟草专卖零售许可证？")

    static func restaurant() -> ServiceBundle {
        ServiceBundle(
            code: "restaurant", name: "开办餐饮店一件事", kind: .business, leadDepartment: market,
            members: [
                BundleMember(code: companyRegistration, name: "公司设立登记", department: market),
                BundleMember(code: foodLicence, name: "食品经营许可(新办)", department: market),
                BundleMember(code: fireCheck, name: "公众聚集场所投入使用、营业前消防安全检查", department: fire),
                BundleMember(code: signboard, name: "户外招牌设施设置", department: urban, role: .optional),
                BundleMember(
                    code: tobaccoLicence, name: "烟草专卖零售许可证核发(新办)", department: tobacco, role: .conditional,
                    condition: BundleCondition(question: "tobacco", equals: "是")),
            ],
            questions: [tobaccoQuestion], promisedLimit: 10,
            order: [
                BundleOrderConstraint(member: foodLicence, waitsFor: companyRegistration),
                BundleOrderConstraint(member: fireCheck, waitsFor: companyRegistration),
                BundleOrderConstraint(member: tobaccoLicence, waitsFor: companyRegistration),
            ])
    }

    static let restaurantForms: [String: FormSchema] = [
        companyRegistration: FormSchema(fields: [
            field("companyName", "企业名称", maxLength: 50),
            field("legalRepresentative", "法定代表人"),
            field("phone", "联系电话", .phone),
        ]),
        foodLicence: FormSchema(fields: [
            field("entityName", "企业名称", maxLength: 30),
            field("businessKind", "经营项目", .select, options: ["预包装食品销售", "热食类食品制售"]),
            field("hotFoodArea", "加工区面积(平方米)", .number, minimum: 1, when: FieldCondition(field: "businessKind", equals: "热食类食品制售")),
            field("size", "经营场所面积(平方米)", .number, minimum: 1),
        ]),
        fireCheck: FormSchema(fields: [
            field("unitName", "单位名称"),
            field("size", "建筑面积(平方米)", .number, minimum: 10, maximum: 5000),
            field("seats", "座位数", .number, minimum: 1),
        ]),
        signboard: FormSchema(fields: [
            field("companyName", "单位名称"),
            field("size", "招牌尺寸", .select, options: ["1平方米以下", "1至5平方米", "5平方米以上"]),
        ]),
        tobaccoLicence: FormSchema(fields: [
            field("companyName", "企业名称"),
            field("phone", "联系电话"),
            field("retailArea", "卷烟经营面积(平方米)", .number, minimum: 1),
        ]),
    ]

    static func guide(
        _ name: String, statutory: Int?, promised: Int, result: String, materials: [MaterialRequirement], form: FormSchema
    ) -> ServiceGuide {
        var guide = Fixtures.guide(name: name)
        guide.statutoryLimit = statutory
        guide.promisedLimit = promised
        guide.result = ResultSpec(name: result, kind: .licence, electronic: true)
        guide.materials = materials
        guide.form = form
        return guide
    }

    static func material(
        _ name: String, original: Int = 1, copies: Int = 0, source: MaterialSource = .applicant, required: Bool = true
    ) -> MaterialRequirement {
        MaterialRequirement(name: name, required: required, originalCount: original, copyCount: copies, source: source)
    }

    static let newbornGuides: [String: ServiceGuide] = [
        birthCertificate: guide(
            "出生医学证明首次签发", statutory: 5, promised: 1, result: "出生医学证明",
            materials: [material("出生医学证明首次签发申请表"), material("父母双方居民身份证", original: 0, copies: 1), material("结婚证", required: false)],
            form: newbornForms[birthCertificate] ?? FormSchema(fields: [])),
        birthRegistration: guide(
            "出生登记", statutory: 10, promised: 3, result: "居民户口簿(出生登记页)",
            materials: [material("《出生医学证明》"), material("居民户口簿"), material("父母双方 居民身份证", copies: 1)],
            form: newbornForms[birthRegistration] ?? FormSchema(fields: [])),
        insurance: guide(
            "城乡居民医保参保登记", statutory: 5, promised: 1, result: "参保登记凭证",
            materials: [material("居民户口簿", original: 0, copies: 1), material("城乡居民医保参保登记表")],
            form: newbornForms[insurance] ?? FormSchema(fields: [])),
        socialCard: guide(
            "社会保障卡申领", statutory: 20, promised: 10, result: "社会保障卡",
            materials: [material("社会保障卡申领登记表"), material("近期免冠证件照片")],
            form: newbornForms[socialCard] ?? FormSchema(fields: [])),
        vaccination: guide(
            "预防接种证办理", statutory: nil, promised: 5, result: "预防接种证",
            materials: [material("出生医学证明", original: 0, copies: 1)],
            form: newbornForms[vaccination] ?? FormSchema(fields: [])),
    ]

    static let restaurantGuides: [String: ServiceGuide] = [
        companyRegistration: guide(
            "公司设立登记", statutory: 15, promised: 1, result: "营业执照",
            materials: [material("公司登记(备案)申请书"), material("公司章程"), material("住所使用证明")],
            form: restaurantForms[companyRegistration] ?? FormSchema(fields: [])),
        foodLicence: guide(
            "食品经营许可(新办)", statutory: 10, promised: 5, result: "食品经营许可证",
            materials: [material("食品经营许可申请书"), material("营业执照", original: 0, source: .eLicence), material("经营场所证明", original: 0, copies: 1)],
            form: restaurantForms[foodLicence] ?? FormSchema(fields: [])),
        fireCheck: guide(
            "公众聚集场所投入使用、营业前消防安全检查", statutory: 10, promised: 3, result: "公众聚集场所投入使用、营业前消防安全检查合格证",
            materials: [material("消防安全检查申请表"), material("营业执照副本", original: 0, copies: 1), material("场所平面布置图")],
            form: restaurantForms[fireCheck] ?? FormSchema(fields: [])),
        signboard: guide(
            "户外招牌设施设置", statutory: 20, promised: 5, result: "户外招牌设置许可",
            materials: [material("户外招牌设置申请表"), material("营业执照复印件", original: 0, copies: 1), material("招牌效果图")],
            form: restaurantForms[signboard] ?? FormSchema(fields: [])),
        tobaccoLicence: guide(
            "烟草专卖零售许可证核发(新办)", statutory: 20, promised: 5, result: "烟草专卖零售许可证",
            materials: [material("烟草专卖零售许可证申请表"), material("营业执照", original: 0, source: .eLicence), material("《经营场所证明》")],
            form: restaurantForms[tobaccoLicence] ?? FormSchema(fields: [])),
    ]

    static let businessLicence = LicenceType(
        code: credit("11100000000000001") + "001", name: "营业执照", definedBy: "国家市场监督管理总局", holderKind: .either, faceFields: [],
        validityYears: nil, issuedBy: ["350700006000"], acceptedAs: ["营业执照", "营业执照副本", "营业执照复印件"])

    let calendar: WorkingCalendar = {
        do { return try WorkingCalendar(ChinaHolidays.shipped) } catch { preconditionFailure("the shipped calendar loads") }
    }()

    func day(_ text: String) -> LocalDate {
        do { return try LocalDate(text) } catch { preconditionFailure("a valid date: \(text)") }
    }

    func limits(_ guides: [String: ServiceGuide]) -> [String: Int] { guides.mapValues(\.promisedLimit) }

    func decide(_ progress: BundleProgress, _ member: String, _ decision: ParallelTaskDecision, on date: String) throws -> BundleStep {
        try BundlePlan.decide(progress, member: member, decision: decision, today: day(date), calendar: calendar)
    }

    private func refusal(_ body: () throws -> Void) -> DomainError? {
        do {
            try body()
            return nil
        } catch {
            return error as? DomainError
        }
    }

    // MARK: - Definition and linter

    func testCleanBundlesHaveNoFindings() {
        XCTAssertEqual(BundleLinter.lint(Self.newborn(), guides: Self.newbornGuides), [])
        XCTAssertEqual(BundleLinter.lint(Self.restaurant(), guides: Self.restaurantGuides), [])
        XCTAssertEqual(Set(BundleLinter.rules.map(\.id)).count, BundleLinter.rules.count, "rule ids are unique")
    }

    /// One case per rule: the change to a clean bundle that must trigger it.
    func testEachRuleFindsItsFlaw() {
        var cases: [(String, (inout ServiceBundle) -> Void)] = []
        cases.append(("bundle-identity", { $0.code = "开办 餐饮" }))
        cases.append(("no-members", { $0.members = []; $0.order = [] }))
        cases.append(("no-required-member", { b in b.members = b.members.map { var m = $0; m.role = .optional; m.condition = nil; return m } }))
        cases.append(("duplicate-member", { $0.members.append($0.members[1]) }))
        cases.append(("member-code", { $0.members[1].department = Self.fire }))
        let stranger = BundleMember(code: Self.code(Self.market, "350100099000"), name: "食品小作坊登记", department: Self.market)
        cases.append(("member-not-in-catalog", { $0.members.append(stranger) }))
        cases.append(("member-name-mismatch", { $0.members[1].name = "食品经营许可" }))
        cases.append(("order-unknown-member", { $0.order.append(BundleOrderConstraint(member: Self.foodLicence, waitsFor: Self.birthCertificate)) }))
        cases.append(("order-cycle", { $0.order.append(BundleOrderConstraint(member: Self.companyRegistration, waitsFor: Self.fireCheck)) }))
        cases.append(("question-invalid", { $0.questions.append(BundleQuestion(key: "tobacco", text: "重复的问题", options: ["是"])) }))
        cases.append(("condition-invalid", { $0.members[4].condition = BundleCondition(question: "alcohol", equals: "是") }))
        cases.append(("promise-invalid", { $0.promisedLimit = 0 }))
        cases.append(("promise-above-reference", { $0.kind = .jointDrawingReview }))
        cases.append(("lead-runs-no-member", { $0.leadDepartment = Self.health }))
        XCTAssertEqual(Set(cases.map(\.0)), Set(BundleLinter.rules.map(\.id)), "every rule has a case")
        for (rule, change) in cases {
            var bundle = Self.restaurant()
            change(&bundle)
            let found = BundleLinter.lint(bundle, guides: Self.restaurantGuides)
            XCTAssertTrue(found.contains { $0.rule == rule }, "\(rule) not found in \(found.map(\.rule))")
            XCTAssertTrue(found.allSatisfy { !$0.message.isEmpty && $0.item == bundle.code })
        }
    }

    func testTheLinterNamesTheCycleAndTheUndefinedQuestion() {
        var bundle = Self.restaurant()
        bundle.order.append(BundleOrderConstraint(member: Self.companyRegistration, waitsFor: Self.fireCheck))
        let cycle = BundleLinter.lint(bundle, guides: Self.restaurantGuides).first { $0.rule == "order-cycle" }
        XCTAssertEqual(cycle?.severity, .error)
        XCTAssertTrue(cycle?.message.contains("“公司设立登记” → “公众聚集场所投入使用、营业前消防安全检查” → “公司设立登记”") ?? false, cycle?.message ?? "")
        bundle = Self.restaurant()
        bundle.questions = []
        let undefined = BundleLinter.lint(bundle, guides: Self.restaurantGuides).filter { $0.rule == "condition-invalid" }
        XCTAssertEqual(undefined.map(\.field), ["members/4/condition"])
        XCTAssertTrue(undefined.first?.message.contains("未定义的问题“tobacco”") ?? false)
    }

    func testAPromiseMayNotExceedTheLongestLegalChain() {
        // 公司设立登记 15, then 烟草 20 after it: 35 working days; 户外招牌 (20) runs beside them.
        XCTAssertEqual(BundleLinter.longestLegalChain(Self.restaurant(), guides: Self.restaurantGuides), 35)
        var bundle = Self.restaurant()
        bundle.promisedLimit = 35
        XCTAssertFalse(BundleLinter.lint(bundle, guides: Self.restaurantGuides).contains { $0.rule == "promise-invalid" })
        bundle.promisedLimit = 36
        let finding = BundleLinter.lint(bundle, guides: Self.restaurantGuides).first { $0.rule == "promise-invalid" }
        XCTAssertEqual(finding?.message, "一件事承诺办结时限36个工作日超过成员事项法定时限所允许的35个工作日(按办理顺序串联、并联事项取最长计算)。")
        // Without the order the members run side by side: the longest single limit.
        bundle.order = []
        XCTAssertEqual(BundleLinter.longestLegalChain(bundle, guides: Self.restaurantGuides), 20)
        bundle.promisedLimit = -1
        XCTAssertTrue(BundleLinter.lint(bundle, guides: Self.restaurantGuides).contains { $0.rule == "promise-invalid" && $0.message.contains("应大于0") })
    }

    func testADefinitionRoundTripsAndDefaultsWhatItOmits() throws {
        let bundle = Self.restaurant()
        let data = try JSONEncoder().encode(bundle)
        XCTAssertEqual(try JSONDecoder().decode(ServiceBundle.self, from: data), bundle)
        let minimal = """
            {"code":"retire","name":"企业职工退休一件事","kind":"lifeEvent","leadDepartment":"\(Self.humanResources)","promisedLimit":20,
             "members":[{"code":"\(Self.socialCard)","name":"社会保障卡申领","department":"\(Self.humanResources)"}]}
            """
        let decoded = try JSONDecoder().decode(ServiceBundle.self, from: Data(minimal.utf8))
        XCTAssertEqual(decoded.members.first?.role, .required)
        XCTAssertEqual(decoded.denialRule, .othersStand)
        XCTAssertEqual(decoded.questions, [])
        XCTAssertEqual(decoded.order, [])
    }

    func testTheChoiceIsCheckedAndDecidesTheMembers() throws {
        let bundle = Self.restaurant()
        XCTAssertEqual(refusal { _ = try bundle.choose(BundleChoice()) }?.code, "bundle.choice_invalid", "the tobacco question must be answered")
        XCTAssertEqual(refusal { _ = try bundle.choose(BundleChoice(answers: ["tobacco": "也许"])) }?.code, "bundle.choice_invalid")
        XCTAssertEqual(
            refusal { _ = try bundle.choose(BundleChoice(answers: ["tobacco": "否"], optionalMembers: [Self.foodLicence])) }?.code, "bundle.choice_invalid",
            "a required member cannot be ticked as optional")
        XCTAssertEqual(try bundle.choose(BundleChoice(answers: ["tobacco": "否"])).map(\.code), [Self.companyRegistration, Self.foodLicence, Self.fireCheck])
        XCTAssertEqual(
            try bundle.choose(BundleChoice(answers: ["tobacco": "是"], optionalMembers: [Self.signboard])).map(\.code),
            [Self.companyRegistration, Self.foodLicence, Self.fireCheck, Self.signboard, Self.tobaccoLicence])
    }

    func testAConstraintThroughAMemberNotChosenStillOrders() {
        var bundle = Self.newborn()
        // 医保 waits for 户口 which waits for 出生医学证明; make 户口 optional and leave it out.
        bundle.members[1].role = .optional
        let chosen: Set<String> = [Self.birthCertificate, Self.insurance, Self.vaccination]
        XCTAssertEqual(bundle.predecessors(of: Self.insurance, among: chosen), [Self.birthCertificate])
        XCTAssertEqual(bundle.predecessors(of: Self.vaccination, among: chosen), [])
    }

    // MARK: - The merged form

    func testTheNewbornFormAsksEverySharedFieldOnce() throws {
        let bundle = Self.newborn()
        let form = try BundleForm.compose(bundle, choice: BundleChoice(optionalMembers: [Self.socialCard]), forms: Self.newbornForms)
        let memberFields = Self.newbornForms.values.map(\.fields.count).reduce(0, +)
        XCTAssertEqual(memberFields, 33)
        XCTAssertEqual(form.schema.fields.count, 17, "33 member fields asked as 17")

        // Every member field is filled by exactly one merged field, and nothing else is.
        var covered: [BundleFieldSource: Int] = [:]
        for mapping in form.mapping { for source in mapping.sources { covered[source, default: 0] += 1 } }
        for (member, schema) in Self.newbornForms {
            for field in schema.fields {
                XCTAssertEqual(covered[BundleFieldSource(member: member, field: field.key)], 1, "\(member) \(field.key)")
            }
        }
        XCTAssertEqual(covered.count, memberFields)
        XCTAssertEqual(Set(form.schema.fields.map(\.key)).count, form.schema.fields.count, "merged keys are unique")

        // The canonical facts: by prefill, by key and by label.
        XCTAssertEqual(
            form.sources["applicantName"],
            [
                BundleFieldSource(member: Self.birthCertificate, field: "applicantName"),
                BundleFieldSource(member: Self.birthRegistration, field: "declarantName"),
                BundleFieldSource(member: Self.insurance, field: "applicantName"), BundleFieldSource(member: Self.socialCard, field: "applicantName"),
            ])
        XCTAssertEqual(form.sources["idNumber"]?.map(\.field), ["idNumber", "applicantIdCard", "idNumber"])
        XCTAssertEqual(form.sources["phone"]?.map(\.field), ["phone", "mobile", "phone", "phone", "contactPhone"])
        XCTAssertEqual(form.sources["newbornName"]?.count, 3)
        XCTAssertEqual(form.sources["birthDate"]?.count, 3)
        XCTAssertEqual(form.sources["address"]?.map(\.member), [Self.insurance, Self.socialCard])
        // Someone else's facts stay apart: the insured child's ID number and the mother's.
        XCTAssertEqual(form.sources["insuredIdNumber"]?.count, 1)
        XCTAssertEqual(form.sources["motherIdNumber"]?.count, 1)

        // The stricter constraints win.
        let fields = Dictionary(form.schema.fields.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(fields["idNumber"]?.type, .idNumber, "one member checks the ID number, so the merged field does")
        XCTAssertEqual(fields["phone"]?.type, .phone)
        XCTAssertEqual(fields["newbornName"]?.maxLength, 15)
        XCTAssertEqual(fields["address"]?.type, .address)
        XCTAssertEqual(fields["address"]?.maxLength, 100)
        XCTAssertEqual(fields["fatherName"]?.required, false)
        XCTAssertEqual(fields["applicantName"]?.required, true)
        XCTAssertEqual(fields["applicantName"]?.prefill, .applicantName)
    }

    func testAnswersSplitIntoEachMembersOwnKeys() throws {
        let form = try BundleForm.compose(Self.newborn(), choice: BundleChoice(optionalMembers: [Self.socialCard]), forms: Self.newbornForms)
        var answers: [String: JSONValue] = [:]
        for field in form.schema.fields { answers[field.key] = .string("x") }
        answers["idNumber"] = .string("11010519491231002X")
        let split = form.split(answers)
        XCTAssertEqual(Set(split.keys), Set(Self.newbornForms.keys))
        for (member, schema) in Self.newbornForms {
            XCTAssertEqual(Set((split[member] ?? [:]).keys), Set(schema.fields.map(\.key)), member)
        }
        XCTAssertEqual(split[Self.birthRegistration]?["applicantIdCard"], .string("11010519491231002X"))
        XCTAssertEqual(split[Self.birthRegistration]?["declarantName"], .string("x"))
    }

    func testTheMergedCheckAppliesTheStrictestRuleAndReportsOnce() throws {
        let form = try BundleForm.compose(Self.newborn(), choice: BundleChoice(), forms: Self.newbornForms)
        let answers: [String: JSONValue] = [
            "applicantName": .string("王芳"), "idNumber": .string("110105194912310021"), "phone": .string("13800138000"),
            "newbornName": .string(String(repeating: "王", count: 18)), "newbornGender": .string("女"), "birthDate": .string("2026-11-20"),
            "motherName": .string("王芳"), "motherIdNumber": .string("11010519491231002X"), "relation": .string("女"),
            "insuredName": .string("李小芳"), "address": .string("福州市鼓楼区"), "vaccinationSite": .string("市妇幼保健院"),
        ]
        let checked = form.check(answers)
        XCTAssertEqual(Set(checked.problems.map(\.field)), ["form/idNumber", "form/newbornName", "form/householdAddress"])
        XCTAssertEqual(checked.problems.filter { $0.field == "form/newbornName" }.count, 1)
        XCTAssertNil(form.schema.fields.first { $0.key == "cardholderName" }, "the optional 社保卡 was not chosen: its fields are not asked")
    }

    func testConditionalMembersAddTheirFieldsOnlyWhenChosen() throws {
        let bundle = Self.restaurant()
        let without = try BundleForm.compose(bundle, choice: BundleChoice(answers: ["tobacco": "否"]), forms: Self.restaurantForms)
        let with = try BundleForm.compose(bundle, choice: BundleChoice(answers: ["tobacco": "是"]), forms: Self.restaurantForms)
        XCTAssertFalse(without.schema.fields.contains { $0.key == "retailArea" })
        XCTAssertTrue(with.schema.fields.contains { $0.key == "retailArea" })
        XCTAssertFalse(without.members.contains(Self.tobaccoLicence))
        // The tobacco member's company name and phone join the fields already asked.
        XCTAssertEqual(with.sources["companyName"]?.map(\.member), [Self.companyRegistration, Self.foodLicence, Self.fireCheck, Self.tobaccoLicence])
        XCTAssertEqual(with.schema.fields.count, without.schema.fields.count + 1)
        let companyName = with.schema.fields.first { $0.key == "companyName" }
        XCTAssertEqual(companyName?.maxLength, 30)
    }

    func testConflictingFieldsAreKeptApartUnderPrefixedKeys() throws {
        let choice = BundleChoice(answers: ["tobacco": "否"], optionalMembers: [Self.signboard])
        let form = try BundleForm.compose(Self.restaurant(), choice: choice, forms: Self.restaurantForms)
        let keys = form.schema.fields.map(\.key)
        // 食品经营 (≥1) and 消防 (10–5000) areas are both numbers: one field with the narrower range.
        // 招牌尺寸 is a choice: it cannot be the same answer, so it is asked apart.
        XCTAssertFalse(keys.contains("size"))
        XCTAssertTrue(keys.contains("m2Size"))
        XCTAssertTrue(keys.contains("m4Size"))
        let area = form.schema.fields.first { $0.key == "m2Size" }
        XCTAssertEqual(area?.minimum, 10)
        XCTAssertEqual(area?.maximum, 5000)
        XCTAssertEqual(form.sources["m2Size"]?.map(\.member), [Self.foodLicence, Self.fireCheck])
        XCTAssertEqual(form.sources["m4Size"], [BundleFieldSource(member: Self.signboard, field: "size")])
        XCTAssertEqual(form.schema.fields.first { $0.key == "m4Size" }?.label, "招牌尺寸（户外招牌设施设置）")
        XCTAssertEqual(form.split(["m4Size": .string("1至5平方米")])[Self.signboard]?["size"], .string("1至5平方米"))
        // A member's own condition is kept.
        XCTAssertEqual(form.schema.fields.first { $0.key == "hotFoodArea" }?.visibleWhen, FieldCondition(field: "businessKind", equals: "热食类食品制售"))

        // Ranges with nothing in common cannot merge either.
        var forms = Self.restaurantForms
        forms[Self.fireCheck] = FormSchema(fields: [Self.field("seats", "座位数", .number, maximum: 0)])
        forms[Self.foodLicence] = FormSchema(fields: [Self.field("seats", "座位数", .number, minimum: 1)])
        let apart = try BundleForm.compose(Self.restaurant(), choice: BundleChoice(answers: ["tobacco": "否"]), forms: forms)
        XCTAssertEqual(Set(apart.schema.fields.map(\.key)).intersection(["seats", "m2Seats", "m3Seats"]), ["m2Seats", "m3Seats"])
    }

    // MARK: - The merged materials

    func testAMaterialProducedByAnEarlierMemberIsNotAskedForTheMembersAfterIt() throws {
        let materials = try BundleMaterials.merge(Self.newborn(), choice: BundleChoice(), guides: Self.newbornGuides)
        let certificate = materials.first { BundleMaterials.normalisedName($0.requirement.name) == "出生医学证明" }
        // 出生登记 waits for 出生医学证明首次签发 and needs its result; 预防接种证 runs beside it and still needs a copy.
        XCTAssertEqual(certificate?.uses.map(\.member), [Self.birthRegistration, Self.vaccination])
        XCTAssertEqual(certificate?.uses.map(\.producedBy), [Self.birthCertificate, nil])
        XCTAssertEqual(certificate?.askedOfApplicant, true)
        XCTAssertEqual(certificate?.note, "“出生登记”所需的由“出生医学证明首次签发”办结后自动获取，其他事项仍需提交")
        XCTAssertEqual(certificate?.requirement.originalCount, 0, "asked only of 预防接种证: a copy")
        XCTAssertEqual(certificate?.requirement.copyCount, 1)

        // With 预防接种证 ordered after it too, the applicant gives nothing.
        var ordered = Self.newborn()
        ordered.order.append(BundleOrderConstraint(member: Self.vaccination, waitsFor: Self.birthCertificate))
        let produced = try BundleMaterials.merge(ordered, choice: BundleChoice(), guides: Self.newbornGuides)
            .first { BundleMaterials.normalisedName($0.requirement.name) == "出生医学证明" }
        XCTAssertEqual(produced?.askedOfApplicant, false)
        XCTAssertEqual(produced?.note, "由“出生医学证明首次签发”办结后自动获取")

        // Without any order nothing is produced in time: everyone gives it.
        var parallel = Self.newborn()
        parallel.order = []
        let asked = try BundleMaterials.merge(parallel, choice: BundleChoice(), guides: Self.newbornGuides)
            .first { BundleMaterials.normalisedName($0.requirement.name) == "出生医学证明" }
        XCTAssertEqual(asked?.uses.compactMap(\.producedBy), [])
        XCTAssertNil(asked?.note)
    }

    func testTheSameMaterialIsGivenOnceWithTheMembersThatUseIt() throws {
        let materials = try BundleMaterials.merge(Self.newborn(), choice: BundleChoice(), guides: Self.newbornGuides)
        let chosen = [Self.birthCertificate, Self.birthRegistration, Self.insurance, Self.vaccination]
        let total = chosen.map { Self.newbornGuides[$0]?.materials.count ?? 0 }.reduce(0, +)
        XCTAssertEqual(total, 9)
        XCTAssertEqual(materials.count, 6, "9 member materials given as 6")
        let household = materials.first { $0.requirement.name == "居民户口簿" }
        XCTAssertEqual(household?.members, [Self.birthRegistration, Self.insurance])
        XCTAssertEqual(household?.requirement.originalCount, 1)
        XCTAssertEqual(household?.requirement.copyCount, 1)
        let ids = materials.first { $0.requirement.name == "父母双方居民身份证" }
        XCTAssertEqual(ids?.members, [Self.birthCertificate, Self.birthRegistration], "“父母双方 居民身份证” is the same after spaces go")
        XCTAssertEqual(ids?.requirement.originalCount, 1)
        XCTAssertNil(materials.first { $0.requirement.name == "社会保障卡申领登记表" }, "the optional member was not chosen")

        // Each member's checklist sees the shared material as given, and the produced one too.
        let givenIndexes = Set(materials.indices.filter { materials[$0].askedOfApplicant })
        let supplied = BundleMaterials.supplied(materials, given: givenIndexes)
        let registration = try XCTUnwrap(Self.newbornGuides[Self.birthRegistration])
        XCTAssertEqual(supplied[Self.birthRegistration], [0, 1, 2])
        XCTAssertEqual(MaterialChecklist(guide: registration, supplied: supplied[Self.birthRegistration] ?? [], commitment: false).missing, [])
        let nothingGiven = BundleMaterials.supplied(materials, given: [])
        XCTAssertEqual(nothingGiven[Self.birthRegistration], [0], "only the produced 出生医学证明 counts without files")
    }

    func testALicenceTypeMakesMaterialsTheSameAndProducesThem() throws {
        let bundle = Self.restaurant()
        let choice = BundleChoice(answers: ["tobacco": "是"])
        let merged = try BundleMaterials.merge(bundle, choice: choice, guides: Self.restaurantGuides, licenceTypes: [Self.businessLicence])
        let licence = try XCTUnwrap(merged.first { $0.requirement.name == "营业执照" })
        XCTAssertEqual(licence.members, [Self.foodLicence, Self.fireCheck, Self.tobaccoLicence], "营业执照 and 营业执照副本 are one licence")
        XCTAssertEqual(licence.uses.map(\.producedBy), [Self.companyRegistration, Self.companyRegistration, Self.companyRegistration])
        XCTAssertFalse(licence.askedOfApplicant)
        XCTAssertEqual(licence.note, "由“公司设立登记”办结后自动获取")
        let premises = try XCTUnwrap(merged.first { $0.requirement.name == "经营场所证明" })
        XCTAssertEqual(premises.members, [Self.foodLicence, Self.tobaccoLicence], "《经营场所证明》 is the same material")
        XCTAssertEqual(premises.requirement.originalCount, 1)
        XCTAssertEqual(premises.requirement.copyCount, 1)

        // The signboard runs beside the registration: its copy of the licence is still asked.
        let withSign = try BundleMaterials.merge(
            bundle, choice: BundleChoice(answers: ["tobacco": "否"], optionalMembers: [Self.signboard]), guides: Self.restaurantGuides,
            licenceTypes: [Self.businessLicence])
        let shared = try XCTUnwrap(withSign.first { $0.requirement.name == "营业执照" })
        XCTAssertEqual(shared.members, [Self.foodLicence, Self.fireCheck, Self.signboard])
        XCTAssertTrue(shared.askedOfApplicant)
        XCTAssertEqual(shared.note, "“食品经营许可(新办)”、“公众聚集场所投入使用、营业前消防安全检查”所需的由“公司设立登记”办结后自动获取，其他事项仍需提交")

        // Without the licence type the names differ and nothing says the registration makes a 营业执照副本.
        let plain = try BundleMaterials.merge(bundle, choice: choice, guides: Self.restaurantGuides)
        XCTAssertEqual(plain.first { $0.requirement.name == "营业执照副本" }?.uses.first?.producedBy, nil)
        XCTAssertEqual(plain.first { $0.requirement.name == "营业执照" }?.uses.map(\.producedBy), [Self.companyRegistration, Self.companyRegistration])
    }

    // MARK: - Fan-out, deadlines, denial rules, completion, corrections

    func testAcceptanceFansOutAndOrderConstraintsHold() throws {
        let bundle = Self.newborn()
        let accepted = try BundlePlan.accept(
            bundle, choice: BundleChoice(optionalMembers: [Self.socialCard]), limits: limits(Self.newbornGuides), today: day("2026-11-26"),
            calendar: calendar)
        XCTAssertEqual(accepted.progress.tasks.map(\.status), [.running, .waiting, .waiting, .waiting, .running])
        XCTAssertEqual(accepted.effects.count, 5, "one task per member")
        XCTAssertEqual(accepted.effects[1], .holdTask(member: Self.birthRegistration, department: Self.police, waitsFor: [Self.birthCertificate]))
        XCTAssertEqual(accepted.effects[2], .holdTask(member: Self.insurance, department: Self.medicalInsurance, waitsFor: [Self.birthRegistration]))
        guard case .startTask(let member, let department, let clock) = accepted.effects[0] else { return XCTFail("the first member starts") }
        XCTAssertEqual(member, Self.birthCertificate)
        XCTAssertEqual(department, Self.health)
        XCTAssertEqual(try clock.deadline(calendar)?.date, day("2026-11-27"), "1 working day from Thursday")

        // A waiting task cannot be decided; its predecessor's approval starts it that day.
        XCTAssertEqual(refusal { _ = try decide(accepted.progress, Self.birthRegistration, .approved, on: "2026-11-27") }?.code, "bundle.task_not_open")
        let first = try decide(accepted.progress, Self.birthCertificate, .approved, on: "2026-11-27")
        XCTAssertEqual(first.effects.count, 1)
        guard case .startTask(let started, _, let startedClock) = first.effects[0] else { return XCTFail("出生登记 starts") }
        XCTAssertEqual(started, Self.birthRegistration)
        XCTAssertEqual(startedClock.acceptedOn, day("2026-11-27"))
        XCTAssertEqual(try startedClock.deadline(calendar)?.date, day("2026-12-02"), "3 working days from Friday")
        XCTAssertEqual(first.progress.task(Self.insurance)?.status, .waiting, "医保 still waits for 出生登记")

        let second = try decide(first.progress, Self.birthRegistration, .approved, on: "2026-11-30")
        XCTAssertEqual(second.effects.map(Self.startedMember), [Self.insurance, Self.socialCard])
    }

    func testParallelDeadlinesCountAcrossTheNationalDayHoliday() throws {
        // Tuesday 2026-09-29; 10-01 to 10-07 off, Saturday 10-10 worked (调休).
        let accepted = try BundlePlan.accept(
            Self.newborn(), choice: BundleChoice(), limits: [Self.birthCertificate: 5, Self.birthRegistration: 3, Self.insurance: 1, Self.vaccination: 20],
            today: day("2026-09-29"), calendar: calendar)
        let progress = accepted.progress
        XCTAssertEqual(try progress.task(Self.birthCertificate)?.clock?.deadline(calendar)?.date, day("2026-10-12"))
        XCTAssertEqual(try progress.task(Self.vaccination)?.clock?.deadline(calendar)?.date, day("2026-11-02"))
        XCTAssertEqual(try progress.clock.deadline(calendar)?.date, day("2026-10-12"), "the bundle's own promise of 5 working days")
        XCTAssertEqual(try BundlePlan.deadline(promise: 5, acceptedOn: day("2026-09-29"), calendar: calendar).date, day("2026-10-12"))
        // Decided on Friday 10-09: 出生登记's 3 days run Saturday 10-10 (worked), Monday, Tuesday.
        let step = try decide(progress, Self.birthCertificate, .approved, on: "2026-10-09")
        XCTAssertEqual(try step.progress.task(Self.birthRegistration)?.clock?.deadline(calendar)?.date, day("2026-10-13"))
    }

    func testFailBundleCancelsTheWaitingTasksOnADenial() throws {
        let accepted = try BundlePlan.accept(
            Self.newborn(rule: .failBundle), choice: BundleChoice(), limits: limits(Self.newbornGuides), today: day("2026-11-26"), calendar: calendar)
        let denied = try decide(accepted.progress, Self.birthCertificate, .denied, on: "2026-11-27")
        XCTAssertEqual(denied.progress.tasks.map(\.status), [.denied, .cancelled, .cancelled, .running], "预防接种证 was already running: it goes on")
        XCTAssertEqual(denied.effects.filter(Self.isCancellation).count, 2)
        XCTAssertTrue(denied.effects.contains(.tellApplicant("“出生医学证明首次签发”不予许可。按“新生儿出生一件事”的规则，整件办理失败，尚未开始的“出生登记”、“城乡居民医保参保登记”已取消。")))
        XCTAssertNil(denied.progress.outcome, "not complete while 预防接种证 runs")
        let last = try decide(denied.progress, Self.vaccination, .approved, on: "2026-11-30")
        XCTAssertEqual(last.effects, [.complete(.failed)])
        XCTAssertEqual(last.progress.outcome, .failed)
        XCTAssertEqual(refusal { _ = try decide(last.progress, Self.vaccination, .approved, on: "2026-11-30") }?.code, "bundle.complete")
    }

    func testOthersStandKeepsTheOtherResultsAndTellsTheApplicant() throws {
        let choice = BundleChoice(answers: ["tobacco": "是"], optionalMembers: [Self.signboard])
        let accepted = try BundlePlan.accept(
            Self.restaurant(), choice: choice, limits: limits(Self.restaurantGuides), today: day("2026-11-26"), calendar: calendar)
        let registered = try decide(accepted.progress, Self.companyRegistration, .approved, on: "2026-11-26")
        XCTAssertEqual(registered.effects.map(Self.startedMember), [Self.foodLicence, Self.fireCheck, Self.tobaccoLicence])
        let denied = try decide(registered.progress, Self.tobaccoLicence, .denied, on: "2026-11-30")
        XCTAssertEqual(denied.effects, [.tellApplicant("“烟草专卖零售许可证核发(新办)”不予许可；其他事项的办理结果继续有效。")])
        var progress = denied.progress
        for member in [Self.foodLicence, Self.fireCheck] {
            progress = try decide(progress, member, .approved, on: "2026-12-01").progress
            XCTAssertNil(progress.outcome, "the signboard is still open")
        }
        let last = try decide(progress, Self.signboard, .approved, on: "2026-12-02")
        XCTAssertEqual(last.effects, [.complete(.partlyApproved)])
    }

    func testOthersStandStillCancelsTheTasksThatNeedTheDeniedResult() throws {
        let choice = BundleChoice(answers: ["tobacco": "是"], optionalMembers: [Self.signboard])
        let accepted = try BundlePlan.accept(
            Self.restaurant(), choice: choice, limits: limits(Self.restaurantGuides), today: day("2026-11-26"), calendar: calendar)
        let denied = try decide(accepted.progress, Self.companyRegistration, .denied, on: "2026-11-27")
        XCTAssertEqual(denied.progress.tasks.map(\.status), [.denied, .cancelled, .cancelled, .running, .cancelled])
        XCTAssertEqual(denied.progress.task(Self.foodLicence)?.cancelReason, "前置事项“公司设立登记”不予许可，本事项无法办理。")
        let last = try decide(denied.progress, Self.signboard, .approved, on: "2026-11-30")
        XCTAssertEqual(last.progress.outcome, .partlyApproved)
    }

    func testTheBundleCompletesOnlyWhenEveryTaskIsDecided() throws {
        let accepted = try BundlePlan.accept(
            Self.newborn(), choice: BundleChoice(optionalMembers: [Self.socialCard]), limits: limits(Self.newbornGuides), today: day("2026-11-26"),
            calendar: calendar)
        var progress = accepted.progress
        let order = [Self.birthCertificate, Self.vaccination, Self.birthRegistration, Self.insurance]
        for member in order {
            let step = try decide(progress, member, .approved, on: "2026-11-30")
            progress = step.progress
            XCTAssertFalse(progress.isComplete)
            XCTAssertNil(progress.outcome)
            XCTAssertFalse(step.effects.contains(.complete(.approved)), "\(member) is not the last")
        }
        XCTAssertEqual(progress.task(Self.socialCard)?.status, .running)
        let last = try decide(progress, Self.socialCard, .approved, on: "2026-12-01")
        XCTAssertTrue(last.progress.isComplete)
        XCTAssertEqual(last.effects, [.complete(.approved)])
        XCTAssertEqual(last.progress.outcome, .approved)
    }

    func testCorrectionsFromSeveralTasksReachTheApplicantAsOneNotice() throws {
        let accepted = try BundlePlan.accept(
            Self.restaurant(), choice: BundleChoice(answers: ["tobacco": "否"]), limits: limits(Self.restaurantGuides), today: day("2026-11-26"),
            calendar: calendar)
        let running = try decide(accepted.progress, Self.companyRegistration, .approved, on: "2026-11-26")
        let food = try BundlePlan.requestCorrection(
            running.progress, member: Self.foodLicence, reason: "经营场所证明不清晰", missing: ["经营场所证明"], today: day("2026-11-27"), calendar: calendar)
        XCTAssertEqual(food.effects.count, 1)
        let both = try BundlePlan.requestCorrection(
            food.progress, member: Self.fireCheck, reason: "平面布置图未标明疏散通道", today: day("2026-11-30"), calendar: calendar)
        guard case .correctionNotice(let notice) = try XCTUnwrap(both.effects.first), both.effects.count == 1 else { return XCTFail("one notice") }
        XCTAssertEqual(notice.lines.map(\.member), [Self.foodLicence, Self.fireCheck], "the second request joins the first in one notice")
        XCTAssertEqual(
            notice.text,
            "请一次性补正以下内容，补正后各事项继续办理：1. “食品经营许可(新办)”：经营场所证明不清晰；缺少材料：经营场所证明\n2. “公众聚集场所投入使用、营业前消防安全检查”：平面布置图未标明疏散通道")
        XCTAssertTrue(both.progress.clock.isSuspended, "the applicant's days do not count against the promise")
        XCTAssertEqual(both.progress.task(Self.foodLicence)?.clock?.isSuspended, true)
        XCTAssertEqual(refusal { _ = try decide(both.progress, Self.foodLicence, .approved, on: "2026-12-01") }?.code, "bundle.task_not_open")
        let twice = refusal {
            _ = try BundlePlan.requestCorrection(both.progress, member: Self.fireCheck, reason: "again", today: day("2026-12-01"), calendar: calendar)
        }
        XCTAssertEqual(twice?.code, "bundle.task_not_running")
        let blank = refusal {
            _ = try BundlePlan.requestCorrection(running.progress, member: Self.fireCheck, reason: " ", today: day("2026-12-01"), calendar: calendar)
        }
        XCTAssertEqual(blank?.code, "bundle.reason_required")

        // One answer releases both; each clock lost the days it stood still.
        let answered = try BundlePlan.answerCorrection(both.progress, today: day("2026-12-02"), calendar: calendar)
        XCTAssertEqual(answered.effects, [.resumeTask(member: Self.foodLicence), .resumeTask(member: Self.fireCheck)])
        XCTAssertEqual(answered.progress.tasks.map(\.status), [.approved, .running, .running])
        XCTAssertFalse(answered.progress.clock.isSuspended)
        // 食品经营 started Thursday 11-26 with 5 days (12-03); it stood still 11-27 to 12-01, so its days run 12-02 … 12-08.
        XCTAssertEqual(try answered.progress.task(Self.foodLicence)?.clock?.deadline(calendar)?.date, day("2026-12-08"))
        // The bundle's 10 days stood still over the same days: 12-02 … 12-15 instead of 12-10.
        XCTAssertEqual(try answered.progress.clock.deadline(calendar)?.date, day("2026-12-15"))
        let again = refusal { _ = try BundlePlan.answerCorrection(answered.progress, today: day("2026-12-02"), calendar: calendar) }
        XCTAssertEqual(again?.code, "bundle.no_correction")
    }

    func testTheDepartmentHoldingTheBundleBackIsTheOneNearestOrPastItsDeadline() throws {
        let accepted = try BundlePlan.accept(
            Self.newborn(), choice: BundleChoice(), limits: [Self.birthCertificate: 5, Self.birthRegistration: 3, Self.insurance: 1, Self.vaccination: 2],
            today: day("2026-11-26"), calendar: calendar)
        let early = BundlePlan.holdingBack(accepted.progress, today: day("2026-11-26"), warnWithin: 1, calendar: calendar)
        XCTAssertEqual(early?.member, Self.vaccination, "2 working days left against 5")
        XCTAssertEqual(early?.department, Self.health)
        XCTAssertEqual(early?.deadline, day("2026-11-30"))
        XCTAssertEqual(early?.status, .green)
        XCTAssertEqual(early?.workingDaysLeft, 2)
        let late = BundlePlan.holdingBack(accepted.progress, today: day("2026-12-02"), warnWithin: 1, calendar: calendar)
        XCTAssertEqual(late?.member, Self.vaccination)
        XCTAssertEqual(late?.status, .red)
        XCTAssertEqual(late?.workingDaysLeft, -2)
        let vaccinated = try decide(accepted.progress, Self.vaccination, .approved, on: "2026-11-27")
        let next = BundlePlan.holdingBack(vaccinated.progress, today: day("2026-12-02"), warnWithin: 1, calendar: calendar)
        XCTAssertEqual(next?.member, Self.birthCertificate)
        XCTAssertEqual(next?.status, .yellow)
    }

    static func isCancellation(_ effect: BundleEffect) -> Bool {
        if case .cancelTask = effect { return true }
        return false
    }

    static func startedMember(_ effect: BundleEffect) -> String? {
        if case .startTask(let member, _, _) = effect { return member }
        return nil
    }
}
