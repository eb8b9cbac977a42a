#include "ec_point.h"

#include <algorithm>
#include <cctype>

namespace hsm {

namespace {

const Bytes kP256Oid = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};  // 1.2.840.10045.3.1.7
const Bytes kSecp256k1Oid = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};               // 1.3.132.0.10
const Bytes kEd25519Oid = {0x06, 0x03, 0x2b, 0x65, 0x70};                             // 1.3.101.112 (RFC 8410)

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Names as PKCS#11 v3.0 §2.3.10 (PrintableString "edwards25519") and vendors' ASCII spellings.
std::string CurveByName(const std::string &raw) {
  std::string name = Lower(raw);
  if (name == "prime256v1" || name == "secp256r1" || name == "p-256" || name == "p256") return "p256";
  if (name == "secp256k1") return "secp256k1";
  if (name == "edwards25519" || name == "ed25519") return "ed25519";
  return "";
}

// A short-form or one-byte long-form DER TLV with the given tag that spans all of `in`.
bool UnwrapDer(const Bytes &in, uint8_t tag, Bytes &content) {
  if (in.size() < 2 || in[0] != tag) return false;
  size_t header = 2, len = in[1];
  if (in[1] == 0x81) {
    if (in.size() < 3) return false;
    header = 3;
    len = in[2];
  } else if (in[1] & 0x80) {
    return false;
  }
  if (header + len != in.size()) return false;
  content.assign(in.begin() + header, in.end());
  return true;
}

bool Compress(const Bytes &raw, Bytes &out) {
  if (raw.size() == 33 && (raw[0] == 0x02 || raw[0] == 0x03)) {
    out = raw;
    return true;
  }
  if (raw.size() != 65 || raw[0] != 0x04) return false;
  // SEC1 §2.3.3: 02 when Y is even, 03 when odd, then X.
  out.assign(raw.begin(), raw.begin() + 33);
  out[0] = 0x02 | (raw[64] & 1);
  return true;
}

}  // namespace

std::string CurveOf(CK_ULONG key_type, const Bytes &params) {
  std::string curve;
  Bytes content;
  if (params == kP256Oid) {
    curve = "p256";
  } else if (params == kSecp256k1Oid) {
    curve = "secp256k1";
  } else if (params == kEd25519Oid) {
    curve = "ed25519";
  } else if (UnwrapDer(params, 0x13, content) || UnwrapDer(params, 0x0c, content)) {
    curve = CurveByName(std::string(content.begin(), content.end()));  // PrintableString / UTF8String
  } else if (!params.empty()) {
    std::string text(params.begin(), params.end());
    while (!text.empty() && text.back() == '\0') text.pop_back();
    curve = CurveByName(text);  // vendors storing a bare ASCII name
  } else if (key_type == CKK_EC_EDWARDS) {
    curve = "ed25519";  // no params: the only Edwards curve we accept; the point size confirms it
  }
  if (curve == "ed25519" && key_type != CKK_EC_EDWARDS) return "";
  if ((curve == "p256" || curve == "secp256k1") && key_type != CKK_EC) return "";
  return curve;
}

Bytes ParamsFor(const std::string &curve) {
  if (curve == "p256") return kP256Oid;
  if (curve == "secp256k1") return kSecp256k1Oid;
  return kEd25519Oid;
}

PublicKey ParsePublicKey(CK_ULONG key_type, const Bytes &params, const Bytes &point) {
  PublicKey out;
  std::string curve = CurveOf(key_type, params);
  if (curve.empty()) {
    out.error = "unsupported key type or CKA_EC_PARAMS";
    return out;
  }
  Bytes inner;
  if (curve == "ed25519") {
    // Raw 32 bytes, DER OCTET STRING `04 20 …`, or BIT STRING `03 21 00 …`.
    if (point.size() == 32) {
      inner = point;
    } else if (UnwrapDer(point, 0x04, inner) && inner.size() == 32) {
    } else if (UnwrapDer(point, 0x03, inner) && inner.size() == 33 && inner[0] == 0) {
      inner.erase(inner.begin());
    } else {
      out.error = "malformed Ed25519 CKA_EC_POINT";
      return out;
    }
    out.curve = curve;
    out.point = inner;
    return out;
  }
  // ECDSA: raw 04||X||Y (65) or 02/03||X (33) is taken as is; otherwise a DER OCTET STRING around it.
  bool raw = (point.size() == 65 && point[0] == 0x04) || (point.size() == 33 && (point[0] & 0xfe) == 0x02);
  if (raw) {
    inner = point;
  } else if (!UnwrapDer(point, 0x04, inner)) {
    out.error = "malformed CKA_EC_POINT";
    return out;
  }
  if (!Compress(inner, out.point)) {
    out.error = "malformed CKA_EC_POINT";
    return out;
  }
  out.curve = curve;
  return out;
}

}  // namespace hsm
