import Fluent
import Foundation
import Vapor
import YiwangCore

/// The demo city: a real prefecture's regions, departments and catalog, and one staff account per role.
enum DemoCity {
    struct StaffSeed {
        var account: String
        var displayName: String
        var grants: [Grant]
    }

    static func documentURL(_ app: Application) -> URL {
        URL(fileURLWithPath: app.directory.resourcesDirectory + "Seed/demo-city.json")
    }

    static func loadDocument(_ app: Application) throws -> CatalogDocument {
        let data = try Data(contentsOf: documentURL(app))
        return try JSONDecoder().decode(CatalogDocument.self, from: data)
    }

    /// The demo accounts present in this database (staff names and demo applicants), for the
    /// production start-up check and the development warning.
    static func presentAccounts(_ app: Application) async throws -> [String] {
        let staffNames = ["catalog.admin", "system.admin", "supervisor", "hotline", "market.admin", "market.clerk", "market.approver", "nanming.clerk",
            "health.staff", "police.staff", "medicare.staff", "hrss.staff", "fire.staff", "tobacco.staff", "water.staff", "tax.staff",
            "planning.staff", "housing.staff", "centre.clerk",
        ]
        var present = try await StaffAccountRecord.query(on: app.db).filter(\.$account ~~ staffNames).filter(\.$disabled == false).all(\.$account).sorted()
        let keys = try app.keyRing
        let indexes = applicantSeeds.map { ApplicantRecord.index($0.account, keys: keys) }
        if try await ApplicantRecord.query(on: app.db).filter(\.$identifierIndex ~~ indexes).filter(\.$disabled == false).count() > 0 { present.append("演示申请人") }
        return present
    }

    /// Whether the database holds no catalog yet.
    static func isEmpty(_ db: any Database) async throws -> Bool {
        let items = try await ItemRecord.query(on: db).count()
        let departments = try await DepartmentRecord.query(on: db).count()
        return items == 0 && departments == 0
    }

    struct ApplicantSeed {
        var account: String
        var kind: ApplicantKind
        var name: String
        var phone: String?
        var representative: (idNumber: String, name: String)?
        var note: String
    }

    /// Demo applicants with valid (made-up) numbers: a citizen who is the legal representative
    /// of a company, a citizen the company made its agent, and a 个体工商户.
    static let applicantSeeds = [
        ApplicantSeed(account: "520102199003071236", kind: .person, name: "张明", phone: "13800000001", note: "自然人，贵阳云数科技有限公司法定代表人"),
        ApplicantSeed(account: "520103198506120046", kind: .person, name: "李华", phone: "13800000002", note: "自然人，该公司经办人(可申请、查进度)"),
        ApplicantSeed(
            account: "91520100MA6H00001R", kind: .company, name: "贵阳云数科技有限公司", phone: nil,
            representative: ("520102199003071236", "张明"), note: "法人账号"),
        ApplicantSeed(
            account: "92520102MA6J000029", kind: .company, name: "南明区王记小吃店", phone: "13800000003",
            representative: ("52011219920815031X", "王芳"), note: "个体工商户(信用代码按个人信息保护)"),
        ApplicantSeed(
            account: "91520100MA6H000030", kind: .company, name: "贵阳示范失信商贸有限公司", phone: "13800000004",
            representative: ("520102198001011235", "赵强"), note: "信用库中的失信主体：不能申请公司设立登记，其余事项窗口须记录理由"),
    ]

