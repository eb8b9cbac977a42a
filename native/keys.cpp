#include "keys.h"

#include <deque>
#include <map>
#include <memory>

#include "errors.h"
#include "objects.h"

namespace hsm {

namespace {

std::vector<CK_ATTRIBUTE> KeyTemplate(CK_ULONG *cls, const std::string &label, const Bytes &id) {
  std::vector<CK_ATTRIBUTE> t{{CKA_CLASS, cls, sizeof *cls}};
  if (!label.empty()) t.push_back({CKA_LABEL, const_cast<char *>(label.data()), label.size()});
  if (!id.empty()) t.push_back({CKA_ID, const_cast<uint8_t *>(id.data()), id.size()});
  return t;
}

// Every public key object with its point, indexed by CKA_ID and by label: one search and one attribute
// read per object for the whole listing, instead of a search per private key (each C_FindObjectsInit
// scans the whole token on SoftHSM2: quadratic with many keys).
class PublicIndex {
 public:
  struct Entry {
    Bytes params, point;
  };
  PublicIndex(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s) {
    CK_ULONG cls = CKO_PUBLIC_KEY;
    for (CK_OBJECT_HANDLE h : FindObjects(fl, s, KeyTemplate(&cls, "", {}), 0)) {
      Attributes a = ReadAttributes(fl, s, h, {CKA_LABEL, CKA_ID, CKA_EC_PARAMS, CKA_EC_POINT});
      all_.push_back({a[2], a[3]});
      const Entry *e = &all_.back();
      if (a.Has(0)) by_label_[std::string(a[0].begin(), a[0].end())].push_back(e);
      if (a.Has(1)) by_id_[a[1]].push_back(e);
    }
  }
  // What a C_FindObjects for public keys with k's CKA_ID would find when k has one (labels are often
  // shared), else with k's label (no label either: every public key).
  std::vector<const Entry *> Matching(const KeyInfo &k) const {
    if (k.id.empty() && k.label.empty()) {
      std::vector<const Entry *> every;
      for (const Entry &e : all_) every.push_back(&e);
      return every;
    }
    return k.id.empty() ? Lookup(by_label_, k.label) : Lookup(by_id_, k.id);
  }

 private:
  template <typename Map, typename Key>
  static std::vector<const Entry *> Lookup(const Map &m, const Key &key) {
    auto it = m.find(key);
    return it == m.end() ? std::vector<const Entry *>{} : it->second;
  }
  std::deque<Entry> all_;  // stable addresses for the indexes
  std::map<std::string, std::vector<const Entry *>> by_label_;
  std::map<Bytes, std::vector<const Entry *>> by_id_;
};

// The attributes of a private key read in one go (index order). CKA_EC_POINT, unreadable on most tokens,
// comes first: test/01-hsm-keys.test.ts then covers a token that stops reading the template there.
enum PrivateAttr { kPoint, kLabel, kId, kKeyType, kAlwaysAuthenticate, kParams };

// The public point: the private object's CKA_EC_POINT (CloudHSM), else the one matching public object
// (more than one is ambiguous: the key is not offered).
void ReadPublic(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const Attributes &a, std::unique_ptr<PublicIndex> &index,
                KeyInfo &k) {
  Bytes params = a[kParams], point = a[kPoint];
  if (point.empty()) {
    if (!index) index = std::make_unique<PublicIndex>(fl, s);  // only tokens without it on the private key
    auto found = index->Matching(k);
    if (found.size() != 1) {
      k.pub.error = found.empty() ? "no public key object with the same CKA_ID/label"
                                  : "more than one public key object with the same CKA_ID/label";
      return;
    }
    point = found[0]->point;
    if (params.empty()) params = found[0]->params;
  }
  k.pub = ParsePublicKey(k.key_type, params, point);
}

}  // namespace

std::vector<KeyInfo> ListPrivateKeys(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s) {
  CK_ULONG cls = CKO_PRIVATE_KEY;
  std::vector<CK_OBJECT_HANDLE> handles = FindObjects(fl, s, KeyTemplate(&cls, "", {}), 0);
  std::unique_ptr<PublicIndex> index;
  std::vector<KeyInfo> out;
  out.reserve(handles.size());
  for (CK_OBJECT_HANDLE h : handles) {
    Attributes a = ReadAttributes(
        fl, s, h, {CKA_EC_POINT, CKA_LABEL, CKA_ID, CKA_KEY_TYPE, CKA_ALWAYS_AUTHENTICATE, CKA_EC_PARAMS});
    KeyInfo k;
    k.handle = h;
    k.label.assign(a[kLabel].begin(), a[kLabel].end());
    k.id = a[kId];
    k.key_type = a.Ulong(kKeyType);
    k.always_authenticate = a.Bool(kAlwaysAuthenticate);
    if (k.key_type == CKK_EC || k.key_type == CKK_EC_EDWARDS) {
      ReadPublic(fl, s, a, index, k);
    } else {
      k.pub.error = "not an EC or EdDSA key";
    }
    out.push_back(std::move(k));
  }
  return out;
}

CK_OBJECT_HANDLE FindPrivateKey(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, const std::string &label, const Bytes &id) {
  CK_ULONG cls = CKO_PRIVATE_KEY;
  auto found = FindObjects(fl, s, KeyTemplate(&cls, label, id), 2);  // max 2: detect ambiguity
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
  k.pub = ParsePublicKey(k.key_type, params, ReadAttributes(fl, s, pub_h, {CKA_EC_POINT})[0]);
  return k;
}

}  // namespace hsm
