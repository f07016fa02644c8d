import Crypto
import Foundation

/// Authenticated encryption of personal data at rest (AES-256-GCM) with a rotatable key ring,
/// and a keyed blind index (HMAC-SHA256) to find a record by its exact value without decrypting.
///
/// Sealed text: `v1.<keyID>.<base64url(nonce | ciphertext | tag)>`; the key ID lets old rows be
/// read after rotation and re-sealed under the current key later.
public struct KeyRing: Sendable {
    public let currentKeyID: String
    let keys: [String: SymmetricKey]
    let currentKey: SymmetricKey
    let indexKey: SymmetricKey

    /// `keys`: ID → 32-byte key; `currentKeyID` seals new values; `indexKey` feeds the blind index.
    public init(keys: [String: [UInt8]], currentKeyID: String, indexKey: [UInt8]) throws(DomainError) {
        guard let current = keys[currentKeyID] else {
            throw .invalid("config.key_missing", "当前数据密钥 \(currentKeyID) 不在密钥列表中。")
        }
        for (id, key) in keys {
            guard key.count == 32 else { throw .invalid("config.key_length", "数据密钥 \(id) 应为32字节。") }
            // Sealed files carry the ID's length in one byte.
            guard !id.isEmpty, id.count <= 32, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw .invalid("config.key_id", "数据密钥编号只能包含字母和数字，最长32个字符。")
            }
        }
        currentKey = SymmetricKey(data: current)
        guard indexKey.count == 32 else { throw .invalid("config.key_length", "索引密钥应为32字节。") }
        self.currentKeyID = currentKeyID
        self.keys = keys.mapValues { SymmetricKey(data: $0) }
        self.indexKey = SymmetricKey(data: indexKey)
    }

    /// Parses `id1:base64,id2:base64` (the first is current) and a base64 index key.
    public init(configuration: String, indexKey: String) throws(DomainError) {
        var keys: [String: [UInt8]] = [:]
        var order: [String] = []
        for part in configuration.split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard pieces.count == 2, let data = Data(base64Encoded: pieces[1]) else {
                throw .invalid("config.key_format", "数据密钥应写成“编号:base64密钥”，多个以逗号分隔。")
            }
            guard keys[pieces[0]] == nil else {
                throw .invalid("config.key_duplicate", "数据密钥编号 \(pieces[0]) 重复出现。")
            }
            keys[pieces[0]] = Array(data)
            order.append(pieces[0])
        }
        guard let current = order.first else { throw .invalid("config.key_missing", "未配置数据密钥。") }
        guard let index = Data(base64Encoded: indexKey.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .invalid("config.key_format", "索引密钥应为base64编码。")
        }
        try self.init(keys: keys, currentKeyID: current, indexKey: Array(index))
    }

    public var keyIDs: [String] { keys.keys.sorted() }

    public func seal(_ plaintext: String) throws(DomainError) -> String {
        "v1.\(currentKeyID).\(Self.base64URL(Data(try sealed(Array(plaintext.utf8)))))"
    }

    /// Nonce, ciphertext and tag under the current key (the `combined` form of a 12-byte nonce).
    private func sealed(_ bytes: [UInt8]) throws(DomainError) -> [UInt8] {
        do {
            let box = try AES.GCM.seal(bytes, using: currentKey)
            return Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
        } catch {
            throw .conflict("privacy.seal_failed", "个人信息加密失败，请稍后重试。")
        }
    }

    public func open(_ sealed: String) throws(DomainError) -> String {
        let parts = sealed.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "v1", let key = keys[parts[1]], let data = Self.data(base64URL: parts[2]) else {
            throw .invalid("privacy.sealed_format", "加密数据格式不正确或密钥不可用。")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw .invalid("privacy.sealed_tampered", "加密数据无法解开：内容被改动或密钥不符。")
        }
    }

    /// Seals a file (a scanned material): `YWB1`, the key ID's length and bytes, then nonce,
    /// ciphertext and tag. Binary, so a 20 MB scan does not grow by a third in base64.
    public func seal(bytes: [UInt8]) throws(DomainError) -> [UInt8] {
        let id = Array(currentKeyID.utf8)
        return Array("YWB1".utf8) + [UInt8(truncatingIfNeeded: id.count)] + id + (try sealed(bytes))
    }

    public func open(bytes sealed: [UInt8]) throws(DomainError) -> [UInt8] {
        guard sealed.count > 5, sealed.starts(with: Array("YWB1".utf8)) else {
            throw .invalid("privacy.sealed_format", "加密文件格式不正确。")
        }
        let idLength = Int(sealed[4])
        guard sealed.count > 5 + idLength, let key = keys[String(decoding: sealed[5..<(5 + idLength)], as: UTF8.self)] else {
            throw .invalid("privacy.sealed_format", "加密文件的密钥不可用。")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: Data(sealed[(5 + idLength)...]))
            return Array(try AES.GCM.open(box, using: key))
        } catch {
            throw .invalid("privacy.sealed_tampered", "加密文件无法解开：内容被改动或密钥不符。")
        }
    }

    /// The key ID a sealed value was written under (to find rows still on an old key).
    public static func keyID(of sealed: String) -> String? {
        let parts = sealed.split(separator: ".", maxSplits: 2)
        return parts.count == 3 && parts[0] == "v1" ? String(parts[1]) : nil
    }

    /// A keyed, purpose-separated fingerprint of a normalised value: equal values, equal index.
    public func blindIndex(_ value: String, purpose: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array((purpose + "\u{1F}" + value).utf8), using: indexKey)
        return Self.base64URL(Data(code))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// A key for another purpose (the audit chain), derived from the index key so that operators
    /// keep one secret fewer; it changes only if the index key does.
    public func derivedKey(purpose: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(("yiwang-derived-key\u{1F}" + purpose).utf8), using: indexKey))
    }

    /// 32 random bytes for a new key.
    public static func newKey() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }
}
