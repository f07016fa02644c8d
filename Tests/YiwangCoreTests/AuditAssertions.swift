import XCTest
import YiwangCore

/// Asserts a verified chain is broken first at `sequence` with `kind`, with a message to show.
func assertBreak(
    _ verifier: AuditVerifier, _ kind: AuditBreak.Kind, at sequence: Int64, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertFalse(verifier.isIntact, file: file, line: line)
    XCTAssertEqual(verifier.firstBreak?.kind, kind, "\(String(describing: verifier.firstBreak))", file: file, line: line)
    XCTAssertEqual(verifier.firstBreak?.sequence, sequence, "\(String(describing: verifier.firstBreak))", file: file, line: line)
    XCTAssertFalse(verifier.firstBreak?.message.isEmpty ?? true, file: file, line: line)
}
