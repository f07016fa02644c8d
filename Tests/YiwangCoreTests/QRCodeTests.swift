import Foundation
import XCTest

@testable import YiwangCore

/// The QR encoder is checked against segno (an independent encoder): whole matrices for chosen
/// versions, levels and masks, automatic version and mask choice, and a hash of the matrix of
/// every version at every level filled to capacity. The vectors at the end of this file are
/// printed by `scripts/qr_vectors.py`; a decode with zbarimg checks that real readers agree.
final class QRCodeTests: XCTestCase {
    struct MatrixCase {
        let name: String
        let text: String
        let correction: QRCode.ErrorCorrection
        let requestedVersion: Int?
        let requestedMask: Int?
        let version: Int
        let mask: Int
        let rows: [String]
    }

    struct SelectionCase {
        let text: String
        let correction: QRCode.ErrorCorrection
        let version: Int
        let mask: Int
    }

    struct FingerprintCase {
        let version: Int
        let correction: QRCode.ErrorCorrection
        /// The most bytes segno fits in this version and level.
        let capacity: Int
        let mask: Int
        /// FNV-1a 64 of the rows as '1'/'0' characters, top to bottom.
        let hash: UInt64
    }

    static let url =
        "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"

    // MARK: Helpers

    static func rows(_ code: QRCode) -> [String] {
        (0..<code.size).map { y in String((0..<code.size).map { x in code.isDark(x: x, y: y) ? "1" : "0" }) }
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        return value
    }

    /// The same deterministic ASCII text as `filler` in scripts/qr_vectors.py.
    static func filler(length: Int, seed: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        return String((0..<length).map { alphabet[($0 * 7 + seed) % alphabet.count] })
    }

    static func tableRow(_ correction: QRCode.ErrorCorrection) -> Int {
        QRCode.ErrorCorrection.allCases.firstIndex(of: correction) ?? 0
    }

