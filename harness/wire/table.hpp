#pragma once
// Wire facts as a short text table, for a cell's README and `explain`.
#include <string>

#include "harness/wire/facts.hpp"

namespace fc::wire {

/// One line per connection, e.g.
///   #1 control 127.0.0.1:40312 -> 127.0.0.1:2121  AUTH TLS→234 then TLS 1.3
///      TLS_AES_256_GCM_SHA384 full, client cert no, close_notify c:yes s:yes,
///      app bytes c→s 120 s→c 380 (decrypted)
/// then the capture's warnings and error, if any.
std::string wire_table(const WireFacts& facts);

}  // namespace fc::wire
