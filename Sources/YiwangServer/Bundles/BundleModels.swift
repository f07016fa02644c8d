import Fluent
import Foundation
import Vapor
import YiwangCore

/// A bundle (一件事) in the catalog: its stable code and what lists show; the rules live in its versions.
final class BundleRecord: Model, @unchecked Sendable {
    static let schema = "bundles"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "kind") var kind: String
    @Field(key: "lead_department") var leadDepartment: String
    /// The lead department's region: who may edit and accept it is scoped by it.
    @Field(key: "region_code") var regionCode: String
    @OptionalField(key: "published_version_id") var publishedVersionID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: leadDepartment, regionCode: regionCode) }
}

/// One version of a bundle: exactly a `ServiceBundle`, through the catalog's states; frozen once published.
final class BundleVersionRecord: Model, @unchecked Sendable {
    static let schema = "bundle_versions"

    @ID(key: .id) var id: UUID?
    @Field(key: "bundle_id") var bundleID: UUID
    @Field(key: "number") var number: Int
    @Field(key: "state") var stateRaw: String
    @Field(key: "content") var content: String
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "published_at") var publishedAt: Date?

    init() {}

    var state: VersionState {
        get { VersionState(rawValue: stateRaw) ?? .draft }
        set { stateRaw = newValue.rawValue }
    }

    var bundle: ServiceBundle {
        get throws { try JSONDecoder().decode(ServiceBundle.self, from: Data(content.utf8)) }
    }

    static func encode(_ bundle: ServiceBundle) throws -> String { try BundleApplicationRecord.encode(bundle) }
}

/// 一件事申请: one form, one set of materials, one acceptance; its tasks are cases linked to it.
final class BundleApplicationRecord: Model, @unchecked Sendable {
    static let schema = "bundle_applications"

    @ID(key: .id) var id: UUID?
    /// 受理编号 of the whole application, given at its one acceptance.
    @OptionalField(key: "number") var number: String?
    @Field(key: "bundle_code") var bundleCode: String
    @Field(key: "bundle_name") var bundleName: String
    /// The bundle version it was filed under; a later version never changes it.
    @Field(key: "version_id") var versionID: UUID
    @Field(key: "applicant_id") var applicantID: String
    @Field(key: "filed_by") var filedBy: String
    @Field(key: "channel") var channel: String
    @Field(key: "lead_department") var leadDepartment: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "state") var stateRaw: String
    @Field(key: "choice") var choiceJSON: String
    /// The merged form, sealed; `formShown` is its masked copy.
    @Field(key: "form_sealed") var formSealed: String
    @Field(key: "form_shown") var formShown: String
    /// `BundleProgress` once accepted.
    @OptionalField(key: "progress") var progressJSON: String?
    /// The bundle's promise (its own deadline), beside the tasks' legal ones.
    @OptionalField(key: "deadline") var deadline: String?
    @OptionalField(key: "outcome") var outcome: String?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var state: BundleApplicationState {
        get { BundleApplicationState(rawValue: stateRaw) ?? .submitted }
        set { stateRaw = newValue.rawValue }
    }

    var choice: BundleChoice {
        get throws { try JSONDecoder().decode(BundleChoice.self, from: Data(choiceJSON.utf8)) }
    }

    var progress: BundleProgress? {
        get throws { try progressJSON.map { try JSONDecoder().decode(BundleProgress.self, from: Data($0.utf8)) } }
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Takes the progress a step planned: the state, the bundle's deadline and its outcome follow from it.
    func take(_ progress: BundleProgress, calendar: WorkingCalendar) throws {
        progressJSON = try Self.encode(progress)
        state = BundleApplicationState.of(progress)
        deadline = try progress.clock.deadline(calendar)?.date.description
        outcome = progress.outcome?.rawValue
    }

    /// The lead department's window accepts it; the applicant (or who filed for them) owns it.
    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: leadDepartment, regionCode: regionCode, applicantID: applicantID) }

    /// What the policy weighs when someone reads it (as for a case of the lead department).
    var subject: CaseSubject {
        CaseSubject(owner: owner, state: .submitted, filedAtWindow: channel == "window", filedBy: filedBy)
    }
}

/// The bundle's own timeline: filing, acceptance, every task's decision, the notice, the results.
final class BundleEventRecord: Model, @unchecked Sendable {
    static let schema = "bundle_events"

    @ID(key: .id) var id: UUID?
    @Field(key: "application_id") var applicationID: UUID
    @Field(key: "at") var at: Date
    @Field(key: "actor") var actor: String
    @Field(key: "action") var action: String
    @OptionalField(key: "member") var member: String?
    @OptionalField(key: "detail") var detail: String?

    init() {}

    init(applicationID: UUID, at: Date, actor: String, action: String, member: String? = nil, detail: String? = nil) {
        id = UUID()
        self.applicationID = applicationID
        self.at = at
        self.actor = actor
        self.action = action
        self.member = member
        self.detail = detail
    }
}
