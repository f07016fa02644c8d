import Foundation
import Vapor
import XCTVapor
import YiwangCore
import YiwangTestSupport
@testable import YiwangServer

/// The main pages as rendered HTML, compared with the files in `Snapshots/`: a change to a
/// template, a view model or a wording shows up as a diff to review. To (re)record after a
/// deliberate change: `YIWANG_RECORD_SNAPSHOTS=1 swift test --filter PageSnapshotTests`, then
/// read the diff of `Tests/YiwangServerTests/Snapshots/` before committing it.
final class PageSnapshotTests: XCTestCase {
    func testHomePage() async throws {
        try await withApp { app, _ in
            try await assertPage(app, "/", matches: "home")
        }
    }

    func testSearchResults() async throws {
        try await withApp { app, _ in
            try await assertPage(app, "/items?q=%E9%A3%9F%E5%93%81", matches: "search-results")
        }
    }

    func testGuidePage() async throws {
        try await withApp { app, _ in
            try await assertPage(app, "/items/\(foodCode)", matches: "guide")
        }
    }

    func testApplicantsCasePage() async throws {
        try await withApp { app, _ in
            // 容缺受理: the page shows the number, the deadline, the material still due and the timeline.
            let id = try await makeCase(app, .deferred).requireID()
            let browser = try await BrowserSession.signIn(app, account: citizenID, password: strongPassword, landing: "/me")
            try await assertPage(app, "/me/cases/\(id)", as: browser, matches: "applicant-case")
        }
    }

    func testClerksQueuePage() async throws {
        try await withApp { app, clock in
            // A minute apart: cases due the same day keep the order they were filed in.
            try await makeCase(app, .submitted, materials: [1, 3])
            clock.advance(by: 60)
            try await makeCase(app, .deferred)
            clock.advance(by: 60)
            try await makeCase(app, .atWindow, .accepted)
            clock.advance(by: 60)
            try await makeCase(app, .underReview, applicant: agentID)
            try await staffToken(app, "clerk", cityClerk)
            let browser = try await BrowserSession.signIn(app, at: "/admin/login", account: "clerk", password: testPassword, landing: "/admin")
            try await assertPage(app, "/admin/cases", as: browser, matches: "clerk-queue")
        }
    }
}

// MARK: Snapshots

/// Where the snapshots live: next to this file, whatever the working directory.
let snapshotDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

/// Whether this run records snapshots instead of comparing them.
var recordingSnapshots: Bool { ProcessInfo.processInfo.environment["YIWANG_RECORD_SNAPSHOTS"] == "1" }

/// Renders `path` (as the browser given, or anonymously), checks it answers 200 and compares the
/// normalised HTML with `Snapshots/<name>.html`.
func assertPage(
    _ app: Application, _ path: String, as browser: BrowserSession = BrowserSession(), matches name: String,
    file: StaticString = #filePath, line: UInt = #line
) async throws {
    var session = browser
    let res = try await session.get(app, path)
    XCTAssertEqual(res.status, .ok, "\(path): \(res.body.string.prefix(500))", file: file, line: line)
    assertSnapshot(normalisedHTML(res.body.string), named: name, file: file, line: line)
}

/// The page with what changes from run to run replaced by stable placeholders: the CSRF token,
/// the form's idempotency key, and UUIDs (numbered in order of appearance, so the same id keeps
/// the same placeholder).
/// Dates, case numbers and file hashes come from the test clock and fixed inputs, and stay.
func normalisedHTML(_ html: String) -> String {
    var text = html.replacingOccurrences(of: #"name="csrf" value="[^"]*""#, with: #"name="csrf" value="CSRF""#, options: .regularExpression)
    text = text.replacingOccurrences(of: #"name="idempotencyKey" value="[^"]*""#, with: #"name="idempotencyKey" value="KEY""#, options: .regularExpression)
    // Plain or percent-encoded in a query string (`-` as `%2D`).
    let uuid = try! NSRegularExpression(pattern: "[0-9A-Fa-f]{8}(?:-|%2D)(?:[0-9A-Fa-f]{4}(?:-|%2D)){3}[0-9A-Fa-f]{12}")
    var numbers: [String: Int] = [:]
    var result = ""
    var last = text.startIndex
    for match in uuid.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
        guard let range = Range(match.range, in: text) else { continue }
        let id = text[range].uppercased().replacingOccurrences(of: "%2D", with: "-")
        let number = numbers[id] ?? numbers.count + 1
        numbers[id] = number
        result += text[last..<range.lowerBound] + "UUID-\(number)"
        last = range.upperBound
    }
    return result + text[last...]
}

/// Compares `actual` with the stored snapshot; records it instead under YIWANG_RECORD_SNAPSHOTS=1.
/// A missing snapshot fails (so CI never passes without one); a different page fails with the
/// first differing line and the whole page written to a temporary file to diff against.
func assertSnapshot(_ actual: String, named name: String, file: StaticString = #filePath, line: UInt = #line) {
    let url = snapshotDirectory.appendingPathComponent(name + ".html")
    if recordingSnapshots {
        do {
            try FileManager.default.createDirectory(at: snapshotDirectory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            print("recorded snapshot \(url.path)")
        } catch {
            XCTFail("could not record the snapshot \(url.path): \(error)", file: file, line: line)
        }
        return
    }
    guard let data = FileManager.default.contents(atPath: url.path) else {
        XCTFail(
            "no snapshot \(url.path). Record it with `YIWANG_RECORD_SNAPSHOTS=1 swift test --filter PageSnapshotTests`, review it, and commit it.",
            file: file, line: line)
        return
    }
    let expected = String(decoding: data, as: UTF8.self)
    guard expected != actual else { return }
    let saved = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("\(name).actual.html")
    try? Data(actual.utf8).write(to: saved)
    let (old, new) = (expected.components(separatedBy: "\n"), actual.components(separatedBy: "\n"))
    let at = zip(old, new).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(old.count, new.count)
    XCTFail(
        """
        the page differs from the snapshot \(name).html at line \(at + 1):
          expected: \(at < old.count ? old[at] : "(end of file)")
          actual:   \(at < new.count ? new[at] : "(end of file)")
        The page as rendered: \(saved.path) (diff it against the snapshot). If the change is meant, record again with \
        YIWANG_RECORD_SNAPSHOTS=1 and commit the new snapshot.
        """, file: file, line: line)
}
