// The seam the service keeps the kernel's uid rule through (bpf::PinnedUidRule; a fake in tests).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace subu::system {

// Each subu's uid may make inet sockets only inside its own namespace; these
// calls say which. Each is idempotent. NotFound when the rule is not loaded.
class UidRule {
public:
    virtual ~UidRule() = default;
    // The uid is a subu's with no namespace to be in: refused everywhere.
    virtual void close(std::uint32_t uid) = 0;
    // The uid is no subu's any more.
    virtual void forget(std::uint32_t uid) = 0;
    // Exactly these uids have entries, each in the namespace named (under
    // /run/netns; "" or a namespace that is not there: closed). Returns what it changed.
    virtual std::vector<std::string> converge(const std::map<std::uint32_t, std::string>& netns_of_uid) = 0;
};

}  // namespace subu::system
