// libFuzzer target for the results.json reader (ci/fuzz, FTPS_CONFORM_FUZZ=ON): `report` and
// `merge` read files written on other machines. The input is a file's text: it is read, or
// refused with a UsageError naming the file; what was read is written and read back the same.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "harness/core/error.hpp"
#include "reports/results_json.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    fc::RunResult run;
    try {
        run = fc::read_results_json(in, "results.json");
    } catch (const fc::UsageError& e) {
        check(std::string(e.what()).starts_with("results.json"));
        return 0;
    }
    std::ostringstream out;
    fc::write_results_json(run, out);
    std::istringstream back(out.str());
    fc::RunResult again = fc::read_results_json(back, "rewritten results.json");
    check(again.cells.size() == run.cells.size());
    std::ostringstream out2;
    fc::write_results_json(again, out2);
    check(out2.str() == out.str());  // one round trip reaches the fixed point
    return 0;
}
