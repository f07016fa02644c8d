import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import NIOCore
import SQLKit
import Vapor
import YiwangCore

/// Wires the application: database, migrations, sessions, middleware, views, routes, commands.
public func configure(_ app: Application, settings: Settings) async throws {
    app.settings = settings
    app.directory = DirectoryConfiguration(workingDirectory: settings.workingDirectory)

    switch settings.database {
    case .sqliteFile(let path):
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        app.databases.use(.sqlite(.file(path), sqlLogLevel: .trace), as: .sqlite)
    case .sqliteMemory:
        app.databases.use(.sqlite(.memory, sqlLogLevel: .trace), as: .sqlite)
    case .postgres(let url):
        var configuration = try SQLPostgresConfiguration(url: url)
        configuration.searchPath = nil
        app.databases.use(.postgres(configuration: configuration, maxConnectionsPerEventLoop: 4, sqlLogLevel: .trace), as: .psql)
    }
    try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)

    app.migrations.add(AppMigrations.all)

    app.sessions.use(.fluent)
    app.sessions.configuration.cookieName = "yiwang_session"
    app.sessions.configuration.cookieFactory = { id in
        // Eight hours at most; idle sessions end sooner (ActorMiddleware).
        HTTPCookies.Value(string: id.string, maxAge: 8 * 3600, path: "/", isSecure: settings.secureCookies, isHTTPOnly: true, sameSite: .lax)
    }
    app.passwords.use(.bcrypt(cost: settings.passwordCost))
    let keys = try DataProtection.keyRing(for: settings)
    app.useKeyRing(keys)
    AuditTrail.use(AuditChain(key: keys.derivedKey(purpose: "audit-chain")))
    app.rateLimits = RateLimits(settings: settings, keys: keys)
    app.tokenCache = TokenCache()
    app.publishedGuides = PublishedGuides()
    app.calendarStore = CalendarStore()
    app.sealKeyCache = SealKeyCache()
    app.licenceTypeCache = LicenceTypeCache()
    app.catalogFigures = CatalogFigures()
    // A command run outside the platform's folder has no Resources: it still runs, and rating
    // answers 503 until the question sets are found (a damaged file is refused at start-up).
    let questions = app.directory.resourcesDirectory + "Seed/review-questions.json"
    if FileManager.default.fileExists(atPath: questions) {
        app.questionSets = try EvaluationService.loadQuestionSets(resources: app.directory.resourcesDirectory)
    } else {
        app.logger.warning("no review question sets at \(questions): 好差评 cannot be given until the platform runs from its own folder")
    }
    // Providers of outside services: the working local implementations until a city plugs in its own.
    app.sms = LocalSMSGateway()
    app.mail = LocalMailGateway()
    app.registries = LocalSharedData(keys: keys, faults: settings.registryFaults)
    app.lifecycle.use(BackgroundJobs())
    app.dummyPasswordHash = DummyPasswordHash()

    app.views.use(.leaf)
    app.leaf.configuration.rootDirectory = app.directory.viewsDirectory
    app.leaf.tags["date"] = ChineseDateTag()

    app.routes.defaultMaxBodySize = "1mb"
    app.routes.caseInsensitive = false

    app.middleware = Middlewares()
    app.middleware.use(RequestLogMiddleware())
    app.middleware.use(ProblemMiddleware())
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(BodyShapeGuard())
    app.middleware.use(StaticFiles(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(app.sessions.middleware)
    app.middleware.use(SessionsReady())
    app.middleware.use(APIRateLimitMiddleware())
    app.middleware.use(ActorMiddleware())

    app.openAPIDocument = try OperationsController.loadOpenAPI(app)
    try routes(app)
    app.routeTable = RouteTable(app.routes.all)
    registerCommands(app)
}

/// Enables WAL on SQLite (readers never wait for the writer) and checks the database answers.
func prepareDatabase(_ app: Application) async throws {
    guard case .sqliteFile = app.settings.database, let sql = app.db as? any SQLDatabase else { return }
    try await sql.raw("PRAGMA journal_mode=WAL").run()
    // `synchronous` belongs to each connection: set it on the one every event loop holds.
    let mode = app.settings.sqliteSynchronous.uppercased()
    for loop in app.eventLoopGroup.makeIterator() {
        if let database = app.databases.database(logger: app.logger, on: loop) as? any SQLDatabase {
            try await database.raw("PRAGMA synchronous=\(unsafeRaw: mode)").run()
        }
    }
}

/// The search index points at `items` by rowid, which VACUUM may renumber (backups are VACUUM
/// INTO copies, and `restore` puts one in place): `serve` rebuilds it from the published rows as it
/// starts, holding the serve lock and in one transaction (10,000 items: ~0.2 s), so no other
/// command ever empties it under a running server.
func rebuildSearchIndex(_ app: Application) async throws {
    guard case .sqliteFile = app.settings.database else { return }
    try await app.db.transaction { tx in
        let sql = try tx.sql()
        try await sql.raw("INSERT INTO item_search (item_search) VALUES ('delete-all')").run()
        try await sql.raw("INSERT INTO item_search (rowid, search_text) SELECT rowid, search_text FROM items WHERE published_version_id IS NOT NULL").run()
    }
}

/// Lists every request once, with its route, status, time and the kind of caller, and feeds the
/// latency metrics. Only the route pattern is logged (never the path's values or the query, which
/// may carry what a person typed), so the log holds no personal data.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        let duration = ContinuousClock.now - start
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        PlatformMetrics.shared.observe(method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        let actor: String
        switch request.actor {
        case .anonymous: actor = "anonymous"
        case .applicant: actor = "applicant"
        case .staff: actor = "staff"
        }
        request.logger.log(
            level: request.application.settings.jsonLogs ? .info : .debug, "request",
            metadata: [
                "method": .string(request.method.rawValue), "route": .string(route), "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.2f", duration.milliseconds)), "actor": .string(actor), "channel": .string(request.channel),
            ])
        return response
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
}

/// Conservative browser protections on every response.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        // A page may ask for less (a share link's page sends no referrer at all).
        if !response.headers.contains(name: "Referrer-Policy") { response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin") }
        if response.headers.contentType?.subType == "html" {
            response.headers.replaceOrAdd(
                name: "Content-Security-Policy",
                value: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
        }
        return response
    }
}

/// `#date(value)` prints a timestamp as China-time `YYYY-MM-DD HH:mm`.
struct ChineseDateTag: LeafTag {
    func render(_ context: LeafContext) throws -> LeafData {
        guard let parameter = context.parameters.first else { return .string("") }
        let date: Date
        if let seconds = parameter.double {
            date = Date(timeIntervalSince1970: seconds)
        } else if let text = parameter.string, let parsed = ISO8601DateFormatter().date(from: text) {
            date = parsed
        } else {
            return .string("")
        }
        return .string(Self.format(date))
    }

    /// A moment in Beijing time, to the minute.
    static func format(_ date: Date) -> String {
        let c = ChinaTime.calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0)
    }
}
