import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

struct NewCaseRequest: Content {
    /// The implementation code of a published item.
    var item: String
    var form: [String: JSONValue]
    /// Files given in an earlier case, reused by their hash (材料复用); new files are uploaded
    /// to the case afterwards.
    var materials: [MaterialReference]?
    /// The applicant signs the 告知承诺书 (items under 告知承诺制 only).
    var commitment: Bool?
    /// At the window: the applicant the clerk files for (the id from `/applicants/lookup`).
    var applicant: UUID?
    /// Submit at once (true) or keep as a draft.
    var submit: Bool?
    /// 投资项目代码: the case is an approval of this project, in its current stage.
    var project: String?
}

struct MaterialReference: Content, Hashable {
    /// The material's position in the item's list, from 1 (as the guide numbers them).
    var material: Int
    /// SHA-256 of a file this applicant gave before.
    var reuse: String
}

struct TransitionRequest: Content {
    var action: CaseAction
    var reason: String?
    /// At acceptance: handle through the green channel (绿色通道), with `reason` saying why.
    var greenChannel: Bool?
    /// At approval or certificate: the result document's number (文号/证照编号).
    var resultDocument: String?
    /// At acceptance of a case whose applicant the credit registry lists: why the clerk proceeds.
    var creditReason: String?
}

struct ExtensionRequest: Content {
    var workingDays: Int
    var reason: String
}

struct FormUpdateRequest: Content {
    var form: [String: JSONValue]
}


/// Cases: filing, and the one lifecycle function through which every change of a case passes,
/// writing the new state, the timeline step, the audit event and the notifications in a single
/// transaction.
struct CaseService: Sendable {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    // What the case code reads of its context, named as the case code says it.
    var db: any Database { ctx.db }
    var now: Date { ctx.now }
    var today: LocalDate { ctx.today }
    var actor: Actor { ctx.actor }
    var context: AuditContext { ctx.audit }
    var calendars: CalendarStore { ctx.calendars }
    var keys: KeyRing { ctx.keys }
    var isPlatform: Bool { ctx.isPlatform }
    var materialsRoot: String { ctx.settings.materialsDirectory }
    var warnWithin: Int { ctx.settings.deadlineWarningDays }
    var quotaBytes: Int { ctx.settings.applicantQuotaBytes }

    // MARK: Reading

    /// A case the actor may see; others look like missing ones.
    func visibleCase(_ id: UUID) async throws -> CaseRecord {
        guard let record = try await CaseRecord.lean(id, on: db), mayRead(record) else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        return record
    }

    func mayRead(_ record: CaseRecord) -> Bool { Policy.mayRead(actor, case: record.subject) }

    /// A case and the catalog version it is judged by.
    func load(_ id: UUID, on db: any Database) async throws -> (CaseRecord, ServiceGuide) {
        guard let record = try await CaseRecord.lean(id, on: db), isPlatform || mayRead(record) else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        return (record, try await guide(of: record, on: db))
    }

    /// The rules of the catalog version the case was filed under.
    func guide(of record: CaseRecord, on db: any Database) async throws -> ServiceGuide {
        try await publishedGuide(record.versionID, on: db)
    }

    /// The guide of a version a case is filed under, read in one statement and decoded once
    /// (`GuideCache`, which compares the stored words, so a changed row is never served stale).
    func publishedGuide(_ versionID: UUID, on db: any Database) async throws -> ServiceGuide {
        try await Self.guide(version: versionID, on: db)
    }

    static func guide(version versionID: UUID, on db: any Database) async throws -> ServiceGuide {
        guard let row = try await db.sql().select().column("content").from(ItemVersionRecord.schema).where("id", .equal, versionID).first() else {
            throw DomainError.notFound("case.version_missing", "办件所依据的事项版本不存在。")
        }
        return try ItemVersionRecord.guide(versionID, content: try row.decode(column: "content", as: String.self))
    }

}
