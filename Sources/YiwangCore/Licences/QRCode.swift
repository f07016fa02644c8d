import Foundation

/// A QR Code symbol (ISO/IEC 18004, Model 2) carrying text in byte mode.
///
/// Licences and certificates print one so that a phone can open their verification page. The
/// text is stored as its UTF-8 bytes with no ECI header: phones and zbar read such bytes as UTF-8,
/// and leaving the header out keeps the symbol as small as possible.
///
/// The encoder is deliberately self-contained (no I/O, no third-party code) and is checked
/// module-for-module against the reference vectors that `scripts/qr_vectors.py` makes with segno.
public struct QRCode: Sendable, Equatable {
    /// How much of a symbol may be lost and still read: roughly 7 %, 15 %, 25 % and 30 %.
    public enum ErrorCorrection: Sendable, Hashable, CaseIterable {
        case low, medium, quartile, high
    }

    /// Modules along one side: 17 + 4 × version (quiet zone not included).
    public let size: Int
    /// Symbol version, 1–40.
    public let version: Int
    /// Data mask pattern, 0–7.
    public let mask: Int
    /// The error-correction level the symbol was made with.
    public let correction: ErrorCorrection
    /// Row-major, `size × size` entries; `true` is a dark module.
    private let modules: [Bool]

    /// Whether the module in column `x`, row `y` (origin top left) is dark; false outside the symbol.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        let index = y * size + x
        return modules.indices.contains(index) ? modules[index] : false
    }

    // MARK: - Encoding

    static let smallestVersion = 1
    static let largestVersion = 40

    /// Encodes `text` as UTF-8 bytes in byte mode.
    ///
    /// - Parameters:
    ///   - version: a fixed version, or nil for the smallest that holds the text.
    ///   - mask: a fixed mask pattern, or nil to pick the one with the lowest penalty score.
    /// - Throws: `qr.too_long` when the text does not fit (in the given version, or in version 40);
    ///   `qr.version` or `qr.mask` when those are out of range.
    public static func encode(
        _ text: String,
        correction: ErrorCorrection = .medium,
        version: Int? = nil,
        mask: Int? = nil
    ) throws(DomainError) -> QRCode {
        if let version, !(smallestVersion...largestVersion).contains(version) {
            throw .invalid("qr.version", "二维码版本应在1至40之间。")
        }
        if let mask, !(0...7).contains(mask) {
            throw .invalid("qr.mask", "二维码掩模编号应在0至7之间。")
        }
        // Counting first means an enormous text is refused before any copy is made.
        let byteCount = text.utf8.count
        let candidates = version.map { [$0] } ?? Array(smallestVersion...largestVersion)
        guard
            let chosenVersion = candidates.first(where: {
                fits(byteCount: byteCount, version: $0, correction: correction)
            }),
            let layout = BlockLayout(version: chosenVersion, correction: correction)
        else {
            throw .invalid("qr.too_long", "二维码内容过长。")
        }

        let data = dataCodewords(
            bytes: Array(text.utf8), version: chosenVersion, capacity: layout.dataCodewordCount)
        let message = layout.finalMessage(data: data)

        var grid = ModuleGrid(version: chosenVersion)
        grid.placeMessage(message)

        let chosenMask: Int
        var masked: ModuleGrid
        if let mask {
            chosenMask = mask
            masked = grid.applyingMask(mask)
        } else {
            // Every candidate is scored before format and version information are drawn (those
            // areas are still light), as segno does; on a tie the lower pattern number wins.
            var best = (mask: 0, grid: grid.applyingMask(0))
            var bestScore = best.grid.penaltyScore()
            for candidate in 1...7 {
                let candidateGrid = grid.applyingMask(candidate)
                let score = candidateGrid.penaltyScore()
                if score < bestScore {
                    best = (candidate, candidateGrid)
                    bestScore = score
                }
            }
            chosenMask = best.mask
            masked = best.grid
        }
        masked.drawFormatInformation(correction: correction, mask: chosenMask)
        masked.drawVersionInformation(version: chosenVersion)

        return QRCode(
            size: masked.size, version: chosenVersion, mask: chosenMask, correction: correction,
            modules: masked.dark)
    }

    /// Whether `byteCount` bytes fit: mode indicator (4 bits), character count, 8 bits a byte.
    /// Compared as a byte count so that no argument can overflow.
    static func fits(byteCount: Int, version: Int, correction: ErrorCorrection) -> Bool {
        guard let layout = BlockLayout(version: version, correction: correction) else { return false }
        let bitsForBytes = layout.dataCodewordCount * 8 - 4 - characterCountBits(version: version)
        return byteCount >= 0 && byteCount <= bitsForBytes / 8
    }

    /// Byte mode counts characters in 8 bits up to version 9 and in 16 bits from version 10.
    static func characterCountBits(version: Int) -> Int { version < 10 ? 8 : 16 }

    /// The data codewords: mode, count, bytes, terminator, bit padding, then pad codewords.
    static func dataCodewords(bytes: [UInt8], version: Int, capacity: Int) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)  // byte mode
        bits.append(bytes.count, count: characterCountBits(version: version))
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacityBits = capacity * 8
        // Terminator: up to four zero bits, fewer when the symbol is already (nearly) full.
        bits.append(0, count: max(0, min(4, capacityBits - bits.count)))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes()
        // The standard's alternating pad codewords 11101100 and 00010001 fill what is left,
        // straight after the last data bit's codeword. (segno 1.6.6 puts an extra 0x00 codeword
        // first when the bits already end on a codeword boundary, which byte mode always does;
        // scripts/qr_vectors.py corrects that before making the reference vectors.)
        var padIndex = 0
        while codewords.count < capacity {
            codewords.append(padIndex % 2 == 0 ? 0xEC : 0x11)
            padIndex += 1
        }
        return codewords
    }

    // MARK: - Output

    /// A compact SVG: a white background and one path whose sub-paths are the horizontal runs of
    /// dark modules, so it stays small enough to inline in HTML. `moduleSize` is clamped to 1–64
    /// and `quietZone` to 0–64 so that no argument can overflow the dimensions.
    public func svg(moduleSize: Int = 4, quietZone: Int = 4, title: String) -> String {
        let scale = min(max(moduleSize, 1), 64)
        let border = min(max(quietZone, 0), 64)
        let side = size + 2 * border
        let pixels = side * scale
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else {
                    x += 1
                    continue
                }
                let start = x
                while x < size && isDark(x: x, y: y) { x += 1 }
                let length = x - start
                path += "M\(start + border) \(y + border)h\(length)v1h-\(length)z"
            }
        }
        // The viewBox is in modules, so each module is exactly one user unit and crispEdges keeps
        // neighbouring runs from showing hairline seams when scaled.
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(pixels)\" height=\"\(pixels)\" "
            + "viewBox=\"0 0 \(side) \(side)\" role=\"img\" shape-rendering=\"crispEdges\">"
            + "<title>\(Self.escapeXML(title))</title>"
            + "<rect width=\"\(side)\" height=\"\(side)\" fill=\"#fff\"/>"
            + "<path fill=\"#000\" d=\"\(path)\"/></svg>"
    }

    /// Plain netpbm bitmap (P1, 1 = black) with lines of at most 70 characters, as the format
    /// asks. `scale` is clamped to 1–32 and `quietZone` to 0–64.
    public func pbm(scale: Int = 4, quietZone: Int = 4) -> String {
        let pixelsPerModule = min(max(scale, 1), 32)
        let border = min(max(quietZone, 0), 64)
        let side = (size + 2 * border) * pixelsPerModule
        var output = Array("P1\n\(side) \(side)\n".utf8)
        output.reserveCapacity(output.count + side * (side + side / 70 + 1))
        let one = UInt8(ascii: "1")
        let zero = UInt8(ascii: "0")
        let newline = UInt8(ascii: "\n")
        for pixelY in 0..<side {
            let moduleY = pixelY / pixelsPerModule - border
            var onLine = 0
            for pixelX in 0..<side {
                if onLine == 70 {
                    output.append(newline)
                    onLine = 0
                }
                let moduleX = pixelX / pixelsPerModule - border
                output.append(isDark(x: moduleX, y: moduleY) ? one : zero)
                onLine += 1
            }
            output.append(newline)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Escapes text for an XML element or attribute, dropping characters XML 1.0 cannot hold.
    static func escapeXML(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value < 0x20 || value == 0xFFFE || value == 0xFFFF { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

// MARK: - Error-correction block structure

extension QRCode.ErrorCorrection {
    /// Row in the block tables below.
    fileprivate var tableRow: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .quartile: 2
        case .high: 3
        }
    }

    /// The two bits the format information uses (not in table order: L=01, M=00, Q=11, H=10).
    fileprivate var formatBits: Int {
        switch self {
        case .low: 0b01
        case .medium: 0b00
        case .quartile: 0b11
        case .high: 0b10
        }
    }
}

/// How a version and level split their codewords into Reed–Solomon blocks (ISO/IEC 18004 Table 9).
///
/// Only two numbers per version and level need tabulating: the error-correction codewords per
/// block and the number of blocks. Everything else follows from the codeword count of the
/// version: blocks are as equal as possible, the longer ones (one more data codeword) last.
private struct BlockLayout {
    let totalCodewordCount: Int
    let blockCount: Int
    let errorCorrectionPerBlock: Int

    var dataCodewordCount: Int { totalCodewordCount - blockCount * errorCorrectionPerBlock }

    init?(version: Int, correction: QRCode.ErrorCorrection) {
        guard
            let perBlock = Self.lookUp(Self.errorCorrectionCodewordsPerBlock, correction, version),
            let blocks = Self.lookUp(Self.blockCounts, correction, version),
            blocks > 0
        else { return nil }
        totalCodewordCount = ModuleGrid.dataModuleCount(version: version) / 8
        blockCount = blocks
        errorCorrectionPerBlock = perBlock
    }

    /// Splits the data into blocks, adds each block's error correction and interleaves them:
    /// the first codeword of every block, then the second, and so on; then the same for the
    /// error-correction codewords.
    func finalMessage(data: [UInt8]) -> [UInt8] {
        let shortBlockCount = blockCount - totalCodewordCount % blockCount
        let shortBlockDataLength = totalCodewordCount / blockCount - errorCorrectionPerBlock
        let generator = ReedSolomon.generator(degree: errorCorrectionPerBlock)

        var dataBlocks: [[UInt8]] = []
        var errorBlocks: [[UInt8]] = []
        var rest = data[...]
        for blockIndex in 0..<blockCount {
            let length = shortBlockDataLength + (blockIndex < shortBlockCount ? 0 : 1)
            let block = Array(rest.prefix(length))
            rest = rest.dropFirst(length)
            dataBlocks.append(block)
            errorBlocks.append(ReedSolomon.remainder(of: block, generator: generator))
        }

        var message: [UInt8] = []
        message.reserveCapacity(totalCodewordCount)
        message += Self.interleave(dataBlocks)
        message += Self.interleave(errorBlocks)
        return message
    }

    private static func interleave(_ blocks: [[UInt8]]) -> [UInt8] {
        var result: [UInt8] = []
        let longest = blocks.map(\.count).max() ?? 0
        for position in 0..<longest {
            for block in blocks where position < block.count {
                result.append(block[position])
            }
        }
        return result
    }

    private static func lookUp(_ table: [[Int]], _ correction: QRCode.ErrorCorrection, _ version: Int) -> Int? {
        let row = correction.tableRow
        let column = version - 1
        guard table.indices.contains(row), table[row].indices.contains(column) else { return nil }
        return table[row][column]
    }

    // Rows: L, M, Q, H. Columns: versions 1 to 40.
    private static let errorCorrectionCodewordsPerBlock: [[Int]] = [
        [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
         28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
         26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
         28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
         30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    private static let blockCounts: [[Int]] = [
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
         8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
         17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
         23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
         25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]
}

// MARK: - Reed–Solomon over GF(256)

/// Error correction codewords: the remainder of the data polynomial (times x^degree) divided by
/// the generator (x − α⁰)(x − α¹)…(x − α^(degree−1)), in GF(256) with the field polynomial
/// x⁸ + x⁴ + x³ + x² + 1 (0x11D) that QR Codes use.
private enum ReedSolomon {
    /// Powers of α (α = x = 2): `powers[i]` is α^i for i in 0..<255; the last entry repeats α⁰.
    /// Built by repeated multiplication by x, reducing by the field polynomial when x⁸ appears.
    private static let powers: [UInt8] = {
        var table: [UInt8] = []
        var value: UInt8 = 1
        for _ in 0..<256 {
            table.append(value)
            let overflows = value & 0x80 != 0
            value <<= 1
            if overflows { value ^= 0x1D }
        }
        return table
    }()

    /// Discrete logarithms: `logarithms[powers[i]] == i`; entry 0 is unused (0 has none).
    private static let logarithms: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for (exponent, value) in powers.prefix(255).enumerated() { table[Int(value)] = exponent }
        return table
    }()

    /// Product in GF(256) as α^(log a + log b). Both tables have 256 entries, so any UInt8
    /// and any sum of two logarithms reduced mod 255 is a valid index.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        guard a != 0, b != 0 else { return 0 }
        return powers[(logarithms[Int(a)] + logarithms[Int(b)]) % 255]
    }

    /// The generator's coefficients after the leading 1, highest power first.
    static func generator(degree: Int) -> [UInt8] {
        var coefficients: [UInt8] = [1]  // highest power first, leading 1 included
        var root: UInt8 = 1  // α^i, starting at α⁰
        for _ in 0..<max(degree, 0) {
            // Multiply by (x + root): shift up one power, then add root × the old polynomial.
            var next = coefficients + [0]
            for (power, coefficient) in coefficients.enumerated() {
                next[power + 1] ^= multiply(coefficient, root)
            }
            coefficients = next
            root = multiply(root, 2)
        }
        return Array(coefficients.dropFirst())
    }

    /// Polynomial long division, done as the shift register the standard describes.
    static func remainder(of data: [UInt8], generator: [UInt8]) -> [UInt8] {
        var register = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ (register.first ?? 0)
            if !register.isEmpty {
                register.removeFirst()
                register.append(0)
            }
            for position in 0..<min(generator.count, register.count) {
                register[position] ^= multiply(generator[position], factor)
            }
        }
        return register
    }
}

// MARK: - Bits

/// Bits appended most significant first and read back as bytes.
private struct BitBuffer {
    private(set) var bits: [Bool] = []

    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        guard count > 0 else { return }
        for shift in stride(from: count - 1, through: 0, by: -1) {
            bits.append((value >> shift) & 1 == 1)
        }
    }

    /// Whole bytes; a trailing partial byte is padded with zero bits.
    func bytes() -> [UInt8] {
        var result: [UInt8] = []
        var current: UInt8 = 0
        var filled = 0
        for bit in bits {
            current = current << 1 | (bit ? 1 : 0)
            filled += 1
            if filled == 8 {
                result.append(current)
                current = 0
                filled = 0
            }
        }
        if filled > 0 { result.append(current << (8 - filled)) }
        return result
    }
}

