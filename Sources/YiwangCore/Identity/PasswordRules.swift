import Foundation

/// Minimum strength for every password on the platform (staff and applicants alike).
public enum PasswordRules {
    public static let minimumLength = 10
    public static let maximumLength = 128

    /// Passwords seen so often in leaks that no length makes them acceptable.
    static let common: Set<String> = [
        "1234567890", "12345678910", "123456789a", "a123456789", "password123", "password1234", "qwertyuiop",
        "1qaz2wsx3edc", "qwer1234qwer", "abc1234567", "woaini1314", "iloveyou123", "88888888888", "admin12345",
        "admin123456", "zxcvbnm123", "aa12345678", "11111111111", "00000000000", "1q2w3e4r5t",
        // The demo city's published password: never a real account's.
        "yiwang-demo-2026",
    ]

    /// Every reason a password is too weak, in Chinese; empty when it is acceptable.
    public static func problems(in password: String, account: String? = nil) -> [String] {
        var problems: [String] = []
        if password.count < minimumLength { problems.append("密码至少需要\(minimumLength)个字符。") }
        if password.count > maximumLength { problems.append("密码不能超过\(maximumLength)个字符。") }
        // bcrypt reads only the first 72 bytes: anything after them would be silently ignored.
        if password.utf8.count > 72 { problems.append("密码不能超过72个字节(约24个汉字或72个英文字符)。") }
        let classes = [
            password.contains { $0.isASCII && $0.isLowercase },
            password.contains { $0.isASCII && $0.isUppercase },
            password.contains { $0.isASCII && $0.isNumber },
            password.contains { !($0.isASCII && ($0.isLetter || $0.isNumber)) },
        ].filter { $0 }.count
        if classes < 3 { problems.append("密码应至少包含大写字母、小写字母、数字、符号中的三类。") }
        let lowered = password.lowercased()
        if common.contains(lowered) { problems.append("该密码过于常见，请换一个。") }
        if let account, account.count >= 4, lowered.contains(account.lowercased()) {
            problems.append("密码不能包含账号或证件号码。")
        }
        if Set(password).count < 4 { problems.append("密码中的不同字符过少。") }
        return problems
    }

    public static func check(_ password: String, account: String? = nil, field: String = "password") throws(DomainError) {
        let found = problems(in: password, account: account)
        guard found.isEmpty else {
            throw .invalid("auth.weak_password", "密码强度不足：" + found.joined(), fields: found.map { FieldError(field: field, message: $0) })
        }
    }
}
