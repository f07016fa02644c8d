import Foundation

/// How personal identifiers are shown by default: enough to recognise, never enough to use.
public enum PersonalData {
    public enum Kind: String, Sendable, Codable {
        case idNumber, phone, creditCode, name, email
    }

    /// 5201**********123X, 138****5678, 92520102********1X, 张*, zh***@example.cn.
    public static func mask(_ value: String, as kind: Kind) -> String {
        let characters = Array(value)
        func keep(_ head: Int, _ tail: Int) -> String {
            guard characters.count > head + tail else { return String(repeating: "*", count: characters.count) }
            return String(characters.prefix(head)) + String(repeating: "*", count: characters.count - head - tail)
                + String(characters.suffix(tail))
        }
        switch kind {
        case .idNumber: return keep(4, 4)
        case .phone: return keep(3, 4)
        case .creditCode: return keep(8, 2)
        case .email:
            guard let at = value.firstIndex(of: "@") else { return keep(1, 0) }
            let local = value[..<at]
            return String(local.prefix(local.count > 3 ? 2 : 1)) + "***" + String(value[at...])
        case .name:
            guard let first = characters.first else { return "" }
            return String(first) + String(repeating: "*", count: max(1, characters.count - 1))
        }
    }

    /// Whether a credit code belongs to a natural-person business (个体工商户, 9-2…), whose code is personal data.
    public static func isNaturalPersonBusiness(_ creditCode: String) -> Bool {
        creditCode.hasPrefix("92")
    }
}
