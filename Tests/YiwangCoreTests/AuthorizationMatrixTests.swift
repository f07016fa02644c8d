import XCTest
import YiwangCore

/// A resource the matrix asks about, named so the expected reach of each scope can be written out.
private struct NamedResource: Sendable {
    var name: String
    var owner: ResourceOwner
}

/// A grant scope and, written by hand, the names of the resources it reaches.
private struct NamedScope: Sendable {
    var name: String
    var scope: Scope
    var reaches: Set<String>
}

/// THE authorization matrix: every staff role × staff action × resource × grant scope against an
/// expected table written out independently of `Policy.roles`, plus the applicant rules and
/// who may hand out which roles.
final class AuthorizationMatrixTests: XCTestCase {
    // MARK: Fixtures

    // Region codes are 12 digits (RegionCode pads 6 and 9): a city and two of its districts.
    private static let city = "520100000000"
    private static let districtA = "520102000000"
    private static let districtB = "520103000000"

    private static let allRoles: [StaffRole] = [
        .windowClerk, .approver, .departmentAdministrator, .catalogAdministrator, .supervisor, .hotlineOperator,
        .systemAdministrator,
    ]

    /// Who may do each staff action (within their scope). Copied from the specification's intent;
    /// never derived from the code under test.
    private static let expected: [PolicyAction: Set<StaffRole>] = [
        // Public: every role, and anonymous visitors too (see `publicActions`).
        .readPublishedCatalog: [
            .windowClerk, .approver, .departmentAdministrator, .catalogAdministrator, .supervisor, .hotlineOperator,
            .systemAdministrator,
        ],
        .readDraftCatalog: [.catalogAdministrator, .departmentAdministrator, .supervisor, .systemAdministrator, .windowClerk, .approver],
        .editCatalog: [.catalogAdministrator, .departmentAdministrator],
        .reviewCatalog: [.catalogAdministrator],
        .publishCatalog: [.catalogAdministrator],
        .importCatalog: [.catalogAdministrator],
        .manageStaff: [.systemAdministrator, .departmentAdministrator],
        .viewAudit: [.supervisor, .systemAdministrator],
        .lookUpApplicants: [.windowClerk, .approver, .supervisor, .hotlineOperator],
        .revealPersonalData: [.windowClerk, .supervisor],
        .manageCalendar: [.systemAdministrator],
        .readCases: [.windowClerk, .approver, .departmentAdministrator, .supervisor, .hotlineOperator],
        // The scans themselves: not the hotline, not the department's administrator.
        .readCaseMaterials: [.windowClerk, .approver, .supervisor],
        .handleCaseAtWindow: [.windowClerk],
        .decideCase: [.approver],
        .manageNotifications: [.systemAdministrator],
        // Licences: those who meet them in cases look (logged for the holder); only approvers of
        // the issuing department revoke or renew; seals are the system administrators'.
        .readLicences: [.windowClerk, .approver, .supervisor],
        .manageLicences: [.approver],
        .manageSeals: [.systemAdministrator],
        // The whole log of registry reads: supervisors only.
        .viewDataUses: [.supervisor],
        // 好差评: the departments read their reviews masked; who gave one is for those who call
        // back (the department's administrator) and supervisors; appeals are decided outside the
        // department; the hotline writes down ratings said on the phone.
        .readReviews: [.windowClerk, .approver, .departmentAdministrator, .supervisor],
        .revealReviewer: [.departmentAdministrator, .supervisor],
        .handleBadReviews: [.approver, .departmentAdministrator],
        .decideReviewAppeals: [.supervisor],
        .recordPhoneReviews: [.hotlineOperator],
        .superviseService: [.supervisor],
    ]

    private static let publicActions: Set<PolicyAction> = [.readPublishedCatalog]

    private static let applicantActions: Set<PolicyAction> = [
        .manageOwnAccount, .manageAgents, .applyForService, .viewOwnCases, .payFees, .receiveLicences, .evaluateService,
    ]

    private static var staffActions: [PolicyAction] { PolicyAction.allCases.filter { !$0.isApplicantAction } }

    private static let inScope = ResourceOwner(departmentCreditCode: "DEPT-A", regionCode: districtA)

