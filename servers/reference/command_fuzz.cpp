// libFuzzer target for the control-line framing and parser (ci/fuzz, FTPS_CONFORM_FUZZ=ON).
// The input's first byte chooses the chunk size the rest is fed in; every line is parsed, and
// any broken invariant traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "servers/reference/command.hpp"

namespace {

constexpr std::size_t max_line = 64;  // small, so overlong lines are common

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

void check_parse(std::string_view line) {
    fc::ref::ParseResult r = fc::ref::parse_command(line, 32);
    if (!r.command) {
        check(r.code == 500 || r.code == 501);
        check(!r.message.empty());
        return;
    }
    const fc::ref::Command& c = *r.command;
    check(c.verb.size() >= 3 && c.verb.size() <= 4);
    for (char ch : c.verb) {
        check(ch >= 'A' && ch <= 'Z');  // so no CR, LF or NUL either
    }
    check(c.arg.size() <= 32);
    check(c.line.size() <= line.size());
    for (char ch : c.line) {
        auto u = static_cast<unsigned char>(ch);
        check(u >= 0x20 && u != 0x7f);
    }
    check(c.line.find(c.arg) != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::size_t chunk = 1 + data[0] % 97;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    check_parse(input);  // the whole input as one line too

    fc::ref::LineBuffer buffer(max_line);
    std::string line;
    for (std::size_t i = 0; i < input.size(); i += chunk) {
        buffer.feed(input.substr(i, chunk));
        // After a feed the buffer holds at most what was pending plus this chunk.
        check(buffer.buffered_bytes() <= max_line + 2 + 2 * chunk + 1);
        for (;;) {
            fc::ref::LineBuffer::Status s = buffer.next(&line);
            if (s == fc::ref::LineBuffer::Status::none) {
                break;
            }
            check(line.size() <= max_line);
            check(line.find('\n') == std::string::npos);
            if (s == fc::ref::LineBuffer::Status::line) {
                check_parse(line);
            }
        }
        // Drained: only the unterminated tail of one line remains, and it is bounded.
        check(buffer.buffered_bytes() <= max_line + 1);
    }
    buffer.clear();
    check(!buffer.has_pending());
    return 0;
}
