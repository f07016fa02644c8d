import Foundation
import XCTest
import YiwangCore

/// The chain every test builds and checks, under one fixed key.
let testChain = AuditChain(key: Array(repeating: 1, count: 32))

final class AuditChainTests: XCTestCase {
    // MARK: Helpers

    typealias Head = (sequence: Int64, hash: String)

    private let start = Date(timeIntervalSince1970: 1_767_225_600)

    /// A varied entry: optional fields present on some links and absent on others,
    /// times with sub-millisecond parts that the chain must cut off.
    private func entry(_ i: Int) -> AuditEntry {
        AuditEntry(
            actor: "clerk\(i % 3)", actingFor: i % 4 == 0 ? "company-\(i)" : nil, role: i % 2 == 0 ? "windowClerk" : nil,
            channel: i % 5 == 0 ? "api" : "web", address: "10.0.0.\(i)", action: "catalog.edit", subjectType: "item",
            subjectID: "item-\(i)", department: "DEPT-A", region: "520102000000",
            before: i % 3 == 0 ? nil : "{\"version\":\(i)}", after: "{\"version\":\(i + 1)}",
            at: start.addingTimeInterval(Double(i) * 1.234_567_8))
    }

    private func head(of link: AuditLink?) -> Head? {
        guard let link else { return nil }
        return (sequence: link.sequence, hash: link.hash)
    }

    private func chain(_ count: Int = 20) -> [AuditLink] {
        var links: [AuditLink] = []
        for i in 1...count {
            links.append(testChain.link(entry(i), after: head(of: links.last)))
        }
        return links
    }

    private func verify(_ links: [AuditLink], head: Head?) -> AuditVerifier {
        var verifier = AuditVerifier(chain: testChain)
        for link in links { verifier.feed(link) }
        verifier.finish(head: head)
        return verifier
    }


    // MARK: Intact chains

    func testFreshChainIsIntactAndLinked() {
        let links = chain()
        XCTAssertEqual(links.map(\.sequence), (1...20).map { Int64($0) })
        XCTAssertEqual(links[0].previousHash, AuditChain.genesisHash)
        for i in 1..<links.count {
            XCTAssertEqual(links[i].previousHash, links[i - 1].hash)
        }
        XCTAssertEqual(Set(links.map(\.hash)).count, 20)
        for link in links {
            XCTAssertEqual(link.hash.count, 64)
            XCTAssertTrue(link.hash.allSatisfy { "0123456789abcdef".contains($0) }, link.hash)
        }

        let verifier = verify(links, head: head(of: links.last))
        XCTAssertTrue(verifier.isIntact, "\(String(describing: verifier.firstBreak))")
        XCTAssertNil(verifier.firstBreak)
        XCTAssertEqual(verifier.checked, 20)
    }

    func testEmptyChainWithNoHeadIsIntact() {
        XCTAssertTrue(verify([], head: nil).isIntact)
    }

    func testHashingIsDeterministic() {
        XCTAssertEqual(chain(), chain())
    }

    // MARK: Tampering

    func testEditingAnEntryBreaksAtThatLink() {
        let original = chain()
        var edits: [(String, (inout AuditEntry) -> Void)] = []
        edits.append(("action", { $0.action = "catalog.delete" }))
        edits.append(("before", { $0.before = "{\"version\":0}" }))
        edits.append(("before removed", { $0.before = nil }))
        edits.append(("actingFor empty instead of absent", { $0.actingFor = "" }))
        edits.append(("actor", { $0.actor = "someone-else" }))
        edits.append(("one millisecond later", { $0.at = $0.at.addingTimeInterval(0.001) }))
        for (name, edit) in edits {
            var links = original
            edit(&links[6].entry)
            let verifier = verify(links, head: head(of: original.last))
            assertBreak(verifier, .edited, at: 7)
            XCTAssertEqual(verifier.checked, 7, name)
        }
    }

    func testVerifierStopsAtTheFirstBreak() {
        var links = chain()
        links[2].entry.action = "x"
        var verifier = AuditVerifier(chain: testChain)
        XCTAssertTrue(verifier.feed(links[0]))
        XCTAssertTrue(verifier.feed(links[1]))
        XCTAssertFalse(verifier.feed(links[2]))
        XCTAssertFalse(verifier.feed(links[3]))
        XCTAssertEqual(verifier.checked, 3)
        verifier.finish(head: head(of: links.last))
        assertBreak(verifier, .edited, at: 3)
    }

