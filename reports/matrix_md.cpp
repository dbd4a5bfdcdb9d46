#include "reports/matrix_md.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <utility>

#include "harness/core/text.hpp"
#include "harness/core/text_sanitize.hpp"
#include "reports/baseline.hpp"

namespace fc {

namespace {

constexpr std::size_t kMaxText = 240;  // bytes of one shown text before "…"

// Text of the run as one Markdown table cell or list item: one line, valid UTF-8, visible
// controls, shortened, and every character Markdown or HTML would act on backslash-escaped.
std::string md(std::string_view raw) {
    std::string text = one_line(raw);
    if (text.size() > kMaxText) {
        text.resize(valid_utf8_prefix(std::string_view(text).substr(0, kMaxText)));
        text += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
    }
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (std::string_view("\\`*_[]<>|~&!#").find(c) != std::string_view::npos) {
            out += '\\';
        }
        out += c;
    }
    return out;
}

// "✅ 94 ❌ 0 ⚠️ 0 ➖ 12 🟡 12", with "❗ n" for xpass only when there is one.
std::string counts_text(const VerdictCounts& c) {
    std::string out = "\xE2\x9C\x85 " + std::to_string(c.pass) + " \xE2\x9D\x8C " +
                      std::to_string(c.fail) + " \xE2\x9A\xA0\xEF\xB8\x8F " +
                      std::to_string(c.error) + " \xE2\x9E\x96 " + std::to_string(c.unsupported) +
                      " \xF0\x9F\x9F\xA1 " + std::to_string(c.xfail);
    if (c.xpass > 0) {
        out += " \xE2\x9D\x97 " + std::to_string(c.xpass);
    }
    return out;
}

void write_endpoints(const RunResult& run, std::ostream& os, std::string_view kind,
                     std::string_view label) {
    // A copy, not std::views::filter: clang 14 (build-asan/) cannot compile libstdc++ 12's.
    std::vector<EndpointInfo> of_kind;
    std::copy_if(run.endpoints.begin(), run.endpoints.end(), std::back_inserter(of_kind),
                 [&](const EndpointInfo& e) { return e.kind == kind; });
    const std::string list = join(of_kind, ", ", [](const EndpointInfo& e) {
        const std::string from = provenance_text(e);
        return md(e.name) + " " +
               (e.version.empty() ? std::string("(version unknown)") : md(e.version)) +
               (from.empty() ? "" : " (" + md(from) + ")");
    });
    if (!list.empty()) {
        os << "- **" << label << ":** " << list << "\n";
    }
}

void write_facts(const RunResult& run, std::ostream& os) {
    os << "# FTPS interop matrix\n\n";
    if (run.interrupted) {
        os << "> **Interrupted:** the run was stopped early; results are incomplete.\n\n";
    }
    os << "- **Run:** " << md(run.run_id) << "\n";
    os << "- **Date:** " << md(run.started_utc) << " to " << md(run.finished_utc) << " ("
       << seconds(run.duration_s) << " s)\n";
    os << "- **Host:** " << md(run.host) << "\n";
    os << "- **Tool:** ftps-conform " << md(run.tool_version) << "\n";
    write_endpoints(run, os, "server", "Servers");
    write_endpoints(run, os, "client", "Clients");
    const VerdictCounts total = count_verdicts(run.cells);
    os << "- **Cells:** " << total.total() << ": " << counts_text(total) << "\n\n";
}

}  // namespace

void write_matrix_grid_markdown(const MatrixLayout& layout, std::ostream& os) {
    os << "## Servers \xC3\x97 clients\n\n| Server \\\\ client |";
    for (const std::string& client : layout.clients) {
        os << " " << md(client) << " |";
    }
    os << "\n|---|";
    for (std::size_t i = 0; i < layout.clients.size(); ++i) {
        os << "---|";
    }
    os << "\n";
    for (const std::string& server : layout.servers) {
        os << "| **" << md(server) << "** |";
        for (const std::string& client : layout.clients) {
            const int pair = layout.pair_index(server, client);
            os << " "
               << (pair < 0 ? std::string("\xE2\x80\x93")
                            : counts_text(layout.pairs[static_cast<std::size_t>(pair)].counts))
               << " |";
        }
        os << "\n";
    }
    os << "\n\xE2\x9C\x85 pass \xC2\xB7 \xE2\x9D\x8C fail \xC2\xB7 \xE2\x9A\xA0\xEF\xB8\x8F error "
          "(harness or environment) \xC2\xB7 \xE2\x9E\x96 unsupported \xC2\xB7 "
          "\xF0\x9F\x9F\xA1 xfail (known deviation) \xC2\xB7 \xE2\x9D\x97 xpass (declared "
          "deviation did not happen) \xC2\xB7 \xE2\x80\x93 not run\n\n";
}

