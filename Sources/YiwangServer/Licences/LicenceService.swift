import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Electronic licences (电子证照): issued as an effect of a case's approval, sealed with the
/// issuing department's SM2 seal, kept in the holder's wallet, checked by anyone, shared by
/// link, reused as a material, and changed only by new versions. Core decides (identifier,
/// validity, face, verdicts, lifecycle); this performs and records.
struct LicenceService {
    let ctx: DomainContext
    var db: any Database { ctx.db }

    init(_ ctx: DomainContext) { self.ctx = ctx }

    // MARK: Types

    func types(on db: (any Database)? = nil) async throws -> [LicenceType] {
        try await LicenceTypeRecord.query(on: db ?? self.db).sort(\.$id).all().map { try $0.type }
    }

    /// The type an item's approval issues, by the item's base code (decoded once per change).
    func type(issuedBy baseCode: String, on db: any Database) async throws -> LicenceType? {
        let service = self
        return try await ctx.app.licenceTypeCache.types(on: db, now: ctx.now) { try await service.types(on: db) }.first { $0.issuedBy.contains(baseCode) }
    }

    /// What a guide page tells the public: the licence the item issues, and which of its materials
    /// a licence in the wallet replaces (types as of at most a minute ago).
    func guideFacts(baseCode: String, materials: [String]) async throws -> (issues: String?, replaces: [String]) {
        let service = self
        let types = try await ctx.app.licenceTypeCache.types(on: db, now: ctx.now, maxAge: 60) { try await service.types(on: service.db) }
        let accepted = Set(types.flatMap(\.acceptedAs))
        return (types.first { $0.issuedBy.contains(baseCode) }?.name, materials.filter { accepted.contains($0) })
    }

    /// Adds or replaces licence types (the demo city, `yiwang licence types import`); a broken
    /// definition is refused whole.
    func save(types: [LicenceType]) async throws {
        let problems = types.flatMap(\.problems)
        guard problems.isEmpty else { throw DomainError.invalid("licence.type_invalid", problems.joined(separator: "")) }
        let now = ctx.now
        try await ctx.write { tx in
            for type in types {
                if let existing = try await LicenceTypeRecord.find(type.code, on: tx) { try await existing.delete(on: tx) }
                try await LicenceTypeRecord(type, at: now).create(on: tx)
            }
            try await AuditTrail.append(
                ctx.entry("licence.types", subjectType: "licenceType", subjectID: types.map(\.code).joined(separator: ","), after: "\(types.count)"), on: tx)
        }
        ctx.app.licenceTypeCache.forget()
    }

    // MARK: Issuing

