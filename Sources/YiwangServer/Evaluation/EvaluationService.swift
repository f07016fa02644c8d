import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// 好差评: ratings of a case's stages (一事一评) by the applicant on its page or the API, by a
/// single-use link (SMS, the QR code on the receipt and the decision), or said on the phone to
/// the hotline; ratings of a window visit (一次一评) on the window's tablet; and the reviewer's
/// rating of a rectification. Each is stored as given, with its tally in the statistics, its
/// rectification when it is bad, its audit event and the department's notice, in one transaction.
struct EvaluationService {
    let ctx: DomainContext
    var db: any Database { ctx.db }
    var actor: Actor { ctx.actor }

    init(_ ctx: DomainContext) { self.ctx = ctx }

    // MARK: Question sets

    /// The bundled question sets (`Resources/Seed/review-questions.json`), checked at start-up.
    static func loadQuestionSets(resources: String) throws -> [QuestionSet] {
        struct File: Decodable { var sets: [QuestionSet] }
        let data = try Data(contentsOf: URL(fileURLWithPath: resources + "Seed/review-questions.json"))
        let sets = try JSONDecoder().decode(File.self, from: data).sets
        let problems = sets.flatMap { $0.problems() }
        guard problems.isEmpty, Set(sets.map(\.service)).count == 2 else {
            throw Abort(.internalServerError, reason: "review-questions.json: " + (problems.isEmpty ? "one set per service is required" : problems.joined(separator: "; ")))
        }
        return sets
    }

    /// The question set in use for a service (the last of the bundled file for it).
    func questionSet(_ service: QuestionSet.Service) throws -> QuestionSet {
        guard let set = ctx.app.questionSets.last(where: { $0.service == service }) else {
            throw DomainError.unavailable("review.no_question_set", "评价问卷未配置，请稍后再试。")
        }
        return set
    }

    /// A set by its version, as stored with the reviews that answered it.
    func questionSet(version: String) async throws -> QuestionSet? {
        if let bundled = ctx.app.questionSets.first(where: { $0.version == version }) { return bundled }
        return try await QuestionSetRecord.find(version, on: db).map { try $0.set }
    }

    // MARK: Rating a case

    /// The applicant rates their own case on its page or through the API.
    func rateCase(_ caseID: UUID, _ submission: ReviewSubmission, channel: ReviewChannel) async throws -> ReviewRecord {
        let service = self
        return try await ctx.write { tx in
            guard let record = try await CaseRecord.lean(caseID, on: tx),
                Policy.allows(service.actor, .viewOwnCases, on: .applicant(record.applicantID))
            else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
            try Policy.authorize(service.actor, .evaluateService, on: .applicant(record.applicantID))
            return try await service.store(caseReview: record, submission, channel: channel, reviewer: record.applicantID, recordedBy: nil, on: tx)
        }
    }

    /// A rating through a single-use link (no sign-in): the link names the case and the stage.
    func rateByInvitation(token: String, _ submission: ReviewSubmission, channel: ReviewChannel) async throws -> ReviewRecord {
        let service = self
        return try await ctx.write { tx in
            let (invitation, record) = try await service.invitation(token, on: tx)
            guard ReviewStage.of(record.state) == invitation.stage || invitation.stage == .acceptance && ReviewStage.of(record.state) != nil else {
                throw DomainError.conflict("review.not_open", "该办件当前不能评价。")
            }
            // Used once: a second submission through the same link finds it spent.
            guard
                try await tx.sql().update(ReviewInvitationRecord.schema).set("used_at", to: service.ctx.now)
                    .where("token_hash", .equal, invitation.id ?? "").where("used_at", .is, SQLLiteral.null)
                    .returning("token_hash").all().count == 1
            else { throw DomainError.conflict("review.link_used", "该评价链接已使用过，每个链接只能评价一次。") }
            return try await service.store(
                caseReview: record, submission, channel: channel, reviewer: invitation.applicantID, recordedBy: nil, stage: invitation.stage, on: tx)
        }
    }

    /// The hotline writes down a rating the applicant gives on the phone (channel 电话).
    func recordPhoneRating(caseNumber: String, _ submission: ReviewSubmission) async throws -> ReviewRecord {
        try Policy.authorizeSomewhere(actor, .recordPhoneReviews)
        let service = self
        let number = caseNumber.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !number.isEmpty, number.count <= 40 else {
            throw DomainError.invalid("case.number_required", "请输入正确的受理编号。", fields: [FieldError(field: "caseNumber", message: "请输入受理编号。")])
        }
        return try await ctx.write { tx in
            guard let record = try await CaseRecord.query(on: tx).filter(\.$number == number).first(),
                Policy.allows(service.actor, .recordPhoneReviews, on: record.owner)
            else { throw DomainError.notFound("case.not_found", "未找到受理编号为 \(number) 的办件。") }
            return try await service.store(
                caseReview: record, submission, channel: .phone, reviewer: record.applicantID, recordedBy: service.ctx.audit.actor, on: tx)
        }
    }

