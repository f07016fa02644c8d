import Crypto
import Fluent
import Foundation
import Vapor
import YiwangCore

/// 免证办: a material an item asks for is given as a licence from the applicant's wallet
/// instead of a scan. The licence must be the case applicant's, valid today, and of a type that
/// stands for that material; the clerk sees it verified, and the holder's log records the use.
extension CaseService {
    /// A licence offered for a material of this case (what the applicant may pick).
    struct LicenceOffer: Content {
        var position: Int
        var identifier: String
        var label: String
    }

    /// The applicant's valid licences that stand for the case's materials not yet given: those
    /// they would upload, and those the platform fetches itself (电子证照调取), which the
    /// applicant confirms by picking the licence.
    func licenceOffers(_ record: CaseRecord, guide: ServiceGuide) async throws -> [LicenceOffer] {
        // Only those who may receive the applicant's licences see them (an agent needs that power).
        guard Policy.allows(actor, .receiveLicences, on: .applicant(record.applicantID)) else { return [] }
        let service = LicenceService(ctx)
        let given = Set(try await CaseMaterialRecord.query(on: db).filter(\.$caseID == record.id ?? UUID()).all(\.$materialIndex))
        var offers: [LicenceOffer] = []
        for (index, material) in guide.materials.enumerated() where !given.contains(index) {
            for licence in try await service.offers(for: material.name, holderID: record.applicantID) {
                offers.append(LicenceOffer(position: index + 1, identifier: licence.identifier, label: "\(licence.name)(编号 \(licence.number)，\(licence.issuerName))"))
            }
        }
        return offers
    }

    /// Gives the material at `position` as the licence named by `identifier`.
    func supplyLicence(_ id: UUID, position: Int, identifier raw: String) async throws -> CaseMaterialRecord {
        let identifier = try LicenceIdentifier(raw).description
        let service = self
        return try await ctx.write { tx in
            let (record, guide) = try await service.load(id, on: tx)
            let index = try await service.checkSupply(record, position: position, guide: guide, fromWallet: true, on: tx)
            try Policy.authorize(service.actor, .receiveLicences, on: .applicant(record.applicantID))
            // The same licence for the same material again changes nothing.
            if let earlier = try await CaseMaterialRecord.query(on: tx).filter(\.$caseID == id).filter(\.$materialIndex == index)
                .filter(\.$licenceIdentifier == identifier).first()
            {
                return earlier
            }
            let licences = LicenceService(service.ctx)
            guard let licence = try await LicenceRecord.query(on: tx).filter(\.$identifier == identifier).first(),
                licence.holderApplicantID == record.applicantID
            else { throw DomainError.notFound("licence.not_found", "您的证照夹中没有该电子证照。") }
            let materialName = guide.materials[index].name
            guard try await licences.offers(for: materialName, holderID: record.applicantID, on: tx).contains(where: { $0.identifier == identifier }) else {
                throw DomainError.conflict(
                    "licence.not_accepted", "该证照不能作为“\(materialName)”使用，或已不在有效期内。请上传材料，或选择其他证照。")
            }
            let document = try licence.document(service.keys)
            let bytes = document.canonicalBytes
            let material = try await service.attach(
                record, index: index, guide: guide, sha256: SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined(), size: bytes.count,
                type: .ofd, fileName: "电子证照：\(licence.name) \(licence.number)", reusedFrom: nil, licence: identifier, on: tx)
            try await LicenceUseRecord(
                licence, kind: .material, party: record.number.map { "办件 " + $0 } ?? record.itemName, caseID: record.id,
                purpose: "作为“\(materialName)”提交，免于上传", at: service.now
            ).create(on: tx)
            return material
        }
    }
}
