import Fluent
import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// What a case made by `makeCase` has been through. The stage traits nest (each includes the one
/// before); `.atWindow` and `.overdue` add to any of them.
enum CaseTrait: Sendable, Hashable {
    /// Filed and kept as a draft (a complete form, nothing submitted).
    case draft
    /// Filed and submitted (the default). No materials unless `materials:` names some.
    case submitted
    /// Materials 1 and 3 given, then accepted by the clerk: numbered, the clock running (on the
    /// test day, Sunday 2026-11-22, the deadline is Friday 2026-11-27).
    case accepted
    /// 容缺受理: accepted with only material 1 given; material 3 is due within three working days.
    case deferred
    /// Accepted, then taken up for review by the approver.
    case underReview
    /// Reviewed and approved by the approver.
    case approved
    /// Filed at the window by the clerk for the applicant, who gives no materials themselves.
    case atWindow
    /// Accepted (unless a later stage is named), then the test clock moves a day at a time to the
    /// first day past the deadline. Tokens signed in before have expired by then.
    case overdue
}

/// Builds cases through the domain services the API handlers call (no HTTP): the same case,
/// timeline, audit and outbox rows the online flow writes, at the cost of a few queries. Each
/// step runs in a context like the request's: the applicant or a staff actor, on the API channel,
/// at the test clock's moment.
struct CaseFactory: Sendable {
    let app: Application
    var clerkAccount = "clerk"
    var clerkGrants = cityClerk
    var approverAccount = "approver"
    var approverGrants = cityApprover

    /// The people the tests know, by ID number: the name and phone they register with.
    static let people: [String: (name: String, phone: String)] = [
        citizenID: ("张明", "13800000001"),
        agentID: ("李华", "13800000002"),
    ]

    /// Who takes a step.
    enum Party: Sendable {
        case applicant, clerk, approver
    }

    // MARK: Contexts

    /// What an API request of this actor gives the trail: its name, roles and channel (the
    /// in-memory tester has no peer address, so requests record "unknown").
    static func audit(_ actor: Actor) -> AuditContext {
        let role = actor.grants.isEmpty ? nil : Set(actor.grants.map(\.role.rawValue)).sorted().joined(separator: ",")
        var actingFor: String?
        if case .applicant(let applicant) = actor { actingFor = applicant.actingFor?.companyID }
        return AuditContext(actor: actor.accountName, actingFor: actingFor, role: role, channel: "api", address: "unknown")
    }

    func context(_ actor: Actor) throws -> DomainContext {
        try DomainContext(app: app, actor: actor, audit: Self.audit(actor))
    }

    func service(_ actor: Actor) throws -> CaseService { CaseService(try context(actor)) }

    func service(_ party: Party, for applicant: ApplicantRecord) throws -> CaseService {
        switch party {
        case .applicant: try service(Self.actor(applicant))
        case .clerk: try service(.staff(account: clerkAccount, grants: clerkGrants))
        case .approver: try service(.staff(account: approverAccount, grants: approverGrants))
        }
    }

    static func actor(_ applicant: ApplicantRecord) -> Actor {
        .applicant(ApplicantActor(accountID: applicant.id!.uuidString, kind: applicant.kind, displayName: applicant.name))
    }

    // MARK: Steps

    /// The applicant with this ID number, registered through `IdentityService` (as
    /// `POST /api/v1/register/person` does) the first time it is asked for.
    func applicant(_ idNumber: String = citizenID) async throws -> ApplicantRecord {
        let index = ApplicantRecord.index(idNumber, keys: try app.keyRing)
        if let found = try await ApplicantRecord.query(on: app.db).filter(\.$identifierIndex == index).first() { return found }
        let person = Self.people[idNumber] ?? ("王芳", "13800000009")
        return try await IdentityService(try context(.anonymous)).registerPerson(
            RegisterPersonRequest(idNumber: idNumber, name: person.name, phone: person.phone, password: strongPassword))
    }

