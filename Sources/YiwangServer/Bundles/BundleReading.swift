import Fluent
import Foundation
import SQLKit
import Vapor
import YiwangCore

/// Reading bundle applications (the applicant's one page, the lead window's list, a member
/// department's view of its own tasks) and giving their materials once for every task.
extension BundleService {
    struct ApplicationView: Content {
        struct Task: Content {
            var member: String
            var name: String
            var department: String
            var departmentName: String
            var status: ParallelTaskStatus
            var statusName: String
            var waitsFor: [String]
            var caseID: UUID?
            var caseNumber: String?
            var caseState: CaseState?
            var caseStateName: String?
            /// The task's own legal deadline (its case's).
            var deadline: String?
            var correction: String?
            var cancelReason: String?
            /// The viewer may open the task's case (its department's staff, or the applicant once it started).
            var mayOpen: Bool
        }

        typealias Material = BundleCatalog.GuideView.Material

        struct Holdup: Content {
            var member: String
            var name: String
            var department: String
            var departmentName: String
            var deadline: String
            var status: String
        }

        struct Event: Content {
            var at: Date
            var action: String
            var member: String?
            var detail: String?
        }

        var id: UUID
        var number: String?
        var bundle: String
        var bundleName: String
        var state: BundleApplicationState
        var stateName: String
        var channel: String
        var leadDepartment: String
        var leadDepartmentName: String
        /// The bundle's promise, beside the tasks' legal deadlines.
        var deadline: String?
        var outcome: BundleOutcome?
        var outcomeName: String?
        var form: [String: JSONValue]
        var tasks: [Task]
        /// Which department holds the bundle back (the running task nearest or furthest past its deadline).
        var holdup: Holdup?
        var correctionNotice: String?
        var materials: [Material]
        var allowedActions: [BundleApplicationAction]
        var timeline: [Event]
        /// For staff: the credit registry's warning about the applicant, answered with a reason at acceptance.
        var creditWarning: String?
        var creditReasonOnFile: Bool
        var createdAt: Date
        var updatedAt: Date
    }

    /// An application the actor may see: its applicant's side and the lead department see every
    /// task; a member department sees only its own tasks (and nothing of an application it has none in).
    func visible(_ id: UUID) async throws -> (BundleApplicationRecord, Tasks, whole: Bool) {
        guard let application = try await BundleApplicationRecord.find(id, on: db) else {
            throw DomainError.notFound("bundle.application_not_found", "未找到该“一件事”申请。")
        }
        let tasks = try await Tasks.load(application, on: db)
        if Policy.mayRead(ctx.actor, case: application.subject) { return (application, tasks, true) }
        // A member department sees the application once one of its tasks has started, never before.
        guard tasks.cases.values.contains(where: { $0.state != .draft && Policy.mayRead(ctx.actor, case: $0.subject) }) else {
            throw DomainError.notFound("bundle.application_not_found", "未找到该“一件事”申请。")
        }
        return (application, tasks, false)
    }

    func view(_ id: UUID) async throws -> ApplicationView {
        let (application, tasks, whole) = try await visible(id)
        return try await view(application, tasks: tasks, whole: whole)
    }

