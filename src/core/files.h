// Files written atomically: temp file in the same directory, fsync, rename, fsync of the directory.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace subu::files {

// Replaces `path` with `content` (mode `mode`) so a reader sees the old or the
// new file, never a part; the temp file is removed on every error path.
void write_atomically(const std::string& path, std::string_view content, unsigned mode = 0644);

// The whole content of the regular file `path`, or nothing when there is no
// such file or it cannot be read.
std::optional<std::string> read_if_exists(const std::string& path);

}  // namespace subu::files
