#include "objects.h"

#include <algorithm>

#include "errors.h"

namespace hsm {

namespace {

bool Unreadable(CK_RV rv) { return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE; }

// Buffer per attribute of the first read: labels, ids, EC parameters and points fit.
constexpr CK_ULONG kGuess = 256;

bool ReadOne(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, Bytes &out) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = fl->C_GetAttributeValue(s, o, &a, 1);
  if (Unreadable(rv)) return false;
  Check(rv, "C_GetAttributeValue");
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return false;
  out.assign(a.ulValueLen, 0);
  a.pValue = out.data();
  rv = fl->C_GetAttributeValue(s, o, &a, 1);
  if (Unreadable(rv)) return false;
  Check(rv, "C_GetAttributeValue");
  out.resize(a.ulValueLen);
  return true;
}

}  // namespace

std::vector<CK_OBJECT_HANDLE> FindObjects(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> tmpl,
                                          CK_ULONG max) {
  Check(fl->C_FindObjectsInit(s, tmpl.data(), tmpl.size()), "C_FindObjectsInit");
  std::vector<CK_OBJECT_HANDLE> out;
  CK_RV rv = CKR_OK;
  CK_OBJECT_HANDLE batch[256];
  for (;;) {
    CK_ULONG want = max == 0 ? 256 : std::min<CK_ULONG>(256, max - out.size());
    CK_ULONG got = 0;
    rv = fl->C_FindObjects(s, batch, want, &got);
    if (rv != CKR_OK || got == 0) break;
    out.insert(out.end(), batch, batch + got);
    if (max != 0 && out.size() >= max) break;
  }
  fl->C_FindObjectsFinal(s);  // always end the search, or the session stays busy
  Check(rv, "C_FindObjects");
  return out;
}

CK_ULONG Attributes::Ulong(size_t i) const {
  if (!present[i] || values[i].size() != sizeof(CK_ULONG)) return CK_UNAVAILABLE_INFORMATION;
  CK_ULONG v;
  std::copy(values[i].begin(), values[i].end(), reinterpret_cast<uint8_t *>(&v));
  return v;
}

bool Attributes::Bool(size_t i) const { return present[i] && values[i].size() == 1 && values[i][0] != 0; }

// One C_GetAttributeValue into buffers sized for what keys hold (SoftHSM2 reopens the object's file on
// every call: with many keys the call count is the cost). PKCS#11 v2.40 §5.7: every attribute of the
// template is processed, an unreadable or too large one gets CK_UNAVAILABLE_INFORMATION, and the call
// then returns CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID or CKR_BUFFER_TOO_SMALL, any of them
// (SoftHSM2 prefers the first two). So after such a code each unavailable attribute is asked again on its
// own, as is one that filled its buffer exactly (a token stopping at the first failure leaves it so).
Attributes ReadAttributes(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                          std::initializer_list<CK_ATTRIBUTE_TYPE> types) {
  Attributes out;
  out.values.assign(types.size(), Bytes(kGuess));
  out.present.assign(types.size(), false);
  std::vector<CK_ATTRIBUTE> t;
  t.reserve(types.size());
  for (CK_ATTRIBUTE_TYPE type : types) t.push_back({type, out.values[t.size()].data(), kGuess});
  CK_RV rv = fl->C_GetAttributeValue(s, o, t.data(), t.size());
  if (rv != CKR_OK && rv != CKR_BUFFER_TOO_SMALL && !Unreadable(rv)) Check(rv, "C_GetAttributeValue");
  for (size_t i = 0; i < t.size(); i++) {
    CK_ULONG len = t[i].ulValueLen;
    bool settled = len < kGuess || (rv == CKR_OK && len == kGuess);
    out.present[i] = settled ? true : ReadOne(fl, s, o, t[i].type, out.values[i]);
    if (settled) out.values[i].resize(len);
    if (!out.present[i]) out.values[i].clear();
  }
  return out;
}

}  // namespace hsm
