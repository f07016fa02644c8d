import Foundation

/// RFC 4180 CSV: comma-separated, CRLF rows, fields with commas, quotes or line breaks quoted.
public enum CSV {
    public static func encode(_ rows: [[String]]) -> String {
        var out = ""
        for row in rows {
            out += row.map(field).joined(separator: ",")
            out += "\r\n"
        }
        return out
    }

    static func field(_ value: String) -> String {
        // Bytes, not characters: faster, and a CR LF inside a value (one Character) is seen too.
        let needsQuotes = value.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        // A leading =, +, - or @ would run as a formula in a spreadsheet; quote it away.
        let formula = value.utf8.first.map { [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@")].contains($0) } == true
        let guarded = formula && Double(value) == nil ? "'" + value : value
        guard needsQuotes || guarded != value else { return value }
        return "\"" + guarded.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Parses CSV text into rows; a UTF-8 byte-order mark is ignored.
    public static func decode(_ text: String) throws(DomainError) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        var first = true
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let scalar = next() {
            if first { first = false; if scalar == "\u{FEFF}" { continue } }
            if inQuotes {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = following }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty else { throw .invalid("csv.quote", "CSV 第\(line)行：引号只能出现在字段开头。") }
                inQuotes = true
            case ",":
                row.append(field)
                field = ""
            case "\r":
                if let following = next(), following != "\n" { pending = following }
                fallthrough
            case "\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
                line += 1
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw .invalid("csv.unterminated", "CSV 第\(line)行：引号没有闭合。") }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
