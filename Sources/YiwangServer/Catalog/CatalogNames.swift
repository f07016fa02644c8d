import Fluent
import Foundation

/// Names of departments and regions by code, in one query, for figures grouped by them.
extension DepartmentRecord {
    static func names(_ codes: [String], on db: any Database) async throws -> [String: String] {
        guard !codes.isEmpty else { return [:] }
        let rows = try await query(on: db).filter(\.$creditCode ~~ codes).all()
        return Dictionary(rows.map { ($0.creditCode, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}

extension RegionRecord {
    static func names(_ codes: [String], on db: any Database) async throws -> [String: String] {
        guard !codes.isEmpty else { return [:] }
        let rows = try await query(on: db).filter(\.$code ~~ codes).all()
        return Dictionary(rows.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}
