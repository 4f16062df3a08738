/* libcrypto (SHA-256), opened on first use (dlopen) like libcurl (curl_dl.h): mapping and
 * relocating it cost every lia-core run a few ms, and only downloads and image checks hash.
 * Calls go through sym_EVP_*; <openssl/evp.h> is used for its types and constants only. */
#ifndef LIA_CORE_CRYPTO_DL_H
#define LIA_CORE_CRYPTO_DL_H
#include <stddef.h>
#include <openssl/evp.h>

/* (clang-format does not settle on one layout for X-macro lists) */
/* clang-format off */
#define LIA_CRYPTO_FUNCS(X) \
	X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) X(EVP_MD_CTX_copy_ex) X(EVP_sha256) \
	X(EVP_DigestInit_ex) X(EVP_DigestUpdate) X(EVP_DigestFinal_ex)

#define LIA_CRYPTO_DECLARE(f) extern typeof(f) *sym_##f;
LIA_CRYPTO_FUNCS(LIA_CRYPTO_DECLARE)
#undef LIA_CRYPTO_DECLARE
/* clang-format on */

/* open libcrypto and resolve every function, once per process: 0, or -ELIBACC with the
 * reason in ERR (ERR may be NULL) */
int crypto_dl_open(char *err, size_t len);

#endif
