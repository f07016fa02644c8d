import Foundation

/// 公民身份号码 (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit sequence and an
/// ISO 7064 MOD 11-2 check character (0–9 or X).
public struct ResidentIDNumber: Hashable, Sendable, CustomStringConvertible, Codable {
    public let value: String

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432")

    /// Validates and normalises (trims, upper-cases a trailing x). `today` bounds the birth date.
    public init(_ raw: String, today: Date? = nil) throws(DomainError) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard text.count == 18 else {
            throw .invalid("code.id_number_length", "公民身份号码应为18位，实际为\(text.count)位。")
        }
        let characters = Array(text)
        guard characters.prefix(17).allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw .invalid("code.id_number_character", "公民身份号码前17位应全部为数字，只有最后一位可以是X。")
        }
        guard let last = characters.last, (last.isASCII && last.isNumber) || last == "X" else {
            throw .invalid("code.id_number_character", "公民身份号码最后一位应为数字或X。")
        }
        guard let birth = Self.birthDate(String(characters[6..<14])) else {
            throw .invalid("code.id_number_birth_date", "公民身份号码中的出生日期“\(String(characters[6..<14]))”不是有效日期。")
        }
        if let today, birth > today {
            throw .invalid("code.id_number_birth_date", "公民身份号码中的出生日期晚于今天。")
        }
        guard Self.checkCharacter(forFirst17: characters.prefix(17).map { $0 }) == last else {
            throw .invalid("code.id_number_check", "公民身份号码校验位不正确，请核对后重新输入。")
        }
        value = text
    }

    /// The check character for 17 leading digits, or nil if any is not a digit.
    public static func checkCharacter(forFirst17 digits: [Character]) -> Character? {
        guard digits.count == 17 else { return nil }
        var sum = 0
        for (offset, character) in digits.enumerated() {
            guard let digit = character.wholeNumberValue, character.isASCII else { return nil }
            sum += digit * weights[offset]
        }
        return checkCharacters[sum % 11]
    }

    /// YYYYMMDD as a real day (19900230 is not one), from 1880 on.
    static func birthDate(_ text: String) -> Date? {
        guard text.count == 8, let year = Int(text.prefix(4)), year >= 1880 else { return nil }
        return ChinaTime.startOfDay(text.prefix(4) + "-" + text.dropFirst(4).prefix(2) + "-" + text.suffix(2))
    }

    public static func isValid(_ raw: String) -> Bool { (try? ResidentIDNumber(raw)) != nil }

    /// The birth date as YYYY-MM-DD.
    public var birthDate: String {
        let digits = Array(value)
        return String(digits[6..<10]) + "-" + String(digits[10..<12]) + "-" + String(digits[12..<14])
    }

    /// 区划 of the registration place (positions 1–6).
    public var regionCode: String { String(value.prefix(6)) }

    public var description: String { PersonalData.mask(value, as: .idNumber) }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

/// Mainland mobile numbers: 11 digits starting with 1[3-9].
public struct MobileNumber: Hashable, Sendable, Codable {
    public let value: String

    public init(_ raw: String) throws(DomainError) {
        var text = raw.filter { !$0.isWhitespace && $0 != "-" }
        if text.hasPrefix("+86") { text.removeFirst(3) }
        let digits = Array(text)
        guard digits.count == 11, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits[0] == "1",
            let second = digits[1].wholeNumberValue, second >= 3
        else {
            throw .invalid("code.mobile_number", "手机号码应为11位数字，以13至19开头。")
        }
        value = text
    }
}

/// An e-mail address as the platform accepts it: one @, a dotted domain, no spaces, lower-cased.
public struct EmailAddress: Hashable, Sendable, Codable {
    public let value: String

    public init(_ raw: String) throws(DomainError) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard text.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !text.contains(where: { $0.isWhitespace || $0.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) } })
        else { throw .invalid("code.email", "应为有效的电子邮箱地址。") }
        value = text.lowercased()
    }
}