    func view(_ application: BundleApplicationRecord, tasks: Tasks, whole: Bool = true) async throws -> ApplicationView {
        let progress = try application.progress
        let calendar = try await ctx.calendar()
        let departments = try await DepartmentRecord.names(tasks.bundle.members.map(\.department) + [application.leadDepartment], on: db)
        let caseIDs = tasks.cases.values.compactMap(\.id)
        let files = try await CaseMaterialRecord.query(on: db).filter(\.$caseID ~~ caseIDs).all()
        let given = Set(files.map { "\($0.caseID.uuidString):\($0.materialIndex)" })
        let chosenOrder = tasks.bundle.members.map(\.code).filter { tasks.cases[$0] != nil }
        let shown = Set(chosenOrder.filter { member in
            guard let record = tasks.cases[member] else { return false }
            return whole || (record.state != .draft && Policy.mayRead(ctx.actor, case: record.subject))
        })
        let taskViews: [ApplicationView.Task] = chosenOrder.compactMap { member in
            guard let record = tasks.cases[member], shown.contains(member) else { return nil }
            let task = progress?.task(member)
            let status = task?.status ?? .waiting
            return ApplicationView.Task(
                member: member, name: record.itemName, department: record.departmentCode, departmentName: departments[record.departmentCode] ?? record.departmentCode,
                status: status, statusName: progress == nil ? "待一次受理" : status.chineseName, waitsFor: task?.waitsFor ?? [],
                caseID: record.state == .draft && !whole ? nil : record.id, caseNumber: record.number, caseState: record.state,
                caseStateName: record.state.chineseName, deadline: record.deadline,
                correction: task?.correction.map { $0.reason }, cancelReason: task?.cancelReason,
                mayOpen: record.state != .draft && Policy.mayRead(ctx.actor, case: record.subject))
        }
        let holdup = progress.flatMap {
            BundlePlan.holdingBack(Self.live($0, cases: tasks.cases), today: ctx.today, warnWithin: ctx.settings.deadlineWarningDays, calendar: calendar)
        }
        let events = try await BundleEventRecord.query(on: db).filter(\.$applicationID == application.requireID()).sort(\.$at).all()
        let mayAct = Policy.mayFile(ctx.actor, case: application.subject)
        let staffSide = if case .staff = ctx.actor { true } else { false }
        let mayAccept = Policy.allows(ctx.actor, .handleCaseAtWindow, on: application.owner)
        let allowed = BundleApplicationAction.allowed(in: application.state).filter { action in
            switch action {
            case .accept, .reject: mayAccept
            case .withdraw, .answerCorrection: mayAct
            }
        }
        return ApplicationView(
            id: try application.requireID(), number: application.number, bundle: application.bundleCode, bundleName: application.bundleName,
            state: application.state, stateName: application.state.chineseName, channel: application.channel, leadDepartment: application.leadDepartment,
            leadDepartmentName: departments[application.leadDepartment] ?? application.leadDepartment, deadline: application.deadline,
            outcome: progress?.outcome, outcomeName: progress?.outcome?.chineseName,
            form: whole ? ((try? JSONDecoder().decode([String: JSONValue].self, from: Data(application.formShown.utf8))) ?? [:]) : [:],
            tasks: taskViews,
            holdup: whole
                ? holdup.map {
                    ApplicationView.Holdup(
                        member: $0.member, name: $0.name, department: $0.department, departmentName: departments[$0.department] ?? $0.department,
                        deadline: $0.deadline.description, status: $0.status.rawValue)
                } : nil,
            correctionNotice: progress?.correctionNotice(only: whole ? nil : shown)?.text,
            materials: whole ? BundleCatalog.materialViews(tasks.materials).enumerated().map { index, material in
                let uses = tasks.materials[index].uses.filter { $0.producedBy == nil }
                var shown = material
                shown.supplied = !uses.isEmpty && uses.allSatisfy { use in
                    tasks.cases[use.member].flatMap(\.id).map { given.contains("\($0.uuidString):\(use.index)") } ?? false
                }
                // Offered for upload only while some task that asks it can still take it.
                shown.open = material.askedOfApplicant && uses.contains { use in tasks.cases[use.member].map(Self.takesMaterials) ?? false }
                return shown
            } : [],
            allowedActions: allowed,
            // A member department reads the steps of its own tasks only.
            timeline: events.filter { whole || $0.member.map(shown.contains) == true }.map {
                ApplicationView.Event(at: $0.at, action: $0.action, member: $0.member, detail: $0.detail)
            },
            creditWarning: whole && staffSide ? tasks.cases.values.compactMap(\.creditWarning).first : nil,
            creditReasonOnFile: tasks.cases.values.contains { $0.creditReason != nil },
            createdAt: application.createdAt, updatedAt: application.updatedAt)
    }

    /// The progress with each running task's clock as its case holds it (extensions and special
    /// procedures move the case's clock, not the bundle's copy).
    static func live(_ progress: BundleProgress, cases: [String: CaseRecord]) -> BundleProgress {
        var live = progress
        for (index, task) in progress.tasks.enumerated() {
            if let record = cases[task.member], let clock = record.clock { live.tasks[index].clock = clock }
        }
        return live
    }

