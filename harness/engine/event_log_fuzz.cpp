// libFuzzer target for the reference server's event-log reader (ci/fuzz,
// FTPS_CONFORM_FUZZ=ON): the <log-expect> checks read whatever a killed or misbehaving server
// left in its log. The input is a log's text. Any broken invariant traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/event_record.hpp"
#include "harness/engine/event_log_check.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t lines = 1;
    for (char c : text) {
        lines += c == '\n' ? 1 : 0;
    }
    std::size_t bad = 0;
    std::vector<fc::Event> events = fc::parse_event_log(text, &bad);
    check(events.size() + bad <= lines);
    std::size_t last = 0;
    for (const fc::Event& e : events) {
        check(e.line > last && e.line <= lines);  // in order, one event per line
        last = e.line;
        (void)e.name();
    }
    // A record written back and read again keeps its fields (the writer's side of the format).
    if (auto record = fc::parse_event_line(text.substr(0, text.find('\n')))) {
        std::string line = fc::to_event_line(*record);
        check(!line.empty() && line.back() == '\n');
        check(line.find('\n') == line.size() - 1);
        auto again = fc::parse_event_line(std::string_view(line).substr(0, line.size() - 1));
        check(again.has_value() && again->fields.size() == record->fields.size());
    }
    return 0;
}
