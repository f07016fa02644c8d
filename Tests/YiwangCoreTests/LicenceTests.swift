import Foundation
import XCTest

@testable import YiwangCore

final class LicenceIdentifierTests: XCTestCase {
    /// The vectors of STANDARDS.md §4.1, from real licences.
    func testCheckCharacterMatchesRealLicences() throws {
        for identifier in [
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
            "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
            "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",
        ] {
            XCTAssertEqual(try LicenceIdentifier(identifier).description, identifier)
        }
    }

    func testWrongCheckCharacterIsRefused() {
        XCTAssertThrowsError(try LicenceIdentifier("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V")) {
            XCTAssertEqual(($0 as? DomainError)?.code, "licence.identifier_check")
        }
        XCTAssertThrowsError(try LicenceIdentifier("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.1.U"))
        XCTAssertThrowsError(try LicenceIdentifier("2.2.156.3005.2.x"))
        XCTAssertThrowsError(try LicenceIdentifier(""))
    }

    func testEverySingleCharacterChangeIsCaught() throws {
        let good = try LicenceIdentifier(typeCode: "11100000000013338W011", issuerCode: "11430000006122244L", serial: "2026000001", version: 1)
        let body = Array(good.typeCode + good.issuerCode + good.serial + good.versionText)
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for position in body.indices {
            for replacement in alphabet where replacement != body[position] {
                var changed = body
                changed[position] = replacement
                XCTAssertNotEqual(LicenceIdentifier.check(String(changed)), good.checkCharacter, "position \(position) → \(replacement)")
            }
        }
    }

    func testNextVersionKeepsTheSerial() throws {
        let first = try LicenceIdentifier(typeCode: "11100000000013338W011", issuerCode: "11430000006122244L", serial: "2026000001", version: 1)
        let second = try first.nextVersion()
        XCTAssertEqual(second.serial, first.serial)
        XCTAssertEqual(second.versionText, "002")
        XCTAssertEqual(try LicenceIdentifier(second.description), second)
    }
}

final class SealCryptoTests: XCTestCase {
    func testSignAndVerifyWithTheDefaultUserID() throws {
        let key = try SM2PrivateKey.generate()
        let message = Array("电子证照".utf8)
        let signature = try key.sign(message)
        // DER SEQUENCE { INTEGER r, INTEGER s }.
        XCTAssertEqual(signature.first, 0x30)
        XCTAssertTrue(try key.publicKey.verify(signature: signature, message: message))
        XCTAssertFalse(try key.publicKey.verify(signature: signature, message: message + [0]))
        XCTAssertFalse(try SM2PrivateKey.generate().publicKey.verify(signature: signature, message: message))
        XCTAssertFalse(try key.publicKey.verify(signature: [0x30, 0x00], message: message))
    }

