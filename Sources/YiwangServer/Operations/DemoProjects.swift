import Fluent
import Foundation
import Vapor
import YiwangCore

/// The demo city's investment project: a major data-centre project of the demo company, its
/// first stage approved, its planning permit running in the second, the drawings under 多图联审
/// with two of three opinions in, and a 全程代办员 from the service centre.
enum DemoProjects {
    static let name = "贵阳云数数据中心一期"

    static func seed(_ app: Application, staff: [DemoCity.StaffSeed]) async throws -> Int {
        guard try await InvestmentProjectRecord.query(on: app.db).count() == 0 else { return 0 }
        let applicants = try await DemoCases.applicants(app)
        let grants = Dictionary(staff.map { ($0.account, $0.grants) }, uniquingKeysWith: { first, _ in first })
        guard let company = applicants[DemoCases.company] else { return 0 }
        let today = app.timeSource.now()
        func context(_ who: DemoCases.Who, _ daysAgo: Int, _ minute: Int = 0) throws -> DomainContext? {
            try DemoCases.context(app, who, at: today.addingTimeInterval(Double(-daysAgo) * 86_400 + Double(minute) * 60 + 45), applicants: applicants, grants: grants)
        }
        let owner = DemoCases.Who.applicant(DemoCases.company)
        guard let registering = try context(owner, 20), let centre = try context(.staff("centre.clerk"), 20, 5) else { return 0 }
        let code = try ProjectCode.make(year: 2026, region: "520100", industry: "48", type: .approval, serial: 1).value
        _ = try await ProjectService(registering).register(
            NewProjectRequest(code: code, name: name, regionCode: "520102", address: "贵阳市南明区数博大道1号", investment: "128,000", isMajor: true))
        _ = try await ProjectService(centre).assignProxy(code, ProxyRequest(account: "centre.clerk", reason: "重大项目，政务服务中心全程代办"))
        let planning = DemoCases.Who.staff("planning.staff")
        let keys = try app.keyRing
        /// Files an item of the project's current stage for the company, gives its materials, and
        /// lets the department accept it (and approve it when asked).
        func file(_ itemName: String, daysAgo: Int, approveDaysAgo: Int?) async throws {
            guard let item = try await ItemRecord.query(on: app.db).filter(\.$name == itemName).filter(\.$publishedVersionID != nil).first(),
                let versionID = item.publishedVersionID, let filer = try context(owner, daysAgo), let staffContext = try context(planning, daysAgo - 1)
            else { return }
            let guide = try await CaseService.guide(version: versionID, on: app.db)
            let form = DemoCases.sampleForm(guide.form, profile: ProfileValue.of(company, keys: keys), partial: false)
            let service = CaseService(filer)
            let (record, _, _) = try await service.create(
                NewCaseRequest(item: item.implementationCode, form: form, submit: false, project: code), idempotencyKey: "demo-project-\(itemName)")
            guard let id = record.id else { return }
            for (index, material) in guide.materials.enumerated() where material.required && !material.source.isHeldByPlatform {
                _ = try await service.supplyMaterial(id, position: index + 1, upload: DemoCases.samplePDF(material.name, case: 700 + index), fileName: material.name + ".pdf", reuse: nil)
            }
            try await service.perform(.submit, reason: nil, on: id)
            try await CaseService(staffContext).perform(.accept, reason: nil, on: id)
            if let approveDaysAgo, let deciding = try context(planning, approveDaysAgo) {
                try await CaseService(deciding).perform(.review, reason: nil, on: id)
                try await CaseService(deciding.advanced(by: 60)).perform(.approve, reason: nil, on: id)
            }
        }
        try await file("建设项目用地预审与选址意见书核发", daysAgo: 19, approveDaysAgo: 12)
        try await file("建设用地(含临时用地)规划许可证核发(出让用地)", daysAgo: 11, approveDaysAgo: 8)
        guard let advancing = try context(owner, 7) else { return 1 }
        _ = try await ProjectService(advancing).advance(code)
        try await file("建设工程(含临时建设)规划许可证核发", daysAgo: 5, approveDaysAgo: nil)
        // 多图联审 of the construction drawings: planning and housing have given their opinions.
        let departments = try await DepartmentRecord.query(on: app.db).all()
        func creditCode(_ fragment: String) -> String? { departments.first { $0.name.contains(fragment) }?.creditCode }
        guard let planningCode = creditCode("贵阳市自然资源"), let housingCode = creditCode("贵阳市住房和城乡建设"), let fireCode = creditCode("贵阳市消防"),
            let starting = try context(planning, 4)
        else { return 1 }
        let review = try await ProjectService(starting).startReview(
            code,
            NewJointReviewRequest(
                kind: .jointDrawingReview, subject: "施工图设计文件(建筑、结构、消防、人防)", leadDepartment: planningCode, departments: [planningCode, housingCode, fireCode]))
        guard let reviewID = review.id else { return 1 }
        if let ctx = try context(planning, 3) {
            _ = try await ProjectService(ctx).reviewStep(reviewID, JointReviewStepRequest(step: "opinion", department: planningCode, verdict: .pass))
        }
        if let ctx = try context(.staff("housing.staff"), 2) {
            _ = try await ProjectService(ctx).reviewStep(
                reviewID, JointReviewStepRequest(step: "opinion", department: housingCode, verdict: .passWithConditions, text: "地下室人防出入口按审查意见调整"))
        }
        return 1
    }
}