// MARK: - The module grid

/// The symbol while it is being built: module colours plus which modules are function patterns
/// (finder, separator, timing, alignment, format and version areas) that data and masks skip.
/// Access by coordinates goes through `index(_:_:)`, so coordinates outside the grid are ignored;
/// the loops over whole arrays stop at the arrays' own counts.
private struct ModuleGrid {
    let size: Int
    private(set) var dark: [Bool]
    private var reserved: [Bool]

    /// A grid with all function patterns drawn and the format and version areas reserved (and
    /// left light until a mask has been chosen).
    init(version: Int) {
        size = 17 + 4 * version
        dark = Array(repeating: false, count: size * size)
        reserved = Array(repeating: false, count: size * size)
        drawFunctionPatterns(version: version)
    }

    private func index(_ x: Int, _ y: Int) -> Int? {
        guard x >= 0, y >= 0, x < size, y < size else { return nil }
        let index = y * size + x
        return index < dark.count && index < reserved.count ? index : nil
    }

    func isReserved(_ x: Int, _ y: Int) -> Bool {
        guard let index = index(x, y) else { return false }
        return reserved[index]
    }

    private mutating func setFunction(_ x: Int, _ y: Int, dark isDark: Bool) {
        guard let index = index(x, y) else { return }
        dark[index] = isDark
        reserved[index] = true
    }

