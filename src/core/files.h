// Files written atomically: temp file in the same directory, fsync, rename, fsync of the directory.
#pragma once
#include <string>
#include <string_view>

namespace subu::files {

// Replaces `path` with `content` (mode `mode`) so a reader sees the old or the
// new file, never a part; the temp file is removed on every error path.
void write_atomically(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace subu::files