    private static let resources: [NamedResource] = [
        NamedResource(name: "inScope", owner: inScope),
        NamedResource(name: "otherDepartment", owner: ResourceOwner(departmentCreditCode: "DEPT-B", regionCode: districtA)),
        NamedResource(name: "otherRegion", owner: ResourceOwner(departmentCreditCode: "DEPT-A", regionCode: districtB)),
        NamedResource(name: "elsewhere", owner: ResourceOwner(departmentCreditCode: "DEPT-B", regionCode: districtB)),
        NamedResource(name: "global", owner: .global),
        NamedResource(name: "applicantRecord", owner: .applicant("A")),
    ]

    /// Whole-platform resources need an `.everywhere` grant; an applicant's own record (no
    /// department, no region) is city-wide, so any grant reaches it.
    private static let scopes: [NamedScope] = [
        NamedScope(
            name: "department", scope: Scope(departmentCreditCode: "DEPT-A"),
            reaches: ["inScope", "otherRegion", "applicantRecord"]),
        NamedScope(
            name: "district", scope: Scope(regionCode: districtA),
            reaches: ["inScope", "otherDepartment", "applicantRecord"]),
        NamedScope(
            name: "departmentInDistrict", scope: Scope(departmentCreditCode: "DEPT-A", regionCode: districtA),
            reaches: ["inScope", "applicantRecord"]),
        NamedScope(
            name: "city", scope: Scope(regionCode: city),
            reaches: ["inScope", "otherDepartment", "otherRegion", "elsewhere", "applicantRecord"]),
        NamedScope(
            name: "everywhere", scope: .everywhere,
            reaches: ["inScope", "otherDepartment", "otherRegion", "elsewhere", "global", "applicantRecord"]),
    ]

    private func staff(_ role: StaffRole, _ scope: Scope) -> Actor {
        .staff(account: "staff", grants: [Grant(role: role, scope: scope)])
    }

    private func applicant(
        _ id: String, _ kind: ApplicantKind = .person, actingFor company: String? = nil, powers: Set<AgentPower> = [],
        legalRepresentative: Bool = false
    ) -> Actor {
        let representation = company.map {
            ApplicantActor.Representation(companyID: $0, companyName: "X", powers: powers, isLegalRepresentative: legalRepresentative)
        }
        return .applicant(ApplicantActor(accountID: id, kind: kind, displayName: id, actingFor: representation))
    }

    /// The error `authorize` threw, nil when it allowed.
    private func refusal(_ body: () throws -> Void) -> DomainError? {
        do {
            try body()
            return nil
        } catch {
            return error as? DomainError ?? DomainError(.invalid, code: "not a DomainError", message: "\(error)")
        }
    }

    // MARK: The table itself

    func testExpectedTableCoversEveryStaffActionAndRole() {
        // Adding an action or a role must force this table (and so this review) to be updated.
        XCTAssertEqual(Set(Self.expected.keys), Set(Self.staffActions))
        XCTAssertEqual(Set(Self.allRoles), Set(StaffRole.allCases))
        XCTAssertEqual(Self.allRoles.count, StaffRole.allCases.count)
        XCTAssertEqual(Set(PolicyAction.allCases.filter(\.isApplicantAction)), Self.applicantActions)
        for action in Self.staffActions {
            XCTAssertEqual(Policy.roles(for: action), Self.expected[action], action.rawValue)
        }
    }

    func testScopeCoversAgreesWithTheHandWrittenReach() {
        for scope in Self.scopes {
            for resource in Self.resources where resource.owner.departmentCreditCode != nil {
                XCTAssertEqual(
                    scope.scope.covers(department: resource.owner.departmentCreditCode, region: resource.owner.regionCode),
                    scope.reaches.contains(resource.name), "\(scope.name) → \(resource.name)")
            }
        }
    }

    // MARK: Staff matrix

