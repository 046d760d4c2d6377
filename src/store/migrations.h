// The schema migrations, compiled in from schema/NNNN-*.sql in order.
#pragma once
#include <vector>

namespace subu::store {

struct Migration {
    int version;          // PRAGMA user_version after this migration
    const char* file;     // schema/<file>, for messages
    const char* sql;
};

const std::vector<Migration>& migrations();

}  // namespace subu::store
