import Foundation

/// Who may hold a licence type.
public enum LicenceHolderKind: String, Codable, Sendable, CaseIterable {
    case person, organisation, either

    public var chineseName: String {
        switch self {
        case .person: "自然人"
        case .organisation: "法人或其他组织"
        case .either: "自然人或法人"
        }
    }
}

/// The kind of a face field (照面信息项), for rendering and checking.
public enum FaceFieldKind: String, Codable, Sendable {
    case text, date, number, code
}

/// One face field: its key, label and kind, and where its value comes from when the licence is
/// issued: `form.<key>` (the application form), `holder.name`, `holder.code`, `decision.date`,
/// `case.number`, `issuer.name`, or `fixed:<text>`; alternatives are separated by `|` and the
/// first that has a value is taken (two items issuing one type ask under different keys).
public struct FaceField: Codable, Sendable, Hashable {
    public var key: String
    public var label: String
    public var kind: FaceFieldKind
    public var source: String

    public init(key: String, label: String, kind: FaceFieldKind = .text, source: String) {
        self.key = key
        self.label = label
        self.kind = kind
        self.source = source
    }
}

/// 证照类型 (GB/T 36902 目录信息): what a licence of this type says, who holds it, how long it is
/// valid, which items issue it and which materials it stands for when an item asks for them.
public struct LicenceType: Codable, Sendable, Hashable {
    /// 证照类型代码: the defining body's credit code and a 3-digit sequence.
    public var code: String
    public var name: String
    /// 证照定义机构.
    public var definedBy: String
    public var holderKind: LicenceHolderKind
    public var faceFields: [FaceField]
    /// Years of validity from the day of issue; nil for 长期.
    public var validityYears: Int?
    /// Base codes (基本编码) of the items whose approval issues it.
    public var issuedBy: [String]
    /// Names of materials this licence replaces (免证办) in any item that asks for them.
    public var acceptedAs: [String]

    public init(
        code: String, name: String, definedBy: String, holderKind: LicenceHolderKind, faceFields: [FaceField], validityYears: Int?,
        issuedBy: [String], acceptedAs: [String]
    ) {
        self.code = code
        self.name = name
        self.definedBy = definedBy
        self.holderKind = holderKind
        self.faceFields = faceFields
        self.validityYears = validityYears
        self.issuedBy = issuedBy
        self.acceptedAs = acceptedAs
    }

    /// What is wrong with the definition (empty when it can be used).
    public var problems: [String] {
        var found: [String] = []
        if code.count != 21 || !CreditCode.isValid(String(code.prefix(18))) || !code.suffix(3).allSatisfy({ $0.isASCIIDigit }) {
            found.append("证照类型代码“\(code)”应为定义机构的统一社会信用代码加3位数字。")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { found.append("证照类型缺少名称。") }
        if let years = validityYears, !(1...100).contains(years) { found.append("“\(name)”的有效期年数应在1至100之间。") }
        let keys = faceFields.map(\.key)
        if Set(keys).count != keys.count { found.append("“\(name)”的照面信息项重复。") }
        // Keys name lines of the signed bytes: plain ASCII letters and digits, so no key can
        // imitate another line.
        for key in keys where key.isEmpty || key.count > 40 || !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            found.append("“\(name)”的照面信息项标识“\(key)”只能由英文字母和数字组成(不超过40个)。")
        }
        for field in faceFields where !FaceSource.isKnown(field.source) {
            found.append("“\(name)”的照面信息项“\(field.label)”来源“\(field.source)”无法识别。")
        }
        return found
    }
}

/// Where face values come from at issue.
public enum FaceSource {
    static func isKnown(_ source: String) -> Bool {
        source.split(separator: "|", omittingEmptySubsequences: false).allSatisfy { part in
            part.hasPrefix("form.") || part.hasPrefix("fixed:")
                || ["holder.name", "holder.code", "decision.date", "case.number", "issuer.name"].contains(String(part))
        }
    }

