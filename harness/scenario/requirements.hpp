#pragma once
// The requirements table (scenarios/requirements.xml): every normative sentence of the FTPS
// specifications the suite looks at, with the scenarios that test it or why none does.
#include <filesystem>
#include <string>
#include <vector>

#include "harness/scenario/scenario.hpp"
#include "harness/scenario/xml_diag.hpp"

namespace fc {

/// One row: a sentence of an RFC and how the suite covers it.
struct Requirement {
    std::string ref;    ///< "RFC4217 9": the RFC and section, as scenarios cite them
    std::string level;  ///< must / should / may / none: the sentence's strongest keyword
    std::string side;   ///< server / client / both
    std::string quote;  ///< the sentence, word for word (or the summary)
    /// True when the row has a <summary> of the section instead of a <quote>: a section a
    /// scenario cites beside the sentence it quotes, not yet quoted itself.
    bool summary = false;
    std::vector<std::string> tested_by;  ///< scenario ids; empty when untested
    /// Why no scenario tests it, when tested_by is empty: not-applicable (a part of the
    /// framework FTPS over TLS does not use), not-black-box (cannot be seen from outside),
    /// not-behaviour (no behaviour to check), gap (could be tested; no scenario yet).
    std::string untested_kind;
    std::string untested_reason;
    SourcePos pos;
};

/// Reads the table; problems (file:line) go to `diags`.
std::vector<Requirement> load_requirements(const std::filesystem::path& file,
                                           std::vector<Diagnostic>& diags);

/// The table's consistency with the scenarios: a scenario citing an RFC section with no row,
/// a row naming a scenario that does not exist. One diagnostic each.
std::vector<Diagnostic> check_requirements(const std::vector<Requirement>& rows,
                                           const std::vector<Scenario>& scenarios,
                                           const std::filesystem::path& file);

}  // namespace fc
