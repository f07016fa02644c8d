import Fluent
import Foundation
import Vapor
import YiwangCore

/// The demo city's cases: one or more in every state, filed and moved by the demo applicants and
/// staff through the same lifecycle function as real ones, on past days, so that the queue has
/// green, yellow and red deadlines, a 容缺 case waits for its material, a 告知承诺 approval waits
/// for its check, and an item that allows it is approved on timeout when the watch first runs.
enum DemoCases {
    /// Who does a step: an applicant (by account), a staff account, or the platform.
    enum Who {
        case applicant(String, actingFor: String? = nil)
        case staff(String)
        case platform
    }

    struct Step {
        var daysAgo: Int
        var who: Who
        var action: CaseAction
        var reason: String? = nil
        var options = CaseService.TransitionOptions()
    }

    struct Scenario {
        var item: String
        var applicant: Who
        var daysAgo: Int
        /// Material numbers (from 1) left out when filing; the rest are uploaded.
        var leaveOut: Set<Int> = []
        var commitment = false
        var draft = false
        var steps: [Step] = []
    }

    static let person = "520102199003071236"
    static let company = "91520100MA6H00001R"
    static let agent = "520103198506120046"
    static let soleTrader = "92520102MA6J000029"
    /// Listed in the credit registry (失信主体): its cases carry a warning the clerk must answer.
    static let dishonest = "91520100MA6H000030"

    static var scenarios: [Scenario] {
        let clerk = Who.staff("market.clerk")
        let approver = Who.staff("market.approver")
        let asCompany = Who.applicant(agent, actingFor: company)
        return [
            Scenario(item: "食品经营许可(新办)", applicant: .applicant(person), daysAgo: 0, draft: true),
            Scenario(item: "食品小经营店备案发放", applicant: .applicant(person), daysAgo: 0),
            Scenario(item: "公司设立登记", applicant: asCompany, daysAgo: 2, steps: [Step(daysAgo: 1, who: clerk, action: .preReview)]),
            Scenario(
                item: "特种设备作业人员资格认定取证", applicant: .applicant(person), daysAgo: 3, leaveOut: [4],
                steps: [Step(daysAgo: 2, who: clerk, action: .requestCorrection, reason: "学历证明须为学信网电子注册备案表或毕业证书扫描件")]),
            Scenario(
                item: "企业名称争议裁决", applicant: .applicant(soleTrader), daysAgo: 6,
                steps: [Step(daysAgo: 5, who: clerk, action: .rejectAtAcceptance, reason: "争议所涉企业名称由省级登记机关核准，不属于本机关管辖，请向省市场监督管理局申请")]),
            // Overdue: accepted two weeks ago with a five-day limit.
            Scenario(item: "食品经营许可(延续)", applicant: .applicant(person), daysAgo: 15, steps: [Step(daysAgo: 14, who: clerk, action: .accept)]),
            // 容缺: the directors' papers follow within the item's period.
            Scenario(item: "公司设立登记", applicant: asCompany, daysAgo: 1, leaveOut: [4], steps: [Step(daysAgo: 0, who: clerk, action: .accept)]),
            // Yellow: two working days left.
            Scenario(
                item: "特种设备作业人员资格认定取证", applicant: .applicant(soleTrader), daysAgo: 13,
                steps: [Step(daysAgo: 12, who: clerk, action: .accept), Step(daysAgo: 11, who: approver, action: .review)]),
            Scenario(
                item: "企业名称争议裁决", applicant: asCompany, daysAgo: 12,
                steps: [
                    Step(daysAgo: 11, who: clerk, action: .accept), Step(daysAgo: 10, who: approver, action: .review),
                    Step(daysAgo: 5, who: approver, action: .startSpecialProcedure, reason: "专家评审：组织商标与企业名称专家论证"),
                ]),
            // 告知承诺: approved on the signed commitment, checked later.
            Scenario(
                item: "食品经营许可(新办)", applicant: .applicant(person), daysAgo: 4, commitment: true,
                steps: [
                    Step(daysAgo: 3, who: clerk, action: .accept, reason: "绿色通道：退役军人创业", options: .init(greenChannel: true)),
                    Step(daysAgo: 2, who: approver, action: .review),
                    Step(daysAgo: 1, who: approver, action: .approve, options: .init(resultDocument: "JY15201020260001")),
                ]),
            Scenario(
                item: "对举报食品安全违法行为的奖励", applicant: .applicant(soleTrader), daysAgo: 25,
                steps: [
                    Step(daysAgo: 24, who: clerk, action: .accept), Step(daysAgo: 20, who: approver, action: .review),
                    Step(daysAgo: 6, who: approver, action: .deny, reason: "举报线索与已立案查处的案件重复，不符合《食品药品违法行为举报奖励办法》第六条规定的奖励条件"),
                ]),
            Scenario(
                item: "特种设备作业人员资格认定取证", applicant: .applicant(person), daysAgo: 10,
                steps: [
                    Step(daysAgo: 9, who: clerk, action: .accept), Step(daysAgo: 8, who: approver, action: .review),
                    Step(daysAgo: 3, who: approver, action: .approve), Step(daysAgo: 2, who: approver, action: .issueCertificate, options: .init(resultDocument: "TS-520100-2026-0417")),
                ]),
            Scenario(
                item: "食品小经营店备案发放", applicant: .applicant(person), daysAgo: 8,
                steps: [
                    Step(daysAgo: 7, who: clerk, action: .accept), Step(daysAgo: 6, who: approver, action: .approve),
                    Step(daysAgo: 5, who: clerk, action: .deliver),
                ]),
            // 即办件: decided at acceptance, then handed out and closed.
            Scenario(
                item: "仅销售预包装食品经营者备案", applicant: .applicant(soleTrader), daysAgo: 9,
                steps: [Step(daysAgo: 9, who: clerk, action: .accept), Step(daysAgo: 9, who: clerk, action: .deliver), Step(daysAgo: 8, who: clerk, action: .close)]),
            Scenario(
                item: "仅销售预包装食品经营者备案", applicant: asCompany, daysAgo: 40,
                steps: [
                    Step(daysAgo: 40, who: clerk, action: .accept), Step(daysAgo: 40, who: clerk, action: .deliver),
                    Step(daysAgo: 39, who: clerk, action: .close), Step(daysAgo: 30, who: .platform, action: .archive),
                ]),
            Scenario(item: "食品经营许可(延续)", applicant: .applicant(person), daysAgo: 7, steps: [Step(daysAgo: 6, who: .applicant(person), action: .withdraw)]),
            Scenario(
                item: "企业名称争议裁决", applicant: .applicant(person), daysAgo: 20,
                steps: [
                    Step(daysAgo: 19, who: clerk, action: .accept), Step(daysAgo: 18, who: approver, action: .review),
                    Step(daysAgo: 4, who: approver, action: .terminate, reason: "申请人书面撤回争议，且被申请企业已注销，裁决程序终止"),
                ]),
            // The company's own food licence, in its wallet (its legal representative 张明 sees it).
            Scenario(
                item: "食品经营许可(新办)", applicant: asCompany, daysAgo: 6,
                steps: [
                    Step(daysAgo: 5, who: clerk, action: .accept), Step(daysAgo: 4, who: approver, action: .review),
                    Step(daysAgo: 3, who: approver, action: .approve, options: .init(resultDocument: "JY15201000260002")),
                ]),
            // 一处失信，处处受限: a listed company's application waits at the window with the warning.
            Scenario(item: "食品经营许可(新办)", applicant: .applicant(dishonest), daysAgo: 1, steps: []),
            // 超时默认: the deadline has passed; the deadline watch approves it on its first run.
            Scenario(item: "食品小经营店备案发放", applicant: .applicant(soleTrader), daysAgo: 12, steps: [Step(daysAgo: 11, who: clerk, action: .accept)]),
        ]
    }

