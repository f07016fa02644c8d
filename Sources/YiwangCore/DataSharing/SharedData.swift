import Foundation

/// The city's shared registries (数据共享交换平台 sources).
public enum Registry: String, Codable, Sendable, CaseIterable {
    /// 人口库: residents by ID number.
    case population
    /// 法人库 / 市场主体: legal persons by credit code.
    case legalPersons
    /// 信用库: seriously dishonest subjects (失信主体) and their measures.
    case credit

    public var chineseName: String {
        switch self {
        case .population: "人口库"
        case .legalPersons: "法人库"
        case .credit: "信用库"
        }
    }
}

/// A resident as the population registry holds them.
public struct PersonEntry: Codable, Sendable, Equatable {
    public var idNumber: String
    public var name: String
    public var address: String?
    public var householdRegion: String?

    public init(idNumber: String, name: String, address: String? = nil, householdRegion: String? = nil) {
        self.idNumber = idNumber
        self.name = name
        self.address = address
        self.householdRegion = householdRegion
    }
}

/// A legal person as the legal persons registry holds it.
public struct LegalPersonEntry: Codable, Sendable, Equatable {
    public var creditCode: String
    public var name: String
    public var representativeName: String
    public var representativeIDNumber: String
    public var address: String?
    /// 存续 (in business) or 注销/吊销.
    public var status: String

    public init(creditCode: String, name: String, representativeName: String, representativeIDNumber: String, address: String? = nil, status: String = "存续") {
        self.creditCode = creditCode
        self.name = name
        self.representativeName = representativeName
        self.representativeIDNumber = representativeIDNumber
        self.address = address
        self.status = status
    }
}

/// 失信主体名单 entry: the measure, its legal basis, the listing authority and period.
public struct CreditBlacklistEntry: Codable, Sendable, Equatable {
    public var subjectCode: String
    public var subjectName: String
    /// 惩戒措施, e.g. 限制新设市场主体.
    public var measure: String
    /// 认定依据.
    public var basis: String
    public var authority: String
    public var listedOn: String
    /// Until when the measure applies (nil: until repaired).
    public var until: String?

    public init(subjectCode: String, subjectName: String, measure: String, basis: String, authority: String, listedOn: String, until: String? = nil) {
        self.subjectCode = subjectCode
        self.subjectName = subjectName
        self.measure = measure
        self.basis = basis
        self.authority = authority
        self.listedOn = listedOn
        self.until = until
    }

    /// In force on the day: listed, not past its end.
    public func applies(on day: LocalDate) -> Bool {
        guard let listed = try? LocalDate(listedOn), listed <= day else { return false }
        if let until, let end = try? LocalDate(until), end < day { return false }
        return true
    }
}

/// What an item does with a seriously dishonest applicant (一处失信，处处受限).
public enum CreditRule: String, Codable, Sendable, CaseIterable {
    /// The clerk sees a warning and records a reason to proceed.
    case flag
    /// Submission is refused with `credit.blocked`.
    case block
}

/// The outcome of the credit check of one application.
public enum CreditFinding: Sendable, Equatable {
    case clear
    /// The warning the clerk sees (measures and bases).
    case flagged(String)
}

/// The rules of real-name checks and credit restrictions; pure, so the service only fetches.
public enum SharedDataRules {
    /// The name given must be the registry's name for the ID number (real-name check, 实名核验).
    public static func checkRealName(given: String, registered: PersonEntry?, idNumber: String) throws(DomainError) {
        guard let registered else {
            throw .invalid(
                "identity.not_in_registry", "人口库中没有公民身份号码 \(PersonalData.mask(idNumber, as: .idNumber)) 的记录，无法完成实名核验。请核对号码，或携带身份证到综合窗口办理。",
                fields: [FieldError(field: "idNumber", message: "人口库中没有该号码。")])
        }
        guard normalised(registered.name) == normalised(given) else {
            throw .invalid(
                "identity.name_mismatch", "姓名与公民身份号码不一致，实名核验未通过。请填写身份证上的姓名。",
                fields: [FieldError(field: "name", message: "与人口库登记的姓名不一致。")])
        }
    }

    /// A company account: the registry must hold the credit code, under this name, in business,
    /// with this person as its legal representative.
    public static func checkLegalPerson(
        name: String, representativeName: String, representativeIDNumber: String, registered: LegalPersonEntry?, creditCode: String
    ) throws(DomainError) {
        guard let registered else {
            throw .invalid(
                "identity.not_in_registry", "法人库中没有统一社会信用代码 \(creditCode) 的市场主体，无法完成核验。",
                fields: [FieldError(field: "creditCode", message: "法人库中没有该代码。")])
        }
        guard registered.status == "存续" else {
            throw .conflict("identity.legal_person_closed", "该市场主体在法人库中的状态为“\(registered.status)”，不能注册办事账号。")
        }
        guard normalised(registered.name) == normalised(name) else {
            throw .invalid(
                "identity.name_mismatch", "单位名称与法人库登记的名称不一致：请填写营业执照上的名称。",
                fields: [FieldError(field: "name", message: "与法人库登记的名称不一致。")])
        }
        guard registered.representativeIDNumber == representativeIDNumber, normalised(registered.representativeName) == normalised(representativeName) else {
            throw .invalid(
                "identity.representative_mismatch", "法定代表人与法人库登记的不一致，核验未通过。",
                fields: [FieldError(field: "legalRepresentative/idNumber", message: "与法人库登记的法定代表人不一致。")])
        }
    }

    /// The listings in force decide: none → clear; under `block` → refused with the measure, its
    /// basis and how to repair; under `flag` → a warning the clerk must answer.
    public static func creditFinding(_ listings: [CreditBlacklistEntry], rule: CreditRule, today: LocalDate) throws(DomainError) -> CreditFinding {
        let inForce = listings.filter { $0.applies(on: today) }
        guard let first = inForce.first else { return .clear }
        let summary = inForce.map { "\($0.authority)认定的失信主体，惩戒措施：\($0.measure)(依据：\($0.basis)，列入日期 \($0.listedOn)\($0.until.map { "，至 " + $0 } ?? ""))" }
            .joined(separator: "；")
        switch rule {
        case .block:
            throw DomainError(
                .forbidden, code: "credit.blocked",
                message: "申请人“\(first.subjectName)”为\(summary)，依法不能申请本事项。已履行义务的，可通过“信用中国”或认定机关申请信用修复，修复后即可申请。")
        case .flag:
            return .flagged("申请人为" + summary + "。请依法审慎办理，办理须记录理由。")
        }
    }

    /// The reason a clerk records to proceed with a flagged applicant.
    public static func proceedReason(_ raw: String?) throws(DomainError) -> String {
        guard let reason = raw?.trimmingCharacters(in: .whitespacesAndNewlines), reason.count >= 4, reason.count <= 500 else {
            throw .invalid(
                "credit.reason_required", "申请人在失信名单中，受理前须记录继续办理的理由(4至500字)。",
                fields: [FieldError(field: "creditReason", message: "请填写继续办理的理由。")])
        }
        return reason
    }

    static func normalised(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "（", with: "(").replacingOccurrences(of: "）", with: ")")
    }
}
