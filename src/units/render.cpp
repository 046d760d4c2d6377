// Unit rendering for subu-generator. The texts here are the contract with
// systemd: tests compare them byte for byte and run systemd-analyze verify.
#include "units/render.h"

#include "bpf/steering.h"
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

}  // namespace

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
                          std::string_view source_path) {
    GeneratedTree tree;
    tree.reserve(rows.size() * 5);
    const std::string source = literal(source_path);
    static const std::string tail = "\nRequires=" + std::string(steering_unit) + "\nAfter=" +
                                    std::string(steering_unit) + "\nBefore=slices.target\n\n" + slice_body();
    std::string dir(unit_dir);
    if (!dir.empty() && dir.back() != '/') dir += '/';

    for (const auto& r : rows) {
        std::string unit(generated_header);
        unit += "\n[Unit]\nDescription=subu " + literal(r.name) + " (" + literal(r.id) + ")\nSourcePath=" + source + tail;
        tree.push_back({slice(r.name), Entry::Kind::File, std::move(unit)});
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
