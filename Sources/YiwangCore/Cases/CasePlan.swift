import Foundation

/// What a step of a case needs to know to be planned, beyond its state: the facts the guards
/// read, what the person gave (reason, green channel, result document), what the catalog
/// version says, and, for the steps that check them, the form's problems and the materials.
public struct CasePlanInput: Sendable {
    public var facts: CaseFacts
    public var reason: String?
    public var greenChannel: Bool
    public var resultDocument: String?
    public var today: LocalDate
    public var calendar: WorkingCalendar
    public var clock: DeadlineClock?
    /// The legal time limit in working days (承诺时限), started at acceptance.
    public var promisedLimit: Int
    /// The 容缺 period the item gives, if any.
    public var deferredMaterialDays: Int?
    public var commitmentSigned: Bool
    /// The result document on file, and what to call a certificate made without one.
    public var currentResultDocument: String?
    public var defaultCertificateName: String
    /// On submission: what is wrong with the form (empty when complete).
    public var formProblems: [FieldError]
    /// On acceptance and correction notices: the materials given so far.
    public var checklist: MaterialChecklist?
    /// A 即办件 is decided at acceptance.
    public var decidedAtAcceptance: Bool
    /// The item's approval issues an electronic licence of a type the catalog defines.
    public var issuesLicence: Bool
    /// At submission: the credit registry's warning about the applicant (a listed subject of an
    /// item that flags rather than blocks).
    public var creditWarning: String?
    /// The warning on file from the submission, and whether the clerk has recorded a reason yet.
    public var standingCreditWarning: String?
    public var creditReasonOnFile: Bool
    /// At acceptance: the clerk's reason to proceed with a flagged applicant.
    public var creditReason: String?

    public init(
        facts: CaseFacts, reason: String?, greenChannel: Bool = false, resultDocument: String? = nil, today: LocalDate, calendar: WorkingCalendar,
        clock: DeadlineClock?, promisedLimit: Int, deferredMaterialDays: Int? = nil, commitmentSigned: Bool = false,
        currentResultDocument: String? = nil, defaultCertificateName: String = "", formProblems: [FieldError] = [],
        checklist: MaterialChecklist? = nil, decidedAtAcceptance: Bool = false, issuesLicence: Bool = false, creditWarning: String? = nil,
        standingCreditWarning: String? = nil, creditReasonOnFile: Bool = false, creditReason: String? = nil
    ) {
        self.facts = facts
        self.reason = reason
        self.greenChannel = greenChannel
        self.resultDocument = resultDocument
        self.today = today
        self.calendar = calendar
        self.clock = clock
        self.promisedLimit = promisedLimit
        self.deferredMaterialDays = deferredMaterialDays
        self.commitmentSigned = commitmentSigned
        self.currentResultDocument = currentResultDocument
        self.defaultCertificateName = defaultCertificateName
        self.formProblems = formProblems
        self.checklist = checklist
        self.decidedAtAcceptance = decidedAtAcceptance
        self.issuesLicence = issuesLicence
        self.creditWarning = creditWarning
        self.standingCreditWarning = standingCreditWarning
        self.creditReasonOnFile = creditReasonOnFile
        self.creditReason = creditReason
    }
}

/// What a step does beyond moving the state; the service performs each in the step's transaction.
public enum CaseEffect: Sendable, Equatable {
    /// Give the case its number (受理编号).
    case giveNumber
    /// 容缺受理: the named materials follow by this day; no decision before.
    case deferMaterials(due: String)
    /// 绿色通道, with its reason.
    case greenChannel(reason: String)
    /// 告知承诺: the commitment is checked by this day.
    case checkCommitmentBy(String)
    /// The result document's number or name.
    case resultDocument(String)
    /// A 即办件 is approved in the same transaction, on the spot.
    case decideOnTheSpot
    /// The approval issues the item's electronic licence, sealed by the department (its number
    /// becomes the result document when none was typed).
    case issueLicence
    /// The credit registry lists the applicant: the warning goes on the case for the clerk.
    case creditWarning(String)
    /// The clerk's recorded reason to proceed with a flagged applicant (一处失信，处处受限).
    case creditReason(String)
}

/// A planned step: the state it reaches, the reason as recorded and told, the legal clock as it
/// stands after the step, and the effects.
public struct CasePlan: Sendable, Equatable {
    public var to: CaseState
    public var reason: String?
    public var clock: DeadlineClock?
    public var effects: [CaseEffect]
}

