// A realistic boot export of n subus, shared by the generator's tests and its benchmark.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace subu::samples {

// Masus with trees up to four levels deep, names with '-', network up for
// every second subu, loopback up for every third.
inline std::string sample_export(std::size_t n) {
    std::string out =
        "# subu export 1: written by subu-manager on every change, read by subu-generator at boot. Do not edit.\n"
        "# id\tname\tparent\tnetwork\tloopback\n";
    std::vector<std::pair<std::string, std::size_t>> open;  // the ancestors of the next subu: name, id
    for (std::size_t i = 1; i <= n; ++i) {
        if (i % 4 == 1 || open.size() == 3) open.clear();
        const std::string token = (i % 5 == 0 ? "s-" : "s") + std::to_string(i);
        const std::string name =
            open.empty() ? "masu" + std::to_string(i % 7) + "_" + token : open.back().first + "_" + token;
        out += "subu_" + std::to_string(i) + "\t" + name + "\t" +
               (open.empty() ? std::string("-") : "subu_" + std::to_string(open.back().second)) + "\t" +
               (i % 2 == 0 ? "up" : "down") + "\t" + (i % 3 == 0 ? "up" : "down") + "\n";
        open.emplace_back(name, i);
    }
    return out;
}

}  // namespace subu::samples