    /// Loads the city, the staff and the demo applicants; returns what was created, for printing.
    @discardableResult
    static func seed(_ app: Application) async throws -> (ImportReport, [StaffSeed]) {
        let document = try loadDocument(app)
        let exchange = CatalogExchange(db: app.db, now: app.timeSource.now(), settings: app.settings, attribution: "system:seed")
        let report = try await exchange.importDocument(document)
        let staff = staffSeeds(document)
        // bcrypt is slow by design: hash the shared demo password once, not once per account.
        let hash = try await app.password.async.hash(app.settings.demoPassword)
        let now = app.timeSource.now()
        let context = AuditContext.system("system:seed")
        for seed in staff {
            if try await StaffAccountRecord.query(on: app.db).filter(\.$account == seed.account).first() != nil { continue }
            let record = try StaffAccountRecord(account: seed.account, displayName: seed.displayName, passwordHash: hash, grants: seed.grants, createdAt: now)
            try await AuditTrail.writeTransaction(on: app.db) { tx in
                try await record.create(on: tx)
                try await AuditTrail.append(context.entry("staff.create", subjectType: "staff", subjectID: record.account, after: record.grantsJSON, at: now), on: tx)
            }
        }
        let keys = try app.keyRing
        try await seedRegistries(app)
        var created: [String: ApplicantRecord] = [:]
        for seed in applicantSeeds {
            let index = ApplicantRecord.index(seed.account, keys: keys)
            if let existing = try await ApplicantRecord.query(on: app.db).filter(\.$identifierIndex == index).first() {
                created[seed.account] = existing
                continue
            }
            let record = try ApplicantRecord(kind: seed.kind, identifier: seed.account, name: seed.name, passwordHash: hash, keys: keys, at: now)
            if let phone = seed.phone { try record.setPhone(phone, keys: keys) }
            if let representative = seed.representative {
                record.representativeName = representative.name
                record.representativeIndex = ApplicantRecord.index(representative.idNumber, keys: keys)
                record.representativeSealed = try keys.seal(representative.idNumber)
            }
            try await AuditTrail.writeTransaction(on: app.db) { tx in
                try await record.create(on: tx)
                try await AuditTrail.append(
                    context.entry("applicant.register", subjectType: "applicant", subjectID: record.id!.uuidString, owner: .applicant(record.id!.uuidString), after: record.identifierMasked, at: now),
                    on: tx)
            }
            created[seed.account] = record
        }
        if let company = created["91520100MA6H00001R"], try await CompanyAgentRecord.query(on: app.db).filter(\.$company.$id == company.id!).count() == 0 {
            let service = IdentityService(try DomainContext(app: app, actor: .anonymous, audit: context))
            _ = try await Agency.grant(AgentRequest(idNumber: "520103198506120046", name: "李华", powers: [.apply, .viewCases]), company: company.id!, service: service)
        }
        try await seedLicenceTypes(app)
        let bundles = try await BundleCatalog.seed(app)
        if bundles > 0 { app.logger.info("demo city: \(bundles) 一件事 published") }
        let cases = try await DemoCases.seed(app, staff: staff)
        if cases > 0 { app.logger.info("demo city: \(cases) cases filed and moved through their states") }
        let projects = try await DemoProjects.seed(app, staff: staff)
        if projects > 0 { app.logger.info("demo city: \(projects) investment project through its first stage, with a joint drawing review") }
        let bundled = try await DemoBundles.seed(app, staff: staff)
        if bundled > 0 { app.logger.info("demo city: \(bundled) 一件事 applications filed and moved through their states") }
        let reviews = try await DemoEvaluations.seed(app, staff: staff)
        if reviews > 0 { app.logger.info("demo city: \(reviews) reviews given, bad ones in every state of their rectification") }
        return (report, staff)
    }

    /// The local exchange's registries (Resources/Seed/registries.json): the demo people and
    /// companies, and the credit registry's listings.
    static func seedRegistries(_ app: Application) async throws {
        guard try await CreditBlacklistRecord.query(on: app.db).count() == 0 else { return }
        let url = URL(fileURLWithPath: app.directory.resourcesDirectory + "Seed/registries.json")
        let contents = try JSONDecoder().decode(LocalSharedData.Contents.self, from: Data(contentsOf: url))
        let ctx = try DomainContext.platform(app, job: "seed")
        try await ctx.write { tx in try await LocalSharedData.fill(contents, keys: ctx.keys, at: ctx.now, on: tx) }
    }