    /// The first alternative that yields a non-empty value.
    static func value(
        _ source: String, form: [String: String], holder: LicenceHolder, decisionDate: LocalDate, caseNumber: String, issuerName: String
    ) -> String? {
        for part in source.split(separator: "|").map(String.init) {
            let value: String?
            switch part {
            case "holder.name": value = holder.name
            case "holder.code": value = holder.code
            case "decision.date": value = decisionDate.description
            case "case.number": value = caseNumber
            case "issuer.name": value = issuerName
            case let fixed where fixed.hasPrefix("fixed:"): value = String(fixed.dropFirst(6))
            case let field where field.hasPrefix("form."): value = form[String(field.dropFirst(5))]
            default: value = nil
            }
            if let value = value?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty { return value }
        }
        return nil
    }
}

/// 持证主体: the person or organisation the licence names.
public struct LicenceHolder: Codable, Sendable, Hashable {
    public var name: String
    /// 持证主体代码: a resident ID number or a unified social credit code.
    public var code: String
    public var codeType: String

    public init(name: String, code: String) {
        self.name = name
        self.code = code
        codeType = ResidentIDNumber.isValid(code) ? "居民身份证" : "统一社会信用代码"
    }

    public init(name: String, code: String, codeType: String) {
        self.name = name
        self.code = code
        self.codeType = codeType
    }
}

/// A licence's status in the catalogue of licences (证照目录).
public enum LicenceStatus: String, Codable, Sendable {
    /// 有效.
    case active
    /// 注销/废止, by the issuer with a reason.
    case revoked
    /// Replaced by a newer version (换证, 变更).
    case superseded

    public var chineseName: String {
        switch self {
        case .active: "有效"
        case .revoked: "已注销"
        case .superseded: "已换发新版"
        }
    }
}

/// One face entry as the licence shows it.
public struct FaceEntry: Codable, Sendable, Hashable {
    public var key: String
    public var label: String
    public var value: String

    public init(key: String, label: String, value: String) {
        self.key = key
        self.label = label
        self.value = value
    }
}

/// The signed licence document (电子证照文件 as data): the fields, then the seal's key id and the
/// signature over the canonical bytes.
public struct LicenceDocument: Codable, Sendable, Equatable {
    public var identifier: String
    public var typeCode: String
    public var name: String
    /// 证照编号, printed on the licence.
    public var number: String
    public var holder: LicenceHolder
    public var issuerName: String
    public var issuerCode: String
    public var issuedOn: String
    public var validFrom: String
    /// nil: 长期.
    public var validUntil: String?
    /// 关联证照标识: the version this one replaces.
    public var previous: String?
    public var face: [FaceEntry]
    public var keyID: String
    public var algorithm: String
    public var userID: String
    /// Base64 of the canonical bytes (informative: a verifier recomputes them from the fields).
    public var canonical: String
    /// Base64 of the DER SM2 signature.
    public var signature: String

    public static let format = "YIWANG-LICENCE/1"
    public static let algorithmName = "SM2-with-SM3"

    public init(
        identifier: String, typeCode: String, name: String, number: String, holder: LicenceHolder, issuerName: String, issuerCode: String,
        issuedOn: String, validFrom: String, validUntil: String?, previous: String?, face: [FaceEntry]
    ) {
        self.identifier = identifier
        self.typeCode = typeCode
        self.name = name
        self.number = number
        self.holder = holder
        self.issuerName = issuerName
        self.issuerCode = issuerCode
        self.issuedOn = issuedOn
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.previous = previous
        self.face = face
        keyID = ""
        algorithm = Self.algorithmName
        userID = NationalCrypto.userID
        canonical = ""
        signature = ""
    }

