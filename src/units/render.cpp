// Unit rendering for subu-generator. The texts here are the contract with
// systemd: tests compare them byte for byte and run systemd-analyze verify.
#include "units/render.h"

#include <algorithm>

#include "bpf/steering.h"
#include "names/names.h"
#include "units/escape.h"

namespace subu::units {
namespace {

// Description= and SourcePath= expand %-specifiers; a literal '%' must be doubled.
std::string literal(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '%') out += '%';
        out += c;
    }
    return out;
}

// Every subu slice carries the steering program on each hook, from the pins
// subu-bpf.service makes; systemd attaches them whenever the slice's cgroup exists.
std::string slice_body() {
    std::string out = "[Slice]\n";
    for (const auto& h : bpf::hooks()) {
        out += "BPFProgram=";
        out += h.name;
        out += ':';
        out += bpf::default_pin_dir;
        out += '/';
        out += h.name;
        out += '\n';
    }
    return out;
}

// What every process of a subu gets, however it is started: the subu's
// namespace, its DNS (bound where it exists; ip netns exec reads the same
// file) and no way to the host's resolvers, which cross namespaces as Unix
// sockets.
std::string confinement(const exporting::ExportRow& r) {
    std::string out = "NetworkNamespacePath=" + names::netns_path(r.num) + "\n";
    out += "BindReadOnlyPaths=-" + names::resolv_conf_path(r.num) + ":/etc/resolv.conf\n";
    for (auto dir : names::host_resolver_dirs) {
        out += "InaccessiblePaths=-";
        out += dir;
        out += '\n';
    }
    return out;
}

}  // namespace

std::string user_manager_dropin(const exporting::ExportRow& r) {
    const auto netns = service("subu-netns", r.name);
    // BindsTo=, not Requires=: the user manager lives exactly as long as the
    // namespace unit is active. Should that unit go inactive in any way (a
    // stop, network down, a remove, a failure), the manager and every user
    // service stop with it, rather than live on in a namespace that is torn
    // down; Requires= would let them stay when the unit merely went inactive.
    return std::string(generated_header) + "# The user manager of subu " + literal(r.name) + " (" + r.id +
           "), and so every user service, runs in the subu's network namespace.\n\n[Unit]\nBindsTo=" + netns +
           "\nAfter=" + netns + "\n\n[Service]\n" + confinement(r);
}

std::string attached_service_dropin(const exporting::ExportRow& r, const exporting::ExportService& s) {
    const auto up = service("subu", r.name);
    // Bound to subu@ (the subu with its network up): the service runs only
    // while its subu is up, and starting it brings the subu up.
    return std::string(generated_header) + "# " + s.unit + " is attached to subu " + literal(r.name) + " (" + r.id +
           "): it runs in the subu's network namespace and slice, as " + s.user + ".\n\n[Unit]\nBindsTo=" + up +
           "\nAfter=" + up + "\n\n[Service]\nUser=" + s.user + "\nSlice=" + slice(r.name) + "\n" + confinement(r);
}

std::string user_manager(std::uint32_t uid) { return "user@" + std::to_string(uid) + ".service"; }

std::string slice(std::string_view subu_name) {
    std::string out = "subu";
    std::size_t start = 0;
    for (;;) {
        const auto cut = subu_name.find('_', start);
        out += '-';
        out += escape(subu_name.substr(start, cut == std::string_view::npos ? cut : cut - start));
        if (cut == std::string_view::npos) break;
        start = cut + 1;
    }
    return out + ".slice";
}

std::string slice_cgroup(std::string_view subu_name) {
    std::string out = "subu.slice";
    for (auto cut = subu_name.find('_'); cut != std::string_view::npos; cut = subu_name.find('_', cut + 1))
        out += "/" + slice(subu_name.substr(0, cut));
    return out + "/" + slice(subu_name);
}

GeneratedTree render_tree(const std::vector<exporting::ExportRow>& rows, std::string_view unit_dir,
                          std::string_view source_path, const std::vector<exporting::ExportService>& services) {
    GeneratedTree tree;
    tree.reserve(rows.size() * 6 + services.size());
    const std::string source = literal(source_path);
    static const std::string tail = "\nRequires=" + std::string(steering_unit) + "\nAfter=" +
                                    std::string(steering_unit) + "\nBefore=slices.target\n\n" + slice_body();
    std::string dir(unit_dir);
    if (!dir.empty() && dir.back() != '/') dir += '/';

    for (const auto& r : rows) {
        std::string unit(generated_header);
        unit += "\n[Unit]\nDescription=subu " + literal(r.name) + " (" + literal(r.id) + ")\nSourcePath=" + source + tail;
        tree.push_back({slice(r.name), Entry::Kind::File, std::move(unit)});
        if (r.uid != 0)
            tree.push_back({user_manager(r.uid) + ".d/" + std::string(dropin_name),
                            Entry::Kind::File, user_manager_dropin(r)});
    }
    for (const auto& s : services) {
        const auto r = std::find_if(rows.begin(), rows.end(), [&](const auto& row) { return row.num == s.subu_num; });
        if (r == rows.end()) continue;  // the parser never gives one: its subu must be in the export
        tree.push_back({s.unit + ".d/" + std::string(dropin_name), Entry::Kind::File, attached_service_dropin(*r, s)});
    }
    const std::string wants(wants_dir);
    for (const auto& r : rows) {
        // Every subu's slice is up from boot, so it is there (and in
        // systemd-cgls) before anything runs in it.
        tree.push_back({wants + '/' + slice(r.name), Entry::Kind::Symlink, "../" + slice(r.name)});
        tree.push_back(
            {wants + '/' + service("subu-netns", r.name), Entry::Kind::Symlink, dir + "subu-netns@.service"});
        if (r.network == "up")
            tree.push_back({wants + '/' + service("subu", r.name), Entry::Kind::Symlink, dir + "subu@.service"});
    }
    return tree;
}

}  // namespace subu::units
