import XCTVapor
@testable import YiwangServer
final class BootTests: XCTestCase { func testNothing() {} }
