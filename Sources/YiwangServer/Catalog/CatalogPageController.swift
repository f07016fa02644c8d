import Fluent
import Foundation
import Vapor
import YiwangCore

/// The public pages of the catalog: home and search, results, guide, print view, departments.
enum CatalogPageController {
    struct HomePage: Encodable {
        var page: PageContext
        var publishedCount: Int
        var zeroVisitCount: Int
        var departmentCount: Int
        var types: [ChoiceOption]
        var departments: [ChoiceOption]
        var lifeEvents: [HomeEvent]
        var featured: [ResultRow]
    }

    /// A 一件事 on the home page: to its one form where the city has published the bundle, else
    /// to the items it groups.
    struct HomeEvent: Encodable {
        var name: String
        var description: String
        var link: String
    }

    @Sendable static func home(_ request: Request) async throws -> View {
        let service = CatalogService(try request.domain)
        let published = try await ItemRecord.query(on: request.db).filter(\.$publishedVersionID != nil).count()
        let departments = try await DepartmentRecord.query(on: request.db).sort(\.$creditCode).all()
        let bundles = Set(try await BundleRecord.query(on: request.db).filter(\.$publishedVersionID != nil).all(\.$code))
        let lifeEvents = try await LifeEventRecord.query(on: request.db).sort(\.$slug).all().map { event in
            HomeEvent(
                name: event.name, description: event.summary,
                link: bundles.contains(event.slug) ? "/bundles/" + event.slug : "/items?lifeEvent=" + event.slug)
        }
        var zeroQuery = CatalogQuery()
        zeroQuery.zeroVisit = true
        // One search gives both the featured zero-visit items and their total.
        let zeroVisit = try await service.search(zeroQuery, page: try PageRequest(page: 1, per: 8))
        return try await request.view.render("catalog/home", HomePage(
            page: PageContext(request: request, title: "一网通办 · 政务服务事项"), publishedCount: published, zeroVisitCount: zeroVisit.total,
            departmentCount: departments.count, types: typeOptions(selected: nil), departments: departmentOptions(departments, selected: nil),
            lifeEvents: lifeEvents, featured: zeroVisit.items.map(ResultRow.init)))
    }

