// Object search and attribute reading on one session, shared by the key and AES code.
#pragma once

#include <initializer_list>
#include <vector>

#include "ec_point.h"
#include "pkcs11_defs.h"

namespace hsm {

// Every object matching `tmpl` (at most `max`, 0 = no limit), in batches; always ends the search.
std::vector<CK_OBJECT_HANDLE> FindObjects(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, std::vector<CK_ATTRIBUTE> tmpl,
                                          CK_ULONG max);

// Values of several attributes of one object, in the order asked.
struct Attributes {
  std::vector<Bytes> values;
  std::vector<bool> present;  // false: absent, sensitive or unsupported (reads as "missing", never fails)
  bool Has(size_t i) const { return present[i]; }
  const Bytes &operator[](size_t i) const { return values[i]; }
  CK_ULONG Ulong(size_t i) const;  // CK_UNAVAILABLE_INFORMATION when missing or not a CK_ULONG
  bool Bool(size_t i) const;       // false when missing
};

// Usually one C_GetAttributeValue whatever the number of attributes; an attribute that is unreadable
// or longer than expected costs one or two more.
Attributes ReadAttributes(CK_FUNCTION_LIST *fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                          std::initializer_list<CK_ATTRIBUTE_TYPE> types);

}  // namespace hsm