    func testEveryRoleActionResourceAndScope() {
        var checked = 0
        for role in Self.allRoles {
            for action in Self.staffActions {
                let roles = Self.expected[action] ?? []
                for scope in Self.scopes {
                    let actor = staff(role, scope.scope)
                    for resource in Self.resources {
                        // An applicant's own record is city-wide only for a (masked) look-up; anything
                        // more of it needs an unrestricted grant (or a case in scope: `mayReveal`).
                        let reaches = resource.name == "applicantRecord" && action != .lookUpApplicants
                            ? scope.scope == .everywhere : scope.reaches.contains(resource.name)
                        let want = Self.publicActions.contains(action) || (roles.contains(role) && reaches)
                        let context = "\(role.rawValue) with \(scope.name) grant, \(action.rawValue) on \(resource.name)"
                        XCTAssertEqual(Policy.allows(actor, action, on: resource.owner), want, context)
                        // authorize agrees with allows, and a signed-in refusal is forbidden, not unauthenticated.
                        let error = refusal { try Policy.authorize(actor, action, on: resource.owner) }
                        let expectedKind: DomainError.Kind? = want ? nil : .forbidden
                        XCTAssertEqual(error?.kind, expectedKind, context)
                        checked += 1
                    }
                }
            }
        }
        // The matrix cannot silently shrink: 7 roles × 26 actions × 5 scopes × 6 resources.
        XCTAssertEqual(checked, Self.allRoles.count * Self.staffActions.count * Self.scopes.count * Self.resources.count)
        XCTAssertEqual(checked, 7 * 26 * 5 * 6)
    }

    func testRevealReachesApplicantsWithACaseInScopeOnly() {
        let clerk = staff(.windowClerk, Scope(departmentCreditCode: "DEPT-A"))
        XCTAssertFalse(Policy.mayReveal(clerk, applicantID: "A", casesHandledBy: []), "no case with the department: no reveal")
        XCTAssertFalse(
            Policy.mayReveal(clerk, applicantID: "A", casesHandledBy: [ResourceOwner(departmentCreditCode: "DEPT-B", regionCode: Self.districtA)]))
        XCTAssertTrue(Policy.mayReveal(clerk, applicantID: "A", casesHandledBy: [Self.inScope]))
        XCTAssertTrue(Policy.mayReveal(staff(.supervisor, .everywhere), applicantID: "A", casesHandledBy: []))
        XCTAssertFalse(Policy.mayReveal(staff(.hotlineOperator, .everywhere), applicantID: "A", casesHandledBy: [Self.inScope]))
        XCTAssertTrue(Policy.allows(clerk, .lookUpApplicants, on: .applicant("A")), "finding a walk-in applicant (masked) stays city-wide")
    }

    func testAnyOfSeveralGrantsSuffices() {
        let actor = Actor.staff(
            account: "two-hats",
            grants: [
                Grant(role: .hotlineOperator, scope: .everywhere),
                Grant(role: .windowClerk, scope: Scope(departmentCreditCode: "DEPT-B")),
            ])
        let otherDepartment = ResourceOwner(departmentCreditCode: "DEPT-B", regionCode: Self.districtA)
        XCTAssertTrue(Policy.allows(actor, .revealPersonalData, on: otherDepartment))
        XCTAssertFalse(Policy.allows(actor, .revealPersonalData, on: Self.inScope))
        XCTAssertTrue(Policy.allows(actor, .lookUpApplicants, on: Self.inScope))
    }

    func testStaffWithoutGrantsAndApplicantsGetOnlyPublicActions() {
        let nobody = Actor.staff(account: "new", grants: [])
        let person = applicant("P")
        for action in Self.staffActions {
            for resource in Self.resources {
                let want = Self.publicActions.contains(action)
                XCTAssertEqual(Policy.allows(nobody, action, on: resource.owner), want, "\(action) \(resource.name)")
                XCTAssertEqual(Policy.allows(person, action, on: resource.owner), want, "\(action) \(resource.name)")
            }
        }
        XCTAssertEqual(refusal { try Policy.authorize(person, .lookUpApplicants, on: .applicant("P")) }?.kind, .forbidden)
    }

    // MARK: Anonymous

    func testAnonymousIsRefusedEverythingNonPublic() {
        for action in PolicyAction.allCases {
            for resource in Self.resources {
                XCTAssertEqual(Policy.allows(.anonymous, action, on: resource.owner), Self.publicActions.contains(action), "\(action) \(resource.name)")
            }
            let error = refusal { try Policy.authorize(.anonymous, action) }
            if Self.publicActions.contains(action) {
                XCTAssertNil(error, action.rawValue)
            } else {
                // Asking to sign in, not "forbidden": the visitor may well be allowed once signed in.
                XCTAssertEqual(error?.kind, .unauthenticated, action.rawValue)
                XCTAssertEqual(error?.code, "access.unauthenticated", action.rawValue)
            }
        }
    }

