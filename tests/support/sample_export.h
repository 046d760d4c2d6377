// A realistic boot export of n subus, shared by the generator's tests and its benchmark.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace subu::samples {

// Masus with trees up to four levels deep, names with '-', network up for
// every second subu, loopback up for every third; in format 2 each subu has
// a uid (100000 + N) and every tenth subu an attached service, svc-N.service.
inline std::string sample_export(std::size_t n, int format = 2) {
    std::string out = "# subu export " + std::to_string(format) +
                      ": written by subu-manager on every change, read by subu-generator at boot. Do not edit.\n"
                      "# id\tname\tparent\tnetwork\tloopback" +
                      std::string(format >= 2 ? "\tuid\n" : "\n");
    std::string services = format >= 2 ? "# service\tsubu\tunit\tuser\n" : "";
    std::vector<std::pair<std::string, std::size_t>> open;  // the ancestors of the next subu: name, id
    for (std::size_t i = 1; i <= n; ++i) {
        if (i % 4 == 1 || open.size() == 3) open.clear();
        const std::string token = (i % 5 == 0 ? "s-" : "s") + std::to_string(i);
        const std::string name =
            open.empty() ? "masu" + std::to_string(i % 7) + "_" + token : open.back().first + "_" + token;
        out += "subu_" + std::to_string(i) + "\t" + name + "\t" +
               (open.empty() ? std::string("-") : "subu_" + std::to_string(open.back().second)) + "\t" +
               (i % 2 == 0 ? "up" : "down") + "\t" + (i % 3 == 0 ? "up" : "down") +
               (format >= 2 ? "\t" + std::to_string(100000 + i) : std::string()) + "\n";
        if (format >= 2 && i % 10 == 0)
            services += "service\tsubu_" + std::to_string(i) + "\tsvc-" + std::to_string(i) + ".service\t" + name + "\n";
        open.emplace_back(name, i);
    }
    return out + services;
}

}  // namespace subu::samples