    /// Issues the licence a case's approval grants, in the step's transaction: identifier with
    /// the next serial of the type and issuer, validity, face from the form, sealed by the
    /// department's seal. Returns it with the audit entry the step records.
    func issue(for record: CaseRecord, type: LicenceType, on tx: any Database) async throws -> (LicenceRecord, AuditEntry) {
        guard let caseID = record.id else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        guard let applicantID = UUID(uuidString: record.applicantID), let applicant = try await ApplicantRecord.find(applicantID, on: tx) else {
            throw DomainError.conflict("licence.holder_unknown", "未找到持证主体的账号，不能制发证照。")
        }
        // The catalog wires a type to an item; a person's licence cannot go to a company, nor the reverse.
        switch (type.holderKind, applicant.kind) {
        case (.person, .company), (.organisation, .person):
            throw DomainError.conflict(
                "licence.holder_kind", "“\(type.name)”的持证主体应为\(type.holderKind.chineseName)，与申请人不符，不能制发。请联系事项管理员核对证照类型的配置。")
        default: break
        }
        let holder = LicenceHolder(name: applicant.name, code: try ctx.keys.open(applicant.identifierSealed))
        let form = try CaseService(ctx).formValues(record).compactMapValues(\.plainText)
        let year = String(ctx.today.year)
        let serial = year + String(format: "%06lld", try await Counters.next("licence:\(type.code):\(record.departmentCode):\(year)", on: tx))
        let identifier = try LicenceIdentifier(typeCode: type.code, issuerCode: record.departmentCode, serial: serial, version: 1)
        let signer = try await Seals(ctx).signer(for: record.departmentCode, on: tx)
        let issuerName = signer.ownerName
        let number = record.resultDocument ?? String(record.regionCode.prefix(6)) + serial
        let validity = LicenceRules.validity(type, from: ctx.today)
        let face = try LicenceRules.face(
            type, form: form, holder: holder, decisionDate: ctx.today, caseNumber: record.number ?? caseID.uuidString, issuerName: issuerName)
        let document = LicenceDocument(
            identifier: identifier.description, typeCode: type.code, name: type.name, number: number, holder: holder, issuerName: issuerName,
            issuerCode: record.departmentCode, issuedOn: ctx.today.description, validFrom: validity.from.description,
            validUntil: validity.until?.description, previous: nil, face: face)
        let licence = try await store(
            document, identifier: identifier, holderID: record.applicantID, region: record.regionCode, caseID: caseID, signer: signer, on: tx)
        try await LicenceUseRecord(licence, kind: .issued, party: issuerName, caseID: caseID, purpose: "办件\(record.number ?? "")准予许可", at: ctx.now).create(on: tx)
        let audit = ctx.entry(
            "licence.issue", subjectType: "licence", subjectID: licence.identifier, owner: licence.owner, after: "\(type.name) \(number)")
        return (licence, audit)
    }

    /// Seals the document with the issuer's seal and stores the new version.
    func store(
        _ document: LicenceDocument, identifier: LicenceIdentifier, holderID: String, region: String, caseID: UUID?, signer: Seals.Signer? = nil,
        on tx: any Database
    ) async throws -> LicenceRecord {
        let signer = try await Self.signer(signer, for: document.issuerCode, ctx: ctx, on: tx)
        let sealed = try document.sealed(with: signer.key, keyID: signer.keyID)
        let licence = LicenceRecord()
        licence.identifier = identifier.description
        licence.lineage = [identifier.typeCode, identifier.issuerCode, identifier.serial].joined(separator: ".")
        licence.version = identifier.version
        licence.typeCode = document.typeCode
        licence.name = document.name
        licence.number = document.number
        licence.holderApplicantID = holderID
        licence.holderShown = PersonalData.mask(document.holder.name, as: .name)
        licence.issuerCode = document.issuerCode
        licence.issuerName = document.issuerName
        licence.regionCode = region
        licence.caseID = caseID
        licence.status = .active
        licence.issuedOn = document.issuedOn
        licence.validUntil = document.validUntil
        licence.previous = document.previous
        licence.keyID = signer.keyID
        licence.documentSealed = try ctx.keys.seal(String(decoding: try JSONEncoder.sorted.encode(sealed), as: UTF8.self))
        licence.createdAt = ctx.now
        licence.updatedAt = ctx.now
        try await licence.create(on: tx)
        return licence
    }

    /// The given signer, or the issuer's active seal.
    private static func signer(_ given: Seals.Signer?, for issuer: String, ctx: DomainContext, on tx: any Database) async throws -> Seals.Signer {
        if let given { return given }
        return try await Seals(ctx).signer(for: issuer, on: tx)
    }

    // MARK: Reading

    /// A licence the actor may see: its holder (or an agent with the power to receive licences),
    /// or staff allowed by the policy in the issuer's scope; anyone else finds nothing.
    func visible(_ raw: String) async throws -> LicenceRecord {
        let identifier = try LicenceIdentifier(raw)
        guard let licence = try await LicenceRecord.query(on: db).filter(\.$identifier == identifier.description).first(),
            Policy.allows(ctx.actor, .receiveLicences, on: licence.owner) || Policy.allows(ctx.actor, .readLicences, on: licence.owner)
        else { throw DomainError.notFound("licence.not_found", "未找到该电子证照。") }
        return licence
    }

