import COpenSSL
import Foundation

/// Who a certificate names: the city's root CA or a department's seal (its name, its unified
/// social credit code in `serialNumber` and `OU`, the city in `L`).
public struct CertificateSubject: Sendable, Equatable {
    public var commonName: String
    public var organization: String
    public var creditCode: String?
    public var locality: String?

    public init(commonName: String, organization: String, creditCode: String? = nil, locality: String? = nil) {
        self.commonName = commonName
        self.organization = organization
        self.creditCode = creditCode
        self.locality = locality
    }

    /// Attributes in the order they are written (C, L, O, OU, CN, serialNumber).
    var attributes: [(String, String)] {
        var list = [("C", "CN")]
        if let locality { list.append(("L", locality)) }
        list.append(("O", organization))
        if let creditCode { list.append(("OU", creditCode)) }
        list.append(("CN", commonName))
        if let creditCode { list.append(("serialNumber", creditCode)) }
        return list
    }
}

/// What a new certificate says, before the issuer signs it.
public struct CertificateRequest: Sendable {
    public var subject: CertificateSubject
    public var serial: [UInt8]
    public var notBefore: Date
    public var notAfter: Date
    /// The city root (may sign certificates) or a seal (may sign documents only).
    public var isAuthority: Bool

    public init(subject: CertificateSubject, serial: [UInt8], notBefore: Date, notAfter: Date, isAuthority: Bool) {
        self.subject = subject
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.isAuthority = isAuthority
    }
}

/// An X.509 v3 certificate with an SM2 key, signed SM2-with-SM3 (the root by itself, a seal by
/// the root). Made and read with OpenSSL so that the stock `openssl` command reads it as well.
public final class SealCertificate: @unchecked Sendable {
    let certificate: OpaquePointer

    private init(certificate: OpaquePointer) {
        self.certificate = certificate
        // Chain checks of SM2 signatures need the same user ID as the signer used.
        let id = Array(NationalCrypto.userID.utf8)
        if let octets = ASN1_OCTET_STRING_new() {
            let set = id.withUnsafeBytes { ASN1_OCTET_STRING_set(octets, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32($0.count)) }
            if set == 1 { X509_set0_distinguishing_id(certificate, octets) } else { ASN1_OCTET_STRING_free(octets) }
        }
    }

    deinit { X509_free(certificate) }

    public convenience init(pem: String) throws(DomainError) {
        let certificate = NationalCrypto.reading(pem) { PEM_read_bio_X509($0, nil, nil, nil) }
        guard let certificate else { throw NationalCrypto.failure("seal.certificate_format", "证书格式不正确。") }
        self.init(certificate: certificate)
        guard (try? publicKey) != nil else { throw .invalid("seal.key_type", "证书的公钥不是SM2公钥。") }
    }

