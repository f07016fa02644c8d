import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// A case as the API and the pages show it: the applicant's side sees roles, staff see accounts.
struct CaseView: Content {
    struct Item: Content {
        var code: String
        var name: String
    }

    struct Step: Content {
        var at: Date
        var action: String
        var actionName: String
        var state: String
        var stateName: String
        /// Who acted: to the applicant's side a role (申请人, 综合窗口人员, …); to staff the account.
        var actor: String
        /// The department a staff member acted for (the case's), so the applicant knows who handled it.
        var actorDepartment: String?
        var channel: String
        var reason: String?
    }

    struct Material: Content {
        /// The material's position in the item's list, from 1: the number in upload paths and
        /// in `MaterialReference.material`.
        var position: Int
        var name: String
        var required: Bool
        var heldByPlatform: Bool
        var deferrable: Bool
        var replacedByCommitment: Bool
        var files: [File]
    }

    struct File: Content {
        var id: UUID
        var sha256: String
        var size: Int
        var type: String
        var name: String
        var suppliedAt: Date
        var reused: Bool
        var afterAcceptance: Bool
        /// The licence identifier when the material was given from the wallet (免证办).
        var licence: String?
    }

    var id: UUID
    var number: String?
    var state: CaseState
    var stateName: String
    var item: Item
    var channel: String
    var deadline: String?
    var deadlineProvisional: Bool
    var urgency: CaseUrgency
    var form: [String: JSONValue]
    var materials: [Material]
    /// Required materials still missing, by name (the one-time correction notice lists them).
    var missingMaterials: [String]
    var deferredOutstanding: Bool
    var deferredDue: String?
    var commitmentSigned: Bool
    var commitmentCheckDue: String?
    var greenChannel: Bool
    var assisted: Bool
    var resultDocument: String?
    /// To staff only: the credit registry's warning about the applicant, and the reason recorded to proceed.
    var creditWarning: String?
    var creditReason: String?
    var allowedActions: [CaseAction]
    var timeline: [Step]
    var createdAt: Date
    var updatedAt: Date
}
