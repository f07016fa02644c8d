import Fluent
import Foundation
import SQLKit
import NIOConcurrencyHelpers
import Vapor
import YiwangCore

/// The city's electronic seals (电子印章): one root CA (SM2, X.509, self-signed) that issues each
/// issuing department a seal certificate with its name and credit code. Private keys are sealed
/// with the data keys at rest; a rotated seal retires (its old licences still verify), a revoked
/// one makes the licences it sealed from that day on `revoked`.
struct Seals {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    static let rootYears = 20
    static let sealYears = 3

    /// A seal ready to sign: its key, key id and certificate's owner.
    struct Signer: Sendable {
        var key: SM2PrivateKey
        var keyID: String
        /// The department the seal's certificate names (the licence's issuer name).
        var ownerName: String
    }

    /// What `GET /api/v1/seals` publishes for each key, active or not.
    struct Published: Content {
        var keyID: String
        var owner: String
        var ownerCode: String
        var role: String
        var state: String
        var subject: String
        var issuer: String
        var serial: String
        var notBefore: Date
        var notAfter: Date
        var revokedAt: Date?
        var revokedReason: String?
        var certificate: String
    }

    // MARK: Reading

    func published(on db: (any Database)? = nil) async throws -> [Published] {
        let records = try await SealKeyRecord.query(on: db ?? ctx.db).sort(\.$ownerCode).sort(\.$createdAt).all()
        return try records.map { record in
            let certificate = try SealCertificate(pem: record.certificate)
            return Published(
                keyID: record.keyID, owner: record.ownerName, ownerCode: record.ownerCode,
                role: record.ownerCode == SealKeyRecord.rootOwner ? "root" : "seal", state: record.stateRaw,
                subject: certificate.subjectLine, issuer: certificate.issuerLine, serial: certificate.serialHex,
                notBefore: record.notBefore, notAfter: record.notAfter, revokedAt: record.revokedAt, revokedReason: record.revokedReason,
                certificate: record.certificate)
        }
    }

    /// What a verifier needs of the seal named by a key id (its key, the credit code and
    /// validity its certificate names, its revocation), or nil when no such seal exists or its
    /// certificate does not chain to a city root.
    func facts(_ keyID: String, on db: (any Database)? = nil) async throws -> SealFacts? {
        let db = db ?? ctx.db
        guard let record = try await SealKeyRecord.query(on: db).filter(\.$keyID == keyID).first(), record.ownerCode != SealKeyRecord.rootOwner
        else { return nil }
        let roots = try await SealKeyRecord.query(on: db).filter(\.$ownerCode == SealKeyRecord.rootOwner).all()
        let certificate = try SealCertificate(pem: record.certificate)
        guard try roots.contains(where: { certificate.isSigned(by: try SealCertificate(pem: $0.certificate)) }) else { return nil }
        return try SealFacts(certificate: certificate, revokedOn: record.revokedAt.map { LocalDate($0) })
    }

    // MARK: Signing

    /// The department's active seal, issued on first use and renewed when its certificate has
    /// ended (nothing is sealed with an expired certificate); its key is opened once per process.
    func signer(for departmentCode: String, on tx: any Database) async throws -> Signer {
        let record: SealKeyRecord
        if let active = try await activeSeal(departmentCode, on: tx), active.notAfter > ctx.now {
            record = active
        } else {
            record = try await issue(departmentCode, on: tx)
        }
        return Signer(
            key: try ctx.app.sealKeyCache.key(record.keyID) { try SM2PrivateKey(pem: try ctx.keys.open(record.privateKeySealed)) }, keyID: record.keyID,
            ownerName: record.ownerName)
    }

    func activeSeal(_ ownerCode: String, on db: any Database) async throws -> SealKeyRecord? {
        try await SealKeyRecord.query(on: db).filter(\.$ownerCode == ownerCode).filter(\.$stateRaw == "active").sort(\.$createdAt, .descending).first()
    }

    // MARK: Issuing, rotating, revoking

