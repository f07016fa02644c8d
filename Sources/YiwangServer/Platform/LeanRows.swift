import Fluent
import Foundation
import SQLKit
import Vapor

/// A row of a hot table (cases, their timeline, the audit trail, the outbox, idempotency keys)
/// as the lean write path writes it: its columns and values named once, here, and written
/// through SQLKit. Fluent's models find their fields by reflection at every query, which the
/// profile showed costing more than the SQL itself on the write path; these rows do not.
/// The values are bound exactly as Fluent binds them, so Fluent reads the rows back unchanged.
protocol LeanRow {
    static var table: String { get }
    /// Every column with its value, in the same order for every row of the table.
    var leanValues: [(column: String, value: any Encodable & Sendable)] { get }
}

extension LeanRow {
    /// Inserts the rows in one statement (callers keep batches well under the engines' limits on
    /// bound values: a step writes a handful of rows).
    static func insert(_ rows: [Self], on db: any Database) async throws {
        guard let first = rows.first else { return }
        let sql = try db.sql()
        var insert = sql.insert(into: table).columns(first.leanValues.map { SQLIdentifier($0.column) })
        for row in rows { insert = insert.values(row.leanValues.map { SQLBind($0.value) }) }
        try await insert.run()
    }

    func insert(on db: any Database) async throws { try await Self.insert([self], on: db) }

    /// Writes every column but the key to the row with this key.
    func update(on db: any Database, key: String = "id", _ value: any Encodable & Sendable) async throws {
        var update = try db.sql().update(Self.table)
        for (column, value) in leanValues where column != key { update = update.set(SQLIdentifier(column), to: SQLBind(value)) }
        try await update.where(SQLIdentifier(key), .equal, SQLBind(value)).run()
    }
}

extension Database {
    /// This database as SQLKit sees it (both engines are SQL).
    func sql() throws -> any SQLDatabase {
        guard let sql = self as? any SQLDatabase else { throw Abort(.internalServerError, reason: "an SQL database is required") }
        return sql
    }
}
