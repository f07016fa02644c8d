import Foundation

/// 行政区划 level. The province sits above the four city levels of SPEC C1.
public enum RegionLevel: String, Codable, CaseIterable, Sendable, Comparable {
    case province, city, county, township, village

    public var chineseName: String {
        switch self {
        case .province: "省"
        case .city: "市"
        case .county: "县(区)"
        case .township: "乡镇(街道)"
        case .village: "村(社区)"
        }
    }

    /// Depth below the province, used to order levels.
    public var depth: Int { RegionLevel.allCases.firstIndex(of: self)! }

    public static func < (lhs: RegionLevel, rhs: RegionLevel) -> Bool { lhs.depth < rhs.depth }
}

/// 服务对象.
public enum ServiceTarget: String, Codable, CaseIterable, Sendable, Hashable {
    case naturalPerson, legalPerson

    public var chineseName: String {
        switch self {
        case .naturalPerson: "自然人"
        case .legalPerson: "法人"
        }
    }
}

/// 办理形式: where a case can be handled.
public enum HandlingChannel: String, Codable, CaseIterable, Sendable, Hashable {
    case window, online, postal, kiosk, mobile, api

    public var chineseName: String {
        switch self {
        case .window: "窗口办理"
        case .online: "网上办理"
        case .postal: "快递申请"
        case .kiosk: "自助终端"
        case .mobile: "移动端办理"
        case .api: "系统对接"
        }
    }
}

/// 办件类型: 即办件 decided on the spot, 承诺件 within a promised limit.
public enum ProcessingKind: String, Codable, CaseIterable, Sendable, Hashable {
    case immediate, promised

    public var chineseName: String {
        switch self {
        case .immediate: "即办件"
        case .promised: "承诺件"
        }
    }
}

/// 通办范围: where else, besides the handling department, an application can be received.
public enum HandlingScope: String, Codable, CaseIterable, Sendable, Hashable {
    case none, cityWide, regionWide, crossProvince

    public var chineseName: String {
        switch self {
        case .none: "不通办"
        case .cityWide: "同城通办"
        case .regionWide: "区内通办"
        case .crossProvince: "跨省通办"
        }
    }
}

/// Where a material comes from. Materials the platform already holds are never asked again (免提交).
public enum MaterialSource: String, Codable, CaseIterable, Sendable, Hashable {
    case applicant, eLicence, sharedData, issuingAuthority

    public var chineseName: String {
        switch self {
        case .applicant: "申请人自备"
        case .eLicence: "电子证照库调取(免提交)"
        case .sharedData: "数据共享获取(免提交)"
        case .issuingAuthority: "其他机构出具"
        }
    }

    /// The platform already holds it (电子证照库 or 数据共享): the applicant never submits it.
    public var isHeldByPlatform: Bool { self == .eLicence || self == .sharedData }
}

/// 行使层级 (GB/T 39046 表 A.2); the digit sits at position 19 of an implementation code.
public enum ExerciseLevel: Int, Codable, CaseIterable, Sendable {
    case national = 1, provincial, municipal, county, township, village, tiered

    public var chineseName: String {
        switch self {
        case .national: "国家级"
        case .provincial: "省级"
        case .municipal: "市级"
        case .county: "县级"
        case .township: "镇(乡、街道)级"
        case .village: "村(社区)级"
        case .tiered: "分级管理"
        }
    }
}
