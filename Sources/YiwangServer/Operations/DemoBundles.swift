import Fluent
import Foundation
import Vapor
import YiwangCore

/// The demo city's 一件事 applications, one or more in every state, filed and moved by the demo
/// applicants and each department's demo staff through the same services as real ones, on past
/// days: waiting for the one acceptance, running in parallel with a department holding it back,
/// waiting for the applicant's one correction, completed whole or in part, refused, withdrawn.
enum DemoBundles {
    typealias Who = DemoCases.Who

    enum Step {
        case accept(String)
        case reject(String, reason: String)
        case withdraw
        /// A department's step on its task, the task named by a fragment of its item's name.
        case task(String, by: String, CaseAction, reason: String? = nil)
        case answerCorrection
    }

    struct Scenario {
        var bundle: String
        var applicant: Who
        var answers: [String: String] = [:]
        var optional: [String] = []
        var daysAgo: Int
        var steps: [(daysAgo: Int, step: Step)] = []
    }

    static var scenarios: [Scenario] {
        let person = Who.applicant(DemoCases.person), agent = Who.applicant(DemoCases.agent), shop = Who.applicant(DemoCases.soleTrader)
        return [
            // Filed today, waiting for the health commission's one acceptance.
            Scenario(bundle: "newborn", applicant: person, answers: ["maternityAllowance": "否"], daysAgo: 0),
            // Accepted: the three 即办 members decided at once; the social security card holds it back.
            Scenario(
                bundle: "newborn", applicant: agent, answers: ["maternityAllowance": "是"], daysAgo: 3,
                steps: [(2, .accept("health.staff")), (1, .task("生育津贴", by: "medicare.staff", .review))]),
            // The tobacco licence asks for a correction: the applicant has one notice to answer.
            Scenario(
                bundle: "openRestaurant", applicant: shop, answers: ["tobacco": "是"], daysAgo: 4,
                steps: [
                    (3, .accept("market.clerk")), (2, .task("消防", by: "fire.staff", .approve)),
                    (1, .task("烟草", by: "tobacco.staff", .requestCorrection, reason: "经营场所使用证明为复印件，请上传租赁合同原件的扫描件")),
                ]),
            // Answered and running again, then decided whole.
            // (李华's: 张明's wallet stays as the licence journeys know it.)
            Scenario(
                bundle: "openRestaurant", applicant: agent, answers: ["tobacco": "是"], daysAgo: 12,
                steps: [
                    (11, .accept("market.clerk")), (10, .task("烟草", by: "tobacco.staff", .requestCorrection, reason: "请补充经营场所平面图")),
                    (9, .answerCorrection), (8, .task("消防", by: "fire.staff", .approve)), (7, .task("烟草", by: "tobacco.staff", .approve)),
                    (6, .task("食品经营", by: "market.approver", .approve)),
                ]),
            // A company opened in a day: registration approved, its seal and invoices decided on the spot.
            Scenario(
                bundle: "startBusiness", applicant: agent, daysAgo: 6, steps: [(5, .accept("market.clerk")), (5, .task("公司设立", by: "market.approver", .approve))]),
            // Fire safety denied; the other results stand.
            Scenario(
                bundle: "openRestaurant", applicant: agent, answers: ["tobacco": "否"], daysAgo: 15,
                steps: [
                    (14, .accept("market.clerk")),
                    (9, .task("消防", by: "fire.staff", .deny, reason: "疏散通道宽度不足1.1米，不符合《建筑设计防火规范》要求，整改后可重新申请")),
                    (8, .task("食品经营", by: "market.approver", .approve)),
                ]),
            Scenario(
                bundle: "retirement", applicant: agent, daysAgo: 5,
                steps: [(4, .reject("hrss.staff", reason: "档案记载的出生日期与居民身份证不一致，请先申请出生日期认定后再办理"))]),
            Scenario(bundle: "newborn", applicant: person, answers: ["maternityAllowance": "否"], daysAgo: 2, steps: [(1, .withdraw)]),
        ]
    }

    /// Files and moves the demo applications, unless the database already has some.
    static func seed(_ app: Application, staff: [DemoCity.StaffSeed]) async throws -> Int {
        guard try await BundleApplicationRecord.query(on: app.db).count() == 0 else { return 0 }
        let applicants = try await DemoCases.applicants(app)
        let grants = Dictionary(staff.map { ($0.account, $0.grants) }, uniquingKeysWith: { first, _ in first })
        let keys = try app.keyRing
        let today = app.timeSource.now()
        var filed = 0
        for (number, scenario) in scenarios.enumerated() {
            func context(_ who: Who, _ daysAgo: Int) throws -> DomainContext? {
                try DemoCases.context(
                    app, who, at: today.addingTimeInterval(Double(-daysAgo) * 86_400 + Double(number) * 60 + 30), applicants: applicants, grants: grants)
            }
            guard let filer = try context(scenario.applicant, scenario.daysAgo), case .applicant(let actor) = filer.actor,
                let subject = applicants.values.first(where: { $0.id?.uuidString == actor.principalID })
            else { continue }
            let choice = BundleChoice(answers: scenario.answers, optionalMembers: Set(scenario.optional))
            let guide = try await BundleCatalog(filer).guide(scenario.bundle, choice: choice)
            let form = DemoCases.sampleForm(guide.form, profile: ProfileValue.of(subject, keys: keys), partial: false)
            let service = BundleService(filer)
            let (application, _) = try await service.file(
                NewBundleApplicationRequest(bundle: scenario.bundle, answers: scenario.answers, optionalMembers: scenario.optional, form: form),
                idempotencyKey: "demo-bundle-\(number)")
            let id = try application.requireID()
            for material in guide.materials where material.askedOfApplicant {
                _ = try await service.supplyMaterial(
                    id, position: material.position, upload: DemoCases.samplePDF(material.name, case: 900 + number), fileName: material.name + ".pdf")
            }
            for (daysAgo, step) in scenario.steps {
                switch step {
                case .accept(let account):
                    guard let ctx = try context(.staff(account), daysAgo) else { continue }
                    _ = try await BundleService(ctx).act(id, .accept, reason: nil)
                case .reject(let account, let reason):
                    guard let ctx = try context(.staff(account), daysAgo) else { continue }
                    _ = try await BundleService(ctx).act(id, .reject, reason: reason)
                case .withdraw:
                    guard let ctx = try context(scenario.applicant, daysAgo) else { continue }
                    _ = try await BundleService(ctx).act(id, .withdraw, reason: "信息填写有误，重新申请")
                case .answerCorrection:
                    guard let ctx = try context(scenario.applicant, daysAgo) else { continue }
                    _ = try await BundleService(ctx).act(id, .answerCorrection, reason: nil)
                case .task(let name, let account, let action, let reason):
                    guard let ctx = try context(.staff(account), daysAgo),
                        let task = try await BundleService(ctx).view(id).tasks.first(where: { $0.name.contains(name) }), let caseID = task.caseID
                    else { continue }
                    if action == .approve, task.caseState == .accepted {
                        _ = try await CaseService(ctx).perform(.review, reason: nil, on: caseID)
                    }
                    _ = try await CaseService(ctx).perform(action, reason: reason, on: caseID)
                }
            }
            filed += 1
        }
        return filed
    }
}
