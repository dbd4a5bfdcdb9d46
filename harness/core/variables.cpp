#include "harness/core/variables.hpp"

#include "harness/core/error.hpp"

namespace fc {

std::string substitute(std::string_view text, const Variables& vars, std::string_view where) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t open = text.find("${", pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        std::size_t close = text.find('}', open + 2);
        if (close == std::string_view::npos) {
            throw HarnessError(std::string(where) + ": unterminated ${ in \"" + std::string(text) +
                               "\"");
        }
        std::string_view name = text.substr(open + 2, close - open - 2);
        auto it = vars.find(name);
        if (it == vars.end()) {
            throw HarnessError(std::string(where) + ": undefined variable ${" + std::string(name) +
                               "}");
        }
        out.append(it->second);
        pos = close + 1;
    }
    return out;
}

}  // namespace fc