    private mutating func setData(_ x: Int, _ y: Int, dark isDark: Bool) {
        guard let index = index(x, y) else { return }
        dark[index] = isDark
    }

    // MARK: Function patterns

    /// Modules left for data and error correction in a version: the whole square less finders
    /// with separators (3 × 64), the two timing lines, alignment patterns (less the 5 modules
    /// each one on row or column 6 shares with a timing line), the format information with the
    /// dark module (31) and, from version 7, the version information (2 × 18).
    static func dataModuleCount(version: Int) -> Int {
        let size = 17 + 4 * version
        var count = size * size - 3 * 64 - 2 * (size - 16) - 31
        if version >= 2 {
            let perSide = alignmentPositions(version: version).count
            count -= 25 * (perSide * perSide - 3) - 2 * 5 * (perSide - 2)
        }
        if version >= 7 { count -= 36 }
        return count
    }

    /// Centre coordinates of alignment patterns along each axis: 6, then evenly spaced (an even
    /// step) back from size − 7. Version 32 is the one version whose step the rounding misses.
    static func alignmentPositions(version: Int) -> [Int] {
        guard version >= 2 else { return [] }
        let size = 17 + 4 * version
        let count = version / 7 + 2
        let span = size - 13
        let intervals = count * 2 - 2
        let step = version == 32 ? 26 : (span + intervals - 1) / intervals * 2
        var positions = [6]
        for index in stride(from: count - 2, through: 0, by: -1) {
            positions.append(size - 7 - index * step)
        }
        return positions
    }

