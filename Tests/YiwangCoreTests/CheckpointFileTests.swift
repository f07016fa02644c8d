import Foundation
import XCTest
import YiwangCore

/// The lines of a checkpoint file chain to one another: an edited line, one dropped from the
/// middle, an old line written again, or a sequence that goes down without a restore all show.
final class CheckpointFileTests: XCTestCase {
    private let chain = AuditChain(key: Array(repeating: 7, count: 32))
    private let start = Date(timeIntervalSince1970: 1_796_400_000)

    private func file(_ sequences: [(AuditCheckpoint.Kind, Int64)]) -> [AuditCheckpoint] {
        var lines: [AuditCheckpoint] = []
        for (offset, (kind, sequence)) in sequences.enumerated() {
            lines.append(chain.checkpoint(kind, sequence: sequence, hash: "h\(sequence)", at: start.addingTimeInterval(Double(offset) * 30), after: lines.last))
        }
        return lines
    }

    func testAFileWrittenByThePlatformChecksOut() {
        let lines = file([(.checkpoint, 3), (.checkpoint, 9), (.restore, 5), (.checkpoint, 12)])
        let result = chain.checkFile(lines)
        XCTAssertNil(result.fault.map(\.message))
        XCTAssertEqual(result.latest?.sequence, 12)
        XCTAssertEqual(chain.checkFile([]).latest, nil)
    }

    func testALineDroppedFromTheMiddleIsFound() {
        var lines = file([(.checkpoint, 3), (.checkpoint, 9), (.checkpoint, 12)])
        lines.remove(at: 1)
        XCTAssertEqual(chain.checkFile(lines).fault?.line, 2)
    }

    func testAnOldLineWrittenAgainIsFound() {
        var lines = file([(.checkpoint, 3), (.checkpoint, 9), (.checkpoint, 12)])
        lines.append(lines[0])
        XCTAssertEqual(chain.checkFile(lines).fault?.line, 4)
        XCTAssertEqual(chain.checkFile(lines).latest?.sequence, 12, "the last good line stands")
    }

    func testAnEditedLineIsFound() {
        var lines = file([(.checkpoint, 3), (.checkpoint, 9)])
        lines[1].sequence = 2
        XCTAssertEqual(chain.checkFile(lines).fault?.line, 2)
    }

    func testTheSequenceGoesDownOnlyAtARestore() {
        // Signed by the key holder, but going backwards without a restore line: refused.
        let lines = file([(.checkpoint, 9), (.checkpoint, 5)])
        XCTAssertEqual(chain.checkFile(lines).fault?.line, 2)
        XCTAssertNil(chain.checkFile(file([(.checkpoint, 9), (.restore, 5)])).fault.map(\.message))
    }

    func testAnotherKeysFileIsRefusedAtItsFirstLine() {
        let other = AuditChain(key: Array(repeating: 8, count: 32))
        let lines = [other.checkpoint(sequence: 1, hash: "h1", at: start)]
        XCTAssertEqual(chain.checkFile(lines).fault?.line, 1)
    }
}