    /// Issues a certificate for `key` under `issuer` (nil: self-signed, for the root).
    public static func issue(
        _ request: CertificateRequest, for key: SM2PublicKey, issuer: (certificate: SealCertificate, key: SM2PrivateKey)?,
        selfKey: SM2PrivateKey? = nil
    ) throws(DomainError) -> SealCertificate {
        let fail = { () -> DomainError in NationalCrypto.failure("seal.certificate_failed", "证书签发失败。") }
        guard let certificate = X509_new() else { throw fail() }
        var owned: OpaquePointer? = certificate
        defer { if let owned { X509_free(owned) } }
        guard X509_set_version(certificate, 2) == 1 else { throw fail() }
        // Serial: a positive big-endian integer.
        guard let number = request.serial.withUnsafeBytes({ BN_bin2bn($0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32($0.count), nil) })
        else { throw fail() }
        defer { BN_free(number) }
        guard let serial = BN_to_ASN1_INTEGER(number, nil) else { throw fail() }
        defer { ASN1_INTEGER_free(serial) }
        guard X509_set_serialNumber(certificate, serial) == 1 else { throw fail() }
        guard let name = X509_NAME_new() else { throw fail() }
        defer { X509_NAME_free(name) }
        for (field, value) in request.subject.attributes {
            let bytes = Array(value.utf8)
            let added = bytes.withUnsafeBytes {
                X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32($0.count), -1, 0)
            }
            guard added == 1 else { throw fail() }
        }
        guard X509_set_subject_name(certificate, name) == 1 else { throw fail() }
        let issuerName = issuer.map { X509_get_subject_name($0.certificate.certificate) } ?? name
        guard X509_set_issuer_name(certificate, issuerName) == 1 else { throw fail() }
        guard ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(request.notBefore.timeIntervalSince1970)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(request.notAfter.timeIntervalSince1970)) != nil,
            X509_set_pubkey(certificate, key.key) == 1
        else { throw fail() }
        // Extensions: what the key may do, and the key identifiers that link a seal to the root.
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate.certificate ?? certificate, certificate, nil, nil, 0)
        let extensions: [(Int32, String)] =
            request.isAuthority
            ? [(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"), (NID_key_usage, "critical,keyCertSign,cRLSign"),
               (NID_subject_key_identifier, "hash"), (NID_authority_key_identifier, "keyid:always")]
            : [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature,nonRepudiation"),
               (NID_subject_key_identifier, "hash"), (NID_authority_key_identifier, "keyid:always")]
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else { throw fail() }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(certificate, ext, -1) == 1 else { throw fail() }
        }
        guard let signer = issuer?.key ?? selfKey else { throw .invalid("seal.issuer_missing", "自签名根证书须提供其私钥。") }
        let signed = NationalCrypto.withSM2Context(signer.key, signing: true) { X509_sign_ctx(certificate, $0) > 0 }
        guard signed == true else { throw fail() }
        owned = nil
        return SealCertificate(certificate: certificate)
    }

    public var pem: String { NationalCrypto.writing { PEM_write_bio_X509($0, self.certificate) } ?? "" }

    public var publicKey: SM2PublicKey {
        get throws(DomainError) {
            guard let key = X509_get_pubkey(certificate) else { throw NationalCrypto.failure("seal.certificate_format", "证书没有公钥。") }
            guard EVP_PKEY_is_a(key, "SM2") == 1 else {
                EVP_PKEY_free(key)
                throw .invalid("seal.key_type", "证书的公钥不是SM2公钥。")
            }
            return SM2PublicKey(owning: key)
        }
    }

    /// The credit code the certificate names (`serialNumber`): the seal's department.
    public var creditCode: String? {
        guard let text = yiwang_subject_text(certificate, NID_serialNumber) else { return nil }
        defer { yiwang_free(text) }
        return String(cString: text)
    }

    /// The serial number in upper-case hex.
    public var serialHex: String {
        guard let serial = X509_get_serialNumber(certificate), let number = ASN1_INTEGER_to_BN(serial, nil) else { return "" }
        defer { BN_free(number) }
        guard let hex = BN_bn2hex(number) else { return "" }
        defer { yiwang_free(hex) }
        return String(cString: hex)
    }

    /// The subject as one line (`C=CN, O=…, CN=…`).
    public var subjectLine: String { Self.line(X509_get_subject_name(certificate)) }
    public var issuerLine: String { Self.line(X509_get_issuer_name(certificate)) }

    private static func line(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        return NationalCrypto.writing { X509_NAME_print_ex($0, name, 0, yiwang_name_flags()) >= 0 ? 1 : 0 } ?? ""
    }

    public var notBefore: Date? { Self.date(X509_get0_notBefore(certificate)) }
    public var notAfter: Date? { Self.date(X509_get0_notAfter(certificate)) }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var moment = tm()
        guard ASN1_TIME_to_tm(time, &moment) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&moment)))
    }

    /// True when `issuer`'s key signed this certificate (SM2-with-SM3, default user ID).
    public func isSigned(by issuer: SealCertificate) -> Bool {
        guard let key = try? issuer.publicKey else { return false }
        let result = X509_verify(certificate, key.key) == 1
        ERR_clear_error()
        return result
    }
}