    func testReHashingAnEditedLinkMovesTheBreakToTheNextLink() {
        // Someone with database access edits link 7 and recomputes its own hash.
        var links = chain()
        links[6].entry.action = "catalog.delete"
        links[6].hash = testChain.hash(links[6].entry, sequence: 7, previousHash: links[6].previousHash)
        assertBreak(verify(links, head: head(of: links.last)), .unlinked, at: 8)
    }

    func testDeletingAMiddleLinkIsMissing() {
        var links = chain()
        let deleted = links.remove(at: 9)
        XCTAssertEqual(deleted.sequence, 10)
        assertBreak(verify(links, head: head(of: links.last)), .missing, at: 10)
    }

    func testDeletingTheFirstLinkIsMissing() {
        let links = Array(chain().dropFirst())
        assertBreak(verify(links, head: head(of: links.last)), .missing, at: 1)
    }

    func testInsertingAForgedLinkBreaksTheChain() {
        let original = chain()
        // A forger hashes correctly over link 9's hash and numbers the forgery 10.
        let forged = testChain.link(
            AuditEntry(actor: "forger", channel: "web", action: "catalog.publish", subjectType: "item", subjectID: "item-x", at: start),
            after: head(of: original[8]))
        XCTAssertEqual(forged.sequence, 10)
        var links = original
        links.insert(forged, at: 9)
        let verifier = verify(links, head: head(of: original.last))
        XCTAssertFalse(verifier.isIntact)
        // The original link 10 now follows the forged 10: the chain fails no later than there.
        XCTAssertLessThanOrEqual(verifier.firstBreak?.sequence ?? .max, original[9].sequence)
        XCTAssertEqual(verifier.firstBreak?.kind, .missing)
    }

    func testReplacingALinkWithOneHashedOverAWrongPredecessorIsUnlinked() {
        var links = chain()
        let wrongPrevious = String(repeating: "f", count: 64)
        let forgedEntry = AuditEntry(actor: "forger", channel: "web", action: "catalog.publish", subjectType: "item", subjectID: "item-x", at: start)
        links[9] = AuditLink(
            sequence: 10, entry: forgedEntry, previousHash: wrongPrevious,
            hash: testChain.hash(forgedEntry, sequence: 10, previousHash: wrongPrevious))
        assertBreak(verify(links, head: head(of: links.last)), .unlinked, at: 10)
    }

    func testRewritingTheWholeTailIsCaughtByTheRecordedHead() {
        // Insert a forgery and re-link every later row: internally consistent, but longer than the head says.
        let original = chain()
        var links = Array(original.prefix(9))
        links.append(
            testChain.link(
                AuditEntry(actor: "forger", channel: "web", action: "catalog.publish", subjectType: "item", subjectID: "item-x", at: start),
                after: head(of: links.last)))
        for link in original.suffix(from: 9) {
            links.append(testChain.link(link.entry, after: head(of: links.last)))
        }
        var verifier = AuditVerifier(chain: testChain)
        for link in links { verifier.feed(link) }
        XCTAssertTrue(verifier.isIntact)
        verifier.finish(head: head(of: original.last))
        XCTAssertFalse(verifier.isIntact)
        XCTAssertEqual(verifier.firstBreak?.kind, .truncated)
    }

    func testDeletingTheLastLinkIsTruncatedAgainstTheRecordedHead() {
        let original = chain()
        let links = Array(original.dropLast())
        // Without the head the shortened chain looks fine; with it the loss shows.
        XCTAssertTrue(verify(links, head: head(of: links.last)).isIntact)
        assertBreak(verify(links, head: head(of: original.last)), .truncated, at: 20)
        // Deleting everything is caught the same way.
        assertBreak(verify([], head: head(of: original.last)), .truncated, at: 1)
    }

    func testAHeadThatDoesNotMatchTheLastLinkIsTruncated() {
        let links = chain()
        assertBreak(verify(links, head: (sequence: 20, hash: AuditChain.genesisHash)), .truncated, at: 21)
        assertBreak(verify(links, head: nil), .truncated, at: 21)
    }

    func testSwappingTwoEntriesContentsIsEdited() {
        var links = chain()
        let fifth = links[4].entry
        links[4].entry = links[5].entry
        links[5].entry = fifth
        assertBreak(verify(links, head: head(of: links.last)), .edited, at: 5)
    }

    func testSwappingTwoWholeLinksIsMissing() {
        let original = chain()
        var links = original
        links.swapAt(4, 5)
        assertBreak(verify(links, head: head(of: original.last)), .missing, at: 5)
    }

