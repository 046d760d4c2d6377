// WireGuard keys: X25519 through libsodium, strict base64, and key files only root can read.
#include "wg/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ostream>

#include "core/errors.h"
#include "core/files.h"
#include "core/text.h"
#include "wg/decimal.h"

namespace subu::wg {
namespace {


constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t base64_data_chars = base64_key_size - 1;

// Zeroes a buffer that held a secret on every way out of a scope.
class Wipe {
public:
    Wipe(void* p, std::size_t n) : p_(p), n_(n) {}
    Wipe(const Wipe&) = delete;
    Wipe& operator=(const Wipe&) = delete;
    ~Wipe() { sodium_memzero(p_, n_); }

private:
    void* p_;
    std::size_t n_;
};

// sodium_init picks the fastest implementations and seeds nothing we rely on
// being re-run; a function-local static makes it once and thread-safe.
void ensure_sodium() {
    static const int rc = sodium_init();
    if (rc < 0) throw Failed("Could not initialise libsodium, the crypto library; no WireGuard keys can be made.");
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

void encode_base64(const std::array<std::uint8_t, key_size>& in, char* out) {
    std::size_t o = 0;
    std::size_t i = 0;
    for (; i + 3 <= key_size; i += 3) {
        const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8) | in[i + 2];
        out[o++] = base64_alphabet[(v >> 18) & 63];
        out[o++] = base64_alphabet[(v >> 12) & 63];
        out[o++] = base64_alphabet[(v >> 6) & 63];
        out[o++] = base64_alphabet[v & 63];
    }
    // 32 = 3 * 10 + 2: two bytes left, three characters and one '='.
    const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8);
    out[o++] = base64_alphabet[(v >> 18) & 63];
    out[o++] = base64_alphabet[(v >> 12) & 63];
    out[o++] = base64_alphabet[(v >> 6) & 63];
    out[o++] = '=';
}

// `secret` keeps the text out of every message: a private key must not reach
// a log even when it is mistyped.
std::array<std::uint8_t, key_size> decode_base64(std::string_view text, bool secret) {
    const std::string what = secret ? "The secret WireGuard key (not shown)" : "The WireGuard key " + shown(text);
    const std::string expected =
        " (expected 44 characters of standard base64 ending in one '=', as `wg genkey` and `wg pubkey` print)";
    if (text.size() != base64_key_size)
        throw InvalidArgument(what + " has " + std::to_string(text.size()) + " characters" + expected + ".");
    std::array<std::uint8_t, key_size> out{};
    unsigned acc = 0;
    int bits = 0;
    std::size_t o = 0;
    for (std::size_t i = 0; i < base64_data_chars; ++i) {
        const int v = base64_value(text[i]);
        if (v < 0) {
            sodium_memzero(out.data(), out.size());
            std::string why = "has a character outside the standard base64 alphabet at position " +
                              std::to_string(i + 1);
            if (!secret) why += ", " + shown(text.substr(i, 1));
            if (text[i] == '-' || text[i] == '_') why += " (URL-safe base64 is not accepted)";
            if (text[i] == '=') why += " ('=' may only be the last character)";
            throw InvalidArgument(what + " " + why + expected + ".");
        }
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < key_size) out[o++] = static_cast<std::uint8_t>(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (text[base64_data_chars] != '=') {
        sodium_memzero(out.data(), out.size());
        throw InvalidArgument(what + " does not end in '='" + expected + ".");
    }
    // 43 characters carry 258 bits; the last two belong to no byte and are
    // zero in the one canonical spelling.
    if (acc != 0) {
        sodium_memzero(out.data(), out.size());
        throw InvalidArgument(what + " is not canonical base64: its last character before '=' sets bits "
                                     "beyond the 32 bytes of a key, so it is not how any tool writes a key "
                                     "(was a character changed?).");
    }
    return out;
}

bool valid_file_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || detail::is_digit(c) || c == '_')) return false;
    return true;
}

std::string key_path(const std::string& dir, std::string_view name) {
    if (!valid_file_name(name))
        throw InvalidArgument("The key name " + shown(name) +
                              " may only contain ASCII letters, digits and '_' (like \"WG_3\").");
    if (dir.empty()) throw InvalidArgument("The key directory is empty; give an absolute path like /var/lib/subu/keys.");
    return dir + "/" + std::string(name) + ".key";
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// The directory must be the effective user's alone: anyone else who can
// enter it could read a key or swap one in.
void check_private_dir(const std::string& dir, bool create) {
    bool made = false;
    if (create) {
        if (mkdir(dir.c_str(), 0700) == 0) made = true;
        else if (errno != EEXIST) throw_errno("create the key directory " + dir);
    }
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) throw NotFound("The key directory " + dir + " does not exist.");
        throw_errno("open the key directory " + dir);
    }
    struct stat st {};
    const int rc = fstat(fd, &st);
    const int err = errno;
    // mkdir's mode is cut by the umask; say exactly what we mean.
    if (rc == 0 && made && fchmod(fd, 0700) == 0) st.st_mode = (st.st_mode & ~07777) | 0700;
    close(fd);
    if (rc < 0) throw_errno(err, "inspect the key directory " + dir);
    if (st.st_uid != geteuid())
        throw Failed("The key directory " + dir + " is owned by uid " + std::to_string(st.st_uid) + ", not uid " +
                     std::to_string(geteuid()) + " that runs subu; refusing to keep private keys there.");
    if ((st.st_mode & 077) != 0)
        throw Failed("The key directory " + dir + " has mode " + octal_mode(st.st_mode) +
                     ", which lets group or others in; private keys need a directory only its owner can "
                     "use (chmod 0700 " + dir + ").");
}

}  // namespace

