// subu: the command-line client of subu-manager.
#include "cli/cli.h"

int main(int argc, char** argv) { return subu::cli::run(std::vector<std::string>(argv + 1, argv + argc)); }
