#include "token.h"

#include <algorithm>

#include "errors.h"

namespace hsm {

// Token strings are blank-padded, not NUL-terminated (PKCS#11 v2.40 §3.2 CK_TOKEN_INFO).
std::string Trim(const CK_UTF8CHAR *text, size_t size) {
  size_t end = size;
  while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\0')) end--;
  return std::string(reinterpret_cast<const char *>(text), end);
}

namespace {

// The pool opens read/write sessions only, so the lower of ulMaxSessionCount and ulMaxRwSessionCount
// bounds it. 0 (CK_EFFECTIVELY_INFINITE) and ~0 (CK_UNAVAILABLE_INFORMATION) set no bound (v2.40 §3.2).
CK_ULONG SessionLimit(const CK_TOKEN_INFO &info) {
  auto finite = [](CK_ULONG n) { return n != CK_EFFECTIVELY_INFINITE && n != CK_UNAVAILABLE_INFORMATION; };
  CK_ULONG all = info.ulMaxSessionCount, rw = info.ulMaxRwSessionCount;
  if (finite(all) && finite(rw)) return std::min(all, rw);
  if (finite(rw)) return rw;
  return all;
}

std::string Describe(const TokenSelector &sel) {
  switch (sel.kind) {
    case TokenSelector::Kind::Label:
      return "label \"" + sel.text + "\"";
    case TokenSelector::Kind::Serial:
      return "serial \"" + sel.text + "\"";
    case TokenSelector::Kind::Slot:
      break;
  }
  return "slot " + std::to_string(sel.slot);
}
}  // namespace

std::vector<TokenSummary> ListTokens(CK_FUNCTION_LIST *fl) {
  CK_ULONG count = 0;
  Check(fl->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList");
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0) Check(fl->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList");
  slots.resize(count);
  std::vector<TokenSummary> out;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    CK_RV rv = fl->C_GetTokenInfo(slot, &info);
    if (rv == CKR_TOKEN_NOT_PRESENT) continue;  // removed between the two calls
    Check(rv, "C_GetTokenInfo");
    out.push_back({slot, Trim(info.label, sizeof info.label), Trim(info.serialNumber, sizeof info.serialNumber),
                   Trim(info.manufacturerID, sizeof info.manufacturerID), Trim(info.model, sizeof info.model),
                   info.flags, SessionLimit(info)});
  }
  return out;
}

TokenSummary SelectToken(CK_FUNCTION_LIST *fl, const TokenSelector &sel) {
  std::vector<TokenSummary> tokens = ListTokens(fl);
  const TokenSummary *match = nullptr;
  for (const auto &t : tokens) {
    bool hit = (sel.kind == TokenSelector::Kind::Label && t.label == sel.text) ||
               (sel.kind == TokenSelector::Kind::Serial && t.serial == sel.text) ||
               (sel.kind == TokenSelector::Kind::Slot && t.slot == sel.slot);
    if (!hit) continue;
    // Only initialised tokens count; SoftHSM2 always shows one free, uninitialised slot.
    if (!(t.flags & CKF_TOKEN_INITIALIZED)) continue;
    if (match != nullptr) {
      throw Pkcs11Failure("ERR_HSM_TOKEN_AMBIGUOUS", "C_GetTokenInfo",
                          "more than one token matches " + Describe(sel) + "; select by serial or slot");
    }
    match = &t;
  }
  if (match != nullptr) return *match;
  std::string seen;
  for (const auto &t : tokens) {
    if (!seen.empty()) seen += ", ";
    seen += "slot " + std::to_string(t.slot) + " label \"" + t.label + "\" serial \"" + t.serial + "\"";
    if (!(t.flags & CKF_TOKEN_INITIALIZED)) seen += " (uninitialised)";
  }
  throw Pkcs11Failure("ERR_HSM_TOKEN_NOT_FOUND", "C_GetTokenInfo",
                      "no token with " + Describe(sel) + "; tokens seen: " + (seen.empty() ? "none" : seen));
}

bool Login(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE session, const std::string &pin) {
  std::string copy = pin;
  CK_RV rv = fl->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR *>(copy.data()), copy.size());
  if (rv == CKR_USER_ALREADY_LOGGED_IN) return false;  // login state is per application and token
  Check(rv, "C_Login");
  return true;
}

}  // namespace hsm