    // MARK: Canonical form

    func testAbsentFieldsDifferFromEmptyOnes() {
        let absent = AuditEntry(actor: "a", actingFor: nil, channel: "web", action: "x", subjectType: "t", subjectID: "1", at: start)
        var empty = absent
        empty.actingFor = ""
        XCTAssertNotEqual(absent.canonicalBytes(sequence: 1), empty.canonicalBytes(sequence: 1))
        XCTAssertNotEqual(
            testChain.hash(absent, sequence: 1, previousHash: AuditChain.genesisHash),
            testChain.hash(empty, sequence: 1, previousHash: AuditChain.genesisHash))
        XCTAssertNotEqual(testChain.link(absent, after: nil).hash, testChain.link(empty, after: nil).hash)
    }

    func testFieldBoundariesCannotShift() {
        // Length prefixes keep "ab"+"c" apart from "a"+"bc".
        let one = AuditEntry(actor: "ab", actingFor: "c", channel: "web", action: "x", subjectType: "t", subjectID: "1", at: start)
        let two = AuditEntry(actor: "a", actingFor: "bc", channel: "web", action: "x", subjectType: "t", subjectID: "1", at: start)
        XCTAssertNotEqual(one.canonicalBytes(sequence: 1), two.canonicalBytes(sequence: 1))
        // The sequence number is part of the hashed content.
        XCTAssertNotEqual(one.canonicalBytes(sequence: 1), one.canonicalBytes(sequence: 2))
    }

    func testTimesAreKeptToTheMillisecond() {
        let precise = Date(timeIntervalSince1970: 1_767_225_600.123_456_7)
        let link = testChain.link(
            AuditEntry(actor: "a", channel: "web", action: "x", subjectType: "t", subjectID: "1", at: precise), after: nil)
        let milliseconds = AuditEntry.milliseconds(link.entry.at)
        XCTAssertEqual(milliseconds, 1_767_225_600_123)
        XCTAssertEqual(link.entry.at, AuditEntry.storedTime(precise))
        XCTAssertEqual(AuditEntry.storedTime(link.entry.at), link.entry.at)
        XCTAssertEqual(link.entry.at.timeIntervalSince1970, 1_767_225_600.123, accuracy: 0.000_001)

        // What a database gives back (whole milliseconds) hashes the same as what was linked.
        var readBack = link.entry
        readBack.at = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        XCTAssertEqual(testChain.hash(readBack, sequence: link.sequence, previousHash: link.previousHash), link.hash)
        XCTAssertTrue(verify([AuditLink(sequence: 1, entry: readBack, previousHash: link.previousHash, hash: link.hash)], head: head(of: link)).isIntact)

        // So does one read back with microsecond noise (PostgreSQL keeps microseconds).
        readBack.at = link.entry.at.addingTimeInterval(0.000_2)
        XCTAssertEqual(testChain.hash(readBack, sequence: link.sequence, previousHash: link.previousHash), link.hash)
    }

    func testLinkedTimesFromTheWholeChainAreWholeMilliseconds() {
        for link in chain() {
            let milliseconds = AuditEntry.milliseconds(link.entry.at)
            XCTAssertEqual(Date(timeIntervalSince1970: Double(milliseconds) / 1000), link.entry.at)
        }
    }

    func testAForgerWithoutTheKeyCannotRebuildTheChain() {
        let original = (1...5).reduce(into: [AuditLink]()) { links, i in
            links.append(testChain.link(entry(i), after: links.last.map { ($0.sequence, $0.hash) }))
        }
        // Someone who can write the rows rewrites link 3 and recomputes every later hash, but with a key of their own.
        let forger = AuditChain(key: Array(repeating: 2, count: 32))
        var forged = Array(original.prefix(2))
        var changed = original[2].entry
        changed.action = "staff.grant"
        forged.append(forger.link(changed, after: (2, original[1].hash)))
        for link in original.dropFirst(3) { forged.append(forger.link(link.entry, after: (forged.last!.sequence, forged.last!.hash))) }
        var verifier = AuditVerifier(chain: testChain)
        for link in forged { verifier.feed(link) }
        verifier.finish(head: (forged.last!.sequence, forged.last!.hash))
        XCTAssertEqual(verifier.firstBreak?.kind, .edited)
        XCTAssertEqual(verifier.firstBreak?.sequence, 3)
    }
}
