import Fluent
import Foundation
import Vapor
import YiwangCore

/// The demo city's 好差评: the hall's windows and a month of visits rated on the tablet, the demo
/// cases rated through every channel (PC, mobile, the SMS link, the QR code on the receipt, the
/// hotline, the tablet and another hall terminal) at every level, and bad reviews left in every
/// state of their rectification: waiting, being put right, appealed, answered, closed on time,
/// closed late, appeal upheld, and one past its deadline. All of it through the services, on
/// past days, so the summaries, the trail and the board are what real use would leave.
enum DemoEvaluations {
    struct Windows {
        var market: [HallWindowRecord]
        var district: HallWindowRecord?
    }

    /// A visit rated on a tablet (or another terminal), and what the department did about it.
    struct Visit {
        var daysAgo: Int
        var window: Int
        var level: ReviewLevel
        var channel: ReviewChannel = .hallTablet
        var reasons: [String] = []
        var text: String = ""
        /// Rectification steps: (days ago, who, command).
        var handling: [(Int, String, RectificationCommand)] = []
    }

    static func seed(_ app: Application, staff: [DemoCity.StaffSeed]) async throws -> Int {
        guard try await ReviewRecord.query(on: app.db).count() == 0 else { return 0 }
        let grants = Dictionary(staff.map { ($0.account, $0.grants) }, uniquingKeysWith: { first, _ in first })
        let windows = try await seedWindows(app, staff: staff)
        let now = app.timeSource.now()
        func at(_ daysAgo: Int, minute: Int = 0) -> Date { now.addingTimeInterval(Double(-daysAgo) * 86_400 + Double(minute) * 60) }
        func staffContext(_ account: String, _ when: Date) throws -> DomainContext? {
            guard let held = grants[account] else { return nil }
            let audit = AuditContext(actor: account, actingFor: nil, role: Set(held.map(\.role.rawValue)).sorted().joined(separator: ","), channel: "web", address: nil)
            return try DomainContext(app: app, actor: .staff(account: account, grants: held), audit: audit, now: when)
        }
        func visitorContext(_ when: Date) throws -> DomainContext {
            try DomainContext(app: app, actor: .anonymous, audit: AuditContext(actor: "anonymous", actingFor: nil, role: nil, channel: "kiosk", address: nil), now: when)
        }
        var given = 0
        // Visits to the market windows over the last five weeks.
        // In the order they happened: a window's tablet rates its latest visit only.
        for (index, visit) in visits.sorted(by: { $0.daysAgo > $1.daysAgo }).enumerated() {
            guard let window = windows.market.indices.contains(visit.window) ? windows.market[visit.window] : windows.market.first,
                let clerk = try staffContext("market.clerk", at(visit.daysAgo, minute: index * 7))
            else { continue }
            _ = try await EvaluationService(clerk).startVisit(window: window.code, applicantID: nil)
            let ended = try await EvaluationService(clerk.advanced(by: 600)).endVisit(window: window.code)
            guard let visitID = ended.id else { continue }
            let review = try await EvaluationService(try visitorContext(at(visit.daysAgo, minute: index * 7 + 11))).rateVisit(
                window: window.code, visitID: visitID, ReviewSubmission(level: visit.level.rawValue, reasons: visit.reasons, text: visit.text), channel: visit.channel)
            given += 1
            try await handle(review, visit.handling, app: app, at: at, staffContext: staffContext)
        }
        if let district = windows.district, let clerk = try staffContext("nanming.clerk", at(2)) {
            _ = try await EvaluationService(clerk).startVisit(window: district.code, applicantID: nil)
            let ended = try await EvaluationService(clerk.advanced(by: 420)).endVisit(window: district.code)
            if let visitID = ended.id {
                _ = try await EvaluationService(try visitorContext(at(2, minute: 9))).rateVisit(
                    window: district.code, visitID: visitID, ReviewSubmission(level: ReviewLevel.verySatisfied.rawValue, text: "南明区窗口一次办好，没有跑第二趟。"))
                given += 1
            }
        }
        given += try await rateCases(app, at: at, staffContext: staffContext)
        return given
    }

    /// The hall's windows: two for the market department's comprehensive window, one in 南明区.
    static func seedWindows(_ app: Application, staff: [DemoCity.StaffSeed]) async throws -> Windows {
        let now = app.timeSource.now()
        func department(_ account: String) -> String? {
            staff.first { $0.account == account }?.grants.first?.scope.departmentCreditCode
        }
        var market: [HallWindowRecord] = []
        if let code = department("market.clerk"), let record = try await DepartmentRecord.query(on: app.db).filter(\.$creditCode == code).first() {
            for (window, name) in [("A01", "综合窗口A01（市场监管）"), ("A02", "综合窗口A02（市场监管）")] {
                let row = HallWindowRecord(code: window, name: name, departmentCode: code, regionCode: record.regionCode, at: now)
                try await row.create(on: app.db)
                market.append(row)
            }
        }
        var district: HallWindowRecord?
        if let code = department("nanming.clerk"), let record = try await DepartmentRecord.query(on: app.db).filter(\.$creditCode == code).first() {
            let row = HallWindowRecord(code: "B01", name: "南明区政务服务中心综合窗口B01", departmentCode: code, regionCode: record.regionCode, at: now)
            try await row.create(on: app.db)
            district = row
        }
        return Windows(market: market, district: district)
    }