    struct Listing: Content {
        struct Summary: Content {
            var id: UUID
            var number: String?
            var bundle: String
            var bundleName: String
            var state: BundleApplicationState
            var stateName: String
            var deadline: String?
            var createdAt: Date
        }

        var applications: [Summary]
        var total: Int
        var page: Int
        var per: Int
    }

    /// The applicant's own applications, or those the staff member's lead departments hold
    /// (waiting for acceptance first).
    func list(state: BundleApplicationState?, page: PageRequest) async throws -> Listing {
        let query = BundleApplicationRecord.query(on: db)
        if let state { query.filter(\.$stateRaw == state.rawValue) }
        switch ctx.actor {
        case .applicant(let applicant):
            try Policy.authorize(ctx.actor, .viewOwnCases, on: .applicant(applicant.principalID))
            query.filter(\.$applicantID == applicant.principalID).sort(\.$createdAt, .descending)
        default:
            try Policy.authorizeSomewhere(ctx.actor, .readCases)
            query.scoped(ctx.actor, .readCases, department: \.$leadDepartment, region: \.$regionCode).sort(\.$createdAt)
        }
        let total = try await query.count()
        let records = try await query.range(page.offset..<(page.offset + page.per)).all()
        return Listing(
            applications: try records.map {
                Listing.Summary(
                    id: try $0.requireID(), number: $0.number, bundle: $0.bundleCode, bundleName: $0.bundleName, state: $0.state, stateName: $0.state.chineseName,
                    deadline: $0.deadline, createdAt: $0.createdAt)
            }, total: total, page: page.page, per: page.per)
    }

    // MARK: Materials

    /// A task takes a bundle material while it waits to start, while it asks for a correction, or
    /// while its 容缺 materials are outstanding.
    static func takesMaterials(_ record: CaseRecord) -> Bool {
        [.draft, .correctionRequested].contains(record.state)
            || (record.deferredOutstanding && CaseVariants.acceptsMaterials(record.state, deferredOutstanding: true))
    }

    /// Gives one of the merged materials once: the file is stored once and attached to every
    /// task that asks for it (and may still take it), in one transaction.
    /// Answers the application as read for the upload (its tasks did not move), so the caller
    /// renders it without reading everything again.
    @discardableResult
    func supplyMaterial(_ id: UUID, position: Int, upload: [UInt8], fileName: String?) async throws -> (application: BundleApplicationRecord, tasks: Tasks) {
        let (application, tasks, whole) = try await visible(id)
        guard whole, Policy.mayFile(ctx.actor, case: application.subject) else {
            throw DomainError.forbidden("只有申请人或为其办理的窗口人员可以提交材料。")
        }
        guard position >= 1, position <= tasks.materials.count else {
            throw DomainError.invalid("material.index", "本一件事的材料序号应为1到\(tasks.materials.count)之间的整数。")
        }
        let material = tasks.materials[position - 1]
        guard material.askedOfApplicant else {
            throw DomainError.conflict("material.not_asked", "“\(material.requirement.name)”无需申请人提交：" + (material.note ?? "由平台获取。"))
        }
        let cases = CaseService(ctx)
        let ctx = self.ctx
        _ = try await cases.storing(upload, fileName: fileName, applicantID: application.applicantID) { stored in
            guard let stored else { throw DomainError.invalid("material.missing_file", "请选择要上传的文件。") }
            return try await ctx.write { tx in
                let service = CaseService(ctx)
                var attached = 0
                for use in material.uses where use.producedBy == nil {
                    guard let listed = tasks.cases[use.member], let caseID = listed.id, let guide = tasks.guides[use.member],
                        let record = try await CaseRecord.lean(caseID, on: tx), Self.takesMaterials(record)
                    else { continue }
                    _ = try await service.attach(
                        record, index: use.index, guide: guide, sha256: stored.sha256, size: stored.size, type: stored.type, fileName: stored.name,
                        reusedFrom: nil, on: tx)
                    attached += 1
                }
                guard attached > 0 else {
                    throw DomainError.conflict("material.case_locked", "一件事申请当前为“\(application.state.chineseName)”，该材料已不能再提交。")
                }
                return attached
            }
        }
        return (application, tasks)
    }
}
