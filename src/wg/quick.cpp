// Reads wg-quick files: compatible where wg-quick is lenient on form, strict on every value, silent about secrets.
#include "wg/quick.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/errors.h"
#include "core/text.h"
#include "wg/decimal.h"

namespace subu::wg {
namespace {

using detail::is_digit;
using detail::parse_decimal;

enum class Section { None, Interface, Peer };

struct KeySpec {
    Section section;
    const char* name;  // the spelling wg-quick(8) documents, for messages
    bool repeatable;
};

// Keyed by the lower-case spelling: keys are case-insensitive in wg-quick.
const std::map<std::string, KeySpec, std::less<>>& key_specs() {
    static const std::map<std::string, KeySpec, std::less<>> specs = {
        {"privatekey", {Section::Interface, "PrivateKey", false}},
        {"address", {Section::Interface, "Address", true}},
        {"dns", {Section::Interface, "DNS", true}},
        {"mtu", {Section::Interface, "MTU", false}},
        {"listenport", {Section::Interface, "ListenPort", false}},
        {"table", {Section::Interface, "Table", false}},
        {"preup", {Section::Interface, "PreUp", true}},
        {"postup", {Section::Interface, "PostUp", true}},
        {"predown", {Section::Interface, "PreDown", true}},
        {"postdown", {Section::Interface, "PostDown", true}},
        {"saveconfig", {Section::Interface, "SaveConfig", false}},
        {"fwmark", {Section::Interface, "FwMark", false}},
        {"publickey", {Section::Peer, "PublicKey", false}},
        {"presharedkey", {Section::Peer, "PresharedKey", false}},
        {"endpoint", {Section::Peer, "Endpoint", false}},
        {"allowedips", {Section::Peer, "AllowedIPs", true}},
        {"persistentkeepalive", {Section::Peer, "PersistentKeepalive", false}},
    };
    return specs;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}


const char* section_name(Section s) { return s == Section::Interface ? "[Interface]" : "[Peer]"; }

// A key name is shown only when it looks like one: a line such as
// "PrivateKey yAnz..." (the '=' forgotten) splits at the key's own '=' pad,
// and its "key" part must not be echoed.
bool plain_word(std::string_view key) {
    return !key.empty() && key.size() <= 24 && std::all_of(key.begin(), key.end(), [](char c) {
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    });
}
constexpr std::string_view hidden_key = "a key that is not a plain word (not shown, in case it is a secret)";


class Parser {
public:
    QuickConfig parse(std::string_view text) {
        constexpr std::string_view bom = "\xEF\xBB\xBF";
        if (text.substr(0, bom.size()) == bom) text.remove_prefix(bom.size());
        std::size_t start = 0;
        while (start < text.size()) {
            const std::size_t nl = text.find('\n', start);
            std::string_view line = text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
            ++line_;
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            take_line(line);
            if (nl == std::string_view::npos) break;
            start = nl + 1;
        }
        return finish();
    }

private:
    [[noreturn]] void fail(std::size_t line, const std::string& message) const {
        throw InvalidArgument("line " + std::to_string(line) + ": " + message);
    }
    [[noreturn]] void fail(const std::string& message) const { fail(line_, message); }

    // Rethrows a value's own message under this line's number (and, for a
    // secret, whose message cannot show the value, under the key's name).
    template <typename F>
    auto on_this_line(F&& f, std::string_view key = {}) -> decltype(f()) {
        try {
            return f();
        } catch (const InvalidArgument& e) {
            fail(key.empty() ? std::string(e.what()) : std::string(key) + ": " + e.what());
        }
    }

    void note(const std::string& message) { notes_.push_back("line " + std::to_string(line_) + ": " + message); }