    static let admin = "market.admin"
    static let supervisor = "supervisor"

    /// Good ratings of every level and channel, and one bad review in each state of its loop.
    static var visits: [Visit] {
        let verifyNow = RectificationCommand(action: .verify, kind: .immediate, text: "调取窗口录像核实：当日取号高峰仅开一个窗口，情况属实。")
        let verifyLater = RectificationCommand(action: .verify, kind: .scheduled, text: "核实属实：材料清单与省级指南不一致，需修订办事指南。")
        let reply = RectificationCommand(action: .reply, text: "已增开高峰时段窗口并实行弹性排班，感谢您的监督。")
        let visitBack = RectificationCommand(action: .returnVisit, text: "电话回访，评价人认可整改措施。", flag: true)
        return [
            Visit(daysAgo: 33, window: 0, level: .verySatisfied, text: "工作人员一次性讲清楚了所需材料。"),
            Visit(daysAgo: 30, window: 1, level: .satisfied, channel: .hallTerminal),
            Visit(daysAgo: 27, window: 0, level: .basicallySatisfied, text: "等候时间稍长。"),
            Visit(daysAgo: 21, window: 1, level: .verySatisfied),
            Visit(daysAgo: 12, window: 0, level: .satisfied, channel: .hallTerminal, text: "引导清楚。"),
            Visit(daysAgo: 3, window: 1, level: .verySatisfied, text: "帮办代办很贴心。"),
            // Overdue: a bad review five weeks old that nobody has verified (the watch turns it red).
            Visit(daysAgo: 35, window: 0, level: .veryDissatisfied, reasons: ["longWait", "attitudePoor"], text: "排队两个小时，窗口人员不耐烦。"),
            // Closed late: put right after its deadline.
            Visit(
                daysAgo: 34, window: 1, level: .dissatisfied, reasons: ["notToldOnce"], text: "第一次没告诉我要带营业执照副本，跑了两趟。",
                handling: [(20, admin, verifyLater), (10, admin, RectificationCommand(action: .reply, text: "已修订材料清单并在窗口张贴一次性告知单。")), (9, admin, visitBack)]),
            // Closed on time.
            Visit(
                daysAgo: 14, window: 0, level: .dissatisfied, reasons: ["longWait"], text: "上午高峰只开一个窗口。",
                handling: [(13, admin, verifyNow), (12, admin, reply), (10, admin, visitBack)]),
            // Appeal upheld: the rating was meant for another hall.
            Visit(
                daysAgo: 11, window: 1, level: .veryDissatisfied, reasons: ["other"], text: "停车场收费太贵。",
                handling: [
                    (10, admin, RectificationCommand(action: .verify, kind: .appealMistaken, text: "评价内容为停车场收费，非本窗口政务服务，申请复核为误评。")),
                    (8, supervisor, RectificationCommand(action: .decideAppeal, text: "经复核，评价内容与窗口服务无关，申诉成立，不计入统计。", flag: true)),
                ]),
            // Appealed, waiting for the supervisor.
            Visit(
                daysAgo: 6, window: 0, level: .veryDissatisfied, reasons: ["attitudePoor"], text: "",
                handling: [(5, admin, RectificationCommand(action: .verify, kind: .appealMalicious, text: "同一号码当日连续五次差评且无具体内容，申请复核为恶意差评。"))]),
            // Answered, the return visit due.
            Visit(
                daysAgo: 5, window: 1, level: .dissatisfied, reasons: ["competenceLacking"], text: "问了两个问题都答不上来。",
                handling: [(4, admin, verifyNow), (3, admin, RectificationCommand(action: .reply, text: "已组织窗口人员业务培训，并安排业务骨干值守咨询台。"))]),
            // Being put right.
            Visit(daysAgo: 4, window: 0, level: .dissatisfied, reasons: ["tooManyMaterials"], text: "复印件要了好几份。", handling: [(3, admin, verifyLater)]),
            // Just in: waiting to be verified.
            Visit(daysAgo: 1, window: 1, level: .dissatisfied, channel: .hallTerminal, reasons: ["longWait"], text: "叫号屏不显示窗口号。"),
        ]
    }

    /// Takes a review's rectification through its steps on past days.
    static func handle(
        _ review: ReviewRecord, _ steps: [(Int, String, RectificationCommand)], app: Application, at: (Int, Int) -> Date,
        staffContext: (String, Date) throws -> DomainContext?
    ) async throws {
        guard !steps.isEmpty, let reviewID = review.id,
            let rectification = try await RectificationRecord.query(on: app.db).filter(\.$reviewID == reviewID).first(), let id = rectification.id
        else { return }
        for (daysAgo, account, command) in steps {
            guard let ctx = try staffContext(account, at(daysAgo, 30)) else { continue }
            _ = try await ctx.run(RectificationStep(), RectificationStep.Command(id: id, step: command))
        }
    }

