import Foundation
import XCTest
import YiwangCore

/// The head seal and the checkpoints kept outside the database: what makes cutting the end of
/// the chain (or emptying it) show, even when the head is rewritten to match.
final class AuditCheckpointTests: XCTestCase {
    typealias Head = (sequence: Int64, hash: String)

    private let chain = AuditChain(key: Array(repeating: 4, count: 32))
    private let otherKey = AuditChain(key: Array(repeating: 5, count: 32))
    private let start = Date(timeIntervalSince1970: 1_767_225_600)

    private func entry(_ i: Int) -> AuditEntry {
        AuditEntry(
            actor: "clerk\(i % 3)", role: i % 2 == 0 ? "windowClerk" : nil, channel: "api", address: "10.0.0.\(i)",
            action: "case.accept", subjectType: "case", subjectID: "case-\(i)", department: "DEPT-A", region: "350100000000",
            after: "accepted", at: start.addingTimeInterval(Double(i) * 1.5))
    }

    private func links(_ count: Int, using chain: AuditChain? = nil) -> [AuditLink] {
        let chain = chain ?? self.chain
        var out: [AuditLink] = []
        for i in 1...count {
            out.append(chain.link(entry(i), after: out.last.map { ($0.sequence, $0.hash) }))
        }
        return out
    }

    private func seal(_ head: Head?) -> String {
        let head = head ?? (0, AuditChain.genesisHash)
        return chain.headSeal(sequence: head.sequence, hash: head.hash)
    }

    /// Feeds `links`, compares with `checkpoint` (when given) and finishes with the head and seal.
    private func verify(_ links: [AuditLink], head: Head?, seal: String?, checkpoint: AuditCheckpoint? = nil) -> AuditVerifier {
        var verifier = AuditVerifier(chain: chain)
        if let checkpoint { verifier.expect(checkpoint) }
        for link in links { verifier.feed(link) }
        verifier.finish(head: head, seal: seal)
        return verifier
    }

    private func head(_ link: AuditLink?) -> Head? { link.map { ($0.sequence, $0.hash) } }


    // MARK: The head seal

    func testTheHeadSealBindsSequenceHashAndKey() {
        let chain = links(5)
        let last = chain[4]
        let seal = self.chain.headSeal(sequence: 5, hash: last.hash)
        XCTAssertEqual(seal.count, 64)
        XCTAssertTrue(self.chain.isGenuineHead(sequence: 5, hash: last.hash, seal: seal))
        XCTAssertFalse(self.chain.isGenuineHead(sequence: 4, hash: last.hash, seal: seal), "another sequence")
        XCTAssertFalse(self.chain.isGenuineHead(sequence: 5, hash: chain[3].hash, seal: seal), "another hash")
        XCTAssertFalse(self.chain.isGenuineHead(sequence: 5, hash: last.hash, seal: nil), "no seal at all")
        XCTAssertFalse(self.chain.isGenuineHead(sequence: 5, hash: last.hash, seal: ""))
        XCTAssertFalse(self.chain.isGenuineHead(sequence: 5, hash: last.hash, seal: String(seal.dropLast()) + (seal.last == "0" ? "1" : "0")))
        XCTAssertFalse(otherKey.isGenuineHead(sequence: 5, hash: last.hash, seal: seal), "a seal under another key")
        // Domain-separated from link hashes and checkpoint signatures.
        XCTAssertNotEqual(seal, last.hash)
        XCTAssertNotEqual(self.chain.checkpointSignature(.checkpoint, sequence: 5, hash: last.hash, atMilliseconds: 0), "hmac-sha256:" + seal)
        // The seal of the empty chain is a seal like any other.
        XCTAssertTrue(self.chain.isGenuineHead(sequence: 0, hash: AuditChain.genesisHash, seal: self.seal(nil)))
    }

    func testAnIntactChainWithAGenuineSealVerifies() {
        let chain = links(10)
        let verifier = verify(chain, head: head(chain.last), seal: seal(head(chain.last)))
        XCTAssertTrue(verifier.isIntact, "\(String(describing: verifier.firstBreak))")
        XCTAssertEqual(verifier.checked, 10)
        XCTAssertTrue(verify([], head: nil, seal: seal(nil)).isIntact, "the empty chain under its sealed genesis head")
    }

    func testAHeadCopiedFromAnEarlierRowAfterCuttingTheTailIsForged() {
        let chain = links(10)
        // Rows 8-10 deleted, the head rewritten to row 7 but the seal left as it was (for row 10).
        let cut = Array(chain.prefix(7))
        let verifier = verify(cut, head: head(cut.last), seal: seal(head(chain.last)))
        assertBreak(verifier, .headForged, at: 7)
        // The old check alone (head against last row) cannot see it.
        var unsealed = AuditVerifier(chain: self.chain)
        for link in cut { unsealed.feed(link) }
        unsealed.finish(head: head(cut.last))
        XCTAssertTrue(unsealed.isIntact, "without the seal, a consistent head hides the cut")
    }

