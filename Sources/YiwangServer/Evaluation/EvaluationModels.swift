import Fluent
import Foundation
import Vapor
import YiwangCore

/// A window of a hall (综合窗口 A01, …), where a clerk serves one visitor at a time.
final class HallWindowRecord: Model, @unchecked Sendable {
    static let schema = "hall_windows"

    @ID(custom: "code", generatedBy: .user) var id: String?
    @Field(key: "name") var name: String
    @Field(key: "department_code") var departmentCode: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(code: String, name: String, departmentCode: String, regionCode: String, at: Date) {
        id = code
        self.name = name
        self.departmentCode = departmentCode
        self.regionCode = regionCode
        createdAt = at
    }

    var code: String { id ?? "" }
    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: departmentCode, regionCode: regionCode) }
}

/// One visitor served at a window (一次一评 rates it): opened by the clerk, ended when they leave.
final class WindowVisitRecord: Model, @unchecked Sendable {
    static let schema = "window_visits"

    @ID(key: .id) var id: UUID?
    @Field(key: "window_code") var windowCode: String
    @Field(key: "clerk") var clerk: String
    @Field(key: "clerk_name") var clerkName: String
    @Field(key: "department_code") var departmentCode: String
    @Field(key: "region_code") var regionCode: String
    @OptionalField(key: "applicant_id") var applicantID: String?
    /// Cases filed or handled during the visit, comma-separated.
    @Field(key: "case_ids") var caseIDs: String
    @Field(key: "started_at") var startedAt: Date
    @OptionalField(key: "ended_at") var endedAt: Date?

    init() {}

    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: departmentCode, regionCode: regionCode, applicantID: applicantID) }
    var cases: [UUID] { caseIDs.split(separator: ",").compactMap { UUID(uuidString: String($0)) } }
}

/// A versioned question set as loaded from `Resources/Seed/review-questions.json`.
final class QuestionSetRecord: Model, @unchecked Sendable {
    static let schema = "review_question_sets"

    @ID(custom: "version", generatedBy: .user) var id: String?
    @Field(key: "service") var service: String
    @Field(key: "content") var content: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var set: QuestionSet {
        get throws { try JSONDecoder().decode(QuestionSet.self, from: Data(content.utf8)) }
    }
}

/// One evaluation (好差评), as given; never updated or deleted (the database refuses both).
final class ReviewRecord: Model, @unchecked Sendable {
    static let schema = "reviews"

    @ID(key: .id) var id: UUID?
    @Field(key: "subject_kind") var subjectKindRaw: String
    @Field(key: "subject_key") var subjectKey: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @OptionalField(key: "case_number") var caseNumber: String?
    @OptionalField(key: "stage") var stageRaw: String?
    @OptionalField(key: "visit_id") var visitID: UUID?
    @OptionalField(key: "follows_id") var followsID: UUID?
    @Field(key: "item_code") var itemCode: String
    @Field(key: "item_name") var itemName: String
    @Field(key: "department_code") var departmentCode: String
    @Field(key: "region_code") var regionCode: String
    /// The channel of the service rated (the case's, or `window` for a visit): the statistics' channel.
    @Field(key: "service_channel") var serviceChannel: String
    /// Where the rating was given (评价渠道).
    @Field(key: "channel") var channelRaw: String
    @Field(key: "question_set") var questionSet: String
    @Field(key: "level") var levelRaw: Int
    @Field(key: "answers") var answersJSON: String
    @Field(key: "reasons") var reasonsJSON: String
    @Field(key: "text") var text: String
    @OptionalField(key: "reviewer_id") var reviewerID: String?
    /// The operator who wrote down a rating said on the phone, or the clerk's tablet.
    @OptionalField(key: "recorded_by") var recordedBy: String?
    @Field(key: "day") var day: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var subjectKind: ReviewSubjectKind { ReviewSubjectKind(rawValue: subjectKindRaw) ?? .caseStage }
    var stage: ReviewStage? { stageRaw.flatMap(ReviewStage.init(rawValue:)) }
    var channel: ReviewChannel { ReviewChannel(rawValue: channelRaw) ?? .web }
    var level: ReviewLevel { ReviewLevel(rawValue: levelRaw) ?? .basicallySatisfied }
    var reasons: [QuestionSet.Reason] { (try? JSONDecoder().decode([QuestionSet.Reason].self, from: Data(reasonsJSON.utf8))) ?? [] }
    var answers: [String: Int] { (try? JSONDecoder().decode([String: Int].self, from: Data(answersJSON.utf8))) ?? [:] }
    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: departmentCode, regionCode: regionCode) }
    var localDay: LocalDate { (try? LocalDate(day)) ?? LocalDate(createdAt) }

    /// Where its counts go in the statistics.
    var tallyKey: TallyKey {
        TallyKey(day: localDay, itemCode: itemCode, itemName: itemName, departmentCode: departmentCode, regionCode: regionCode, channel: serviceChannel)
    }
}

