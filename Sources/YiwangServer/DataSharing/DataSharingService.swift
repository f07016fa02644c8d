import Fluent
import Foundation
import Vapor
import YiwangCore

/// Reads of the shared registries on behalf of an actor: each is authorised by its purpose,
/// bounded by the configured timeout, and logged (who, which registry, whose data, which fields,
/// for which case and purpose). The person sees their own log at /me/data-uses.
struct DataSharingService {
    let ctx: DomainContext

    init(_ ctx: DomainContext) { self.ctx = ctx }

    /// Why a registry is read: the words the person reads in their log.
    enum Purpose: String {
        case registration = "注册账号实名核验"
        case windowCheck = "窗口核验申请人身份"
        case creditCheck = "办件信用核查"
        case prefill = "申请表自动填写(经申请人同意)"
    }

    /// A read made and the log row that records it (written by the caller in its transaction, or
    /// at once by `record`).
    struct Read<T: Sendable>: Sendable {
        var value: T
        var log: DataUseRecord
    }

    func person(_ idNumber: String, purpose: Purpose, fields: [String] = ["姓名"], caseID: UUID? = nil) async throws -> Read<PersonEntry?> {
        try await read(.population, idNumber, shown: .idNumber, purpose: purpose, fields: fields, caseID: caseID) {
            try await ctx.app.registries.person(idNumber, on: ctx.db)
        } found: { $0 != nil }
    }

    func legalPerson(_ creditCode: String, purpose: Purpose, caseID: UUID? = nil) async throws -> Read<LegalPersonEntry?> {
        try await read(
            .legalPersons, creditCode, shown: .creditCode, purpose: purpose, fields: ["名称", "法定代表人", "登记状态"], caseID: caseID
        ) { try await ctx.app.registries.legalPerson(creditCode, on: ctx.db) } found: { $0 != nil }
    }

    func creditListings(_ subjectCode: String, purpose: Purpose, caseID: UUID? = nil) async throws -> Read<[CreditBlacklistEntry]> {
        let kind: PersonalData.Kind = ResidentIDNumber.isValid(subjectCode) ? .idNumber : .creditCode
        return try await read(.credit, subjectCode, shown: kind, purpose: purpose, fields: ["失信记录"], caseID: caseID) {
            try await ctx.app.registries.creditListings(subjectCode, on: ctx.db)
        } found: { !$0.isEmpty }
    }