    private mutating func drawFunctionPatterns(version: Int) {
        // Finder patterns with their light separators: concentric squares by distance from
        // the centre (0–1 dark, 2 light, 3 dark, 4 the separator).
        for (centreX, centreY) in [(3, 3), (size - 4, 3), (3, size - 4)] {
            for dy in -4...4 {
                for dx in -4...4 {
                    let distance = max(abs(dx), abs(dy))
                    setFunction(centreX + dx, centreY + dy, dark: distance != 2 && distance != 4)
                }
            }
        }
        // Timing patterns between the separators: alternating, dark on even coordinates.
        for position in 8..<max(8, size - 8) {
            setFunction(6, position, dark: position % 2 == 0)
            setFunction(position, 6, dark: position % 2 == 0)
        }
        // Alignment patterns at every pair of positions except the three finder corners.
        let positions = Self.alignmentPositions(version: version)
        let last = positions.count - 1
        for (row, centreY) in positions.enumerated() {
            for (column, centreX) in positions.enumerated() {
                let isCorner = (row == 0 && column == 0) || (row == 0 && column == last)
                    || (row == last && column == 0)
                if isCorner { continue }
                for dy in -2...2 {
                    for dx in -2...2 {
                        setFunction(centreX + dx, centreY + dy, dark: max(abs(dx), abs(dy)) != 1)
                    }
                }
            }
        }
        // Reserve (light for now) the format areas, the dark module and the version areas.
        for (first, second) in formatPositions() {
            setFunction(first.x, first.y, dark: false)
            setFunction(second.x, second.y, dark: false)
        }
        setFunction(8, size - 8, dark: false)
        if version >= 7 {
            for (first, second) in versionPositions() {
                setFunction(first.x, first.y, dark: false)
                setFunction(second.x, second.y, dark: false)
            }
        }
    }