PrivateKey::PrivateKey(const std::array<std::uint8_t, key_size>& bytes) noexcept : bytes_(bytes) {}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept : bytes_(other.bytes_) {
    sodium_memzero(other.bytes_.data(), other.bytes_.size());
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
    if (this != &other) {
        bytes_ = other.bytes_;
        sodium_memzero(other.bytes_.data(), other.bytes_.size());
    }
    return *this;
}

PrivateKey::~PrivateKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

bool operator==(const PrivateKey& a, const PrivateKey& b) noexcept {
    return sodium_memcmp(a.bytes_.data(), b.bytes_.data(), key_size) == 0;
}

void PrintTo(const PrivateKey&, std::ostream* os) { *os << "<WireGuard private key>"; }

PrivateKey generate_private_key() {
    ensure_sodium();
    std::array<std::uint8_t, key_size> b;
    Wipe wipe(b.data(), b.size());
    randombytes_buf(b.data(), b.size());
    // X25519 clamping (RFC 7748 section 5), as `wg genkey` stores it.
    b[0] &= 248;
    b[31] &= 127;
    b[31] |= 64;
    return PrivateKey(b);
}

Key public_key_of(const PrivateKey& key) {
    ensure_sodium();
    Key pub;
    // Clamps a copy of the scalar itself, so unclamped keys (like RFC 7748's) work too.
    if (crypto_scalarmult_base(pub.bytes.data(), key.bytes().data()) != 0)
        throw Failed("Could not derive the WireGuard public key from a private key.");
    return pub;
}

std::string to_base64(const Key& key) {
    std::string out(base64_key_size, '\0');
    encode_base64(key.bytes, out.data());
    return out;
}

Key key_from_base64(std::string_view text) { return Key{decode_base64(text, false)}; }

PrivateKey private_key_from_base64(std::string_view text) {
    auto b = decode_base64(text, true);
    Wipe wipe(b.data(), b.size());
    return PrivateKey(b);
}

std::string to_hex(const Key& key) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * key_size);
    for (std::uint8_t b : key.bytes) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

Key key_from_hex(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    if (text.size() != 2 * key_size)
        throw InvalidArgument("The WireGuard key " + shown(text) + " has " + std::to_string(text.size()) +
                              " characters (expected 64 hex digits).");
    Key key;
    for (std::size_t i = 0; i < key_size; ++i) {
        const int hi = nibble(text[2 * i]);
        const int lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            throw InvalidArgument("The WireGuard key " + shown(text) + " has a character that is not a hex digit " +
                                  "near position " + std::to_string(2 * i + 1) + " (expected 64 hex digits).");
        key.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return key;
}

void store_private_key(const std::string& dir, std::string_view name, const PrivateKey& key) {
    const std::string path = key_path(dir, name);
    check_private_dir(dir, true);
    // Sized once so the secret is never reallocated and left behind in freed memory.
    std::string content(base64_key_size + 1, '\n');
    Wipe wipe(content.data(), content.size());
    encode_base64(key.bytes(), content.data());
    files::write_atomically(path, content, 0600);
}

PrivateKey load_private_key(const std::string& dir, std::string_view name) {
    const std::string path = key_path(dir, name);
    check_private_dir(dir, false);
    // O_NOFOLLOW: a link planted in place of the key must not redirect us;
    // O_NONBLOCK: a FIFO planted there must not hang the caller.
    const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) throw NotFound("There is no key file " + path + ".");
        if (errno == ELOOP) throw Failed("The key file " + path + " is a symbolic link; refusing to follow it.");
        throw_errno("open the key file " + path);
    }
    std::array<char, 2 * base64_key_size> buf;
    Wipe wipe(buf.data(), buf.size());
    std::size_t n = 0;
    struct stat st {};
    try {
        if (fstat(fd, &st) < 0) throw_errno("inspect the key file " + path);
        if (!S_ISREG(st.st_mode)) throw Failed("The key file " + path + " is not a regular file; refusing it.");
        if (st.st_uid != geteuid())
            throw Failed("The key file " + path + " is owned by uid " + std::to_string(st.st_uid) + ", not uid " +
                         std::to_string(geteuid()) + " that runs subu; refusing it.");
        if ((st.st_mode & 07777 & ~mode_t{0600}) != 0)
            throw Failed("The key file " + path + " has mode " + octal_mode(st.st_mode) +
                         "; a private key file must be readable by its owner only (chmod 0600 " + path + ").");
        while (n < buf.size()) {
            const ssize_t r = read(fd, buf.data() + n, buf.size() - n);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw_errno("read the key file " + path);
            }
            if (r == 0) break;
            n += static_cast<std::size_t>(r);
        }
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
    if (n == base64_key_size + 1 && buf[base64_key_size] == '\n') --n;
    if (n != base64_key_size)
        throw Failed("The key file " + path + " does not hold a WireGuard private key (expected 44 base64 "
                     "characters and a newline).");
    try {
        return private_key_from_base64(std::string_view(buf.data(), n));
    } catch (const InvalidArgument& e) {
        throw Failed("The key file " + path + " is damaged: " + e.what());
    }
}

void remove_private_key(const std::string& dir, std::string_view name) {
    const std::string path = key_path(dir, name);
    if (unlink(path.c_str()) < 0 && errno != ENOENT) throw_errno("remove the key file " + path);
}

}  // namespace subu::wg