    func testKeysSurvivePEM() throws {
        let key = try SM2PrivateKey.generate()
        let again = try SM2PrivateKey(pem: key.pem)
        XCTAssertEqual(try again.publicKey.keyID, try key.publicKey.keyID)
        XCTAssertEqual(try key.publicKey.keyID.count, 32)
        XCTAssertThrowsError(try SM2PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
        XCTAssertThrowsError(try SM2PublicKey(pem: "not a key"))
    }

    func testTheSM3DigestOfABC() {
        // GB/T 32905 example 1.
        XCTAssertEqual(
            NationalCrypto.sm3(Array("abc".utf8)).map { String(format: "%02x", $0) }.joined(),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    }

    func testRootIssuesASealCertificate() throws {
        let (root, rootKey) = try makeRoot()
        let sealKey = try SM2PrivateKey.generate()
        let seal = try SealCertificate.issue(
            CertificateRequest(
                subject: CertificateSubject(commonName: "贵阳市市场监督管理局电子印章", organization: "贵阳市市场监督管理局", creditCode: "11520100MB49540L81", locality: "贵阳市"),
                serial: [0x01, 0x02], notBefore: Date(timeIntervalSince1970: 1_790_000_000), notAfter: Date(timeIntervalSince1970: 1_900_000_000),
                isAuthority: false),
            for: try sealKey.publicKey, issuer: (root, rootKey))
        XCTAssertTrue(seal.isSigned(by: root))
        XCTAssertTrue(root.isSigned(by: root))
        XCTAssertFalse(root.isSigned(by: seal))
        XCTAssertTrue(seal.subjectLine.contains("11520100MB49540L81"), seal.subjectLine)
        XCTAssertTrue(seal.subjectLine.contains("贵阳市市场监督管理局"), seal.subjectLine)
        XCTAssertEqual(seal.serialHex, "0102")
        XCTAssertEqual(seal.creditCode, "11520100MB49540L81")
        XCTAssertNil(root.creditCode)
        XCTAssertEqual(seal.notAfter, Date(timeIntervalSince1970: 1_900_000_000))
        let read = try SealCertificate(pem: seal.pem)
        XCTAssertEqual(try read.publicKey.keyID, try sealKey.publicKey.keyID)
        XCTAssertTrue(read.isSigned(by: try SealCertificate(pem: root.pem)))
    }

    /// The stock `openssl` command checks our certificate chain and signature: anyone can.
    func testTheOpenSSLCommandLineVerifies() throws {
        let (root, rootKey) = try makeRoot()
        let sealKey = try SM2PrivateKey.generate()
        let seal = try SealCertificate.issue(
            CertificateRequest(
                subject: CertificateSubject(commonName: "测试印章", organization: "测试局", creditCode: "11520100MB49540L81"),
                serial: [0x05], notBefore: Date().addingTimeInterval(-60), notAfter: Date().addingTimeInterval(86_400), isAuthority: false),
            for: try sealKey.publicKey, issuer: (root, rootKey))
        let document = try LicenceDocument(
            identifier: "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U", typeCode: "11100000000013338W011",
            name: "建筑工程施工许可证", number: "520100202600001", holder: LicenceHolder(name: "贵阳云数科技有限公司", code: "91520100MA6H00001R"),
            issuerName: "测试局", issuerCode: "11520100MB49540L81", issuedOn: "2026-12-04", validFrom: "2026-12-04", validUntil: nil, previous: nil,
            face: [FaceEntry(key: "project", label: "项目名称", value: "观山湖\n一期")]
        ).sealed(with: sealKey, keyID: try sealKey.publicKey.keyID)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("licence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try root.pem.write(to: folder.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        try seal.pem.write(to: folder.appendingPathComponent("seal.pem"), atomically: true, encoding: .utf8)
        try Data(base64Encoded: document.canonical)?.write(to: folder.appendingPathComponent("licence.txt"))
        try Data(base64Encoded: document.signature)?.write(to: folder.appendingPathComponent("licence.sig"))
        guard let openssl = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("openssl is not installed")
        }
        func run(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = arguments
            process.currentDirectoryURL = folder
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self))
        }
        let chain = try run(["verify", "-CAfile", "root.pem", "-vfyopt", "distid:1234567812345678", "seal.pem"])
        XCTAssertEqual(chain.0, 0, chain.1)
        XCTAssertEqual(try run(["x509", "-in", "seal.pem", "-pubkey", "-noout", "-out", "seal.pub"]).0, 0)
        let verified = try run(["dgst", "-sm3", "-verify", "seal.pub", "-sigopt", "distid:1234567812345678", "-signature", "licence.sig", "licence.txt"])
        XCTAssertEqual(verified.0, 0, verified.1)
        XCTAssertTrue(verified.1.contains("Verified OK"))
        // One changed byte fails.
        var bytes = try Data(contentsOf: folder.appendingPathComponent("licence.txt"))
        bytes[bytes.count - 2] ^= 1
        try bytes.write(to: folder.appendingPathComponent("licence.txt"))
        XCTAssertNotEqual(try run(["dgst", "-sm3", "-verify", "seal.pub", "-sigopt", "distid:1234567812345678", "-signature", "licence.sig", "licence.txt"]).0, 0)
    }

