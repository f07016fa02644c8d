import Crypto
import Foundation

/// One entry of the audit trail (全过程留痕): who (acting for whom, in which role, on which
/// channel, from where) did what to which subject, with before/after where relevant.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var actor: String
    public var actingFor: String?
    public var role: String?
    public var channel: String
    public var address: String?
    public var action: String
    public var subjectType: String
    public var subjectID: String
    /// Owner of the subject, so supervisors' searches can be scoped like everything else.
    public var department: String?
    public var region: String?
    public var before: String?
    public var after: String?
    public var at: Date

    public init(
        actor: String, actingFor: String? = nil, role: String? = nil, channel: String, address: String? = nil,
        action: String, subjectType: String, subjectID: String, department: String? = nil, region: String? = nil,
        before: String? = nil, after: String? = nil, at: Date
    ) {
        self.actor = actor
        self.actingFor = actingFor
        self.role = role
        self.channel = channel
        self.address = address
        self.action = action
        self.subjectType = subjectType
        self.subjectID = subjectID
        self.department = department
        self.region = region
        self.before = before
        self.after = after
        self.at = at
    }

    /// An unambiguous byte form: every field length-prefixed, absent fields distinct from empty
    /// ones, time in whole milliseconds (what every database keeps exactly).
    public func canonicalBytes(sequence: Int64) -> [UInt8] {
        var out: [UInt8] = Array("yiwang-audit-v1".utf8)
        func put(_ field: String?) {
            guard let field else {
                out.append(0x2D)  // "-"
                return
            }
            let bytes = Array(field.utf8)
            out.append(contentsOf: Array(String(bytes.count).utf8))
            out.append(0x3A)  // ":"
            out.append(contentsOf: bytes)
        }
        put(String(sequence))
        put(String(AuditEntry.milliseconds(at)))
        for field in [actor, actingFor, role, channel, address, action, subjectType, subjectID, department, region, before, after] {
            put(field)
        }
        return out
    }

    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Stored times are cut to the millisecond before hashing, so what is read back hashes the same.
    public static func storedTime(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds(date)) / 1000)
    }
}

/// A link of the chain as stored: the entry, its position, and the hashes that bind it.
public struct AuditLink: Sendable, Equatable {
    public var sequence: Int64
    public var entry: AuditEntry
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, entry: AuditEntry, previousHash: String, hash: String) {
        self.sequence = sequence
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// The hash chain: each link commits to the previous link's hash, so editing, deleting or
/// inserting any row (even directly in the database) breaks every later link. The hash is an
/// HMAC under a key kept outside the database, so someone who can write the rows cannot
/// recompute a consistent chain after changing them.
public struct AuditChain: Sendable {
    public static let genesisHash = String(repeating: "0", count: 64)

    let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    public func hash(_ entry: AuditEntry, sequence: Int64, previousHash: String) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array(previousHash.utf8))
        mac.update(data: entry.canonicalBytes(sequence: sequence))
        return mac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The seal of the chain's head: an HMAC over the head's sequence and hash under the chain's
    /// key, so that a head copied from an earlier row (after its successors were deleted) or reset
    /// to empty does not match. Domain-separated from link hashes, which start with a hash.
    public func headSeal(sequence: Int64, hash: String) -> String {
        mac("yiwang-audit-head-v1\u{1F}\(sequence)\u{1F}\(hash)")
    }

    /// The signature of a checkpoint kept outside the database (HMAC-SHA256 until the platform
    /// has SM2 seals). It covers the previous checkpoint's signature, so the lines of a file form
    /// a chain of their own: a line edited, dropped from the middle or copied again breaks it.
    public func checkpointSignature(_ kind: AuditCheckpoint.Kind, sequence: Int64, hash: String, atMilliseconds: Int64, previous: String = "") -> String {
        "hmac-sha256:" + mac("yiwang-audit-checkpoint-v2\u{1F}\(kind.rawValue)\u{1F}\(sequence)\u{1F}\(hash)\u{1F}\(atMilliseconds)\u{1F}\(previous)")
    }

    /// A signed checkpoint of the head as it is now, following `previous` (the file's last line).
    public func checkpoint(
        _ kind: AuditCheckpoint.Kind = .checkpoint, sequence: Int64, hash: String, at: Date, after previous: AuditCheckpoint? = nil
    ) -> AuditCheckpoint {
        let milliseconds = AuditEntry.milliseconds(at)
        let before = previous?.signature ?? ""
        return AuditCheckpoint(
            kind: kind, sequence: sequence, hash: hash, atMilliseconds: milliseconds,
            signature: checkpointSignature(kind, sequence: sequence, hash: hash, atMilliseconds: milliseconds, previous: before), previous: before)
    }

    public func isGenuine(_ checkpoint: AuditCheckpoint) -> Bool {
        constantTimeEqual(
            checkpoint.signature,
            checkpointSignature(
                checkpoint.kind, sequence: checkpoint.sequence, hash: checkpoint.hash, atMilliseconds: checkpoint.atMilliseconds,
                previous: checkpoint.previous))
    }

    /// Checks a whole checkpoint file in order: every line genuine, each following the one before
    /// it, the sequence never going down except at a restore. Answers the last line, or the first
    /// fault (its line number from 1 and what is wrong).
    public func checkFile(_ lines: [AuditCheckpoint]) -> (latest: AuditCheckpoint?, fault: (line: Int, message: String)?) {
        var previous: AuditCheckpoint?
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            guard isGenuine(line) else { return (previous, (number, "检查点文件第\(number)行的签名不符：该行被改动或伪造。")) }
            guard line.previous == (previous?.signature ?? "") else {
                return (previous, (number, "检查点文件第\(number)行未接续上一行：中间有行被删除，或旧行被重新写入。"))
            }
            if let previous, line.kind == .checkpoint, line.sequence < previous.sequence {
                return (previous, (number, "检查点文件第\(number)行的序号(\(line.sequence))小于上一行(\(previous.sequence))，而此处并无恢复记录。"))
            }
            previous = line
        }
        return (previous, nil)
    }

    public func isGenuineHead(sequence: Int64, hash: String, seal: String?) -> Bool {
        guard let seal else { return false }
        return constantTimeEqual(seal, headSeal(sequence: sequence, hash: hash))
    }

    private func mac(_ text: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key).map { String(format: "%02x", $0) }.joined()
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool { Secrets.equal(a, b) }

    /// The link that follows `previous` (nil for the first).
    public func link(_ entry: AuditEntry, after previous: (sequence: Int64, hash: String)?) -> AuditLink {
        let sequence = (previous?.sequence ?? 0) + 1
        let previousHash = previous?.hash ?? Self.genesisHash
        var stored = entry
        stored.at = AuditEntry.storedTime(entry.at)
        return AuditLink(sequence: sequence, entry: stored, previousHash: previousHash, hash: hash(stored, sequence: sequence, previousHash: previousHash))
    }
}

