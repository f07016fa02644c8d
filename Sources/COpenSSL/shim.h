#ifndef YIWANG_COPENSSL_SHIM_H
#define YIWANG_COPENSSL_SHIM_H
// The system OpenSSL 3 (libssl-dev) for SM2 and SM3; Swift cannot call its macros, so the few
// needed are wrapped as functions here.
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>

static inline long yiwang_bio_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }
static inline void yiwang_free(void *pointer) { OPENSSL_free(pointer); }
/// One line, UTF-8 kept as is: "C = CN, O = …, CN = …".
static inline unsigned long yiwang_name_flags(void) { return XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB; }
/// The UTF-8 text of the first subject attribute with this NID, or NULL; free with OPENSSL_free.
static inline char *yiwang_subject_text(X509 *certificate, int nid) {
    X509_NAME *name = X509_get_subject_name(certificate);
    int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0) return NULL;
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char *text = NULL;
    if (ASN1_STRING_to_UTF8(&text, data) < 0) return NULL;
    return (char *)text;
}
#endif
