#include "ocipfs/formats/multicodec.hpp"

namespace ocipfs::multicodec {

namespace {

std::string hex_byte(unsigned char byte) {
  static constexpr char digits[] = "0123456789abcdef";
  return {digits[byte >> 4], digits[byte & 0xf]};
}

}  // namespace

std::string_view name(std::uint64_t code) {
  switch (code) {
    case 0x00:
      return "identity";
    case 0x51:
      return "cbor";
    case 0x55:
      return "raw";
    case 0x70:
      return "dag-pb";
    case 0x71:
      return "dag-cbor";
    case 0x72:
      return "libp2p-key";
    case 0x78:
      return "git-raw";
    case 0x7b:
      return "torrent-info";
    case 0x7c:
      return "torrent-file";
    case 0x85:
      return "dag-jose";
    case 0x86:
      return "dag-cose";
    case 0x90:
      return "eth-block";
    case 0xb0:
      return "bitcoin-block";
    case 0x0129:
      return "dag-json";
    case 0x01f0:
      return "swhid-1-snp";
    case 0x0200:
      return "json";
    case 0x0202:
      return "car";
    case 0x0300:
      return "ipns-record";
    case 0xb601:
      return "json-jcs";
    case 0xf101:
      return "fil-commitment-unsealed";
    case 0xf102:
      return "fil-commitment-sealed";
    default:
      return {};
  }
}

std::string describe(std::uint64_t code, std::string_view name) {
  std::string digits;
  do {
    digits.insert(0, hex_byte(static_cast<unsigned char>(code & 0xff)));
    code >>= 8;
  } while (code != 0);
  std::string out = "0x" + digits;
  if (!name.empty()) out += " (" + std::string(name) + ")";
  return out;
}

std::string describe(std::uint64_t code) { return describe(code, name(code)); }

}  // namespace ocipfs::multicodec
