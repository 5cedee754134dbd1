// Canonical JSON text written directly into a caller's buffer: the form nlohmann's dump() gives
// (no whitespace, its string escaping, numbers in decimal), with no JSON library and no
// allocation when the buffer has room. Callers write an object's keys in sorted order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ocipfs {

// Appends `text` as a JSON string, quoted: '"' and '\\' escaped, \b \f \n \r \t as such, other
// bytes below 0x20 as \u00xx (lowercase hex), every other byte as it is. `text` must be valid
// UTF-8 (dump() refuses other text; this one writes it as it is).
void append_json_string(std::string& out, std::string_view text);

// Appends `number` in decimal.
void append_json_number(std::string& out, std::uint64_t number);

}  // namespace ocipfs
