import Foundation

/// The five levels of 好差评 (国办发〔2019〕51号; codes as in the national evaluation interface:
/// 5 非常满意 … 1 非常不满意, which is also the number of stars a page shows).
public enum ReviewLevel: Int, Codable, CaseIterable, Sendable, Hashable, Comparable {
    case veryDissatisfied = 1, dissatisfied, basicallySatisfied, satisfied, verySatisfied

    public var chineseName: String {
        switch self {
        case .verySatisfied: "非常满意"
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .dissatisfied: "不满意"
        case .veryDissatisfied: "非常不满意"
        }
    }

    /// 差评: the bottom two levels, each of which opens a rectification.
    public var isBad: Bool { rawValue <= 2 }

    /// The score a level adds to the satisfaction index (满意度指数): 20 per star, so 非常满意
    /// scores 100 and 非常不满意 20.
    public var score: Int { rawValue * 20 }

    public static func < (lhs: ReviewLevel, rhs: ReviewLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Highest first, as pages list them.
    public static let descending: [ReviewLevel] = allCases.reversed()

    /// The three answers a reviewer gives about a rectification (满意 / 基本满意 / 不满意).
    public static let rectificationAnswers: [ReviewLevel] = [.satisfied, .basicallySatisfied, .dissatisfied]
}

/// Where a rating was given (评价渠道, GB/T 39046 表 9), in the order the standard lists them.
public enum ReviewChannel: String, Codable, CaseIterable, Sendable, Hashable {
    case web, mobile, qrCode, hallTablet, hallTerminal, phone, sms

    public var chineseName: String {
        switch self {
        case .web: "PC端"
        case .mobile: "移动服务端"
        case .qrCode: "二维码"
        case .hallTablet: "政务大厅平板电脑"
        case .hallTerminal: "政务大厅其他终端"
        case .phone: "电话"
        case .sms: "短信"
        }
    }

    /// The channel code of the data exchange (1–7, in the standard's order).
    public var code: Int { (Self.allCases.firstIndex(of: self) ?? 0) + 1 }
}

/// What is rated: a case at one of its stages (一事一评), a window visit (一次一评), or the
/// rectification of an earlier bad review (整改评价, linked to it).
public enum ReviewSubjectKind: String, Codable, Sendable, Hashable {
    case caseStage, visit, rectification

    public var chineseName: String {
        switch self {
        case .caseStage: "一事一评"
        case .visit: "一次一评"
        case .rectification: "整改评价"
        }
    }
}

/// The stages of a case at which its applicant may rate it: once accepted or refused (受理环节),
/// and once decided (办结环节, a 补评 linked to the first when there is one).
public enum ReviewStage: String, Codable, CaseIterable, Sendable, Hashable {
    case acceptance, conclusion

    public var chineseName: String { self == .acceptance ? "受理环节" : "办结环节" }

    /// The stage a case in this state is at, or nil before acceptance (nothing to rate yet) and
    /// for cases withdrawn. An archived or terminated case may never have been accepted: the
    /// service also asks its timeline (`EvaluationService`).
    public static func of(_ state: CaseState) -> ReviewStage? {
        switch state {
        case .accepted, .underReview, .specialProcedure: .acceptance
        case .notAccepted, .approved, .denied, .certificateIssued, .delivered, .closed, .archived, .terminated: .conclusion
        // 补正 comes before acceptance: nothing to rate yet.
        case .draft, .submitted, .preReview, .correctionRequested, .withdrawn: nil
        }
    }
}

/// The national question set, versioned: each question is answered with a level; a bad review
/// names at least one of the reasons. Kept as data (`Resources/Seed/review-questions.json`) and
/// stored with every review by its version, so a later set never rewrites what was asked.
public struct QuestionSet: Codable, Sendable, Equatable {
    public enum Service: String, Codable, Sendable, Hashable {
        /// 网上服务 (一事一评).
        case online
        /// 现场服务 (一次一评).
        case inHall
    }

    public struct Question: Codable, Sendable, Equatable {
        public var code: String
        public var text: String

        public init(code: String, text: String) {
            self.code = code
            self.text = text
        }
    }

    public struct Reason: Codable, Sendable, Equatable {
        public var code: String
        public var text: String