    /// The invitation a token stands for, with its case; unknown, expired and spent links are refused.
    func invitation(_ token: String, on db: any Database) async throws -> (ReviewInvitationRecord, CaseRecord) {
        guard token.count >= 16, token.count <= 64, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }),
            let invitation = try await ReviewInvitationRecord.find(Self.hash(token), on: db),
            let record = try await CaseRecord.lean(invitation.caseID, on: db)
        else { throw DomainError.notFound("review.link_unknown", "评价链接无效，请核对短信或回执上的链接。") }
        if invitation.usedAt != nil { throw DomainError.conflict("review.link_used", "该评价链接已使用过，每个链接只能评价一次。") }
        if invitation.expiresAt <= ctx.now { throw DomainError.conflict("review.link_expired", "该评价链接已过期。您可登录后在办件页面评价。") }
        return (invitation, record)
    }

    /// Stores a case's review: each stage once, checked against the question set of the service
    /// (online or in the hall), linked to the acceptance's review when it is the 补评 at conclusion.
    private func store(
        caseReview record: CaseRecord, _ submission: ReviewSubmission, channel: ReviewChannel, reviewer: String, recordedBy: String?,
        stage wanted: ReviewStage? = nil, on tx: any Database
    ) async throws -> ReviewRecord {
        guard let caseID = record.id else { throw DomainError.notFound("case.not_found", "未找到该办件。") }
        let earlier = try await ReviewRecord.query(on: tx).filter(\.$caseID == caseID).filter(\.$subjectKindRaw == ReviewSubjectKind.caseStage.rawValue).all()
        let rated = Set(earlier.compactMap(\.stage))
        // A link sent at acceptance still rates the acceptance if that is not yet rated (even
        // once the conclusion has been rated through its own link).
        let stage: ReviewStage =
            try wanted == .acceptance && !rated.contains(.acceptance) && ReviewStage.of(record.state) != nil
            ? .acceptance : ReviewRules.checkStage(record.state, rated: rated)
        // A withdrawn draft archived later, or a case terminated during 补正, was never served.
        guard try await Self.wasAccepted(caseID, on: tx) else {
            throw DomainError.conflict("review.not_open", "该办件未经受理，没有可评价的服务。")
        }
        let set = try questionSet(StatisticsRules.isOnline(channel: record.channel) ? .online : .inHall)
        let checked = try ReviewRules.check(submission, against: set)
        let review = ReviewRecord()
        review.id = UUID()
        review.subjectKindRaw = ReviewSubjectKind.caseStage.rawValue
        review.subjectKey = "case:\(caseID.uuidString):\(stage.rawValue)"
        review.caseID = caseID
        review.caseNumber = record.number
        review.stageRaw = stage.rawValue
        review.followsID = earlier.first(where: { $0.stage == .acceptance })?.id
        review.itemCode = record.itemCode
        review.itemName = record.itemName
        review.departmentCode = record.departmentCode
        review.regionCode = record.regionCode
        review.serviceChannel = record.channel
        review.reviewerID = reviewer
        review.recordedBy = recordedBy
        try await insert(review, checked: checked, set: set, channel: channel, on: tx)
        return review
    }

    /// Whether the case was accepted or refused at acceptance: only then was there a service to rate.
    static func wasAccepted(_ caseID: UUID, on db: any Database) async throws -> Bool {
        try await CaseEventRecord.query(on: db).filter(\.$caseID == caseID)
            .filter(\.$action ~~ [CaseAction.accept.rawValue, CaseAction.rejectAtAcceptance.rawValue]).count() > 0
    }

    // MARK: Window visits (一次一评)

    /// The clerk starts serving a visitor at a window (ending whoever was served before).
    func startVisit(window code: String, applicantID: String?, caseNumbers: [String] = []) async throws -> WindowVisitRecord {
        let service = self
        return try await ctx.write { tx in
            let window = try await service.window(code, on: tx)
            try Policy.authorize(service.actor, .handleCaseAtWindow, on: window.owner)
            try await service.endOpenVisits(window.code, on: tx)
            let visit = WindowVisitRecord()
            visit.id = UUID()
            visit.windowCode = window.code
            visit.clerk = service.ctx.audit.actor
            visit.clerkName = try await StaffAccountRecord.query(on: tx).filter(\.$account == service.actor.accountName).first()?.displayName ?? service.actor.accountName
            visit.departmentCode = window.departmentCode
            visit.regionCode = window.regionCode
            // The visitor, when the desk found them: an applicant of this platform, or no one.
            if let applicantID {
                guard let id = UUID(uuidString: applicantID), try await ApplicantRecord.find(id, on: tx) != nil else {
                    throw DomainError.invalid("visit.applicant_unknown", "办事人不存在，请在窗口重新查找。", fields: [FieldError(field: "applicantID", message: "办事人不存在。")])
                }
            }
            visit.applicantID = applicantID
            visit.caseIDs = try await service.caseIDs(caseNumbers, on: tx).map(\.uuidString).joined(separator: ",")
            visit.startedAt = service.ctx.now
            try await visit.create(on: tx)
            try await AuditTrail.append(
                service.ctx.entry("visit.start", subjectType: "visit", subjectID: visit.id?.uuidString ?? "", owner: window.owner, after: window.code), on: tx)
            return visit
        }
    }

    /// The visitor leaves: the tablet now offers the visit for rating, for a few minutes.
    func endVisit(window code: String, caseNumbers: [String] = []) async throws -> WindowVisitRecord {
        let service = self
        return try await ctx.write { tx in
            let window = try await service.window(code, on: tx)
            try Policy.authorize(service.actor, .handleCaseAtWindow, on: window.owner)
            guard let visit = try await WindowVisitRecord.query(on: tx).filter(\.$windowCode == window.code).filter(\.$endedAt == nil)
                .sort(\.$startedAt, .descending).first()
            else { throw DomainError.conflict("visit.none_open", "窗口 \(window.code) 当前没有正在接待的办事人。") }
            let added = try await service.caseIDs(caseNumbers, on: tx).map(\.uuidString)
            visit.caseIDs = (visit.caseIDs.split(separator: ",").map(String.init) + added).uniqued().joined(separator: ",")
            visit.endedAt = service.ctx.now
            try await visit.save(on: tx)
            try await AuditTrail.append(
                service.ctx.entry("visit.end", subjectType: "visit", subjectID: visit.id?.uuidString ?? "", owner: window.owner, after: window.code), on: tx)
            return visit
        }
    }

    private func endOpenVisits(_ code: String, on tx: any Database) async throws {
        try await WindowVisitRecord.query(on: tx).filter(\.$windowCode == code).filter(\.$endedAt == nil).set(\.$endedAt, to: ctx.now).update()
    }

    private func caseIDs(_ numbers: [String], on tx: any Database) async throws -> [UUID] {
        let wanted = numbers.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !wanted.isEmpty else { return [] }
        // Only cases the clerk may handle at this window; another department's look like missing ones.
        let found = try await CaseRecord.query(on: tx).filter(\.$number ~~ wanted).all()
            .filter { Policy.allows(actor, .handleCaseAtWindow, on: $0.owner) }
        let unknown = Set(wanted).subtracting(found.compactMap(\.number))
        if let missing = unknown.sorted().first { throw DomainError.notFound("case.not_found", "未找到受理编号为 \(missing) 的办件。") }
        return found.compactMap(\.id)
    }

    func window(_ code: String, on db: any Database) async throws -> HallWindowRecord {
        let trimmed = code.trimmingCharacters(in: .whitespaces).uppercased()
        guard trimmed.count <= 16, let window = try await HallWindowRecord.find(trimmed, on: db) else {
            throw DomainError.notFound("window.not_found", "未找到窗口“\(code.prefix(16))”。")
        }
        return window
    }

    /// What the window's tablet shows: the visit being served, or the one just ended and not yet
    /// rated (for `visitRatingMinutes`); nil when there is nothing to rate.
    func visitToRate(window code: String, on db: any Database) async throws -> (window: HallWindowRecord, visit: WindowVisitRecord?, rated: Bool) {
        let window = try await window(code, on: db)
        guard let visit = try await WindowVisitRecord.query(on: db).filter(\.$windowCode == window.code).sort(\.$startedAt, .descending).first() else {
            return (window, nil, false)
        }
        if let ended = visit.endedAt, ended.addingTimeInterval(TimeInterval(ctx.settings.visitRatingMinutes * 60)) < ctx.now { return (window, nil, false) }
        let rated = try await ReviewRecord.query(on: db).filter(\.$subjectKey == "visit:" + (visit.id?.uuidString ?? "")).count() > 0
        return (window, visit, rated)
    }

    /// The visitor rates the visit on the window's tablet (or another hall terminal).
    func rateVisit(window code: String, visitID: UUID, _ submission: ReviewSubmission, channel: ReviewChannel = .hallTablet) async throws -> ReviewRecord {
        let service = self
        return try await ctx.write { tx in
            let (window, current, rated) = try await service.visitToRate(window: code, on: tx)
            guard let visit = current, visit.id == visitID else {
                throw DomainError.conflict("review.visit_closed", "这次接待已结束较久或已换下一位办事人，不能再评价。")
            }
            guard !rated else { throw DomainError.conflict("review.already_given", "这次接待已评价过，评价提交后不能修改。") }
            let set = try service.questionSet(.inHall)
            let checked = try ReviewRules.check(submission, against: set)
            // The tablet is open to whoever stands (or calls) at it: a rating there speaks for no
            // one. It names neither the visitor nor their case (which would show it on their case
            // page), only the service: the first case handled, if the window's department handles it.
            var record: CaseRecord?
            if let first = visit.cases.first, let handled = try await CaseRecord.lean(first, on: tx), handled.departmentCode == window.departmentCode {
                record = handled
            }
            let review = ReviewRecord()
            review.id = UUID()
            review.subjectKindRaw = ReviewSubjectKind.visit.rawValue
            review.subjectKey = "visit:" + visitID.uuidString
            review.visitID = visitID
            review.itemCode = record?.itemCode ?? "window:" + window.code
            review.itemName = record?.itemName ?? "\(window.name)现场服务"
            review.departmentCode = window.departmentCode
            review.regionCode = window.regionCode
            review.serviceChannel = "window"
            review.recordedBy = "window:" + window.code
            try await service.insert(review, checked: checked, set: set, channel: channel, on: tx)
            return review
        }
    }

    // MARK: The reviewer rates the rectification

    func rateRectification(reviewID: UUID, level: Int?, text: String?) async throws -> ReviewRecord {
        let rating = try ReviewRules.checkRectificationRating(level)
        let service = self
        return try await ctx.write { tx in
            guard let original = try await ReviewRecord.find(reviewID, on: tx), let reviewer = original.reviewerID,
                Policy.allows(service.actor, .evaluateService, on: .applicant(reviewer))
            else { throw DomainError.notFound("review.not_found", "未找到该评价。") }
            guard let rectification = try await RectificationRecord.query(on: tx).filter(\.$reviewID == reviewID).first(),
                rectification.state == .completed
            else { throw DomainError.conflict("review.rectification_open", "整改尚未办结，办结后才能评价整改结果。") }
            let set = try await service.questionSet(version: original.questionSet) ?? (try service.questionSet(.online))
            // Only the text's rules: a rectification rated 不满意 names no reason from the review's list.
            let checked = try ReviewRules.check(ReviewSubmission(level: ReviewLevel.basicallySatisfied.rawValue, text: text), against: set)
            let review = ReviewRecord()
            review.id = UUID()
            review.subjectKindRaw = ReviewSubjectKind.rectification.rawValue
            review.subjectKey = "rectification:" + reviewID.uuidString
            review.caseID = original.caseID
            review.caseNumber = original.caseNumber
            review.followsID = reviewID
            review.itemCode = original.itemCode
            review.itemName = original.itemName
            review.departmentCode = original.departmentCode
            review.regionCode = original.regionCode
            review.serviceChannel = original.serviceChannel
            review.reviewerID = reviewer
            try await service.insert(review, checked: CheckedReview(level: rating, answers: [:], reasons: [], text: checked.text), set: set, channel: .web, on: tx)
            return review
        }
    }

    // MARK: Storing

    /// Inserts the review as it will stay, counts it, opens the rectification of a bad one, and
    /// records the audit event and the department's notice, in the caller's transaction.
    private func insert(_ review: ReviewRecord, checked: CheckedReview, set: QuestionSet, channel: ReviewChannel, on tx: any Database) async throws {
        if try await ReviewRecord.query(on: tx).filter(\.$subjectKey == review.subjectKey).count() > 0 {
            throw DomainError.conflict("review.already_given", "已评价过，评价提交后不能修改。")
        }
        try await storeQuestionSet(set, on: tx)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        review.channelRaw = channel.rawValue
        review.questionSet = set.version
        review.levelRaw = checked.level.rawValue
        review.answersJSON = String(decoding: try encoder.encode(checked.answers.mapValues(\.rawValue)), as: UTF8.self)
        review.reasonsJSON = String(decoding: try encoder.encode(checked.reasons), as: UTF8.self)
        review.text = checked.text
        review.day = ctx.today.description
        review.createdAt = ctx.now
        try await review.create(on: tx)
        let reviewID = review.id?.uuidString ?? ""
        var notices: [OutboxRecord] = []
        if review.subjectKind != .rectification {
            try await StatisticsLedger.add(StatisticsRules.review(checked.level), at: review.tallyKey, on: tx)
            if checked.level.isBad {
                let rectification = try await RectificationService(ctx).open(for: review, on: tx)
                notices.append(
                    OutboxRecord(
                        dedupeKey: "review:\(reviewID):department", caseID: review.caseID, recipient: "department:" + review.departmentCode, channel: "inbox",
                        subject: "收到差评：\(review.itemName)",
                        body: "\(review.caseNumber.map { "受理编号 \($0)，" } ?? "")评价“\(checked.level.chineseName)”（\(checked.reasons.map(\.text).joined(separator: "；"))）。请于 \(rectification.deadline) 前核实整改并回访。",
                        at: ctx.now))
            }
        }
        try await AuditTrail.append(
            ctx.entry(
                "review.submit", subjectType: "review", subjectID: reviewID, owner: review.owner,
                after: "\(review.subjectKind.chineseName)·\(channel.chineseName)·\(checked.level.chineseName)"), on: tx)
        try await OutboxRecord.insert(notices, on: tx)
    }

    private func storeQuestionSet(_ set: QuestionSet, on tx: any Database) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try await tx.sql().raw("""
            INSERT INTO review_question_sets (version, service, content, created_at)
            VALUES (\(bind: set.version), \(bind: set.service.rawValue), \(bind: String(decoding: try encoder.encode(set), as: UTF8.self)), \(bind: ctx.now))
            ON CONFLICT (version) DO NOTHING
            """).run()
    }

    // MARK: Invitations

    /// The link's token for a case's stage: derived with the index key, so the receipt and the
    /// decision can print it again; only its hash is stored.
    static func token(caseID: UUID, stage: ReviewStage, keys: KeyRing) -> String {
        String(keys.blindIndex(caseID.uuidString + ":" + stage.rawValue, purpose: "review-invitation").prefix(32))
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Opens the link for a stage (once; a later call leaves it as it is) and returns the SMS
    /// inviting the applicant to rate, for the step's outbox.
    func invite(_ record: CaseRecord, stage: ReviewStage, on tx: any Database) async throws -> [OutboxRecord] {
        guard let caseID = record.id else { return [] }
        let token = Self.token(caseID: caseID, stage: stage, keys: ctx.keys)
        let expires = ctx.now.addingTimeInterval(TimeInterval(ctx.settings.reviewLinkDays * 86_400))
        try await tx.sql().raw("""
            INSERT INTO review_invitations (token_hash, case_id, stage, applicant_id, created_at, expires_at)
            VALUES (\(bind: Self.hash(token)), \(bind: caseID), \(bind: stage.rawValue), \(bind: record.applicantID), \(bind: ctx.now), \(bind: expires))
            ON CONFLICT (token_hash) DO NOTHING
            """).run()
        let link = ctx.settings.publicURL + "/e/" + token
        return [
            OutboxRecord(
                dedupeKey: "review-invitation:\(caseID.uuidString):\(stage.rawValue)", caseID: caseID, recipient: "applicant:" + record.applicantID,
                channel: "sms", subject: "请评价本次服务",
                body: "您申报的“\(record.itemName)”\(stage == .acceptance ? "已受理" : "已办结")。欢迎评价本次服务（好差评）：\(link)，\(ctx.settings.reviewLinkDays)天内有效。",
                at: ctx.now)
        ]
    }

    /// The link printed on the receipt (acceptance) or the decision (conclusion) as a QR code.
    func invitationLink(_ caseID: UUID, stage: ReviewStage) -> String {
        ctx.settings.publicURL + "/e/" + Self.token(caseID: caseID, stage: stage, keys: ctx.keys) + "?via=qr"
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

extension Application {
    private struct QuestionSetsKey: StorageKey { typealias Value = [QuestionSet] }

    /// The bundled question sets, loaded by `configure`.
    var questionSets: [QuestionSet] {
        get { storage[QuestionSetsKey.self] ?? [] }
        set { storage[QuestionSetsKey.self] = newValue }
    }
}