    /// The bytes the seal signs, UTF-8, one `name=value` line each ending in LF, in this order:
    /// the format line, identifier, typeCode, name, number, holderName, holderCode,
    /// holderCodeType, issuerName, issuerCode, issuedOn, validFrom, validUntil (empty for 长期),
    /// previous (empty for a first version), then for each face entry in the licence's order
    /// `face.<key>.label=<label>` and `face.<key>=<value>` (labels are signed too: a face whose
    /// labels were swapped is not the face issued).
    /// In values `\` is written `\\`, LF `\n` and CR `\r`, so every field is one line.
    public var canonicalBytes: [UInt8] {
        var lines = [Self.format]
        let fields: [(String, String)] = [
            ("identifier", identifier), ("typeCode", typeCode), ("name", name), ("number", number), ("holderName", holder.name),
            ("holderCode", holder.code), ("holderCodeType", holder.codeType), ("issuerName", issuerName), ("issuerCode", issuerCode),
            ("issuedOn", issuedOn), ("validFrom", validFrom), ("validUntil", validUntil ?? ""), ("previous", previous ?? ""),
        ]
        for (key, value) in fields { lines.append(key + "=" + Self.escape(value)) }
        for entry in face {
            lines.append("face." + Self.escape(entry.key) + ".label=" + Self.escape(entry.label))
            lines.append("face." + Self.escape(entry.key) + "=" + Self.escape(entry.value))
        }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// Escapes scalar by scalar: Swift counts CR LF as one Character, which `replacingOccurrences`
    /// of "\n" or "\r" alone would not touch.
    static func escape(_ value: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": escaped.append(contentsOf: "\\n".unicodeScalars)
            case "\r": escaped.append(contentsOf: "\\r".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    /// Signs the document with a seal: fills in the key id, the canonical bytes and the signature.
    public func sealed(with key: SM2PrivateKey, keyID: String) throws(DomainError) -> LicenceDocument {
        var document = self
        document.keyID = keyID
        let bytes = canonicalBytes
        document.canonical = Data(bytes).base64EncodedString()
        document.signature = Data(try key.sign(bytes)).base64EncodedString()
        return document
    }
}

/// What a verification says.
public enum LicenceVerdict: String, Codable, Sendable {
    case valid, expired, revoked, tampered
    case unknownKey = "unknown-key"
    case unknown

    public var chineseName: String {
        switch self {
        case .valid: "有效"
        case .expired: "已过期"
        case .revoked: "已注销"
        case .tampered: "内容被篡改或签名无效"
        case .unknownKey: "签章密钥不明"
        case .unknown: "未找到该证照"
        }
    }
}

/// The licence's record as the catalogue of licences holds it, for verification.
public struct LicenceStanding: Sendable, Equatable {
    public var status: LicenceStatus
    public var validUntil: LocalDate?
    public var revokedOn: String?
    public var reason: String?

    public init(status: LicenceStatus, validUntil: LocalDate?, revokedOn: String? = nil, reason: String? = nil) {
        self.status = status
        self.validUntil = validUntil
        self.revokedOn = revokedOn
        self.reason = reason
    }

    /// The verdict of the catalogue alone (the public status page): revoked or superseded, then
    /// expired by date, else valid.
    public func verdict(today: LocalDate) -> LicenceVerdict {
        if status != .active { return .revoked }
        if let validUntil, validUntil < today { return .expired }
        return .valid
    }

    /// The one verdict every view gives: a seal revoked on or before the day of issue could not
    /// have sealed the licence lawfully; then the catalogue's own standing.
    public func verdict(today: LocalDate, issuedOn: LocalDate?, sealRevokedOn: LocalDate?) -> LicenceVerdict {
        if let sealRevokedOn, let issuedOn, sealRevokedOn <= issuedOn { return .revoked }
        return verdict(today: today)
    }
}

/// What a verifier knows of the seal a document names: its public key from a certificate that
/// chains to the city root, the credit code that certificate names, its validity and the day it
/// was revoked (if it was).
public struct SealFacts: Sendable {
    public var key: SM2PublicKey
    public var owner: String?
    public var notBefore: LocalDate?
    public var notAfter: LocalDate?
    public var revokedOn: LocalDate?

    public init(key: SM2PublicKey, owner: String?, notBefore: LocalDate?, notAfter: LocalDate?, revokedOn: LocalDate? = nil) {
        self.key = key
        self.owner = owner
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.revokedOn = revokedOn
    }

    public init(certificate: SealCertificate, revokedOn: LocalDate? = nil) throws(DomainError) {
        self.init(
            key: try certificate.publicKey, owner: certificate.creditCode, notBefore: certificate.notBefore.map(LocalDate.init),
            notAfter: certificate.notAfter.map(LocalDate.init), revokedOn: revokedOn)
    }
}

/// Checks a presented document: its identifier (check character, and its parts the same as the
/// fields), its fields against the canonical bytes it carries, the seal's signature, that the
/// seal's certificate names the issuer the document names and was valid on the day of issue,
/// then the seal's revocation and the document's standing in the catalogue.
public enum LicenceVerification {
    public static func verdict(of document: LicenceDocument, seal: SealFacts?, standing: LicenceStanding?, today: LocalDate) -> LicenceVerdict {
        guard let identifier = try? LicenceIdentifier(document.identifier), identifier.typeCode == document.typeCode,
            identifier.issuerCode == document.issuerCode, let issued = try? LocalDate(document.issuedOn)
        else { return .tampered }
        let bytes = document.canonicalBytes
        if !document.canonical.isEmpty, Data(base64Encoded: document.canonical) != Data(bytes) { return .tampered }
        guard let seal else { return .unknownKey }
        guard document.algorithm == LicenceDocument.algorithmName, document.userID == NationalCrypto.userID,
            let signature = Data(base64Encoded: document.signature), seal.key.verify(signature: Array(signature), message: bytes)
        else { return .tampered }
        // Another department's seal, or a day outside the seal certificate's life: not what it claims.
        guard seal.owner == document.issuerCode else { return .tampered }
        if let notBefore = seal.notBefore, issued < notBefore { return .tampered }
        if let notAfter = seal.notAfter, notAfter < issued { return .tampered }
        guard let standing else {
            // A seal revoked on or before the day of issue could not have sealed it lawfully.
            if let revokedOn = seal.revokedOn, revokedOn <= issued { return .revoked }
            return .unknown
        }
        return standing.verdict(today: today, issuedOn: issued, sealRevokedOn: seal.revokedOn)
    }
}

/// The rules of a licence's life: validity, revocation, renewal and change of face data.
public enum LicenceRules {
    /// From the day of issue for the type's years (the day before the anniversary), or 长期.
    public static func validity(_ type: LicenceType, from day: LocalDate) -> (from: LocalDate, until: LocalDate?) {
        guard let years = type.validityYears,
            let anniversary = LocalDate(year: day.year + years, month: day.month, day: day.month == 2 && day.day == 29 ? 28 : day.day)
        else { return (day, nil) }
        return (day, anniversary.adding(days: -1))
    }

    /// The face as issued: each field from its source; a missing form value is refused, since a
    /// licence must not be issued with a blank face.
    public static func face(
        _ type: LicenceType, form: [String: String], holder: LicenceHolder, decisionDate: LocalDate, caseNumber: String, issuerName: String
    ) throws(DomainError) -> [FaceEntry] {
        var entries: [FaceEntry] = []
        for field in type.faceFields {
            guard let value = FaceSource.value(field.source, form: form, holder: holder, decisionDate: decisionDate, caseNumber: caseNumber, issuerName: issuerName)
            else {
                throw .conflict("licence.face_missing", "不能制发“\(type.name)”：照面信息“\(field.label)”没有取得数值，请核对申请表。")
            }
            entries.append(FaceEntry(key: field.key, label: field.label, value: value))
        }
        return entries
    }

    /// A revocation needs an active licence and a reason the holder is told.
    public static func checkRevocation(_ status: LicenceStatus, reason: String?) throws(DomainError) -> String {
        guard status == .active else { throw .conflict("licence.not_active", "该证照当前状态为“\(status.chineseName)”，不能注销。") }
        guard let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty, reason.count <= 500 else {
            throw .invalid("licence.reason_required", "注销证照须说明理由(不超过500字)，理由将告知持证人。", fields: [FieldError(field: "reason", message: "请填写注销理由。")])
        }
        return reason
    }

    /// Renewal (换证/延续) and change (变更) make a new version of an active licence: the serial
    /// stays, the version rises, the old one is superseded. A change must change something.
    public static func checkNewVersion(
        _ status: LicenceStatus, current: [FaceEntry], changes: [String: String], type: LicenceType
    ) throws(DomainError) -> [FaceEntry] {
        guard status == .active else { throw .conflict("licence.not_active", "只有有效的证照可以换发新版本。") }
        let known = Set(type.faceFields.map(\.key))
        if let unknown = changes.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalid("licence.face_unknown", "“\(type.name)”没有照面信息项“\(unknown)”。", fields: [FieldError(field: unknown, message: "无此信息项。")])
        }
        var face = current
        for index in face.indices {
            if let value = changes[face[index].key]?.trimmingCharacters(in: .whitespacesAndNewlines) {
                guard !value.isEmpty, value.count <= 200 else {
                    throw .invalid("licence.face_value", "照面信息“\(face[index].label)”不能为空且不超过200字。", fields: [FieldError(field: face[index].key, message: "请填写。")])
                }
                face[index].value = value
            }
        }
        return face
    }
}
