import Foundation

/// 找回密码 by a code sent to the phone on file: the rules every reset follows.
public enum PasswordReset {
    public static let codeLength = 6
    /// A code is good for ten minutes, for five tries, once.
    public static let validFor: TimeInterval = 10 * 60
    public static let maximumAttempts = 5
    /// A new code for the same account no sooner than a minute after the last.
    public static let resendAfter: TimeInterval = 60

    /// Six random digits.
    public static func newCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<codeLength).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
    }

    /// Whether a code on file may still be tried now; refuses with the reason in Chinese.
    public static func checkUsable(expiresAt: Date, usedAt: Date?, attempts: Int, now: Date) throws(DomainError) {
        if usedAt != nil { throw .conflict("reset.used", "该验证码已使用，请重新获取。") }
        if attempts >= maximumAttempts { throw .conflict("reset.exhausted", "验证码错误次数过多，请重新获取。") }
        if now >= expiresAt { throw .conflict("reset.expired", "验证码已过期，请重新获取。") }
    }

    /// The text of the SMS, and the same text with the code hidden for the gateway's log.
    public static func message(code: String) -> (sent: String, logged: String) {
        let text = { (shown: String) in "【一网通办】您正在找回密码，验证码 \(shown)，\(Int(validFor / 60))分钟内有效。如非本人操作，请忽略。" }
        return (text(code), text(String(repeating: "*", count: code.count)))
    }
}
