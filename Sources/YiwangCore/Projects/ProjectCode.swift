import Foundation

/// 项目类型代码 of a project code: how the investment is controlled.
public enum ProjectType: String, Codable, CaseIterable, Sendable, Hashable {
    /// 审批: government-funded projects.
    case approval
    /// 核准: listed enterprise projects.
    case ratification
    /// 备案: every other enterprise project.
    case filing

    public var nationalCode: String {
        switch self {
        case .approval: "01"
        case .ratification: "02"
        case .filing: "03"
        }
    }

    public var chineseName: String {
        switch self {
        case .approval: "审批"
        case .ratification: "核准"
        case .filing: "备案"
        }
    }

    public init?(nationalCode: String) {
        guard let match = ProjectType.allCases.first(where: { $0.nationalCode == nationalCode }) else { return nil }
        self = match
    }
}

/// How the last character of a project code is checked. GB/T 40058-2021's own algorithm was not
/// read (STANDARDS.md §10), so the scheme is a setting rather than a fact baked in.
public enum ProjectCodeCheck: String, Codable, CaseIterable, Sendable, Hashable {
    /// Our convention: ISO 7064 MOD 11-2 over the 19 digits, as in the resident ID number.
    case iso7064Mod11_2
    /// Only that the last character is 0–9 or X: for codes from a platform whose algorithm differs.
    case characterOnly
}

