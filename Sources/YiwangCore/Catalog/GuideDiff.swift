import Foundation

/// One changed element between two versions of a guide.
public struct GuideChange: Codable, Sendable, Equatable {
    /// Path of the element, e.g. `materials/2/deferrable` or `promisedLimit`.
    public var path: String
    public var before: String?
    public var after: String?
}

/// Compares two guides element by element, so that reviewers see exactly what a new version changes.
public enum GuideDiff {
    public static func changes(from old: ServiceGuide?, to new: ServiceGuide) -> [GuideChange] {
        let before = old.map(flatten) ?? [:]
        let after = flatten(new)
        let keys = Set(before.keys).union(after.keys).sorted(by: pathOrder)
        return keys.compactMap { key in
            let b = before[key]
            let a = after[key]
            return b == a ? nil : GuideChange(path: key, before: b, after: a)
        }
    }

    /// Flattens a guide into `path → scalar text`, through its JSON form.
    static func flatten(_ guide: ServiceGuide) -> [String: String] {
        guard let json = try? JSONValue.from(guide) else { return [:] }
        var result: [String: String] = [:]
        walk(json, path: "", into: &result)
        return result
    }

    private static func walk(_ value: JSONValue, path: String, into result: inout [String: String]) {
        switch value {
        case .object(let dictionary):
            for (key, child) in dictionary {
                walk(child, path: path.isEmpty ? key : "\(path)/\(key)", into: &result)
            }
        case .array(let array):
            if array.isEmpty { result[path] = "[]" }
            for (index, child) in array.enumerated() {
                walk(child, path: "\(path)/\(index)", into: &result)
            }
        case .null:
            break
        default:
            result[path] = value.scalarText
        }
    }

    /// Orders `materials/10` after `materials/9`.
    static func pathOrder(_ lhs: String, _ rhs: String) -> Bool {
        let l = lhs.split(separator: "/")
        let r = rhs.split(separator: "/")
        for (a, b) in zip(l, r) where a != b {
            if let x = Int(a), let y = Int(b) { return x < y }
            return a < b
        }
        return l.count < r.count
    }
}
