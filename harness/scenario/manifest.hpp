#pragma once
// Endpoint manifests: a server or client described as data (scenarios/README.md "Server manifests",
// "Client manifests"). Strings may hold ${placeholders} that the engine fills per instance.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/core/result.hpp"
#include "harness/core/verdict.hpp"
#include "harness/scenario/scenario.hpp"

namespace fc {

/// A config file rendered from a template beside the manifest.
struct TemplateFile {
    std::string template_name;  ///< relative to the manifest's folder
    std::string into;           ///< destination, usually under ${rundir}
    unsigned mode = 0644;       ///< file mode of the rendered file
    SourcePos pos;
};

/// A config fragment that realises one feature, or a set of features together (a
/// fragment for a set wins over the fragments of its members).
struct FeatureFragment {
    std::vector<std::string> features;  ///< sorted, never empty
    std::string text;
    SourcePos pos;
};

/// A declared known deviation: the scenario is expected to fail with this endpoint, at
/// one step and with one observation (its signature). A failure elsewhere is a `fail`.
struct Deviation {
    std::string scenario;  ///< scenario id
    Verdict expect = Verdict::fail;
    int step = 0;          ///< the failing step (Failure::step_index; 0 = the process itself)
    std::string observed;  ///< ECMAScript regex searched in Failure::observed
    /// The endpoint's own race: the cell is `xfail` whether or not it shows this time.
    bool intermittent = false;
    std::string reason;  ///< the element's text
    std::string source;  ///< where it is known from: "catalogue 2", "proftpd#1931", ...
    /// Client manifests only: the servers with which it applies (empty = every server).
    std::vector<std::string> servers;
    SourcePos pos;

    /// True when `failure` is the declared one: same step, observation matches.
    bool matches(const Failure& failure) const;
};

struct ServerManifest {
    std::filesystem::path file;  ///< the manifest itself
    std::string name;            ///< unique among servers; folder name by convention
    std::string title;
    std::string package;          ///< Debian package(s), space separated; informational
    std::string binary;           ///< default binary path, may use ${prefix}
    std::string version_command;  ///< shell-free argv template, e.g. "${binary} -v"
    std::string version_regex;    ///< first capture group is the version; "" = whole first line
    std::vector<TemplateFile> files;
    /// Commands run in order after the config files are written and before the server
    /// starts (e.g. building a user database); argv templates like `argv`. A command that
    /// fails or overruns 10 s is a harness error of the cell.
    std::vector<std::string> prepare;
    std::string argv;  ///< argv template, split on whitespace after substitution
    /// <argv stdin-to-stderr="true">: the server's fd 0 goes to its stderr log (vsftpd
    /// writes start-up errors there).
    bool argv_stdin_to_stderr = false;
    std::string ready_banner = "220";
    std::chrono::milliseconds ready_within{5000};
    std::vector<FeatureFragment> features;
    std::vector<Deviation> deviations;
    /// Run the version command with stdin on the same pipe as stdout (vsftpd -v writes
    /// its version to fd 0); from <version stdin-from-stdout="true">.
    bool version_stdin_from_stdout = false;
    /// <misbehave>: the argv words that switch one deliberate misbehaviour on, with
    /// ${name} for its name (the reference server: "--misbehave ${name}"); one copy per
    /// misbehaviour fills ${misbehaviours}. "" = the server has no such switches.
    std::string misbehave;
    std::string ready_port;  ///< <ready port=...>, e.g. "${port}"; "" = the instance's port

    std::filesystem::path dir() const { return file.parent_path(); }
    /// Every single feature some fragment realises.
    std::vector<std::string> realisable_features() const;
    /// The declared deviation for a scenario, if any.
    const Deviation* deviation_for(const std::string& scenario_id) const;
    /// Every declared deviation for a scenario (one per way it is known to fail).
    std::vector<const Deviation*> deviations_for(const std::string& scenario_id) const;
};

/// How a real client does one action (clients/README.md): `script` is rendered into
/// ${script} (lines between "@each" and "@end" once per file), then `argv` runs.
struct ClientAction {
    std::string name;    ///< one of known_client_actions()
    std::string argv;    ///< argv template, split on whitespace after substitution
    std::string script;  ///< the manifest's <prologue>, then the element's text, dedented
    /// logins="per-file": the client logs in once per file, so a step with several files
    /// (which the action table defines as one login) is unsupported for this action.
    bool login_per_file = false;
    SourcePos pos;
};

/// The fragment that realises one client setting, or a set of them together (a fragment
/// for a set wins over its members', as for server features).
struct SettingFragment {
    std::vector<std::string> settings;  ///< sorted, never empty
    std::string text;                   ///< appended to ${settings}
    /// Other attributes of <setting>: variables it sets (overriding <vars>).
    std::vector<std::pair<std::string, std::string>> vars;
    SourcePos pos;
};

struct ClientManifest {
    std::filesystem::path file;
    std::string name;
    std::string title;
    std::string package;
    bool builtin = false;         ///< the reference client, driven in-process
    std::string binary;           ///< <binary default=...>; "" for builtin
    std::string version_command;  ///< "" for builtin
    std::string version_regex;
    std::vector<Deviation> deviations;
    /// As ServerManifest::version_stdin_from_stdout.
    bool version_stdin_from_stdout = false;
    /// <vars>: defaults of variables that settings may override, in file order.
    std::vector<std::pair<std::string, std::string>> vars;
    std::vector<ClientAction> actions;
    std::vector<SettingFragment> settings;
    /// <prologue>: text put before every action's script (already part of each
    /// ClientAction::script); kept for documentation and tests.
    std::string prologue;
    /// <error-pattern>: an ECMAScript regex; the first line of the client's stderr, else of
    /// its ${debug_log}, that it matches becomes the reason of a failed action (its first
    /// capture group when it has one). "" = the last line of stderr.
    std::string error_pattern;
    /// <resident argv="...">: the command line of a driver kept for the whole run that runs
    /// each action as if started by the action's argv (harness/engine/resident.hpp); "" =
    /// every action is a process of its own. Placeholders: binary, prefix, manifest_dir.
    std::string resident_argv;

    std::filesystem::path dir() const { return file.parent_path(); }
    /// The action called `name`, or nullptr when this client cannot do it.
    const ClientAction* action(std::string_view name) const;
    /// True when this client can do `name` (the builtin does every action but fxp).
    bool can(std::string_view name) const;
    /// Every single setting some fragment realises.
    std::vector<std::string> realisable_settings() const;
    /// The declared deviation for a scenario with `server` (one without a server= applies
    /// with every server), if any.
    const Deviation* deviation_for(const std::string& scenario_id,
                                   const std::string& server = {}) const;
    /// Every declared deviation for a scenario with `server`.
    std::vector<const Deviation*> deviations_for(const std::string& scenario_id,
                                                 const std::string& server) const;
};

}  // namespace fc
