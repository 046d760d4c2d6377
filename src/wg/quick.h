// The wg-quick configuration file (wg-quick(8)), read into what subu needs for one tunnel.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wg/addr.h"
#include "wg/keys.h"

namespace subu::wg {

struct QuickConfig {
    PrivateKey private_key;
    std::vector<Cidr> addresses;  // Address=, host bits kept ("10.8.0.2/24")
    // DNS=: IP addresses as written, and names as written. wg-quick treats a
    // DNS= entry that is not an IP address as a search domain; subu keeps such
    // an entry only when it is a valid DNS name (see valid_dns_name) and leaves
    // telling servers from search domains to whoever writes resolv.conf.
    std::vector<std::string> dns;
    std::optional<unsigned> mtu;  // 576..65535
    struct Peer {
        Key public_key;
        std::optional<Key> preshared_key;  // a secret too: never shown in a message
        std::optional<Endpoint> endpoint;
        std::vector<Cidr> allowed_ips;  // a bare address is /32 or /128
        std::optional<unsigned> persistent_keepalive;  // seconds, 0..65535; "off" is 0
    };
    std::vector<Peer> peers;  // exactly one: subu runs one tunnel per subu
    // What a person should know about the file that did not stop it being
    // read: keys subu ignores, each named once with its first line.
    std::vector<std::string> notes;
};

// Reads a wg-quick file as wg-quick does where it matters (case-insensitive
// keys, '#' comments, whitespace around '=' and values, repeatable Address=,
// DNS= and AllowedIPs=, comma-separated lists, CRLF line ends, a leading
// UTF-8 byte order mark) and strictly everywhere else. Anything wrong throws
// InvalidArgument starting "line N:"; no message ever holds the private or
// preshared key, nor a whole line (which might).
QuickConfig parse_wg_quick(std::string_view text);

}  // namespace subu::wg
