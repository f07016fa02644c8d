import Fluent
import Foundation
import Vapor
import YiwangCore

/// Everything a domain service needs to act, gathered once: the database, the moment, who acts
/// (and how the trail names them), the keys, the working calendar, the settings and the
/// providers to the outside world. Built from a request, or for the platform acting as itself
/// (the deadline watch, jobs, commands), so a service takes one argument wherever it runs.
struct DomainContext: Sendable {
    let app: Application
    let db: any Database
    /// The moment of the action. A step taken in the same breath (a 即办件's approval after its
    /// acceptance) comes a millisecond later, so the timeline keeps its order.
    private(set) var now: Date
    let actor: Actor
    /// How the audit trail and the timeline name the actor and the channel.
    let audit: AuditContext
    /// The platform itself: may take the steps no person may (approval on timeout, archiving), and
    /// nothing it does is checked against a person's grants.
    let isPlatform: Bool
    let keys: KeyRing
    let logger: Logger

    init(_ request: Request) throws {
        app = request.application
        db = request.db
        now = request.now
        actor = request.actor
        audit = request.auditContext
        isPlatform = false
        keys = try request.application.keyRing
        logger = request.logger
    }

    /// Someone acting outside a request (the demo city's history, commands, benchmarks).
    init(app: Application, actor: Actor, audit: AuditContext, now: Date? = nil, isPlatform: Bool = false) throws {
        self.app = app
        db = app.db
        self.now = now ?? app.timeSource.now()
        self.actor = actor
        self.audit = audit
        self.isPlatform = isPlatform
        keys = try app.keyRing
        logger = app.logger
    }

    /// The platform acting on its own, named in the trail as `system:<job>`.
    static func platform(_ app: Application, job: String, now: Date? = nil) throws -> DomainContext {
        try DomainContext(app: app, actor: .anonymous, audit: .system("system:" + job), now: now, isPlatform: true)
    }

    var today: LocalDate { LocalDate(now) }
    var settings: Settings { app.settings }
    var calendars: CalendarStore { app.calendarStore }
    var sms: any SMSProvider { app.sms }
    var mail: any MailProvider { app.mail }

    /// The same context a moment later.
    func advanced(by seconds: TimeInterval) -> DomainContext {
        var later = self
        later.now = now.addingTimeInterval(seconds)
        return later
    }

    /// The working calendar as it stands now (holidays and 调休 as published).
    func calendar(on db: (any Database)? = nil) async throws -> WorkingCalendar {
        try await calendars.calendar(on: db ?? self.db, now: now)
    }

    /// One write transaction, with the audit chain's head held: what the body appends to the trail
    /// commits with the rows it changed, or nothing does.
    func write<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await AuditTrail.writeTransaction(on: db, body)
    }

    /// An audit entry for this actor, at this moment.
    func entry(
        _ action: String, subjectType: String, subjectID: String, owner: ResourceOwner = .global, before: String? = nil, after: String? = nil
    ) -> AuditEntry {
        audit.entry(action, subjectType: subjectType, subjectID: subjectID, owner: owner, before: before, after: after, at: now)
    }
}

extension Request {
    /// The domain context of this request: its database, moment, actor and the platform's keys.
    var domain: DomainContext { get throws { try DomainContext(self) } }
}
