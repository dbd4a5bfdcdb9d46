#include "reports/matrix_html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/text.hpp"
#include "harness/core/text_sanitize.hpp"
#include "reports/baseline.hpp"
#include "reports/matrix_layout.hpp"

namespace fc {

namespace {

constexpr Verdict kVerdicts[] = {Verdict::pass,        Verdict::fail,  Verdict::error,
                                 Verdict::unsupported, Verdict::xfail, Verdict::xpass};

constexpr std::string_view kStyle = R"css(
:root{--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--unsupported:#6e7781;--xfail:#9a6700;--xpass:#bf3989}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1.05rem}
.banner{background:#fff1f0;border:1px solid var(--fail);padding:.5rem;font-weight:bold}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:0}
dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.25rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .4rem;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}
tbody th{background:#fff;position:sticky;left:0;min-width:12rem;max-width:24rem}
td,th{overflow-wrap:anywhere}
.title{display:block;font-weight:normal}.meta{display:block;font-weight:normal;color:#57606a;font-size:.9em}
.counts span{font-weight:bold;margin-right:.5rem;white-space:nowrap}
.codes{font-family:ui-monospace,monospace;line-height:1.6}
a.code{display:inline-block;min-width:1.2em;text-align:center;color:#fff;text-decoration:none;border-radius:2px;margin:1px}
.c-pass{color:var(--pass)}.c-fail{color:var(--fail)}.c-error{color:var(--error)}
.c-unsupported{color:var(--unsupported)}.c-xfail{color:var(--xfail)}.c-xpass{color:var(--xpass)}
a.code.v-pass,td.v-pass .verdict{background:var(--pass)}a.code.v-fail,td.v-fail .verdict{background:var(--fail)}
a.code.v-error,td.v-error .verdict{background:var(--error)}a.code.v-unsupported,td.v-unsupported .verdict{background:var(--unsupported)}
a.code.v-xfail,td.v-xfail .verdict{background:var(--xfail)}a.code.v-xpass,td.v-xpass .verdict{background:var(--xpass)}
td .verdict{color:#fff;padding:0 .3rem;border-radius:2px;text-decoration:none;font-weight:bold}
details dl{margin:.25rem 0}details dt{font-weight:bold}details dd{margin:0 0 .25rem;white-space:pre-wrap;font-family:ui-monospace,monospace}
blockquote.quote{margin:.25rem 0 0 .75rem;padding-left:.5rem;border-left:3px solid #d0d7de;font-family:Georgia,serif;white-space:normal}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}
.filters fieldset{border:1px solid #d0d7de;padding:.25rem .5rem}.filters label{margin-right:.5rem;white-space:nowrap}
.legend{color:#57606a}
@media (max-width:600px){body{margin:.5rem;font-size:13px}tbody th{min-width:8rem}}
@media print{.filters{display:none}.scroll{overflow:visible}tbody th{position:static}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit}}
)css";

constexpr std::string_view kScript = R"js(
(function(){var f=document.getElementById('filters');f.hidden=false;
function on(n){var s={};f.querySelectorAll('input[name="'+n+'"]').forEach(function(i){if(i.checked)s[i.value]=1;});return s;}
function apply(){var a=on('area'),l=on('level'),v=on('verdict');
document.querySelectorAll('tr.scenario').forEach(function(r){r.hidden=!(a[r.dataset.area]&&l[r.dataset.level]&&r.dataset.verdicts.split(' ').some(function(x){return v[x];}));});
document.querySelectorAll('section.area').forEach(function(s){s.hidden=!s.querySelector('tr.scenario:not([hidden])');});
document.querySelectorAll('#grid a.code').forEach(function(c){c.hidden=!(a[c.dataset.area]&&l[c.dataset.level]&&v[c.dataset.verdict]);});}
f.addEventListener('change',apply);
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});})();
)js";

std::string h(std::string_view text) {
    return xml_text(text);
}
std::string attr(std::string_view text) {
    return xml_attribute(text);
}

// A relative URL path for an href: bytes outside [A-Za-z0-9-._~/] percent-encoded, and a
// leading "/" made "./" so that nothing can become absolute, protocol-relative or a scheme.
std::string url_path(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out = path.starts_with('/') ? "." : "";
    for (char c : path) {
        const auto b = static_cast<unsigned char>(c);
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
            std::string_view("-._~/").find(c) != std::string_view::npos) {
            out += c;
        } else {
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 15];
        }
    }
    return out;
}

int count_of(const VerdictCounts& c, Verdict v) {
    switch (v) {
        case Verdict::pass: return c.pass;
        case Verdict::fail: return c.fail;
        case Verdict::error: return c.error;
        case Verdict::unsupported: return c.unsupported;
        case Verdict::xfail: return c.xfail;
        case Verdict::xpass: return c.xpass;
    }
    return 0;
}

std::string verdict_class(Verdict v) {
    return std::string(to_string(v));
}

void write_facts(const RunResult& run, std::ostream& os) {
    os << "<header>\n<h1>FTPS interop matrix</h1>\n";
    if (run.interrupted) {
        os << "<p class=\"banner\">Interrupted: the run was stopped early; results are "
              "incomplete.</p>\n";
    }
    os << "<dl class=\"facts\">\n<dt>Run</dt><dd>" << h(run.run_id) << "</dd>\n<dt>Date</dt><dd>"
       << h(run.started_utc) << " to " << h(run.finished_utc) << " (" << seconds(run.duration_s)
       << " s)</dd>\n<dt>Host</dt><dd>" << h(run.host) << "</dd>\n<dt>Tool</dt><dd>ftps-conform "
       << h(run.tool_version) << "</dd>\n";
    // Servers first, then clients (results.json files of older runs interleave them).
    std::vector<const EndpointInfo*> endpoints;
    for (const EndpointInfo& e : run.endpoints) {
        endpoints.push_back(&e);
    }
    std::stable_partition(endpoints.begin(), endpoints.end(),
                          [](const EndpointInfo* e) { return e->kind == "server"; });
    for (const EndpointInfo* e : endpoints) {
        const std::string from = provenance_text(*e);
        os << "<dt>"
           << (e->kind == "server"   ? "Server"
               : e->kind == "client" ? "Client"
                                     : "Endpoint")
           << "</dt><dd>" << h(e->name) << " "
           << (e->version.empty() ? std::string("(version unknown)") : h(e->version))
           << (from.empty() ? "" : " <small>(" + h(from) + ")</small>") << "</dd>\n";
    }
    const VerdictCounts total = count_verdicts(run.cells);
    os << "<dt>Cells</dt><dd>" << total.total();
    for (Verdict v : kVerdicts) {
        os << ", " << count_of(total, v) << " " << to_string(v);
    }
    os << "</dd>\n</dl>\n</header>\n";
}

void write_checkboxes(std::ostream& os, std::string_view legend, std::string_view name,
                      const std::vector<std::string>& values) {
    os << "<fieldset><legend>" << legend << "</legend>";
    for (const std::string& value : values) {
        os << "<label><input type=\"checkbox\" name=\"" << name << "\" value=\"" << attr(value)
           << "\" checked> " << (value.empty() ? std::string("(none)") : h(value)) << "</label>";
    }
    os << "</fieldset>\n";
}

void write_filters(const RunResult& run, const MatrixLayout& layout, std::ostream& os) {
    std::vector<std::string> levels;
    for (const CellResult& cell : run.cells) {
        if (std::find(levels.begin(), levels.end(), cell.level) == levels.end()) {
            levels.push_back(cell.level);
        }
    }
    std::vector<std::string> verdicts;
    for (Verdict v : kVerdicts) {
        verdicts.emplace_back(to_string(v));
    }
    os << "<form id=\"filters\" class=\"filters\" hidden>\n";
    write_checkboxes(os, "Area", "area", layout.areas);
    write_checkboxes(os, "Level", "level", levels);
    write_checkboxes(os, "Verdict", "verdict", verdicts);
    os << "</form>\n";
}

void write_grid(const MatrixLayout& layout, std::ostream& os) {
    os << "<h2>Servers \xC3\x97 clients</h2>\n<div class=\"scroll\"><table class=\"grid\" "
          "id=\"grid\">\n<thead><tr><th>Server \\ client</th>";
    for (const std::string& client : layout.clients) {
        os << "<th>" << h(client) << "</th>";
    }
    os << "</tr></thead>\n<tbody>\n";
    for (const std::string& server : layout.servers) {
        os << "<tr><th scope=\"row\">" << h(server) << "</th>";
        for (const std::string& client : layout.clients) {
            const int index = layout.pair_index(server, client);
            if (index < 0) {
                os << "<td>not run</td>";
                continue;
            }
            const auto pair = static_cast<std::size_t>(index);
            os << "<td><div class=\"counts\">";
            for (Verdict v : kVerdicts) {
                const int n = count_of(layout.pairs[pair].counts, v);
                if (v != Verdict::xpass || n > 0) {
                    os << "<span class=\"c-" << verdict_class(v) << "\">" << n << " "
                       << to_string(v) << "</span>";
                }
            }
            os << "</div><div class=\"codes\">";
            for (const MatrixScenario& row : layout.scenarios) {
                const CellResult* cell = row.cells[pair];
                if (cell == nullptr) {
                    continue;
                }
                // A cell that left no folder (it never ran) is an <a> without a link.
                os << "<a class=\"code v-" << verdict_class(cell->verdict) << "\"";
                if (!cell->cell_dir.empty()) {
                    os << " href=\"" << url_path(cell->cell_dir + "/") << "\"";
                }
                os << " title=\"" << attr(row.id) << ": " << to_string(cell->verdict)
                   << (cell->repeats.empty() ? "" : attr(" (" + cell->repeat_counts() + ")"))
                   << (cell->flaky() ? " flaky" : "") << "\" data-area=\"" << attr(row.area)
                   << "\" data-level=\"" << attr(row.level) << "\" data-verdict=\""
                   << to_string(cell->verdict) << "\">" << verdict_code(cell->verdict) << "</a>";
            }
            os << "</div></td>";
        }
        os << "</tr>\n";
    }
    os << "</tbody></table></div>\n<p class=\"legend\">Codes: P pass, F fail, E error (harness "
          "or environment), U unsupported, X xfail (known deviation), S xpass (stale deviation: "
          "passed although declared to fail); \"not run\": the pair did not run the scenario. Each "
          "code links to its cell's folder.</p>\n";
}

// The failed step, expected and observed, and the reason, as a definition list.
void write_why(const CellResult& cell, std::ostream& os) {
    os << "<dl>";
    if (cell.failure) {
        const Failure& f = *cell.failure;
        os << "<dt>Step " << f.step_index;
        if (f.line > 0) {
            os << " (line " << f.line << ")";
        }
        os << "</dt><dd>" << h(f.step) << "</dd><dt>Expected</dt><dd>" << h(f.expected)
           << "</dd><dt>Observed</dt><dd>" << h(f.observed) << "</dd>";
    }
    if (!cell.reason.empty()) {
        os << "<dt>Reason</dt><dd>" << h(cell.reason) << "</dd>";
    }
    // What the failed check rests on: the spec reference and the sentence it quotes.
    if (cell.verdict == Verdict::fail || cell.verdict == Verdict::xpass) {
        for (std::size_t i = 0; i < cell.spec_refs.size(); ++i) {
            os << "<dt>Spec</dt><dd>" << h(cell.spec_refs[i]);
            if (i < cell.spec_quotes.size() && !cell.spec_quotes[i].empty()) {
                os << "<blockquote class=\"quote\">" << h(cell.spec_quotes[i]) << "</blockquote>";
            }
            os << "</dd>";
        }
    }
    os << "</dl>";
}

void write_links(const CellResult& cell, std::ostream& os) {
    if (!cell.cell_dir.empty()) {
        os << " <a href=\"" << url_path(cell.cell_dir + "/") << "\">folder</a>";
    }
    if (!cell.transcript_path.empty()) {
        os << " <a href=\"" << url_path(cell.transcript_path) << "\">transcript</a>";
    }
}

void write_cell(const CellResult& cell, std::ostream& os) {
    const std::string v = verdict_class(cell.verdict);
    os << "<td class=\"v-" << v << "\" data-verdict=\"" << v << "\"><span class=\"verdict\">"
       << verdict_code(cell.verdict) << "</span> " << v;
    if (!cell.repeats.empty()) {
        os << " <span class=\"repeats\">" << h(cell.repeat_counts())
           << (cell.flaky() ? ", flaky" : "") << "</span>";
    }
    write_links(cell, os);
    if (cell.failure || !cell.reason.empty()) {
        os << "<details><summary>"
           << (cell.failure ? "step " + std::to_string(cell.failure->step_index) : "why")
           << "</summary>";
        write_why(cell, os);
        os << "</details>";
    }
    os << "</td>";
}

void write_areas(const MatrixLayout& layout, std::ostream& os) {
    os << "<h2>Scenarios</h2>\n";
    for (const std::string& area : layout.areas) {
        os << "<section class=\"area\" data-area=\"" << attr(area) << "\">\n<h3>" << h(area)
           << "</h3>\n<div class=\"scroll\"><table class=\"scenarios\">\n<thead><tr><th>"
              "Scenario</th>";
        for (const MatrixPair& pair : layout.pairs) {
            os << "<th>" << h(pair.server) << " / " << h(pair.client) << "</th>";
        }
        os << "</tr></thead>\n<tbody>\n";
        for (const MatrixScenario& row : layout.scenarios) {
            if (row.area != area) {
                continue;
            }
            std::string verdicts = " ";
            for (const CellResult* cell : row.cells) {
                if (cell != nullptr) {
                    verdicts += verdict_class(cell->verdict) + " ";
                }
            }
            os << "<tr class=\"scenario\" data-area=\"" << attr(row.area) << "\" data-level=\""
               << attr(row.level) << "\" data-verdicts=\"" << verdicts << "\"><th scope=\"row\">"
               << h(row.id) << "<span class=\"title\">" << h(row.title)
               << "</span><span class=\"meta\">" << h(row.level);
            for (const std::string& ref : row.spec_refs) {
                os << " \xC2\xB7 " << h(ref);
            }
            os << "</span></th>";
            for (const CellResult* cell : row.cells) {
                if (cell == nullptr) {
                    os << "<td>not run</td>";
                } else {
                    write_cell(*cell, os);
                }
            }
            os << "</tr>\n";
        }
        os << "</tbody></table></div>\n</section>\n";
    }
}

void write_problems(const MatrixLayout& layout, std::ostream& os) {
    bool any = false;
    for (const MatrixScenario& row : layout.scenarios) {
        for (const CellResult* cell : row.cells) {
            if (cell == nullptr ||
                (cell->verdict != Verdict::fail && cell->verdict != Verdict::error &&
                 cell->verdict != Verdict::xpass)) {
                continue;
            }
            if (!any) {
                os << "<h2>Failures, errors and stale deviations</h2>\n<section "
                      "id=\"problems\">\n";
                any = true;
            }
            os << "<h3>" << verdict_code(cell->verdict) << " " << h(row.id) << " on "
               << h(cell->server) << " / " << h(cell->client) << " (" << to_string(cell->verdict)
               << (cell->repeats.empty() ? "" : "; " + h(cell->repeat_counts()))
               << (cell->flaky() ? "; flaky" : "") << ")";
            write_links(*cell, os);
            os << "</h3>\n";
            write_why(*cell, os);
            os << "\n";
        }
    }
    if (any) {
        os << "</section>\n";
    }
}

}  // namespace

void write_matrix_html(const RunResult& run, std::ostream& os, const Comparison* since) {
    const MatrixLayout layout = matrix_layout(run);
    os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta "
          "name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>FTPS "
          "interop matrix "
       << h(run.run_id) << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
    write_facts(run, os);
    if (since != nullptr) {
        os << comparison_html(*since);
    }
    if (run.cells.empty()) {
        os << "<p>No cells ran.</p>\n</body>\n</html>\n";
        return;
    }
    write_filters(run, layout, os);
    write_grid(layout, os);
    write_areas(layout, os);
    write_problems(layout, os);
    os << "<script>" << kScript << "</script>\n</body>\n</html>\n";
}

}  // namespace fc