    /// The root CA, made once (and again only when it has ended).
    func root(on tx: any Database) async throws -> (record: SealKeyRecord, certificate: SealCertificate, key: SM2PrivateKey) {
        if let record = try await activeSeal(SealKeyRecord.rootOwner, on: tx), record.notAfter > ctx.now {
            let key = try ctx.app.sealKeyCache.key(record.keyID) { try SM2PrivateKey(pem: try ctx.keys.open(record.privateKeySealed)) }
            return (record, try SealCertificate(pem: record.certificate), key)
        }
        if let ended = try await activeSeal(SealKeyRecord.rootOwner, on: tx) {
            ended.state = .retired
            try await ended.save(on: tx)
        }
        let city = ctx.settings.cityName
        let key = try SM2PrivateKey.generate()
        let request = CertificateRequest(
            subject: CertificateSubject(commonName: city + "电子印章根证书", organization: city + "人民政府", locality: city),
            serial: Self.serial(), notBefore: ctx.now.addingTimeInterval(-300), notAfter: Self.years(Self.rootYears, after: ctx.now),
            isAuthority: true)
        let certificate = try SealCertificate.issue(request, for: try key.publicKey, issuer: nil, selfKey: key)
        let record = try await store(owner: SealKeyRecord.rootOwner, name: city + "电子印章根证书", key: key, certificate: certificate, on: tx)
        try await AuditTrail.append(
            ctx.entry("seal.root", subjectType: "seal", subjectID: record.keyID, after: certificate.subjectLine), on: tx)
        return (record, certificate, key)
    }

    /// A new seal for the department; the one it replaces (if any) retires and still verifies
    /// what it sealed.
    @discardableResult
    func issue(_ departmentCode: String, on tx: any Database) async throws -> SealKeyRecord {
        guard let department = try await DepartmentRecord.query(on: tx).filter(\.$creditCode == departmentCode).first() else {
            throw DomainError.notFound("seal.department_unknown", "未找到统一社会信用代码为 \(departmentCode) 的部门。")
        }
        let root = try await root(on: tx)
        let key = try SM2PrivateKey.generate()
        let request = CertificateRequest(
            subject: CertificateSubject(
                commonName: department.name + "电子印章", organization: department.name, creditCode: department.creditCode, locality: ctx.settings.cityName),
            serial: Self.serial(), notBefore: ctx.now.addingTimeInterval(-300), notAfter: Self.years(Self.sealYears, after: ctx.now),
            isAuthority: false)
        let certificate = try SealCertificate.issue(request, for: try key.publicKey, issuer: (root.certificate, root.key))
        let previous = try await activeSeal(departmentCode, on: tx)
        if let previous {
            previous.state = .retired
            try await previous.save(on: tx)
        }
        let record = try await store(owner: department.creditCode, name: department.name, key: key, certificate: certificate, on: tx)
        try await AuditTrail.append(
            ctx.entry(
                previous == nil ? "seal.issue" : "seal.rotate", subjectType: "seal", subjectID: record.keyID,
                owner: ResourceOwner(departmentCreditCode: department.creditCode, regionCode: department.regionCode), before: previous?.keyID,
                after: certificate.subjectLine), on: tx)
        return record
    }

    /// Revokes a seal with a reason: it signs nothing more, and what it sealed from that day on
    /// verifies as `revoked`. A department whose seal is revoked gets a new one at its next signature.
    func revoke(keyID: String, reason: String, on tx: any Database) async throws -> SealKeyRecord {
        guard let record = try await SealKeyRecord.query(on: tx).filter(\.$keyID == keyID).first() else {
            throw DomainError.notFound("seal.not_found", "未找到密钥标识为 \(keyID) 的印章。")
        }
        guard record.ownerCode != SealKeyRecord.rootOwner else {
            throw DomainError.conflict("seal.root_revocation", "根证书不能在此吊销：须重建电子印章体系。")
        }
        guard record.state != .revoked else { throw DomainError.conflict("seal.already_revoked", "该印章已吊销。") }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 300 else { throw DomainError.invalid("seal.reason_required", "吊销印章须说明理由(不超过300字)。") }
        record.state = .revoked
        record.revokedAt = ctx.now
        record.revokedReason = reason
        try await record.save(on: tx)
        ctx.app.sealKeyCache.forget(keyID)
        try await AuditTrail.append(
            ctx.entry("seal.revoke", subjectType: "seal", subjectID: keyID, owner: ResourceOwner(departmentCreditCode: record.ownerCode, regionCode: nil), after: reason),
            on: tx)
        return record
    }

