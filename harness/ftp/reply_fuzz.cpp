// libFuzzer target for the FTP reply parser (ci/fuzz, FTPS_CONFORM_FUZZ=ON): what a server
// under test sends is untrusted. The input's first byte chooses the chunk size the rest is fed
// in; small limits make the overlong cases common. Any broken invariant traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/ftp/reply.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

void check_reply(const fc::Reply& r, const fc::ReplyParser::Limits& limits) {
    check(r.code >= 100 && r.code <= 699);
    check(!r.lines.empty() && r.lines.size() <= limits.max_lines);
    check(r.lines.front().compare(0, 3, std::to_string(r.code)) == 0);
    std::size_t bytes = 0;
    for (const std::string& line : r.lines) {
        check(line.size() <= limits.max_line);
        check(line.find('\n') == std::string::npos);
        bytes += line.size() + 2;
    }
    check(bytes <= limits.max_reply);
    check(r.multiline() == (r.lines.size() > 1));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::size_t chunk = 1 + data[0] % 61;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    fc::ReplyParser::Limits limits{64, 8, 256};
    fc::ReplyParser parser(limits);
    for (std::size_t i = 0; i < input.size(); i += chunk) {
        parser.feed(input.substr(i, chunk));
        while (auto reply = parser.next()) {
            check_reply(*reply, limits);
        }
        // Drained: only an unfinished line and an open multi-line reply remain.
        if (!parser.failed()) {
            check(parser.buffered() <= limits.max_line + limits.max_reply);
        } else {
            check(!parser.error().empty());
        }
    }
    std::string shown = fc::printable(input, 40);
    check(shown.size() <= 40 + 4 + 3);  // a last \xNN escape may pass the bound, then "..."
    return 0;
}
