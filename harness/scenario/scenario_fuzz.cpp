// libFuzzer target for the scenario loader (ci/fuzz, FTPS_CONFORM_FUZZ=ON): scenario files come
// from users (`--scenarios`, `validate`). The input is one file's text. A loader must either
// give a scenario or say why, at a position inside the text; any broken invariant traps.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/scenario/loader.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

// The file is named after the input's first id="..." (the loader wants id == file stem), so
// seeds from scenarios/ load whole; other inputs are "input.xml".
std::string file_name(const std::string& text) {
    std::size_t at = text.find("id=\"");
    if (at == std::string::npos) {
        return "input.xml";
    }
    std::size_t end = text.find('"', at + 4);
    std::string id = text.substr(at + 4, end == std::string::npos ? 0 : end - at - 4);
    for (char c : id) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
            return "input.xml";
        }
    }
    return id.empty() ? "input.xml" : id + ".xml";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    int lines = 1;
    for (char c : text) {
        lines += c == '\n' ? 1 : 0;
    }
    std::vector<fc::Diagnostic> diags;
    const std::string file = "fuzz/" + file_name(text);
    std::optional<fc::Scenario> s = fc::load_scenario_text(file, text, diags);
    check(s.has_value() == diags.empty());
    for (const fc::Diagnostic& d : diags) {
        check(!d.message.empty());
        check(d.line >= 0 && d.line <= lines && d.column >= 0);
        check(d.str().starts_with(file + ":"));
    }
    if (s) {
        check(!s->id.empty());
        check(s->area == "fuzz");
    }
    return 0;
}
