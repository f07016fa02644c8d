import Fluent
import Foundation
import Vapor
import YiwangCore

/// What a step records besides the rows of its own domain: its audit event(s) and the notices
/// it sends. The runner writes both in the step's transaction.
struct StepRecord: Sendable {
    var audit: [AuditEntry]
    var notices: [OutboxRecord]

    init(audit: [AuditEntry], notices: [OutboxRecord] = []) {
        self.audit = audit
        self.notices = notices
    }
}

/// A workflow whose steps run the same way in every domain (cases now; bundle tasks,
/// rectification, licences and hotline tickets after): load the subject as the actor may see it,
/// authorize, ask Core for the plan, persist the plan, then the runner appends the audit event
/// and the outbox, all in one transaction. The rule itself lives in Core, in `plan`'s callee.
protocol Workflow: Sendable {
    associatedtype Command: Sendable
    associatedtype Subject: Sendable
    associatedtype Plan: Sendable
    associatedtype Outcome: Sendable

    /// The subject, scoped by the policy: one the actor may not see looks like a missing one.
    func load(_ command: Command, _ ctx: DomainContext, on tx: any Database) async throws -> Subject
    /// Refuses (403) what the actor may not do; the state machine's refusals come from `plan`.
    func authorize(_ command: Command, _ subject: Subject, _ ctx: DomainContext) throws
    /// Gathers the facts the rule needs and returns Core's plan (the new state and its effects).
    func plan(_ command: Command, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> Plan
    /// Performs the plan on the domain's rows and says what the trail and the outbox record.
    func persist(_ plan: Plan, _ subject: Subject, _ ctx: DomainContext, on tx: any Database) async throws -> (Outcome, StepRecord)
    /// A step that follows in the same transaction once this one is recorded (a 即办件's
    /// approval after its acceptance); none by default.
    func followUp(_ outcome: Outcome, _ plan: Plan, _ ctx: DomainContext, on tx: any Database) async throws
}

extension Workflow {
    func followUp(_ outcome: Outcome, _ plan: Plan, _ ctx: DomainContext, on tx: any Database) async throws {}
}

extension DomainContext {
    /// One step in its own transaction: load → authorize → plan → persist → audit → outbox.
    func run<W: Workflow>(_ workflow: W, _ command: W.Command) async throws -> W.Outcome {
        let ctx = self
        return try await write { tx in
            let subject = try await workflow.load(command, ctx, on: tx)
            return try await ctx.step(workflow, command, subject, on: tx)
        }
    }

    /// One step inside a transaction the caller holds (filing and submitting in one go, a
    /// material that completes a deferral, the deadline watch's batch).
    func step<W: Workflow>(_ workflow: W, _ command: W.Command, _ subject: W.Subject, on tx: any Database) async throws -> W.Outcome {
        try workflow.authorize(command, subject, self)
        let plan = try await workflow.plan(command, subject, self, on: tx)
        let (outcome, recorded) = try await workflow.persist(plan, subject, self, on: tx)
        for entry in recorded.audit { try await AuditTrail.append(entry, on: tx) }
        try await OutboxRecord.insert(recorded.notices, on: tx)  // one multi-row insert
        try await workflow.followUp(outcome, plan, self, on: tx)
        return outcome
    }
}
