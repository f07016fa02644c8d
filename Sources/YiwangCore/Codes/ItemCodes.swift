import Foundation

/// 基本编码: 12 characters `RR TT MMMMM SSS` — region, item type, main item, sub-item.
public struct BaseCode: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    /// Letters allowed in the main-item code once digits run out (no I, O, Z, S, V).
    static let mainAlphabet = Set("0123456789ABCDEFGHJKLMNPQRTUWXY")

    public init(_ raw: String) throws(DomainError) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard text.count == 12 else {
            throw .invalid("code.base_code_length", "事项基本编码应为12位，实际为\(text.count)位。")
        }
        let chars = Array(text)
        guard chars[0..<2].allSatisfy(\.isASCIIDigit) else {
            throw .invalid("code.base_code_region", "事项基本编码第1–2位应为区划代码数字。")
        }
        let typeCode = String(chars[2..<4])
        guard ItemType(nationalCode: typeCode) != nil else {
            throw .invalid("code.base_code_type", "事项基本编码第3–4位“\(typeCode)”不是有效的事项类型代码。")
        }
        guard chars[4..<9].allSatisfy({ BaseCode.mainAlphabet.contains($0) }) else {
            throw .invalid("code.base_code_main", "事项基本编码第5–9位主项代码只能使用数字和除 I、O、Z、S、V 外的字母。")
        }
        let sub = String(chars[9..<12])
        guard sub == "00Y" || (sub.allSatisfy(\.isASCIIDigit)) else {
            throw .invalid("code.base_code_sub", "事项基本编码第10–12位子项代码应为000、00Y或001–999。")
        }
        value = text
    }

    public static func isValid(_ raw: String) -> Bool { (try? BaseCode(raw)) != nil }

    public var regionPart: String { String(value.prefix(2)) }
    public var type: ItemType { ItemType(nationalCode: String(value.dropFirst(2).prefix(2)))! }
    public var mainItem: String { String(value.dropFirst(4).prefix(5)) }
    public var subItem: String { String(value.suffix(3)) }
    public var description: String { value }
}

/// 实施编码: 31 characters = implementing body's credit code (18) + 行使层级 (1) + base code (12).
public struct ImplementationCode: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public let creditCode: CreditCode
    public let level: ExerciseLevel
    public let baseCode: BaseCode

    public init(_ raw: String) throws(DomainError) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard text.count == 31 else {
            throw .invalid("code.implementation_code_length", "事项实施编码应为31位，实际为\(text.count)位。")
        }
        let credit = try CreditCode(String(text.prefix(18)))
        let levelCharacter = text[text.index(text.startIndex, offsetBy: 18)]
        guard let digit = levelCharacter.wholeNumberValue, let level = ExerciseLevel(rawValue: digit) else {
            throw .invalid("code.implementation_code_level", "事项实施编码第19位“\(levelCharacter)”不是有效的行使层级代码(1–7)。")
        }
        let base = try BaseCode(String(text.suffix(12)))
        self.init(creditCode: credit, level: level, baseCode: base)
    }

    public init(creditCode: CreditCode, level: ExerciseLevel, baseCode: BaseCode) {
        self.creditCode = creditCode
        self.level = level
        self.baseCode = baseCode
        value = creditCode.value + String(level.rawValue) + baseCode.value
    }

    public static func isValid(_ raw: String) -> Bool { (try? ImplementationCode(raw)) != nil }

    public var description: String { value }
}

/// 行政区划代码 (GB/T 2260 + township/village extension): 12 digits, or the 6-digit county form.
public struct RegionCode: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ raw: String) throws(DomainError) {
        var text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.allSatisfy(\.isASCIIDigit), text.count == 6 || text.count == 9 || text.count == 12 else {
            throw .invalid("code.region_code", "行政区划代码应为6、9或12位数字。")
        }
        text += String(repeating: "0", count: 12 - text.count)
        guard text.prefix(2) != "00" else {
            throw .invalid("code.region_code", "行政区划代码的省级代码不能为00。")
        }
        value = text
    }

    /// The level a code denotes by which of its parts are zero.
    public var impliedLevel: RegionLevel {
        let c = Array(value)
        if String(c[9..<12]) != "000" { return .village }
        if String(c[6..<9]) != "000" { return .township }
        if String(c[4..<6]) != "00" { return .county }
        if String(c[2..<4]) != "00" { return .city }
        return .province
    }

    /// The leading digits every region inside this one shares (for prefix queries).
    public var subtreePrefix: String {
        let significant: Int
        switch impliedLevel {
        case .province: significant = 2
        case .city: significant = 4
        case .county: significant = 6
        case .township: significant = 9
        case .village: significant = 12
        }
        return String(value.prefix(significant))
    }

    /// Whether `other` lies inside this region (or is it).
    public func contains(_ other: RegionCode) -> Bool {
        other.value.hasPrefix(subtreePrefix)
    }

    public var description: String { value }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
