import Foundation

/// 事项类型: the legal kind of a service item, with its national type code (GB/T 39046-2020 表 A.1).
public enum ItemType: String, Codable, CaseIterable, Sendable, Hashable {
    case license
    case confirmation
    case adjudication
    case benefit
    case reward
    case filing
    case levy
    case otherPower
    case publicService

    /// The two-digit national type code used inside a base code (positions 3–4).
    /// 行政备案 has no national code; we use the extension code 15 (11–19 are reserved for
    /// local extensions) until one is published.
    public var nationalCode: String {
        switch self {
        case .license: "01"
        case .levy: "04"
        case .benefit: "05"
        case .confirmation: "07"
        case .reward: "08"
        case .adjudication: "09"
        case .otherPower: "10"
        case .filing: "15"
        case .publicService: "20"
        }
    }

    public var chineseName: String {
        switch self {
        case .license: "行政许可"
        case .confirmation: "行政确认"
        case .adjudication: "行政裁决"
        case .benefit: "行政给付"
        case .reward: "行政奖励"
        case .filing: "行政备案"
        case .levy: "行政征收"
        case .otherPower: "其他行政权力"
        case .publicService: "公共服务"
        }
    }

    public init?(nationalCode: String) {
        guard let match = ItemType.allCases.first(where: { $0.nationalCode == nationalCode }) else { return nil }
        self = match
    }

    /// Accepts the English name, the national code or the Chinese name, so that imports from
    /// other provincial systems map cleanly.
    public init?(anyName value: String) {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let byName = ItemType(rawValue: trimmed) {
            self = byName
        } else if let byCode = ItemType(nationalCode: trimmed) {
            self = byCode
        } else if let byChinese = ItemType.allCases.first(where: { $0.chineseName == trimmed }) {
            self = byChinese
        } else {
            return nil
        }
    }
}
