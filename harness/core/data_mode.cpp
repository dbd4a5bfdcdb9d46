#include "harness/core/data_mode.hpp"

namespace fc {

std::string_view to_string(DataMode mode) {
    switch (mode) {
        case DataMode::pasv: return "pasv";
        case DataMode::epsv: return "epsv";
        case DataMode::port: return "port";
        case DataMode::eprt: return "eprt";
    }
    return "?";
}

std::optional<DataMode> data_mode_from_string(std::string_view text) {
    for (DataMode m : {DataMode::pasv, DataMode::epsv, DataMode::port, DataMode::eprt}) {
        if (text == to_string(m)) {
            return m;
        }
    }
    return std::nullopt;
}

}  // namespace fc
