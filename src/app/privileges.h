// Dropping root after the listeners are bound (see docs/adr/0001-one-process.md).
#pragma once

#include <string>

#include "common/result.h"

namespace herald::app {

// When running as root and `user` is set: hands data_dir to that user, then switches group
// and user for good. Not root: nothing to do. Root without `user`: a warning, no change.
Result<void> drop_privileges(const std::string& user, const std::string& data_dir);

}  // namespace herald::app
