#include "reports/matrix_layout.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace fc {

namespace {

void add_unique(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) {
        list.push_back(value);
    }
}

int index_of(const std::vector<std::string>& list, const std::string& value) {
    return static_cast<int>(std::find(list.begin(), list.end(), value) - list.begin());
}

}  // namespace

int MatrixLayout::pair_index(std::string_view server, std::string_view client) const {
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        if (pairs[i].server == server && pairs[i].client == client) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

MatrixLayout matrix_layout(const RunResult& run) {
    MatrixLayout layout;
    for (const CellResult& cell : run.cells) {
        add_unique(layout.servers, cell.server);
        add_unique(layout.clients, cell.client);
        add_unique(layout.areas, cell.area);
    }
    for (const std::string& server : layout.servers) {
        for (const std::string& client : layout.clients) {
            const bool ran = std::any_of(run.cells.begin(), run.cells.end(), [&](const auto& c) {
                return c.server == server && c.client == client;
            });
            if (ran) {
                layout.pairs.push_back({server, client, {}});
            }
        }
    }
    // (area rank, id) -> row; the first cell of a scenario gives its title, level and refs.
    std::map<std::pair<int, std::string>, MatrixScenario> rows;
    for (const CellResult& cell : run.cells) {
        const int pair = layout.pair_index(cell.server, cell.client);
        layout.pairs[static_cast<std::size_t>(pair)].counts.add(cell.verdict);
        auto [it, inserted] =
            rows.try_emplace({index_of(layout.areas, cell.area), cell.scenario_id});
        MatrixScenario& row = it->second;
        if (inserted) {
            row.area = cell.area;
            row.id = cell.scenario_id;
            row.title = cell.title;
            row.level = cell.level;
            row.spec_refs = cell.spec_refs;
            row.cells.assign(layout.pairs.size(), nullptr);
        }
        const CellResult*& slot = row.cells[static_cast<std::size_t>(pair)];
        if (slot == nullptr) {
            slot = &cell;
        }
    }
    for (auto& [key, row] : rows) {
        layout.scenarios.push_back(std::move(row));
    }
    return layout;
}

char verdict_code(Verdict verdict) {
    switch (verdict) {
        case Verdict::pass: return 'P';
        case Verdict::fail: return 'F';
        case Verdict::error: return 'E';
        case Verdict::unsupported: return 'U';
        case Verdict::xfail: return 'X';
        case Verdict::xpass: return 'S';
    }
    return '?';
}

}  // namespace fc