/// A single-use link to rate one stage of a case without signing in (SMS, the QR code on the
/// receipt and the decision). The token is derived from the case and stage with the index key,
/// so the printed page can show it again; only its hash is stored.
final class ReviewInvitationRecord: Model, @unchecked Sendable {
    static let schema = "review_invitations"

    @ID(custom: "token_hash", generatedBy: .user) var id: String?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "stage") var stageRaw: String
    @Field(key: "applicant_id") var applicantID: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?

    init() {}

    var stage: ReviewStage { ReviewStage(rawValue: stageRaw) ?? .acceptance }
}

/// The handling of one bad review (差评整改), moved only by `RectificationStep`.
final class RectificationRecord: Model, @unchecked Sendable {
    static let schema = "rectifications"

    @ID(key: .id) var id: UUID?
    @Field(key: "review_id") var reviewID: UUID
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "department_code") var departmentCode: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "item_code") var itemCode: String
    @Field(key: "item_name") var itemName: String
    @Field(key: "state") var stateRaw: String
    @OptionalField(key: "kind") var kindRaw: String?
    @Field(key: "deadline") var deadline: String
    @Field(key: "alert_level") var alertLevel: String
    @OptionalField(key: "finding") var finding: String?
    @OptionalField(key: "reply") var reply: String?
    @OptionalField(key: "visit_result") var visitResult: String?
    @OptionalField(key: "visit_reached") var visitReached: Bool?
    @OptionalField(key: "appeal_decision") var appealDecision: String?
    @OptionalField(key: "closed_on") var closedOn: String?
    @OptionalField(key: "on_time") var onTime: Bool?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var state: RectificationState {
        get { RectificationState(rawValue: stateRaw) ?? .awaitingVerification }
        set { stateRaw = newValue.rawValue }
    }

    var kind: RectificationKind? { kindRaw.flatMap(RectificationKind.init(rawValue:)) }
    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: departmentCode, regionCode: regionCode) }
    var deadlineDate: LocalDate { (try? LocalDate(deadline)) ?? LocalDate(createdAt) }

    func urgency(today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> CaseUrgency {
        RectificationLifecycle.urgency(state, deadline: deadlineDate, today: today, warnWithin: warnWithin, calendar: calendar)
    }
}

/// A step of a rectification's timeline.
final class RectificationEventRecord: Model, @unchecked Sendable {
    static let schema = "rectification_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "rectification_id") var rectificationID: UUID
    @Field(key: "at") var at: Date
    @Field(key: "actor") var actor: String
    @Field(key: "action") var action: String
    @Field(key: "from_state") var fromState: String
    @Field(key: "to_state") var toState: String
    @Field(key: "summary") var summary: String

    init() {}

    init(rectificationID: UUID, at: Date, actor: String, action: String, from: RectificationState, to: RectificationState, summary: String) {
        self.rectificationID = rectificationID
        self.at = at
        self.actor = actor
        self.action = action
        fromState = from.rawValue
        toState = to.rawValue
        self.summary = summary
    }
}
