import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import YiwangCore

/// One stored link of the audit chain. Times are whole milliseconds since 1970 so that every
/// database gives back exactly what was hashed.
final class AuditEventRecord: Model, @unchecked Sendable {
    static let schema = "audit_events"

    @ID(custom: "sequence", generatedBy: .user) var id: Int64?
    @Field(key: "at_ms") var atMilliseconds: Int64
    @Field(key: "actor") var actor: String
    @OptionalField(key: "acting_for") var actingFor: String?
    @OptionalField(key: "role") var role: String?
    @Field(key: "channel") var channel: String
    @OptionalField(key: "address") var address: String?
    @Field(key: "action") var action: String
    @Field(key: "subject_type") var subjectType: String
    @Field(key: "subject_id") var subjectID: String
    @OptionalField(key: "department") var department: String?
    @OptionalField(key: "region") var region: String?
    @OptionalField(key: "before") var before: String?
    @OptionalField(key: "after") var after: String?
    @Field(key: "previous_hash") var previousHash: String
    @Field(key: "hash") var hash: String

    init() {}

    init(_ link: AuditLink) {
        id = link.sequence
        let entry = link.entry
        atMilliseconds = AuditEntry.milliseconds(entry.at)
        actor = entry.actor
        actingFor = entry.actingFor
        role = entry.role
        channel = entry.channel
        address = entry.address
        action = entry.action
        subjectType = entry.subjectType
        subjectID = entry.subjectID
        department = entry.department
        region = entry.region
        before = entry.before
        after = entry.after
        previousHash = link.previousHash
        hash = link.hash
    }

    var link: AuditLink {
        AuditLink(
            sequence: id ?? 0,
            entry: AuditEntry(
                actor: actor, actingFor: actingFor, role: role, channel: channel, address: address, action: action,
                subjectType: subjectType, subjectID: subjectID, department: department, region: region, before: before,
                after: after, at: Date(timeIntervalSince1970: Double(atMilliseconds) / 1000)),
            previousHash: previousHash, hash: hash)
    }
}

/// The chain's head: the last sequence and hash, sealed under the chain's key (0013). Appenders
/// lock this one row, which orders them, and a deleted tail shows up as a head that points past
/// the last row, or as a head whose seal does not match.
final class AuditHeadRecord: Model, @unchecked Sendable {
    static let schema = "audit_head"

    @ID(custom: "id", generatedBy: .user) var id: Int?
    @Field(key: "sequence") var sequence: Int64
    @Field(key: "hash") var hash: String

    init() {}
}

/// Who is acting, as the trail records it: the actor, for whom, in which role, on which channel, from where.
struct AuditContext: Sendable {
    var actor: String
    var actingFor: String?
    var role: String?
    var channel: String
    var address: String?

    /// Work done by the platform itself or an operator at the command line.
    static func system(_ name: String, channel: String = "system") -> AuditContext {
        AuditContext(actor: name, actingFor: nil, role: nil, channel: channel, address: nil)
    }

    func entry(
        _ action: String, subjectType: String, subjectID: String, owner: ResourceOwner = .global,
        before: String? = nil, after: String? = nil, at: Date
    ) -> AuditEntry {
        AuditEntry(
            actor: actor, actingFor: actingFor, role: role, channel: channel, address: address, action: action,
            subjectType: subjectType, subjectID: subjectID, department: owner.departmentCreditCode, region: owner.regionCode,
            before: before, after: after, at: at)
    }
}

/// Appends to, verifies and searches the chain.
enum AuditTrail {
    /// The chain's key for this process, set once by `configure` from the key ring. One process
    /// serves one platform with one key ring, so every append and check uses the same key.
    private static let configured = NIOLockedValueBox<AuditChain?>(nil)

    static func use(_ chain: AuditChain) { configured.withLockedValue { $0 = chain } }

    static func chain() throws -> AuditChain {
        guard let chain = configured.withLockedValue({ $0 }) else {
            throw Abort(.internalServerError, reason: "the audit chain key is not configured")
        }
        return chain
    }

    /// The head as one transaction holds it locked: read once, advanced by each append.
    final class HeldHead: @unchecked Sendable {
        var sequence: Int64
        var hash: String
        /// Whether the head found was sealed by the platform. A head rewritten behind its back is
        /// never sealed again: appends go on (citizens keep being served), the seal stays broken,
        /// `verify-audit` keeps reporting it and no checkpoint is written over it.
        let genuine: Bool

        init(sequence: Int64, hash: String, genuine: Bool) {
            self.sequence = sequence
            self.hash = hash
            self.genuine = genuine
        }
    }

