import Foundation

/// 统一社会信用代码 (GB 32100-2015): 18 characters, the last a MOD 31 check character.
public struct CreditCode: Hashable, Sendable, CustomStringConvertible, Codable {
    public let value: String

    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// Validates and normalises (trims, upper-cases) a credit code.
    public init(_ raw: String) throws(DomainError) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard text.count == 18 else {
            throw .invalid("code.credit_code_length", "统一社会信用代码应为18位，实际为\(text.count)位。")
        }
        if let character = text.first(where: { !CreditCode.alphabet.contains($0) }) {
            throw .invalid("code.credit_code_character", "统一社会信用代码含有不允许的字符“\(character)”(不使用 I、O、S、V、Z)。")
        }
        guard let expected = CreditCode.checkCharacter(forFirst17: Array(text.prefix(17))),
            expected == text.last
        else {
            throw .invalid("code.credit_code_check", "统一社会信用代码“\(text)”校验位不正确。")
        }
        value = text
    }

    /// The check character for 17 leading characters, or nil if any is outside the alphabet.
    public static func checkCharacter(forFirst17 characters: [Character]) -> Character? {
        guard characters.count == 17 else { return nil }
        var sum = 0
        for (offset, character) in characters.enumerated() {
            guard let index = alphabet.firstIndex(of: character) else { return nil }
            sum += index * weights[offset]
        }
        let check = (31 - sum % 31) % 31
        return alphabet[check]
    }

    public static func isValid(_ raw: String) -> Bool { (try? CreditCode(raw)) != nil }

    /// 登记管理机关行政区划码 (positions 3–8).
    public var regionCode: String { String(value.dropFirst(2).prefix(6)) }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        try self.init(raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