    void take_line(std::string_view line) {
        // wg-quick cuts a comment at the first '#', anywhere on the line;
        // no value subu reads can hold one.
        line = line.substr(0, line.find('#'));
        for (unsigned char c : line)
            if ((c < 0x20 && c != '\t') || c >= 0x7f)
                fail("the byte " + shown(std::string_view(reinterpret_cast<const char*>(&c), 1)) +
                     " may only appear in a comment; a wg-quick file is plain ASCII text.");
        line = trim(line);
        if (line.empty()) return;
        if (line.front() == '[') return take_section(line);
        const std::size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            fail("expected 'Key = Value' or a section header like [Peer].");
        const std::string_view key = trim(line.substr(0, eq));
        const std::string_view value = trim(line.substr(eq + 1));
        if (key.empty()) fail("the line starts with '='; expected 'Key = Value'.");
        const auto it = key_specs().find(lower(key));
        if (section_ == Section::None)
            fail((it != key_specs().end() ? std::string(it->second.name)
                  : plain_word(key)       ? "the key " + shown(key)
                                          : std::string(hidden_key)) +
                 " appears before any [Interface] or [Peer] section.");
        if (it == key_specs().end())
            fail((plain_word(key) ? "unknown key " + shown(key) : std::string(hidden_key)) + " in " +
                 section_name(section_) + "; subu reads " +
                 (section_ == Section::Interface
                      ? "PrivateKey, Address, DNS and MTU there (and ignores ListenPort, Table, PreUp, PostUp, "
                        "PreDown, PostDown, SaveConfig and FwMark)."
                      : "PublicKey, PresharedKey, Endpoint, AllowedIPs and PersistentKeepalive there."));
        const KeySpec& spec = it->second;
        if (spec.section != section_)
            fail(std::string(spec.name) + " belongs in " + section_name(spec.section) + ", not in " +
                 section_name(section_) + ".");
        if (!spec.repeatable) {
            const auto [first, inserted] = seen_.emplace(spec.name, line_);
            if (!inserted)
                fail(std::string(spec.name) + " is given a second time (first on line " +
                     std::to_string(first->second) + "); it may appear once.");
        }
        if (value.empty()) fail(std::string(spec.name) + " has no value.");
        take_value(spec.name, value);
    }

    void take_section(std::string_view line) {
        if (line.back() != ']') fail("a section header must be a whole line like [Interface] or [Peer].");
        const std::string name = lower(line.substr(1, line.size() - 2));
        seen_.clear();
        if (name == "interface") {
            if (interface_line_)
                fail("a second [Interface] section (the first is on line " + std::to_string(interface_line_) +
                     "); give the interface once.");
            section_ = Section::Interface;
            interface_line_ = line_;
        } else if (name == "peer") {
            if (peer_)
                fail("a second [Peer] section (the first is on line " + std::to_string(peer_line_) +
                     "); subu supports exactly one peer per tunnel.");
            section_ = Section::Peer;
            peer_line_ = line_;
            peer_.emplace();
        } else {
            fail("unknown section " + shown(line, 24) + "; expected [Interface] or [Peer].");
        }
    }

    void take_value(std::string_view key, std::string_view value) {
        if (key == "PrivateKey") {
            // The message from private_key_from_base64 never shows the text.
            private_key_.emplace(on_this_line([&] { return private_key_from_base64(value); }, key));
        } else if (key == "Address") {
            for (std::string_view item : list(key, value))
                addresses_.push_back(on_this_line([&] { return parse_address(item); }));
        } else if (key == "DNS") {
            for (std::string_view item : list(key, value)) take_dns(item);
        } else if (key == "MTU") {
            const auto mtu = parse_decimal(value, 65535);
            if (!mtu || *mtu < 576)
                fail("MTU is " + shown(value) + "; expected a number from 576 to 65535 without sign or leading zeros.");
            mtu_ = *mtu;
        } else if (key == "ListenPort") {
            if (!parse_decimal(value, 65535))
                fail("ListenPort is " + shown(value) + "; expected a number from 0 to 65535.");
            note("ListenPort is not used; the kernel picks the tunnel's UDP port.");
        } else if (key == "PreUp" || key == "PostUp" || key == "PreDown" || key == "PostDown") {
            note_once(key, std::string(key) + " is a wg-quick hook; subu ignores it and runs no commands from the file.");
        } else if (key == "Table") {
            note_once(key, "Table is a wg-quick routing setting; subu ignores it and routes the subu's traffic itself.");
        } else if (key == "SaveConfig") {
            note_once(key, "SaveConfig is a wg-quick setting; subu ignores it and never writes to the file.");
        } else if (key == "FwMark") {
            note_once(key, "FwMark is ignored; subu routes the subu's traffic itself and needs no firewall mark.");
        } else if (key == "PublicKey") {
            peer_->public_key = on_this_line([&] { return key_from_base64(value); });
            has_public_key_ = true;
        } else if (key == "PresharedKey") {
            // Decoded as a secret so a mistyped one is not shown either.
            PrivateKey psk = on_this_line([&] { return private_key_from_base64(value); }, key);
            peer_->preshared_key = Key{psk.bytes()};
        } else if (key == "Endpoint") {
            peer_->endpoint = on_this_line([&] { return parse_endpoint(value); });
        } else if (key == "AllowedIPs") {
            for (std::string_view item : list(key, value)) {
                const Cidr c = on_this_line([&] { return parse_address(item); });
                if (!canonical(c))
                    note("AllowedIPs " + to_string(c) + " has host bits set; WireGuard uses it as " +
                         to_string(network_of(c)) + ".");
                peer_->allowed_ips.push_back(c);
            }
        } else if (key == "PersistentKeepalive") {
            const auto seconds = value == "off" ? std::optional<std::uint32_t>(0) : parse_decimal(value, 65535);
            if (!seconds)
                fail("PersistentKeepalive is " + shown(value) +
                     "; expected seconds from 0 to 65535 (or off) without sign or leading zeros.");
            peer_->persistent_keepalive = *seconds;
        }
    }