    @TaskLocal static var held: HeldHead?

    /// A transaction that changes something and audits it. It starts by locking the chain's head
    /// (`UPDATE … RETURNING`): on SQLite that takes the write lock before anything is read, so a
    /// transaction that reads before it writes cannot fail when another connection commits in
    /// between (SQLITE_BUSY_SNAPSHOT); on PostgreSQL the row lock orders appenders. The head read
    /// here serves every append of the transaction (an append costs one INSERT), and the head is
    /// moved and sealed once, at the end.
    static func writeTransaction<T: Sendable>(on db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        if db.inTransaction, held != nil { return try await body(db) }
        // SQLite has one writer at a time: its writers commit in groups, in order (`GroupCommit`),
        // which is far faster than letting connections collide and back off in SQLite's busy
        // handler (sleeps of up to 100 ms). PostgreSQL orders writers itself with the head's row lock.
        if (db as? any SQLDatabase)?.dialect.name == "sqlite" { return try await sqliteWriter.run(on: db, body) }
        let called = ContinuousClock.now
        return try await db.transaction { tx in
            let head = try await lockHead(tx)
            PlatformMetrics.shared.writeWait(ContinuousClock.now - called)
            let start = head.sequence
            let result = try await $held.withValue(head) { try await body(tx) }
            if head.sequence != start { try await moveHead(head, on: tx) }
            return result
        }
    }

    /// Writes the head and its seal: only the platform, holding the chain's key, can make a
    /// head that verifies.
    static func moveHead(_ head: HeldHead, on db: any Database) async throws {
        let sql = try db.sql()
        let seal: String? = head.genuine ? try chain().headSeal(sequence: head.sequence, hash: head.hash) : nil
        try await sql.raw("UPDATE audit_head SET sequence = \(bind: head.sequence), hash = \(bind: head.hash), seal = \(bind: seal) WHERE id = 1").run()
    }

    static let sqliteWriter = GroupCommit()

    static func lockHead(_ db: any Database) async throws -> HeldHead {
        guard let sql = db as? any SQLDatabase,
            let row = try await sql.raw("UPDATE audit_head SET sequence = sequence WHERE id = 1 RETURNING sequence, hash, seal").first(decoding: HeadRow.self)
        else { throw Abort(.internalServerError, reason: "audit head missing") }
        let genuine = try chain().isGenuineHead(sequence: row.sequence, hash: row.hash, seal: row.seal)
        if !genuine {
            Logger(label: "yiwang.audit").critical("audit head seal does not match: the head was rewritten outside the platform; it will not be sealed again")
        }
        return HeldHead(sequence: row.sequence, hash: row.hash, genuine: genuine)
    }

    /// Appends one event. Runs inside the caller's transaction when there is one, so the event
    /// commits or vanishes with the change it records; opens its own otherwise.
    @discardableResult
    static func append(_ entry: AuditEntry, on db: any Database) async throws -> AuditLink {
        guard db.inTransaction else { return try await writeTransaction(on: db) { try await append(entry, on: $0) } }
        let current = held
        let head: HeldHead
        if let current { head = current } else { head = try await lockHead(db) }
        let link = try chain().link(entry, after: head.sequence == 0 ? nil : (head.sequence, head.hash))
        try await AuditEventRecord(link).insert(on: db)
        head.sequence = link.sequence
        head.hash = link.hash
        // Inside someone else's plain transaction: nobody moves the head at its end, so move it now.
        if current == nil { try await moveHead(head, on: db) }
        return link
    }

    struct HeadRow: Decodable {
        var sequence: Int64
        var hash: String
        var seal: String?
    }

    struct Verification: Content {
        var intact: Bool
        var checked: Int64
        var headSequence: Int64
        var firstBreak: AuditBreak?
        var message: String
        /// The latest checkpoint outside the database that the chain was compared with.
        var checkpoint: CheckpointView?
    }

    struct CheckpointView: Content {
        var kind: String
        var sequence: Int64
        var hash: String
        var at: Date
    }

