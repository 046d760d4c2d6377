// `subu exec`: runs a program as a subu through the manager, relaying a terminal when there is one.
#pragma once
#include <string>
#include <vector>

namespace subu::cli {

// `subu exec SUBU [--] PROGRAM [ARG...]` (args after "exec"); returns the program's exit status.
int exec_verb(const std::vector<std::string>& args);

// The exit status a shell reports for ExecMainCode/ExecMainStatus: the
// status when it exited, 128+N when signal N ended it, -1 when it never ran.
int shell_status(int code, int status);

extern const char* const exec_help_text;

}  // namespace subu::cli
