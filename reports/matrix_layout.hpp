#pragma once
// The rows and columns of the interop matrix (which server/client pairs ran which scenarios),
// computed once from the result model and drawn by both renderers: Markdown (matrix_md.hpp)
// and HTML (matrix_html.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/result.hpp"

namespace fc {

/// One server/client pair that ran at least one cell.
struct MatrixPair {
    std::string server;
    std::string client;
    VerdictCounts counts;  ///< over every cell of the pair
};

/// One row of the matrix: a scenario with its cell for each pair.
struct MatrixScenario {
    std::string area;
    std::string id;
    std::string title;  ///< title, level and spec refs of the scenario's first cell
    std::string level;
    std::vector<std::string> spec_refs;
    std::vector<const CellResult*> cells;  ///< parallel to MatrixLayout::pairs; nullptr: not run
};

/// Rows and columns of the matrix. Servers, clients and areas are in the order they first
/// appear in the run's cells; pairs are server-major over those; scenarios are grouped by area
/// (in that order) and sorted by id inside an area. Points into the RunResult it was made of.
struct MatrixLayout {
    std::vector<std::string> servers;
    std::vector<std::string> clients;
    std::vector<std::string> areas;
    std::vector<MatrixPair> pairs;
    std::vector<MatrixScenario> scenarios;

    /// Index in `pairs` of (server, client), or -1 when that pair ran nothing.
    int pair_index(std::string_view server, std::string_view client) const;
};

/// The layout of `run`.
MatrixLayout matrix_layout(const RunResult& run);

/// The one-letter code of a verdict in the matrix: P pass, F fail, E error, U unsupported,
/// X xfail (known deviation), S xpass (stale deviation: passed although declared to fail).
char verdict_code(Verdict verdict);

}  // namespace fc
