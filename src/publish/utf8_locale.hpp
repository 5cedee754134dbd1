// A scope in which this thread's locale is C.UTF-8, whatever the process's. Private to
// src/publish (pack).
#pragma once

#include <locale.h>

namespace ocipfs::publish_detail {

// libarchive converts names between the locale's character set and the UTF-8 of pax headers.
// This thread uses C.UTF-8 while an archive is read or written, whatever the process's locale, so
// that the same names give the same bytes everywhere, and UTF-8 names are stored as such. Where
// C.UTF-8 is missing, the locale stays as it was.
class Utf8Locale {
 public:
  Utf8Locale() : locale_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{})) {
    if (locale_) previous_ = ::uselocale(locale_);
  }
  ~Utf8Locale() {
    if (!locale_) return;
    ::uselocale(previous_);
    ::freelocale(locale_);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;

 private:
  locale_t locale_;
  locale_t previous_{};
};

}  // namespace ocipfs::publish_detail
