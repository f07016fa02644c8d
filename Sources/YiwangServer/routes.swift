import Fluent
import SQLKit
import Vapor

/// Every route, in one place, by section.
func routes(_ app: Application) throws {
    // MARK: Operations
    app.get("healthz") { _ in ["status": "ok"] }
    app.get("readyz", use: OperationsController.ready)

    // MARK: JSON API
    let api = app.grouped("api", "v1")
    api.get("openapi.json", use: OperationsController.openAPI)

    api.post("auth", "token", use: AuthController.issueToken)
    api.delete("auth", "token", use: AuthController.revokeToken)
    api.get("me", use: AuthController.me)

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

    // MARK: Staff pages
    app.get("admin", "login", use: AuthController.loginPage)
    app.post("admin", "login", use: AuthController.login)
    app.post("admin", "logout", use: AuthController.logout)
    app.get("admin", use: AdminPageController.dashboard)
    app.get("admin", "items", "new", use: AdminPageController.newItem)
    app.post("admin", "items", use: AdminPageController.createItem)
    app.get("admin", "items", ":code", use: AdminPageController.item)
    app.post("admin", "items", ":code", "draft", use: AdminPageController.saveDraft)
    app.post("admin", "items", ":code", "workflow", use: AdminPageController.workflow)
    app.get("admin", "items", ":code", "diff", use: AdminPageController.diff)
    app.get("admin", "lint", use: AdminPageController.lint)
}