    /// Where each format bit goes, least significant first: one copy around the top-left finder,
    /// the other split between the top-right and bottom-left finders.
    private func formatPositions() -> [(first: (x: Int, y: Int), second: (x: Int, y: Int))] {
        (0..<15).map { bit in
            let first: (x: Int, y: Int)
            switch bit {
            case 0...5: first = (8, bit)
            case 6: first = (8, 7)  // skips the timing row
            case 7: first = (8, 8)
            case 8: first = (7, 8)  // skips the timing column
            default: first = (14 - bit, 8)
            }
            let second: (x: Int, y: Int) = bit < 8 ? (size - 1 - bit, 8) : (8, size - 15 + bit)
            return (first, second)
        }
    }

    /// Where each version bit goes, least significant first: a 6 × 3 block above the
    /// bottom-left finder and its transpose beside the top-right one.
    private func versionPositions() -> [(first: (x: Int, y: Int), second: (x: Int, y: Int))] {
        (0..<18).map { bit in
            let across = bit / 3
            let along = size - 11 + bit % 3
            return ((along, across), (across, along))
        }
    }

    mutating func drawFormatInformation(correction: QRCode.ErrorCorrection, mask: Int) {
        // 5 data bits, 10 BCH(15,5) check bits, then XOR with 101010000010010 so the result is
        // never all zero.
        let data = correction.formatBits << 3 | (mask & 0b111)
        let bits = (data << 10 | Self.bchRemainder(data, dataBits: 5, generator: 0x537)) ^ 0x5412
        for (bit, (first, second)) in formatPositions().enumerated() {
            let isSet = (bits >> bit) & 1 == 1
            setFunction(first.x, first.y, dark: isSet)
            setFunction(second.x, second.y, dark: isSet)
        }
        setFunction(8, size - 8, dark: true)  // the module that is always dark
    }