    private func makeRoot() throws -> (SealCertificate, SM2PrivateKey) {
        let key = try SM2PrivateKey.generate()
        let root = try SealCertificate.issue(
            CertificateRequest(
                subject: CertificateSubject(commonName: "贵阳市电子印章根证书", organization: "贵阳市人民政府", locality: "贵阳市"), serial: [0x01],
                notBefore: Date().addingTimeInterval(-3600), notAfter: Date().addingTimeInterval(86_400 * 3650), isAuthority: true),
            for: try key.publicKey, issuer: nil, selfKey: key)
        return (root, key)
    }
}

final class LicenceDocumentTests: XCTestCase {
    let type = LicenceType(
        code: "11100000000013338W011", name: "建筑工程施工许可证", definedBy: "住房和城乡建设部", holderKind: .organisation,
        faceFields: [
            FaceField(key: "project", label: "项目名称", source: "form.projectName"), FaceField(key: "holder", label: "建设单位", source: "holder.name"),
            FaceField(key: "date", label: "发证日期", kind: .date, source: "decision.date"),
        ], validityYears: 5, issuedBy: ["000112001000"], acceptedAs: ["建筑工程施工许可证"])

    func document() throws -> LicenceDocument {
        let holder = LicenceHolder(name: "贵阳云数科技有限公司", code: "91520100MA6H00001R")
        let face = try LicenceRules.face(
            type, form: ["projectName": "观山湖一期"], holder: holder, decisionDate: try LocalDate("2026-12-04"), caseNumber: "1", issuerName: "局")
        return LicenceDocument(
            identifier: "1.2.156.3005.2.11100000000013338W011.11520100MB49540L81.2026000001.001.H", typeCode: type.code, name: type.name,
            number: "N1", holder: holder, issuerName: "局", issuerCode: "11520100MB49540L81", issuedOn: "2026-12-04", validFrom: "2026-12-04",
            validUntil: "2031-12-03", previous: nil, face: face)
    }

    func testCanonicalBytesAreExactlyAsDocumented() throws {
        var doc = try document()
        doc.face[0].value = "a\\b\nc"
        XCTAssertEqual(
            String(decoding: doc.canonicalBytes, as: UTF8.self),
            """
            YIWANG-LICENCE/1
            identifier=1.2.156.3005.2.11100000000013338W011.11520100MB49540L81.2026000001.001.H
            typeCode=11100000000013338W011
            name=建筑工程施工许可证
            number=N1
            holderName=贵阳云数科技有限公司
            holderCode=91520100MA6H00001R
            holderCodeType=统一社会信用代码
            issuerName=局
            issuerCode=11520100MB49540L81
            issuedOn=2026-12-04
            validFrom=2026-12-04
            validUntil=2031-12-03
            previous=
            face.project.label=项目名称
            face.project=a\\\\b\\nc
            face.holder.label=建设单位
            face.holder=贵阳云数科技有限公司
            face.date.label=发证日期
            face.date=2026-12-04

            """)
    }