    /// Files and moves the demo cases, unless the database already has cases.
    static func seed(_ app: Application, staff: [DemoCity.StaffSeed]) async throws -> Int {
        guard try await CaseRecord.query(on: app.db).count() == 0 else { return 0 }
        let keys = try app.keyRing
        let applicants = try await applicants(app)
        let grants = Dictionary(staff.map { ($0.account, $0.grants) }, uniquingKeysWith: { first, _ in first })
        // In code order, so a name the city and a district both publish means the city's item
        // (the scenarios' clerks are the city's), whatever order the engine reads rows in.
        let items = try await ItemRecord.query(on: app.db).filter(\.$publishedVersionID != nil).sort(\.$implementationCode).all()
        let today = app.timeSource.now()
        var filed = 0
        for (number, scenario) in scenarios.enumerated() {
            guard let item = items.first(where: { $0.name == scenario.item }),
                let version = try await ItemVersionRecord.find(item.publishedVersionID, on: app.db)
            else { continue }
            let guide = try version.guide()
            func at(_ daysAgo: Int) -> Date { today.addingTimeInterval(Double(-daysAgo) * 86_400 + Double(number) * 60) }
            func service(_ who: Who, _ daysAgo: Int) throws -> CaseService? {
                try context(app, who, at: at(daysAgo), applicants: applicants, grants: grants).map(CaseService.init)
            }
            guard let filer = try service(scenario.applicant, scenario.daysAgo), case .applicant(let applicant) = filer.actor,
                let subject = applicants.values.first(where: { $0.id!.uuidString == applicant.principalID })
            else { continue }
            let form = sampleForm(guide.form, profile: ProfileValue.of(subject, keys: keys), partial: scenario.draft)
            let body = NewCaseRequest(item: item.implementationCode, form: form, commitment: scenario.commitment ? true : nil, submit: false)
            let (record, _, _) = try await filer.create(body, idempotencyKey: "demo-\(number)")
            if !scenario.draft {
                for (index, material) in guide.materials.enumerated()
                where !material.source.isHeldByPlatform && !scenario.leaveOut.contains(index + 1) && (material.required || index % 2 == 0) {
                    _ = try await filer.supplyMaterial(record.id!, position: index + 1, upload: samplePDF(material.name, case: number), fileName: material.name + ".pdf", reuse: nil)
                }
                _ = try await filer.perform(.submit, reason: nil, on: record.id!)
            }
            for step in scenario.steps {
                guard let actor = try service(step.who, step.daysAgo) else { continue }
                _ = try await actor.perform(step.action, reason: step.reason, on: record.id!, options: step.options)
            }
            filed += 1
        }
        return filed
    }