        public init(code: String, text: String) {
            self.code = code
            self.text = text
        }
    }

    /// `online-2020`, `inHall-2020`, …
    public var version: String
    public var service: Service
    public var title: String
    public var questions: [Question]
    /// The reasons a bad review picks from (差评评价内容).
    public var badReasons: [Reason]

    public init(version: String, service: Service, title: String, questions: [Question], badReasons: [Reason]) {
        self.version = version
        self.service = service
        self.title = title
        self.questions = questions
        self.badReasons = badReasons
    }

    /// Problems with the set itself (checked when it is loaded).
    public func problems() -> [String] {
        var found: [String] = []
        if version.isEmpty { found.append("问卷缺少版本号") }
        if questions.isEmpty { found.append("问卷“\(version)”没有题目") }
        if badReasons.isEmpty { found.append("问卷“\(version)”没有差评原因") }
        if Set(questions.map(\.code)).count != questions.count { found.append("问卷“\(version)”的题目编码重复") }
        if Set(badReasons.map(\.code)).count != badReasons.count { found.append("问卷“\(version)”的差评原因编码重复") }
        return found
    }
}

/// What a reviewer submits, before checking.
public struct ReviewSubmission: Codable, Sendable, Equatable {
    public var level: Int?
    /// Question code → level (1–5); a question left out takes the overall level.
    public var answers: [String: Int]
    public var reasons: [String]
    public var text: String?

    public init(level: Int?, answers: [String: Int] = [:], reasons: [String] = [], text: String? = nil) {
        self.level = level
        self.answers = answers
        self.reasons = reasons
        self.text = text
    }
}

/// A checked review, ready to be stored as it will stay.
public struct CheckedReview: Sendable, Equatable {
    public var level: ReviewLevel
    public var answers: [String: ReviewLevel]
    public var reasons: [QuestionSet.Reason]
    public var text: String

    public init(level: ReviewLevel, answers: [String: ReviewLevel], reasons: [QuestionSet.Reason], text: String) {
        self.level = level
        self.answers = answers
        self.reasons = reasons
        self.text = text
    }
}

public enum ReviewRules {
    public static let maximumTextLength = 500

    /// Checks a submission against its question set: a level, answers within the five levels for
    /// the set's own questions, reasons from the set's list (at least one for a bad review), and
    /// a free text of at most 500 characters.
    public static func check(_ submission: ReviewSubmission, against set: QuestionSet) throws(DomainError) -> CheckedReview {
        var problems: [FieldError] = []
        let level = submission.level.flatMap(ReviewLevel.init(rawValue:))
        if level == nil { problems.append(FieldError(field: "level", message: "请选择满意程度（非常满意至非常不满意）。")) }
        var answers: [String: ReviewLevel] = [:]
        let known = Set(set.questions.map(\.code))
        for (code, value) in submission.answers.sorted(by: { $0.key < $1.key }) {
            guard known.contains(code) else {
                problems.append(FieldError(field: "answers.\(code)", message: "问卷中没有题目“\(code)”。"))
                continue
            }
            guard let answer = ReviewLevel(rawValue: value) else {
                problems.append(FieldError(field: "answers.\(code)", message: "每题的评价须为 1 至 5。"))
                continue
            }
            answers[code] = answer
        }
        if let level { for question in set.questions where answers[question.code] == nil { answers[question.code] = level } }
        var reasons: [QuestionSet.Reason] = []
        for code in submission.reasons where !reasons.contains(where: { $0.code == code }) {
            guard let reason = set.badReasons.first(where: { $0.code == code }) else {
                problems.append(FieldError(field: "reasons", message: "差评原因“\(code)”不在国家规定的选项中。"))
                continue
            }
            reasons.append(reason)
        }
        if let level, level.isBad, reasons.isEmpty {
            problems.append(FieldError(field: "reasons", message: "“\(level.chineseName)”须至少选择一项差评原因。"))
        }
        if let level, !level.isBad, !reasons.isEmpty {
            problems.append(FieldError(field: "reasons", message: "差评原因只在“不满意”或“非常不满意”时填写。"))
        }
        // A browser sends a textarea's line breaks as CR LF: one line break, not a control character.
        let text = (submission.text ?? "").replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if text.count > maximumTextLength {
            problems.append(FieldError(field: "text", message: "文字评价最多 \(maximumTextLength) 字。"))
        }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) {
            problems.append(FieldError(field: "text", message: "文字评价含有不可见的控制字符。"))
        }
        guard problems.isEmpty, let level else {
            throw DomainError.invalid("review.invalid", "评价内容有误，请检查后重新提交。", fields: problems)
        }
        return CheckedReview(level: level, answers: answers, reasons: reasons, text: text)
    }

