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

    /// Whether the database holds no catalog yet.
    static func isEmpty(_ db: any Database) async throws -> Bool {
        let items = try await ItemRecord.query(on: db).count()
        let departments = try await DepartmentRecord.query(on: db).count()
        return items == 0 && departments == 0
    }

    /// Loads the city and the staff; returns the accounts created, for printing.
    @discardableResult
    static func seed(_ app: Application) async throws -> (ImportReport, [StaffSeed]) {
        let document = try loadDocument(app)
        let exchange = CatalogExchange(db: app.db, now: app.timeSource.now(), settings: app.settings, attribution: "system:seed")
        let report = try await exchange.importDocument(document)
        let staff = staffSeeds(document)
        // bcrypt is slow by design: hash the shared demo password once, not once per account.
        let hash = try await app.password.async.hash(app.settings.demoPassword)
        for seed in staff {
            if try await StaffAccountRecord.query(on: app.db).filter(\.$account == seed.account).first() != nil { continue }
            try await StaffAccountRecord(account: seed.account, displayName: seed.displayName, passwordHash: hash, grants: seed.grants, createdAt: app.timeSource.now())
                .create(on: app.db)
        }
        return (report, staff)
    }

    static func staffSeeds(_ document: CatalogDocument) -> [StaffSeed] {
        let city = document.city?.regionCode ?? document.regions.first(where: { $0.level == .city })?.code
        let market = document.departments.first { $0.name.contains("市场监督") }?.creditCode
        var seeds = [
            StaffSeed(account: "catalog.admin", displayName: "事项管理员(市政务服务中心)", grants: [Grant(role: .catalogAdministrator, scope: .everywhere)]),
            StaffSeed(account: "system.admin", displayName: "系统管理员", grants: [Grant(role: .systemAdministrator, scope: .everywhere)]),
            StaffSeed(account: "supervisor", displayName: "电子监察员", grants: [Grant(role: .supervisor, scope: Scope(regionCode: city))]),
        ]
        if let market {
            seeds.append(StaffSeed(
                account: "market.admin", displayName: "市场监管局部门管理员",
                grants: [Grant(role: .departmentAdministrator, scope: Scope(departmentCreditCode: market))]))
        }
        return seeds
    }
}
