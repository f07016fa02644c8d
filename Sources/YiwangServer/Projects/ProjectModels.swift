import Fluent
import Foundation
import Vapor
import YiwangCore

/// An investment project (投资项目), stored as its Core value with the columns lists read.
final class InvestmentProjectRecord: Model, @unchecked Sendable {
    static let schema = "investment_projects"

    @ID(key: .id) var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    /// The owner (建设单位): an applicant account id.
    @Field(key: "owner_id") var ownerID: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "stage") var stage: String
    @Field(key: "is_major") var isMajor: Bool
    /// The 全程代办 agent's staff account, while one is assigned.
    @OptionalField(key: "proxy_agent") var proxyAgent: String?
    @Field(key: "content") var content: String
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var project: InvestmentProject {
        get throws { try JSONDecoder().decode(InvestmentProject.self, from: Data(content.utf8)) }
    }

    /// Takes a project a rule returned: the value and the columns read from it.
    func take(_ project: InvestmentProject) throws {
        code = project.code.value
        name = project.name
        ownerID = project.ownerID
        regionCode = project.regionCode
        stage = project.stage.rawValue
        isMajor = project.isMajor
        proxyAgent = project.proxyAgent?.account
        content = try BundleApplicationRecord.encode(project)
    }

    /// The project's place: window staff of its region register, assign agents and read it.
    var owner: ResourceOwner { ResourceOwner(departmentCreditCode: nil, regionCode: regionCode + "000000", applicantID: ownerID) }
}

/// One approval of a project: a case, or a bundle application (whose tasks are cases), filed
/// under the project's code in one of its stages.
final class ProjectApprovalRecord: Model, @unchecked Sendable {
    static let schema = "project_approvals"

    @ID(key: .id) var id: UUID?
    @Field(key: "project_id") var projectID: UUID
    @Field(key: "stage") var stage: String
    @OptionalField(key: "case_id") var caseID: UUID?
    @OptionalField(key: "bundle_application_id") var bundleApplicationID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(projectID: UUID, stage: ProjectStage, caseID: UUID? = nil, bundleApplicationID: UUID? = nil, at: Date) {
        id = UUID()
        self.projectID = projectID
        self.stage = stage.rawValue
        self.caseID = caseID
        self.bundleApplicationID = bundleApplicationID
        createdAt = at
    }
}

/// A joint review (多图联审, 联合验收, 多评合一), stored as its Core value.
final class JointReviewRecord: Model, @unchecked Sendable {
    static let schema = "joint_reviews"

    @ID(key: .id) var id: UUID?
    @OptionalField(key: "project_id") var projectID: UUID?
    @OptionalField(key: "stage") var stage: String?
    @Field(key: "kind") var kind: String
    @Field(key: "lead_department") var leadDepartment: String
    @Field(key: "region_code") var regionCode: String
    @Field(key: "state") var state: String
    @OptionalField(key: "deadline") var deadline: String?
    @Field(key: "content") var content: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}

    var review: JointReview {
        get throws { try JSONDecoder().decode(JointReview.self, from: Data(content.utf8)) }
    }

    func take(_ review: JointReview, calendar: WorkingCalendar) throws {
        kind = review.kind.rawValue
        leadDepartment = review.leadDepartment
        state = review.state.rawValue
        deadline = try JointReviewRules.deadline(review, calendar: calendar).date.description
        content = try BundleApplicationRecord.encode(review)
    }
}
