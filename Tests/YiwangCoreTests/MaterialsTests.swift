import Foundation
import XCTest
import YiwangCore
import YiwangTestSupport

final class MaterialsTests: XCTestCase {
    // MARK: Helpers

    /// The refusal a call throws, or nil when it succeeds.
    private func refusal<T>(_ body: () throws -> T) -> DomainError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? DomainError
        }
    }

    /// The parts joined into one file (one call, so the type checker never meets a long `+` chain).
    private func concat(_ parts: [UInt8]...) -> [UInt8] { parts.flatMap { $0 } }

    private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A PNG: the signature, then the length and type of its IHDR chunk.
    private var png: [UInt8] { concat(pngSignature, [0x00, 0x00, 0x00, 0x0D], Array("IHDR".utf8), [0x00, 0x00, 0x01, 0x00]) }

    /// A JPEG/JFIF: SOI, APP0 marker, its length and the JFIF identifier.
    private var jpeg: [UInt8] { concat([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10], Array("JFIF".utf8), [0x00, 0x01, 0x01]) }

    /// An OFD package: a ZIP local file header whose entry is OFD.xml.
    private var ofd: [UInt8] {
        concat(
            Array("PK\u{3}\u{4}".utf8), [0x14, 0x00, 0x00, 0x00, 0x08, 0x00], Array(repeating: 0, count: 20), [0x07, 0x00, 0x00, 0x00],
            Array("OFD.xml".utf8), Array(repeating: 0x42, count: 64))
    }

    private var pdf: [UInt8] { Array("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".utf8) }

    // MARK: Content checks

    func testRealPDFPNGJPEGAndOFDFilesAreRecognisedByTheirContent() throws {
        let samples: [(bytes: [UInt8], type: MaterialFileType)] = [(pdf, .pdf), (png, .png), (jpeg, .jpeg), (ofd, .ofd)]
        for sample in samples {
            XCTAssertEqual(MaterialFile.sniff(sample.bytes), sample.type)
            XCTAssertEqual(try MaterialFile.check(sample.bytes), sample.type)
        }
        XCTAssertEqual(MaterialFileType.jpeg.fileExtension, "jpg")
        XCTAssertEqual(MaterialFileType.ofd.mediaType, "application/ofd")
        // A PDF with only whitespace after its trailer is still whole.
        XCTAssertEqual(MaterialFile.sniff(concat(pdf, Array("\r\n\n".utf8))), .pdf)
    }

    func testEmptyDisguisedAndTruncatedFilesAreRefusedWithAReasonInChinese() {
        let empty = refusal { try MaterialFile.check([UInt8]()) }
        XCTAssertEqual(empty?.code, "material.empty")
        XCTAssertEqual(empty?.kind, .invalid)

        let disguised: [String: [UInt8]] = [
            "HTML named scan.pdf": Array("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".utf8),
            "Windows program": concat(Array("MZ".utf8), [0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00], Array("This program cannot be run in DOS mode.".utf8)),
            "ZIP without OFD.xml": concat(Array("PK\u{3}\u{4}".utf8), [0x14, 0x00, 0x00, 0x00], Array("word/document.xml".utf8), Array(repeating: 0, count: 32)),
            "PDF without %%EOF (truncated)": Array("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".utf8),
            "PNG signature cut short": Array(pngSignature.prefix(6)),
            "plain text": Array("申请书".utf8),
        ]
        for (name, bytes) in disguised.sorted(by: { $0.key < $1.key }) {
            XCTAssertNil(MaterialFile.sniff(bytes), name)
            let error = refusal { try MaterialFile.check(bytes) }
            XCTAssertEqual(error?.code, "material.type", name)
            XCTAssertEqual(error?.kind, .invalid, name)
            XCTAssertTrue(error?.message.contains("PDF") ?? false, name)
        }
    }

    func testFilesOverTheLimitAreRefusedAsTooLargeAndTheLimitItselfIsAccepted() {
        let header = Array("%PDF-1.7\n".utf8)
        let trailer = Array("\n%%EOF\n".utf8)
        let exactly = concat(header, Array(repeating: 0x20, count: MaterialFile.maxBytes - header.count - trailer.count), trailer)
        XCTAssertEqual(exactly.count, MaterialFile.maxBytes)
        XCTAssertEqual(try MaterialFile.check(exactly), .pdf)

        let over = concat(header, Array(repeating: 0x20, count: MaterialFile.maxBytes - header.count - trailer.count + 1), trailer)
        XCTAssertEqual(over.count, MaterialFile.maxBytes + 1)
        let error = refusal { try MaterialFile.check(over) }
        XCTAssertEqual(error?.kind, .tooLarge)
        XCTAssertEqual(error?.code, "material.too_large")
        XCTAssertTrue(error?.message.contains("20 MB") ?? false, error?.message ?? "")
    }

    func testDisplayNamesLoseTheirPathsControlCharactersAndQuotes() {
        XCTAssertEqual(MaterialFile.displayName("C:\\Users\\张明\\Desktop\\申请书.pdf", type: .pdf), "申请书.pdf")
        XCTAssertEqual(MaterialFile.displayName("../../etc/passwd", type: .pdf), "passwd")
        XCTAssertEqual(MaterialFile.displayName("scan\u{0}\u{7}\r\n.pdf", type: .pdf), "scan.pdf")
        XCTAssertEqual(MaterialFile.displayName("invoice\u{202E}fdp.exe", type: .pdf), "invoicefdp.exe", "no right-to-left override")
        XCTAssertEqual(MaterialFile.displayName("报告\"; filename=\"evil.html", type: .pdf), "报告; filename=evil.html")
        XCTAssertEqual(MaterialFile.displayName("  申请书.pdf  ", type: .pdf), "申请书.pdf")
        XCTAssertEqual(MaterialFile.displayName(String(repeating: "长", count: 300) + ".pdf", type: .pdf).count, 120)
        // Nothing usable left: a name made from the type.
        XCTAssertEqual(MaterialFile.displayName(nil, type: .pdf), "材料.pdf")
        XCTAssertEqual(MaterialFile.displayName("", type: .png), "材料.png")
        XCTAssertEqual(MaterialFile.displayName("/", type: .jpeg), "材料.jpg")
        XCTAssertEqual(MaterialFile.displayName("\u{0}\u{1}  ", type: .ofd), "材料.ofd")
    }

    // MARK: The checklist at acceptance

    func testWithNothingSuppliedOnlyTheApplicationFormBlocksAcceptance() {
        let checklist = MaterialChecklist(guide: Fixtures.guide(), supplied: [], commitment: false)
        XCTAssertEqual(checklist.lines.map(\.index), [0, 1, 2])
        XCTAssertEqual(checklist.lines.map(\.heldByPlatform), [false, true, false], "the business licence is an 电子证照 the platform fetches")
        XCTAssertEqual(checklist.blocking.map(\.name), ["食品经营许可申请书"])
        XCTAssertEqual(checklist.missing.map(\.name), ["食品经营许可申请书", "食品安全管理制度"])
        XCTAssertEqual(checklist.missingNames, ["食品经营许可申请书", "食品安全管理制度"])
        XCTAssertEqual(checklist.deferrable.map(\.index), [2])
        let error = refusal { try checklist.checkAcceptable() }
        XCTAssertEqual(error?.code, "case.materials_missing")
        XCTAssertEqual(error?.kind, .conflict)
        XCTAssertTrue(error?.message.contains("“食品经营许可申请书”") ?? false, error?.message ?? "")
        XCTAssertFalse(error?.message.contains("营业执照") ?? true, "a material the platform holds is never asked for")
    }

    func testWithTheApplicationFormSuppliedTheCaseIsAcceptableWithOneDeferredMaterial() {
        let checklist = MaterialChecklist(guide: Fixtures.guide(), supplied: [0], commitment: false)
        XCTAssertEqual(checklist.blocking, [])
        XCTAssertEqual(checklist.deferrable.map(\.index), [2])
        XCTAssertEqual(checklist.missingNames, ["食品安全管理制度"], "the correction notice still names it")
        XCTAssertNil(refusal { try checklist.checkAcceptable() })

        let complete = MaterialChecklist(guide: Fixtures.guide(), supplied: [0, 2], commitment: false)
        XCTAssertEqual(complete.missing, [])
        XCTAssertEqual(complete.deferrable, [])
        XCTAssertEqual(complete.lines.map(\.supplied), [true, false, true])
    }

    func testWithoutDeferredAcceptanceTheDeferrableMaterialBlocksAndEveryBlockingNameIsGiven() {
        var guide = Fixtures.guide()
        guide.acceptWithDeferredMaterials = false
        let partial = MaterialChecklist(guide: guide, supplied: [0], commitment: false)
        XCTAssertEqual(partial.blocking.map(\.index), [2])
        XCTAssertEqual(partial.deferrable, [])

        let empty = MaterialChecklist(guide: guide, supplied: [], commitment: false)
        XCTAssertEqual(empty.blocking.map(\.name), ["食品经营许可申请书", "食品安全管理制度"])
        let error = refusal { try empty.checkAcceptable() }
        XCTAssertEqual(error?.code, "case.materials_missing")
        for name in ["食品经营许可申请书", "食品安全管理制度"] {
            XCTAssertTrue(error?.message.contains("“\(name)”") ?? false, "\(name) in \(error?.message ?? "")")
        }
    }

    func testASignedCommitmentReplacesOnlyTheMaterialsTheItemAllows() {
        var guide = Fixtures.guide()
        guide.commitmentBased = true
        guide.acceptWithDeferredMaterials = false
        guide.materials[2].commitmentReplaceable = true
        guide.materials.append(MaterialRequirement(name: "其他说明材料", required: false))

        let signed = MaterialChecklist(guide: guide, supplied: [0], commitment: true)
        XCTAssertEqual(signed.missing, [])
        XCTAssertEqual(signed.lines.map(\.replacedByCommitment), [false, false, true, false])
        XCTAssertNil(refusal { try signed.checkAcceptable() })

        let unsigned = MaterialChecklist(guide: guide, supplied: [0], commitment: false)
        XCTAssertEqual(unsigned.missingNames, ["食品安全管理制度"], "an optional material is never missing")
        XCTAssertEqual(unsigned.blocking.map(\.index), [2])
        XCTAssertEqual(unsigned.lines.map(\.replacedByCommitment), [false, false, false, false])

        // A commitment on an item outside 告知承诺制 replaces nothing.
        guide.commitmentBased = false
        let notApplicable = MaterialChecklist(guide: guide, supplied: [0], commitment: true)
        XCTAssertEqual(notApplicable.missingNames, ["食品安全管理制度"])
    }

    // MARK: Permissions and variants

    func testEachCaseActionNeedsOneOfItsPermissions() {
        XCTAssertEqual(PolicyAction.anyOf(.submit, filedAtWindow: true), [.applyForService, .handleCaseAtWindow])
        XCTAssertEqual(PolicyAction.anyOf(.submit, filedAtWindow: false), [.applyForService])
        XCTAssertEqual(PolicyAction.anyOf(.withdraw, filedAtWindow: true), [.applyForService, .handleCaseAtWindow])
        XCTAssertEqual(PolicyAction.anyOf(.withdraw, filedAtWindow: false), [.applyForService])
        XCTAssertEqual(PolicyAction.anyOf(.approve, filedAtWindow: false, onTheSpot: true), [.decideCase, .handleCaseAtWindow])
        XCTAssertEqual(PolicyAction.anyOf(.approve, filedAtWindow: true, onTheSpot: false), [.decideCase])
        XCTAssertEqual(PolicyAction.anyOf(.accept, filedAtWindow: true), [.handleCaseAtWindow])
        XCTAssertEqual(PolicyAction.anyOf(.deny, filedAtWindow: true, onTheSpot: true), [.decideCase], "only approval happens on the spot")
        XCTAssertEqual(PolicyAction.anyOf(.approveOnTimeout, filedAtWindow: false), [])
        XCTAssertEqual(PolicyAction.anyOf(.approveOnTimeout, filedAtWindow: true, onTheSpot: true), [])
        XCTAssertEqual(PolicyAction.anyOf(.archive, filedAtWindow: true), [])
    }

    func testMaterialsAreAcceptedBeforeAcceptanceAndAfterItOnlyWhileDeferredOnesAreOutstanding() {
        // state: [without deferred materials outstanding, with them]
        let table: [CaseState: [Bool]] = [
            .draft: [true, true], .submitted: [true, true], .preReview: [true, true], .correctionRequested: [true, true],
            .accepted: [false, true], .underReview: [false, true], .specialProcedure: [false, true],
            .notAccepted: [false, false], .approved: [false, false], .denied: [false, false], .certificateIssued: [false, false],
            .delivered: [false, false], .closed: [false, false], .archived: [false, false], .withdrawn: [false, false],
            .terminated: [false, false],
        ]
        XCTAssertEqual(table.count, CaseState.allCases.count)
        for state in CaseState.allCases {
            guard let expected = table[state] else {
                XCTFail("\(state) missing from the table")
                continue
            }
            XCTAssertEqual(CaseVariants.acceptsMaterials(state, deferredOutstanding: false), expected[0], "\(state) without deferred materials")
            XCTAssertEqual(CaseVariants.acceptsMaterials(state, deferredOutstanding: true), expected[1], "\(state) with deferred materials")
        }
    }

    // MARK: Sealed files

    private func ring() throws -> KeyRing {
        try KeyRing(keys: ["k1": Array(repeating: 1, count: 32)], currentKeyID: "k1", indexKey: Array(repeating: 2, count: 32))
    }

    func testSealedFilesOpenToTheSameBytesAndHideTheirContent() throws {
        let keys = try ring()
        let original = concat(pdf, Array(repeating: 0x41, count: 100))
        let sealed = try keys.seal(bytes: original)
        XCTAssertTrue(sealed.starts(with: Array("YWB1".utf8)))
        XCTAssertNil(sealed.firstRange(of: Array("%PDF".utf8)), "the content is not readable on disk")
        XCTAssertNotEqual(try keys.seal(bytes: original), sealed, "a fresh nonce every time")
        XCTAssertEqual(try keys.open(bytes: sealed), original)
        XCTAssertEqual(try keys.open(bytes: keys.seal(bytes: [])), [])
    }

    func testATamperedSealedFileNeverOpens() throws {
        let keys = try ring()
        let original = concat(pdf, Array(repeating: 0x41, count: 100))
        let sealed = try keys.seal(bytes: original)
        // "YWB1", the key ID's length (1 byte) and "k1": the nonce starts at 7, the ciphertext at 19.
        for offset in [7, 19, 40, sealed.count - 1] {
            var damaged = sealed
            damaged[offset] ^= 0xFF
            XCTAssertEqual(refusal { try keys.open(bytes: damaged) }?.code, "privacy.sealed_tampered", "byte \(offset)")
        }
        XCTAssertEqual(refusal { try keys.open(bytes: Array(sealed.dropLast(4))) }?.code, "privacy.sealed_tampered", "cut short")

        // Another key under the same ID cannot open it either.
        let other = try KeyRing(keys: ["k1": Array(repeating: 3, count: 32)], currentKeyID: "k1", indexKey: Array(repeating: 2, count: 32))
        XCTAssertEqual(refusal { try other.open(bytes: sealed) }?.code, "privacy.sealed_tampered")

        // Not a sealed file at all, or sealed under a key the ring does not hold.
        XCTAssertEqual(refusal { try keys.open(bytes: original) }?.code, "privacy.sealed_format")
        var unknownKey = sealed
        unknownKey[6] = UInt8(ascii: "9")
        XCTAssertEqual(refusal { try keys.open(bytes: unknownKey) }?.code, "privacy.sealed_format")
    }
}
