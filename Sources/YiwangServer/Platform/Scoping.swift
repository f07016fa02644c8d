import Fluent
import SQLKit
import YiwangCore

/// Every list read by staff is narrowed here to what the actor's grants for the action reach
/// (a department, a region's subtree, or both); an unrestricted grant reads everything.
extension QueryBuilder {
    @discardableResult
    func scoped(
        _ actor: Actor, _ action: PolicyAction, department: KeyPath<Model, FieldProperty<Model, String>>,
        region: KeyPath<Model, FieldProperty<Model, String>>
    ) -> Self {
        guard let scopes = Policy.scopes(for: actor, action) else { return self }
        return group(.or) { group in
            // No grant at all matches nothing (an empty OR group would match everything).
            if scopes.isEmpty { group.filter(.sql(unsafeRaw: "1 = 0")) }
            for scope in scopes {
                group.group(.and) { inner in
                    if let code = scope.departmentCreditCode { inner.filter(department == code) }
                    if let raw = scope.regionCode, let code = try? RegionCode(raw) { inner.filter(region =~ code.subtreePrefix) }
                }
            }
        }
    }
}

extension SQLSelectBuilder {
    /// The same narrowing for aggregate reads written in SQL.
    func scoped(_ scopes: [Scope]?, department: String = "department_code", region: String = "region_code") -> Self {
        guard let scopes else { return self }
        if scopes.isEmpty { return self.where(SQLLiteral.boolean(false)) }
        return self.where { group in
            var group = group
            for scope in scopes {
                group = group.orWhere { inner in
                    var inner = inner
                    if let code = scope.departmentCreditCode { inner = inner.where(SQLColumn(department), .equal, SQLBind(code)) }
                    if let raw = scope.regionCode, let code = try? RegionCode(raw) {
                        inner = inner.where(SQLColumn(region), .like, SQLBind(code.subtreePrefix + "%"))
                    }
                    if scope.departmentCreditCode == nil && scope.regionCode == nil { inner = inner.where(SQLLiteral.boolean(true)) }
                    return inner
                }
            }
            return group
        }
    }
}