    static func typeOptions(selected: ItemType?) -> [ChoiceOption] {
        ItemType.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: $0 == selected) }
    }

    static func departmentOptions(_ departments: [DepartmentRecord], selected: String?) -> [ChoiceOption] {
        departments.map { ChoiceOption(value: $0.creditCode, label: $0.name, selected: $0.creditCode == selected) }
    }

    struct ResultsPage: Encodable {
        var page: PageContext
        var q: String
        var total: Int
        var rows: [ResultRow]
        var types: [ChoiceOption]
        var departments: [ChoiceOption]
        var targets: [ChoiceOption]
        var lifeEvents: [ChoiceOption]
        var zeroVisit: Bool
        var pages: [PageLink]
        var summary: String
    }

    @Sendable static func results(_ request: Request) async throws -> View {
        let (query, paging) = try CatalogAPIController.catalogQuery(from: request)
        let result = try await CatalogService(try request.domain).search(query, page: paging)
        let departments = try await DepartmentRecord.query(on: request.db).sort(\.$creditCode).all()
        let lifeEvents = try await LifeEventRecord.query(on: request.db).sort(\.$slug).all()
        let q = (try? request.query.get(String.self, at: "q")) ?? ""
        let lastPage = max(1, (result.total + paging.per - 1) / paging.per)
        var summary = "共找到 \(result.total) 个事项"
        if !q.isEmpty { summary += "(关键词“\(q.prefix(50))”)" }
        return try await request.view.render("catalog/results", ResultsPage(
            page: PageContext(request: request, title: q.isEmpty ? "事项查询" : "“\(q.prefix(50))”的查询结果"),
            q: String(q.prefix(100)), total: result.total, rows: result.items.map(ResultRow.init),
            types: typeOptions(selected: query.type), departments: departmentOptions(departments, selected: query.department),
            targets: ServiceTarget.allCases.map { ChoiceOption(value: $0.rawValue, label: $0.chineseName, selected: $0 == query.target) },
            lifeEvents: lifeEvents.map { ChoiceOption(value: $0.slug, label: $0.name, selected: $0.slug == query.lifeEvent) },
            zeroVisit: query.zeroVisit == true, pages: pageLinks(request: request, current: paging.page, last: lastPage),
            summary: summary + "，第 \(paging.page)/\(lastPage) 页"))
    }

    /// Numbered links that keep the current filters.
    static func pageLinks(request: Request, current: Int, last: Int) -> [PageLink] {
        guard last > 1 else { return [] }
        var components = URLComponents()
        components.queryItems = (URLComponents(string: request.url.string)?.queryItems ?? []).filter { $0.name != "page" }
        func href(_ page: Int) -> String {
            var copy = components
            copy.queryItems = (copy.queryItems ?? []) + [URLQueryItem(name: "page", value: String(page))]
            return "/items" + (copy.string ?? "")
        }
        var links: [PageLink] = []
        if current > 1 { links.append(PageLink(label: "上一页", href: href(current - 1), current: false)) }
        // An old bookmark may ask for a page past the end: the window is clamped, never inverted.
        let low = min(max(1, current - 2), last)
        let window = Set([1, last] + Array(low...max(low, min(last, current + 2))))
        var previous = 0
        for number in window.sorted() {
            if number - previous > 1 { links.append(PageLink(label: "…", href: nil, current: false)) }
            links.append(PageLink(label: String(number), href: number == current ? nil : href(number), current: number == current))
            previous = number
        }
        if current < last { links.append(PageLink(label: "下一页", href: href(current + 1), current: false)) }
        return links
    }

    struct GuidePage: Encodable {
        var page: PageContext
        var guide: GuideView
        /// `catalog/guide-body`, rendered once per published version.
        var guideBody: String
        /// The electronic licence the item issues, and the materials a wallet licence replaces
        /// (read beside the cached body: licence types change apart from guides).
        var issuesLicence: String? = nil
        var licenceReplaces: [String] = []
    }

    /// The published guide of the item named in the path, built and its body rendered once per
    /// published version; a request after that reads only the item's row.
    static func renderedGuide(_ request: Request) async throws -> PublishedGuides.Rendered {
        let service = CatalogService(try request.domain)
        let item = try await service.item(code: request.parameters.get("code") ?? "")
        let cache = request.application.publishedGuides.rendered
        // 一件事 names are read afresh each time (an import may rename them); the version's own
        // words and body never change.
        func withLifeEvents(_ entry: PublishedGuides.Rendered) async throws -> PublishedGuides.Rendered {
            guard !entry.lifeEventSlugs.isEmpty else { return entry }
            var current = entry
            current.view.lifeEvents = try await LifeEventRecord.query(on: request.db).filter(\.$slug ~~ entry.lifeEventSlugs).all().map(LifeEventView.init)
            return current
        }
        if let version = item.publishedVersionID, let hit = cache[version] { return try await withLifeEvents(hit) }
        let document = try await service.publishedDocument(of: item)
        let view = GuideView(document: document, lifeEvents: [])
        struct Body: Encodable { var guide: GuideView }
        let rendered = try await request.view.render("catalog/guide-body", Body(guide: view))
        let entry = PublishedGuides.Rendered(view: view, body: String(buffer: rendered.data), lifeEventSlugs: document.guide.lifeEvents)
        if let version = item.publishedVersionID { cache.keep(entry, for: version) }
        return try await withLifeEvents(entry)
    }

    @Sendable static func guide(_ request: Request) async throws -> View {
        let guide = try await renderedGuide(request)
        let licences = try await LicenceService(try request.domain).guideFacts(baseCode: guide.view.baseCode, materials: guide.view.materials.map(\.name))
        return try await request.view.render(
            "catalog/guide",
            GuidePage(
                page: PageContext(request: request, title: guide.view.name + " · 办事指南"), guide: guide.view, guideBody: guide.body,
                issuesLicence: licences.issues, licenceReplaces: licences.replaces))
    }

    @Sendable static func printGuide(_ request: Request) async throws -> View {
        let guide = try await renderedGuide(request)
        return try await request.view.render(
            "catalog/print", GuidePage(page: PageContext(request: request, title: guide.view.name + " · 办事指南(打印版)"), guide: guide.view, guideBody: guide.body))
    }

    /// The blank application form of an item, generated from its form schema, to print or download.
    @Sendable static func formTemplate(_ request: Request) async throws -> Response {
        let guide = try await renderedGuide(request).view
        let response = try await request.view.render(
            "catalog/form-template", GuidePage(page: PageContext(request: request, title: guide.name + " · 申请表"), guide: guide, guideBody: ""))
            .encodeResponse(for: request)
        if (try? request.query.get(Bool.self, at: "download")) == true {
            response.headers.contentDisposition = .init(.attachment, filename: "\(guide.code)-申请表.html")
        }
        return response
    }

    struct DepartmentsPage: Encodable {
        struct Row: Encodable {
            var department: DepartmentView
            var regionName: String
            var itemCount: Int
        }
        var page: PageContext
        var rows: [Row]
    }

    @Sendable static func departments(_ request: Request) async throws -> View {
        let departments = try await DepartmentRecord.query(on: request.db).sort(\.$regionCode).sort(\.$creditCode).all()
        let regions = try await RegionRecord.query(on: request.db).all().reduce(into: [String: String]()) { $0[$1.code] = $1.name }
        let items = try await ItemRecord.query(on: request.db).filter(\.$publishedVersionID != nil).field(\.$departmentCode).all()
        let counts = items.reduce(into: [String: Int]()) { $0[$1.departmentCode, default: 0] += 1 }
        let rows = departments.map {
            DepartmentsPage.Row(department: DepartmentView($0), regionName: regions[$0.regionCode] ?? $0.regionCode, itemCount: counts[$0.creditCode] ?? 0)
        }
        return try await request.view.render("catalog/departments", DepartmentsPage(page: PageContext(request: request, title: "实施机构"), rows: rows))
    }

    struct DepartmentPage: Encodable {
        var page: PageContext
        var department: DepartmentView
        var regionName: String
        var rows: [ResultRow]
    }

    @Sendable static func department(_ request: Request) async throws -> View {
        let code = (request.parameters.get("creditCode") ?? "").uppercased()
        guard let department = try await DepartmentRecord.query(on: request.db).filter(\.$creditCode == code).first() else {
            throw DomainError.notFound("catalog.department_not_found", "没有找到该实施机构。")
        }
        let region = try await RegionRecord.query(on: request.db).filter(\.$code == department.regionCode).first()
        let items = try await ItemRecord.query(on: request.db).filter(\.$publishedVersionID != nil).filter(\.$departmentCode == code)
            .sort(\.$name).all()
        let rows = try await CatalogService(try request.domain).summaries(of: items).map(ResultRow.init)
        return try await request.view.render("catalog/department", DepartmentPage(
            page: PageContext(request: request, title: department.name), department: DepartmentView(department),
            regionName: region?.name ?? department.regionCode, rows: rows))
    }

    /// 适老化: switches large text on or off with a cookie, then returns to the page.
    @Sendable static func textSize(_ request: Request) async throws -> Response {
        let size = (try? request.query.get(String.self, at: "size")) ?? "normal"
        let back = AccountPageController.safeRedirect(try? request.query.get(String.self, at: "back"), fallback: "/")
        let response = request.redirect(to: back)
        response.cookies["yw_text"] = HTTPCookies.Value(
            string: size == "large" ? "large" : "normal", maxAge: 365 * 24 * 3600, path: "/", isHTTPOnly: true, sameSite: .lax)
        return response
    }
}