    func testStaffRefusalIsForbidden() {
        let clerk = staff(.windowClerk, Scope(departmentCreditCode: "DEPT-A"))
        let error = refusal { try Policy.authorize(clerk, .publishCatalog, on: Self.inScope) }
        XCTAssertEqual(error?.kind, .forbidden)
        XCTAssertEqual(error?.code, "access.forbidden")
        XCTAssertNil(refusal { try Policy.authorize(clerk, .revealPersonalData, on: Self.inScope) })
    }

    // MARK: Applicants

    func testPersonActsOnlyOnTheirOwnAffairs() {
        let person = applicant("P")
        let own: [PolicyAction] = [.manageOwnAccount, .applyForService, .viewOwnCases, .payFees, .receiveLicences]
        for action in own {
            XCTAssertTrue(Policy.allows(person, action, on: .applicant("P")), action.rawValue)
            XCTAssertFalse(Policy.allows(person, action, on: .applicant("Q")), action.rawValue)
            XCTAssertFalse(Policy.allows(person, action, on: .global), action.rawValue)
            XCTAssertFalse(Policy.allows(person, action, on: Self.inScope), action.rawValue)
            XCTAssertEqual(refusal { try Policy.authorize(person, action, on: .applicant("Q")) }?.kind, .forbidden, action.rawValue)
        }
        // A case handled by a department still belongs to its applicant.
        let ownCase = ResourceOwner(departmentCreditCode: "DEPT-A", regionCode: Self.districtA, applicantID: "P")
        XCTAssertTrue(Policy.allows(person, .viewOwnCases, on: ownCase))
        // A natural person has no agents to manage.
        XCTAssertFalse(Policy.allows(person, .manageAgents, on: .applicant("P")))
    }

    func testCompanyAccountManagesItsAgents() {
        let company = applicant("C", .company)
        XCTAssertTrue(Policy.allows(company, .manageAgents, on: .applicant("C")))
        XCTAssertFalse(Policy.allows(company, .manageAgents, on: .applicant("D")))
        for action in [PolicyAction.manageOwnAccount, .applyForService, .viewOwnCases, .payFees, .receiveLicences] {
            XCTAssertTrue(Policy.allows(company, action, on: .applicant("C")), action.rawValue)
        }
    }

    func testAgentActsForTheCompanyOnlyWithinTheGrantedPowers() {
        let agent = applicant("P", actingFor: "C", powers: [.viewCases])
        XCTAssertTrue(Policy.allows(agent, .viewOwnCases, on: .applicant("C")))
        for action in [PolicyAction.applyForService, .payFees, .receiveLicences, .manageAgents, .manageOwnAccount] {
            XCTAssertFalse(Policy.allows(agent, action, on: .applicant("C")), action.rawValue)
        }
        // While acting for C, the agent's own record is out of reach (switch back to act for yourself).
        for action in Self.applicantActions {
            XCTAssertFalse(Policy.allows(agent, action, on: .applicant("P")), action.rawValue)
        }
    }

    func testEachAgentPowerOpensExactlyItsAction() {
        // Following a case includes rating it (好差评); every other power opens one action.
        let opens: [AgentPower: Set<PolicyAction>] = [
            .apply: [.applyForService], .viewCases: [.viewOwnCases, .evaluateService], .pay: [.payFees], .receiveLicences: [.receiveLicences],
        ]
        XCTAssertEqual(Set(opens.keys), Set(AgentPower.allCases))
        for (power, opened) in opens {
            let agent = applicant("P", actingFor: "C", powers: [power])
            for action in Self.applicantActions {
                XCTAssertEqual(Policy.allows(agent, action, on: .applicant("C")), opened.contains(action), "\(power) → \(action)")
            }
        }
    }

    func testLegalRepresentativeMayManageAgents() {
        let representative = applicant("P", actingFor: "C", legalRepresentative: true)
        XCTAssertTrue(Policy.allows(representative, .manageAgents, on: .applicant("C")))
        for action in [PolicyAction.applyForService, .viewOwnCases, .payFees, .receiveLicences] {
            XCTAssertTrue(Policy.allows(representative, action, on: .applicant("C")), action.rawValue)
        }
        XCTAssertFalse(Policy.allows(representative, .manageOwnAccount, on: .applicant("C")))
        XCTAssertFalse(Policy.allows(representative, .manageAgents, on: .applicant("D")))
        // An agent holding every power is still an agent: it may not hand the company's powers on.
        let everyPower = applicant("P", actingFor: "C", powers: Set(AgentPower.allCases))
        XCTAssertFalse(Policy.allows(everyPower, .manageAgents, on: .applicant("C")))
        XCTAssertTrue(Policy.allows(everyPower, .payFees, on: .applicant("C")))
    }

