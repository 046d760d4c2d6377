// Test values for WireGuard device configurations: keys from a seed, addresses from text.
#pragma once
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "wg/device.h"

namespace subu::samples {

// 32 bytes counting up from `seed`: distinct, recognizable keys.
inline wg::KeyBytes key(std::uint8_t seed) {
    wg::KeyBytes k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i);
    return k;
}

inline std::array<std::uint8_t, 16> addr(int family, const char* text) {
    std::array<std::uint8_t, 16> a{};
    EXPECT_EQ(inet_pton(family, text, a.data()), 1) << text;
    return a;
}

inline wg::AllowedIp ip4(const char* text, std::uint8_t prefix) { return {AF_INET, addr(AF_INET, text), prefix}; }
inline wg::AllowedIp ip6(const char* text, std::uint8_t prefix) { return {AF_INET6, addr(AF_INET6, text), prefix}; }
inline wg::PeerEndpoint ep4(const char* text, std::uint16_t port) { return {AF_INET, addr(AF_INET, text), port}; }
inline wg::PeerEndpoint ep6(const char* text, std::uint16_t port) { return {AF_INET6, addr(AF_INET6, text), port}; }

}  // namespace subu::samples
