// The WireGuard backends use system/inside.h's file descriptors and namespace trips under their own names.
#pragma once
#include "system/inside.h"

namespace subu::wg {
using system::Fd;
using system::in_network_namespace;
}  // namespace subu::wg