    /// Walks the whole chain in sequence order, in batches, and compares its end with the head,
    /// the head's seal and the latest checkpoint kept outside the database.
    /// Appends may race the walk: the head read before it must then lie on the walked chain.
    static func verify(on db: any Database, checkpoints: AuditCheckpointFile? = nil, batchSize: Int = 5000) async throws -> Verification {
        let before = try await readHead(db)
        var verifier = AuditVerifier(chain: try chain())
        // The whole checkpoint file is checked (its lines chain too), then its last line is the
        // one the database is compared with.
        let (latest, fault) = try chain().checkFile(try checkpoints?.all() ?? [])
        if let fault {
            verifier.rejectCheckpointFile(line: fault.line, message: fault.message, sequence: latest?.sequence ?? 0)
        } else if let latest {
            verifier.expect(latest)
        }
        var after: Int64 = 0
        var last: (sequence: Int64, hash: String)?
        var sawHeadBefore = before.sequence == 0
        while true {
            let batch = try await AuditEventRecord.query(on: db).filter(\.$id > after).sort(\.$id).limit(batchSize).all()
            for record in batch {
                guard verifier.feed(record.link) else { break }
                last = (record.id ?? 0, record.hash)
                if record.id == before.sequence && record.hash == before.hash { sawHeadBefore = true }
            }
            guard verifier.isIntact, let next = batch.last?.id, batch.count == batchSize else { break }
            after = next
        }
        let now = try await readHead(db)
        if let last, last.sequence < now.sequence, sawHeadBefore, try chain().isGenuineHead(sequence: now.sequence, hash: now.hash, seal: now.seal) {
            // Rows were appended after the walk's last read, under a genuine head: the chain up to
            // the walk's end is what was checked.
            verifier.finish(head: last, seal: try chain().headSeal(sequence: last.sequence, hash: last.hash))
        } else {
            verifier.finish(head: now.sequence == 0 ? nil : (now.sequence, now.hash), seal: now.seal)
        }
        var message = verifier.firstBreak?.message ?? "留痕链完整：共校验 \(verifier.checked) 条记录。"
        if verifier.isIntact {
            message += latest.map { "已与链外检查点(第\($0.sequence)条)核对一致。" } ?? "未找到链外检查点，无法核对末尾是否被截短。"
        }
        return Verification(
            intact: verifier.isIntact, checked: verifier.checked, headSequence: now.sequence, firstBreak: verifier.firstBreak, message: message,
            checkpoint: latest.map {
                CheckpointView(kind: $0.kind.rawValue, sequence: $0.sequence, hash: $0.hash, at: Date(timeIntervalSince1970: Double($0.atMilliseconds) / 1000))
            })
    }

    static func readHead(_ db: any Database) async throws -> HeadRow {
        guard let sql = db as? any SQLDatabase,
            let head = try await sql.select().columns("sequence", "hash", "seal").from(AuditHeadRecord.schema).where("id", .equal, 1).first(decoding: HeadRow.self)
        else { throw Abort(.internalServerError, reason: "audit head missing") }
        return head
    }

    struct Filter: Sendable {
        var actor: String?
        var subject: String?
        var action: String?
        var from: Date?
        var until: Date?
    }

    /// Newest first, scoped: nil scopes see everything; others see events of their departments and regions.
    static func search(_ filter: Filter, scopes: [Scope]?, page: PageRequest, on db: any Database) async throws -> (events: [AuditEventRecord], total: Int) {
        let query = AuditEventRecord.query(on: db)
        if let actor = filter.actor, !actor.isEmpty { query.filter(\.$actor == actor) }
        if let subject = filter.subject, !subject.isEmpty { query.filter(\.$subjectID == subject) }
        if let action = filter.action, !action.isEmpty {
            query.filter(\.$action =~ action.filter { !"%_\\".contains($0) })
        }
        if let from = filter.from { query.filter(\.$atMilliseconds >= AuditEntry.milliseconds(from)) }
        if let until = filter.until { query.filter(\.$atMilliseconds < AuditEntry.milliseconds(until)) }
        if let scopes {
            guard !scopes.isEmpty else { return ([], 0) }
            query.group(.or) { group in
                for scope in scopes {
                    group.group(.and) { inner in
                        if let department = scope.departmentCreditCode { inner.filter(\.$department == department) }
                        if let region = scope.regionCode, let code = try? RegionCode(region) {
                            inner.filter(\.$region =~ code.subtreePrefix)
                        }
                    }
                }
            }
        }
        let total = try await query.count()
        let events = try await query.sort(\.$id, .descending).range(page.offset..<(page.offset + page.per)).all()
        return (events, total)
    }
}

extension AuditEventRecord: LeanRow {
    static var table: String { schema }

    var leanValues: [(column: String, value: any Encodable & Sendable)] {
        [
            ("sequence", id), ("at_ms", atMilliseconds), ("actor", actor), ("acting_for", actingFor), ("role", role), ("channel", channel),
            ("address", address), ("action", action), ("subject_type", subjectType), ("subject_id", subjectID), ("department", department),
            ("region", region), ("before", before), ("after", after), ("previous_hash", previousHash), ("hash", hash),
        ]
    }
}