    func testAnEmptiedChainWithAResetHeadIsForgedWithoutACheckpoint() {
        let chain = links(6)
        assertBreak(verify([], head: nil, seal: seal(head(chain.last))), .headForged, at: 0)
        assertBreak(verify([], head: nil, seal: nil), .headForged, at: 0)
    }

    func testAHeadRewrittenWithAnInventedSealIsForged() {
        let chain = links(6)
        let forged = otherKey.headSeal(sequence: 6, hash: chain[5].hash)
        assertBreak(verify(chain, head: head(chain.last), seal: forged), .headForged, at: 6)
        assertBreak(verify(chain, head: head(chain.last), seal: nil), .headForged, at: 6)
    }

    func testAGenuinelySealedHeadThatDoesNotMatchTheLastRowIsStillTruncated() {
        let chain = links(8)
        // The seal is right for the head, but the head names a row the chain does not end with.
        let verifier = verify(Array(chain.prefix(6)), head: head(chain.last), seal: seal(head(chain.last)))
        assertBreak(verifier, .truncated, at: 7)
    }

    // MARK: Checkpoints outside the database

    func testACheckpointIsSignedOverEveryField() {
        let at = Date(timeIntervalSince1970: 1_767_225_600.123_456)
        let checkpoint = chain.checkpoint(sequence: 7, hash: links(7)[6].hash, at: at)
        XCTAssertEqual(checkpoint.kind, .checkpoint)
        XCTAssertEqual(checkpoint.atMilliseconds, AuditEntry.milliseconds(at))
        XCTAssertTrue(checkpoint.signature.hasPrefix("hmac-sha256:"), checkpoint.signature)
        XCTAssertTrue(chain.isGenuine(checkpoint))
        XCTAssertFalse(otherKey.isGenuine(checkpoint), "signed under another key")
        var changed = checkpoint
        changed.sequence = 8
        XCTAssertFalse(chain.isGenuine(changed), "sequence")
        changed = checkpoint
        changed.hash = links(7)[5].hash
        XCTAssertFalse(chain.isGenuine(changed), "hash")
        changed = checkpoint
        changed.atMilliseconds += 1
        XCTAssertFalse(chain.isGenuine(changed), "time")
        changed = checkpoint
        changed.kind = .restore
        XCTAssertFalse(chain.isGenuine(changed), "kind")
        changed = checkpoint
        changed.signature = "hmac-sha256:" + String(repeating: "0", count: 64)
        XCTAssertFalse(chain.isGenuine(changed), "signature")
        // Survives a round trip through its stored form.
        let decoded = try? JSONDecoder().decode(AuditCheckpoint.self, from: JSONEncoder().encode(checkpoint))
        XCTAssertEqual(decoded, checkpoint)
        XCTAssertTrue(decoded.map(chain.isGenuine) ?? false)
    }

    func testAChainThatReachesOrPassesItsCheckpointVerifies() {
        let chain = links(12)
        for at in [1, 6, 12] {
            let checkpoint = self.chain.checkpoint(sequence: Int64(at), hash: chain[at - 1].hash, at: start)
            let verifier = verify(chain, head: head(chain.last), seal: seal(head(chain.last)), checkpoint: checkpoint)
            XCTAssertTrue(verifier.isIntact, "checkpoint at \(at): \(String(describing: verifier.firstBreak))")
            XCTAssertEqual(verifier.checkpoint, checkpoint)
        }
        // A checkpoint of the empty chain says nothing against any chain.
        let empty = self.chain.checkpoint(sequence: 0, hash: AuditChain.genesisHash, at: start)
        XCTAssertTrue(verify([], head: nil, seal: seal(nil), checkpoint: empty).isIntact)
        XCTAssertTrue(verify(chain, head: head(chain.last), seal: seal(head(chain.last)), checkpoint: empty).isIntact)
    }

    func testCuttingTheTailAndResealingTheHeadIsCaughtByTheCheckpoint() {
        let chain = links(10)
        let checkpoint = self.chain.checkpoint(sequence: 10, hash: chain[9].hash, at: start)
        let cut = Array(chain.prefix(7))
        // Even a head with a genuine seal (an old audit_head row put back) does not hide it.
        let verifier = verify(cut, head: head(cut.last), seal: seal(head(cut.last)), checkpoint: checkpoint)
        assertBreak(verifier, .shorterThanCheckpoint, at: 8)
        XCTAssertTrue(verifier.firstBreak?.message.contains("3条") ?? false, verifier.firstBreak?.message ?? "")
        // With the seal left wrong as well, the checkpoint still names what happened first.
        assertBreak(verify(cut, head: head(cut.last), seal: seal(head(chain.last)), checkpoint: checkpoint), .shorterThanCheckpoint, at: 8)
    }