    /// Calls the registry within the timeout. A registry that fails or is late is logged as such
    /// and answered with 503 and Retry-After: nothing the person gave is lost, they try again.
    private func read<T: Sendable>(
        _ registry: Registry, _ code: String, shown: PersonalData.Kind, purpose: Purpose, fields: [String], caseID: UUID?,
        _ call: @escaping @Sendable () async throws -> T, found: (T) -> Bool
    ) async throws -> Read<T> {
        let log = DataUseRecord()
        log.id = UUID()
        log.at = ctx.now
        log.registry = registry.rawValue
        log.subjectIndex = ApplicantRecord.index(code, keys: ctx.keys)
        log.subjectShown = PersonalData.mask(code, as: shown)
        log.fields = fields.joined(separator: "、")
        log.reader = ctx.audit.actor
        switch ctx.actor {
        case _ where ctx.isPlatform: log.readerKind = "platform"
        case .anonymous: log.readerKind = "anonymous"  // someone registering: not yet anyone
        case .staff: log.readerKind = "staff"
        case .applicant: log.readerKind = "applicant"
        }
        log.caseID = caseID
        log.purpose = purpose.rawValue
        let timeout = ctx.settings.registryTimeout
        do {
            let value = try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await call() }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else { throw RegistryUnavailable(registry: registry) }
                return value
            }
            log.outcome = found(value) ? "found" : "notFound"
            PlatformMetrics.shared.registryRead(registry.rawValue, outcome: log.outcome)
            return Read(value: value, log: log)
        } catch let error as DomainError {
            throw error
        } catch {
            // Down, late, or an answer that could not be read: unavailable, try again.
            log.outcome = "unavailable"
            PlatformMetrics.shared.registryRead(registry.rawValue, outcome: log.outcome)
            try? await record(log)
            throw DomainError.unavailable(
                "registry.unavailable", "\(registry.chineseName)暂时无法访问，请稍后重试。您填写的内容不会丢失。", retryAfter: 30)
        }
    }

    /// Writes a log row in its own transaction (for reads whose step does not go on).
    func record(_ log: DataUseRecord) async throws {
        let row = log.copy()
        try await ctx.db.transaction { tx in try await row.create(on: tx) }
    }

    // MARK: Real-name checks

    /// A person registering (online or at the window): the name must be the population
    /// registry's name for the ID number.
    func checkPerson(idNumber: String, name: String, purpose: Purpose) async throws {
        let read = try await person(idNumber, purpose: purpose)
        try await record(read.log)
        try SharedDataRules.checkRealName(given: name, registered: read.value, idNumber: idNumber)
    }

    /// A company registering: the legal persons registry must hold it, in business, under this
    /// name and with this legal representative.
    func checkCompany(creditCode: String, name: String, representativeName: String, representativeIDNumber: String) async throws {
        let read = try await legalPerson(creditCode, purpose: .registration)
        try await record(read.log)
        try SharedDataRules.checkLegalPerson(
            name: name, representativeName: representativeName, representativeIDNumber: representativeIDNumber, registered: read.value, creditCode: creditCode)
    }

    // MARK: Prefill

    /// With the applicant's consent: their registered address from the population registry
    /// (a person) or the legal persons registry (a company), for fields marked with that source.
    func prefill(for applicant: ApplicantRecord, sources: Set<PrefillSource>) async throws -> [PrefillSource: String] {
        let code = try ctx.keys.open(applicant.identifierSealed)
        var found: [PrefillSource: String] = [:]
        if sources.contains(.sharedPopulation), applicant.kind == .person {
            let read = try await person(code, purpose: .prefill, fields: ["户籍地址"])
            try await record(read.log)
            if let address = read.value?.address { found[.sharedPopulation] = address }
        }
        if sources.contains(.sharedLegalPerson), applicant.kind != .person {
            let read = try await legalPerson(code, purpose: .prefill)
            try await record(read.log)
            if let address = read.value?.address { found[.sharedLegalPerson] = address }
        }
        return found
    }

    // MARK: Credit

    /// The credit check of a submission: refused (and logged at once) when the item blocks listed
    /// subjects; otherwise the warning, if any, and the read's log row, which the submission
    /// writes in its own transaction, or the caller writes alone when the submission fails
    /// (`CaseService.recordingRead`): every read is logged, with one write on the common path.
    func creditCheck(applicantCode: String, rule: CreditRule, caseID: UUID) async throws -> (warning: String?, read: DataUseRecord) {
        let read = try await creditListings(applicantCode, purpose: .creditCheck, caseID: caseID)
        // The platform checks credit for the case, whoever submits it.
        read.log.readerKind = "platform"
        do {
            switch try SharedDataRules.creditFinding(read.value, rule: rule, today: ctx.today) {
            case .clear: return (nil, read.log)
            case .flagged(let warning): return (warning, read.log)
            }
        } catch let error as DomainError {
            // The refused submission never becomes a case: the log names no case.
            read.log.caseID = nil
            try await ctx.write { tx in
                try await read.log.create(on: tx)
                try await AuditTrail.append(
                    ctx.entry("case.creditBlocked", subjectType: "case", subjectID: caseID.uuidString, after: read.log.subjectShown), on: tx)
            }
            throw error
        }
    }

    /// 信用修复: the listing is lifted at once, kept with the day and reason.
    static func lift(subjectCode: String, reason: String, ctx: DomainContext) async throws -> Int {
        let index = ApplicantRecord.index(subjectCode, keys: ctx.keys)
        return try await ctx.write { tx in
            let listings = try await CreditBlacklistRecord.query(on: tx).filter(\.$subjectIndex == index).filter(\.$liftedOn == nil).all()
            for listing in listings {
                listing.liftedOn = ctx.today.description
                listing.liftedReason = reason
                try await listing.save(on: tx)
            }
            try await AuditTrail.append(
                ctx.entry(
                    "credit.repair", subjectType: "credit",
                    subjectID: PersonalData.mask(subjectCode, as: ResidentIDNumber.isValid(subjectCode) ? .idNumber : .creditCode),
                    after: "\(listings.count)：\(reason)"), on: tx)
            return listings.count
        }
    }

    // MARK: The log

    /// The person's (or company's) own log, newest first.
    func uses(of applicant: ApplicantRecord, limit: Int = 200) async throws -> [DataUseRecord] {
        try await DataUseRecord.query(on: ctx.db).filter(\.$subjectIndex == applicant.identifierIndex).sort(\.$at, .descending).limit(limit).all()
    }

    /// The supervisors' search: by subject code, registry, reader, in time order.
    func search(subject: String?, registry: Registry?, reader: String?, page: PageRequest) async throws -> (total: Int, rows: [DataUseRecord]) {
        try Policy.authorize(ctx.actor, .viewDataUses)
        let query = DataUseRecord.query(on: ctx.db)
        if let subject, !subject.isEmpty { query.filter(\.$subjectIndex == ApplicantRecord.index(subject.uppercased(), keys: ctx.keys)) }
        if let registry { query.filter(\.$registry == registry.rawValue) }
        if let reader, !reader.isEmpty { query.filter(\.$reader == reader) }
        let total = try await query.count()
        return (total, try await query.sort(\.$at, .descending).range(page.offset..<(page.offset + page.per)).all())
    }
}
