#include "reports/junit.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/text.hpp"
#include "harness/core/text_sanitize.hpp"
#include "reports/console.hpp"

namespace fc {

namespace {

// Durations are rounded to whole milliseconds once, so that the times of a suite and of the
// whole document are exact sums of what their children show.
std::int64_t to_ms(double seconds) {
    if (!std::isfinite(seconds) || seconds <= 0.0) {
        return 0;
    }
    return static_cast<std::int64_t>(std::llround(seconds * 1000.0));
}

std::string format_ms(std::int64_t ms) {
    std::string frac = std::to_string(ms % 1000);
    return std::to_string(ms / 1000) + "." + std::string(3 - frac.size(), '0') + frac;
}

// The JUnit schema's timestamp is an xs:dateTime without a time zone; results.json has "...Z".
std::string junit_timestamp(std::string_view utc) {
    if (!utc.empty() && utc.back() == 'Z') {
        utc.remove_suffix(1);
    }
    return std::string(utc);
}

std::string attr(std::string_view name, std::string_view value) {
    return " " + std::string(name) + "=\"" + xml_attribute(value) + "\"";
}

std::string attr(std::string_view name, long long value) {
    return attr(name, std::to_string(value));
}

// What one testcase element says, decided once so that counts and elements cannot disagree.
enum class Outcome { passed, failure, error, skipped };

Outcome outcome_of(const CellResult& cell, bool strict) {
    switch (cell.verdict) {
        case Verdict::pass: return Outcome::passed;
        case Verdict::fail: return Outcome::failure;
        case Verdict::error: return Outcome::error;
        case Verdict::unsupported: return Outcome::skipped;
        case Verdict::xfail: return Outcome::skipped;
        case Verdict::xpass: return strict ? Outcome::failure : Outcome::passed;
    }
    return Outcome::error;
}

struct Totals {
    long long tests = 0, failures = 0, errors = 0, skipped = 0;
    std::int64_t ms = 0;

    void add(const CellResult& cell, bool strict) {
        ++tests;
        ms += to_ms(cell.duration_s);
        switch (outcome_of(cell, strict)) {
            case Outcome::passed: break;
            case Outcome::failure: ++failures; break;
            case Outcome::error: ++errors; break;
            case Outcome::skipped: ++skipped; break;
        }
    }