    /// The context of a demo step: an applicant (or their agent acting for the company), a staff
    /// account with its demo grants, or the platform, at a moment of the demo history.
    static func context(
        _ app: Application, _ who: Who, at moment: Date, applicants: [String: ApplicantRecord], grants: [String: [Grant]]
    ) throws -> DomainContext? {
        switch who {
        case .applicant(let account, let actingFor):
            guard let record = applicants[account], let id = record.id?.uuidString else { return nil }
            var actor = ApplicantActor(accountID: id, kind: record.kind, displayName: record.name)
            if let actingFor, let company = applicants[actingFor], let companyID = company.id?.uuidString {
                actor.actingFor = .init(companyID: companyID, companyName: company.name, powers: [.apply, .viewCases])
            }
            let context = AuditContext(actor: "applicant:" + id, actingFor: actor.actingFor?.companyID, role: nil, channel: "web", address: nil)
            return try DomainContext(app: app, actor: .applicant(actor), audit: context, now: moment)
        case .staff(let account):
            guard let grants = grants[account] else { return nil }
            let context = AuditContext(
                actor: account, actingFor: nil, role: Set(grants.map(\.role.rawValue)).sorted().joined(separator: ","), channel: "window", address: nil)
            return try DomainContext(app: app, actor: .staff(account: account, grants: grants), audit: context, now: moment)
        case .platform:
            return try .platform(app, job: "archive", now: moment)
        }
    }

    /// The demo applicants by account, as the database holds them.
    static func applicants(_ app: Application) async throws -> [String: ApplicantRecord] {
        let keys = try app.keyRing
        var applicants: [String: ApplicantRecord] = [:]
        for account in [person, company, agent, soleTrader, dishonest] {
            applicants[account] = try await ApplicantRecord.query(on: app.db).filter(\.$identifierIndex == ApplicantRecord.index(account, keys: keys)).first()
        }
        return applicants
    }

    /// A form filled as an applicant would: from the profile where the field says so, plausible
    /// values otherwise. A draft has only its first fields.
    static func sampleForm(_ schema: FormSchema, profile: [PrefillSource: ProfileValue], partial: Bool) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for (position, field) in schema.fields.enumerated() {
            if partial && position >= 2 { break }
            if let source = field.prefill, let known = profile[source] {
                values[field.key] = .string(known.value)
                continue
            }
            switch field.type {
            case .select: values[field.key] = field.options.first.map(JSONValue.string)
            case .checkbox: values[field.key] = .bool(true)
            case .number: values[field.key] = .int(Int(field.minimum ?? 1))
            case .date: values[field.key] = .string("2026-11-02")
            case .idNumber: values[field.key] = .string(person)
            case .creditCode: values[field.key] = .string(company)
            case .phone: values[field.key] = .string("13800000001")
            case .email: values[field.key] = .string("zhangming@example.cn")
            case .address: values[field.key] = .string("贵阳市南明区中华南路1号")
            case .textarea: values[field.key] = .string("经营范围与申请事项一致，场所已按要求布置。")
            case .text: values[field.key] = .string(String("\(field.label)示例".prefix(field.maxLength ?? 40)))
            }
        }
        return values
    }

    /// A small, well-formed PDF standing for a scanned material.
    static func samplePDF(_ title: String, case number: Int) -> [UInt8] {
        Array("%PDF-1.4\n% 一网通办演示材料：\(title)(办件\(number))\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)
    }
}