    /// The licence as a reader opens it: a staff member's look is logged for the holder.
    func opened(_ raw: String) async throws -> LicenceRecord {
        let licence = try await visible(raw)
        if !Policy.allows(ctx.actor, .receiveLicences, on: licence.owner) {
            try await LicenceUseRecord(licence, kind: .viewedByStaff, party: ctx.audit.actor, purpose: "查看电子证照", at: ctx.now).create(on: db)
        }
        return licence
    }

    /// The wallet of the principal the applicant acts for (themselves, or a company whose legal
    /// representative or licence-receiving agent they are).
    func wallet() async throws -> [LicenceRecord] {
        guard case .applicant(let applicant) = ctx.actor else { throw DomainError.forbidden() }
        try Policy.authorize(ctx.actor, .receiveLicences, on: .applicant(applicant.principalID))
        return try await LicenceRecord.query(on: db).filter(\.$holderApplicantID == applicant.principalID)
            .sort(\.$issuedOn, .descending).sort(\.$version, .descending).all()
    }

    /// Every version of the licence, first to last.
    func chain(of licence: LicenceRecord) async throws -> [LicenceRecord] {
        try await LicenceRecord.query(on: db).filter(\.$lineage == licence.lineage).sort(\.$version).all()
    }

    /// What the holder sees of their licence's uses and shares, newest first.
    func uses(of licence: LicenceRecord) async throws -> [LicenceUseRecord] {
        guard let id = licence.id else { return [] }
        return try await LicenceUseRecord.query(on: db).filter(\.$licenceID == id).sort(\.$at, .descending).limit(200).all()
    }

    // MARK: Public verification

    /// The public status of an identifier: no personal data beyond the masked holder name.
    struct Status: Content {
        var identifier: String
        var status: LicenceVerdict
        var statusName: String
        var name: String?
        var holder: String?
        var issuer: String?
        var issuedOn: String?
        var validUntil: String?
        var revokedOn: String?
        var reason: String?
        var replacedBy: String?
        var checkedAt: Date
    }

    /// Seals revoked, by key id, with the day: what a licence's standing alone does not show.
    func revokedSeals(on db: (any Database)? = nil) async throws -> [String: LocalDate] {
        let revoked = try await SealKeyRecord.query(on: db ?? self.db).filter(\.$stateRaw == SealKeyRecord.State.revoked.rawValue).all()
        return Dictionary(revoked.compactMap { record in record.revokedAt.map { (record.keyID, LocalDate($0)) } }, uniquingKeysWith: { first, _ in first })
    }

    /// The one verdict every view gives (status page, wallet, shares): the catalogue's standing,
    /// then a seal revoked on or before the day of issue.
    func verdict(of licence: LicenceRecord, revokedSeals: [String: LocalDate]) -> (LicenceVerdict, reason: String?) {
        let standing = licence.standing
        let verdict = standing.verdict(today: ctx.today, issuedOn: try? LocalDate(licence.issuedOn), sealRevokedOn: revokedSeals[licence.keyID])
        if verdict == .revoked && standing.status == .active { return (verdict, "签发该证照的电子印章已吊销") }
        return (verdict, licence.status == .superseded ? "已换发新版本" : licence.reason)
    }

    func status(_ raw: String) async throws -> Status {
        let identifier = try LicenceIdentifier(raw)
        return try await status(identifier, licence: try await LicenceRecord.query(on: db).filter(\.$identifier == identifier.description).first())
    }