    std::vector<std::string_view> list(std::string_view key, std::string_view value) {
        auto items = split_list(value);
        for (std::string_view item : items)
            if (item.empty()) fail(std::string(key) + " has an empty item in its comma-separated list.");
        return items;
    }

    void take_dns(std::string_view item) {
        if (item.find('/') != std::string_view::npos)
            fail("DNS server " + shown(item) + " has a prefix; give a bare address like 10.8.0.1.");
        const bool address_like = item.find(':') != std::string_view::npos ||
                                  std::all_of(item.begin(), item.end(), [](char c) { return is_digit(c) || c == '.'; });
        if (address_like) on_this_line([&] { return parse_address(item); });
        else if (!valid_dns_name(item))
            fail("DNS entry " + shown(item) +
                 " is neither an IP address nor a valid DNS name (which wg-quick would take as a search domain).");
        dns_.emplace_back(item);
    }

    void note_once(std::string_view key, const std::string& message) {
        if (noted_.emplace(key).second) note(message);
    }

    QuickConfig finish() {
        const std::size_t end = std::max<std::size_t>(line_, 1);
        if (!interface_line_) fail(end, "the file has no [Interface] section; it needs one with a PrivateKey.");
        if (!private_key_) fail(interface_line_, "the [Interface] section has no PrivateKey.");
        if (!peer_) fail(end, "the file has no [Peer] section; subu needs exactly one peer.");
        if (!has_public_key_) fail(peer_line_, "the [Peer] section has no PublicKey.");
        if (peer_->allowed_ips.empty())
            notes_.push_back("line " + std::to_string(peer_line_) +
                             ": the peer has no AllowedIPs, so no traffic can go through the tunnel.");
        std::vector<QuickConfig::Peer> peers;
        peers.push_back(std::move(*peer_));
        return QuickConfig{.private_key = std::move(*private_key_),
                           .addresses = std::move(addresses_),
                           .dns = std::move(dns_),
                           .mtu = mtu_,
                           .peers = std::move(peers),
                           .notes = std::move(notes_)};
    }

    std::size_t line_ = 0;
    Section section_ = Section::None;
    std::map<std::string, std::size_t, std::less<>> seen_;  // single-valued keys of this section -> line
    std::set<std::string, std::less<>> noted_;
    std::size_t interface_line_ = 0;
    std::size_t peer_line_ = 0;
    std::optional<PrivateKey> private_key_;
    std::vector<Cidr> addresses_;
    std::vector<std::string> dns_;
    std::optional<unsigned> mtu_;
    std::optional<QuickConfig::Peer> peer_;
    bool has_public_key_ = false;
    std::vector<std::string> notes_;
};

}  // namespace

QuickConfig parse_wg_quick(std::string_view text) { return Parser().parse(text); }

}  // namespace subu::wg