/// 投资项目代码 (GB/T 40058-2021): one identifier for a project through its whole construction,
/// printed as 24 characters `YYYY-RRRRRR-DD-TT-NNNNNC`: 时间代码 (year given), 地区代码 (6-digit
/// 行政区划 code of the approving place), 中央业务指导部门代码 (2 digits), 项目类型代码 (2 digits),
/// 随机码 (5 digits) and one check character. See docs/projects.md.
public struct ProjectCode: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The hyphenated form, 24 characters.
    public let value: String

    /// The earliest 时间代码 accepted: older codes belong to no platform that issued this format.
    public static let earliestYear = 1990

    /// Lengths of the parts, in order; the last part holds the 5-digit random code and the check.
    static let partLengths = [4, 6, 2, 2, 6]

    /// 省级行政区划代码 in use (GB/T 2260): 31 provinces, Taiwan, Hong Kong and Macao.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
        "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ]

    /// Validates a code given by a person or another system, with or without hyphens; `today`
    /// bounds the year (a code may be given in December for the next year's plan).
    public init(_ raw: String, today: LocalDate, check: ProjectCodeCheck = .iso7064Mod11_2) throws(DomainError) {
        let compact = try Self.structure(raw)
        let year = Int(compact.prefix(4)) ?? 0
        guard year <= today.year + 1 else {
            throw .invalid("project.code_year", "投资项目代码的时间代码“\(year)”晚于\(today.year + 1)年，不是有效的赋码年份。")
        }
        if check == .iso7064Mod11_2 {
            let expected = Self.checkCharacter(forDigits: String(compact.prefix(19)))
            guard let expected, compact.last == expected else {
                throw .invalid("project.code_check", "投资项目代码“\(Self.hyphenated(compact))”校验码不正确，请核对后重新输入。")
            }
        }
        value = Self.hyphenated(compact)
    }

    /// A code read back from storage: checked when it was given, so only its shape is checked
    /// again (a stored code stays readable whatever check scheme is configured later).
    public init(stored raw: String) throws(DomainError) {
        value = Self.hyphenated(try Self.structure(raw))
    }

    /// A new code from its parts, with its check character computed (ISO 7064 MOD 11-2).
    public static func make(year: Int, region: String, industry: String, type: ProjectType, serial: Int) throws(DomainError) -> ProjectCode {
        guard (earliestYear...9999).contains(year) else {
            throw .invalid("project.code_year", "投资项目代码的时间代码应为\(earliestYear)年以后的四位年份。")
        }
        if let problem = regionProblem(region) { throw .invalid("project.code_region", problem) }
        guard industry.count == 2, industry.allSatisfy(\.isASCIIDigit) else {
            throw .invalid("project.code_industry", "中央业务指导部门代码应为2位数字。")
        }
        guard (0...99_999).contains(serial) else {
            throw .invalid("project.code_serial", "投资项目代码的随机码应为0至99999之间的数字。")
        }
        let digits = String(format: "%04d", year) + region + industry + type.nationalCode + String(format: "%05d", serial)
        guard let check = checkCharacter(forDigits: digits) else {
            throw .invalid("project.code_character", "投资项目代码前19位应全部为数字。")
        }
        return try ProjectCode(stored: digits + String(check))
    }

    public static func isValid(_ raw: String, today: LocalDate, check: ProjectCodeCheck = .iso7064Mod11_2) -> Bool {
        (try? ProjectCode(raw, today: today, check: check)) != nil
    }

    /// ISO 7064 MOD 11-2 (pure system): 0–9 or X for a string of decimal digits, nil for anything
    /// else. For 17 digits it is the check character of the resident ID number.
    public static func checkCharacter(forDigits digits: String) -> Character? {
        guard !digits.isEmpty else { return nil }
        var p = 0
        for character in digits {
            guard character.isASCIIDigit, let digit = character.wholeNumberValue else { return nil }
            p = (p + digit) * 2 % 11
        }
        let check = (12 - p) % 11
        return check == 10 ? "X" : Character(String(check))
    }

    /// Why a 6-digit 行政区划 code cannot be a region of a project code, or nil when it can:
    /// a province in use, and a city part that is set whenever the county part is.
    public static func regionProblem(_ region: String) -> String? {
        guard region.count == 6, region.allSatisfy(\.isASCIIDigit) else {
            return "地区代码“\(region.prefix(12))”应为6位行政区划代码。"
        }
        guard provinces.contains(String(region.prefix(2))) else {
            return "地区代码“\(region)”的省级代码“\(region.prefix(2))”不是有效的省级行政区划代码。"
        }
        let city = region.dropFirst(2).prefix(2)
        let county = region.suffix(2)
        if city == "00" && county != "00" {
            return "地区代码“\(region)”的形式不正确：县级代码不为00时，地级代码不能为00。"
        }
        return nil
    }

    // MARK: - Parts

    /// The 20 characters without hyphens.
    public var compact: String { value.filter { $0 != "-" } }
    /// 时间代码: the year the code was given.
    public var year: Int { Int(compact.prefix(4)) ?? 0 }
    /// 地区代码: the 行政区划 code of the approving place.
    public var region: String { String(compact.dropFirst(4).prefix(6)) }
    /// 中央业务指导部门代码.
    public var industry: String { String(compact.dropFirst(10).prefix(2)) }
    /// 项目类型代码; a stored code always has one of the known types.
    public var type: ProjectType { ProjectType(nationalCode: String(compact.dropFirst(12).prefix(2))) ?? .filing }
    /// 随机码.
    public var serial: String { String(compact.dropFirst(14).prefix(5)) }
    public var checkCharacter: Character { compact.last ?? "0" }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        try self.init(stored: raw)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    // MARK: - Checks every code passes

    /// Normalises (trims, upper-cases, full-width hyphens) and checks everything but the upper
    /// year bound and the check scheme; returns the 20 characters without hyphens.
    static func structure(_ raw: String) throws(DomainError) -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            .replacingOccurrences(of: "－", with: "-").replacingOccurrences(of: "—", with: "-")
        if text.contains("-") {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.map(\.count) == partLengths else {
                throw .invalid(
                    "project.code_format",
                    "投资项目代码应写成“年份-地区代码-行业代码-类型代码-随机码和校验码”，即4-6-2-2-6位，如“2026-350102-48-01-000124”。")
            }
        }
        let compact = text.filter { $0 != "-" }
        guard compact.count == 20 else {
            throw .invalid("project.code_length", "投资项目代码应为24位(含连字符)或20位(不含连字符)，实际为\(text.count)位。")
        }
        guard compact.prefix(19).allSatisfy(\.isASCIIDigit) else {
            throw .invalid("project.code_character", "投资项目代码除最后一位校验码外应全部为数字。")
        }
        guard let last = compact.last, last.isASCIIDigit || last == "X" else {
            throw .invalid("project.code_character", "投资项目代码最后一位校验码应为数字或X。")
        }
        let year = Int(compact.prefix(4)) ?? 0
        guard year >= earliestYear else {
            throw .invalid("project.code_year", "投资项目代码的时间代码“\(compact.prefix(4))”早于\(earliestYear)年，不是有效的赋码年份。")
        }
        if let problem = regionProblem(String(compact.dropFirst(4).prefix(6))) {
            throw .invalid("project.code_region", problem)
        }
        let type = String(compact.dropFirst(12).prefix(2))
        guard ProjectType(nationalCode: type) != nil else {
            throw .invalid("project.code_type", "投资项目代码的项目类型代码“\(type)”无效，应为01(审批)、02(核准)或03(备案)。")
        }
        return compact
    }

    static func hyphenated(_ compact: String) -> String {
        var parts: [String] = []
        var rest = Substring(compact)
        for length in partLengths {
            parts.append(String(rest.prefix(length)))
            rest = rest.dropFirst(length)
        }
        return parts.joined(separator: "-")
    }
}
