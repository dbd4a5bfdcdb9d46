#pragma once
// How a data connection is set up: shared by the scenario model (<data-open mode=>) and
// the FTP layer that opens it.
#include <optional>
#include <string_view>

namespace fc {

/// PASV/EPSV (the client connects) or PORT/EPRT (the server connects back).
enum class DataMode { pasv, epsv, port, eprt };
/// "pasv", "epsv", "port", "eprt".
std::string_view to_string(DataMode mode);
/// The mode named `text`, or nullopt.
std::optional<DataMode> data_mode_from_string(std::string_view text);

}  // namespace fc
