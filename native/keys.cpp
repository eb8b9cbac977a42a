#include "keys.h"

#include "errors.h"

namespace hsm {

namespace {

// Absent, sensitive or unsupported attributes read as "missing" rather than failing the listing.
bool ReadAttribute(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type, Bytes &out) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = fl->C_GetAttributeValue(s, o, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return false;
  Check(rv, "C_GetAttributeValue");
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return false;
  out.assign(a.ulValueLen, 0);
  a.pValue = out.data();
  rv = fl->C_GetAttributeValue(s, o, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return false;
  Check(rv, "C_GetAttributeValue");
  out.resize(a.ulValueLen);
  return true;
}

CK_ULONG ReadUlong(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
  Bytes b;
  if (!ReadAttribute(fl, s, o, type, b) || b.size() != sizeof(CK_ULONG)) return CK_UNAVAILABLE_INFORMATION;
  CK_ULONG v;
  std::copy(b.begin(), b.end(), reinterpret_cast<uint8_t *>(&v));
  return v;
}

bool ReadBool(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
  Bytes b;
  return ReadAttribute(fl, s, o, type, b) && b.size() == 1 && b[0] != 0;
}

std::vector<CK_OBJECT_HANDLE> Find(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> tmpl,
                                   CK_ULONG max) {
  Check(fl->C_FindObjectsInit(s, tmpl.data(), tmpl.size()), "C_FindObjectsInit");
  std::vector<CK_OBJECT_HANDLE> out;
  CK_RV rv = CKR_OK;
  CK_OBJECT_HANDLE batch[32];
  for (;;) {
    CK_ULONG want = max == 0 ? 32 : std::min<CK_ULONG>(32, max - out.size());
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

std::vector<CK_ATTRIBUTE> KeyTemplate(CK_ULONG *cls, const std::string &label, const Bytes &id) {
  std::vector<CK_ATTRIBUTE> t{{CKA_CLASS, cls, sizeof *cls}};
  if (!label.empty()) t.push_back({CKA_LABEL, const_cast<char *>(label.data()), label.size()});
  if (!id.empty()) t.push_back({CKA_ID, const_cast<uint8_t *>(id.data()), id.size()});
  return t;
}

// The public point: the private object's CKA_EC_POINT (CloudHSM), else the matching public object.
void ReadPublic(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, KeyInfo &k) {
  Bytes params, point;
  ReadAttribute(fl, s, k.handle, CKA_EC_PARAMS, params);
  if (!ReadAttribute(fl, s, k.handle, CKA_EC_POINT, point) || point.empty()) {
    CK_ULONG cls = CKO_PUBLIC_KEY;
    // Match by id when there is one (labels are often shared), else by label.
    auto found = Find(fl, s, KeyTemplate(&cls, k.id.empty() ? k.label : "", k.id), 2);
    if (found.size() != 1) {
      k.pub.error = found.empty() ? "no public key object with the same CKA_ID/label"
                                  : "more than one public key object with the same CKA_ID/label";
      return;
    }
    ReadAttribute(fl, s, found[0], CKA_EC_POINT, point);
    if (params.empty()) ReadAttribute(fl, s, found[0], CKA_EC_PARAMS, params);
  }
  k.pub = ParsePublicKey(k.key_type, params, point);
}

}  // namespace

std::vector<KeyInfo> ListPrivateKeys(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s) {
  CK_ULONG cls = CKO_PRIVATE_KEY;
  std::vector<KeyInfo> out;
  for (CK_OBJECT_HANDLE h : Find(fl, s, KeyTemplate(&cls, "", {}), 0)) {
    KeyInfo k;
    k.handle = h;
    Bytes label;
    if (ReadAttribute(fl, s, h, CKA_LABEL, label)) k.label.assign(label.begin(), label.end());
    ReadAttribute(fl, s, h, CKA_ID, k.id);
    k.key_type = ReadUlong(fl, s, h, CKA_KEY_TYPE);
    k.always_authenticate = ReadBool(fl, s, h, CKA_ALWAYS_AUTHENTICATE);
    if (k.key_type == CKK_EC || k.key_type == CKK_EC_EDWARDS) {
      ReadPublic(fl, s, k);
    } else {
      k.pub.error = "not an EC or EdDSA key";
    }
    out.push_back(std::move(k));
  }
  return out;
}

CK_OBJECT_HANDLE FindPrivateKey(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &label, const Bytes &id) {
  CK_ULONG cls = CKO_PRIVATE_KEY;
  auto found = Find(fl, s, KeyTemplate(&cls, label, id), 2);  // max 2: detect ambiguity (DESIGN.md §6)
  std::string who = "label \"" + label + "\"";
  if (found.empty()) throw Pkcs11Failure("ERR_HSM_KEY_NOT_FOUND", "C_FindObjects", "no private key with " + who);
  if (found.size() > 1) {
    throw Pkcs11Failure("ERR_HSM_KEY_AMBIGUOUS", "C_FindObjects", "more than one private key with " + who);
  }
  return found[0];
}

KeyInfo GenerateKeyPair(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &curve, const std::string &label,
                        const Bytes &id) {
  Bytes params = ParamsFor(curve);
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::string label_copy = label;
  Bytes id_copy = id;
  std::vector<CK_ATTRIBUTE> pub{
      {CKA_TOKEN, &yes, 1},
      {CKA_VERIFY, &yes, 1},
      {CKA_EC_PARAMS, params.data(), params.size()},
      {CKA_LABEL, label_copy.data(), label_copy.size()},
  };
  std::vector<CK_ATTRIBUTE> priv{
      {CKA_TOKEN, &yes, 1},      {CKA_PRIVATE, &yes, 1}, {CKA_SENSITIVE, &yes, 1},
      {CKA_EXTRACTABLE, &no, 1}, {CKA_SIGN, &yes, 1},    {CKA_LABEL, label_copy.data(), label_copy.size()},
  };
  if (!id_copy.empty()) {
    pub.push_back({CKA_ID, id_copy.data(), id_copy.size()});
    priv.push_back({CKA_ID, id_copy.data(), id_copy.size()});
  }
  CK_MECHANISM mech{curve == "ed25519" ? CKM_EC_EDWARDS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub_h = 0, priv_h = 0;
  Check(fl->C_GenerateKeyPair(s, &mech, pub.data(), pub.size(), priv.data(), priv.size(), &pub_h, &priv_h),
        "C_GenerateKeyPair");
  KeyInfo k;
  k.handle = priv_h;
  k.label = label;
  k.id = id;
  k.key_type = curve == "ed25519" ? CKK_EC_EDWARDS : CKK_EC;
  Bytes point;
  ReadAttribute(fl, s, pub_h, CKA_EC_POINT, point);
  k.pub = ParsePublicKey(k.key_type, params, point);
  return k;
}

}  // namespace hsm