    func testVerdicts() throws {
        let key = try SM2PrivateKey.generate()
        let sealed = try document().sealed(with: key, keyID: try key.publicKey.keyID)
        let today = try LocalDate("2027-01-01")
        let active = LicenceStanding(status: .active, validUntil: try LocalDate("2031-12-03"))
        let seal = SealFacts(
            key: try key.publicKey, owner: "11520100MB49540L81", notBefore: try LocalDate("2026-01-01"), notAfter: try LocalDate("2028-12-31"))
        func verdict(_ document: LicenceDocument, seal: SealFacts?, standing: LicenceStanding? = active, on day: LocalDate = today) -> LicenceVerdict {
            LicenceVerification.verdict(of: document, seal: seal, standing: standing, today: day)
        }
        XCTAssertEqual(verdict(sealed, seal: seal), .valid)
        var changed = sealed
        changed.face[0].value = "观山湖二期"
        XCTAssertEqual(verdict(changed, seal: seal), .tampered)
        changed.canonical = Data(changed.canonicalBytes).base64EncodedString()
        XCTAssertEqual(verdict(changed, seal: seal), .tampered)
        var relabelled = sealed
        relabelled.face[0].label = "建设地点"
        XCTAssertEqual(verdict(relabelled, seal: seal), .tampered)
        XCTAssertEqual(verdict(sealed, seal: nil), .unknownKey)
        // Signed by one department's seal, claiming another issuer (or the certificate names none).
        var other = seal
        other.owner = "115201000964725980"
        XCTAssertEqual(verdict(sealed, seal: other), .tampered)
        other.owner = nil
        XCTAssertEqual(verdict(sealed, seal: other), .tampered)
        // Issued on a day outside the seal certificate's life.
        var young = seal
        young.notBefore = try LocalDate("2026-12-05")
        XCTAssertEqual(verdict(sealed, seal: young), .tampered)
        var ended = seal
        ended.notAfter = try LocalDate("2026-12-03")
        XCTAssertEqual(verdict(sealed, seal: ended), .tampered)
        XCTAssertEqual(verdict(sealed, seal: seal, standing: LicenceStanding(status: .revoked, validUntil: nil)), .revoked)
        XCTAssertEqual(verdict(sealed, seal: seal, on: try LocalDate("2031-12-04")), .expired)
        XCTAssertEqual(verdict(sealed, seal: seal, standing: nil), .unknown)
        var revoked = seal
        revoked.revokedOn = try LocalDate("2026-12-01")
        XCTAssertEqual(verdict(sealed, seal: revoked), .revoked)
        revoked.revokedOn = try LocalDate("2026-12-05")
        XCTAssertEqual(verdict(sealed, seal: revoked), .valid)
    }

    /// A CR LF pair is one Character in Swift: each half is still escaped, so a value typed in a
    /// browser's textarea stays on one line and the recipe's rebuilt bytes agree.
    func testLineBreaksOfEveryKindAreEscaped() throws {
        var doc = try document()
        doc.face[0].value = "一\r\n二\r三\n四"
        let text = String(decoding: doc.canonicalBytes, as: UTF8.self)
        XCTAssertTrue(text.contains("face.project=一\\r\\n二\\r三\\n四\n"), text)
        XCTAssertFalse(text.unicodeScalars.contains("\r"))
        XCTAssertEqual(text.split(separator: "\n", omittingEmptySubsequences: false).count, 21)
    }

    func testRulesOfALicencesLife() throws {
        XCTAssertEqual(LicenceRules.validity(type, from: try LocalDate("2024-02-29")).until, try LocalDate("2029-02-27"))
        XCTAssertEqual(LicenceRules.validity(type, from: try LocalDate("2026-12-04")).until, try LocalDate("2031-12-03"))
        XCTAssertThrowsError(
            try LicenceRules.face(
                type, form: [:], holder: LicenceHolder(name: "x", code: "91520100MA6H00001R"), decisionDate: try LocalDate("2026-12-04"), caseNumber: "1",
                issuerName: "局"))
        XCTAssertThrowsError(try LicenceRules.checkRevocation(.active, reason: "  "))
        XCTAssertThrowsError(try LicenceRules.checkRevocation(.revoked, reason: "吊销"))
        XCTAssertEqual(try LicenceRules.checkRevocation(.active, reason: " 吊销 "), "吊销")
        let face = try document().face
        XCTAssertEqual(try LicenceRules.checkNewVersion(.active, current: face, changes: ["project": "二期"], type: type)[0].value, "二期")
        XCTAssertThrowsError(try LicenceRules.checkNewVersion(.active, current: face, changes: ["nope": "x"], type: type))
        XCTAssertThrowsError(try LicenceRules.checkNewVersion(.superseded, current: face, changes: [:], type: type))
        XCTAssertTrue(type.problems.isEmpty, type.problems.joined())
        var broken = type
        broken.code = "123"
        broken.faceFields.append(FaceField(key: "x", label: "X", source: "somewhere"))
        XCTAssertEqual(broken.problems.count, 2)
        XCTAssertEqual(LicenceHolder(name: "张明", code: "520102199003071236").codeType, "居民身份证")
    }
}