/// Where and how the chain is broken.
public struct AuditBreak: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A link's content no longer matches its hash (edited in place).
        case edited
        /// A link does not follow its predecessor (a row deleted or inserted before it).
        case unlinked
        /// Sequence numbers skip (a row deleted).
        case missing
        /// The chain ends before the recorded head (rows deleted from the end) or runs past it.
        case truncated
        /// The head's seal does not match it: the head was rewritten (after deleting a tail, or
        /// reset to empty) or rows were added behind the platform's back.
        case headForged
        /// The chain is empty although a checkpoint recorded links.
        case emptied
        /// The chain ends before the latest checkpoint outside the database.
        case shorterThanCheckpoint
        /// The link at a checkpoint's sequence is not the one the checkpoint recorded.
        case checkpointMismatch
        /// The latest checkpoint's signature is wrong (the checkpoint file was edited).
        case checkpointForged
    }

    public var kind: Kind
    /// The first sequence number at which the chain fails.
    public var sequence: Int64
    public var message: String
}

/// Checks a chain link by link, in order, so that millions of rows stream through in batches.
public struct AuditVerifier: Sendable {
    public private(set) var checked: Int64 = 0
    public private(set) var firstBreak: AuditBreak?
    var previous: (sequence: Int64, hash: String)?
    let chain: AuditChain

    public init(chain: AuditChain) {
        self.chain = chain
    }

    /// Feeds the next link (in sequence order); returns false once the chain is broken.
    @discardableResult
    public mutating func feed(_ link: AuditLink) -> Bool {
        guard firstBreak == nil else { return false }
        checked += 1
        if let checkpoint, link.sequence == checkpoint.sequence, link.hash != checkpoint.hash {
            firstBreak = AuditBreak(
                kind: .checkpointMismatch, sequence: link.sequence,
                message: "第\(link.sequence)条留痕与\(Self.describe(checkpoint))记录的不是同一条：此前的记录被整体替换。")
            return false
        }
        let expectedSequence = (previous?.sequence ?? 0) + 1
        let expectedPrevious = previous?.hash ?? AuditChain.genesisHash
        if chain.hash(link.entry, sequence: link.sequence, previousHash: link.previousHash) != link.hash {
            firstBreak = AuditBreak(kind: .edited, sequence: link.sequence, message: "第\(link.sequence)条留痕的内容与其哈希不符，记录已被改动。")
        } else if link.sequence != expectedSequence {
            firstBreak = AuditBreak(
                kind: .missing, sequence: min(link.sequence, expectedSequence),
                message: "留痕序号在第\(expectedSequence)条处不连续(下一条为第\(link.sequence)条)，有记录被删除或插入。")
        } else if link.previousHash != expectedPrevious {
            firstBreak = AuditBreak(kind: .unlinked, sequence: link.sequence, message: "第\(link.sequence)条留痕未接续上一条，链条在此断开。")
        }
        previous = (link.sequence, link.hash)
        return firstBreak == nil
    }

    /// The latest checkpoint kept outside the database, set before feeding so that the link at
    /// its sequence is compared as it streams past.
    public private(set) var checkpoint: AuditCheckpoint?
    var checkpointSeen = false

