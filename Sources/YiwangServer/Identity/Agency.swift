import Fluent
import Foundation
import Vapor
import YiwangCore

struct AgentRequest: Content {
    var idNumber: String
    var name: String
    var powers: [AgentPower]
}

struct AgentView: Content {
    var id: UUID
    var idNumber: String
    var name: String
    var powers: [AgentPower]
    var powerNames: String
    var grantedAt: Date
}

struct RepresentedCompany: Content {
    var id: UUID
    var name: String
    var creditCode: String
    var legalRepresentative: Bool
    var powers: [AgentPower]
    var powerNames: String
}

/// Companies and the natural persons who act for them: the legal representative with every
/// power, agents (经办人) with the powers the company granted.
enum Agency {
    static func powerNames(_ powers: Set<AgentPower>) -> String {
        AgentPower.allCases.filter(powers.contains).map(\.chineseName).joined(separator: "、")
    }

    /// What `person` may do for `companyID`, or nil when they may not act for it at all.
    static func representation(of person: ApplicantRecord, for companyID: UUID, on db: any Database) async throws -> ApplicantActor.Representation? {
        guard let company = try await ApplicantRecord.find(companyID, on: db), company.kind == .company, !company.disabled else { return nil }
        if company.representativeIndex == person.identifierIndex {
            return .init(companyID: companyID.uuidString, companyName: company.name, powers: [], isLegalRepresentative: true)
        }
        let grants = try await CompanyAgentRecord.query(on: db).filter(\.$company.$id == companyID)
            .filter(\.$personIndex == person.identifierIndex).filter(\.$revokedAt == nil).all()
        let powers = grants.reduce(into: Set<AgentPower>()) { $0.formUnion($1.powers) }
        return powers.isEmpty ? nil : .init(companyID: companyID.uuidString, companyName: company.name, powers: powers)
    }

    /// Every company a person may act for.
    static func companies(of person: ApplicantRecord, on db: any Database) async throws -> [RepresentedCompany] {
        guard person.kind == .person else { return [] }
        var result: [UUID: RepresentedCompany] = [:]
        for company in try await ApplicantRecord.query(on: db).filter(\.$representativeIndex == person.identifierIndex).filter(\.$disabled == false).all() {
            result[company.id!] = RepresentedCompany(
                id: company.id!, name: company.name, creditCode: company.identifierMasked, legalRepresentative: true,
                powers: AgentPower.allCases, powerNames: powerNames(Set(AgentPower.allCases)))
        }
        let grants = try await CompanyAgentRecord.query(on: db).filter(\.$personIndex == person.identifierIndex).filter(\.$revokedAt == nil)
            .with(\.$company).all()
        for grant in grants where result[grant.$company.id] == nil && !grant.company.disabled {
            let powers = grant.powers
            result[grant.$company.id] = RepresentedCompany(
                id: grant.$company.id, name: grant.company.name, creditCode: grant.company.identifierMasked, legalRepresentative: false,
                powers: AgentPower.allCases.filter(powers.contains), powerNames: powerNames(powers))
        }
        return result.values.sorted { $0.name < $1.name }
    }

    static func agents(of companyID: UUID, on db: any Database) async throws -> [AgentView] {
        try await CompanyAgentRecord.query(on: db).filter(\.$company.$id == companyID).filter(\.$revokedAt == nil).sort(\.$grantedAt).all()
            .map { AgentView(id: $0.id!, idNumber: $0.personMasked, name: $0.personName, powers: AgentPower.allCases.filter($0.powers.contains), powerNames: powerNames($0.powers), grantedAt: $0.grantedAt) }
    }

    /// Authorises a natural person to act for the company (replacing an earlier grant to the same person).
    static func grant(_ body: AgentRequest, company companyID: UUID, service: IdentityService) async throws -> AgentView {
        var problems: [FieldError] = []
        var number: ResidentIDNumber?
        do { number = try ResidentIDNumber(body.idNumber, today: service.now) } catch { problems.append(FieldError(field: "idNumber", message: error.message)) }
        let name = IdentityService.personName(body.name, field: "name", into: &problems)
        if body.powers.isEmpty { problems.append(FieldError(field: "powers", message: "请至少授予一项权限。")) }
        guard problems.isEmpty, let number else {
            throw DomainError.invalid("agent.invalid", "经办人信息有误：" + problems.map(\.message).joined(), fields: problems)
        }
        let index = ApplicantRecord.index(number.value, keys: service.keys)
        let record = CompanyAgentRecord(
            companyID: companyID, personIndex: index, personMasked: PersonalData.mask(number.value, as: .idNumber), personName: name,
            powers: Set(body.powers), grantedBy: service.context.actor, at: service.now)
        let now = service.now
        let context = service.context
        try await AuditTrail.writeTransaction(on: service.db) { tx in
            let earlier = try await CompanyAgentRecord.query(on: tx).filter(\.$company.$id == companyID).filter(\.$personIndex == index)
                .filter(\.$revokedAt == nil).all()
            for old in earlier {
                old.revokedAt = now
                try await old.save(on: tx)
            }
            try await record.create(on: tx)
            try await AuditTrail.append(
                context.entry(
                    "agent.grant", subjectType: "applicant", subjectID: companyID.uuidString, owner: .applicant(companyID.uuidString),
                    before: earlier.first.map { powerNames($0.powers) }, after: "\(record.personMasked) \(powerNames(record.powers))", at: now),
                on: tx)
        }
        service.tokens.invalidate()
        return AgentView(id: record.id!, idNumber: record.personMasked, name: name, powers: AgentPower.allCases.filter(record.powers.contains), powerNames: powerNames(record.powers), grantedAt: now)
    }

    static func revoke(_ agentID: UUID, company companyID: UUID, service: IdentityService) async throws {
        let now = service.now
        let context = service.context
        try await AuditTrail.writeTransaction(on: service.db) { tx in
            guard let record = try await CompanyAgentRecord.find(agentID, on: tx), record.$company.id == companyID, record.revokedAt == nil else {
                throw DomainError.notFound("agent.not_found", "未找到该经办人授权，可能已被撤销。")
            }
            record.revokedAt = now
            try await record.save(on: tx)
            try await AuditTrail.append(
                context.entry(
                    "agent.revoke", subjectType: "applicant", subjectID: companyID.uuidString, owner: .applicant(companyID.uuidString),
                    before: "\(record.personMasked) \(powerNames(record.powers))", at: now),
                on: tx)
        }
        service.tokens.invalidate()
    }
}