    private func store(owner: String, name: String, key: SM2PrivateKey, certificate: SealCertificate, on tx: any Database) async throws -> SealKeyRecord {
        let record = SealKeyRecord()
        record.ownerCode = owner
        record.ownerName = name
        record.keyID = try key.publicKey.keyID
        record.certificate = certificate.pem
        record.privateKeySealed = try ctx.keys.seal(key.pem)
        record.notBefore = certificate.notBefore ?? ctx.now
        record.notAfter = certificate.notAfter ?? ctx.now
        record.state = .active
        record.createdAt = ctx.now
        try await record.create(on: tx)
        return record
    }

    /// A random positive 128-bit certificate serial.
    static func serial() -> [UInt8] {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = (bytes[0] & 0x7f) | 0x01
        return bytes
    }

    static func years(_ count: Int, after date: Date) -> Date {
        Calendar(identifier: .gregorian).date(byAdding: .year, value: count, to: date) ?? date.addingTimeInterval(Double(count) * 365 * 86_400)
    }
}

/// The catalog's licence types, decoded once and kept while the table is unchanged (every
/// approval of an item whose result is a licence asks which type it issues): a one-row query of
/// the table's count and latest change says whether another instance or a command changed them.
final class LicenceTypeCache: Sendable {
    private let held = NIOLockedValueBox<(types: [LicenceType], fingerprint: String, checkedAt: Date)?>(nil)

    /// `maxAge`: how long a page may show types without asking the table again (0 for a
    /// decision, which always asks).
    func types(on db: any Database, now: Date, maxAge: TimeInterval = 0, load: () async throws -> [LicenceType]) async throws -> [LicenceType] {
        if maxAge > 0, let held = held.withLockedValue({ $0 }), now >= held.checkedAt, now.timeIntervalSince(held.checkedAt) < maxAge {
            return held.types
        }
        struct Row: Decodable {
            var count: Int64
            var latest: Date?
        }
        let row = try await db.sql().raw("SELECT COUNT(*) AS count, MAX(updated_at) AS latest FROM licence_types").first(decoding: Row.self)
        let fingerprint = "\(row?.count ?? 0):\(row?.latest?.timeIntervalSince1970 ?? 0)"
        if let held = held.withLockedValue({ $0 }), held.fingerprint == fingerprint {
            self.held.withLockedValue { $0?.checkedAt = now }
            return held.types
        }
        let types = try await load()
        held.withLockedValue { $0 = (types, fingerprint, now) }
        return types
    }

    func forget() { held.withLockedValue { $0 = nil } }
}

/// Opened seal keys by key id, so a signature does not decrypt and parse its key each time.
final class SealKeyCache: Sendable {
    private let keys = NIOLockedValueBox<[String: SM2PrivateKey]>([:])

    func key(_ keyID: String, open: () throws -> SM2PrivateKey) throws -> SM2PrivateKey {
        if let key = keys.withLockedValue({ $0[keyID] }) { return key }
        let key = try open()
        keys.withLockedValue { $0[keyID] = key }
        return key
    }

    func forget(_ keyID: String) { keys.withLockedValue { _ = $0.removeValue(forKey: keyID) } }
}

extension Application {
    private struct SealKeyCacheKey: StorageKey { typealias Value = SealKeyCache }

    /// Set once by `configure`, before any request.
    var sealKeyCache: SealKeyCache {
        get { storage[SealKeyCacheKey.self] ?? SealKeyCache() }
        set { storage[SealKeyCacheKey.self] = newValue }
    }

    private struct LicenceTypeCacheKey: StorageKey { typealias Value = LicenceTypeCache }

    /// Set once by `configure`, before any request.
    var licenceTypeCache: LicenceTypeCache {
        get { storage[LicenceTypeCacheKey.self] ?? LicenceTypeCache() }
        set { storage[LicenceTypeCacheKey.self] = newValue }
    }
}
