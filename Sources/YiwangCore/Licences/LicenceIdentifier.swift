import Foundation

/// 电子证照标识 (GB/T 36904): `1.2.156.3005.2.<类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>`.
///
/// - 证照类型代码: the defining body's 18-character credit code and a 3-digit sequence (21).
/// - 颁发机构代码: the issuer's credit code (old data has a 6-digit region code; accepted).
/// - 流水号: chosen by the issuer; here the year and a 6-digit serial, e.g. `2026000417`.
/// - 版本号: 3 digits, `001` for the first version, raised by renewal and change.
/// - 校验位: ISO/IEC 7064 MOD 37,36 over the four parts concatenated without dots.
public struct LicenceIdentifier: Hashable, Sendable, CustomStringConvertible, Codable {
    public static let root = "1.2.156.3005.2"
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    public let typeCode: String
    public let issuerCode: String
    public let serial: String
    public let version: Int

    /// A new identifier; the parts are checked, the check character computed.
    public init(typeCode: String, issuerCode: String, serial: String, version: Int) throws(DomainError) {
        let type = typeCode.uppercased(), issuer = issuerCode.uppercased(), serial = serial.uppercased()
        guard type.count == 21, CreditCode.isValid(String(type.prefix(18))), type.suffix(3).allSatisfy(\.isASCIIDigit) else {
            throw .invalid("licence.type_code", "证照类型代码应为定义机构的18位统一社会信用代码加3位数字，共21位。")
        }
        guard CreditCode.isValid(issuer) || (issuer.count == 6 && issuer.allSatisfy(\.isASCIIDigit)) else {
            throw .invalid("licence.issuer_code", "证照颁发机构代码应为18位统一社会信用代码(或旧数据的6位行政区划代码)。")
        }
        guard (1...40).contains(serial.count), serial.allSatisfy({ Self.alphabet.contains($0) }) else {
            throw .invalid("licence.serial", "证照流水号应为1至40位数字或大写字母。")
        }
        guard (1...999).contains(version) else { throw .invalid("licence.version", "证照版本号应在001至999之间。") }
        self.typeCode = type
        self.issuerCode = issuer
        self.serial = serial
        self.version = version
    }

    /// Parses an identifier as written; a wrong check character is refused.
    public init(_ raw: String) throws(DomainError) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard text.hasPrefix(Self.root + ".") else {
            throw .invalid("licence.identifier_format", "电子证照标识应以 \(Self.root) 开头。")
        }
        let parts = text.dropFirst(Self.root.count + 1).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[3].count == 3, parts[3].allSatisfy(\.isASCIIDigit), let version = Int(parts[3]), parts[4].count == 1 else {
            throw .invalid("licence.identifier_format", "电子证照标识应为“根代码.证照类型代码.颁发机构代码.流水号.版本号.校验位”。")
        }
        try self.init(typeCode: parts[0], issuerCode: parts[1], serial: parts[2], version: version)
        guard parts[4] == String(checkCharacter) else {
            throw .invalid("licence.identifier_check", "电子证照标识的校验位不正确，请核对后重新输入。")
        }
        // One written form only: an identifier names one licence, byte for byte.
        guard description == text else {
            throw .invalid("licence.identifier_format", "电子证照标识的写法不规范，请按证照上的标识原样输入。")
        }
    }

    /// The same licence's next version (renewal or a change of face data).
    public func nextVersion() throws(DomainError) -> LicenceIdentifier {
        try LicenceIdentifier(typeCode: typeCode, issuerCode: issuerCode, serial: serial, version: version + 1)
    }

    public var versionText: String { String(format: "%03d", version) }

    public var checkCharacter: Character { Self.check(typeCode + issuerCode + serial + versionText) ?? "0" }

    public var description: String {
        [Self.root, typeCode, issuerCode, serial, versionText, String(checkCharacter)].joined(separator: ".")
    }

    /// ISO/IEC 7064 MOD 37,36 (hybrid) over `0-9A-Z`; nil when a character is outside it.
    public static func check(_ text: String) -> Character? {
        let modulus = 36
        var product = modulus
        for character in text {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            var sum = (product + value) % modulus
            if sum == 0 { sum = modulus }
            product = (2 * sum) % (modulus + 1)
        }
        return alphabet[(modulus + 1 - product) % modulus]
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
