#include "reports/baseline.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <string_view>
#include <tuple>

#include "harness/core/text_sanitize.hpp"
#include "reports/matrix_md.hpp"

namespace fc {

namespace {

using Key = std::tuple<std::string, std::string, std::string>;  // server, client, scenario id

bool is_bad(Verdict v) {
    return v == Verdict::fail || v == Verdict::error || v == Verdict::xpass;
}

std::map<Key, const CellResult*> index_cells(const RunResult& run) {
    std::map<Key, const CellResult*> cells;
    for (const CellResult& c : run.cells) {
        cells.try_emplace(Key{c.server, c.client, c.scenario_id}, &c);  // first one counts
    }
    return cells;
}

bool change_less(const CellChange& a, const CellChange& b) {
    return std::tie(a.server, a.client, a.area, a.scenario_id) <
           std::tie(b.server, b.client, b.area, b.scenario_id);
}

// "2 regressions", "1 fix", "0 other changes".
std::string counted(std::size_t n, std::string_view one, std::string_view many) {
    return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string summary_line(const Comparison& c) {
    return counted(c.regressions.size(), "regression", "regressions") + ", " +
           counted(c.fixes.size(), "fix", "fixes") + ", " +
           counted(c.other_changes.size(), "other change", "other changes") + ", " +
           std::to_string(c.added.size()) + " added, " + std::to_string(c.removed.size()) +
           " removed";
}

std::string transition(const CellChange& change) {
    return std::string(to_string(change.before)) + " -> " + std::string(to_string(change.after));
}

struct Group {
    std::string_view label;    // console label
    std::string_view heading;  // Markdown / HTML heading
    const std::vector<CellChange>* changes;
};

std::vector<Group> groups(const Comparison& c) {
    return {{"REGRESSION", "Regressions", &c.regressions},
            {"fixed", "Fixes", &c.fixes},
            {"changed", "Other changes", &c.other_changes}};
}

// A table cell with the verdict coloured as in the matrix.
std::string verdict_td(Verdict v) {
    const std::string name(to_string(v));
    return "<td class=\"v-" + name + "\"><span class=\"verdict\">" + verdict_code(v) + "</span> " +
           name + "</td>";
}

}  // namespace

ChangeKind classify_change(Verdict before, Verdict after) {
    if (before == after) {
        return ChangeKind::none;
    }
    if (is_bad(after)) {
        return ChangeKind::regression;
    }
    if ((before == Verdict::fail || before == Verdict::error) &&
        (after == Verdict::pass || after == Verdict::xfail)) {
        return ChangeKind::fix;
    }
    return ChangeKind::other;
}

std::string cell_key(const CellResult& cell) {
    return cell.server + " / " + cell.client + " / " + cell.scenario_id;
}

Comparison compare_runs(const RunResult& baseline, const RunResult& current) {
    const auto before = index_cells(baseline);
    const auto after = index_cells(current);
    Comparison result;
    for (const auto& [key, cell] : after) {
        const auto it = before.find(key);
        if (it == before.end()) {
            result.added.push_back(cell_key(*cell));
            continue;
        }
        CellChange change{cell->server,        cell->client,  cell->area,  cell->scenario_id,
                          it->second->verdict, cell->verdict, cell->reason};
        switch (classify_change(change.before, change.after)) {
            case ChangeKind::none: break;
            case ChangeKind::regression: result.regressions.push_back(std::move(change)); break;
            case ChangeKind::fix: result.fixes.push_back(std::move(change)); break;
            case ChangeKind::other: result.other_changes.push_back(std::move(change)); break;
        }
    }
    for (const auto& [key, cell] : before) {
        if (!after.contains(key)) {
            result.removed.push_back(cell_key(*cell));
        }
    }
    for (auto* list : {&result.regressions, &result.fixes, &result.other_changes}) {
        std::sort(list->begin(), list->end(), change_less);
    }
    std::sort(result.added.begin(), result.added.end());
    std::sort(result.removed.begin(), result.removed.end());
    return result;
}

void write_comparison_text(const Comparison& comparison, std::ostream& os) {
    os << "Since the baseline: " << summary_line(comparison) << "\n";
    for (const Group& g : groups(comparison)) {
        for (const CellChange& c : *g.changes) {
            os << "  " << g.label << std::string(12 - g.label.size(), ' ') << one_line(c.server)
               << " / " << one_line(c.client) << "  " << one_line(c.scenario_id) << ": "
               << transition(c);
            if (!c.after_reason.empty() && is_bad(c.after)) {
                os << " (" << one_line(c.after_reason) << ")";
            }
            os << "\n";
        }
    }
    for (const std::string& key : comparison.added) {
        os << "  added       " << one_line(key) << "\n";
    }
    for (const std::string& key : comparison.removed) {
        os << "  removed     " << one_line(key) << "\n";
    }
}

void write_comparison_markdown(const Comparison& comparison, std::ostream& os) {
    os << "## Since the baseline\n\n" << summary_line(comparison) << ".\n\n";
    for (const Group& g : groups(comparison)) {
        if (g.changes->empty()) {
            continue;
        }
        os << "### " << g.heading << "\n\n| Scenario | Server / client | Before | After | Reason "
           << "|\n|---|---|:-:|:-:|---|\n";
        for (const CellChange& c : *g.changes) {
            os << "| " << markdown_inline(c.scenario_id) << " | " << markdown_inline(c.server)
               << " / " << markdown_inline(c.client) << " | " << verdict_code(c.before) << " "
               << to_string(c.before) << " | " << verdict_code(c.after) << " " << to_string(c.after)
               << " | " << markdown_inline(c.after_reason) << " |\n";
        }
        os << "\n";
    }
    const std::pair<std::string_view, const std::vector<std::string>*> keys[] = {
        {"Added cells", &comparison.added}, {"Removed cells", &comparison.removed}};
    for (const auto& [heading, list] : keys) {
        if (list->empty()) {
            continue;
        }
        os << "### " << heading << "\n\n";
        for (const std::string& key : *list) {
            os << "- " << markdown_inline(key) << "\n";
        }
        os << "\n";
    }
}

std::string comparison_html(const Comparison& comparison) {
    const auto h = [](std::string_view text) { return xml_text(one_line(text)); };
    std::ostringstream os;
    os << "<section id=\"since-baseline\">\n<h2>Since the baseline</h2>\n<p>"
       << summary_line(comparison) << ".</p>\n";
    for (const Group& g : groups(comparison)) {
        if (g.changes->empty()) {
            continue;
        }
        os << "<h3>" << g.heading << "</h3>\n<div class=\"scroll\"><table><thead><tr>"
           << "<th>Scenario</th><th>Server / client</th><th>Before</th><th>After</th>"
           << "<th>Reason</th></tr></thead><tbody>\n";
        for (const CellChange& c : *g.changes) {
            os << "<tr><td>" << h(c.scenario_id) << "</td><td>" << h(c.server) << " / "
               << h(c.client) << "</td>" << verdict_td(c.before) << verdict_td(c.after) << "<td>"
               << h(c.after_reason) << "</td></tr>\n";
        }
        os << "</tbody></table></div>\n";
    }
    const std::pair<std::string_view, const std::vector<std::string>*> keys[] = {
        {"Added cells", &comparison.added}, {"Removed cells", &comparison.removed}};
    for (const auto& [heading, list] : keys) {
        if (list->empty()) {
            continue;
        }
        os << "<h3>" << heading << "</h3>\n<ul>\n";
        for (const std::string& key : *list) {
            os << "<li>" << h(key) << "</li>\n";
        }
        os << "</ul>\n";
    }
    os << "</section>\n";
    return os.str();
}

}  // namespace fc