    std::string attributes() const {
        return attr("tests", tests) + attr("failures", failures) + attr("errors", errors) +
               attr("skipped", skipped) + attr("time", format_ms(ms));
    }
};

struct Suite {
    std::string server, client;
    std::vector<const CellResult*> cells;
    Totals totals;
};

// Suites in the order their pair first appears in the run; cells keep their run order.
std::vector<Suite> group(const RunResult& run, bool strict) {
    std::vector<Suite> suites;
    for (const auto& cell : run.cells) {
        Suite* suite = nullptr;
        for (auto& s : suites) {
            if (s.server == cell.server && s.client == cell.client) {
                suite = &s;
                break;
            }
        }
        if (suite == nullptr) {
            suite = &suites.emplace_back(Suite{cell.server, cell.client, {}, {}});
        }
        suite->cells.push_back(&cell);
        suite->totals.add(cell, strict);
    }
    return suites;
}

std::string version_of(const RunResult& run, const std::string& name, std::string_view kind) {
    for (const auto& e : run.endpoints) {
        if (e.name == name && e.kind == kind) {
            return e.version;
        }
    }
    return "";
}

void property(std::ostream& os, std::string_view indent, std::string_view name,
              std::string_view value) {
    os << indent << "<property" << attr("name", name) << attr("value", value) << "/>\n";
}

// The <failure message> of a failed check: the spec references it rests on, then the step
// ("RFC4217 9: step 3 (expect code=234 after AUTH TLS, line 12): expected code 234, observed
// code 500"); under `run --repeat`, the counts come after the references ("RFC4217 9: fail
// 2/5, pass 3/5: step 3 ...").
std::string failure_message(const CellResult& cell) {
    if (!cell.failure) {
        return cell_detail(cell);
    }
    const std::string refs = join(cell.spec_refs, ", ");
    const std::string counts = cell.repeats.empty() ? "" : cell.repeat_counts() + ": ";
    return one_line((refs.empty() ? "" : refs + ": ") + counts + failure_reason(*cell.failure));
}

// "spec: RFC4217 9\n  \"The quoted sentence.\"\n" per reference of a failed cell.
std::string spec_lines(const CellResult& cell) {
    std::string text;
    for (std::size_t i = 0; i < cell.spec_refs.size(); ++i) {
        text += "spec: " + cell.spec_refs[i] + "\n";
        if (i < cell.spec_quotes.size() && !cell.spec_quotes[i].empty()) {
            text += "  \"" + cell.spec_quotes[i] + "\"\n";
        }
    }
    return text;
}

// The body of a <failure> or <error>: the whole story, several lines.
std::string failure_details(const CellResult& cell) {
    std::string text = cell.verdict == Verdict::fail ? spec_lines(cell) : "";
    if (cell.failure) {
        const Failure& f = *cell.failure;
        text += "step " + std::to_string(f.step_index);
        text += f.line > 0 ? " (line " + std::to_string(f.line) + ")" : "";
        text += ": " + f.step + "\nexpected: " + f.expected + "\nobserved: " + f.observed + "\n";
    }
    if (!cell.reason.empty()) {
        text += cell.reason + "\n";
    }
    if (!cell.transcript_path.empty()) {
        text += "transcript: " + cell.transcript_path + "\n";
    }
    return text;
}

std::string xpass_message(const CellResult& cell) {
    return "xpass: passed although declared as a known deviation; the declaration is stale" +
           (cell.reason.empty() ? std::string() : ": " + one_line(cell.reason));
}

void outcome_element(std::ostream& os, const CellResult& cell, bool strict) {
    constexpr std::string_view in = "      ";
    switch (cell.verdict) {
        case Verdict::pass: return;
        case Verdict::fail:
            os << in << "<failure" << attr("message", failure_message(cell)) << attr("type", "fail")
               << ">" << xml_text(failure_details(cell)) << "</failure>\n";
            return;
        case Verdict::error:
            os << in << "<error" << attr("message", cell_detail(cell)) << attr("type", "error")
               << ">" << xml_text(failure_details(cell)) << "</error>\n";
            return;
        case Verdict::unsupported:
            os << in << "<skipped" << attr("message", "unsupported: " + one_line(cell.reason))
               << "/>\n";
            return;
        case Verdict::xfail:
            os << in << "<skipped" << attr("message", "xfail: " + one_line(cell.reason)) << "/>\n";
            return;
        case Verdict::xpass:
            if (strict) {
                const std::string message = xpass_message(cell);
                os << in << "<failure" << attr("message", message) << attr("type", "xpass") << ">"
                   << xml_text(message + "\n") << "</failure>\n";
            }
            return;
    }
}

void testcase(std::ostream& os, const CellResult& cell, bool strict) {
    os << "    <testcase"
       << attr("classname", cell.area.empty() ? std::string("ftps-conform") : cell.area)
       << attr("name", cell.scenario_id) << attr("time", format_ms(to_ms(cell.duration_s)))
       << ">\n";
    constexpr std::string_view in = "        ";
    os << "      <properties>\n";
    property(os, in, "verdict", to_string(cell.verdict));
    if (!cell.level.empty()) {
        property(os, in, "level", cell.level);
    }
    for (const auto& ref : cell.spec_refs) {
        property(os, in, "spec", ref);
    }
    if (cell.verdict == Verdict::xfail && cell.failure) {
        property(os, in, "xfail.observed", cell_detail(cell));
    }
    if (!cell.repeats.empty()) {
        property(os, in, "repeats", cell.repeat_counts());
        if (cell.flaky()) {
            property(os, in, "flaky", "true");
        }
    }
    if (cell.verdict == Verdict::xpass && !strict) {
        property(os, in, "xpass", xpass_message(cell));
    }
    if (!cell.cell_dir.empty()) {
        property(os, in, "cell_dir", cell.cell_dir);
    }
    if (!cell.transcript_path.empty()) {
        property(os, in, "transcript", cell.transcript_path);
    }
    for (const auto& [name, value] : cell.properties) {
        property(os, in, name, value);
    }
    os << "      </properties>\n";
    outcome_element(os, cell, strict);
    if (!cell.transcript_excerpt.empty()) {
        os << "      <system-out>" << xml_text(cell.transcript_excerpt) << "</system-out>\n";
    }
    os << "    </testcase>\n";
}

void testsuite(std::ostream& os, const RunResult& run, const Suite& suite, bool strict) {
    os << "  <testsuite" << attr("name", suite.server + "__" + suite.client)
       << suite.totals.attributes() << attr("timestamp", junit_timestamp(run.started_utc))
       << attr("hostname", "localhost") << ">\n";
    constexpr std::string_view in = "    ";
    os << in << "<properties>\n";
    property(os, "      ", "server", suite.server);
    property(os, "      ", "server.version", version_of(run, suite.server, "server"));
    property(os, "      ", "client", suite.client);
    property(os, "      ", "client.version", version_of(run, suite.client, "client"));
    os << in << "</properties>\n";
    for (const CellResult* cell : suite.cells) {
        testcase(os, *cell, strict);
    }
    os << "  </testsuite>\n";
}

}  // namespace

void write_junit(const RunResult& run, std::ostream& os, bool strict) {
    const std::vector<Suite> suites = group(run, strict);
    Totals totals;
    for (const auto& cell : run.cells) {
        totals.add(cell, strict);
    }
    os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    os << "<testsuites" << attr("name", "ftps-conform") << totals.attributes() << ">\n";
    for (const auto& suite : suites) {
        testsuite(os, run, suite, strict);
    }
    os << "</testsuites>\n";
}

}  // namespace fc
