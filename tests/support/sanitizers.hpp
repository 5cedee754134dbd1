// Which sanitizer a test is built with, said once: GCC says so with macros, clang with
// __has_feature. As macros (0 or 1), for what must be decided before compiling, and as constants.
#pragma once

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OCIPFS_ADDRESS_SANITIZED 1
#endif
#if __has_feature(thread_sanitizer)
#define OCIPFS_THREAD_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(OCIPFS_ADDRESS_SANITIZED)
#define OCIPFS_ADDRESS_SANITIZED 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(OCIPFS_THREAD_SANITIZED)
#define OCIPFS_THREAD_SANITIZED 1
#endif
#ifndef OCIPFS_ADDRESS_SANITIZED
#define OCIPFS_ADDRESS_SANITIZED 0
#endif
#ifndef OCIPFS_THREAD_SANITIZED
#define OCIPFS_THREAD_SANITIZED 0
#endif
#define OCIPFS_SANITIZED (OCIPFS_ADDRESS_SANITIZED || OCIPFS_THREAD_SANITIZED)

namespace ocipfs::testing {

inline constexpr bool address_sanitized = OCIPFS_ADDRESS_SANITIZED;
inline constexpr bool thread_sanitized = OCIPFS_THREAD_SANITIZED;
// A sanitizer's allocator keeps its own bookkeeping, and owns malloc.
inline constexpr bool sanitized = OCIPFS_SANITIZED;

}  // namespace ocipfs::testing