    /// The demo cases rated by their applicants: one stage each, through the channels the
    /// applicant may use, and one bad review that is put right and whose rectification the
    /// applicant then rates.
    static func rateCases(_ app: Application, at: (Int, Int) -> Date, staffContext: (String, Date) throws -> DomainContext?) async throws -> Int {
        // Single cases of the market departments, whose demo administrators put the bad one right.
        let cases = try await CaseRecord.query(on: app.db).sort(\.$createdAt).all().filter { ReviewStage.of($0.state) != nil && $0.bundleApplicationID == nil }
        let keys = try app.keyRing
        let plan: [(ReviewLevel, ReviewChannel, String)] = [
            (.verySatisfied, .web, "网上申报很顺畅，进度随时能查。"), (.satisfied, .mobile, "手机上就办好了。"), (.verySatisfied, .sms, ""),
            (.basicallySatisfied, .qrCode, "回执上的二维码扫码就能评价。"), (.satisfied, .phone, "12345回访时口头评价。"),
            (.dissatisfied, .web, "补正通知说得不清楚，又补了一次材料。"), (.verySatisfied, .web, ""), (.satisfied, .mobile, ""),
        ]
        var given = 0
        var unused = cases
        for (level, channel, text) in plan {
            // The first case not yet rated that this channel can reach (a link needs its invitation).
            var picked: (record: CaseRecord, review: ReviewRecord, own: DomainContext)?
            for (position, record) in unused.enumerated() {
                guard let caseID = record.id, let applicantID = UUID(uuidString: record.applicantID),
                    let applicant = try await ApplicantRecord.find(applicantID, on: app.db)
                else { continue }
                let when = min(record.updatedAt.addingTimeInterval(3600), app.timeSource.now())
                let actor = ApplicantActor(accountID: record.applicantID, kind: applicant.kind, displayName: applicant.name)
                let audit = AuditContext(actor: "applicant:" + record.applicantID, actingFor: nil, role: nil, channel: "web", address: nil)
                let own = try DomainContext(app: app, actor: .applicant(actor), audit: audit, now: when)
                let submission = ReviewSubmission(level: level.rawValue, reasons: level.isBad ? ["guideUnclear"] : [], text: text)
                var review: ReviewRecord?
                switch channel {
                case .sms, .qrCode:
                    guard let stage = ReviewStage.of(record.state) else { continue }
                    let anonymous = try DomainContext(
                        app: app, actor: .anonymous, audit: AuditContext(actor: "anonymous", actingFor: nil, role: nil, channel: "web", address: nil), now: when)
                    let token = EvaluationService.token(caseID: caseID, stage: stage, keys: keys)
                    guard (try? await EvaluationService(anonymous).invitation(token, on: app.db)) != nil else { continue }
                    review = try await EvaluationService(anonymous).rateByInvitation(token: token, submission, channel: channel)
                case .phone:
                    guard let number = record.number, let hotline = try staffContext("hotline", when) else { continue }
                    review = try await EvaluationService(hotline).recordPhoneRating(caseNumber: number, submission)
                default:
                    review = try await EvaluationService(own).rateCase(caseID, submission, channel: channel)
                }
                if let review {
                    picked = (record, review, own)
                    unused.remove(at: position)
                    break
                }
            }
            guard let (_, review, own) = picked else { continue }
            // The loop closes within minutes, never after the present moment.
            let when = min(own.now, app.timeSource.now().addingTimeInterval(-600))
            given += 1
            guard level.isBad, let reviewID = review.id else { continue }
            // Put right at once, and rated by the applicant afterwards.
            let steps: [(Double, String, RectificationCommand)] = [
                (1, admin, RectificationCommand(action: .verify, kind: .immediate, text: "核实属实：补正告知书未逐项列明材料要求。")),
                (2, admin, RectificationCommand(action: .reply, text: "已改为逐项列明补正材料及要求的告知书模板。")),
                (3, admin, RectificationCommand(action: .returnVisit, text: "回访：申请人认可改进。", flag: true)),
            ]
            guard let rectification = try await RectificationRecord.query(on: app.db).filter(\.$reviewID == reviewID).first(), let id = rectification.id else { continue }
            var done = true
            for (hours, account, command) in steps {
                guard let ctx = try staffContext(account, when.addingTimeInterval(hours * 60)) else {
                    done = false
                    continue
                }
                _ = try await ctx.run(RectificationStep(), RectificationStep.Command(id: id, step: command))
            }
            if done {
                _ = try await EvaluationService(own.advanced(by: when.timeIntervalSince(own.now) + 300)).rateRectification(reviewID: reviewID, level: ReviewLevel.satisfied.rawValue, text: "处理及时。")
            }
        }
        return given
    }
}
