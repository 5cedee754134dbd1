// Multicodec: the multiformats table of codes, here the content codecs a CID names, and how an
// error message writes a code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ocipfs::multicodec {

// The codecs a CID may have here.
inline constexpr std::uint64_t raw = 0x55;
inline constexpr std::uint64_t dag_pb = 0x70;

// The name of a codec people are likely to paste, from multiformats/multicodec table.csv, e.g.
// "dag-cbor" for 0x71; "" for a code it does not list.
std::string_view name(std::uint64_t code);

// A code as the table writes it ("0x" and an even number of lowercase hex digits), then `name`
// in parentheses unless it is empty: "0x71 (dag-cbor)", "0x1234".
std::string describe(std::uint64_t code, std::string_view name);

// describe(code, name(code)).
std::string describe(std::uint64_t code);

}  // namespace ocipfs::multicodec
