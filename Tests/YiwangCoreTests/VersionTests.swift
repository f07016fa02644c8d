import XCTest
@testable import YiwangCore
final class VersionTests: XCTestCase { func testVersion() { XCTAssertFalse(YiwangCoreVersion.string.isEmpty) } }
