import Foundation
import Vapor
import YiwangCore

extension EvaluationPages {
    /// What a review form posted: `level`, `answer.<question>` (empty: the overall level),
    /// `reason.<code>` ticked boxes and `text`. Kept as typed so a refused form shows it again.
    struct ReviewInput: Sendable {
        var level: Int?
        var answers: [String: Int]
        var reasons: [String]
        var text: String

        init(level: Int? = nil, answers: [String: Int] = [:], reasons: [String] = [], text: String = "") {
            self.level = level
            self.answers = answers
            self.reasons = reasons
            self.text = text
        }

        /// Reads a posted form; reasons come in the order of the question set (unknown ones last,
        /// so the rules name them).
        init(_ posted: [String: String], set: QuestionSet) {
            level = posted["level"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            var answers: [String: Int] = [:]
            var ticked: [String] = []
            for (key, value) in posted {
                let trimmed = value.trimmingCharacters(in: .whitespaces)
                if key.hasPrefix("answer."), !trimmed.isEmpty {
                    // Anything but a number is refused by the rules as out of range.
                    answers[String(key.dropFirst(7))] = Int(trimmed) ?? 0
                } else if key.hasPrefix("reason."), !trimmed.isEmpty {
                    ticked.append(String(key.dropFirst(7)))
                }
            }
            let known = set.badReasons.map(\.code)
            reasons = known.filter(ticked.contains) + ticked.filter { !known.contains($0) }.sorted()
            self.answers = answers
            text = posted["text"] ?? ""
        }

        var submission: ReviewSubmission { ReviewSubmission(level: level, answers: answers, reasons: reasons, text: text) }
    }

    /// A review form as the pages draw it (`evaluation/review-form.leaf`): the five levels, the
    /// questions of the set, the reasons of a bad review and the text, with what was typed and
    /// the messages of a refused submission.
    struct ReviewForm: Encodable {
        struct Level: Encodable {
            var value: Int
            var name: String
            var stars: String
            var checked: Bool
            var isBad: Bool
        }

        struct Option: Encodable {
            var value: String
            var label: String
            var selected: Bool
        }

        struct Question: Encodable {
            var code: String
            var text: String
            var name: String
            var options: [Option]
            var error: String?
        }

        struct Reason: Encodable {
            var code: String
            var text: String
            var name: String
            var checked: Bool
        }

        struct Hidden: Encodable {
            var name: String
            var value: String
        }

        /// Prefix of the element ids, so two forms on a page never share one.
        var id: String
        var action: String
        var hidden: [Hidden]
        var title: String
        var version: String
        /// The question the five levels answer (整体满意度).
        var overallQuestion: String
        var levels: [Level]
        var questions: [Question]
        var reasons: [Reason]
        var text: String
        var maximumTextLength: Int
        var message: String?
        var levelError: String?
        var reasonsError: String?
        var textError: String?
        var submitLabel: String
        /// The window's tablet: large touch targets, fewer words.
        var tablet: Bool

        /// The question answered by the level itself; every other question gets a select.
        static let overallCode = "overall"

        init(
            set: QuestionSet, action: String, id: String = "review", hidden: [Hidden] = [], input: ReviewInput? = nil, error: DomainError? = nil,
            submitLabel: String = "提交评价", tablet: Bool = false
        ) {
            self.id = id
            self.action = action
            self.hidden = hidden
            title = set.title
            version = set.version
            overallQuestion = set.questions.first { $0.code == Self.overallCode }?.text ?? "总体评价"
            let fields = error?.fieldErrors ?? []
            func message(_ field: String) -> String? {
                let found = fields.filter { $0.field == field }.map(\.message)
                return found.isEmpty ? nil : found.joined(separator: " ")
            }
            levels = ReviewLevel.descending.map { level in
                Level(
                    value: level.rawValue, name: level.chineseName, stars: EvaluationPages.stars(level), checked: input?.level == level.rawValue,
                    isBad: level.isBad)
            }
            questions = set.questions.filter { $0.code != Self.overallCode }.map { question in
                let chosen = input?.answers[question.code]
                let options =
                    [Option(value: "", label: "与总体评价相同", selected: chosen == nil)]
                    + ReviewLevel.descending.map { level in
                        Option(value: String(level.rawValue), label: "\(level.chineseName)（\(level.rawValue)星）", selected: chosen == level.rawValue)
                    }
                return Question(code: question.code, text: question.text, name: "answer." + question.code, options: options, error: message("answers." + question.code))
            }
            reasons = set.badReasons.map { reason in
                Reason(code: reason.code, text: reason.text, name: "reason." + reason.code, checked: input?.reasons.contains(reason.code) == true)
            }
            text = input?.text ?? ""
            maximumTextLength = ReviewRules.maximumTextLength
            self.message = error?.message
            levelError = message("level")
            reasonsError = message("reasons")
            textError = message("text")
            self.submitLabel = submitLabel
            self.tablet = tablet
        }
    }

    /// ★★★☆☆: the stars of a level, as text (the level's name is always written beside them).
    static func stars(_ level: ReviewLevel) -> String {
        String(repeating: "★", count: level.rawValue) + String(repeating: "☆", count: 5 - level.rawValue)
    }

    /// A share (0…1) as a percentage with one decimal, or a dash when there is nothing to divide.
    static func percent(_ value: Double?) -> String { FigureText.percent(value, places: 1) }

    /// The satisfaction index (20–100) with one decimal, or a dash.
    static func index(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        return FigureText.fixed(value, places: 1)
    }

    /// The status a refused page answers with (4xx), and the page marked not to be cached.
    static func respond(_ response: Response, error: DomainError?) -> Response {
        if let error { response.status = HTTPResponseStatus(statusCode: ProblemMiddleware.statusCode(for: error.kind)) }
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }
}