    /// Files a case for the applicant, online or (`atWindow`) by the clerk, as `POST /api/v1/cases` does.
    func file(
        for applicant: ApplicantRecord, item: String = foodCode, form: [String: JSONValue] = goodForm, submit: Bool = true, atWindow: Bool = false,
        key: String = UUID().uuidString
    ) async throws -> CaseRecord {
        let body = NewCaseRequest(item: item, form: form, applicant: atWindow ? applicant.id : nil, submit: submit)
        return try await service(atWindow ? .clerk : .applicant, for: applicant).create(body, idempotencyKey: key).record
    }

    /// Gives the materials at these positions (from 1), as `supplyMaterials` uploads them.
    func supply(_ id: UUID, _ positions: [Int], by filer: CaseService) async throws {
        for position in positions {
            _ = try await filer.supplyMaterial(id, position: position, upload: samplePDF("\(position)"), fileName: "scan-\(position).pdf", reuse: nil)
        }
    }

    /// One lifecycle step, as `POST /api/v1/cases/{id}/transitions` takes it.
    @discardableResult
    func step(_ action: CaseAction, on id: UUID, by party: Party, for applicant: ApplicantRecord, reason: String? = nil) async throws -> CaseRecord {
        try await service(party, for: applicant).perform(action, reason: reason, on: id).record
    }

    // MARK: Traits

    /// A case with these traits (see `CaseTrait`); `materials` overrides the positions given.
    func make(
        _ traits: Set<CaseTrait>, item: String = foodCode, form: [String: JSONValue] = goodForm, materials: [Int]? = nil,
        applicant idNumber: String = citizenID, key: String = UUID().uuidString
    ) async throws -> CaseRecord {
        let stages: [CaseTrait] = [.draft, .submitted, .accepted, .underReview, .approved]
        var stage = stages.lastIndex { traits.contains($0) } ?? 1
        if traits.contains(.deferred) || traits.contains(.overdue) { stage = max(stage, 2) }
        if traits.contains(.draft) && stage > 0 {
            throw Abort(.internalServerError, reason: "makeCase: .draft goes with no other stage (\(traits))")
        }
        let applicant = try await applicant(idNumber)
        let atWindow = traits.contains(.atWindow)
        var record = try await file(for: applicant, item: item, form: form, submit: stage > 0, atWindow: atWindow, key: key)
        let id = try record.requireID()
        let given = materials ?? (stage < 2 ? [] : traits.contains(.deferred) ? [1] : [1, 3])
        try await supply(id, given, by: try service(atWindow ? .clerk : .applicant, for: applicant))
        if stage >= 2 { try await step(.accept, on: id, by: .clerk, for: applicant) }
        if stage >= 3 { try await step(.review, on: id, by: .approver, for: applicant) }
        if stage >= 4 { try await step(.approve, on: id, by: .approver, for: applicant) }
        record = try await CaseRecord.find(id, on: app.db)!
        if traits.contains(.overdue) {
            guard let deadline = record.deadline, let clock = app.timeSource as? FixedTimeSource else {
                throw Abort(.internalServerError, reason: "makeCase: .overdue needs a running deadline and the test clock")
            }
            while LocalDate(clock.now()).description <= deadline { clock.advance(by: 86_400) }
        }
        return record
    }
}

/// A case built through the domain services in the state the traits name, for tests that need a
/// case to act on rather than the journey to it (that journey has its own HTTP tests):
/// `makeCase(app, .accepted)`, `makeCase(app, .deferred, .overdue)`, `makeCase(app, .atWindow, .accepted)`.
@discardableResult
func makeCase(
    _ app: Application, _ traits: CaseTrait..., item: String = foodCode, form: [String: JSONValue] = goodForm, materials: [Int]? = nil,
    applicant: String = citizenID, key: String = UUID().uuidString
) async throws -> CaseRecord {
    try await CaseFactory(app: app).make(Set(traits), item: item, form: form, materials: materials, applicant: applicant, key: key)
}

/// A person the tests know (`citizenID` 张明, `agentID` 李华), registered through `IdentityService`
/// with `strongPassword` unless already there.
@discardableResult
func makeApplicant(_ app: Application, _ idNumber: String = citizenID) async throws -> ApplicantRecord {
    try await CaseFactory(app: app).applicant(idNumber)
}
