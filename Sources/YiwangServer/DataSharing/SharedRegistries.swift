import Fluent
import Foundation
import SQLKit
import NIOConcurrencyHelpers
import Vapor
import YiwangCore

/// The city's data exchange (数据共享交换平台): the population, legal persons and credit
/// registries behind one protocol. A city plugs in its exchange; `LocalSharedData` is the working
/// local implementation the demo city fills, and it can be made slow or down like a real one.
protocol SharedDataSource: Sendable {
    func person(_ idNumber: String, on db: any Database) async throws -> PersonEntry?
    func legalPerson(_ creditCode: String, on db: any Database) async throws -> LegalPersonEntry?
    func creditListings(_ subjectCode: String, on db: any Database) async throws -> [CreditBlacklistEntry]
}

/// A registry that did not answer: the caller is told to try again, nothing is lost.
struct RegistryUnavailable: Error {
    var registry: Registry
}

/// The local exchange: registries held in this database (`registry_records`, `credit_listings`),
/// filled by the demo city or `yiwang registry import`. Faults (`YIWANG_REGISTRY_FAULTS`, or set
/// at run time) make a registry refuse (`down`) or answer late (`slow:<ms>`), as real exchanges do.
final class LocalSharedData: SharedDataSource {
    enum Fault: Sendable, Equatable {
        case down
        case slow(milliseconds: Int)
    }

    private let faults: NIOLockedValueBox<[Registry: Fault]>
    private let keys: KeyRing

    init(keys: KeyRing, faults: [Registry: Fault] = [:]) {
        self.keys = keys
        self.faults = NIOLockedValueBox(faults)
    }

    func setFault(_ fault: Fault?, for registry: Registry) { faults.withLockedValue { $0[registry] = fault } }

    /// Parses `population=down,credit=slow:5000`.
    static func faults(_ text: String) -> [Registry: Fault]? {
        var found: [Registry: Fault] = [:]
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, let registry = Registry(rawValue: pieces[0]) else { return nil }
            if pieces[1] == "down" {
                found[registry] = .down
            } else if pieces[1].hasPrefix("slow:"), let ms = Int(pieces[1].dropFirst(5)), (0...600_000).contains(ms) {
                found[registry] = .slow(milliseconds: ms)
            } else {
                return nil
            }
        }
        return found
    }

    private func answer(_ registry: Registry) async throws {
        switch faults.withLockedValue({ $0[registry] }) {
        case .down: throw RegistryUnavailable(registry: registry)
        case .slow(let ms): try await Task.sleep(for: .milliseconds(ms))
        case nil: break
        }
    }

    func person(_ idNumber: String, on db: any Database) async throws -> PersonEntry? {
        try await answer(.population)
        return try await record(.population, idNumber, on: db)
    }

    func legalPerson(_ creditCode: String, on db: any Database) async throws -> LegalPersonEntry? {
        try await answer(.legalPersons)
        return try await record(.legalPersons, creditCode, on: db)
    }

    func creditListings(_ subjectCode: String, on db: any Database) async throws -> [CreditBlacklistEntry] {
        try await answer(.credit)
        let index = ApplicantRecord.index(subjectCode, keys: keys)
        return try await CreditBlacklistRecord.query(on: db).filter(\.$subjectIndex == index).filter(\.$liftedOn == nil).all().map {
            CreditBlacklistEntry(
                subjectCode: subjectCode, subjectName: $0.subjectName, measure: $0.measure, basis: $0.basis, authority: $0.authority,
                listedOn: $0.listedOn, until: $0.until)
        }
    }

    private func record<T: Decodable>(_ registry: Registry, _ code: String, on db: any Database) async throws -> T? {
        let index = ApplicantRecord.index(code, keys: keys)
        guard let row = try await db.sql().select().column("record_sealed").from("registry_records")
            .where("registry", .equal, registry.rawValue).where("subject_index", .equal, index).first(decoding: SealedRow.self)
        else { return nil }
        return try JSONDecoder().decode(T.self, from: Data(try keys.open(row.record_sealed).utf8))
    }

    /// Re-seals the registry entries sealed under an older data key (`yiwang rotate-keys`).
    static func reseal(keys: KeyRing, on db: any Database) async throws -> Int {
        struct Row: Decodable {
            var registry: String
            var subject_index: String
            var record_sealed: String
        }
        let sql = try db.sql()
        var count = 0
        for row in try await sql.select().columns("registry", "subject_index", "record_sealed").from("registry_records").all(decoding: Row.self)
        where KeyRing.keyID(of: row.record_sealed) != keys.currentKeyID {
            try await sql.update("registry_records").set("record_sealed", to: try keys.seal(try keys.open(row.record_sealed)))
                .where("registry", .equal, row.registry).where("subject_index", .equal, row.subject_index).run()
            count += 1
        }
        return count
    }

    // MARK: Filling the local registries

    /// What `yiwang registry import` and the demo city load.
    struct Contents: Codable {
        var people: [PersonEntry] = []
        var legalPersons: [LegalPersonEntry] = []
        var creditListings: [CreditBlacklistEntry] = []
    }

    /// Adds or replaces entries (by ID number or credit code); credit listings are added.
    static func fill(_ contents: Contents, keys: KeyRing, at now: Date, on db: any Database) async throws {
        func put(_ registry: Registry, _ code: String, _ value: some Encodable) async throws {
            let index = ApplicantRecord.index(code, keys: keys)
            let sql = try db.sql()
            try await sql.delete(from: "registry_records").where("registry", .equal, registry.rawValue).where("subject_index", .equal, index).run()
            try await sql.insert(into: "registry_records").columns("registry", "subject_index", "record_sealed", "updated_at")
                .values(
                    SQLBind(registry.rawValue), SQLBind(index), SQLBind(try keys.seal(String(decoding: try JSONEncoder.sorted.encode(value), as: UTF8.self))),
                    SQLBind(now)
                ).run()
        }
        for person in contents.people {
            let id = try ResidentIDNumber(person.idNumber, today: now)
            var entry = person
            entry.idNumber = id.value
            try await put(.population, id.value, entry)
        }
        for company in contents.legalPersons {
            let code = try CreditCode(company.creditCode)
            var entry = company
            entry.creditCode = code.value
            try await put(.legalPersons, code.value, entry)
        }
        for listing in contents.creditListings {
            _ = try LocalDate(listing.listedOn)
            if let until = listing.until { _ = try LocalDate(until) }
            // The subject as the registries write it (upper case, checked), so it matches its applicant.
            let isPerson = ResidentIDNumber.isValid(listing.subjectCode)
            let code = isPerson ? try ResidentIDNumber(listing.subjectCode, today: now).value : try CreditCode(listing.subjectCode).value
            let row = CreditBlacklistRecord()
            row.subjectIndex = ApplicantRecord.index(code, keys: keys)
            row.subjectShown = PersonalData.mask(code, as: isPerson ? .idNumber : .creditCode)
            row.subjectName = listing.subjectName
            row.measure = listing.measure
            row.basis = listing.basis
            row.authority = listing.authority
            row.listedOn = listing.listedOn
            row.until = listing.until
            row.createdAt = now
            try await row.create(on: db)
        }
    }
}

