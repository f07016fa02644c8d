import Foundation

/// The names people and organisations register under, and staff account names.
public enum Names {
    /// A natural person's name as on the ID card: 2–40 characters, no digits or markup characters.
    /// Chinese numerals are letters of a name (张三, 王五): only decimal digits are refused.
    public static func person(_ raw: String) throws(DomainError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let hasDigit = name.unicodeScalars.contains { $0.properties.numericType == .decimal }
        guard (2...40).contains(name.count), !hasDigit, !name.contains(where: { "<>\"'&;/\\".contains($0) }) else {
            throw .invalid("name.person", "请填写与证件一致的姓名(2至40个字符，不含数字和符号)。")
        }
        return name
    }

    /// An organisation's name as on its licence: 2–100 characters, no markup characters.
    public static func organisation(_ raw: String) throws(DomainError) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...100).contains(name.count), !name.contains(where: { "<>\"\\".contains($0) }) else {
            throw .invalid("name.organisation", "请填写与营业执照一致的名称(2至100个字符)。")
        }
        return name
    }

    /// Staff account names: 3–40 lower-case letters, digits, dots, dashes and underscores.
    public static func staffAccount(_ raw: String) throws(DomainError) -> String {
        let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard (3...40).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }) else {
            throw .invalid("staff.account_name", "账号应为3到40位的小写字母、数字、点、横线或下划线。", fields: [FieldError(field: "account", message: "账号格式不正确。")])
        }
        return name
    }
}