    /// A rating of a rectification: one of 满意 / 基本满意 / 不满意.
    public static func checkRectificationRating(_ value: Int?) throws(DomainError) -> ReviewLevel {
        guard let value, let level = ReviewLevel(rawValue: value), ReviewLevel.rectificationAnswers.contains(level) else {
            throw DomainError.invalid(
                "review.invalid", "请对整改结果选择“满意”“基本满意”或“不满意”。", fields: [FieldError(field: "level", message: "请选择对整改结果的评价。")])
        }
        return level
    }

    /// Whether the applicant may still rate this stage: each stage once (一事一评); a case not yet
    /// accepted has nothing to rate.
    public static func checkStage(_ state: CaseState, rated: Set<ReviewStage>) throws(DomainError) -> ReviewStage {
        guard let stage = ReviewStage.of(state) else {
            throw DomainError.conflict("review.not_open", "办件受理或不予受理后才能评价（当前状态：\(state.chineseName)）。")
        }
        guard !rated.contains(stage) else {
            throw DomainError.conflict(
                "review.already_given",
                "您已评价过该办件的\(stage.chineseName)，评价提交后不能修改。" + (stage == .acceptance ? "办结后可再对办结环节作补评。" : ""))
        }
        return stage
    }

    /// The free text as the public page shows it: numbers of six digits or more (ID numbers,
    /// phones, case numbers), also when written with spaces, dashes, dots or brackets between the digits or in
    /// full-width digits, keep only their first and last two digits; e-mail mailboxes are hidden.
    /// A review can never publish anyone.
    public static func publishedText(_ text: String) -> String {
        func isDigit(_ c: Character) -> Bool {
            guard let scalar = c.unicodeScalars.first, c.unicodeScalars.count == 1 else { return false }
            return ("0"..."9").contains(scalar) || (0xFF10...0xFF19).contains(scalar.value)
        }
        // Between two digits these keep a number whole: 138-0000-0001, 138.0000.0001, (0851)8888 8888.
        func isSeparator(_ c: Character) -> Bool { "- －　.．·()（）".contains(c) }
        let characters = Array(text)
        var out = ""
        var index = 0
        while index < characters.count {
            guard isDigit(characters[index]) else {
                out.append(characters[index])
                index += 1
                continue
            }
            // A run: digits, single separators between digits, and an ID number's final X.
            var end = index
            var last = index
            while end < characters.count {
                let c = characters[end]
                if isDigit(c) {
                    last = end
                } else if isSeparator(c), end + 1 < characters.count, isDigit(characters[end + 1]) {
                    // a separator between two digits stays part of the number
                } else if (c == "X" || c == "x"), end == last + 1 {
                    last = end
                    end += 1
                    break
                } else {
                    break
                }
                end += 1
            }
            let run = characters[index...last]
            let digits = run.filter { isDigit($0) || $0 == "X" || $0 == "x" }.count
            if digits >= 6 {
                var seen = 0
                for c in run {
                    if isDigit(c) || c == "X" || c == "x" {
                        seen += 1
                        out.append(seen <= 2 || seen > digits - 2 ? c : "*")
                    } else {
                        out.append(c)
                    }
                }
            } else {
                out.append(contentsOf: run)
            }
            index = last + 1
        }
        // Addresses: keep the domain, hide the mailbox.
        return out.split(separator: " ", omittingEmptySubsequences: false).map { word in
            guard let at = word.firstIndex(of: "@"), at != word.startIndex else { return String(word) }
            return "***" + word[at...]
        }.joined(separator: " ")
    }

    /// How a reviewer is named where the policy does not allow their identity: the surname only.
    public static func maskedReviewer(_ name: String) -> String {
        guard let first = name.first else { return "匿名" }
        return String(first) + String(repeating: "*", count: max(1, name.count - 1))
    }
}