    func assertTooLong(_ body: () throws -> QRCode, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual((error as? DomainError)?.code, "qr.too_long", file: file, line: line)
            XCTAssertEqual((error as? DomainError)?.message, "二维码内容过长。", file: file, line: line)
            XCTAssertEqual((error as? DomainError)?.kind, .invalid, file: file, line: line)
        }
    }

    // MARK: Reference vectors

    func testVectorsCoverTheVersionsLevelsAndMasksAsked() {
        let versions = Set(Self.matrixCases.map(\.version))
        XCTAssertTrue(versions.isSuperset(of: [1, 2, 5, 7, 10, 15, 25, 40]))
        XCTAssertEqual(Set(Self.matrixCases.map(\.correction)), Set(QRCode.ErrorCorrection.allCases))
        XCTAssertGreaterThanOrEqual(Set(Self.matrixCases.map(\.mask)).count, 6)
        XCTAssertGreaterThanOrEqual(Self.matrixCases.count, 12)
        XCTAssertEqual(Self.fingerprintCases.count, 160)
    }

    func testWholeMatricesMatchSegno() throws {
        for vector in Self.matrixCases {
            let code = try QRCode.encode(
                vector.text, correction: vector.correction, version: vector.requestedVersion,
                mask: vector.requestedMask)
            XCTAssertEqual(code.version, vector.version, vector.name)
            XCTAssertEqual(code.mask, vector.mask, vector.name)
            XCTAssertEqual(code.size, 17 + 4 * vector.version, vector.name)
            XCTAssertEqual(code.correction, vector.correction, vector.name)
            let actual = Self.rows(code)
            XCTAssertEqual(actual.count, vector.rows.count, vector.name)
            // Name the first differing row rather than dumping two huge arrays.
            for (y, (ours, theirs)) in zip(actual, vector.rows).enumerated() where ours != theirs {
                XCTFail("\(vector.name): row \(y) differs\n ours:  \(ours)\n segno: \(theirs)")
                break
            }
        }
    }

    func testAutomaticVersionAndMaskMatchSegno() throws {
        for vector in Self.selectionCases {
            let code = try QRCode.encode(vector.text, correction: vector.correction)
            let label = "\(vector.correction) \(vector.text.utf8.count) bytes"
            XCTAssertEqual(code.version, vector.version, label)
            XCTAssertEqual(code.mask, vector.mask, label)
        }
    }

    /// Exercises the block table, alignment positions, version information and mask choice of
    /// every version and level, with the data region full.
    func testEveryVersionAndLevelAtCapacityMatchesSegno() throws {
        for vector in Self.fingerprintCases {
            let seed = vector.version * 4 + Self.tableRow(vector.correction)
            let label = "version \(vector.version) \(vector.correction)"
            let text = Self.filler(length: vector.capacity, seed: seed)
            XCTAssertTrue(QRCode.fits(byteCount: vector.capacity, version: vector.version, correction: vector.correction), label)
            let code = try QRCode.encode(text, correction: vector.correction, version: vector.version)
            XCTAssertEqual(code.mask, vector.mask, label)
            XCTAssertEqual(Self.fnv1a64(Self.rows(code).joined()), vector.hash, label)
            // One byte more does not fit that version, for segno or for us.
            let longer = Self.filler(length: vector.capacity + 1, seed: seed)
            assertTooLong { try QRCode.encode(longer, correction: vector.correction, version: vector.version) }
        }
    }

    // MARK: Limits and arguments

    func testTooLongTextIsRefused() {
        // Version 40-L holds 2953 bytes; 2954 do not fit anywhere.
        assertTooLong { try QRCode.encode(String(repeating: "a", count: 2954), correction: .low) }
        assertTooLong { try QRCode.encode(String(repeating: "电", count: 985), correction: .low) }  // 2955 bytes
        assertTooLong { try QRCode.encode(String(repeating: "x", count: 1_000_000)) }
        assertTooLong { try QRCode.encode(Self.url, version: 1) }
        XCTAssertNoThrow(try QRCode.encode(String(repeating: "a", count: 2953), correction: .low))
    }

    func testOutOfRangeVersionAndMaskAreRefused() {
        for version in [0, -1, 41, Int.max, Int.min] {
            XCTAssertThrowsError(try QRCode.encode("x", version: version)) { error in
                XCTAssertEqual((error as? DomainError)?.code, "qr.version")
            }
        }
        for mask in [-1, 8, Int.max, Int.min] {
            XCTAssertThrowsError(try QRCode.encode("x", mask: mask)) { error in
                XCTAssertEqual((error as? DomainError)?.code, "qr.mask")
            }
        }
    }

    func testIsDarkIsFalseOutsideTheSymbol() throws {
        let code = try QRCode.encode("电子证照核验")
        XCTAssertTrue(code.isDark(x: 0, y: 0))  // finder corner
        for (x, y) in [(-1, 0), (0, -1), (code.size, 0), (0, code.size), (Int.max, Int.max), (Int.min, 3)] {
            XCTAssertFalse(code.isDark(x: x, y: y), "\(x), \(y)")
        }
    }

    func testEqualTextAndSettingsGiveEqualCodes() throws {
        XCTAssertEqual(try QRCode.encode("核验", correction: .high), try QRCode.encode("核验", correction: .high))
        XCTAssertNotEqual(try QRCode.encode("核验", mask: 1), try QRCode.encode("核验", mask: 2))
    }

    // MARK: SVG and PBM

    func testSVGDrawsExactlyTheDarkModules() throws {
        let code = try QRCode.encode(Self.url, correction: .quartile)
        let svg = code.svg(moduleSize: 3, quietZone: 4, title: "核验码 <A&B> \"x\" 'y'\u{1}")
        let side = code.size + 8
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.hasSuffix("</svg>"))
        XCTAssertTrue(svg.contains("width=\"\(side * 3)\" height=\"\(side * 3)\" viewBox=\"0 0 \(side) \(side)\""))
        XCTAssertTrue(svg.contains("role=\"img\""))
        XCTAssertTrue(svg.contains("shape-rendering=\"crispEdges\""))
        XCTAssertTrue(svg.contains("<title>核验码 &lt;A&amp;B&gt; &quot;x&quot; &apos;y&apos;</title>"))
        XCTAssertTrue(svg.contains("fill=\"#fff\""))
        XCTAssertEqual(svg.components(separatedBy: "<path").count, 2, "one path")

        // Rebuild the modules from the path's runs ("Mx yhNv1h-Nz") and compare.
        guard let dStart = svg.range(of: " d=\""), let dEnd = svg.range(of: "\"", range: dStart.upperBound..<svg.endIndex)
        else { return XCTFail("no d attribute") }
        var painted = Set<[Int]>()
        for run in svg[dStart.upperBound..<dEnd.lowerBound].split(separator: "z") {
            let numbers = run.split(whereSeparator: { "Mhv ".contains($0) }).compactMap { Int($0) }
            XCTAssertEqual(numbers.count, 5, String(run))
            guard numbers.count == 5 else { continue }
            let (x, y, length) = (numbers[0] - 4, numbers[1] - 4, numbers[2])
            XCTAssertEqual(numbers[3], 1, String(run))
            XCTAssertEqual(numbers[4], -length, String(run))
            for offset in 0..<length { painted.insert([x + offset, y]) }
        }
        for y in 0..<code.size {
            for x in 0..<code.size {
                XCTAssertEqual(painted.contains([x, y]), code.isDark(x: x, y: y), "module \(x), \(y)")
            }
        }
    }

    func testSVGAndPBMClampSizesInsteadOfTrapping() throws {
        let code = try QRCode.encode("x")
        XCTAssertTrue(code.svg(moduleSize: Int.max, quietZone: Int.max, title: "t").contains("viewBox=\"0 0 149 149\""))
        XCTAssertTrue(code.svg(moduleSize: -5, quietZone: -5, title: "t").contains("width=\"21\" height=\"21\" viewBox=\"0 0 21 21\""))
        XCTAssertTrue(code.pbm(scale: 0, quietZone: -1).hasPrefix("P1\n21 21\n"))
    }

    func testPBMIsPlainNetpbmOfTheModules() throws {
        let code = try QRCode.encode("电子证照核验", correction: .high)
        let scale = 3
        let border = 2
        let pbm = code.pbm(scale: scale, quietZone: border)
        let side = (code.size + 2 * border) * scale
        XCTAssertTrue(pbm.hasPrefix("P1\n\(side) \(side)\n"))
        let lines = pbm.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 70 }, "plain PBM lines stay within 70 characters")
        let pixels = Array(lines.joined())
        XCTAssertEqual(pixels.count, side * side)
        guard pixels.count == side * side else { return }
        XCTAssertTrue(pixels.allSatisfy { $0 == "0" || $0 == "1" })
        for y in -border..<(code.size + border) {
            for x in -border..<(code.size + border) {
                // The middle pixel of each module.
                let pixel = pixels[((y + border) * scale + 1) * side + (x + border) * scale + 1]
                XCTAssertEqual(pixel == "1", code.isDark(x: x, y: y), "module \(x), \(y)")
            }
        }
    }

    // MARK: A real reader

    func testZbarimgDecodesTheSymbols() throws {
        guard let zbarimg = Self.executableOnPath("zbarimg") else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                XCTFail("zbarimg is required in CI")
                return
            }
            throw XCTSkip("zbarimg is not installed (apt-get install zbar-tools)")
        }
        let cases: [(String, QRCode.ErrorCorrection)] = [
            (Self.url, .medium),
            ("电子证照核验", .medium),
            ("电子证照核验：\(Self.url)", .high),
            ("Yiwang 一网通办", .low),
            (String(repeating: "电子证照核验", count: 20), .quartile),
        ]
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("qr-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (index, (text, correction)) in cases.enumerated() {
            let code = try QRCode.encode(text, correction: correction)
            let file = directory.appendingPathComponent("\(index).pbm")
            try Data(code.pbm().utf8).write(to: file)
            let decoded = try Self.run(zbarimg, arguments: ["--raw", "-q", file.path])
            XCTAssertEqual(decoded, text + "\n", "version \(code.version) \(correction)")
        }
    }

    static func executableOnPath(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    static func run(_ executable: URL, arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: - Reference vectors

extension QRCodeTests {
    // BEGIN GENERATED by scripts/qr_vectors.py with segno 1.6.6; do not edit by hand.
    // swiftlint:disable all

    static let matrixCases: [MatrixCase] = [
        MatrixCase(name: "version1Low", text: "Yiwang", correction: .low, requestedVersion: 1, requestedMask: 0, version: 1, mask: 0, rows: version1Low),
        MatrixCase(name: "version1High", text: "核验", correction: .high, requestedVersion: 1, requestedMask: 5, version: 1, mask: 5, rows: version1High),
        MatrixCase(name: "version2Medium", text: "电子证照核验", correction: .medium, requestedVersion: 2, requestedMask: 1, version: 2, mask: 1, rows: version2Medium),
        MatrixCase(name: "version2Quartile", text: "yiwang.example.gov", correction: .quartile, requestedVersion: 2, requestedMask: 2, version: 2, mask: 2, rows: version2Quartile),
        MatrixCase(name: "version5Quartile", text: "电子证照核验 https://yiwang.example.gov.cn/verify/1.2.", correction: .quartile, requestedVersion: 5, requestedMask: 3, version: 5, mask: 3, rows: version5Quartile),
        MatrixCase(name: "version5High", text: "https://yiwang.example.gov.cn/verify/1.2.156", correction: .high, requestedVersion: 5, requestedMask: 6, version: 5, mask: 6, rows: version5High),
        MatrixCase(name: "version7Medium", text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", correction: .medium, requestedVersion: 7, requestedMask: 4, version: 7, mask: 4, rows: version7Medium),
        MatrixCase(name: "version7Low", text: "电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子", correction: .low, requestedVersion: 7, requestedMask: 7, version: 7, mask: 7, rows: version7Low),
        MatrixCase(name: "version10High", text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证", correction: .high, requestedVersion: 10, requestedMask: 2, version: 10, mask: 2, rows: version10High),
        MatrixCase(name: "version10Automatic", text: "电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11", correction: .medium, requestedVersion: nil, requestedMask: nil, version: 10, mask: 3, rows: version10Automatic),
        MatrixCase(name: "version15Quartile", text: "电子证照核验，https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验，https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验，https:/", correction: .quartile, requestedVersion: 15, requestedMask: 5, version: 15, mask: 5, rows: version15Quartile),
        MatrixCase(name: "version25Low", text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U；电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U；电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U；电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U；电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U；电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U；电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U；电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.114300000", correction: .low, requestedVersion: 25, requestedMask: 1, version: 25, mask: 1, rows: version25Low),
        MatrixCase(name: "version40High", text: "电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023000", correction: .high, requestedVersion: 40, requestedMask: 6, version: 40, mask: 6, rows: version40High),
        MatrixCase(name: "chineseAutomatic", text: "电子证照核验", correction: .medium, requestedVersion: nil, requestedMask: nil, version: 2, mask: 1, rows: chineseAutomatic),
    ]

    static let version1Low: [String] = [
        "111111100010101111111",
        "100000100000101000001",
        "101110101010001011101",
        "101110100000101011101",
        "101110100101101011101",
        "100000100111001000001",
        "111111101010101111111",
        "000000001010000000000",
        "111011111010111000100",
        "001111011011010101111",
        "010100100111011101111",
        "001011001011110110000",
        "011010101101011101000",
        "000000001100001100000",
        "111111101000100011011",
        "100000101100001010011",
        "101110101110101110011",
        "101110100011010111010",
        "101110101111011111101",
        "100000101001110110010",
        "111111101111011100011",
    ]

    static let version1High: [String] = [
        "111111101010101111111",
        "100000100011101000001",
        "101110101111001011101",
        "101110100101101011101",
        "101110101010101011101",
        "100000100011001000001",
        "111111101010101111111",
        "000000001100100000000",
        "000001100101001010101",
        "100101010111011010100",
        "010011101111101010101",
        "001111011001011010001",
        "110110111110101000001",
        "000000001101100000001",
        "111111100000110100111",
        "100000101110010011000",
        "101110100100001010010",
        "101110100001100000000",
        "101110100000111100111",
        "100000100010111010000",
        "111111100111010110010",
    ]

    static let version2Medium: [String] = [
        "1111111011110011101111111",
        "1000001000100011001000001",
        "1011101011010110101011101",
        "1011101000100001001011101",
        "1011101001100010101011101",
        "1000001011110111101000001",
        "1111111010101010101111111",
        "0000000001001100000000000",
        "1010001100111100100100101",
        "1100100010111001101111011",
        "1000001110101110101010110",
        "0110100100110010011001100",
        "1001011111000110010111001",
        "0101010101100111000011010",
        "1101111011010000101000110",
        "0011100010100100010110111",
        "1110011100011101111111001",
        "0000000010001000100011101",
        "1111111010001110101010100",
        "1000001000111010100010101",
        "1011101001000110111110111",
        "1011101000000110101010010",
        "1011101010110000110101111",
        "1000001000000100110001100",
        "1111111011111100000101001",
    ]

    static let version2Quartile: [String] = [
        "1111111011100010101111111",
        "1000001001001111101000001",
        "1011101000110000101011101",
        "1011101001010000001011101",
        "1011101011010100101011101",
        "1000001011000111101000001",
        "1111111010101010101111111",
        "0000000001110100100000000",
        "0111111101110011000110001",
        "1001010110000000100100010",
        "1110001101111001001000111",
        "1110110001011010111010011",
        "1000001000111000011111100",
        "1011000100011010000101000",
        "1010011010111001110100011",
        "1000000001110011111100011",
        "1010011011101001111111100",
        "0000000010000101100010110",
        "1111111011101000101011111",
        "1000001011011110100010000",
        "1011101010111111111111101",
        "1011101011101111011010011",
        "1011101010001000110100101",
        "1000001010001011101011001",
        "1111111001001000001111111",
    ]

    static let version5Quartile: [String] = [
        "1111111001001001000011011010101111111",
        "1000001011111011011011111010001000001",
        "1011101010000110101011000110001011101",
        "1011101000110101001000101111001011101",
        "1011101000000101111111000111001011101",
        "1000001001000000011111001101101000001",
        "1111111010101010101010101010101111111",
        "0000000000001011100010111000000000000",
        "0111011000011100011111000011100000110",
        "1110010011111101100110111100110100100",
        "0110101110000010011011111100000100100",
        "1001110011011110010110111011110011111",
        "0011011000101001011000111001000011111",
        "1100110010010111111001000011111011011",
        "0010001100110001011001011100100011011",
        "1001100110101110101111000001001101101",
        "0111001101001001010011011101100001011",
        "0010000000000101110110010011001100001",
        "1011001110101111000110100011010000010",
        "1111010011000000111011001000111100110",
        "1000001100001000100001110010110110011",
        "0010000001100011001100010010100111000",
        "1101011010001010100110010101000111010",
        "0110110110110100100110001100101001101",
        "0100011001101001010100111111111011111",
        "0000100011111111101100000001111010001",
        "0100001100011101111101000100011111010",
        "1000010011011001110011111111111110011",
        "0001001110010111101001100100111110111",
        "0000000011011100001010100101100011111",
        "1111111000100001010000010100101011000",
        "1000001010001111010110001001100010110",
        "1011101001000010001001100000111111000",
        "1011101010100001000000011010000011110",
        "1011101010001110001011111011000110110",
        "1000001010101100010010000101001110000",
        "1111111001110101010110111110001111011",
    ]

    static let version5High: [String] = [
        "1111111001100101110000011010001111111",
        "1000001000101001111101000000101000001",
        "1011101010111000011110101101101011101",
        "1011101010110011110001011110101011101",
        "1011101000011110100111001110001011101",
        "1000001000001011111110111110001000001",
        "1111111010101010101010101010101111111",
        "0000000001101000010110001111100000000",
        "0001101100001000011000010000100001100",
        "1111010011001001100100011101110010000",
        "1111001010000101011111000101011100011",
        "1011100111011001000011100011111111101",
        "0010111101010000001011001001101001001",
        "0011010010010110110100101001110010100",
        "0011101100010011100010101111010011111",
        "1110000101100100101110110001100101110",
        "0000011101111110000100110101001000101",
        "1010010011010011010011101111010000110",
        "0111111001001110111111001001101000101",
        "1001010101000110100110010100000011001",
        "0000001001101010110011010010101011010",
        "1110100000000100111101001001100111000",
        "0111001110100010000010101011011011101",
        "1001110101001011000001111011101101110",
        "0100001110111001011101011010011101011",
        "1011010111011011111101001001000111000",
        "1111001110100111001100001101101001011",
        "1001000110100000111001110001010001101",
        "1011101001001000000100110100111110100",
        "0000000011000010010101000000100011100",
        "1111111011110010100000110110101011101",
        "1000001000000000011111100111100011011",
        "1011101010110011101010000011111110000",
        "1011101010010001111101111010001001000",
        "1011101000010111000100110100100111111",
        "1000001000010000101000110001001111111",
        "1111111001111000101100011000101011001",
    ]

    static let version7Medium: [String] = [
        "111111101111101101011000011000100000101111111",
        "100000100110100101111101100000001001001000001",
        "101110100010101101000110100000111101001011101",
        "101110101100111001001000010111100101101011101",
        "101110101100001101001111111010111111101011101",
        "100000101001001111011000101111011100001000001",
        "111111101010101010101010101010101010101111111",
        "000000001110010101111000100001011101000000000",
        "100010111110110001001111111101111101011111001",
        "011011010100111110111001101100101100111111100",
        "110001111101101010110011001000100100111110010",
        "110000000010010101100110000111001110001000000",
        "000000110001111100101110110110111011001001010",
        "000011001100110000011111011010110000111110100",
        "111111100001111001011101001000110101101111000",
        "000011010101100011000001100000101110100001001",
        "011100101101100000110001111000001001000001000",
        "100011001000111111011111011001110001111110100",
        "010010101100110100011001011111111000111111100",
        "100101010000010101000010011101011010100001000",
        "110111111010100011111111110001011001111111011",
        "100010001001010110111000100100110001100011110",
        "000110101111011011001010100010111001101011010",
        "001010001101011010001000111100011101100010001",
        "011011111001011100111111111100111100111111001",
        "101000001011000101100110101100110100111100110",
        "111100101110100001000111101110111001100101110",
        "010111011000000110111110011111011001111010001",
        "100111100000101101001000010001111010110110000",
        "010111001010100100110111011100101000110100110",
        "001111110110011011010111011011110000000111000",
        "010011000010011111011100100000001110001111000",
        "100111111101000011100000011001101100000111000",
        "000101001000000111001111011001101000100000100",
        "000010100101100011000110111110100001000101000",
        "011110011000110101110011000001001110011111000",
        "100110101100111010011111101000111000111111011",
        "000000001011110110001000111000100001100011100",
        "111111101001001110111010110110100000101011010",
        "100000100100101100101000110101001010100010011",
        "101110101011101001011111101101011111111111000",
        "101110100110001010111000111000101101011110010",
        "101110100000000001000011001100100101011110010",
        "100000100001111001001010100010111111000010000",
        "111111101100001101011010101100011100100000001",
    ]

    static let version7Low: [String] = [
        "111111100000010000010110000110011000101111111",
        "100000101001101110010001101011110101001000001",
        "101110101111100110100001010001001101001011101",
        "101110100111001011111000001011111001101011101",
        "101110101110010010001111110100001111101011101",
        "100000101010101101001000111100010100001000001",
        "111111101010101010101010101010101010101111111",
        "000000001100010110111000111100000011000000000",
        "110100110001011111001111110100001101001110110",
        "000101010011011111000101111000101110111001011",
        "110000110000010111011001001100001100110101100",
        "111111011000001001010110001101110111110111101",
        "001000110010100000010101011000110011100000011",
        "000000011111001100011011101000100101101010000",
        "000101100010110000111010001101001000100000101",
        "110001011010000000011110110010011000100101101",
        "101110111010110010011111111010000000100010000",
        "111100011001110010101110000100101110100011000",
        "010010111101000010100010000110001100000111000",
        "111000000110101001001001110100011001111101100",
        "111111111110101000001111111000001101111111110",
        "001110001010110011111000101101110110100010111",
        "101010101011000111111010110011111000101011110",
        "110010001100001001101000110000011001100010111",
        "010011111011100011011111101000100111111111100",
        "011011011111010101100101101001111001100000010",
        "000011100010111001011111001110011001111010101",
        "100010011101010111001001100110011100011111101",
        "011001101110000010011111110110110101001010001",
        "111110001010110110100111010100110010010010010",
        "011001111101101111111000000011011001100110110",
        "011110001100000011100011111101101010101110100",
        "001111100001100001000000111101101110010101000",
        "111100010000110111101111111100110111101110011",
        "000010100000001101001100111110010010110001000",
        "011110011001100111110000111001010001101101110",
        "100110111000000010011111101001110101111110011",
        "000000001000110101011000101010111101100011110",
        "111111101110111101101010111101010011101011101",
        "100000100100011001011000110101111011100011100",
        "101110100001100010001111101011100101111110000",
        "101110101100011011101111100110111111111101001",
        "101110100111111010110001100000001110001000000",
        "100000101101000100000101101100001011001001100",
        "111111101010001000001000000000101110111101010",
    ]

    static let version10High: [String] = [
        "111111101100101001101101000000000001100001101011001111111",
        "100000101100011111111110101101001101111100011101001000001",
        "101110101111111111101001010010011111100010111111001011101",
        "101110100111001100000001100101110001000101110101001011101",
        "101110100010110001011011011111101100000100111001001011101",
        "100000101011110000111110011000100000011100011010001000001",
        "111111101010101010101010101010101010101010101010101111111",
        "000000001110010011101100011000100001101010101000100000000",
        "001110101001010000100011001111111111000101111001011100111",
        "111100010111011000001110110100100011001100110010110100101",
        "011100110100000011111011110110110100001101010110101110100",
        "011110011100110010111101001010010110000010111100110010101",
        "000011111101111000101011000001010101110101000011010001010",
        "110101000110001101011000100001111101110110111100110101001",
        "001011111000110011110010000001101100001011000010111000000",
        "110001010001100010000010000001000101111110111100100010101",
        "010010110100110101110011000010110111001100100100000101011",
        "101101001010101011001011011110100001110110100000100100101",
        "001011100100110110100110110111010111001001000111111100000",
        "010010001110001000111011101000010011000110111001100100111",
        "101001100111011001100000000011100000010000100110000001010",
        "011110011100110101110011110000110000100010111001100101011",
        "010011100101111110101000101000110101111001000011111000010",
        "110100011011100111010100010111101000100111111010010010100",
        "110111101010010111010001110010000001000011100111000101000",
        "111101011110010000100101000110000000000100001101100001101",
        "010111111111110110001011111111100000011100011011111111000",
        "011010001001100011001000101000110100000010011100100011111",
        "000110101100100111110110001010100110110101100001101010000",
        "111010001000111111011000001000101110100101111101100011011",
        "001111111001101010110110011111110100011100011011111110000",
        "000010011100111111001001001001010101000011101101011101101",
        "111000101011100001001011001011000110101101000100111010000",
        "010111011000110000110100010111010101100111110100100101001",
        "110111110010110101101010010111000111111000010010000101000",
        "011001000000110000001110100110100101110011001100001101110",
        "100110110000101111000010011010011010100100000100100011000",
        "100110010100111001110100101110000010000010111101010101011",
        "001101101101000001100100000100000010111001011011000010000",
        "010100011001111010001010101010011101011010111001101100100",
        "001010110001110101011011101100000111111101101010110111000",
        "011001001011001011101111010000011111001000100111000000111",
        "100011101110000001010010101000110111100101010001010110100",
        "100010001101000001010100000100100110000110011111111000110",
        "010111111010101001011010101010100110000100100110000011010",
        "101001001011101010001000010000000110100111101101110000101",
        "101001111001011000111110100111010100111101100110010001110",
        "111110001001010110001100000010011001000010111011101000111",
        "000000111111000001100100111111111100010000100100111111000",
        "000000001100000101011010111000111000000010100000100011101",
        "111111100011010000001110101010101001100011000110101010110",
        "100000100101010101011100111000111110101010111110100010101",
        "101110101001010010001100111111110010110000100000111111011",
        "101110101010011011001001011101010010101000111101000010100",
        "101110101000110111011110011110010101010111000110101000100",
        "100000100100111010100011101100001111011001001100110100100",
        "111111100111010000001111011010100001011111100110101111010",
    ]

    static let version10Automatic: [String] = [
        "111111101110110101111110100101101100000110101111001111111",
        "100000101010010110111110010001110110110110110101001000001",
        "101110100001011100010000010000000101100100001011001011101",
        "101110101001110011111001000000100010100000101001001011101",
        "101110100011111110001011001111111101111001001101001011101",
        "100000100010101011101011011000110101101111110010001000001",
        "111111101010101010101010101010101010101010101010101111111",
        "000000001101010000011101011000100001110111110001100000000",
        "101101110100001000001010101111100000011010010110101001011",
        "101011000101010111110000100100101101000111001011001000111",
        "111100101110010100001110011010110010110001110010011110111",
        "000010000001001010010001000110001101110000001000001100001",
        "001011111101010011000010101100100010101100001001011101011",
        "110010001101100001101000110101001101101011001101011100000",
        "000011111110001001000010111011110101101110110001001011101",
        "101100000011101011101101011111111100010010011000111110000",
        "011111111011101010111111101100101011001101001001111000000",
        "111010010010101010101110010010000011100011110011011001001",
        "011101111000100011110111110110000111011110000010010010010",
        "110001011101111001000000011110100001101011000101010011010",
        "000010110001101001011001111010100000001010110100001000101",
        "101001010101010110010010100101010100100110110110010001101",
        "000110101011110001111001001101001110110101101000110100110",
        "110111010111111111010100010101010000100100011111110000100",
        "101010110100000010010001011101011000100000101110010101110",
        "110110000011010111101101001001000100011001000100001010010",
        "110011111101101010110110001111101001001001100100111110110",
        "110110001101000111101010111000101010000010001001100010111",
        "100010101110011000101101101010111011010000001111101011101",
        "101010001111100001010111011000100010110110100000100010111",
        "100111111011110100100000111111100010011100000100111110110",
        "010010011110000110000000111001110011101110100101000110010",
        "001001101010011111110011011100010110011010111001110001000",
        "000000000011101001110000101000111001100000101001000111100",
        "000001111101110010010000010101001010010100111110110101010",
        "101110011101110110101100011111101100110000101011011110110",
        "101100101100110101111110000100100110100001100010010011000",
        "100001001110100010001100000111011001111001101001000000100",
        "100001110000111011001100010000010100101100110100100010100",
        "100101001010101100110101011011001100100011011001001101111",
        "100110110111001100101110100110111000001001101101101011111",
        "000110000101100001000010011110101010010110001000110111000",
        "111000101010001011001000111001110011111001011110111010110",
        "111010010001001001110001000101101010101011000010000001100",
        "010001111101101100001101110100010110010110001111000001101",
        "010100010100000001100110100101110000110100111100101011011",
        "101001111101101101110101011001001111010110111010111101101",
        "111110001111100000110010001011011011110100101111111111001",
        "000000110100011001001110011111110000100100000000111110000",
        "000000001010010000100100011000110000101011110010100010000",
        "111111101110110011111010011010100100001110001000101011100",
        "100000101010011110101100101000111111010010101111100010101",
        "101110100011100110100011001111101101001000010101111110110",
        "101110101101010010000101101101111110010110001010101001010",
        "101110101100000110000000000100000010111101010110001001100",
        "100000100000110010011110101000010000101001110001001110101",
        "111111101011000000110010100010110110001000110010101010100",
    ]

    static let version15Quartile: [String] = [
        "11111110101111100100100100001101000000000110110011110111110011111100001111111",
        "10000010100111010111011010000110000010110100010001101110111001001010101000001",
        "10111010000100101000101100001001000011101110110101111001010101100000101011101",
        "10111010000101011110100111010001100010101010111001101010101010001000101011101",
        "10111010001101011010111111111111111101011010101111101010011000010011101011101",
        "10000010011100001001100010001010010110100100011000111110010001101110001000001",
        "11111110101010101010101010101010101010101010101010101010101010101010101111111",
        "00000000011010111100001110001111010001010100111000110101101001010000100000000",
        "01000011101111101101100011111110100001111111001111110000000011110011010000011",
        "01100101001101000110010000010011000100010000010111101011000100001010011010110",
        "11011010100101111010110000110001010010001111110000011100000101110110001100010",
        "11110000111101010010101111111000100010000010100110010011001111111100001010001",
        "11001010010000001000010110000100100100101011011111111111111110010100001100000",
        "01011001010101110110100010111100011110011011001110000111000100000110000011011",
        "00110110100010111110100111001110111000100111001001110111100001001101111110110",
        "01000101111001100011101101111101001101111110111000110101110110010010110110000",
        "00010010101101010110001011100100101001000101101001111011011010011001010010101",
        "01001100000000111110111110010010010110101110101110000010110010100000111000101",
        "10111110110001101110111101110111000111000000001000101001000100101010011101111",
        "11001101110101101010111010111000010010111100101100011111000110110011011011001",
        "11100011011000011001011111010101011100011010110101011100011000000011001000100",
        "10011100111010110011110000001010001001010111101110001011110100101011000110110",
        "10000111100110011110010001000010010000000011000001001110100111001110110101000",
        "00011000001111110011100011000001111010100111101111100001000101110000001110000",
        "10101111101011011110110111111011000010000111111111100111100111101110111110001",
        "00001000101101011001011010001000101001110110111000101000001101000000100010001",
        "10101010110100011010111110101011001010111010011010100110000111111111101011110",
        "10101000100010011100111010001011101001000111001000100001101011111001100010111",
        "00111111111001101111000111111000110100001110011111110110010101110110111111110",
        "11100100000010111110110100111011011000000110011000101011001101100001000111101",
        "10111111100100100001001100101011000100101011101111110011001111110010001001100",
        "10101000010010100001011110111101001001101111100101010001100010010000000000000",
        "01000111001101110101010011001111000100001000011100011000110111110100101100110",
        "10110001100010111101010100110001001101100010010000111100001110010100111010001",
        "10101011000000000100101010110110111101111001111111011100000101100101110000000",
        "11111001001001111101001010010001010101101000101001110111001110010110000100100",
        "00111111111000110000011000001001001111101101111110110000111110010101100111001",
        "00000000111001011000000101100000101011110111101000001001101000001100000010011",
        "01100010111100100000100110100111001110000111001110111110000001110011110010110",
        "00101100010100000100001000100010110010110110101011010010100110010100101101010",
        "10101010101000010110010000010011000011100100111010111001011010011101101010110",
        "01010001111000111000000110010000000111111101100011101000111000011000001111011",
        "01001011110011100101001111110110101000111000100011101000000100111001001111111",
        "00000001010000101001010010001110000010011011101001110001000110100001001101001",
        "01100111110110011011001001010011011010010010000010101010010010000000011011101",
        "10100100101111101111011000011010011100100000000110101011001100100001001001010",
        "01101111111110100000011011111000100000111110011111101111101111001100111110100",
        "01101000110110010001110010001100110110111011101000111001011100110000100011010",
        "10111010101111000100101010101001110101110001111010111111100111111111101011001",
        "01111000110100000000101110001110110111011001001000101010000100011011100010001",
        "00011111101011011011000111111010100100111010011111110110100101001110111110101",
        "00010100011001011100110111000011000100110011011100111001101101011001101100110",
        "10010110000100101011011111010011101010000110011001011010110010010011100000100",
        "10110100110100001100000100000000000110111100000100100010001000000011001110011",
        "00100111000110010000110011000011101001001101111110010011001110010011100000111",
        "10000101010011101011111011000110101010000000110110010101101110110000101010011",
        "11111111100100101010101000001101100101100101011111010010110001110110110101110",
        "01100100111100110001100011011100011101101011001010001011001010101001110110100",
        "00000011000101010110010001100111011101100001010100111101100001010110100010010",
        "00010000111000100101010111011111100010010110110111110101001110011111011010010",
        "11100011110111000001001001100110001100011000110110011111001110111001011010011",
        "11001001011001010110000110110001011010111110000100000111001010010101011000001",
        "11000011101110000000011001100000110001001001101100010100100001010110110100010",
        "11010000101000110111010110010101011010001110110000110010111110110100101110011",
        "10000110000100111101011101011010101100000010000011110011101010011100110011100",
        "10110100011001101011010001111010001110011111111011110001111010100011111000011",
        "01001111100000101000001000001000100000011010011001010001001110101001001000101",
        "00001001000001010110101101111011001101000100111111011011001110111011111101011",
        "01111011100001011100000011111011111110100011111111111010001000000011111110101",
        "00000000100000010101100110001100001010111101101000110001110010101010100011110",
        "11111110101110001011100010101011000110100001011010100110101111010111101011000",
        "10000010000011110100110110001111010001011101101000110001010101110000100010000",
        "10111010010001100010001111111010001011110101101111100011100101101111111110010",
        "10111010011010110001000000001000010101000100100011101000000011111000101100000",
        "10111010001011110010100010110010011010010010011101011110101011011110110011110",
        "10000010111010000111001101110010000001100101001110011001111100111010011000101",
        "11111110001101011000111001100111001001100000010100010000001100010011100101100",
    ]

    static let version25Low: [String] = [
        "111111101111000110010110101111101100010001111001100110101000110010000111111100011010111110000111110001000110001111111",
        "100000101110111111011100000110011101111100000101100010011001110110111001110010011010100111001001011111000000101000001",
        "101110100011010111111110100110011101111110000101110101011001100110011001100110011100100110001000111111000111101011101",
        "101110100110001010101110100001100110000100001101000101001110001000011100000010000111100011001000100100001000001011101",
        "101110101111101100110101110110111111101111100111111100001111101110111101111010101111111110011110001111100110001011101",
        "100000101100000101111000100000100010100010010101100011011000110100011101100010011010001010111001100111110011001000001",
        "111111101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101111111",
        "000000001101110010000010101110100010010101100110011100111000111001110010011001001010001111000111010000100111100000000",
        "111001101101011111010011001101111110111011101000011101001111101011100101111100011111111001111111111111101001111110011",
        "101010000000111011000010001111110010001000100010010110100010010000011010000000100011010010100101010000100010110110011",
        "111100101110111001000011111010000000011000111010111001011111000111100111011000010111011101100111001101100111110111111",
        "110011000111011000111010101000101000011000111100011000000110101111100011000000010110001001100101001001100111010000000",
        "101101100011100100111100110010111111111010010110100110010111101101001001100010011110100001111000001001010011000110011",
        "110000010000111101111111000000100100000101111000001000101000100111000001101000111110101111000010010000011111101111011",
        "011011110100110001010101101110010111111000110111111100001011001011111100000001100110101001110000010100100110101111011",
        "011000001000101101111101111110110100111001110111101000010010000000111101000001100100001101100000001011000011110011000",
        "010011111111011100001010011100011000011000110111011011110010011010110000011110100110111010001000111010110100100011011",
        "001100010011011110101111100110011011010001111001100001010011011001111011110001000110000100100010000010111001110010101",
        "001110101000101011100001011101100001011001010110101111101100011110101000011100100101100010000010011101100100001001001",
        "110000000111011000110010011101000001001001000110011111000010011010100000010011100001101000010010011100100011011100000",
        "011110100110100100100111111101100001100101101100111100000001000000101111011101111011011011111100000100011111110011010",
        "110011001111100000001001100101000010101110100100010110100011101111000101111101000011101001010100001111000001010111110",
        "001010101000011001001101011000000110001011100010011010001000011101011110111100000011011111110100011000110111111011111",
        "111101000010001011001011111000100110001011100011010000010000011100111100011100100110011111010010011001101110010000110",
        "010000111101001111111011011110011110111011111100000011000111101101110000100111110100101101110111101110101010011110111",
        "011000000110001001110110100000000110000110000101101000000100010111011010000001100000011111111110010001110110100100000",
        "011011101011101101101011111001100110000101100011000110100110101101110001101001111110011010111111011100010110000111000",
        "010001011001010101000010011001100110001101100011000111000100011001011001101001101000011100111011101000110111100100001",
        "110110110011010110111101001111110010011010010001011100101000111100001111011101100110011110110111101011101111100110000",
        "001100001101000100101110110001100100001000100010010110100010010000110011100111011110010010011000111000000110100000011",
        "110011111010011110101111101001111111011001110000011001101111100000000110110111110011111000101111001001100110111111111",
        "101010001110111011110000111000100010011001111000010100101000101000010010011111110110001001100110001001100111100010011",
        "000010101110111100100010011111101011110000100111100110011010100011101010101101110010101100001110110111101110101010000",
        "101110001011100011110000110001100011100111101100001101001000101001001010000110011010001110100101001001010100100010011",
        "100011111101110101001110011101111110101001110110011100111111100001100110011011110111111010100110110111100110111110111",
        "100011010011010011111001010101010000010000100100011101101110000001010010111001100100100011000110000011100100010110000",
        "100111110100101110101101000111011000101111100001101000101110011111110100001010110100001011111000100001100001111101011",
        "000110000111010001001011001110010000001001011010010001111000110100010001100001000001011110000010001100100011111110011",
        "001011100000011001100000100001111011111001100001011000000010011001100010011001101101110101100111111101100000111000111",
        "000100010011101010111010100101000101101001010000001000100001010011100110011000100001111101100011111100100000010000010",
        "100110110101011110010100111001000101000100001110101011110001100110111110000111001000111011110111011110010100111100111",
        "100001000010110001110100010110101101110000110000011000000001001100100000001000000111000000000001100010111100010111111",
        "000001100001101010001111111001000010101110000110001001111101100100100110011000011010110001110010011110001010000001010",
        "110110001101010110111000010001010010011110000111001001110000100100100111011000111011110001111110011110001011001001111",
        "000010111010001010011000001100111100100101111111110001100100011011010110000111110011110001000011111101101011100011100",
        "000110000000001011011111000110010000001111000101001001000111100010110001101000011110111111001100000111011000000000111",
        "011101100000001101010100011000111111000011100111010001101100111101110110001101100100000000110000011011110100011001111",
        "001010001001010100011101011001101000000001000111000001111101111100111110001101100101110000100010011001010110011001011",
        "101111111010101010010110101011111000111011111001000110011100110010001110101111111101100111000011111010101010011110011",
        "100000001010101110011111000000001111010000000011101000111111010010010000000110010001110001011010010001100001011100011",
        "010000100010000011101101111001101100011111101110011101100000011001000110001001100101100000100111011001101110100001101",
        "100001000010001101000010111001001000010111100010011111110010101001010110011101100110001000110110010000100110111010011",
        "111001100000001110111110000111011001100101101111011110011111101111111011111000011010101100101110100011001111110110000",
        "001110000100011100010110001001001100001110000001100011100000111000100100010110100010000000010000001000000100111100011",
        "110011101000001000011001111011011010000101111010011100111100101111110010011000010000110011000110000001011110111101111",
        "011010011001101101101100111001011000000101111110011001110001001111100110001000001000100011100111000000111110010100010",
        "011111111100100110010110000010111110111111010011111010011111101101110001000101110011111110111001100001110111111110011",
        "011110001101101000010111101000100010001011011101010100011000110110011111101111010110001110000011010000011010100010011",
        "001010101010110110000011101111101010011000101001111000111010110011100111100001110010101101100001001001110111101011111",
        "111010001011100110100000101110100010011000100011111000101000101001100010100001010110001001100001011001100011100010000",
        "010011111000010100100010001100111110011011001011000111111111100010001101011011111111111101111111001110101000111110011",
        "011001000000001010110100000110000010000001000011111001011111000001100110110001000001111011100101111001110010000101011",
        "001001110010111000111000101010001011011000110110101001111111111111101001011001100000111101100110000101110011000100111",
        "000010001101110110011010011000000111111000110110011001000000101111100011010001100001000101100100001111100010000011001",
        "111100111010010101000100111010000010100000101110111010011110011101101110000111010000011101111011011110001001011010000",
        "011110000011010100010001110001000010001000000000011000100110011111000101001000011001011101000111100010100111100101101",
        "000010110100011100010111011001011110011101000111111010010111011100111111000100100000100111100010011101100100000100000",
        "010001000111101010011010101100000101011001100111111000011110011010111100000110100100101111010010011001100000101110011",
        "101011101110101000100000011000110110101110100011000011101111011110010000111000100010011100011101111011111111001111011",
        "001001011101100110001110000110001101011110011011101001001111110011011011000101110001011110101011010100000010000000100",
        "001011111000001110001100111000110000011101100011000111101001111101001001111001000001001010010100011000111110010110000",
        "101011000011000010110011011001110010001011100110000111000000011001000001111100000001011000000000011000101111110111101",
        "110001110101110110100110011011010001010011111100011100110011010000001111001011111011111010010001100110100111100111000",
        "100000001001111101010101000001110001100101000101110111111011000100100101110110000101101000110011001000110001110000010",
        "100111101000101100000000011001111110010101100010011011111111001000000110111101110101010001101110011001010111010111011",
        "000000011101111001110011011000000100001101100111010001110001101000001100001001101101100000100110111000110111110100010",
        "100000110010100101111010011110100110011001110110100010011101001101111000110101111010110001101111100011111110101010011",
        "000100010001101111101100101000000100000100100101001000111110011111010010000101001010001000000000011000001000001010001",
        "100101100100110011001001101000110111111101101110000001111110110001110111100011110100111100111111001001100110110001111",
        "111010011100001101100101101000011011011000101100000101111100000001010111101000100000000001111111011001100110011110010",
        "001111101101101010000101000101100111101010011001111111111110011110001001011011100110011110110111100001101001011010010",
        "101101001001011110101101101110000111011010111010010100000100010000101011100000010000011111011101100001000010000001111",
        "011011111110010100001110100110111111111000110000011100101111111000010011011111100011111100000111101101100001111111011",
        "001010001100101010100100000011100011111000100000011100111000110000010011111111100110001010100111101111100001100010000",
        "000010101110110111110110111101101011000110010111100100111010100101101010111100010110101010111001011010000110101010011",
        "101110001110101100111010010010100011101000101100001110111000101000001001011110111010001100100111100000100100100011111",
        "100111111000011001010111111101111110111000010110011001001111100011100010011000111111111101100010111001110110111111011",
        "111110001000101011100001110100111010011000010100011000111110000011100111011000111011000101100110011101100101001101101",
        "110000110011101000000001000000101110111011110111100101111101111000111111111111010011111001110110111011111101011111101",
        "100010011011111111010111101100011100000001010000011110001110010101000100010001011111100100000110000101011101011110001",
        "001111111011011100110110000101111011101011100110001001111110011000100111011001001001100101101110011011110011011100100",
        "101101000110101010110101000000000101101001000111011001100000110101100010011000100100111001101110011001001111011110010",
        "110111101111001100001011011010111101011010011111100111110010011000011111011101101101110010111001111010001011101010101",
        "010000010000100011100111000101100001110000100100100101010001000111100001111111100000011010111110000000110101110001011",
        "001111110011001111010100111000000101011110000111001001100011111101101110001111100111011000110100011110010000011011101",
        "101010011001011100001110011000001111010110000110001001110001011100110110001010100011100001100110011110010010011001000",
        "111000101001111101101000111100000011100100111001011111100001100101010110101101101110001111010111100100000010000100011",
        "101111001001101001100010011111010101101110100111000100110000011001111000000010000010100001001100001110110000101000001",
        "100110101000010111010101111001111000000011111011011001111000011000000110001101100110101000110110000000111010100100111",
        "001110010110111101011001111001110100000001111110011010110110111000110110011101100010101001110110000000111001100000001",
        "101000110100011100100111011110111000011011110111011110101100011111111111100001111010001010110111111010010111011001000",
        "101011010111111110111001110000000110010000011110000000101000110000110010001101000100110001010000010001111110010000011",
        "111010101000011011110000111110100100011001101110011101110001001011110011001101110001110000000110011001001111011111111",
        "001111011110010101001100011110101000010101100110011100101101001001110010010001011000101010100111010000000111010000010",
        "110000111101110100010100111100100111101010101000111111001010100011100000011010000001101000111111111111101001010000011",
        "001111001100101100111000011110011000000100100110000110000100110000000110010100110001110110000100100100100011101000011",
        "101011111110001000001111001011101000011000111100111000111000110111100011011000000111110000100111001001100110011101111",
        "001001010001110010001011001000011000011001111110011001101001010111100110110000010101010000000100001001100111001000000",
        "011000100100000001101000101011111111011101010110101000001111100101101010100100101011111001111001001111111011111110011",
        "000000001100100010001010100001100010010111011100001000101000101111000110101111011110001001100011001100000100100010001",
        "111111100011011110101100001110101011111000110111101000011010111011111101000001110110101001100001010001100011101011011",
        "100000101011111001110010011110100010111001110111101000011000111000111101000001100010001101100000001011100110100011011",
        "101110100001011111011011100101111110011000100111010111111111111010010001011111110111111000011001011111101111111111011",
        "101110100010010111011010001111011101101001010001101001000100011000111011110001010010000110100110000001100101111101100",
        "101110101011000110011110001101100111011110010110111111100000011100101000011100101110010010010010011101100001111100011",
        "100000101100010011111010010001100111001100100110001111000010011110100000010010110110011000010110011101100010101111000",
        "111111101100010111100011111100010001000110101100111100000110101111101111111010111101101011111000111110000111101010001",
    ]

    static let version40High: [String] = [
        "111111100101100000001111010011101110010010000010100101100111100100101100001101110001001110000101011011110010100000000001100110011001100110011111111000100100111000010010001111111",
        "100000100000110111010110001011111010101110000011000011000111100101010110101010011000001000001111101010001101100011001000111010110001011001100110111001111001101010001110101000001",
        "101110101110000011111000001011000000110000000100010000111100111111001000011011001101011001000100110000111100010100100100100001001110110111110111010111011000000111101110001011101",
        "101110101010011011100111010100100010011101110010000000001100111010000101000100101110001001010100011100001001010100000011001000100010001101010010110010001001000010011001101011101",
        "101110100110100111010111001111111011101010001101110001101111101011010111100011101010111111100111011111000100101111111011110000001011110101001111111011010010001110100100001011101",
        "100000100100011100010001100110001001111101110010000100111000101001101101000100111011100011111010101011001000011010001010101101110011010101001000111010100001111010101010101000001",
        "111111101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101111111",
        "000000000001001100101011010110001110100011110100000000101000100010011101110100101011100011111000001001001000110110001000111100110000101000111000110000000100001100110000100000000",
        "000110110000010111110110011111111000001110000100111100101111100011011101100011111111111111100000100000010101100011111111000100111111011001111111100110010101011111000001100001100",
        "101111011100101001001111011100001100110010001111010100111010000111100010001000111001000000010100011111010001011001011100111111011101100011001010100101110101011000110100101001100",
        "111110101010000111110010110001010101100001001000001111101000100001010101000010001101000011100001100110011111000111111101001001101011011111010011100100001111100101101111010010001",
        "011011001001100110010101110001110100110011100011101001010010100000000111000110110110100000001000101100100010000000001110000001100110100101100010001011100011100011100011100101011",
        "111010100101100101100001110110111000000011001000011110010111101010110011011100110000101111010110000100111011011000100001011101100100001100101100111111011100110000011001011011111",
        "100110010001111101110010010110100100010001110100101000001001110100100011001000100011100100111110001001111101101100101011100110101101100100011001100011000111011110111101111111000",
        "000101101111100101010001100100111111010101000001001001001100100001110100110101111110100011101001000011000001011100010000010001110011110010111001111011010100110111100111001001010",
        "111110000101110000010000101111001110100000000101111011011001010101101010101100010011001011011001111101101001101001111101001111101011011000001111011001110010101110101011101001100",
        "001000110111010001001111001010110000011010101101101001110000110101000001010101001001100101001011001001011000000001100101001101000000011110111100100000001011110100011010111000001",
        "011000001001010101101001010001110100111110100110000001111010110010010000100101101100011111101000010010101100110010110001111101011100101111010000110001111010000100111011000110111",
        "110001101010010000010111010011110110110101101010101110010011000000001111100110010000010110100011000011101011000101000000001100011001110010110000110010001111101111111111010100011",
        "111100000100110100100101000000010110110000111110101010101111111111110000010000001001110001001111001101100111001110110011001111011101101001101110001010100000011001101001011011101",
        "111010100010100110000100000110101101110100010110011001111110000110110000010011010000100000110101010010100011111011010010011001101011100000111111111001001001001110110001011100010",
        "011100010010000101001011000111001101011100010011001001001101111101110001100010011010110110000100100100111001100100110001000011001100000110001110101010100110010000110111101110110",
        "011101100101011100110100010111000000001001110110010000011110110111101110111100111001001111010001010111111011111011001010100110001000110101100110001111101101101101101010010001001",
        "001110010100001000000110000001000011110001010010001010010110000100110001111001111110000001000010101000111001011010001001100111000000001110110110000001111011000001100101111101100",
        "000101110110010111100000110010111110011000101000100110110001000101011101110110111010101000010100001010000001010000101110001010100010011101111011000100001000010010011101110111011",
        "010101001011011000101010101111001011011101011110010000001011110001010100001100001010111011101001000100110100010010011110100100011110100011010100111100110110011011100010111010110",
        "001100111000100011110000001110101111011100101001111001001010001101010011100101110000010110100100110011101110111111100110100110110110110010101001110101011101100010010011001000110",
        "100111001101010101110010011000001010010010011101000000010000100011001001010011011100111111001110101000000100010110100110111001101000110110111111001100111010001100011110111100100",
        "110011111001000110000111000011111100010010111111101011011111100010100101010111101001111111001111000001000001101011111100011011110100001011101111110000000010000101011011111110001",
        "010010001001100111010100111010001001111010111010010001101000100001001100011001100000100010011000011111101101011110001101111011000001111010001000100101101101000000101111100011101",
        "101110101101101011001100001010101110000011000001010100101010100001000100001100000001101010100111000111011101010010101111001011100111111111111010111111000100011010001100101010101",
        "001010001000100010000011010010001000000000011010001100111000111011000001010100110010100011110101010101110101110110001000110001111110111001001000111000101100110101110000100010100",
        "011011111110001001101100100111111000100011001011010101001111111000000000011010010101111111001100000110010011101111111111000000101111010000111111101111000010001110001101111111000",
        "110001011000110101011010000011001011000011101111010100011011000000111111011000100101011101010000001110100111110011101100100011001100110011010110101101110001101101000011111010110",
        "111011101101100010000011011001111111111111010001000110011101100111100111111111001101101001011010111111011000110100011101101011100100001100110001001100101100111111011001100111011",
        "101100000011010110101101011110100101100001001010000110101011110000111001001110011000101010010001100101101001000111011001111100011011100010101101100010001101010010111010001011111",
        "001001101111001110110010000000010111001011101111000001001110011000010110010001111011000100000001001001011100000000111110011101110111011000010110000111011100010111001000010100000",
        "101001000011110010000010011110110110111011001000001000110111000111000110110110111111110010110010001010010001111001100110100101011110100000001000101110000111011011110001101000111",
        "011001111001001001000100110100010100101000100001001101001110100000011100010001101111111110101111111110011101001110011111110110100110000000011110101111110100101111111110100011011",
        "101111001011011110111001000011110100110011110111111101111010001010001011100110111001010001101010011011011010100101101010101100100010111010111100100010010110011110100010100010110",
        "111110110011001100101101000101111011010111010101101001011011100001100110111000100100101000111011111011001110111100110100001011100100000010100100011101001110000100011011010011011",
        "100110010101100000000110010010100101111111000100100010100011000001101011000001110000000111011101010110011000010110011101111010010100101010010011101100111100010001111100111010101",
        "101100110000010101100000100111101111110001001111010101000011011100000111010000011111001111110011110100001101010100000111011001111011001101011111110110011101110111111101001110011",
        "000001011010111101001110101101111111101110100010101100000110000011111000011101101101001001010011110111111001111001001101001000111111111110111110110000111000111000111000100000000",
        "110010101100101100101000111101000001001010011110000001110111011011111100010101111001111000011111001101110010110100100001110100101101000101111111010110010101111001010000101000110",
        "110100000011101111100000000100100110000001101100001101000000101010010001011010110001001000101100011011101111111110000000110001011011110110011010110001010101001100101111100011010",
        "011100111100111110001010111011001100001000001100101010101110101110101001101110100101000110110010011000011011000000011010111100101010101001100101100000001111101100111101101110001",
        "110100000100111001011001100101011111101111001010000101011001001010100111100101011011001100010000110100100000000001111101100000100100010001000101110000111011100111100010011100101",
        "011011110101000011011101011011101010001100110100010101010001010100010001000111011011111101011001011011001011110110000110001000010110001100111110010010011001100110001001111000011",
        "000001000010001110110010001111111111100111100010011010000110010110001011111110110110001000110011001001110110101101110010111000000011110100001011101010100001011111100001011101100",
        "111000111011011001011110011010101111111010101110000000011110010011100010101111011001101011101010001010100011101000111001110111010010111011111111111011000110100110110110010001010",
        "101101010110100110110111010110100100100100111011000011010010100100000010000010011010011111011101011111110100111010011000101010101111111011100101111000110010001011111011010101111",
        "100001100001111101011111011100001110101001001110010110111011001111001111001000001010001101101110001001111000100000110000001010110100111011101000000010010010010101101011001111001",
        "010110011011001100000011101110111100110001001111110011011111100100011010101011010010001011001101101101110001001011101001111011000001001111011010100011101111011001111110110111111",
        "001100110111001110100111100011101010011011100101000111011010001101111000101110101011100011000011000101101001101000111000001100011000100111111100111101111111111111111000111011011",
        "010110001111010011011101011010110000001100001101100100101011001001101100100010100100110000011001110011100010000010011011101100011111010101101111111010100000011010111110110010111",
        "001111111111011110101001111111111110110001101100111001011111101101110110111111110010111111011101000011001000111111111111011011101111010100111111101101000001011011010100111110010",
        "000110001001001010111000111010001000101001001100110011111000100110000100011110011000100011111011010110100110000110001100100110001100110001001000101110100100001001110001100010100",
        "010110101011111000101010010010101100000011100100001010001010111110101110111110101010101011111111101000110101000110101100110100001011101001111010101110000110111001001001101011101",
        "101110001100011100111010110010001010011001010001111001111000111011100110011010010100100010000111100001001101111010001111111000000001111111111000100101110011000101010110100011101",
        "100011111011010100010101010011111111000100101101011001111111100000110011010101111010111111011101010011010011011111111111001000100110011001111111100010010000010111001001111110011",
        "001000000010111100001110100010010010100111111010001011010010110011010101010010111011110001000011000100110111100000101110100001011110100001011110011110110110011011110100011010110",
        "100110100100100010000101000110110110001100000011110100000011011000101111011101001000100001101110001110010100111011000111101011001110110110111111110110001101010011000101011101100",
        "011000010010110000010001100001010011110110001000011111010001000001110011011110100000010111100111000111100111100000100010100010001100101011010110101010111110100111100011001110110",
        "000001100101010010110111111011000010111110010110111111110001001011111111000001001111101110010111011101001001010011010101011011110100001011111110010100011001010101010111110000011",
        "111010010001111100010011101011000010101010101110110100110000101000010000010001101101000000011001000111101110011000010101101010000101111010000110000100111000100100001011011101111",
        "101001110111110000010000001100111101001101000010110100101111011101010011110101011111101001001000101101001011100000111110111001110110011110110011011110111110101101001011110111001",
        "110101001000001101110110000111011111111000000000101100000001100011000100001101000011011011001010111110110011011010001011101110100000111001110100111001010110001001101001011010100",
        "000000111110000111111010101110100111000010110111111000011100001001011101000000110011110111001000000000010100001111101110010100111110010001001001101110010101011110010000101001001",
        "111011001001100000010001001010000100101011000010100011101010101100110110110100101100011110100000011000000010101000110100100111001100110010011111001100010101001001100010111100101",
        "000010111010010010011111001100011111010011101011001111110010001010000111011010110101111011110100100101000110010100100101001101111101001011011001101100101111110100110101111100000",
        "100101000010010111110000101001111100011000110110111100100111111010000000100111110000000110100011010010001011101000000011010100101101110011111111011011011111010111100010001001111",
        "101100111001011110111111010010100000100111011110011011100111111011010110111010110111010110101001101001000100101011000111111001110110000000111001110111011100010110010001110111001",
        "111110001110111011011101101011000110000000000110011001100011010010010010001010101010000010000110001101001010001111111110000001001111110001000001001111100111001010110110110011110",
        "100111101001011100101001001110110111111100000110100100111001000101101000000001010111011100111010111101000100111101101111000001110010011100010110110111010100111110101100100111010",
        "010001000000101111011101011000010100111100111000100110001110100000001100010111111110000011000001100101110010001110000111010010101011100100110010111010101010101010111010011110010",
        "101000101111110111110011000100100010010011010100001010100001011001100111010110100010110111000100010110111001001100111010001111110110001110101011110101001110100010011011100101101",
        "111100011010100110101000001001100111001000100101101101111001101010011110010011111000000111100101010010101111010010110001111000010100101111000010000000011100000101111110111100011",
        "001110101110101100011000001100101110011100011110110001001011000100111101100100110110011010100000001010001001110110011001111110011100100011111111101010011101111110111110100110011",
        "101111010111100010000010111100101100110010000001000111111110000001111100100110000000001001001011101111111010011001011111101010011011011010000000101011100000111100111000001001110",
        "010011110100001010001100010111111011000011100100101100000000010100011010010110010011100110010000010010000010111001001111010000111101000101110000111011010000101111010001101111010",
        "010010010000011100111001011101011101010001100001001000000111010101011001111100100101100100100001011011101101111110111000110011010011100110011011001000110011001101110011110101110",
        "100011100000000010011101100011101100000001101100010010011111110001011101111100000010101110110001010001110000110111011010111100101001100000101101100000011101111101101101000100001",
        "100110010111101111111110011011000101001101100011010011011110100101101101000011010011101000010100010110111101110010010001100010000100110010101011110001111011000010100010000000110",
        "110011111011101111011101001111111101011111000101011101001111110100111011001010011000111111111100011011100010010111111010011001000110111001111111110000000000000111111000111111011",
        "001110001000010111001000010110001111101100011100100001011000111111100011111000001001100010010110110110100010010010001010100000111010010100011000111000110100000010100100100010100",
        "000110101110000111110110001010101010010100111100010110101010111101010101100111100010101010001010001100101000000010101001001101010001110110101010110100110110110110110001101010010",
        "000110001101000001010111001110001010111100001111101111011000100010111000101000110110100011001011100001110001110010001001110111001001000111101000101000110010001000111100100010101",
        "010111111100000101110010100011111100101100110111100011011111100111001101110100101000111110000110011000010010100111111100000001110100001111111111110110011010000000001110111111001",
        "001100000000000011100000010011010000000110000101111010110011001110101111010111010000001101110010011111110111001011100101100111000001101000000101100111101101000000111000011101101",
        "000111110001101010100001100011100110010101101110001000000011001101111010110100111000011101001101111010101110010000000110110110111011111011100110011100010100101011011010011001111",
        "110101000111000111110001001001101000000110000010110010011110011001011101010001101110101000111100111010011110000101111100110011111010100100111011111110101000011110010100111100110",
        "101000111010011101001100111000101110001111110100010000100100001001011110011101010010101011110100011010001011110100100110010000101111010000100111101011011001011110001000110001010",
        "011001010000101110011101010100110000110111101000011001000010100001000101000000001000111111110001010110101100110100010100100010001000110011001101101100100100001001110110110100100",
        "111101100111111001000110011010010101010001001000101110100111000011010010011111010010001100110101010101011110100000111100111000010101101101110110010101010110001000011110101010111",
        "010010011011111001011000001010100010011001010001010111000101101001011010000111001000001011101110001110101111001001111011110010000011100010000010100011110111101000101010110111111",
        "011100110111000000101100101011101001101000001100101100000000011001001101000011111101100011000101001111001011000100100111011001100110011001111100100110001011000001001101111010001",
        "101010001010100111010001110010101001110001110101101110010001010011001101001010010110110001100010011100110100100110000110110001011110100001000011100111000011111011010001010010110",
        "101010101110111001001000000110000100000100011011111101101000110100011100110101110111111111100001100100000010001010110111110000111001010111001110011111110111100100000011110100000",
        "100010011010011111110100110000110100101100011010111110010011010001010010000110010000111101011000101000111000101001011001111101110000100011001011101010000100011111101010100000111",
        "010011110101011100101001010110000101111001100100100011000110010011000000001011101000110000010011011111000111110001110101001111100101001011001001110100101110000111001011001110000",
        "111111001000101001001001100111011100000110001011101010001101000100011001111101100101000001101001010001010010000111001101101110000101111011110100000100111100000110111011011111101",
        "010110101000000000000100111011010100100011110001011101001010111001110111010000100110011100100110110011010101100010000111011111001111001001100000001111111101100100111110100100000",
        "111010010001001100101011010111100110000001111101100111001100000000011111101101101010101111011000001111001001010011100000001110110010100001000100011001100100001110100000110000100",
        "101011100000010111110111111111001000101100001111010010111001110011111011110011111111110101000000100100011101100000001110110001111111011000111010111111010101011011010001110010000",
        "100000000100101001001110011010110101110000000100001011011100000000000010010000111000001011010100011001000000011011111100010011111101111011000101111100010101011100101100010011110",
        "111100101110000111110010010001011101100011011101111110100001111111110111001011001100111000000001100100001110100011110100011010101101000111111110000101101111100101100110111010001",
        "010100010011100110001101010100001101110001101001101111111000001001000101010110110110110101101000101100100010100000110110011011000100110101101111101010100011100001111011010011000",
        "111001111101100001101000110001111001000011001110011001101011101010010001001101110000011011110110000010101010111100010000011101100110010100101011010111011100110110000001110101111",
        "100111011101111001101011010001110100010011110110110110001100110000000001000000000011110000111110001111100100101000001010100011001011110100010010110011100111011110100100010111010",
        "001100100011100011001000100011001110010111010111111000110111001101010110101100111111001101101001000001010000011011111000110110110111101011100011000011110100110111110111111001010",
        "110111010011110110011001101010111111000010001011010101010001010011101010110101010010000001111001111011110000001001100101111000101111000000001110111001110010101010101010111011101",
        "000011111011010101011111001111111000111000100111110111011111101110000101000100101000111110101011001111000001000111111100001011100010011110101111110000001011110100001011111110010",
        "011110001101010111111000010110001101011110101000000001011000111101010100101101101100100011101000010010101101010110001001111010011000101110001000111001111010000100111011100010111",
        "111010101100010000010111010010101111110101111110000000011010100011101111110110010000101010000011000001100011100010101000101111011101111010011010100011101111101111111111101010011",
        "111110001010110000100100100010001111110110111000001001011000111110010000000000001000100010001001001001110110001010001010111000111011100000001000101010100000011111110001100011111",
        "110011111000100110011101000111111100010010001100010101011111111100110000010010110111111110110011010010101010011111111011010000001111100000101111101001001001001110110001111110000",
        "011001000100000001011011000010000101011000001110110011011110101101110001111011111111101010100010100100101000100100000000110010001000000111001010101010100110010000100110111100110",
        "010100101001011010111101010100100001101101100111001100100111000111001100100100111110100111010101010101110010011110111010010111101010111101111111100111101101101101101010100101001",
        "001100011100001110010111000111111010110001000110100111010101101011010101111000111110100110000100101010100001011010110000111110000010010110100010000001111011000001110101111101100",
        "001110101110010001111000010010110110111100100101110001100001010101011101101110011001111011110100001100000000010000000110010011100010011101110111110100001000010110011101000111011",
        "010011010101011010100011001000111011111011011110100001101100010101110010010101001011001001101111000110100101110111001110111101011010100011011000111101110110011011100011101000100",
        "000111110100100101101000101011110111011010100111000001001000000100110111100101010000111111100010110101101110111001010111111111010100110010100000100100111100100110010010001110110",
        "100110010111010001100010011011000010110010010000100000010111001011001001001011111011010101101000101000010101010110110110100000101110101110111011001100111011001110001111010100101",
        "110111100011000010011110100001110101010010101111001011100111110010000011010110101000011110001011000001010001101001011101001010110100001011100101110000000010100111001011000100001",
        "011110010101100011000101011001001001011010100001010000010110101000001000010000100010110001011010011011101101011000001101101011000001111010010011110100001111100000111110100011111",
        "101000111001101001000100001111011111100101011010111100110111010001000000000100000001111000000001000011001100010011100110101010000001111111110001100111100011011010011100100110101",
        "000100010100100100001011010110100001100010001010001100011100010010000011000100010010110011010101110001110101010101000000101001011010101000111001011000101010010001101000111010101",
        "010011101000001101100100000011100001000011000101100101000000010000000010000011010110010111101001000100001011001101100110010000101111010000111101101110000100001000000100010011000",
        "111100000110110111010011100010110011100101100111111100011000000001011111000000100111011111010001101000101111010100101100100011001100100011011011111100110001001001000011001000100",
        "111110110001100010010011011011100111111111000000100110100101101111000011101111001000110000011101111111000001010001011100101011100100001100101010100101101101011101011001110101011",
        "101011001011010010101100011000011100100001010011110111010001011000011101010111011101100010110101000101111001000010100000110100111101101010101100000011101111110000111011000001100",
        "000010100111001010110010100110101110101011110110110001000001100001010100010001011111001110000101101001010100000011111111011101110111011000000100100110011000110101011001001010010",
        "101111010011110110001011111110100110011101010000110001000111011111000010111110111110101101110101001100000000111011100110110101011110100000001101111111100101011011110001011100100",
        "010000100101010011011100110010101101101100111000010100000111010000111110000000001100011111001010011110010101001010010110010110000110010000010011110111010010101001100110011111000",
        "101010010111000100100001000000011101010011101111110101011100110010001011101110011100101011101001111111001010000100110010011100100010101010100010001011010111011110100011101100101",
        "110001111000010010101100100111100010110011010100001001110100001000100110101000000110001011011001111101001111011110000101101010100100001010000100110101001011100100010010000001011",
        "101101011010100100010111010100010101111111001101000010001000001001001011011000110000101110011100010100010001010011111101011010110100111011011001111101011110010001101101100010110",
        "101111110111100111101001100111000110110101001111101100111001001101100011000001011100001100110011110100001100010001011110001000111111000101101000001110111101110111110101000010010",
        "001001001011100001000111001010010110101000110010110100100101110010011000001100001001011010010111110111101001111001010101000000011001100111101101010001111100111110101000100010001",
        "110111111111110100110000011111111001101100000111010000111111100011011000000101011000111111111110001001111010010111111001010100101111011101101111100110010100111111011000111110101",
        "110110001101001101110001100010001110100001100100100100001000100010010011001010110100100011001011011011100110011110001000110001011101101110011000111001110011001100111111100011010",
        "010110101000010010000010011110101101001100001100100011111010110110001111111110000010101011010011111010010010100010101011101101101100101000001010101000001011101100100101101010001",
        "111110001100100011001001000010001111001011000010011100011000111010100111110101011111100011110110111100100000000010001100110001100010011001001000110000111010000001111011100010100",
        "010011111111101001000100111011111010001010110101100101001111111100010011001111011000111111011001110011011010110111111110011001110000011100101111100011011001100110001000111110011",
        "000010010010111000110010101011101111100101110011011010001100000110001011110110110110110111110111010011101110001011101010100001000011100100001110010011000001011111100000110111100",
        "110011100100011001011110111011001110011100110111001001000001101010100110110110111000001101101000000110101010101110000001100110010110110010111010110010000110100110110110010111010",
        "100100000001010100111111110010110100100100101010011011001100001100000010001011011101100011111101100111111100011111101000101010101011101011111001111000110010001001101011110011100",
        "100100101001100001010111011111010111001001010111001110010001100111101011010000101111101000001101000001100000100111110000001011010000111011101000000010010010010011111011111011011",
        "011100010000100100010011001010000100010001000111111010011000000100111000101010010001111101101001111101101001101000101001111011000101001110000001110011101010011101111111110011111",
        "001101111001001100101110100111100010111111110101011110111011110101011110110111101000110011000010111011100001101010000000000101111110101111110111001100101011111111111001010111011",
        "010011011000110101000101011101101000001010011101111100010100110000001110110010000100000000011100010101100010000010000011100101011001010100101010101010110001011000110111110000100",
        "001101100100100000110001111011000111010101101100111000110111011100010100111111110001010101011101000111011001111011110111011010101011000100111001001101001001011111001100111000000",
        "000101010010110000100000011000110001001001001100110011110001000111100000011110011010001001111000100000100111100111100100101111001000110001001000101110000110011001110001011010110",
        "010000100111010100110011010011000100000001111100011010000001111111101100111111110011100100011001100100110101000111001100100100001111101001101101101111111101111101001000011001101",
        "101101000011011100111011110010111010011011011001101001011001000010000000001011100001001000100011101001001100011100111111101001100111101110110101100100100110111001000110001011110",
        "100010101011110110011101110101100111100000111101011001110001100000010001011101100101011010000100100111011011111000111111011000100110011001110110000010100110110011011001000000011",
        "000001001100011010011111000001100011100001111010001011000110010011010011000010100110100101001000100110110111000111011110110000011010110001010000111110110000000011100101000000110",
        "100110111011000010011101000100101110101100010011110101100010011000001001011101101110011110000010101000011100111101010111100011001000110110110110110110101110110111010101100111110",
        "010100010010010110010001100011110011110000011000011110010100000000010001001110101111101011011001110111111111000011010010111011001000110010010100101010111011011001111011010010100",
        "001110110100000000101111011000001011011000011110111110001000001011011001010000101110001010100110101101011000010011101101001011110100001011101100010100011010000011001111010010001",
        "111011000101011010000010101001100010101100101110110101010001101000010110001001100101000001011111011011110110011001010101101010000101111010010011100101111111111000001011101011111",
        "001100100010101110011001001001011100001101010010110100110010111101010001100100100010111101100101011101001011000110011110111001110110011110111111111111111011010111011010111111001",
        "001111010010010101000111100000010111011010001000101100010000000011000110000101001101000111100100111010110010011110100011101111100110111000100110111000111011001111110001100000100",
        "000110111010111100101011001100110111000010111111111000010010001000011101001001110110110100101011001010001101001001010110010100111110010000111111001111010101111010000001010001001",
        "011000000101001000000000001111101101001111000010100011010100001101010000100100000000110010100100000100011010101011100100100111001100110011001111101101110101010011110010001011110",
        "111001110111111000101110101001111110010111100011001111000111001011100101010010011101111000101010100011010110010111110101001101011101001011000100100100101011110110111101001111111",
        "000100000111001111111000001001111101011010100110111100011011111011000010110111110101110111101010111000000011001011001011010101101011100011111100100011000111010001110010111100010",
        "010101111100000111110110110011111001100001000110011011101111111010110100110011101100111110000000011111001101001011111111111000110110011001011111100111011000000100010001111110010",
        "000000001100000111000100001110001110100100010110011001001000110010010000011010000011100010101010011001000010001110001110000001101111100000011000101110000111000110110110100010110",
        "111111101011001010100000101110101111111100000110100101111010100100101010010000010011101010101010101011011101011110101111000001110110001100111010110110110100111100101101101010111",
        "100000100000101110001101011010001100111010100000100110111000100000001010011111110101100011011011100011110011101110001111010010001011111100111000100011110110101010110011100010000",
        "101110101010000011101011000011111010110111011100001011101111111000000011011111100011111111000110101111100001001011111010001111110100000110101111110100001110110000011010111110011",
        "101110101111100010001000101000001111101000101101101101011001001011011010001010101100101011011001000100110111010000110001111000010100110110001010011000111010000011111110000000100",
        "101110100111001010001000001000100111011110011110110001110001100100011101110101111111001110100001011100000000110111110001111111111110101010000110111010111011111010111111101110011",
        "100000100000010101011010011000111100010000011001000111011111000001111100111110101101101101011010110011101011011111100111101010111001011011111001101011101001111000111000011011111",
        "111111100000110111011101110100101011000011111100101100001111010101011010000111011001001110101100101111101011111110011111010000111001000001110001111011010100101011010000111010000",
    ]

    static let chineseAutomatic: [String] = [
        "1111111011110011101111111",
        "1000001000100011001000001",
        "1011101011010110101011101",
        "1011101000100001001011101",
        "1011101001100010101011101",
        "1000001011110111101000001",
        "1111111010101010101111111",
        "0000000001001100000000000",
        "1010001100111100100100101",
        "1100100010111001101111011",
        "1000001110101110101010110",
        "0110100100110010011001100",
        "1001011111000110010111001",
        "0101010101100111000011010",
        "1101111011010000101000110",
        "0011100010100100010110111",
        "1110011100011101111111001",
        "0000000010001000100011101",
        "1111111010001110101010100",
        "1000001000111010100010101",
        "1011101001000110111110111",
        "1011101000000110101010010",
        "1011101010110000110101111",
        "1000001000000100110001100",
        "1111111011111100000101001",
    ]

    static let selectionCases: [SelectionCase] = [
        SelectionCase(text: "", correction: .medium, version: 1, mask: 6),
        SelectionCase(text: "A", correction: .low, version: 1, mask: 0),
        SelectionCase(text: "电子证照核验", correction: .medium, version: 2, mask: 1),
        SelectionCase(text: "电子证照核验", correction: .high, version: 3, mask: 4),
        SelectionCase(text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", correction: .low, version: 6, mask: 3),
        SelectionCase(text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", correction: .medium, version: 7, mask: 2),
        SelectionCase(text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", correction: .quartile, version: 9, mask: 3),
        SelectionCase(text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", correction: .high, version: 10, mask: 6),
        SelectionCase(text: "Hello, World!", correction: .quartile, version: 2, mask: 2),
        SelectionCase(text: "https://yiwang.example.gov.cn/", correction: .medium, version: 3, mask: 5),
        SelectionCase(text: "电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照", correction: .medium, version: 13, mask: 1),
        SelectionCase(text: "电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.1143000000", correction: .low, version: 9, mask: 2),
        SelectionCase(text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.Uhttps://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.Uhttps://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.Uhttps://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.Uhttps://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000", correction: .quartile, version: 21, mask: 6),
        SelectionCase(text: "电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证照核验电子证", correction: .high, version: 36, mask: 1),
        SelectionCase(text: "https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://yiwang.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U电子证照核验https://y", correction: .low, version: 40, mask: 2),
        SelectionCase(text: "统一社会信用代码 91350100M000100Y43", correction: .quartile, version: 4, mask: 1),
    ]

    static let fingerprintCases: [FingerprintCase] = [
        FingerprintCase(version: 1, correction: .low, capacity: 17, mask: 5, hash: 0x5862382D5DCB346D),
        FingerprintCase(version: 1, correction: .medium, capacity: 14, mask: 7, hash: 0xA1CA3EE60F3381B1),
        FingerprintCase(version: 1, correction: .quartile, capacity: 11, mask: 6, hash: 0x095E1AB9643AA8F7),
        FingerprintCase(version: 1, correction: .high, capacity: 7, mask: 4, hash: 0xE85E11498FFF19A7),
        FingerprintCase(version: 2, correction: .low, capacity: 32, mask: 4, hash: 0x78AE45A1C0F90BA3),
        FingerprintCase(version: 2, correction: .medium, capacity: 26, mask: 0, hash: 0x0745429B488F7017),
        FingerprintCase(version: 2, correction: .quartile, capacity: 20, mask: 7, hash: 0x20EE32A5335E8265),
        FingerprintCase(version: 2, correction: .high, capacity: 14, mask: 3, hash: 0x781EF21AAD4CA3DF),
        FingerprintCase(version: 3, correction: .low, capacity: 53, mask: 7, hash: 0xE2241E4B27218B7D),
        FingerprintCase(version: 3, correction: .medium, capacity: 42, mask: 3, hash: 0xB97C296801DD3C1D),
        FingerprintCase(version: 3, correction: .quartile, capacity: 32, mask: 0, hash: 0x04A64DF3BA3EA5C3),
        FingerprintCase(version: 3, correction: .high, capacity: 24, mask: 7, hash: 0x7152718A9BB36265),
        FingerprintCase(version: 4, correction: .low, capacity: 78, mask: 6, hash: 0xC991B2334E65504A),
        FingerprintCase(version: 4, correction: .medium, capacity: 62, mask: 6, hash: 0x5A544E93E7399578),
        FingerprintCase(version: 4, correction: .quartile, capacity: 46, mask: 7, hash: 0xB20416D37457D4EE),
        FingerprintCase(version: 4, correction: .high, capacity: 34, mask: 2, hash: 0x4C63C0A86A0FB530),
        FingerprintCase(version: 5, correction: .low, capacity: 106, mask: 6, hash: 0x634A3CE3BB8C6E0B),
        FingerprintCase(version: 5, correction: .medium, capacity: 84, mask: 6, hash: 0x56EBD52949635263),
        FingerprintCase(version: 5, correction: .quartile, capacity: 60, mask: 4, hash: 0xD41F11DDBF0670F5),
        FingerprintCase(version: 5, correction: .high, capacity: 44, mask: 3, hash: 0x48EF930D23880CBD),
        FingerprintCase(version: 6, correction: .low, capacity: 134, mask: 2, hash: 0x9FB38EA595608B2C),
        FingerprintCase(version: 6, correction: .medium, capacity: 106, mask: 2, hash: 0xABB33B36A8C94B4C),
        FingerprintCase(version: 6, correction: .quartile, capacity: 74, mask: 5, hash: 0x318C82E7677BAE98),
        FingerprintCase(version: 6, correction: .high, capacity: 58, mask: 4, hash: 0x149DF946242F2456),
        FingerprintCase(version: 7, correction: .low, capacity: 154, mask: 2, hash: 0xFD9A8E377C0C5EDB),
        FingerprintCase(version: 7, correction: .medium, capacity: 122, mask: 6, hash: 0xFDFA4D4E9057B24B),
        FingerprintCase(version: 7, correction: .quartile, capacity: 86, mask: 2, hash: 0x9B96545BA08E781B),
        FingerprintCase(version: 7, correction: .high, capacity: 64, mask: 3, hash: 0x1ED037DAB703A097),
        FingerprintCase(version: 8, correction: .low, capacity: 192, mask: 4, hash: 0x38FE63E189E0E3A3),
        FingerprintCase(version: 8, correction: .medium, capacity: 152, mask: 2, hash: 0x01F4342C88D7F36F),
        FingerprintCase(version: 8, correction: .quartile, capacity: 108, mask: 6, hash: 0x2B44D44CBE09AA99),
        FingerprintCase(version: 8, correction: .high, capacity: 84, mask: 7, hash: 0x6A45AE0E38685DA1),
        FingerprintCase(version: 9, correction: .low, capacity: 230, mask: 5, hash: 0x0602A7EA9F95F0D8),
        FingerprintCase(version: 9, correction: .medium, capacity: 180, mask: 6, hash: 0x0173BDA0E4B59EA4),
        FingerprintCase(version: 9, correction: .quartile, capacity: 130, mask: 2, hash: 0x3DBE763E602A7AA5),
        FingerprintCase(version: 9, correction: .high, capacity: 98, mask: 7, hash: 0x404D0FC7B657434A),
        FingerprintCase(version: 10, correction: .low, capacity: 271, mask: 3, hash: 0x1BF517938ACE83AB),
        FingerprintCase(version: 10, correction: .medium, capacity: 213, mask: 5, hash: 0xB47229D8E951F563),
        FingerprintCase(version: 10, correction: .quartile, capacity: 151, mask: 7, hash: 0xA89A871932F7AC47),
        FingerprintCase(version: 10, correction: .high, capacity: 119, mask: 7, hash: 0x47125604217EE16B),
        FingerprintCase(version: 11, correction: .low, capacity: 321, mask: 2, hash: 0xADA0DC19E0DD6EDD),
        FingerprintCase(version: 11, correction: .medium, capacity: 251, mask: 1, hash: 0xE00D46AD86BD7232),
        FingerprintCase(version: 11, correction: .quartile, capacity: 177, mask: 5, hash: 0xABBF38ED2A380E9A),
        FingerprintCase(version: 11, correction: .high, capacity: 137, mask: 3, hash: 0x3F9D7A9DDC5A6CD5),
        FingerprintCase(version: 12, correction: .low, capacity: 367, mask: 5, hash: 0xB6E630B61B37AACA),
        FingerprintCase(version: 12, correction: .medium, capacity: 287, mask: 1, hash: 0x517BF4FFB2BF9F1C),
        FingerprintCase(version: 12, correction: .quartile, capacity: 203, mask: 7, hash: 0x6360F839BD0A4ADA),
        FingerprintCase(version: 12, correction: .high, capacity: 155, mask: 2, hash: 0xA24D66278FB08D39),
        FingerprintCase(version: 13, correction: .low, capacity: 425, mask: 2, hash: 0xA56D2C90AE98E743),
        FingerprintCase(version: 13, correction: .medium, capacity: 331, mask: 2, hash: 0x7D181EBB48E23B8D),
        FingerprintCase(version: 13, correction: .quartile, capacity: 241, mask: 2, hash: 0x24F23378E8E20BDD),
        FingerprintCase(version: 13, correction: .high, capacity: 177, mask: 2, hash: 0xD9D534C054CB52FF),
        FingerprintCase(version: 14, correction: .low, capacity: 458, mask: 5, hash: 0x3AD27A4D42AAC1EA),
        FingerprintCase(version: 14, correction: .medium, capacity: 362, mask: 3, hash: 0x6DB5A6235914A9EF),
        FingerprintCase(version: 14, correction: .quartile, capacity: 258, mask: 1, hash: 0x1FA439386AD89E5A),
        FingerprintCase(version: 14, correction: .high, capacity: 194, mask: 3, hash: 0x79D964CB61DA2891),
        FingerprintCase(version: 15, correction: .low, capacity: 520, mask: 2, hash: 0x3CC06FD9D8A64FD7),
        FingerprintCase(version: 15, correction: .medium, capacity: 412, mask: 4, hash: 0x2471E6E3CA526254),
        FingerprintCase(version: 15, correction: .quartile, capacity: 292, mask: 2, hash: 0xD7FA5CDECEBC8F47),
        FingerprintCase(version: 15, correction: .high, capacity: 220, mask: 4, hash: 0x3F4516659E0F507C),
        FingerprintCase(version: 16, correction: .low, capacity: 586, mask: 3, hash: 0x7D980E1DE7CBF1E0),
        FingerprintCase(version: 16, correction: .medium, capacity: 450, mask: 2, hash: 0x5FE46D574AEDE808),
        FingerprintCase(version: 16, correction: .quartile, capacity: 322, mask: 3, hash: 0xC24F57368AAEB54C),
        FingerprintCase(version: 16, correction: .high, capacity: 250, mask: 5, hash: 0x3D2EC5544B9CD4F5),
        FingerprintCase(version: 17, correction: .low, capacity: 644, mask: 4, hash: 0x60CA6F55E0ACCB3E),
        FingerprintCase(version: 17, correction: .medium, capacity: 504, mask: 6, hash: 0xBCE77E15C52E8A77),
        FingerprintCase(version: 17, correction: .quartile, capacity: 364, mask: 4, hash: 0x40BDA32C39A05C20),
        FingerprintCase(version: 17, correction: .high, capacity: 280, mask: 4, hash: 0x64AA4498E1374E44),
        FingerprintCase(version: 18, correction: .low, capacity: 718, mask: 2, hash: 0xACECCDD1E2B8F5ED),
        FingerprintCase(version: 18, correction: .medium, capacity: 560, mask: 2, hash: 0x8520A27C1061D40B),
        FingerprintCase(version: 18, correction: .quartile, capacity: 394, mask: 7, hash: 0x17EB69902406E458),
        FingerprintCase(version: 18, correction: .high, capacity: 310, mask: 7, hash: 0xB1EE571CF1CF3062),
        FingerprintCase(version: 19, correction: .low, capacity: 792, mask: 3, hash: 0xA96DBB1678F7B1C7),
        FingerprintCase(version: 19, correction: .medium, capacity: 624, mask: 2, hash: 0xE1C34F66BD3BF17B),
        FingerprintCase(version: 19, correction: .quartile, capacity: 442, mask: 4, hash: 0xC827D80E79752DEF),
        FingerprintCase(version: 19, correction: .high, capacity: 338, mask: 2, hash: 0x45AE9AD4A6C6DAA1),
        FingerprintCase(version: 20, correction: .low, capacity: 858, mask: 2, hash: 0x10C7443FE1EA5D8F),
        FingerprintCase(version: 20, correction: .medium, capacity: 666, mask: 1, hash: 0x29D28CD69ABBBB52),
        FingerprintCase(version: 20, correction: .quartile, capacity: 482, mask: 2, hash: 0xB499B9AF73D1F02D),
        FingerprintCase(version: 20, correction: .high, capacity: 382, mask: 6, hash: 0x91EF4F5B9033A6B3),
        FingerprintCase(version: 21, correction: .low, capacity: 929, mask: 4, hash: 0xF8FD007CA50C22DB),
        FingerprintCase(version: 21, correction: .medium, capacity: 711, mask: 4, hash: 0x8F58039A0CD30CB7),
        FingerprintCase(version: 21, correction: .quartile, capacity: 509, mask: 3, hash: 0x65299F03C39380A5),
        FingerprintCase(version: 21, correction: .high, capacity: 403, mask: 6, hash: 0xC597DD82D9CE6303),
        FingerprintCase(version: 22, correction: .low, capacity: 1003, mask: 4, hash: 0x5D51147DC61A9511),
        FingerprintCase(version: 22, correction: .medium, capacity: 779, mask: 3, hash: 0x89E45C38148A5149),
        FingerprintCase(version: 22, correction: .quartile, capacity: 565, mask: 2, hash: 0xE0564DB2A97DBF53),
        FingerprintCase(version: 22, correction: .high, capacity: 439, mask: 7, hash: 0x20F228202E3E83C3),
        FingerprintCase(version: 23, correction: .low, capacity: 1091, mask: 4, hash: 0x9BD9E520E4F9F61D),
        FingerprintCase(version: 23, correction: .medium, capacity: 857, mask: 3, hash: 0x821ED3BAACB3B421),
        FingerprintCase(version: 23, correction: .quartile, capacity: 611, mask: 4, hash: 0xE1228D31C00BEFE3),
        FingerprintCase(version: 23, correction: .high, capacity: 461, mask: 4, hash: 0xE97E242554579887),
        FingerprintCase(version: 24, correction: .low, capacity: 1171, mask: 4, hash: 0xAFDE8D5A35026959),
        FingerprintCase(version: 24, correction: .medium, capacity: 911, mask: 4, hash: 0x592BE067AC94A7FB),
        FingerprintCase(version: 24, correction: .quartile, capacity: 661, mask: 4, hash: 0x6E216CACD844EB59),
        FingerprintCase(version: 24, correction: .high, capacity: 511, mask: 5, hash: 0x57A0917E613CE88E),
        FingerprintCase(version: 25, correction: .low, capacity: 1273, mask: 4, hash: 0x07E5DDAF23A930FD),
        FingerprintCase(version: 25, correction: .medium, capacity: 997, mask: 7, hash: 0x4B5597B05458C95A),
        FingerprintCase(version: 25, correction: .quartile, capacity: 715, mask: 4, hash: 0xB73782EFDA99B5BD),
        FingerprintCase(version: 25, correction: .high, capacity: 535, mask: 4, hash: 0x46D91BDDAFA62391),
        FingerprintCase(version: 26, correction: .low, capacity: 1367, mask: 4, hash: 0xE3680278E1714C1D),
        FingerprintCase(version: 26, correction: .medium, capacity: 1059, mask: 4, hash: 0xFB8D711D089C88DD),
        FingerprintCase(version: 26, correction: .quartile, capacity: 751, mask: 4, hash: 0xCAA1EFC4102D6F8F),
        FingerprintCase(version: 26, correction: .high, capacity: 593, mask: 4, hash: 0x309180C021B9402D),
        FingerprintCase(version: 27, correction: .low, capacity: 1465, mask: 4, hash: 0xAD29E6C4D3FD587D),
        FingerprintCase(version: 27, correction: .medium, capacity: 1125, mask: 4, hash: 0xC4FC6D3412C3E053),
        FingerprintCase(version: 27, correction: .quartile, capacity: 805, mask: 4, hash: 0xEB20D5F4A3C2D479),
        FingerprintCase(version: 27, correction: .high, capacity: 625, mask: 6, hash: 0x9B941842B63B193B),
        FingerprintCase(version: 28, correction: .low, capacity: 1528, mask: 6, hash: 0x1B3BDC84A2D78AEC),
        FingerprintCase(version: 28, correction: .medium, capacity: 1190, mask: 6, hash: 0x504DE09A20D03446),
        FingerprintCase(version: 28, correction: .quartile, capacity: 868, mask: 6, hash: 0xAB108B2183F7F80E),
        FingerprintCase(version: 28, correction: .high, capacity: 658, mask: 3, hash: 0x8BFB3E7D535FA062),
        FingerprintCase(version: 29, correction: .low, capacity: 1628, mask: 2, hash: 0x34C89D9BFEBC8299),
        FingerprintCase(version: 29, correction: .medium, capacity: 1264, mask: 4, hash: 0x217AD89D43E53898),
        FingerprintCase(version: 29, correction: .quartile, capacity: 908, mask: 3, hash: 0x2DB1C67562D7E867),
        FingerprintCase(version: 29, correction: .high, capacity: 698, mask: 4, hash: 0xCEEFE86FC7890B04),
        FingerprintCase(version: 30, correction: .low, capacity: 1732, mask: 2, hash: 0xB4E5E57818E0B8C5),
        FingerprintCase(version: 30, correction: .medium, capacity: 1370, mask: 2, hash: 0x5AF9CB5BF0D7D601),
        FingerprintCase(version: 30, correction: .quartile, capacity: 982, mask: 2, hash: 0x7E0F970E7D0D9247),
        FingerprintCase(version: 30, correction: .high, capacity: 742, mask: 1, hash: 0x4DBBA3E30DBA095C),
        FingerprintCase(version: 31, correction: .low, capacity: 1840, mask: 2, hash: 0x5F572457FB311748),
        FingerprintCase(version: 31, correction: .medium, capacity: 1452, mask: 2, hash: 0x120ADED392453C48),
        FingerprintCase(version: 31, correction: .quartile, capacity: 1030, mask: 5, hash: 0xD516E1EE5A451A91),
        FingerprintCase(version: 31, correction: .high, capacity: 790, mask: 6, hash: 0x271A46091C0BBF30),
        FingerprintCase(version: 32, correction: .low, capacity: 1952, mask: 2, hash: 0x3502419B7E691C8E),
        FingerprintCase(version: 32, correction: .medium, capacity: 1538, mask: 2, hash: 0x40C5887806B28500),
        FingerprintCase(version: 32, correction: .quartile, capacity: 1112, mask: 7, hash: 0x7B2196728CBC6836),
        FingerprintCase(version: 32, correction: .high, capacity: 842, mask: 3, hash: 0x774194268A5FB31A),
        FingerprintCase(version: 33, correction: .low, capacity: 2068, mask: 2, hash: 0xF62BCF1D7D8899B6),
        FingerprintCase(version: 33, correction: .medium, capacity: 1628, mask: 2, hash: 0xEA1E0D9464DC47D8),
        FingerprintCase(version: 33, correction: .quartile, capacity: 1168, mask: 4, hash: 0xECBBEA16E10F5188),
        FingerprintCase(version: 33, correction: .high, capacity: 898, mask: 6, hash: 0x93489A10BDC089E5),
        FingerprintCase(version: 34, correction: .low, capacity: 2188, mask: 2, hash: 0xCE9B38559871A48D),
        FingerprintCase(version: 34, correction: .medium, capacity: 1722, mask: 2, hash: 0xAD6F3FCD00E147D9),
        FingerprintCase(version: 34, correction: .quartile, capacity: 1228, mask: 5, hash: 0xAC2B13CEE0D7FEBF),
        FingerprintCase(version: 34, correction: .high, capacity: 958, mask: 3, hash: 0x00A39951754ABB0D),
        FingerprintCase(version: 35, correction: .low, capacity: 2303, mask: 2, hash: 0x9BE1FBB1B3D069DD),
        FingerprintCase(version: 35, correction: .medium, capacity: 1809, mask: 4, hash: 0x067E43DFE0961389),
        FingerprintCase(version: 35, correction: .quartile, capacity: 1283, mask: 5, hash: 0x545C5EECB0D32640),
        FingerprintCase(version: 35, correction: .high, capacity: 983, mask: 7, hash: 0x9342A598059DB3AF),
        FingerprintCase(version: 36, correction: .low, capacity: 2431, mask: 1, hash: 0xF278556EB1C2BB38),
        FingerprintCase(version: 36, correction: .medium, capacity: 1911, mask: 6, hash: 0xA506626E2265AB1A),
        FingerprintCase(version: 36, correction: .quartile, capacity: 1351, mask: 4, hash: 0x4F42AB921E4DAC8B),
        FingerprintCase(version: 36, correction: .high, capacity: 1051, mask: 6, hash: 0x1D4F92649852D200),
        FingerprintCase(version: 37, correction: .low, capacity: 2563, mask: 4, hash: 0x155DFD9A3E0A814B),
        FingerprintCase(version: 37, correction: .medium, capacity: 1989, mask: 2, hash: 0x9F27B03107CFF2A1),
        FingerprintCase(version: 37, correction: .quartile, capacity: 1423, mask: 7, hash: 0xEDEC41A3828514F9),
        FingerprintCase(version: 37, correction: .high, capacity: 1093, mask: 3, hash: 0x030AC8A5F5AF6F93),
        FingerprintCase(version: 38, correction: .low, capacity: 2699, mask: 5, hash: 0x55571A3C6CD3D112),
        FingerprintCase(version: 38, correction: .medium, capacity: 2099, mask: 2, hash: 0x3535C55D54AB5021),
        FingerprintCase(version: 38, correction: .quartile, capacity: 1499, mask: 2, hash: 0x3B02EF243B83B2DF),
        FingerprintCase(version: 38, correction: .high, capacity: 1139, mask: 1, hash: 0xAA8C2E2D7645356C),
        FingerprintCase(version: 39, correction: .low, capacity: 2809, mask: 2, hash: 0x19EA88B561072991),
        FingerprintCase(version: 39, correction: .medium, capacity: 2213, mask: 2, hash: 0xCA1259C448C6A8AB),
        FingerprintCase(version: 39, correction: .quartile, capacity: 1579, mask: 7, hash: 0x623615EE3B5944F8),
        FingerprintCase(version: 39, correction: .high, capacity: 1219, mask: 3, hash: 0x32CD92D585C25272),
        FingerprintCase(version: 40, correction: .low, capacity: 2953, mask: 5, hash: 0x2A07433D58A3249D),
        FingerprintCase(version: 40, correction: .medium, capacity: 2331, mask: 3, hash: 0x2B3B955CAC51D759),
        FingerprintCase(version: 40, correction: .quartile, capacity: 1663, mask: 3, hash: 0x4C22AA843FF18C6B),
        FingerprintCase(version: 40, correction: .high, capacity: 1273, mask: 1, hash: 0x5DF565BFC4476966),
    ]
    // swiftlint:enable all
    // END GENERATED
}
