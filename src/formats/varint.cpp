#include "ocipfs/formats/varint.hpp"

#include <cstddef>

namespace ocipfs {

namespace {

constexpr std::size_t kMaxVarintBytes = 9;

}  // namespace

VarintBytes varint_bytes(std::uint64_t value) {
  VarintBytes out;
  for (; value >= 0x80; value >>= 7)
    out.bytes[out.size++] = static_cast<char>((value & 0x7f) | 0x80);
  out.bytes[out.size++] = static_cast<char>(value);
  return out;
}

std::string varint_encode(std::uint64_t value) { return std::string(varint_bytes(value).view()); }

Expected<std::uint64_t> varint_decode(std::string_view& bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes.size() && i < kMaxVarintBytes; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      if (byte == 0 && i > 0) return Unexpected{std::string("non-minimal varint")};
      bytes.remove_prefix(i + 1);
      return value;
    }
  }
  if (bytes.size() >= kMaxVarintBytes) {
    return Unexpected{std::string("varint longer than 9 bytes")};
  }
  return Unexpected{std::string("truncated varint")};
}

Expected<std::uint64_t> read_varint(std::string_view& bytes, std::string_view what) {
  auto value = varint_decode(bytes);
  if (!value) return Unexpected{"invalid " + std::string(what) + ": " + value.error()};
  return value;
}

}  // namespace ocipfs
