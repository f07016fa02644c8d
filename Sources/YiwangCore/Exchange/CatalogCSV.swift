import Foundation

/// The catalog as one CSV row per item: scalar elements as plain columns for spreadsheets,
/// nested ones (materials, fees, steps, form, FAQ, result) as JSON in their cells.
public enum CatalogCSV {
    enum Kind { case text, optionalText, integer, optionalInteger, boolean, list, json }

    /// Identity columns, then the guide's elements in guide order.
    static let identityColumns = ["code", "baseCode", "department", "exerciseLevel", "state"]
    static let guideColumns: [(String, Kind)] = [
        ("name", .text), ("type", .text), ("legalBasis", .list), ("acceptanceConditions", .text), ("targets", .list),
        ("statutoryLimit", .optionalInteger), ("promisedLimit", .integer), ("processing", .text), ("requiredVisits", .integer),
        ("channels", .list), ("scope", .text), ("commitmentBased", .boolean), ("acceptWithDeferredMaterials", .boolean),
        ("deferredMaterialDays", .optionalInteger), ("approveOnTimeout", .boolean), ("consultationPhone", .text),
        ("supervisionPhone", .optionalText), ("address", .text), ("officeHours", .text), ("lifeEvents", .list),
        ("reviewedOn", .text), ("result", .json), ("materials", .json), ("processSteps", .json), ("fees", .json),
        ("form", .json), ("faq", .json), ("creditRule", .optionalText),
    ]
    /// Separates list entries inside one cell.
    static let listSeparator = "\n"

    public static var header: [String] { identityColumns + guideColumns.map(\.0) }

    public static func encode(_ items: [CatalogDocument.Item]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var rows = [header]
        for item in items {
            guard case .object(let guide) = try JSONValue.from(item.guide) else { continue }
            var row = [item.code ?? "", item.baseCode, item.department, String(item.exerciseLevel), item.state.rawValue]
            for (column, kind) in guideColumns {
                let value = guide[column] ?? .null
                switch kind {
                case .list:
                    if case .array(let entries) = value {
                        row.append(entries.compactMap(\.scalarText).joined(separator: listSeparator))
                    } else {
                        row.append("")
                    }
                case .json:
                    row.append(String(decoding: try encoder.encode(value), as: UTF8.self))
                default:
                    row.append(value.scalarText ?? "")
                }
            }
            rows.append(row)
        }
        return CSV.encode(rows)
    }

    public static func decode(_ text: String) throws(DomainError) -> [CatalogDocument.Item] {
        let rows = try CSV.decode(text).filter { !($0.count == 1 && $0[0].isEmpty) }
        guard let head = rows.first else { throw .invalid("csv.empty", "CSV 文件为空。") }
        let missing = header.filter { !head.contains($0) }
        guard missing.isEmpty else {
            throw .invalid("csv.columns", "CSV 缺少列：\(missing.joined(separator: "、"))。")
        }
        let index = Dictionary(head.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var items: [CatalogDocument.Item] = []
        var errors: [FieldError] = []
        for (number, row) in rows.dropFirst().enumerated() {
            let line = number + 2
            func cell(_ name: String) -> String {
                guard let i = index[name], i < row.count else { return "" }
                let raw = row[i]
                // Undo the spreadsheet-formula guard added on export.
                if raw.hasPrefix("'"), let second = raw.dropFirst().first, "=+-@".contains(second) { return String(raw.dropFirst()) }
                return raw
            }
            var object: [String: JSONValue] = [:]
            var rowErrors: [FieldError] = []
            for (column, kind) in guideColumns {
                let raw = cell(column)
                switch kind {
                case .text:
                    object[column] = .string(raw)
                case .optionalText:
                    object[column] = raw.isEmpty ? .null : .string(raw)
                case .integer, .optionalInteger:
                    if raw.isEmpty, case .optionalInteger = kind {
                        object[column] = .null
                    } else if let value = Int(raw.trimmingCharacters(in: .whitespaces)) {
                        object[column] = .int(value)
                    } else {
                        rowErrors.append(FieldError(field: "row \(line)/\(column)", message: "第\(line)行“\(column)”应为整数。"))
                    }
                case .boolean:
                    switch raw.lowercased() {
                    case "true", "1", "是": object[column] = .bool(true)
                    case "false", "0", "否", "": object[column] = .bool(false)
                    default: rowErrors.append(FieldError(field: "row \(line)/\(column)", message: "第\(line)行“\(column)”应为 true 或 false。"))
                    }
                case .list:
                    let entries = raw.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { String($0).trimmingCharacters(in: .whitespaces) }
                    object[column] = .array(entries.filter { !$0.isEmpty }.map { .string($0) })
                case .json:
                    if let value = try? JSONDecoder().decode(JSONValue.self, from: Data((raw.isEmpty ? "null" : raw).utf8)) {
                        object[column] = value
                    } else {
                        rowErrors.append(FieldError(field: "row \(line)/\(column)", message: "第\(line)行“\(column)”不是有效的 JSON。"))
                    }
                }
            }
            if case .null? = object["form"] { object["form"] = .object(["fields": .array([])]) }
            if case .null? = object["faq"] { object["faq"] = .array([]) }
            if case .null? = object["fees"] { object["fees"] = .array([]) }
            guard rowErrors.isEmpty else {
                errors += rowErrors
                continue
            }
            do {
                let data = try JSONEncoder().encode(JSONValue.object(object))
                let guide = try JSONDecoder().decode(ServiceGuide.self, from: data)
                guard let level = Int(cell("exerciseLevel")) else {
                    errors.append(FieldError(field: "row \(line)/exerciseLevel", message: "第\(line)行行使层级应为1到7的整数。"))
                    continue
                }
                guard let state = VersionState(rawValue: cell("state").isEmpty ? "draft" : cell("state")) else {
                    errors.append(FieldError(field: "row \(line)/state", message: "第\(line)行状态应为 published 或 draft。"))
                    continue
                }
                let code = cell("code")
                items.append(CatalogDocument.Item(
                    code: code.isEmpty ? nil : code, baseCode: cell("baseCode"), department: cell("department"),
                    exerciseLevel: level, state: state, guide: guide))
            } catch {
                errors.append(FieldError(field: "row \(line)", message: "第\(line)行的事项要素不完整或取值不正确。"))
            }
        }
        guard errors.isEmpty else {
            throw .invalid("csv.invalid", "CSV 有\(errors.count)处错误，未导入任何内容。", fields: Array(errors.prefix(100)))
        }
        return items
    }
}