    func testStaffAndAnonymousAreRefusedEveryApplicantAction() {
        let owners: [ResourceOwner] = [
            .applicant("A"), .global, Self.inScope,
            ResourceOwner(departmentCreditCode: "DEPT-A", regionCode: Self.districtA, applicantID: "A"),
        ]
        for action in Self.applicantActions {
            for owner in owners {
                XCTAssertFalse(Policy.allows(.anonymous, action, on: owner), "anonymous \(action)")
                for role in Self.allRoles {
                    XCTAssertFalse(Policy.allows(staff(role, .everywhere), action, on: owner), "\(role) \(action)")
                }
            }
            XCTAssertEqual(refusal { try Policy.authorize(.anonymous, action, on: .applicant("A")) }?.kind, .unauthenticated)
            XCTAssertEqual(refusal { try Policy.authorize(staff(.systemAdministrator, .everywhere), action, on: .applicant("A")) }?.kind, .forbidden)
        }
    }

    // MARK: Granting and managing staff

    private static let grantScopes: [Scope] = [
        .everywhere,
        Scope(departmentCreditCode: "DEPT-A"),
        Scope(departmentCreditCode: "DEPT-B"),
        Scope(regionCode: districtA),
        Scope(regionCode: city),
        Scope(departmentCreditCode: "DEPT-A", regionCode: districtA),
        Scope(departmentCreditCode: "DEPT-A", regionCode: city),
        Scope(departmentCreditCode: "DEPT-B", regionCode: districtA),
    ]

    func testSystemAdministratorEverywhereMayGrantAnyRoleAnywhere() {
        let root = staff(.systemAdministrator, .everywhere)
        for role in Self.allRoles {
            for scope in Self.grantScopes {
                XCTAssertTrue(Policy.mayGrant(root, Grant(role: role, scope: scope)), "\(role) \(scope)")
            }
        }
    }

    func testDepartmentAdministratorGrantsClerksAndApproversInTheirDepartmentOnly() {
        let admin = staff(.departmentAdministrator, Scope(departmentCreditCode: "DEPT-A"))
        let grantable: Set<StaffRole> = [.windowClerk, .approver]
        let withinDepartmentA: Set<Scope> = [
            Scope(departmentCreditCode: "DEPT-A"),
            Scope(departmentCreditCode: "DEPT-A", regionCode: Self.districtA),
            Scope(departmentCreditCode: "DEPT-A", regionCode: Self.city),
        ]
        for role in Self.allRoles {
            for scope in Self.grantScopes {
                let want = grantable.contains(role) && withinDepartmentA.contains(scope)
                XCTAssertEqual(Policy.mayGrant(admin, Grant(role: role, scope: scope)), want, "\(role) \(scope)")
            }
        }
    }

    func testScopedSystemAdministratorGrantsOnlyWithinTheirScope() {
        let admin = staff(.systemAdministrator, Scope(departmentCreditCode: "DEPT-A"))
        XCTAssertTrue(Policy.mayGrant(admin, Grant(role: .catalogAdministrator, scope: Scope(departmentCreditCode: "DEPT-A"))))
        XCTAssertFalse(Policy.mayGrant(admin, Grant(role: .catalogAdministrator, scope: Scope(departmentCreditCode: "DEPT-B"))))
        XCTAssertFalse(Policy.mayGrant(admin, Grant(role: .systemAdministrator, scope: .everywhere)))
    }

    func testOtherRolesMayGrantNothing() {
        let others: [StaffRole] = [.windowClerk, .approver, .catalogAdministrator, .supervisor, .hotlineOperator]
        XCTAssertEqual(Set(others).union([.systemAdministrator, .departmentAdministrator]), Set(StaffRole.allCases))
        for manager in others {
            for role in Self.allRoles {
                for scope in Self.grantScopes {
                    XCTAssertFalse(Policy.mayGrant(staff(manager, .everywhere), Grant(role: role, scope: scope)), "\(manager) \(role)")
                }
            }
        }
        XCTAssertFalse(Policy.mayGrant(.anonymous, Grant(role: .windowClerk, scope: .everywhere)))
        XCTAssertFalse(Policy.mayGrant(applicant("P"), Grant(role: .windowClerk, scope: .everywhere)))
    }

