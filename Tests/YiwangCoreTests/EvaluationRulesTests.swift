import Foundation
import XCTest
import YiwangCore

/// 好差评's rules (ReviewRules) and the rectification loop (RectificationLifecycle), without I/O.
final class EvaluationRulesTests: XCTestCase {
    /// The online set as shipped (its codes), small enough to read in a test.
    let online = QuestionSet(
        version: "online-test", service: .online, title: "网上服务评价（一事一评）",
        questions: [
            .init(code: "overall", text: "整体满意度"), .init(code: "efficiency", text: "办事效率"), .init(code: "usability", text: "平台操作性"),
        ],
        badReasons: [
            .init(code: "guideUnclear", text: "服务指引不清晰、办事指南与实际不符"), .init(code: "tooSlow", text: "办理时间长、超时未办结"),
            .init(code: "other", text: "其他"),
        ])

    func d(_ text: String) -> LocalDate { try! LocalDate(text) }

    /// The problems of a refused submission, by field.
    func refusal(_ submission: ReviewSubmission, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            let checked = try ReviewRules.check(submission, against: online)
            XCTFail("accepted: \(checked)", file: file, line: line)
            return []
        } catch {
            XCTAssertEqual(error.code, "review.invalid", file: file, line: line)
            XCTAssertEqual(error.kind, .invalid, file: file, line: line)
            return error.fieldErrors.map(\.field)
        }
    }

    // MARK: ReviewRules.check

    func testALevelIsRequiredAndMustBeOneOfTheFive() throws {
        XCTAssertEqual(refusal(ReviewSubmission(level: nil)), ["level"])
        for bad in [0, 6, -1, 100] { XCTAssertEqual(refusal(ReviewSubmission(level: bad)), ["level"], "\(bad)") }
        for good in 3...5 {
            let checked = try ReviewRules.check(ReviewSubmission(level: good), against: online)
            XCTAssertEqual(checked.level.rawValue, good)
            // Questions left out take the overall level.
            XCTAssertEqual(checked.answers, Dictionary(uniqueKeysWithValues: online.questions.map { ($0.code, checked.level) }))
            XCTAssertEqual(checked.reasons, [])
            XCTAssertEqual(checked.text, "")
        }
    }

    func testABadLevelNeedsAReasonFromTheNationalList() throws {
        for level in [ReviewLevel.dissatisfied, .veryDissatisfied] {
            XCTAssertTrue(level.isBad)
            XCTAssertEqual(refusal(ReviewSubmission(level: level.rawValue)), ["reasons"], "a bad review names a reason")
            XCTAssertEqual(refusal(ReviewSubmission(level: level.rawValue, reasons: ["notOnTheList"])), ["reasons", "reasons"], "an unknown reason, and then none left")
            let checked = try ReviewRules.check(ReviewSubmission(level: level.rawValue, reasons: ["tooSlow", "guideUnclear", "tooSlow"]), against: online)
            XCTAssertEqual(checked.reasons.map(\.code), ["tooSlow", "guideUnclear"], "in the order given, each once")
            XCTAssertEqual(checked.reasons.first?.text, "办理时间长、超时未办结", "the reason's text travels with the review")
        }
        // A mix of a known and an unknown reason is refused for the unknown one only.
        XCTAssertEqual(refusal(ReviewSubmission(level: 1, reasons: ["tooSlow", "madeUp"])), ["reasons"])
    }

    func testReasonsOnAGoodLevelAreRefused() {
        for level in [ReviewLevel.basicallySatisfied, .satisfied, .verySatisfied] {
            XCTAssertFalse(level.isBad)
            XCTAssertEqual(refusal(ReviewSubmission(level: level.rawValue, reasons: ["tooSlow"])), ["reasons"], level.chineseName)
        }
    }

    func testAnswersMustBeTheSetsOwnQuestionsWithinTheFiveLevels() throws {
        XCTAssertEqual(refusal(ReviewSubmission(level: 5, answers: ["attitude": 5])), ["answers.attitude"], "a question of another set")
        XCTAssertEqual(refusal(ReviewSubmission(level: 5, answers: ["efficiency": 0])), ["answers.efficiency"])
        XCTAssertEqual(refusal(ReviewSubmission(level: 5, answers: ["efficiency": 6, "usability": 9])), ["answers.efficiency", "answers.usability"])
        XCTAssertEqual(refusal(ReviewSubmission(level: nil, answers: ["nope": 3])), ["level", "answers.nope"])
        let checked = try ReviewRules.check(ReviewSubmission(level: 4, answers: ["efficiency": 2]), against: online)
        XCTAssertEqual(checked.answers, ["overall": .satisfied, "efficiency": .dissatisfied, "usability": .satisfied])
        XCTAssertEqual(checked.level, .satisfied, "the overall level decides, not one answer")
    }

    func testTheTextIsTrimmedAndAtMostFiveHundredCharacters() throws {
        let longest = String(repeating: "办", count: 500)
        XCTAssertEqual(try ReviewRules.check(ReviewSubmission(level: 5, text: "  \n" + longest + "\n  "), against: online).text, longest)
        XCTAssertEqual(refusal(ReviewSubmission(level: 5, text: longest + "事")), ["text"])
        // Characters, not bytes: 500 Chinese characters are 1,500 bytes of UTF-8 and still fine.
        XCTAssertEqual(longest.utf8.count, 1500)
        XCTAssertEqual(refusal(ReviewSubmission(level: 1, reasons: ["other"], text: String(repeating: "a", count: 501))), ["text"])
    }

    func testControlCharactersAreRefusedButLineBreaksAreNot() throws {
        for hidden in ["\u{0007}", "\u{0000}", "\u{001B}[31m", "\t", "\u{007F}"] {
            XCTAssertEqual(refusal(ReviewSubmission(level: 4, text: "服务很好" + hidden + "谢谢")), ["text"], hidden.debugDescription)
        }
        XCTAssertEqual(try ReviewRules.check(ReviewSubmission(level: 4, text: "第一行\n第二行"), against: online).text, "第一行\n第二行")
    }

    /// A browser submits a textarea's line breaks as CR LF; a review of two lines typed on the
    /// case page must not be refused as holding invisible control characters.
    func testALineBreakFromABrowserFormIsNotAControlCharacter() throws {
        let checked = try ReviewRules.check(ReviewSubmission(level: 4, text: "第一行\r\n第二行"), against: online)
        XCTAssertEqual(checked.text, "第一行\n第二行", "stored with the platform's own line break")
        XCTAssertEqual(refusal(ReviewSubmission(level: 4, text: "回车\r单独")), ["text"], "a lone CR is still a control character")
    }

    func testEveryProblemIsReportedAtOnce() {
        let fields = refusal(ReviewSubmission(level: 2, answers: ["ghost": 3], reasons: [], text: String(repeating: "长", count: 501) + "\u{0007}"))
        XCTAssertEqual(Set(fields), ["answers.ghost", "reasons", "text"])
    }

    // MARK: Stages

    func testNothingIsRatedBeforeAcceptanceAndEachStageOnce() throws {
        // 补正 happens before acceptance: nothing to rate yet.
        for state in [CaseState.draft, .submitted, .preReview, .correctionRequested, .withdrawn] {
            XCTAssertThrowsError(try ReviewRules.checkStage(state, rated: [])) { error in
                XCTAssertEqual((error as? DomainError)?.code, "review.not_open", state.rawValue)
                XCTAssertEqual((error as? DomainError)?.kind, .conflict)
                XCTAssertTrue((error as? DomainError)?.message.contains(state.chineseName) ?? false)
            }
        }
        for state in [CaseState.accepted, .underReview, .specialProcedure] {
            XCTAssertEqual(try ReviewRules.checkStage(state, rated: []), .acceptance, state.rawValue)
            XCTAssertThrowsError(try ReviewRules.checkStage(state, rated: [.acceptance])) { error in
                XCTAssertEqual((error as? DomainError)?.code, "review.already_given", state.rawValue)
            }
        }
        for state in [CaseState.notAccepted, .approved, .denied, .certificateIssued, .delivered, .closed, .archived, .terminated] {
            // The 补评 at conclusion after a rating at acceptance, or the first rating of a refused case.
            XCTAssertEqual(try ReviewRules.checkStage(state, rated: [.acceptance]), .conclusion, state.rawValue)
            XCTAssertEqual(try ReviewRules.checkStage(state, rated: []), .conclusion, state.rawValue)
            XCTAssertThrowsError(try ReviewRules.checkStage(state, rated: [.acceptance, .conclusion])) { error in
                XCTAssertEqual((error as? DomainError)?.code, "review.already_given", state.rawValue)
            }
        }
        // Every state is one of the three kinds above.
        XCTAssertEqual(CaseState.allCases.count, 4 + 4 + 8)
    }

    // MARK: What the public sees

    func testPublishedTextMasksIdentityNumbersPhonesAndMailboxes() {
        XCTAssertEqual(ReviewRules.publishedText("我的身份证520102199003071236办理很快"), "我的身份证52**************36办理很快")
        XCTAssertEqual(ReviewRules.publishedText("证号52011219920815031X。"), "证号52**************1X。", "an ID number ending in X")
        XCTAssertEqual(ReviewRules.publishedText("电话13800000001，请回电"), "电话13*******01，请回电")
        XCTAssertEqual(ReviewRules.publishedText("受理编号3501002026112200001"), "受理编号35***************01")
        XCTAssertEqual(ReviewRules.publishedText("邮箱 zhangming@example.com 欢迎联系"), "邮箱 ***@example.com 欢迎联系")
        XCTAssertEqual(ReviewRules.publishedText("a.b@c.cn"), "***@c.cn")
        // Short numbers are not personal data: dates, counts, five-digit hotlines.
        XCTAssertEqual(ReviewRules.publishedText("跑了3次，等了45分钟，打12345"), "跑了3次，等了45分钟，打12345")
        XCTAssertEqual(ReviewRules.publishedText("第X窗口"), "第X窗口", "a letter X alone starts no number")
        XCTAssertEqual(ReviewRules.publishedText(""), "")
        // Written with dashes, spaces or full-width digits, a number is still a number.
        XCTAssertEqual(ReviewRules.publishedText("电话138-0000-0001"), "电话13*-****-**01")
        XCTAssertEqual(ReviewRules.publishedText("电话 138 0000 0001 找我"), "电话 13* **** **01 找我")
        XCTAssertEqual(ReviewRules.publishedText("电话１３８０００００００１"), "电话１３*******０１")
        XCTAssertEqual(ReviewRules.publishedText("窗口 3 - 5 号"), "窗口 3 - 5 号", "a separator not between two digits ends the number")
        XCTAssertEqual(ReviewRules.publishedText("电话138.0000.0001"), "电话13*.****.**01")
        XCTAssertEqual(ReviewRules.publishedText("座机(0851)8888-8888"), "座机(08**)****-**88", "an area code in brackets")
        XCTAssertEqual(ReviewRules.publishedText("座机（0851）88888888"), "座机（08**）******88")
        XCTAssertEqual(ReviewRules.publishedText("等了1.5小时(约90分钟)"), "等了1.5小时(约90分钟)", "short numbers stay")
        // Nothing of six digits or more survives, whatever surrounds it.
        for text in ["520102199003071236", "tel:13800000001", "号码：13912345678。", "12345678"] {
            let shown = ReviewRules.publishedText(text)
            XCTAssertNil(shown.range(of: "[0-9]{5,}", options: .regularExpression), "\(text) → \(shown)")
            XCTAssertEqual(shown.count, text.count, "masking keeps the length")
        }
    }

    func testAReviewerIsNamedBySurnameWhereThePolicyHidesThem() {
        XCTAssertEqual(ReviewRules.maskedReviewer("张明"), "张*")
        XCTAssertEqual(ReviewRules.maskedReviewer("欧阳娜娜"), "欧***")
        XCTAssertEqual(ReviewRules.maskedReviewer("李"), "李*", "a one-character name is not shown whole")
        XCTAssertEqual(ReviewRules.maskedReviewer(""), "匿名")
    }

    func testARectificationIsRatedWithOneOfThreeAnswers() throws {
        for value in [4, 3, 2] { XCTAssertEqual(try ReviewRules.checkRectificationRating(value).rawValue, value) }
        for value in [nil, 0, 1, 5, 6] as [Int?] {
            XCTAssertThrowsError(try ReviewRules.checkRectificationRating(value), "\(String(describing: value))") { error in
                XCTAssertEqual((error as? DomainError)?.code, "review.invalid")
            }
        }
    }

    // MARK: Levels, channels, question sets

    func testLevelsCarryTheirNationalCodesAndScores() {
        XCTAssertEqual(ReviewLevel.descending.map(\.chineseName), ["非常满意", "满意", "基本满意", "不满意", "非常不满意"])
        XCTAssertEqual(ReviewLevel.descending.map(\.rawValue), [5, 4, 3, 2, 1])
        XCTAssertEqual(ReviewLevel.allCases.map(\.score), [20, 40, 60, 80, 100])
        XCTAssertEqual(ReviewLevel.allCases.filter(\.isBad), [.veryDissatisfied, .dissatisfied])
        XCTAssertEqual(ReviewChannel.allCases.map(\.code), [1, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(ReviewChannel.phone.chineseName, "电话")
    }

    func testTheShippedQuestionSetsAreWellFormed() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        struct File: Decodable { var sets: [QuestionSet] }
        let sets = try JSONDecoder().decode(File.self, from: Data(contentsOf: root.appendingPathComponent("Resources/Seed/review-questions.json"))).sets
        XCTAssertEqual(Set(sets.map(\.service)), [.online, .inHall])
        for set in sets {
            XCTAssertEqual(set.problems(), [], set.version)
            XCTAssertTrue(set.questions.contains { $0.code == "overall" }, set.version)
        }
        var broken = online
        broken.version = ""
        broken.questions.append(broken.questions[0])
        broken.badReasons = []
        XCTAssertEqual(broken.problems().count, 3, broken.problems().joined(separator: "；"))
    }

    // MARK: The rectification loop

    /// Every allowed (state, action) and where it leads, with a command that satisfies every check.
    static let allowed: [String: RectificationState] = [
        "awaitingVerification verify": .rectifying,
        "rectifying reply": .replied,
        "replied returnVisit": .completed,
        "appealed decideAppeal": .rectifying,
    ]

    func testEveryStateAndActionIsAllowedOrRefusedAsTheTableSays() throws {
        let deadline = d("2026-12-11")
        var checked = 0
        for state in RectificationState.allCases {
            for action in RectificationAction.allCases {
                let key = "\(state.rawValue) \(action.rawValue)"
                let command = RectificationCommand(action: action, kind: .immediate, text: "已核实情况并处理", flag: false)
                do {
                    let plan = try RectificationLifecycle.plan(state, command, deadline: deadline, today: d("2026-11-23"))
                    XCTAssertEqual(plan.to, Self.allowed[key], key)
                    XCTAssertEqual(plan.action, action)
                    XCTAssertFalse(plan.summary.isEmpty)
                    XCTAssertEqual(RectificationLifecycle.table[action]?[state], plan.to, "the published table agrees: \(key)")
                } catch {
                    XCTAssertNil(Self.allowed[key], "\(key) was refused: \(error)")
                    XCTAssertEqual(error.code, "rectification.transition_not_allowed", key)
                    XCTAssertEqual(error.kind, .conflict)
                    XCTAssertTrue(error.message.contains(state.chineseName) && error.message.contains(action.chineseName), error.message)
                    XCTAssertNil(RectificationLifecycle.table[action]?[state], key)
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 6 * 4)
        // Nothing leaves a closed loop.
        XCTAssertFalse(RectificationState.completed.isOpen)
        XCTAssertFalse(RectificationState.appealUpheld.isOpen)
        XCTAssertEqual(RectificationState.allCases.filter(\.isOpen), [.awaitingVerification, .rectifying, .appealed, .replied])
    }

    func testVerifyingClassifiesAndAnAppealGoesToTheSupervisor() throws {
        let deadline = d("2026-12-11")
        let today = d("2026-11-23")
        for kind in RectificationKind.allCases {
            let plan = try RectificationLifecycle.plan(.awaitingVerification, .init(action: .verify, kind: kind, text: " 窗口未一次告知 "), deadline: deadline, today: today)
            XCTAssertEqual(plan.to, kind.isAppeal ? .appealed : .rectifying, kind.rawValue)
            XCTAssertEqual(plan.effects, [.classify(kind), .record(finding: "窗口未一次告知")])
            XCTAssertTrue(plan.summary.contains(kind.chineseName))
        }
        XCTAssertEqual(RectificationKind.allCases.filter(\.isAppeal), [.appealMistaken, .appealMalicious])
        XCTAssertThrowsError(try RectificationLifecycle.plan(.awaitingVerification, .init(action: .verify, text: "情况"), deadline: deadline, today: today)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "rectification.kind_required")
        }
        XCTAssertThrowsError(try RectificationLifecycle.plan(.awaitingVerification, .init(action: .verify, kind: .immediate, text: "   "), deadline: deadline, today: today)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "rectification.text_required")
        }
        XCTAssertThrowsError(try RectificationLifecycle.plan(.rectifying, .init(action: .reply), deadline: deadline, today: today)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "rectification.text_required")
        }
        let tooLong = String(repeating: "改", count: RectificationLifecycle.maximumTextLength + 1)
        XCTAssertThrowsError(try RectificationLifecycle.plan(.rectifying, .init(action: .reply, text: tooLong), deadline: deadline, today: today)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "rectification.too_long")
        }
        let reply = try RectificationLifecycle.plan(.rectifying, .init(action: .reply, text: "已补充指南"), deadline: deadline, today: today)
        XCTAssertEqual(reply.effects, [.reply("已补充指南")])
    }

    func testAnUpheldAppealExcludesTheReviewAndARejectedOneSendsItBackToBeRectified() throws {
        let deadline = d("2026-12-11")
        let today = d("2026-12-01")
        let upheld = try RectificationLifecycle.plan(.appealed, .init(action: .decideAppeal, text: "录音证实为误评", flag: true), deadline: deadline, today: today)
        XCTAssertEqual(upheld.to, .appealUpheld)
        XCTAssertEqual(upheld.effects, [.appealDecided(upheld: true, reason: "录音证实为误评"), .excludeReview])
        XCTAssertTrue(upheld.summary.contains("不计入统计"))
        let rejected = try RectificationLifecycle.plan(.appealed, .init(action: .decideAppeal, text: "申诉理由不充分", flag: false), deadline: deadline, today: today)
        XCTAssertEqual(rejected.to, .rectifying)
        XCTAssertEqual(rejected.effects, [.appealDecided(upheld: false, reason: "申诉理由不充分"), .classify(.scheduled)])
        XCTAssertFalse(rejected.effects.contains(.excludeReview))
        // The decision is explicit and reasoned.
        XCTAssertThrowsError(try RectificationLifecycle.plan(.appealed, .init(action: .decideAppeal, text: "理由"), deadline: deadline, today: today)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "rectification.decision_required")
        }
        XCTAssertThrowsError(try RectificationLifecycle.plan(.appealed, .init(action: .decideAppeal, flag: true), deadline: deadline, today: today)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "rectification.text_required")
        }
        // An appeal is decided once: an upheld one is closed.
        XCTAssertThrowsError(try RectificationLifecycle.plan(.appealUpheld, .init(action: .decideAppeal, text: "再议", flag: false), deadline: deadline, today: today)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "rectification.transition_not_allowed")
        }
    }

    func testTheReturnVisitClosesTheLoopOnTimeOrLate() throws {
        let deadline = d("2026-12-11")
        let onTheDay = try RectificationLifecycle.plan(.replied, .init(action: .returnVisit, text: "评价人表示认可"), deadline: deadline, today: deadline)
        XCTAssertEqual(onTheDay.to, .completed)
        XCTAssertEqual(onTheDay.effects, [.returnVisit(result: "评价人表示认可", reached: true), .rectified(onTime: true)], "the deadline day itself is on time")
        XCTAssertFalse(onTheDay.summary.contains("超过整改期限"))
        let early = try RectificationLifecycle.plan(.replied, .init(action: .returnVisit, text: "已回访"), deadline: deadline, today: d("2026-11-24"))
        XCTAssertTrue(early.effects.contains(.rectified(onTime: true)))
        let late = try RectificationLifecycle.plan(.replied, .init(action: .returnVisit, text: "电话未接通", flag: false), deadline: deadline, today: d("2026-12-12"))
        XCTAssertEqual(late.effects, [.returnVisit(result: "电话未接通", reached: false), .rectified(onTime: false)])
        XCTAssertTrue(late.summary.contains("超过整改期限") && late.summary.contains("未联系上评价人"), late.summary)
    }

    // MARK: Deadlines

    /// A bad review on Monday 2026-09-28: fifteen working days skip the National Day holiday
    /// (10-01 to 10-07) and the weekend, and count the 调休 Saturday 10-10 as a working day.
    func testTheDeadlineCrossesTheNationalDayHolidayAndCountsTheAdjustedSaturday() throws {
        let calendar = try WorkingCalendar(ChinaHolidays.shipped)
        XCTAssertEqual(d("2026-09-28").weekday, 1, "a Monday")
        XCTAssertTrue(try calendar.isWorkingDay(d("2026-10-10")), "调休 Saturday")
        XCTAssertFalse(try calendar.isWorkingDay(d("2026-10-05")), "a Monday of the holiday")
        let deadline = try RectificationLifecycle.deadline(reviewedOn: d("2026-09-28"), workingDays: 15, calendar: calendar)
        // 09-29, 09-30, 10-08, 10-09, 10-10 (调休), 10-12 … 10-16, 10-19 … 10-23.
        XCTAssertEqual(deadline, d("2026-10-23"))
        XCTAssertEqual(try calendar.workingDays(after: d("2026-09-28"), through: deadline), 15)
        // Without the 调休 Saturday it would be the following Monday; on weekdays alone, ten days earlier.
        XCTAssertNotEqual(deadline, d("2026-10-26"))
        XCTAssertNotEqual(deadline, d("2026-10-19"))
        // A city that allows ten working days.
        XCTAssertEqual(try RectificationLifecycle.deadline(reviewedOn: d("2026-09-28"), workingDays: 10, calendar: calendar), d("2026-10-16"))
        // A review on the holiday itself: counting starts after it.
        XCTAssertEqual(try RectificationLifecycle.deadline(reviewedOn: d("2026-10-03"), workingDays: 1, calendar: calendar), d("2026-10-08"))
    }

    /// A bad review in late December runs into a year whose holidays are not yet published: the
    /// deadline is counted on weekdays from there, never refused.
    func testADecemberReviewIsNeverRefusedForAnUnpublishedYear() throws {
        let calendar = try WorkingCalendar(ChinaHolidays.shipped)
        // 12-21 … 12-25, 12-28 … 12-31, then 2027 on weekdays: 01-01, 01-04 … 01-08.
        XCTAssertEqual(try RectificationLifecycle.deadline(reviewedOn: d("2026-12-20"), workingDays: 15, calendar: calendar), d("2027-01-08"))
    }

    func testAnOpenRectificationTurnsYellowThenRedAndAClosedOneHasNoColour() throws {
        let calendar = try WorkingCalendar(ChinaHolidays.shipped)
        let deadline = d("2026-10-23")
        func colour(_ state: RectificationState, _ today: String) -> CaseUrgency {
            RectificationLifecycle.urgency(state, deadline: deadline, today: d(today), warnWithin: 2, calendar: calendar)
        }
        XCTAssertEqual(colour(.awaitingVerification, "2026-09-28"), .green)
        XCTAssertEqual(colour(.rectifying, "2026-10-20"), .green, "three working days left")
        XCTAssertEqual(colour(.rectifying, "2026-10-21"), .yellow, "two working days left")
        XCTAssertEqual(colour(.appealed, "2026-10-23"), .yellow, "the deadline day")
        XCTAssertEqual(colour(.replied, "2026-10-24"), .red)
        for closed in [RectificationState.completed, .appealUpheld] {
            XCTAssertEqual(colour(closed, "2026-12-31"), .none, closed.rawValue)
        }
    }
}