namespace {

void write_area_tables(const MatrixLayout& layout, std::ostream& os) {
    os << "## Scenarios\n\n"
          "Codes: **P** pass \xC2\xB7 **F** fail \xC2\xB7 **E** error \xC2\xB7 **U** unsupported "
          "\xC2\xB7 **X** xfail (known deviation) \xC2\xB7 **S** xpass (stale deviation) \xC2\xB7 "
          "\xE2\x80\x93 not run; a **\\*** after a code: flaky, the runs of `--repeat` "
          "disagreed. Columns are server / client.\n";
    for (const std::string& area : layout.areas) {
        os << "\n### " << md(area) << "\n\n| Scenario | Level | Spec |";
        for (const MatrixPair& pair : layout.pairs) {
            os << " " << md(pair.server) << " / " << md(pair.client) << " |";
        }
        os << "\n|---|---|---|";
        for (std::size_t i = 0; i < layout.pairs.size(); ++i) {
            os << ":-:|";
        }
        os << "\n";
        for (const MatrixScenario& row : layout.scenarios) {
            if (row.area != area) {
                continue;
            }
            os << "| " << md(row.id) << " | " << md(row.level) << " | "
               << (row.spec_refs.empty() ? std::string() : md(row.spec_refs.front())) << " |";
            for (const CellResult* cell : row.cells) {
                os << " "
                   << (cell == nullptr ? std::string("\xE2\x80\x93")
                                       : std::string(1, verdict_code(cell->verdict)) +
                                             (cell->flaky() ? "\\*" : ""))
                   << " |";
            }
            os << "\n";
        }
    }
}

// "- Spec: RFC4217 9: “The quoted sentence.”" per reference the failed scenario rests on.
void write_specs(const CellResult& cell, std::ostream& os) {
    for (std::size_t i = 0; i < cell.spec_refs.size(); ++i) {
        os << "- Spec: " << md(cell.spec_refs[i]);
        if (i < cell.spec_quotes.size() && !cell.spec_quotes[i].empty()) {
            os << ": \xE2\x80\x9C" << md(cell.spec_quotes[i]) << "\xE2\x80\x9D";
        }
        os << "\n";
    }
}

void write_problems(const MatrixLayout& layout, std::ostream& os) {
    bool any = false;
    for (const MatrixScenario& row : layout.scenarios) {
        for (const CellResult* cell : row.cells) {
            if (cell == nullptr || cell->verdict == Verdict::pass ||
                cell->verdict == Verdict::unsupported || cell->verdict == Verdict::xfail) {
                continue;
            }
            if (!any) {
                os << "\n## Failures, errors and stale deviations\n";
                any = true;
            }
            os << "\n### " << verdict_code(cell->verdict) << " " << md(row.id) << " on "
               << md(cell->server) << " / " << md(cell->client) << " (" << to_string(cell->verdict)
               << (cell->repeats.empty() ? "" : "; " + cell->repeat_counts())
               << (cell->flaky() ? "; flaky" : "") << ")\n\n";
            if (cell->failure) {
                const Failure& f = *cell->failure;
                os << "- Step " << f.step_index;
                if (f.line > 0) {
                    os << " (line " << f.line << ")";
                }
                os << ": " << md(f.step) << "\n- Expected: " << md(f.expected)
                   << "\n- Observed: " << md(f.observed) << "\n";
            }
            if (cell->verdict != Verdict::error) {
                write_specs(*cell, os);
            }
            if (!cell->reason.empty()) {
                os << "- Reason: " << md(cell->reason) << "\n";
            }
            if (!cell->cell_dir.empty()) {
                os << "- Cell: " << md(cell->cell_dir) << "\n";
            }
        }
    }
}

}  // namespace

std::string markdown_inline(std::string_view raw) {
    return md(raw);
}

void write_matrix_markdown(const RunResult& run, std::ostream& os, const Comparison* since) {
    const MatrixLayout layout = matrix_layout(run);
    write_facts(run, os);
    if (since != nullptr) {
        write_comparison_markdown(*since, os);
    }
    if (run.cells.empty()) {
        os << "No cells ran.\n";
        return;
    }
    write_matrix_grid_markdown(layout, os);
    write_area_tables(layout, os);
    write_problems(layout, os);
}

}  // namespace fc
