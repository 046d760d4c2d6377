// WireGuard (X25519) keys: generation, canonical base64, hex for the UAPI, and root-only key files.
#pragma once
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace subu::wg {

inline constexpr std::size_t key_size = 32;
// 32 bytes in base64: 43 data characters and one '='.
inline constexpr std::size_t base64_key_size = 44;

// A public key (or any non-secret 32-byte WireGuard value).
struct Key {
    std::array<std::uint8_t, key_size> bytes{};
    friend bool operator==(const Key&, const Key&) = default;
};

// A private key. Move-only so copies of the secret do not spread, wiped on
// destruction and when moved from, and without operator<< so it cannot land in
// a log line by accident.
class PrivateKey {
public:
    explicit PrivateKey(const std::array<std::uint8_t, key_size>& bytes) noexcept;
    PrivateKey(PrivateKey&& other) noexcept;
    PrivateKey& operator=(PrivateKey&& other) noexcept;
    PrivateKey(const PrivateKey&) = delete;
    PrivateKey& operator=(const PrivateKey&) = delete;
    ~PrivateKey();

    // For the kernel interface only (netlink wants the raw bytes).
    const std::array<std::uint8_t, key_size>& bytes() const noexcept { return bytes_; }

    // Constant time, so comparing secrets leaks nothing through timing.
    friend bool operator==(const PrivateKey& a, const PrivateKey& b) noexcept;

    // GoogleTest prints values of failed assertions; this keeps the secret out of test logs too.
    friend void PrintTo(const PrivateKey&, std::ostream* os);

private:
    std::array<std::uint8_t, key_size> bytes_;
};

// A fresh private key from the system's CSPRNG, clamped as `wg genkey` does.
PrivateKey generate_private_key();
Key public_key_of(const PrivateKey& key);

// 44 characters, standard alphabet, one '=' (what `wg` prints and reads).
std::string to_base64(const Key& key);
// Accepts exactly the canonical encoding `to_base64` makes: no whitespace, no
// URL-safe alphabet, no other string that happens to decode to the same bytes,
// so a key has one spelling and comparing spellings compares keys.
// Throws InvalidArgument.
Key key_from_base64(std::string_view text);
// As key_from_base64; the messages never show the text, which is a secret.
PrivateKey private_key_from_base64(std::string_view text);

// 64 lowercase hex digits, as WireGuard's UAPI (`set=1`, `get=1`) uses.
std::string to_hex(const Key& key);
// Exactly 64 hex digits (either case). Throws InvalidArgument.
Key key_from_hex(std::string_view text);

// Key files: `<dir>/<name>.key` holding the base64 key and a newline, mode
// 0600, written atomically. `name` must match [A-Za-z0-9_]+ (a WG id like
// "WG_3"), else InvalidArgument. `dir` is made with mode 0700 when missing (its
// parent must exist); a `dir` that grants group or other any permission, or is
// not owned by the effective uid, is refused with subu::Failed.
void store_private_key(const std::string& dir, std::string_view name, const PrivateKey& key);
// Refuses (subu::Failed) a symlink, a non-regular file, a file not owned by the
// effective uid or with mode bits beyond 0600, and a `dir` refused as above;
// NotFound when there is no such key file.
PrivateKey load_private_key(const std::string& dir, std::string_view name);
// A key file that is already gone counts as removed.
void remove_private_key(const std::string& dir, std::string_view name);

}  // namespace subu::wg