    /// The checkpoint file itself is broken (a line edited, dropped or copied again): that is the
    /// break, since the chain can no longer be compared with it.
    public mutating func rejectCheckpointFile(line: Int, message: String, sequence: Int64) {
        guard firstBreak == nil else { return }
        firstBreak = AuditBreak(kind: .checkpointForged, sequence: sequence, message: message)
    }

    /// Sets the checkpoint to compare the chain with; a checkpoint with a wrong signature is
    /// itself a break (someone edited the file).
    public mutating func expect(_ checkpoint: AuditCheckpoint) {
        guard chain.isGenuine(checkpoint) else {
            firstBreak = AuditBreak(
                kind: .checkpointForged, sequence: checkpoint.sequence,
                message: "检查点文件中第\(checkpoint.sequence)条的检查点签名不符：检查点文件被改动，无法据此判断留痕是否完整。")
            return
        }
        self.checkpoint = checkpoint
    }

    /// Compares the end of the chain with the head recorded alongside it, its seal, and the
    /// latest checkpoint outside the database.
    public mutating func finish(head: (sequence: Int64, hash: String)?, seal: String?) {
        guard firstBreak == nil else { return }
        if let checkpoint, checkpoint.sequence > 0 {
            let lastSequence = previous?.sequence ?? 0
            if checked == 0 {
                firstBreak = AuditBreak(
                    kind: .emptied, sequence: 1,
                    message: "留痕表为空，但\(Self.describe(checkpoint))已记录到第\(checkpoint.sequence)条：全部留痕记录被删除。")
                return
            }
            if lastSequence < checkpoint.sequence {
                firstBreak = AuditBreak(
                    kind: .shorterThanCheckpoint, sequence: lastSequence + 1,
                    message: "留痕链在第\(lastSequence)条结束，而\(Self.describe(checkpoint))已记录到第\(checkpoint.sequence)条：末尾有\(checkpoint.sequence - lastSequence)条记录被删除。")
                return
            }
        }
        let sealedHead = head ?? (0, AuditChain.genesisHash)
        if !chain.isGenuineHead(sequence: sealedHead.sequence, hash: sealedHead.hash, seal: seal) {
            firstBreak = AuditBreak(
                kind: .headForged, sequence: sealedHead.sequence,
                message: "链头(第\(sealedHead.sequence)条)的密封值不符：链头被改写(例如删除末尾记录后伪造链头，或清空后重置)，或有记录绕过平台写入。")
            return
        }
        finish(head: head)
    }

    static func describe(_ checkpoint: AuditCheckpoint) -> String {
        let at = Date(timeIntervalSince1970: Double(checkpoint.atMilliseconds) / 1000)
        let c = ChinaTime.calendar.dateComponents([.year, .month, .day, .hour, .minute], from: at)
        let when = "\(c.year ?? 0)年\(c.month ?? 0)月\(c.day ?? 0)日\(String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0))"
        return checkpoint.kind == .restore ? "\(when)的恢复记录" : "\(when)的检查点"
    }

    /// Compares the end of the chain with the head recorded alongside it.
    public mutating func finish(head: (sequence: Int64, hash: String)?) {
        guard firstBreak == nil else { return }
        let last = previous
        switch (last, head) {
        case (nil, nil): return
        case (let last?, let head?) where last.sequence == head.sequence && last.hash == head.hash: return
        default:
            let lastSequence = last?.sequence ?? 0
            firstBreak = AuditBreak(
                kind: .truncated, sequence: lastSequence + 1,
                message: "留痕链在第\(lastSequence)条结束，与链头记录的第\(head?.sequence ?? 0)条不符：末尾有记录被删除或伪造，或链头被改动。")
        }
    }

    public var isIntact: Bool { firstBreak == nil }
}

/// A signed record of the chain's head, kept outside the database (an append-only file, and
/// copies taken by outside witnesses through the API), so that cutting rows from the end of
/// the chain, or deleting them all, shows even when the head is rewritten to match.
public struct AuditCheckpoint: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// The head as the platform saw it.
        case checkpoint
        /// The database was restored from a backup ending here: checkpoints before it no longer apply.
        case restore
    }

    public var kind: Kind
    public var sequence: Int64
    public var hash: String
    public var atMilliseconds: Int64
    public var signature: String
    /// The previous line's signature ("" for a file's first line).
    public var previous: String

    public init(kind: Kind, sequence: Int64, hash: String, atMilliseconds: Int64, signature: String, previous: String = "") {
        self.kind = kind
        self.sequence = sequence
        self.hash = hash
        self.atMilliseconds = atMilliseconds
        self.signature = signature
        self.previous = previous
    }

    /// Whether a new head may be checkpointed after this one: the chain only grows, and the link
    /// at this checkpoint's sequence must still be the one it recorded (`hashThen`).
    public func admits(headSequence: Int64, hashThen: String?) -> Bool {
        guard headSequence >= sequence else { return false }
        return sequence == 0 || hashThen == hash
    }
}

/// Comparing secrets (signatures, tokens, CSRF values) in time that does not depend on where
/// they first differ.
public enum Secrets {
    public static func equal(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        return x.count == y.count && zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