extension Application {
    private struct ExchangeKey: StorageKey { typealias Value = any SharedDataSource }

    /// The data exchange registered at start-up (`configure`); tests swap in their own.
    var registries: any SharedDataSource {
        get { storage[ExchangeKey.self] ?? NoExchange() }
        set { storage[ExchangeKey.self] = newValue }
    }
}

private struct SealedRow: Decodable { var record_sealed: String }

/// No exchange configured: every registry is unavailable (never an answer made up).
struct NoExchange: SharedDataSource {
    func person(_ idNumber: String, on db: any Database) async throws -> PersonEntry? { throw RegistryUnavailable(registry: .population) }
    func legalPerson(_ creditCode: String, on db: any Database) async throws -> LegalPersonEntry? { throw RegistryUnavailable(registry: .legalPersons) }
    func creditListings(_ subjectCode: String, on db: any Database) async throws -> [CreditBlacklistEntry] { throw RegistryUnavailable(registry: .credit) }
}

/// A listing of the credit registry; lifted by 信用修复 (kept, with the day and reason).
final class CreditBlacklistRecord: Model, @unchecked Sendable {
    static let schema = "credit_listings"

    @ID(key: .id) var id: UUID?
    @Field(key: "subject_index") var subjectIndex: String
    @Field(key: "subject_shown") var subjectShown: String
    @Field(key: "subject_name") var subjectName: String
    @Field(key: "measure") var measure: String
    @Field(key: "basis") var basis: String
    @Field(key: "authority") var authority: String
    @Field(key: "listed_on") var listedOn: String
    @OptionalField(key: "until") var until: String?
    @OptionalField(key: "lifted_on") var liftedOn: String?
    @OptionalField(key: "lifted_reason") var liftedReason: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// One read of a shared registry (数据使用记录): who, which registry, whose data (by blind index
/// and masked), which fields, for which case and purpose, and how it went.
final class DataUseRecord: Model, @unchecked Sendable {
    static let schema = "data_uses"

    @ID(key: .id) var id: UUID?
    @Field(key: "at") var at: Date
    @Field(key: "registry") var registry: String
    @Field(key: "subject_index") var subjectIndex: String
    @Field(key: "subject_shown") var subjectShown: String
    @Field(key: "fields") var fields: String
    @Field(key: "reader") var reader: String
    @Field(key: "reader_kind") var readerKind: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @Field(key: "purpose") var purpose: String
    @Field(key: "outcome") var outcome: String

    init() {}

    /// A new row with the same content: a read's row may be written by a transaction that then
    /// rolls back, and is written again alone (a model Fluent has created cannot be created twice).
    func copy() -> DataUseRecord {
        let row = DataUseRecord()
        row.id = id
        row.at = at
        row.registry = registry
        row.subjectIndex = subjectIndex
        row.subjectShown = subjectShown
        row.fields = fields
        row.reader = reader
        row.readerKind = readerKind
        row.caseID = caseID
        row.purpose = purpose
        row.outcome = outcome
        return row
    }
}
