#include "bridge/oslo/ids.h"

#include <cstdint>

#include "absl/random/random.h"

namespace amqp::oslo {
namespace {

// 16 random bytes with the RFC 4122 version (4) and variant (10xx) bits set,
// written as hex; dashes after bytes 4, 6, 8 and 10 when `dashed`.
std::string Uuid4(bool dashed) {
  // absl::BitGen is seeded from the OS and is not thread-safe: one per thread.
  thread_local absl::BitGen gen;
  uint64_t hi = absl::Uniform<uint64_t>(gen);
  uint64_t lo = absl::Uniform<uint64_t>(gen);
  hi = (hi & ~uint64_t{0xf000}) | uint64_t{0x4000};
  lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (dashed && (i == 4 || i == 6 || i == 8 || i == 10)) out.push_back('-');
    const uint64_t word = i < 8 ? hi : lo;
    const int shift = 56 - 8 * (i % 8);
    const unsigned byte = static_cast<unsigned>((word >> shift) & 0xff);
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace

std::string NewUuid4Hex() { return Uuid4(/*dashed=*/false); }

std::string NewUuid4() { return Uuid4(/*dashed=*/true); }

}  // namespace amqp::oslo