    func testDepartmentAdministratorCannotManageAnAccountHoldingHigherGrants() {
        let admin = staff(.departmentAdministrator, Scope(departmentCreditCode: "DEPT-A"))
        let clerkA = Grant(role: .windowClerk, scope: Scope(departmentCreditCode: "DEPT-A"))
        let approverA = Grant(role: .approver, scope: Scope(departmentCreditCode: "DEPT-A", regionCode: Self.districtA))
        XCTAssertTrue(Policy.mayManage(admin, accountGrants: [clerkA]))
        XCTAssertTrue(Policy.mayManage(admin, accountGrants: [clerkA, approverA]))
        XCTAssertFalse(Policy.mayManage(admin, accountGrants: [clerkA, Grant(role: .systemAdministrator, scope: .everywhere)]))
        XCTAssertFalse(Policy.mayManage(admin, accountGrants: [Grant(role: .systemAdministrator, scope: Scope(departmentCreditCode: "DEPT-A"))]))
        XCTAssertFalse(Policy.mayManage(admin, accountGrants: [Grant(role: .departmentAdministrator, scope: Scope(departmentCreditCode: "DEPT-A"))]))
        XCTAssertFalse(Policy.mayManage(admin, accountGrants: [Grant(role: .windowClerk, scope: Scope(departmentCreditCode: "DEPT-B"))]))
        // An account with no grants belongs to no department: only a platform-wide administrator manages it.
        XCTAssertFalse(Policy.mayManage(admin, accountGrants: []))

        let root = staff(.systemAdministrator, .everywhere)
        XCTAssertTrue(Policy.mayManage(root, accountGrants: []))
        XCTAssertTrue(Policy.mayManage(root, accountGrants: [Grant(role: .systemAdministrator, scope: .everywhere)]))
        XCTAssertTrue(Policy.mayManage(root, accountGrants: [clerkA, Grant(role: .departmentAdministrator, scope: Scope(departmentCreditCode: "DEPT-B"))]))
        XCTAssertFalse(Policy.mayManage(.anonymous, accountGrants: [clerkA]))
        XCTAssertFalse(Policy.mayManage(.anonymous, accountGrants: []))
    }

    // MARK: Scope.isWithin

    func testScopeIsWithin() {
        let a = Scope(departmentCreditCode: "DEPT-A")
        let b = Scope(departmentCreditCode: "DEPT-B")
        let aInDistrict = Scope(departmentCreditCode: "DEPT-A", regionCode: Self.districtA)
        let aInCity = Scope(departmentCreditCode: "DEPT-A", regionCode: Self.city)
        let district = Scope(regionCode: Self.districtA)
        let otherDistrict = Scope(regionCode: Self.districtB)
        let cityScope = Scope(regionCode: Self.city)

        let cases: [(inner: Scope, outer: Scope, within: Bool, why: String)] = [
            (a, .everywhere, true, "everything is within everywhere"),
            (.everywhere, a, false, "everywhere is wider than a department"),
            (aInDistrict, a, true, "narrowing a department to a district"),
            (a, aInDistrict, false, "a department everywhere is wider than in one district"),
            (aInDistrict, aInCity, true, "the district lies in the city"),
            (aInCity, aInDistrict, false, "the city is wider than the district"),
            (district, cityScope, true, "district inside city"),
            (cityScope, district, false, "city is not inside a district"),
            (otherDistrict, district, false, "sibling districts"),
            (b, a, false, "another department"),
            (aInDistrict, cityScope, true, "a department's district inside the city"),
            (district, a, false, "a region grant is not limited to the department"),
            (Scope(regionCode: "520102"), cityScope, true, "six-digit codes are padded"),
            (Scope(regionCode: "not-a-code"), cityScope, false, "an invalid region is never within"),
            (district, Scope(regionCode: "not-a-code"), false, "nor is anything within an invalid region"),
        ]
        for item in cases {
            XCTAssertEqual(item.inner.isWithin(item.outer), item.within, item.why)
        }
        for scope in [Scope.everywhere, a, b, aInDistrict, aInCity, district, otherDistrict, cityScope] {
            XCTAssertTrue(scope.isWithin(scope), "\(scope) within itself")
        }
    }
}