    /// The status of a licence already read (or of none under that identifier).
    func status(_ identifier: LicenceIdentifier, licence: LicenceRecord?) async throws -> Status {
        guard let licence else {
            return Status(identifier: identifier.description, status: .unknown, statusName: LicenceVerdict.unknown.chineseName, checkedAt: ctx.now)
        }
        let (verdict, reason) = verdict(of: licence, revokedSeals: try await revokedSeals())
        return Status(
            identifier: licence.identifier, status: verdict, statusName: verdict.chineseName, name: licence.name, holder: licence.holderShown,
            issuer: licence.issuerName, issuedOn: licence.issuedOn, validUntil: licence.validUntil, revokedOn: licence.revokedOn, reason: reason,
            replacedBy: licence.next, checkedAt: ctx.now)
    }

    /// A presented document: its fields against its signature and the published seal, then its
    /// standing in the catalogue of licences.
    func verifyLicence(_ document: LicenceDocument) async throws -> (LicenceVerdict, Status?) {
        let seal = try await Seals(ctx).facts(document.keyID)
        let identifier = try? LicenceIdentifier(document.identifier)
        let licence: LicenceRecord?
        if let identifier {
            licence = try await LicenceRecord.query(on: db).filter(\.$identifier == identifier.description).first()
        } else {
            licence = nil
        }
        var verdict = LicenceVerification.verdict(of: document, seal: seal, standing: licence?.standing, today: ctx.today)
        // The catalogue holds the signed original: a document sealed by our key but differing from
        // what was issued under this identifier is not the licence it claims to be.
        if verdict == .valid, let licence, let original = try? licence.document(ctx.keys), original.signature != document.signature {
            verdict = .tampered
        }
        guard let identifier else { return (verdict, nil) }
        return (verdict, try await status(identifier, licence: licence))
    }

    // MARK: Sharing