extension CaseLifecycle {
    /// Plans a step as a pure function: the state machine and its guards, the reasons the law
    /// asks for, the form and materials checks, the clock's moves, 容缺, green channel, 告知承诺,
    /// the result document and a 即办件's decision on the spot. Refuses with a `DomainError`.
    public static func plan(_ from: CaseState, _ action: CaseAction, _ input: CasePlanInput) throws(DomainError) -> CasePlan {
        var reason = CaseVariants.reason(input.reason)
        if action.needsReason && reason == nil {
            throw .invalid("case.reason_required", "“\(action.chineseName)”须说明理由，理由将告知申请人。", fields: [FieldError(field: "reason", message: "请填写理由。")])
        }
        if input.greenChannel && reason == nil {
            throw .invalid("case.reason_required", "走绿色通道须说明理由。", fields: [FieldError(field: "reason", message: "请填写绿色通道的理由。")])
        }
        let to = try next(from, action, facts: input.facts)
        var clock = input.clock
        var effects: [CaseEffect] = []
        switch action {
        case .submit:
            // A draft or a correction is complete only when the whole form is.
            guard input.formProblems.isEmpty else {
                throw .invalid(
                    "case.form_invalid", "申请表尚未填写完整：" + input.formProblems.map(\.message).joined(), fields: input.formProblems)
            }
            if let warning = input.creditWarning { effects.append(.creditWarning(warning)) }
        case .accept:
            guard let checklist = input.checklist else { throw .conflict("case.materials_unknown", "未能核对材料，不能受理。") }
            if input.standingCreditWarning != nil && !input.creditReasonOnFile {
                effects.append(.creditReason(try SharedDataRules.proceedReason(input.creditReason)))
            }
            try checklist.checkAcceptable()
            var deferred = false
            if !checklist.deferrable.isEmpty {
                // 容缺受理: accepted now, the named materials follow by a set day, no decision before.
                let days = input.deferredMaterialDays ?? CaseVariants.defaultDeferredMaterialDays
                let due = try DeadlineClock(acceptedOn: input.today, workingDays: days, calendar: input.calendar).deadline(input.calendar)?.date.description ?? ""
                effects.append(.deferMaterials(due: due))
                reason = [reason, "容缺受理，须于 \(due) 前补交：" + checklist.deferrable.map(\.name).joined(separator: "、")].compactMap { $0 }
                    .joined(separator: "；")
                deferred = true
            }
            if input.greenChannel { effects.append(.greenChannel(reason: reason ?? "")) }
            clock = try DeadlineClock(acceptedOn: input.today, workingDays: input.promisedLimit, calendar: input.calendar)
            effects.append(.giveNumber)
            // 即办件: decided on the spot (with 容缺 materials still to come, it waits like any other).
            if input.decidedAtAcceptance && !deferred { effects.append(.decideOnTheSpot) }
        case .requestCorrection:
            // 一次性告知: the notice names every missing material together with what the clerk wrote.
            let missing = input.checklist?.missingNames ?? []
            if !missing.isEmpty {
                let written = (reason ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "。；;，,. \n"))
                reason = written + "；缺少材料：" + missing.joined(separator: "、")
            }
            // A bundle's task asks after acceptance: its clock stops while the applicant corrects.
            if !from.isBeforeAcceptance { try clock?.suspend(on: input.today, reason: "补正：" + (reason ?? ""), calendar: input.calendar) }
        case .resumeReview:
            try clock?.resume(on: input.today, calendar: input.calendar)
        case .startSpecialProcedure:
            try clock?.suspend(on: input.today, reason: reason ?? "", calendar: input.calendar)
        case .endSpecialProcedure:
            try clock?.resume(on: input.today, calendar: input.calendar)
        case .approve, .approveOnTimeout:
            if input.commitmentSigned {
                // 告知承诺: approved on the commitment, checked afterwards.
                let due = try DeadlineClock(acceptedOn: input.today, workingDays: CaseVariants.commitmentCheckWorkingDays, calendar: input.calendar)
                    .deadline(input.calendar)?.date.description
                if let due { effects.append(.checkCommitmentBy(due)) }
            }
            if let document = try resultDocumentName(input.resultDocument) ?? input.currentResultDocument { effects.append(.resultDocument(document)) }
            if input.issuesLicence { effects.append(.issueLicence) }
        case .issueCertificate:
            effects.append(.resultDocument(try resultDocumentName(input.resultDocument) ?? input.currentResultDocument ?? input.defaultCertificateName))
        default:
            break
        }
        return CasePlan(to: to, reason: reason, clock: clock, effects: effects)
    }

    /// A result document's number as typed: trimmed, at most 100 characters, no control characters.
    public static func resultDocumentName(_ raw: String?) throws(DomainError) -> String? {
        guard let text = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        guard text.count <= 100, !text.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw .invalid("case.result_document", "结果文书编号不超过100个字符。", fields: [FieldError(field: "resultDocument", message: "编号过长或含有控制字符。")])
        }
        return text
    }
}