    func testEmptyingTheChainAndResettingTheHeadIsCaughtByTheCheckpoint() {
        let chain = links(5)
        let checkpoint = self.chain.checkpoint(sequence: 5, hash: chain[4].hash, at: start)
        assertBreak(verify([], head: nil, seal: seal(nil), checkpoint: checkpoint), .emptied, at: 1)
        assertBreak(verify([], head: (0, AuditChain.genesisHash), seal: seal(nil), checkpoint: checkpoint), .emptied, at: 1)
    }

    func testAChainReplacedBeforeItsCheckpointIsAMismatch() {
        // Someone with the key rebuilt a different history: every link hashes, but the link at the
        // checkpoint's sequence is not the one the checkpoint recorded.
        let original = links(8)
        var rebuilt: [AuditLink] = []
        for i in 1...8 {
            var changed = entry(i)
            if i == 3 { changed.after = "rejected" }
            rebuilt.append(chain.link(changed, after: rebuilt.last.map { ($0.sequence, $0.hash) }))
        }
        let checkpoint = chain.checkpoint(sequence: 6, hash: original[5].hash, at: start)
        let verifier = verify(rebuilt, head: head(rebuilt.last), seal: seal(head(rebuilt.last)), checkpoint: checkpoint)
        assertBreak(verifier, .checkpointMismatch, at: 6)
        XCTAssertEqual(verifier.checked, 6, "the walk stops at the mismatch")
    }

    func testAnEditedOrForeignCheckpointIsForgedAndStopsTheWalk() {
        let chain = links(6)
        var edited = self.chain.checkpoint(sequence: 6, hash: chain[5].hash, at: start)
        edited.sequence = 4
        var verifier = AuditVerifier(chain: self.chain)
        verifier.expect(edited)
        assertBreak(verifier, .checkpointForged, at: 4)
        XCTAssertNil(verifier.checkpoint, "a forged checkpoint is not used")
        XCTAssertFalse(verifier.feed(chain[0]), "nothing more is fed once broken")
        verifier.finish(head: head(chain.last), seal: seal(head(chain.last)))
        XCTAssertEqual(verifier.firstBreak?.kind, .checkpointForged, "the first break stays")
        let foreign = otherKey.checkpoint(sequence: 6, hash: chain[5].hash, at: start)
        assertBreak(verify(chain, head: head(chain.last), seal: seal(head(chain.last)), checkpoint: foreign), .checkpointForged, at: 6)
        let unreadable = AuditCheckpoint(kind: .checkpoint, sequence: 0, hash: "", atMilliseconds: 0, signature: "unreadable")
        assertBreak(verify(chain, head: head(chain.last), seal: seal(head(chain.last)), checkpoint: unreadable), .checkpointForged, at: 0)
    }

    func testEditsBeforeTheEndAreStillNamedWithACheckpoint() {
        var chain = links(9)
        let checkpoint = self.chain.checkpoint(sequence: 9, hash: chain[8].hash, at: start)
        chain[2].entry.actor = "someone-else"
        assertBreak(verify(chain, head: head(chain.last), seal: seal(head(chain.last)), checkpoint: checkpoint), .edited, at: 3)
    }

    // MARK: Whether a new checkpoint may follow the last

    func testACheckpointAdmitsOnlyAChainThatExtendsIt() {
        let chain = links(10)
        let checkpoint = self.chain.checkpoint(sequence: 7, hash: chain[6].hash, at: start)
        XCTAssertTrue(checkpoint.admits(headSequence: 7, hashThen: chain[6].hash), "unchanged")
        XCTAssertTrue(checkpoint.admits(headSequence: 10, hashThen: chain[6].hash), "grown, the checkpointed link still there")
        XCTAssertFalse(checkpoint.admits(headSequence: 6, hashThen: chain[6].hash), "shorter")
        XCTAssertFalse(checkpoint.admits(headSequence: 0, hashThen: nil), "emptied")
        XCTAssertFalse(checkpoint.admits(headSequence: 10, hashThen: nil), "the checkpointed link is gone")
        XCTAssertFalse(checkpoint.admits(headSequence: 10, hashThen: chain[5].hash), "the checkpointed link was replaced")
        let empty = self.chain.checkpoint(sequence: 0, hash: AuditChain.genesisHash, at: start)
        XCTAssertTrue(empty.admits(headSequence: 0, hashThen: nil))
        XCTAssertTrue(empty.admits(headSequence: 3, hashThen: nil))
    }
}
