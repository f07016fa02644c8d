import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// One application (办件). It keeps the catalog version in force on the day it was filed, so a
/// later republication never changes the rules a case is judged by.
final class CaseRecord: Model, @unchecked Sendable {
    static let schema = "cases"

    @ID(key: .id) var id: UUID?
    /// 受理编号, given at acceptance.
    @OptionalField(key: "number") var number: String?
    @Field(key: "item_code") var itemCode: String
    @Field(key: "item_name") var itemName: String
    @Field(key: "version_id") var versionID: UUID
    /// Whose affairs: the applicant, or the company an agent acts for.
    @Field(key: "applicant_id") var applicantID: String
    @Field(key: "filed_by") var filedBy: String
    @Field(key: "department_code") var departmentCode: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "state") var stateRaw: String
    /// The form as filed, sealed (it may hold ID and phone numbers); `formShown` is its masked copy.
    @Field(key: "form_sealed") var formSealed: String
    @Field(key: "form_shown") var formShown: String
    @Field(key: "channel") var channel: String
    @OptionalField(key: "deadline") var deadline: String?
    @Field(key: "deadline_provisional") var deadlineProvisional: Bool
    @OptionalField(key: "clock") var clockJSON: String?
    @Field(key: "deferred_outstanding") var deferredOutstanding: Bool
    /// The deadline alert last raised: none, yellow or red (each is raised once).
    @Field(key: "alert_level") var alertLevel: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    /// 绿色通道: handled ahead of the queue, with the reason the window gave.
    @Field(key: "green_channel") var greenChannel: Bool
    @OptionalField(key: "green_channel_reason") var greenChannelReason: String?
    /// 代办/帮办: the staff member or agent who filed for the applicant.
    @OptionalField(key: "assisted_by") var assistedBy: String?
    /// 告知承诺: the applicant signed the commitment; after approval it is checked by this day.
    @Field(key: "commitment_signed") var commitmentSigned: Bool
    @OptionalField(key: "commitment_check_due") var commitmentCheckDue: String?
    /// 容缺受理: the deferred materials must follow by this day.
    @OptionalField(key: "deferred_due") var deferredDue: String?
    /// The result document recorded at decision or certificate (文号 or certificate number).
    @OptionalField(key: "result_document") var resultDocument: String?
    /// 超时默认, from the catalog version the case was filed under (which never changes for it):
    /// kept on the case so the deadline watch finds such cases from an index.
    @Field(key: "approves_on_timeout") var approvesOnTimeout: Bool
    /// Where the case stands in its department's work queue (`CaseQueue.order`).
    @Field(key: "queue_order") var queueOrder: String
    /// The credit registry's warning at submission (a listed applicant), and the clerk's reason
    /// to proceed, recorded at acceptance.
    @OptionalField(key: "credit_warning") var creditWarning: String?
    @OptionalField(key: "credit_reason") var creditReason: String?
    /// The bundle application (一件事) this case is one task of; nil for a case filed alone.
    @OptionalField(key: "bundle_application_id") var bundleApplicationID: UUID?

    init() {}

    /// Takes a moved legal clock: its deadline from the calendar, and alerts start over when the
    /// deadline moved.
    func take(_ clock: DeadlineClock, calendar: WorkingCalendar) throws {
        self.clock = clock
        let deadline = try clock.deadline(calendar)
        if self.deadline != deadline?.date.description { alertLevel = "none" }
        self.deadline = deadline?.date.description
        deadlineProvisional = deadline?.provisional ?? false
    }

    func refreshQueueOrder() {
        queueOrder = CaseQueue.order(state: state, greenChannel: greenChannel, deadline: deadline, createdAt: createdAt)
    }

    var state: CaseState {
        get { CaseState(rawValue: stateRaw) ?? .draft }
        set { stateRaw = newValue.rawValue }
    }

    var owner: ResourceOwner {
        ResourceOwner(departmentCreditCode: departmentCode, regionCode: regionCode, applicantID: applicantID)
    }

    /// What the policy weighs when someone reads or files for the case.
    var subject: CaseSubject {
        CaseSubject(owner: owner, state: state, filedAtWindow: channel == "window", filedBy: filedBy)
    }

    func urgency(today: LocalDate, warnWithin: Int, calendar: WorkingCalendar) -> CaseUrgency {
        CaseUrgency.of(state: state, deadline: deadline, today: today, warnWithin: warnWithin, calendar: calendar)
    }

    var clock: DeadlineClock? {
        get { clockJSON.flatMap { try? JSONDecoder().decode(DeadlineClock.self, from: Data($0.utf8)) } }
        set { clockJSON = newValue.flatMap { try? String(decoding: JSONEncoder().encode($0), as: UTF8.self) } }
    }

    var shownFormValues: [String: JSONValue] {
        (try? JSONDecoder().decode([String: JSONValue].self, from: Data(formShown.utf8))) ?? [:]
    }
}

/// Every transition of a case: the timeline the applicant and the staff see.
final class CaseEventRecord: Model, @unchecked Sendable {
    static let schema = "case_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "at") var at: Date
    @Field(key: "actor") var actor: String
    @Field(key: "channel") var channel: String
    @Field(key: "action") var action: String
    @Field(key: "from_state") var fromState: String
    @Field(key: "to_state") var toState: String
    @OptionalField(key: "reason") var reason: String?

    init() {}

    convenience init(caseID: UUID, at: Date, actor: String, channel: String, action: CaseAction, from: CaseState, to: CaseState, reason: String?) {
        self.init(caseID: caseID, at: at, actor: actor, channel: channel, action: action.rawValue, from: from, to: to, reason: reason)
    }

    init(caseID: UUID, at: Date, actor: String, channel: String, action: String, from: CaseState, to: CaseState, reason: String?) {
        id = UUID()
        self.caseID = caseID
        self.at = at
        self.actor = actor
        self.channel = channel
        self.action = action
        fromState = from.rawValue
        toState = to.rawValue
        self.reason = reason
    }
}

/// Messages to send, written in the same transaction as the change they announce, so nothing
/// is lost when a provider is down: a sender delivers them later with retries. The dedupe key
/// makes the same announcement impossible to queue twice.
final class OutboxRecord: Model, @unchecked Sendable {
    static let schema = "notification_outbox"

    @ID(key: .id) var id: UUID?
    @Field(key: "dedupe_key") var dedupeKey: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "recipient") var recipient: String
    @Field(key: "channel") var channel: String
    @Field(key: "subject") var subject: String
    @Field(key: "body") var body: String
    @Field(key: "status") var status: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "claimed_at") var claimedAt: Date?
    @OptionalField(key: "sent_at") var sentAt: Date?
    @OptionalField(key: "last_error") var lastError: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(dedupeKey: String, caseID: UUID?, recipient: String, channel: String, subject: String, body: String, at: Date) {
        id = UUID()
        self.dedupeKey = dedupeKey
        self.caseID = caseID
        self.recipient = recipient
        self.channel = channel
        self.subject = subject
        self.body = body
        status = "pending"
        attempts = 0
        nextAttemptAt = at
        createdAt = at
    }
}

/// A create call's Idempotency-Key, per caller: a retried request answers the case it created.
final class IdempotencyRecord: Model, @unchecked Sendable {
    static let schema = "idempotency_keys"

    @ID(key: .id) var id: UUID?
    @Field(key: "scope_key") var scopeKey: String
    @Field(key: "request_hash") var requestHash: String
    @Field(key: "case_id") var caseID: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

