import Fluent
import SQLKit
import Vapor
import YiwangCore

/// Every route, in one place, by section.
func routes(_ app: Application) throws {
    // MARK: Operations
    app.get("healthz") { _ in ["status": "ok"] }
    app.get("readyz", use: OperationsController.ready)

    // MARK: JSON API
    let api = app.grouped("api", "v1")
    api.get("openapi.json", use: OperationsController.openAPI)

    api.post("register", "person", use: IdentityAPIController.registerPerson)
    api.post("register", "company", use: IdentityAPIController.registerCompany)
    api.post("auth", "token", use: IdentityAPIController.issueToken)
    api.delete("auth", "token", use: IdentityAPIController.revokeToken)
    api.get("me", use: IdentityAPIController.me)
    api.get("me", "sign-ins", use: IdentityAPIController.signIns)
    api.post("me", "sign-out-everywhere", use: IdentityAPIController.signOutEverywhere)
    api.get("me", "companies", use: IdentityAPIController.companies)
    api.get("me", "agents", use: IdentityAPIController.agents)
    api.post("me", "agents", use: IdentityAPIController.grantAgent)
    api.delete("me", "agents", ":id", use: IdentityAPIController.revokeAgent)
    api.post("applicants", "lookup", use: IdentityAPIController.lookUp)
    api.post("applicants", ":id", "reveal", use: IdentityAPIController.reveal)

    api.get("staff", use: StaffAPIController.list)
    api.post("staff", use: StaffAPIController.create)
    api.get("staff", ":account", use: StaffAPIController.show)
    api.post("staff", ":account", "grants", use: StaffAPIController.grant)
    api.post("staff", ":account", "revocations", use: StaffAPIController.revoke)
    api.post("staff", ":account", "disable", use: StaffAPIController.disable)
    api.post("staff", ":account", "enable", use: StaffAPIController.enable)
    api.post("staff", ":account", "password-reset", use: StaffAPIController.resetPassword)

    api.get("cases", use: CaseAPIController.list)
    api.post("cases", use: CaseAPIController.create)
    api.get("cases", ":id", use: CaseAPIController.show)
    api.post("cases", ":id", "transitions", use: CaseAPIController.transition)
    api.put("cases", ":id", "form", use: CaseAPIController.updateForm)
    api.on(.PUT, "cases", ":id", "materials", ":index", body: .collect(maxSize: ByteCount(value: MaterialFile.maxBytes + 64 * 1024)), use: CaseAPIController.uploadMaterial)
    api.post("cases", ":id", "materials", use: CaseAPIController.reuseMaterial)
    api.get("cases", ":id", "materials", ":file", use: CaseAPIController.downloadMaterial)
    api.get("me", "materials", use: CaseAPIController.reusableMaterials)

    api.get("me", "inbox", use: NotificationController.inbox)
    api.get("notifications", "failed", use: NotificationController.failed)
    api.post("notifications", ":id", "resend", use: NotificationController.resend)

    api.get("calendar", "deadline", use: CalendarController.deadline)
    api.get("calendar", "years", use: CalendarController.years)
    api.get("calendar", "years", ":year", use: CalendarController.year)
    api.put("calendar", "years", ":year", use: CalendarController.setYear)

    api.get("audit", use: AuditAPIController.search)
    api.get("audit", "verify", use: AuditAPIController.verify)

    api.get("regions", use: CatalogAPIController.regions)
    api.get("departments", use: CatalogAPIController.departments)
    api.get("departments", ":creditCode", use: CatalogAPIController.department)
    api.get("item-types", use: CatalogAPIController.itemTypes)
    api.get("life-events", use: CatalogAPIController.lifeEvents)
    api.get("items", use: CatalogAPIController.search)
    api.post("items", use: CatalogAPIController.create)
    api.get("items", ":code", use: CatalogAPIController.item)
    api.get("items", ":code", "draft", use: CatalogAPIController.draft)
    api.put("items", ":code", "draft", use: CatalogAPIController.saveDraft)
    api.post("items", ":code", "workflow", use: CatalogAPIController.workflow)
    api.get("items", ":code", "history", use: CatalogAPIController.history)
    api.get("items", ":code", "diff", use: CatalogAPIController.diff)
    api.get("lint", use: CatalogAPIController.lint)
    api.get("export", use: CatalogAPIController.export)
    api.on(.POST, "import", body: .collect(maxSize: ByteCount(value: app.settings.maxImportBytes)), use: CatalogAPIController.importCatalog)

    // MARK: Public pages
    app.get(use: CatalogPageController.home)
    app.get("items", use: CatalogPageController.results)
    app.get("items", ":code", use: CatalogPageController.guide)
    app.get("items", ":code", "print", use: CatalogPageController.printGuide)
    app.get("items", ":code", "form-template", use: CatalogPageController.formTemplate)
    app.get("departments", use: CatalogPageController.departments)
    app.get("departments", ":creditCode", use: CatalogPageController.department)
    app.get("preferences", "text-size", use: CatalogPageController.textSize)

    // MARK: Accounts
    app.get("signin", use: AccountPageController.signInPage)
    app.post("signin", use: AccountPageController.signIn)
    app.post("signout", use: AccountPageController.signOut)
    app.get("register", use: AccountPageController.registerPage)
    app.post("register", use: AccountPageController.register)
    app.get("kiosk", use: AccountPageController.kiosk)
    app.get("me", use: AccountPageController.me)
    app.post("me", "acting-for", use: AccountPageController.actFor)
    app.post("me", "sign-out-everywhere", use: AccountPageController.signOutEverywhere)
    app.get("me", "agents", use: AccountPageController.agents)
    app.post("me", "agents", use: AccountPageController.grantAgent)
    app.post("me", "agents", ":id", "revoke", use: AccountPageController.revokeAgent)

    // MARK: Staff pages
    app.get("admin", "login", use: AccountPageController.staffSignInPage)
    app.post("admin", "login", use: AccountPageController.staffSignIn)
    app.post("admin", "logout", use: AccountPageController.signOut)
    app.get("admin", "staff", use: StaffPageController.list)
    app.post("admin", "staff", use: StaffPageController.create)
    app.get("admin", "staff", ":account", use: StaffPageController.account)
    app.post("admin", "staff", ":account", ":operation", use: StaffPageController.change)
    app.get("admin", "audit", use: StaffPageController.audit)
    app.get("admin", "calendar", use: CalendarPageController.show)
    app.post("admin", "calendar", use: CalendarPageController.save)
    app.get("admin", use: AdminPageController.dashboard)
    app.get("admin", "items", "new", use: AdminPageController.newItem)
    app.post("admin", "items", use: AdminPageController.createItem)
    app.get("admin", "items", ":code", use: AdminPageController.item)
    app.post("admin", "items", ":code", "draft", use: AdminPageController.saveDraft)
    app.post("admin", "items", ":code", "workflow", use: AdminPageController.workflow)
    app.get("admin", "items", ":code", "diff", use: AdminPageController.diff)
    app.get("admin", "lint", use: AdminPageController.lint)
}
