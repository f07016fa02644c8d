import Fluent
import Foundation
import Vapor
import YiwangCore

/// `/api/v1/cases`: filing with an Idempotency-Key, reading, and transitions.
enum CaseAPIController {
    static func caseID(_ request: Request) throws -> UUID {
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("case.not_found", "未找到该办件。")
        }
        return id
    }

    @Sendable static func create(_ request: Request) async throws -> Response {
        let body = try request.content.decode(NewCaseRequest.self)
        let service = CaseService(try request.domain)
        let (record, created, guide) = try await service.create(body, idempotencyKey: request.headers.first(name: "Idempotency-Key"))
        let response = try await service.view(record, guide: guide).encodeResponse(status: created ? .created : .ok, for: request)
        response.headers.replaceOrAdd(name: .location, value: "/api/v1/cases/\(record.id!.uuidString)")
        return response
    }

    @Sendable static func list(_ request: Request) async throws -> CaseService.Listing {
        struct Query: Decodable {
            var state: String?
            var page: Int?
            var per: Int?
        }
        let query = try request.query.decode(Query.self)
        var state: CaseState?
        if let raw = query.state, !raw.isEmpty {
            guard let parsed = CaseState(rawValue: raw) else {
                throw DomainError.invalid("case.state", "state 应为办件状态之一：" + CaseState.allCases.map(\.rawValue).joined(separator: "、"))
            }
            state = parsed
        }
        let paging = try PageRequest(page: query.page, per: query.per, defaultPer: 20)
        return try await CaseService(try request.domain).list(state: state, page: paging)
    }

    @Sendable static func show(_ request: Request) async throws -> CaseView {
        let service = CaseService(try request.domain)
        return try await service.view(try await service.visibleCase(try caseID(request)))
    }

    @Sendable static func transition(_ request: Request) async throws -> CaseView {
        let body = try request.content.decode(TransitionRequest.self)
        let service = CaseService(try request.domain)
        let options = CaseService.TransitionOptions(greenChannel: body.greenChannel ?? false, resultDocument: body.resultDocument, creditReason: body.creditReason)
        let done = try await service.perform(body.action, reason: body.reason, on: try caseID(request), options: options)
        return try await service.view(done.record, guide: done.guide)
    }

    @Sendable static func extend(_ request: Request) async throws -> CaseView {
        let body = try request.content.decode(ExtensionRequest.self)
        let service = CaseService(try request.domain)
        return try await service.view(try await service.extendDeadline(try caseID(request), workingDays: body.workingDays, reason: body.reason))
    }

    @Sendable static func updateForm(_ request: Request) async throws -> CaseView {
        let body = try request.content.decode(FormUpdateRequest.self)
        let service = CaseService(try request.domain)
        return try await service.view(try await service.updateForm(try caseID(request), form: body.form))
    }

    /// The material's position from the path, from 1 (its index in the item's list is checked later).
    static func materialPosition(_ request: Request) throws -> Int {
        guard let position = request.parameters.get("index").flatMap(Int.init), position >= 1, position <= 1000 else {
            throw DomainError.invalid("material.index", "材料序号应为从1开始的整数。")
        }
        return position
    }

    /// `PUT /cases/{id}/materials/{n}`: the file itself as the body (any content type; the
    /// content decides), its name in `X-File-Name` (percent-encoded).
    @Sendable static func uploadMaterial(_ request: Request) async throws -> Response {
        let bytes = request.body.data.map { Array($0.readableBytesView) } ?? []
        let name = request.headers.first(name: "X-File-Name").map { $0.removingPercentEncoding ?? $0 }
        let service = CaseService(try request.domain)
        let file = try await service.supplyMaterial(try caseID(request), position: try materialPosition(request), upload: bytes, fileName: name, reuse: nil)
        return try await CaseService.fileView(file).encodeResponse(status: .created, for: request)
    }

    /// `POST /cases/{id}/materials`: reuse a file given in an earlier case (材料复用).
    @Sendable static func reuseMaterial(_ request: Request) async throws -> Response {
        let body = try request.content.decode(MaterialReference.self)
        let service = CaseService(try request.domain)
        let file = try await service.supplyMaterial(try caseID(request), position: body.material, upload: nil, fileName: nil, reuse: body.reuse)
        return try await CaseService.fileView(file).encodeResponse(status: .created, for: request)
    }

    /// `POST /cases/{id}/licence-materials`: a material given as a licence from the wallet.
    @Sendable static func licenceMaterial(_ request: Request) async throws -> Response {
        struct Body: Content {
            var material: Int
            var licence: String
        }
        let body = try request.content.decode(Body.self)
        let file = try await CaseService(try request.domain).supplyLicence(try caseID(request), position: body.material, identifier: body.licence)
        return try await CaseService.fileView(file).encodeResponse(status: .created, for: request)
    }

    /// `GET /cases/{id}/licence-offers`: the applicant's licences that may stand for its materials.
    @Sendable static func licenceOffers(_ request: Request) async throws -> [CaseService.LicenceOffer] {
        let service = CaseService(try request.domain)
        let record = try await service.visibleCase(try caseID(request))
        try Policy.authorize(service.actor, .receiveLicences, on: .applicant(record.applicantID))  // a 403 here, not an empty list
        return try await service.licenceOffers(record, guide: try await service.guide(of: record, on: service.db))
    }

    @Sendable static func downloadMaterial(_ request: Request) async throws -> Response {
        guard let fileID = request.parameters.get("file").flatMap(UUID.init(uuidString:)) else {
            throw DomainError.notFound("material.not_found", "未找到该材料。")
        }
        let (material, bytes) = try await CaseService(try request.domain).materialFile(try caseID(request), file: fileID)
        if material.licenceIdentifier != nil { return fileResponse(bytes, type: "application/json", name: material.fileName + ".json") }
        return fileResponse(bytes, type: material.type.mediaType, name: material.fileName)
    }

    /// A download that is never cached by a shared proxy and never rendered inline as a page.
    static func fileResponse(_ bytes: [UInt8], type: String, name: String) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: type)
        headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        // RFC 5987: only ASCII letters and digits stay as they are; everything else is %-encoded UTF-8.
        let encoded = name.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")) ?? "file"
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename*=UTF-8''\(encoded)")
        return Response(status: .ok, headers: headers, body: .init(data: Data(bytes)))
    }

    @Sendable static func reusableMaterials(_ request: Request) async throws -> [CaseView.File] {
        try await CaseService(try request.domain).reusableMaterials()
    }
}
