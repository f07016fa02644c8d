import Foundation
import XCTest
import YiwangCore

final class PrivacyTests: XCTestCase {
    // MARK: Helpers

    private func errorCode<T>(_ body: () throws -> T) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? DomainError)?.code ?? "not a DomainError: \(error)"
        }
    }

    private func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// A copy of `sealed` with the character at `offset` of its payload (after `v1.<key>.`) replaced.
    private func tampered(_ sealed: String, payloadOffset offset: Int) -> String {
        let prefixLength = sealed.split(separator: ".", maxSplits: 2)[0...1].map(\.count).reduce(2, +)
        var characters = Array(sealed)
        let index = prefixLength + offset
        characters[index] = characters[index] == "A" ? "B" : "A"
        return String(characters)
    }

    /// Either refusal is acceptable for a damaged value; what matters is that it never opens.
    private func isRefusal(_ code: String?) -> Bool {
        code == "privacy.sealed_tampered" || code == "privacy.sealed_format"
    }

    // MARK: Sealing

    func testSealOpenRoundTrip() throws {
        let ring = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: KeyRing.newKey())
        for plaintext in ["张三 11010519491231002X 手机13812345678", "", "a", String(repeating: "长文本", count: 500)] {
            let sealed = try ring.seal(plaintext)
            XCTAssertTrue(sealed.hasPrefix("v1.k1."), sealed)
            XCTAssertFalse(sealed.contains("张三"))
            XCTAssertEqual(try ring.open(sealed), plaintext)
        }
    }

    func testSealingTheSameValueTwiceGivesDifferentText() throws {
        // A fresh nonce per seal: equal ciphertexts would reveal equal ID numbers across rows.
        let ring = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: KeyRing.newKey())
        let first = try ring.seal("11010519491231002X")
        let second = try ring.seal("11010519491231002X")
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(try ring.open(first), "11010519491231002X")
        XCTAssertEqual(try ring.open(second), "11010519491231002X")
    }

    func testNewKeysAreRandom32ByteKeys() {
        let a = KeyRing.newKey()
        let b = KeyRing.newKey()
        XCTAssertEqual(a.count, 32)
        XCTAssertEqual(b.count, 32)
        XCTAssertNotEqual(a, b)
    }

    func testChangingAnyCharacterOfTheSealedTextIsDetected() throws {
        let ring = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: KeyRing.newKey())
        let sealed = try ring.seal("张三的手机号码是13812345678")
        let payloadCount = sealed.count - "v1.k1.".count
        // Every position of nonce, ciphertext and tag; the last base64 character may carry padding
        // bits only, so it is left out.
        for offset in 0..<(payloadCount - 1) {
            let changed = tampered(sealed, payloadOffset: offset)
            XCTAssertNotEqual(changed, sealed)
            let code = errorCode { try ring.open(changed) }
            XCTAssertTrue(isRefusal(code), "offset \(offset): \(code ?? "opened")")
        }
        // A change in the middle of the ciphertext decodes fine and is caught by the GCM tag.
        XCTAssertEqual(errorCode { try ring.open(self.tampered(sealed, payloadOffset: 20)) }, "privacy.sealed_tampered")
    }

    func testMalformedSealedTextIsRejected() throws {
        let ring = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: KeyRing.newKey())
        let sealed = try ring.seal("13812345678")
        let payload = String(sealed.dropFirst("v1.k1.".count))
        XCTAssertEqual(errorCode { try ring.open("13812345678") }, "privacy.sealed_format")
        XCTAssertEqual(errorCode { try ring.open("") }, "privacy.sealed_format")
        XCTAssertEqual(errorCode { try ring.open("v2.k1." + payload) }, "privacy.sealed_format")
        XCTAssertEqual(errorCode { try ring.open("v1.k9." + payload) }, "privacy.sealed_format")
        XCTAssertEqual(errorCode { try ring.open("v1.k1.***") }, "privacy.sealed_format")
        // Too short to hold a nonce and a tag.
        XCTAssertEqual(errorCode { try ring.open("v1.k1.AAAA") }, "privacy.sealed_tampered")
        // Cut short: either undecodable or failing authentication, never opened.
        let cut = String(sealed.dropLast(6))
        XCTAssertTrue(isRefusal(errorCode { try ring.open(cut) }))
    }

    func testAKeyUnderTheSameIDButDifferentBytesCannotOpen() throws {
        let index = KeyRing.newKey()
        let ring = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: index)
        let impostor = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: index)
        XCTAssertEqual(errorCode { try impostor.open(ring.seal("张三")) }, "privacy.sealed_tampered")
    }

    // MARK: Rotation

    func testRotatedRingOpensOldValuesAndSealsUnderTheNewKey() throws {
        let k1 = KeyRing.newKey()
        let k2 = KeyRing.newKey()
        let index = KeyRing.newKey()
        let ringA = try KeyRing(keys: ["k1": k1], currentKeyID: "k1", indexKey: index)
        let old = try ringA.seal("旧密钥下的身份证号 11010519491231002X")
        XCTAssertEqual(KeyRing.keyID(of: old), "k1")

        let ringB = try KeyRing(keys: ["k2": k2, "k1": k1], currentKeyID: "k2", indexKey: index)
        XCTAssertEqual(ringB.currentKeyID, "k2")
        XCTAssertEqual(ringB.keyIDs, ["k1", "k2"])
        XCTAssertEqual(try ringB.open(old), "旧密钥下的身份证号 11010519491231002X")

        // Re-sealing moves a row onto the current key.
        let resealed = try ringB.seal(ringB.open(old))
        XCTAssertEqual(KeyRing.keyID(of: resealed), "k2")
        XCTAssertEqual(KeyRing.keyID(of: try ringB.seal("新数据")), "k2")
        XCTAssertEqual(try ringB.open(resealed), "旧密钥下的身份证号 11010519491231002X")

        // The old ring does not know k2; a ring that dropped k1 can no longer read old rows.
        XCTAssertThrowsError(try ringA.open(resealed))
        let ringC = try KeyRing(keys: ["k2": k2], currentKeyID: "k2", indexKey: index)
        XCTAssertThrowsError(try ringC.open(old)) { error in
            XCTAssertEqual((error as? DomainError)?.code, "privacy.sealed_format")
        }
        XCTAssertEqual(try ringC.open(resealed), "旧密钥下的身份证号 11010519491231002X")
    }

    func testKeyIDOfNonSealedTextIsNil() {
        XCTAssertNil(KeyRing.keyID(of: "13812345678"))
        XCTAssertNil(KeyRing.keyID(of: "v1.k1"))
    }

    // MARK: Blind index

    func testBlindIndexIsDeterministicAndSeparatedByPurposeAndKey() throws {
        let index = KeyRing.newKey()
        let ring = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: index)
        let id = "11010519491231002X"
        XCTAssertEqual(ring.blindIndex(id, purpose: "idNumber"), ring.blindIndex(id, purpose: "idNumber"))
        XCTAssertNotEqual(ring.blindIndex(id, purpose: "idNumber"), ring.blindIndex("110105194912310021", purpose: "idNumber"))
        // The same value indexed for two purposes cannot be joined across columns.
        XCTAssertNotEqual(ring.blindIndex("13812345678", purpose: "idNumber"), ring.blindIndex("13812345678", purpose: "phone"))
        // Another index key gives unrelated fingerprints.
        let otherIndex = try KeyRing(keys: ["k1": KeyRing.newKey()], currentKeyID: "k1", indexKey: KeyRing.newKey())
        XCTAssertNotEqual(ring.blindIndex(id, purpose: "idNumber"), otherIndex.blindIndex(id, purpose: "idNumber"))
        // Rotating data keys keeps the index key, so existing fingerprints still find their rows.
        let rotated = try KeyRing(keys: ["k2": KeyRing.newKey()], currentKeyID: "k2", indexKey: index)
        XCTAssertEqual(ring.blindIndex(id, purpose: "idNumber"), rotated.blindIndex(id, purpose: "idNumber"))
    }

    // MARK: Configuration

    func testConfigurationStringFirstKeyIsCurrent() throws {
        let k1 = KeyRing.newKey()
        let k2 = KeyRing.newKey()
        let index = KeyRing.newKey()
        let ring = try KeyRing(configuration: "k2:\(base64(k2)),k1:\(base64(k1))", indexKey: base64(index))
        XCTAssertEqual(ring.currentKeyID, "k2")
        XCTAssertEqual(ring.keyIDs, ["k1", "k2"])
        XCTAssertEqual(KeyRing.keyID(of: try ring.seal("x")), "k2")

        // It shares keys with a ring built from the same bytes.
        let direct = try KeyRing(keys: ["k1": k1], currentKeyID: "k1", indexKey: index)
        XCTAssertEqual(try ring.open(direct.seal("张三")), "张三")
        XCTAssertEqual(ring.blindIndex("张三", purpose: "name"), direct.blindIndex("张三", purpose: "name"))

        // Spaces around the parts are tolerated.
        let spaced = try KeyRing(configuration: " k1 : \(base64(k1)) , k2:\(base64(k2)) ", indexKey: " \(base64(index)) ")
        XCTAssertEqual(spaced.currentKeyID, "k1")
        XCTAssertEqual(try spaced.open(direct.seal("李四")), "李四")
    }

    func testConfigurationRejections() {
        let good = base64(KeyRing.newKey())
        let short = base64(Array(KeyRing.newKey().prefix(16)))
        let cases: [(configuration: String, indexKey: String, code: String)] = [
            ("k1:not-base64!!", good, "config.key_format"),
            ("k1", good, "config.key_format"),
            ("k1:", good, "config.key_format"),
            ("k1:\(short)", good, "config.key_length"),
            ("k2:\(good),k1:\(short)", good, "config.key_length"),
            ("", good, "config.key_missing"),
            (",", good, "config.key_missing"),
            ("k1:\(good)", "not-base64!!", "config.key_format"),
            ("k1:\(good)", short, "config.key_length"),
            ("k-1:\(good)", good, "config.key_id"),
        ]
        for item in cases {
            XCTAssertEqual(
                errorCode { try KeyRing(configuration: item.configuration, indexKey: item.indexKey) }, item.code,
                "\(item.configuration) / \(item.indexKey)")
        }
    }

    func testDirectInitialiserRejections() {
        let key = KeyRing.newKey()
        XCTAssertEqual(errorCode { try KeyRing(keys: ["k1": key], currentKeyID: "k2", indexKey: key) }, "config.key_missing")
        XCTAssertEqual(errorCode { try KeyRing(keys: ["k1": Array(key.prefix(31))], currentKeyID: "k1", indexKey: key) }, "config.key_length")
        XCTAssertEqual(errorCode { try KeyRing(keys: ["k1": key], currentKeyID: "k1", indexKey: []) }, "config.key_length")
        // A dot in a key ID would break the sealed-text format.
        XCTAssertEqual(errorCode { try KeyRing(keys: ["k.1": key], currentKeyID: "k.1", indexKey: key) }, "config.key_id")
    }
}
