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
#endif
