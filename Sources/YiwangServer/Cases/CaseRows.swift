import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

// The hot tables of cases on the lean write path (see `LeanRow`): each row's columns named once.

extension CaseRecord: LeanRow {
    static var table: String { schema }

    var leanValues: [(column: String, value: any Encodable & Sendable)] {
        [
            ("id", id), ("number", number), ("item_code", itemCode), ("item_name", itemName), ("version_id", versionID),
            ("applicant_id", applicantID), ("filed_by", filedBy), ("department_code", departmentCode), ("region_code", regionCode),
            ("state", stateRaw), ("form_sealed", formSealed), ("form_shown", formShown), ("channel", channel), ("deadline", deadline),
            ("deadline_provisional", deadlineProvisional), ("clock", clockJSON), ("deferred_outstanding", deferredOutstanding),
            ("alert_level", alertLevel), ("created_at", createdAt), ("updated_at", updatedAt), ("green_channel", greenChannel),
            ("green_channel_reason", greenChannelReason), ("assisted_by", assistedBy), ("commitment_signed", commitmentSigned),
            ("commitment_check_due", commitmentCheckDue), ("deferred_due", deferredDue), ("result_document", resultDocument),
            ("approves_on_timeout", approvesOnTimeout), ("queue_order", queueOrder), ("credit_warning", creditWarning),
            ("credit_reason", creditReason), ("bundle_application_id", bundleApplicationID),
        ]
    }

    /// A case read through SQLKit; Fluent treats it as loaded from the database.
    convenience init(row: any SQLRow) throws {
        self.init()
        id = try row.decode(column: "id", as: UUID.self)
        number = try row.decode(column: "number", as: String?.self)
        itemCode = try row.decode(column: "item_code", as: String.self)
        itemName = try row.decode(column: "item_name", as: String.self)
        versionID = try row.decode(column: "version_id", as: UUID.self)
        applicantID = try row.decode(column: "applicant_id", as: String.self)
        filedBy = try row.decode(column: "filed_by", as: String.self)
        departmentCode = try row.decode(column: "department_code", as: String.self)
        regionCode = try row.decode(column: "region_code", as: String.self)
        stateRaw = try row.decode(column: "state", as: String.self)
        formSealed = try row.decode(column: "form_sealed", as: String.self)
        formShown = try row.decode(column: "form_shown", as: String.self)
        channel = try row.decode(column: "channel", as: String.self)
        deadline = try row.decode(column: "deadline", as: String?.self)
        deadlineProvisional = try row.decode(column: "deadline_provisional", as: Bool.self)
        clockJSON = try row.decode(column: "clock", as: String?.self)
        deferredOutstanding = try row.decode(column: "deferred_outstanding", as: Bool.self)
        alertLevel = try row.decode(column: "alert_level", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
        updatedAt = try row.decode(column: "updated_at", as: Date.self)
        greenChannel = try row.decode(column: "green_channel", as: Bool.self)
        greenChannelReason = try row.decode(column: "green_channel_reason", as: String?.self)
        assistedBy = try row.decode(column: "assisted_by", as: String?.self)
        commitmentSigned = try row.decode(column: "commitment_signed", as: Bool.self)
        commitmentCheckDue = try row.decode(column: "commitment_check_due", as: String?.self)
        deferredDue = try row.decode(column: "deferred_due", as: String?.self)
        resultDocument = try row.decode(column: "result_document", as: String?.self)
        approvesOnTimeout = try row.decode(column: "approves_on_timeout", as: Bool.self)
        queueOrder = try row.decode(column: "queue_order", as: String.self)
        creditWarning = try row.decode(column: "credit_warning", as: String?.self)
        creditReason = try row.decode(column: "credit_reason", as: String?.self)
        bundleApplicationID = try row.decode(column: "bundle_application_id", as: UUID?.self)
        $id.exists = true
    }

    /// One case by its id, read without Fluent's reflection.
    static func lean(_ id: UUID, on db: any Database) async throws -> CaseRecord? {
        try await db.sql().select().column(SQLLiteral.all).from(schema).where("id", .equal, id).first().map(CaseRecord.init(row:))
    }

    /// Writes the case: its first write inserts it, later ones update it.
    func write(on db: any Database) async throws {
        guard let id else { throw Abort(.internalServerError, reason: "a case needs its id before it is written") }
        if $id.exists {
            try await update(on: db, id)
        } else {
            try await insert(on: db)
            $id.exists = true
        }
    }
}

extension CaseEventRecord: LeanRow {
    static var table: String { schema }

    var leanValues: [(column: String, value: any Encodable & Sendable)] {
        [
            ("id", id), ("case_id", caseID), ("at", at), ("actor", actor), ("channel", channel), ("action", action),
            ("from_state", fromState), ("to_state", toState), ("reason", reason),
        ]
    }

    convenience init(row: any SQLRow) throws {
        self.init()
        id = try row.decode(column: "id", as: UUID.self)
        caseID = try row.decode(column: "case_id", as: UUID.self)
        at = try row.decode(column: "at", as: Date.self)
        actor = try row.decode(column: "actor", as: String.self)
        channel = try row.decode(column: "channel", as: String.self)
        action = try row.decode(column: "action", as: String.self)
        fromState = try row.decode(column: "from_state", as: String.self)
        toState = try row.decode(column: "to_state", as: String.self)
        reason = try row.decode(column: "reason", as: String?.self)
        $id.exists = true
    }

    /// A case's timeline, oldest first.
    static func timeline(of caseID: UUID, on db: any Database) async throws -> [CaseEventRecord] {
        try await db.sql().select().column(SQLLiteral.all).from(schema).where("case_id", .equal, caseID).orderBy("at").all().map(CaseEventRecord.init(row:))
    }
}

extension OutboxRecord: LeanRow {
    static var table: String { schema }

    var leanValues: [(column: String, value: any Encodable & Sendable)] {
        [
            ("id", id), ("dedupe_key", dedupeKey), ("case_id", caseID), ("recipient", recipient), ("channel", channel), ("subject", subject),
            ("body", body), ("status", status), ("attempts", attempts), ("next_attempt_at", nextAttemptAt), ("claimed_at", claimedAt),
            ("sent_at", sentAt), ("last_error", lastError), ("created_at", createdAt),
        ]
    }
}

extension IdempotencyRecord: LeanRow {
    static var table: String { schema }

    var leanValues: [(column: String, value: any Encodable & Sendable)] {
        [("id", id), ("scope_key", scopeKey), ("request_hash", requestHash), ("case_id", caseID), ("created_at", createdAt)]
    }

    /// The request hash and case an earlier call with this caller's key made, if any.
    static func earlier(_ scopeKey: String, on db: any Database) async throws -> (requestHash: String, caseID: UUID)? {
        guard let row = try await db.sql().select().columns("request_hash", "case_id").from(schema).where("scope_key", .equal, scopeKey).first() else {
            return nil
        }
        return (try row.decode(column: "request_hash", as: String.self), try row.decode(column: "case_id", as: UUID.self))
    }
}
