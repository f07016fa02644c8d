import Foundation

/// Chinese names for what the trail records, so supervisors read 登录 rather than `auth.signIn`.
/// The codes stay the stable keys; unknown codes are shown as they are.
public enum AuditVocabulary {
    static let actions: [String: String] = [
        "auth.signIn": "登录", "auth.signInRefused": "登录被拒", "auth.signOut": "退出登录",
        "auth.signOutEverywhere": "退出所有设备", "auth.tokenIssued": "签发访问令牌", "auth.tokenRevoked": "撤销访问令牌",
        "applicant.register": "申请人注册", "applicant.lookUp": "查找申请人", "personalData.reveal": "查看完整个人信息",
        "agent.grant": "授权经办人", "agent.revoke": "撤销经办人", "agent.actFor": "代企业办理", "agent.actForSelf": "回到个人身份",
        "staff.create": "新建工作人员账号", "staff.grant": "授予角色", "staff.revoke": "撤销角色", "staff.disable": "停用账号",
        "staff.enable": "启用账号", "staff.resetPassword": "重置密码", "catalog.import": "目录导入",
        "calendar.set": "录入节假日安排", "privacy.rotateKeys": "轮换数据密钥", "notification.resend": "重发通知",
        "case.create": "新建办件", "case.deadlineWarning": "办件即将到期预警", "case.deadlineOverdue": "办件超期告警",
        "case.material": "提交材料", "case.materialReuse": "复用材料", "case.updateForm": "修改申请表", "case.print": "打印文书",
        "case.materialDownload": "查阅材料文件", "auth.passwordResetRequested": "申请找回密码", "auth.passwordReset": "找回密码并重设",
        "auth.passwordResetRefused": "找回密码验证码错误", "audit.restored": "从备份恢复数据库",
    ]

    /// The Chinese name of an action code, including the catalog's and the cases' own steps.
    public static func action(_ code: String) -> String {
        if let name = actions[code] { return name }
        if code.hasPrefix("catalog."), let step = CatalogEventAction(rawValue: String(code.dropFirst(8))) { return "事项" + step.chineseName }
        if code.hasPrefix("case."), let step = CaseAction(rawValue: String(code.dropFirst(5))) { return "办件" + step.chineseName }
        return code
    }

    public static func channel(_ code: String) -> String {
        ["web": "网页", "kiosk": "自助终端", "api": "应用接口", "cli": "命令行", "system": "平台", "window": "综合窗口"][code] ?? code
    }

    /// Role codes as stored (comma-separated) in Chinese.
    public static func roles(_ codes: String?) -> String? {
        guard let codes, !codes.isEmpty else { return nil }
        return codes.split(separator: ",").map { StaffRole(rawValue: String($0))?.chineseName ?? String($0) }.joined(separator: "、")
    }
}