    /// The demo city's licence types (Resources/Seed/licence-types.json), wired to their items, and
    /// its seals: the root and one seal per issuing department, dated before the demo history
    /// (which reaches 40 days back), so every licence that history issues falls within its seal
    /// certificate's life. Other departments get theirs at their first signature.
    static func seedLicenceTypes(_ app: Application) async throws {
        struct SeedFile: Decodable { var licenceTypes: [LicenceType] }
        let url = URL(fileURLWithPath: app.directory.resourcesDirectory + "Seed/licence-types.json")
        let types = try JSONDecoder().decode(SeedFile.self, from: Data(contentsOf: url)).licenceTypes
        let ctx = try DomainContext.platform(app, job: "seed", now: app.timeSource.now().addingTimeInterval(-60 * 86_400))
        let service = LicenceService(ctx)
        if try await service.types().count < types.count { try await service.save(types: types) }
        let issuingBaseCodes = Set(types.flatMap(\.issuedBy))
        let departments = Set(try await ItemRecord.query(on: app.db).all().filter { issuingBaseCodes.contains($0.baseCode) }.map(\.departmentCode))
        try await ctx.write { tx in
            let seals = Seals(ctx)
            _ = try await seals.root(on: tx)
            for department in departments.sorted() where try await seals.activeSeal(department, on: tx) == nil {
                try await seals.issue(department, on: tx)
            }
        }
    }

    static func staffSeeds(_ document: CatalogDocument) -> [StaffSeed] {
        let market = document.departments.first { $0.name.contains("市场监督") }?.creditCode
        let district = document.departments.first { $0.name.contains("南明区") }?.creditCode
        var seeds = [
            StaffSeed(account: "catalog.admin", displayName: "事项管理员(市政务服务中心)", grants: [Grant(role: .catalogAdministrator, scope: .everywhere)]),
            StaffSeed(account: "system.admin", displayName: "系统管理员", grants: [Grant(role: .systemAdministrator, scope: .everywhere)]),
            StaffSeed(account: "supervisor", displayName: "电子监察员", grants: [Grant(role: .supervisor, scope: .everywhere)]),
            StaffSeed(account: "hotline", displayName: "12345热线话务员", grants: [Grant(role: .hotlineOperator, scope: .everywhere)]),
        ]
        if let market {
            let scope = Scope(departmentCreditCode: market)
            seeds += [
                StaffSeed(account: "market.admin", displayName: "市场监管局部门管理员", grants: [Grant(role: .departmentAdministrator, scope: scope)]),
                StaffSeed(account: "market.clerk", displayName: "综合窗口(市场监管)", grants: [Grant(role: .windowClerk, scope: scope)]),
                StaffSeed(account: "market.approver", displayName: "市场监管局审批员", grants: [Grant(role: .approver, scope: scope)]),
            ]
        }
        // The departments of the demo 一件事, each with one account that keeps its window and decides
        // (a small department's reality), so every task of a bundle has someone to act on it.
        let bundleDepartments: [(account: String, name: String)] = [
            ("health.staff", "贵阳市卫生健康"), ("police.staff", "贵阳市公安局"), ("medicare.staff", "贵阳市医疗保障局"), ("hrss.staff", "贵阳市人力资源"),
            ("fire.staff", "贵阳市消防"), ("tobacco.staff", "贵阳市烟草"), ("water.staff", "贵阳市水务"), ("tax.staff", "贵阳市税务局"),
            ("planning.staff", "贵阳市自然资源"), ("housing.staff", "贵阳市住房和城乡建设"),
        ]
        for (account, name) in bundleDepartments {
            guard let department = document.departments.first(where: { $0.name.contains(name) }) else { continue }
            let scope = Scope(departmentCreditCode: department.creditCode)
            seeds.append(
                StaffSeed(account: account, displayName: department.name + "(窗口与审批)", grants: [Grant(role: .windowClerk, scope: scope), Grant(role: .approver, scope: scope)]))
        }
        // The city's service centre (政务服务中心): a comprehensive window for every department of the
        // city, and the 全程代办员 of major investment projects.
        if let city = document.regions.first(where: { $0.level == .city })?.code {
            seeds.append(
                StaffSeed(account: "centre.clerk", displayName: "市政务服务中心综合窗口(全程代办)", grants: [Grant(role: .windowClerk, scope: Scope(regionCode: city))]))
        }
        if let district {
            seeds.append(StaffSeed(account: "nanming.clerk", displayName: "南明区综合窗口", grants: [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: district))]))
        }
        return seeds
    }
}
