import Fluent
import Foundation
import Vapor
import YiwangCore

/// Revocation (注销), renewal (换证/延续) and change of face data (变更) of a licence, as a
/// workflow of the platform's runner: the issuing department's approver acts, Core's
/// `LicenceRules` decide, and the licence rows, its use log, the audit event and the holder's
/// notice are written in one transaction. Renewal and change seal a new version whose identifier
/// keeps the serial and raises the version; the old one is superseded and links forward.
struct LicenceChange: Workflow {
    enum Kind: String, Codable, Sendable {
        case revoke, renew, change

        var chineseName: String {
            switch self {
            case .revoke: "注销"
            case .renew: "换发(延续)"
            case .change: "变更"
            }
        }
    }

    struct Command: Sendable {
        var identifier: String
        var kind: Kind
        var reason: String?
        var changes: [String: String] = [:]
    }

    struct Subject: Sendable {
        var licence: LicenceRecord
        var type: LicenceType
    }

    struct Planned: Sendable {
        var kind: Kind
        var reason: String
        /// The new version's face (renewal and change).
        var face: [FaceEntry]?
    }

    func load(_ command: Command, _ ctx: DomainContext, on tx: any Database) async throws -> Subject {
        let identifier = try LicenceIdentifier(command.identifier)
        guard let licence = try await LicenceRecord.query(on: tx).filter(\.$identifier == identifier.description).first(),
            Policy.allows(ctx.actor, .readLicences, on: licence.owner) || Policy.allows(ctx.actor, .manageLicences, on: licence.owner)
        else { throw DomainError.notFound("licence.not_found", "未找到该电子证照。") }
        guard let type = try await LicenceTypeRecord.find(licence.typeCode, on: tx).map({ try $0.type }) else {
            throw DomainError.conflict("licence.type_unknown", "证照类型 \(licence.typeCode) 已不在目录中，不能办理。")
        }
        return Subject(licence: licence, type: type)
    }

    func authorize(_ command: Command, _ subject: Subject, _ ctx: DomainContext) throws {
        try Policy.authorize(ctx.actor, .manageLicences, on: subject.licence.owner)
    }

    func plan(_ command: Command, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> Planned {
        let licence = subject.licence
        switch command.kind {
        case .revoke:
            return Planned(kind: .revoke, reason: try LicenceRules.checkRevocation(licence.status, reason: command.reason), face: nil)
        case .renew, .change:
            if command.kind == .change && command.changes.isEmpty {
                throw DomainError.invalid("licence.no_change", "变更须至少修改一项照面信息。")
            }
            let current = try licence.document(ctx.keys).face
            let face = try LicenceRules.checkNewVersion(licence.status, current: current, changes: command.changes, type: subject.type)
            let reason = (command.reason?.trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { $0.isEmpty ? nil : String($0.prefix(500)) }
            return Planned(kind: command.kind, reason: reason ?? command.kind.chineseName, face: face)
        }
    }

    func persist(_ planned: Planned, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> (LicenceRecord, StepRecord) {
        let licence = subject.licence
        var result = licence
        if let face = planned.face {
            // A new version: same serial, version + 1, validity from today, the old one superseded.
            let old = try licence.document(ctx.keys)
            let identifier = try LicenceIdentifier(licence.identifier).nextVersion()
            let validity = LicenceRules.validity(subject.type, from: ctx.today)
            let document = LicenceDocument(
                identifier: identifier.description, typeCode: old.typeCode, name: old.name, number: old.number, holder: old.holder,
                issuerName: old.issuerName, issuerCode: old.issuerCode, issuedOn: ctx.today.description, validFrom: validity.from.description,
                validUntil: validity.until?.description, previous: licence.identifier, face: face)
            result = try await LicenceService(ctx).store(
                document, identifier: identifier, holderID: licence.holderApplicantID, region: licence.regionCode, caseID: licence.caseID, on: tx)
            licence.status = .superseded
            licence.next = result.identifier
            licence.reason = planned.reason
        } else {
            licence.status = .revoked
            licence.revokedOn = ctx.today.description
            licence.reason = planned.reason
        }
        licence.updatedAt = ctx.now
        try await licence.save(on: tx)
        let useKind: LicenceUseKind = [.revoke: .revoked, .renew: .renewed, .change: .changed][planned.kind] ?? .changed
        try await LicenceUseRecord(licence, kind: useKind, party: licence.issuerName, purpose: planned.reason, at: ctx.now).create(on: tx)
        let action = planned.kind == .revoke ? "licence.revoke" : "licence.newVersion"
        let audit = ctx.entry(action, subjectType: "licence", subjectID: licence.identifier, owner: licence.owner, before: licence.identifier, after: result.identifier + "：" + planned.reason)
        let notice =
            planned.kind == .revoke
            ? "您的电子\(licence.name)(编号 \(licence.number))已被\(licence.issuerName)注销。理由：\(planned.reason)"
            : "您的电子\(licence.name)(编号 \(licence.number))已换发新版本，新证照标识：\(result.identifier)，原版本不再有效。"
        if planned.face != nil {
            try await LicenceUseRecord(result, kind: .issued, party: licence.issuerName, purpose: "换发新版本，原证照标识 \(licence.identifier)", at: ctx.now)
                .create(on: tx)
        }
        let notices = try await CaseService.applicantChannels(licence.holderApplicantID, on: tx).map { channel in
            OutboxRecord(
                dedupeKey: "licence:\(licence.identifier):\(action):\(channel)", caseID: licence.caseID, recipient: "applicant:" + licence.holderApplicantID,
                channel: channel, subject: "电子证照" + (planned.kind == .revoke ? "注销" : "换发") + "通知", body: notice, at: ctx.now)
        }
        return (result, StepRecord(audit: [audit], notices: notices))
    }
}