    mutating func drawVersionInformation(version: Int) {
        guard version >= 7 else { return }
        // 6 version bits and 12 BCH(18,6) check bits; no XOR mask.
        let bits = version << 12 | Self.bchRemainder(version, dataBits: 6, generator: 0x1F25)
        for (bit, (first, second)) in versionPositions().enumerated() {
            let isSet = (bits >> bit) & 1 == 1
            setFunction(first.x, first.y, dark: isSet)
            setFunction(second.x, second.y, dark: isSet)
        }
    }

    /// Remainder of `data` × x^(check bits) divided by the generator polynomial over GF(2).
    private static func bchRemainder(_ data: Int, dataBits: Int, generator: Int) -> Int {
        let checkBits = generator.bitWidth - generator.leadingZeroBitCount - 1
        var remainder = data << checkBits
        for bit in stride(from: checkBits + dataBits - 1, through: checkBits, by: -1)
        where (remainder >> bit) & 1 == 1 {
            remainder ^= generator << (bit - checkBits)
        }
        return remainder
    }

    // MARK: Data

    /// Places the codewords, most significant bit first, in two-module columns zigzagging up
    /// and down from the bottom-right corner, skipping function modules and the vertical timing
    /// column. Modules left over (the remainder bits) stay light.
    mutating func placeMessage(_ message: [UInt8]) {
        var bits: [Bool] = []
        bits.reserveCapacity(message.count * 8)
        for byte in message {
            for shift in stride(from: 7, through: 0, by: -1) { bits.append((byte >> shift) & 1 == 1) }
        }
        var nextBit = bits.makeIterator()
        var right = size - 1
        var upward = true
        while right >= 1 {
            if right == 6 { right = 5 }
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in [right, right - 1] where !isReserved(x, y) {
                    setData(x, y, dark: nextBit.next() ?? false)
                }
            }
            upward.toggle()
            right -= 2
        }
    }

    // MARK: Masks

    /// Whether mask pattern `mask` inverts the module in column `x`, row `y` (ISO/IEC 18004 §7.8.2).
    static func maskInverts(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: (y + x) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (y + x) % 3 == 0
        case 4: (y / 2 + x / 3) % 2 == 0
        case 5: (x * y) % 2 + (x * y) % 3 == 0
        case 6: ((x * y) % 2 + (x * y) % 3) % 2 == 0
        case 7: ((x + y) % 2 + (x * y) % 3) % 2 == 0
        default: false
        }
    }

    /// A copy with the data modules (never the function patterns) inverted where the mask says.
    func applyingMask(_ mask: Int) -> ModuleGrid {
        var copy = self
        // Walking the flat arrays with plain index loops keeps this fast in debug builds; the
        // range stops at the shorter array (both always hold size × size entries).
        guard size > 0 else { return copy }
        for index in 0..<min(copy.dark.count, reserved.count)
        where !reserved[index] && Self.maskInverts(mask, x: index % size, y: index / size) {
            copy.dark[index].toggle()
        }
        return copy
    }

    /// The modules as rows, top to bottom.
    private func rows() -> [[Bool]] {
        guard size > 0 else { return [] }
        return stride(from: 0, to: dark.count, by: size).map { start in
            Array(dark[start..<min(start + size, dark.count)])
        }
    }

    /// The penalty of ISO/IEC 18004 §7.8.3.1 (weights N1 = 3, N2 = 3, N3 = 40, N4 = 10).
    ///
    /// Written as plain loops over arrays because it runs eight times per symbol and the tests
    /// run it in debug builds for every version.
    func penaltyScore() -> Int {
        let rows = rows()
        var columns = Array(repeating: [Bool](), count: size)
        for row in rows {
            for x in 0..<min(row.count, columns.count) { columns[x].append(row[x]) }
        }
        var score = 0
        var previousRow: [Bool] = []
        for row in rows {
            score += Self.linePenalty(row) + Self.blockPenalty(upper: previousRow, lower: row)
            previousRow = row
        }
        for column in columns {
            score += Self.linePenalty(column)
        }
        // N4: 10 points for each full 5 % the dark share is away from 50 %, in exact integers.
        var darkCount = 0
        for module in dark where module { darkCount += 1 }
        let total = size * size
        if total > 0 {
            score += 10 * (abs(20 * darkCount - 10 * total) / total)
        }
        return score
    }

    /// N1 and N3 for one row or column, in a single pass.
    ///
    /// N1: a run of five or more same-coloured modules scores 3, plus 1 for each module past five.
    ///
    /// N3: 40 points for each dark–light–dark×3–light–dark (1:1:3:1:1) run with four light modules
    /// before or after it; beyond the edge counts as light (the quiet zone). An occurrence counts
    /// once even when both sides are light, and one that shares modules with an occurrence
    /// already counted (1011101 can overlap itself four or six modules on) is not counted again.
    /// The standard is silent on overlaps; this is how segno reads it, and the vectors agree.
    /// A 15-bit window holds the four modules before a candidate, its seven and the four after
    /// it; it starts all light (the edge) and is fed four light modules after the line, so every
    /// candidate is judged once, in order from the start of the line.
    private static func linePenalty(_ line: [Bool]) -> Int {
        let finderLike = 0b101_1101
        var score = 0
        var runIsDark = false
        var runLength = 0
        var window = 0
        var countedThrough = -1  // last module of the latest counted N3 occurrence
        let length = line.count
        for position in 0..<(length + 4) {
            let isInside = position < length
            let module = isInside ? line[position] : false
            if isInside {
                if runLength > 0 && module == runIsDark {
                    runLength += 1
                } else {
                    if runLength >= 5 { score += runLength - 2 }
                    runIsDark = module
                    runLength = 1
                }
            }
            window = (window << 1 | (module ? 1 : 0)) & 0x7FFF
            let candidateStart = position - 10
            if (window >> 4) & 0x7F == finderLike, candidateStart > countedThrough,
                (window >> 11) & 0xF == 0 || window & 0xF == 0
            {
                score += 40
                countedThrough = candidateStart + 6
            }
        }
        if runLength >= 5 { score += runLength - 2 }
        return score
    }

    /// N2: 3 points for every 2 × 2 block of one colour (overlapping blocks each count).
    private static func blockPenalty(upper: [Bool], lower: [Bool]) -> Int {
        guard upper.count == lower.count, upper.count > 1 else { return 0 }
        var score = 0
        for x in 1..<upper.count {
            let colour = upper[x]
            if lower[x] == colour && upper[x - 1] == colour && lower[x - 1] == colour { score += 3 }
        }
        return score
    }
}
