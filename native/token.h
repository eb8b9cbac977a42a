// Slot and token discovery, token selection and login (DESIGN.md §6).
#pragma once

#include <string>
#include <vector>

#include "pkcs11_defs.h"

namespace hsm {

struct TokenSummary {
  CK_SLOT_ID slot;
  std::string label;
  std::string serial;
  std::string manufacturer;
  std::string model;
  CK_FLAGS flags;
  CK_ULONG max_sessions;  // the lower of ulMaxSessionCount and ulMaxRwSessionCount (token.cpp)
};

struct TokenSelector {
  enum class Kind { Label, Serial, Slot } kind;
  std::string text;
  CK_SLOT_ID slot = 0;
};

// A blank-padded token string (CK_TOKEN_INFO label, serial, …) without its padding.
std::string Trim(const CK_UTF8CHAR *text, size_t size);
std::vector<TokenSummary> ListTokens(CK_FUNCTION_LIST *fl);
// Throws ERR_HSM_TOKEN_NOT_FOUND listing the tokens seen when nothing matches.
TokenSummary SelectToken(CK_FUNCTION_LIST *fl, const TokenSelector &sel);
// CKU_USER login; CKR_USER_ALREADY_LOGGED_IN is success. Exactly one attempt: never retried here.
// Returns false when the token was already logged in (the PIN was then not checked by the token).
bool Login(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE session, const std::string &pin);

}  // namespace hsm
