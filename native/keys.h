// Private key discovery, lookup and generation on one session.
#pragma once

#include <string>
#include <vector>

#include "ec_point.h"
#include "pkcs11_defs.h"

namespace hsm {

struct KeyInfo {
  CK_OBJECT_HANDLE handle = 0;
  std::string label;
  Bytes id;
  CK_ULONG key_type = 0;
  bool always_authenticate = false;
  PublicKey pub;
};

// Every private key object on the token, with its public point (from the private object's CKA_EC_POINT
// as CloudHSM has it, else from the public key with the same CKA_ID / label).
std::vector<KeyInfo> ListPrivateKeys(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s);
// The one private key with this label and id. Throws ERR_HSM_KEY_NOT_FOUND / ERR_HSM_KEY_AMBIGUOUS.
CK_OBJECT_HANDLE FindPrivateKey(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &label, const Bytes &id);
// C_GenerateKeyPair of token objects; the private half is sensitive, non-extractable, sign-only.
KeyInfo GenerateKeyPair(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &curve, const std::string &label,
                        const Bytes &id);

}  // namespace hsm
