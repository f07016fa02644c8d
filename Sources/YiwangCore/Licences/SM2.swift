import COpenSSL
import Foundation

/// SM2 signatures with SM3 and X.509 seal certificates, through the system OpenSSL 3.
///
/// Every signature is SM2-with-SM3 over the message with the default user ID of GB/T 35276
/// (`1234567812345678`, set explicitly: OpenSSL's own default is empty and Chinese verifiers
/// would refuse such signatures), encoded as DER `SEQUENCE { r INTEGER, s INTEGER }`.
public enum NationalCrypto {
    public static let userID = "1234567812345678"

    /// SM3 digest (GB/T 32905) of the bytes.
    public static func sm3(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = bytes.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sm3(), nil)
        }
        return done == 1 ? Array(digest.prefix(Int(length))) : []
    }

    /// Reads the oldest OpenSSL error, clears the queue, and names it for logs and messages.
    static func failure(_ code: String, _ message: String) -> DomainError {
        var detail = ""
        let error = ERR_get_error()
        if error != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(error, &buffer, buffer.count)
            detail = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        ERR_clear_error()
        return .conflict(code, detail.isEmpty ? message : message + "（" + detail + "）")
    }

    /// The bytes a memory BIO holds.
    static func drain(_ bio: OpaquePointer) -> [UInt8] {
        var pointer: UnsafeMutablePointer<CChar>?
        let length = yiwang_bio_mem_data(bio, &pointer)
        guard length > 0, let pointer else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// A read-only memory BIO over the text, alive for the closure.
    static func reading<T>(_ text: String, _ body: (OpaquePointer) -> T?) -> T? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    /// Writes into a fresh memory BIO and returns its text, or nil when the writer fails.
    static func writing(_ body: (OpaquePointer) -> Int32) -> String? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else { return nil }
        return String(decoding: drain(bio), as: UTF8.self)
    }

    /// A digest context for SM2-with-SM3 under the default user ID, for signing or verifying.
    static func withSM2Context<T>(_ key: OpaquePointer, signing: Bool, _ body: (OpaquePointer) -> T?) -> T? {
        // The key context outlives the digest context that borrows it (freed in reverse order).
        guard let keyContext = EVP_PKEY_CTX_new(key, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(keyContext) }
        guard let mdContext = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(mdContext) }
        let id = Array(userID.utf8)
        guard id.withUnsafeBytes({ EVP_PKEY_CTX_set1_id(keyContext, $0.baseAddress, Int32($0.count)) }) == 1 else { return nil }
        EVP_MD_CTX_set_pkey_ctx(mdContext, keyContext)
        let started =
            signing
            ? EVP_DigestSignInit(mdContext, nil, EVP_sm3(), nil, key)
            : EVP_DigestVerifyInit(mdContext, nil, EVP_sm3(), nil, key)
        guard started == 1 else { return nil }
        return body(mdContext)
    }
}

/// An SM2 key pair (the private half of a department's seal, or the city root's).
public final class SM2PrivateKey: @unchecked Sendable {
    // EVP_PKEY is reference-counted and safe to sign with from several threads at once, each
    // signature taking its own digest context.
    let key: OpaquePointer

    private init(key: OpaquePointer) { self.key = key }
    deinit { EVP_PKEY_free(key) }

    /// A fresh key on the SM2 curve.
    public static func generate() throws(DomainError) -> SM2PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "SM2", nil) else {
            throw NationalCrypto.failure("seal.keygen_failed", "无法生成SM2密钥。")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_generate(context, &key) == 1, let key else {
            throw NationalCrypto.failure("seal.keygen_failed", "无法生成SM2密钥。")
        }
        return SM2PrivateKey(key: key)
    }

    /// Reads an unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`) holding an SM2 key.
    public convenience init(pem: String) throws(DomainError) {
        let key = NationalCrypto.reading(pem) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        guard let key else { throw NationalCrypto.failure("seal.key_format", "印章私钥格式不正确。") }
        guard EVP_PKEY_is_a(key, "SM2") == 1 else {
            EVP_PKEY_free(key)
            throw .invalid("seal.key_type", "印章私钥不是SM2密钥。")
        }
        self.init(key: key)
    }

    /// PKCS#8 PEM, to be sealed with the data keys before it is stored.
    public var pem: String {
        NationalCrypto.writing { PEM_write_bio_PrivateKey($0, self.key, nil, nil, 0, nil, nil) } ?? ""
    }

    /// The public half.
    public var publicKey: SM2PublicKey {
        get throws(DomainError) { try SM2PublicKey(pem: NationalCrypto.writing { PEM_write_bio_PUBKEY($0, self.key) } ?? "") }
    }

    /// SM2-with-SM3 signature under the default user ID, DER `SEQUENCE{r,s}`.
    public func sign(_ message: [UInt8]) throws(DomainError) -> [UInt8] {
        let signature = NationalCrypto.withSM2Context(key, signing: true) { context -> [UInt8]? in
            var length = 0
            return message.withUnsafeBytes { raw -> [UInt8]? in
                let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                guard EVP_DigestSign(context, nil, &length, base, raw.count) == 1, length > 0 else { return nil }
                var bytes = [UInt8](repeating: 0, count: length)
                guard EVP_DigestSign(context, &bytes, &length, base, raw.count) == 1 else { return nil }
                return Array(bytes.prefix(length))
            }
        }
        guard let signature else { throw NationalCrypto.failure("seal.sign_failed", "电子印章签名失败。") }
        return signature
    }
}

/// An SM2 public key (SubjectPublicKeyInfo).
public final class SM2PublicKey: @unchecked Sendable {
    let key: OpaquePointer

    init(owning key: OpaquePointer) { self.key = key }
    deinit { EVP_PKEY_free(key) }

    public convenience init(pem: String) throws(DomainError) {
        let key = NationalCrypto.reading(pem) { PEM_read_bio_PUBKEY($0, nil, nil, nil) }
        guard let key else { throw NationalCrypto.failure("seal.key_format", "公钥格式不正确。") }
        guard EVP_PKEY_is_a(key, "SM2") == 1 else {
            EVP_PKEY_free(key)
            throw .invalid("seal.key_type", "公钥不是SM2公钥。")
        }
        self.init(owning: key)
    }

    public var pem: String { NationalCrypto.writing { PEM_write_bio_PUBKEY($0, self.key) } ?? "" }

    /// The DER SubjectPublicKeyInfo, whose SM3 digest names the key (its key id).
    public var der: [UInt8] {
        var pointer: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(key, &pointer)
        guard length > 0, let pointer else { return [] }
        defer { yiwang_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: Int(length)))
    }

    /// The key id: the first 16 bytes of the SM3 digest of the DER public key, in hex.
    public var keyID: String { NationalCrypto.sm3(der).prefix(16).map { String(format: "%02x", $0) }.joined() }

    /// True when the DER signature is this key's SM2-with-SM3 signature of the message.
    public func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        let result = NationalCrypto.withSM2Context(key, signing: false) { context -> Bool in
            signature.withUnsafeBytes { sig in
                message.withUnsafeBytes { raw in
                    EVP_DigestVerify(
                        context, sig.baseAddress?.assumingMemoryBound(to: UInt8.self), sig.count,
                        raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count) == 1
                }
            }
        }
        ERR_clear_error()
        return result ?? false
    }
}