    /// A link the holder gives a third party (a bank, a landlord): it shows the licence until it
    /// expires or is withdrawn; only the token's hash is stored.
    func share(_ licence: LicenceRecord, recipient: String?, hours: Int?) async throws -> (LicenceShareRecord, token: String) {
        try Policy.authorize(ctx.actor, .receiveLicences, on: licence.owner)
        guard verdict(of: licence, revokedSeals: try await revokedSeals()).0 == .valid else {
            throw DomainError.conflict("licence.not_valid", "只能分享有效的电子证照。")
        }
        let hours = hours ?? ctx.settings.licenceShareHours
        guard (1...720).contains(hours) else { throw DomainError.invalid("licence.share_hours", "分享有效期应在1至720小时之间。") }
        let recipient = (recipient ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard recipient.count <= 100 else { throw DomainError.invalid("licence.share_recipient", "接收方名称不超过100字。") }
        let token = Self.newToken()
        let share = LicenceShareRecord()
        share.licenceID = licence.id ?? UUID()
        share.holderApplicantID = licence.holderApplicantID
        share.tokenHash = Self.hash(token)
        share.recipient = recipient.isEmpty ? "未注明" : recipient
        share.expiresAt = ctx.now.addingTimeInterval(TimeInterval(hours) * 3600)
        share.views = 0
        share.createdAt = ctx.now
        try await ctx.write { tx in
            try await share.create(on: tx)
            try await LicenceUseRecord(licence, kind: .shared, party: share.recipient, purpose: "分享链接，\(hours)小时内有效", at: ctx.now).create(on: tx)
            try await AuditTrail.append(ctx.entry("licence.share", subjectType: "licence", subjectID: licence.identifier, owner: licence.owner, after: share.recipient), on: tx)
        }
        return (share, token)
    }

    func shares(of licence: LicenceRecord) async throws -> [LicenceShareRecord] {
        guard let id = licence.id else { return [] }
        return try await LicenceShareRecord.query(on: db).filter(\.$licenceID == id).sort(\.$createdAt, .descending).all()
    }

    func withdraw(share id: UUID) async throws {
        guard let share = try await LicenceShareRecord.find(id, on: db),
            let licence = try await LicenceRecord.find(share.licenceID, on: db), Policy.allows(ctx.actor, .receiveLicences, on: licence.owner)
        else { throw DomainError.notFound("licence.share_not_found", "未找到该分享。") }
        guard share.withdrawnAt == nil else { return }
        share.withdrawnAt = ctx.now
        try await ctx.write { tx in
            try await share.save(on: tx)
            try await LicenceUseRecord(licence, kind: .shareWithdrawn, party: share.recipient, purpose: "持证人撤回分享", at: ctx.now).create(on: tx)
            try await AuditTrail.append(ctx.entry("licence.unshare", subjectType: "licence", subjectID: licence.identifier, owner: licence.owner), on: tx)
        }
    }

    /// The licence behind a share link, for anyone holding the link while it lasts; each view is
    /// logged for the holder.
    func shared(token: String) async throws -> (LicenceRecord, LicenceDocument, LicenceShareRecord) {
        let gone = DomainError.notFound("licence.share_not_found", "分享链接无效、已过期或已被持证人撤回。")
        guard token.count == 43, let share = try await LicenceShareRecord.query(on: db).filter(\.$tokenHash == Self.hash(token)).first(),
            share.withdrawnAt == nil, share.expiresAt > ctx.now, let licence = try await LicenceRecord.find(share.licenceID, on: db)
        else { throw gone }
        let views = share.views
        try await ctx.write { tx in
            // Counted in the database, so two views at once are two.
            try await tx.sql().update(LicenceShareRecord.schema).set(SQLIdentifier("views"), to: SQLRaw("views + 1"))
                .where("id", .equal, share.id ?? UUID()).run()
            try await LicenceUseRecord(licence, kind: .shareViewed, party: share.recipient, purpose: "通过分享链接查看", at: ctx.now).create(on: tx)
        }
        share.views = views + 1
        return (licence, try licence.document(ctx.keys), share)
    }

    static func newToken() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String { SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined() }

    // MARK: Materials (免证办)

    /// The holder's valid licences that stand for the named material, for the applicant to pick.
    func offers(for materialName: String, holderID: String, on db: (any Database)? = nil) async throws -> [LicenceRecord] {
        let db = db ?? self.db
        let codes = try await types(on: db).filter { $0.acceptedAs.contains(materialName) }.map(\.code)
        guard !codes.isEmpty else { return [] }
        let revoked = try await revokedSeals(on: db)
        return try await LicenceRecord.query(on: db).filter(\.$holderApplicantID == holderID).filter(\.$typeCode ~~ codes)
            .filter(\.$statusRaw == LicenceStatus.active.rawValue).sort(\.$issuedOn, .descending).all()
            .filter { verdict(of: $0, revokedSeals: revoked).0 == .valid }
    }

    /// Where a share link leads (shown once, when made).
    func shareURL(_ token: String) -> String { ctx.settings.publicURL + "/s/" + token }

    /// The public address of a licence's verification page (what its QR code holds).
    func verificationURL(_ identifier: String) -> String { ctx.settings.publicURL + "/verify/" + identifier }
}

/// Named counters (case numbers per region and day, licence serials per type, issuer and year):
/// one upsert each, safe under concurrent writers on both engines.
enum Counters {
    static func next(_ prefix: String, on db: any Database) async throws -> Int64 {
        struct Counter: Decodable { var last_number: Int64 }
        guard let counter = try await db.sql().raw("""
            INSERT INTO case_number_counters (prefix, last_number) VALUES (\(bind: prefix), 1)
            ON CONFLICT (prefix) DO UPDATE SET last_number = case_number_counters.last_number + 1
            RETURNING last_number
            """).first(decoding: Counter.self)
        else { throw Abort(.internalServerError, reason: "counter \(prefix) missing") }
        return counter.last_number
    }
}

extension JSONValue {
    /// A form value as one line of text (lists joined), or nil for nothing.
    var plainText: String? {
        switch self {
        case .null: nil
        case .bool(let value): value ? "是" : "否"
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .string(let value): value
        case .array(let values): values.compactMap(\.plainText).joined(separator: "、")
        case .object: nil
        }
    }
}
