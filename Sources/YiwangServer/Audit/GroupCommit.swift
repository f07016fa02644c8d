import Fluent
import Foundation
import SQLKit
import Vapor

/// SQLite's one writer, committing together the audited transactions that wait for it (group
/// commit). The first caller to find it idle leads: it takes every waiting transaction (up to
/// `batchLimit`), runs them one after another in one SQLite transaction, each inside its own
/// savepoint so a refused one rolls back alone, moves and seals the audit head once, commits
/// once (one sync of the WAL under `synchronous=full`), and only then answers each caller:
/// nobody is told "done" before their rows are durable. While a batch runs, the next one gathers.
/// Alone (one writer at a time, no queue), a transaction runs exactly as before, without
/// savepoints. PostgreSQL needs none of this: it commits concurrent transactions itself.
actor GroupCommit {
    private struct Job: Sendable {
        let body: @Sendable (any Database) async throws -> any Sendable
        let done: CheckedContinuation<any Sendable, any Error>
        let queued: ContinuousClock.Instant
    }

    private var waiting: [Job] = []
    private var leading = false
    /// Commits made and transactions they carried, since start (tests and `/metrics` read them).
    private(set) var commits = 0
    private(set) var transactions = 0
    let batchLimit: Int

    init(batchLimit: Int = 64) { self.batchLimit = max(1, batchLimit) }

    func run<T: Sendable>(on db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        let value = try await withCheckedThrowingContinuation { (done: CheckedContinuation<any Sendable, any Error>) in
            waiting.append(Job(body: { try await body($0) }, done: done, queued: .now))
            if !leading {
                leading = true
                Task { await self.lead(on: db) }
            }
        }
        guard let typed = value as? T else { throw Abort(.internalServerError, reason: "a grouped transaction answered the wrong type") }
        return typed
    }

    private func lead(on db: any Database) async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(batchLimit))
            waiting.removeFirst(batch.count)
            // Awaiting here lets new callers queue behind this batch (the actor is reentrant).
            let results = await Self.commit(batch, on: db)
            commits += 1
            transactions += batch.count
            PlatformMetrics.shared.groupCommitted(transactions: batch.count)
            for (job, result) in zip(batch, results) { job.done.resume(with: result) }
        }
        leading = false
    }

    /// What the jobs of a batch came to, kept outside the transaction's closure so that a failed
    /// commit still knows which jobs were refused on their own.
    private final class Outcomes: @unchecked Sendable {
        var results: [Result<any Sendable, any Error>] = []
    }

    /// One SQLite transaction for the batch; each job's result. When the commit itself fails,
    /// nothing of the batch is kept: a job refused on its own keeps its refusal, the others hear
    /// the commit's error.
    private static func commit(_ batch: [Job], on db: any Database) async -> [Result<any Sendable, any Error>] {
        let outcomes = Outcomes()
        do {
            try await db.transaction { tx in
                let head = try await AuditTrail.lockHead(tx)
                let start = head.sequence
                for job in batch {
                    PlatformMetrics.shared.writeWait(ContinuousClock.now - job.queued)
                    if batch.count == 1 {
                        // Alone: a refusal rolls the whole transaction back, as it always did.
                        outcomes.results.append(.success(try await AuditTrail.$held.withValue(head) { try await job.body(tx) }))
                        continue
                    }
                    outcomes.results.append(try await savepoint(job, head: head, on: tx))
                }
                if head.sequence != start { try await AuditTrail.moveHead(head, on: tx) }
                // A lone job that failed threw above; none of a batch's refusals stops the others.
            }
            return outcomes.results
        } catch {
            return batch.indices.map { index in
                if index < outcomes.results.count, case .failure(let own) = outcomes.results[index] { return .failure(own) }
                return .failure(error)
            }
        }
    }

    /// One job of a batch inside its savepoint: kept when it succeeds; on a refusal its rows and
    /// its audit appends are rolled back (the held head rewound) and the others go on.
    private static func savepoint(_ job: Job, head: AuditTrail.HeldHead, on tx: any Database) async throws -> Result<any Sendable, any Error> {
        let sql = try tx.sql()
        let mark = (head.sequence, head.hash)
        try await sql.raw("SAVEPOINT grouped").run()
        do {
            let value = try await AuditTrail.$held.withValue(head) { try await job.body(tx) }
            try await sql.raw("RELEASE grouped").run()
            return .success(value)
        } catch {
            try await sql.raw("ROLLBACK TO grouped").run()
            try await sql.raw("RELEASE grouped").run()
            (head.sequence, head.hash) = mark
            return .failure(error)
        }
    }
}
