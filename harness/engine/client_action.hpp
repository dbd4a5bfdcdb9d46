#pragma once
// One action of a real client, made from its manifest (clients/README.md): settings
// realised as fragments and variables, the script rendered (with @each blocks), the
// client run with a deadline in its own process group.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/core/variables.hpp"
#include "harness/scenario/manifest.hpp"

namespace fc {

/// The settings a step asks for: the scenario's, the step's, and `explicit` when
/// neither `explicit` nor `implicit` is given (clients/README.md). Sorted, unique.
std::vector<std::string> effective_settings(const std::vector<std::string>& scenario,
                                            const std::vector<std::string>& step);

/// What a client's manifest makes of a set of settings.
struct RealisedSettings {
    std::string text;  ///< the fragments, one after another (still with ${placeholders})
    /// <vars> defaults overridden by the fragments' attributes, in manifest order.
    std::vector<std::pair<std::string, std::string>> vars;
};

/// Fragments for `settings`, largest sets first, each used only when all its settings
/// are asked for (as realise_features does for servers). nullopt with `*missing` set
/// when some setting has no fragment: the cell is then `unsupported`.
std::optional<RealisedSettings> realise_settings(const ClientManifest& manifest,
                                                 const std::vector<std::string>& settings,
                                                 std::vector<std::string>* missing);

/// One file of an action: its remote and local names.
struct ActionFile {
    std::string remote;
    std::string local;  ///< absolute path, or "" when the action has no local file
};

/// Renders an action's script: lines between "@each" and "@end" are repeated once per
/// file with ${remote} and ${local} set to that file; elsewhere they are the first
/// file's. Throws HarnessError for an undefined placeholder.
std::string render_script(const std::string& script, const Variables& vars,
                          const std::vector<ActionFile>& files, std::string_view where);

/// The script and argv of one action, ready to run.
struct RenderedAction {
    std::string script;
    std::vector<std::string> argv;
};

/// Everything an action's placeholders are filled from. `vars` already holds the
/// fixed placeholders (host, port, user, ..., script, debug_log); this adds binary,
/// <vars>, the settings' variables and ${settings}, then renders.
RenderedAction render_action(const ClientManifest& manifest, const ClientAction& action,
                             const RealisedSettings& settings, Variables vars,
                             const std::vector<ActionFile>& files);

/// The client's binary: <binary default> with ${prefix} filled, looked up in PATH when
/// it has no '/'. "" when it cannot be found or run.
std::string resolve_client_binary(const ClientManifest& manifest,
                                  const std::filesystem::path& prefix);

/// The reason line of a client action (clients/README.md "The reason line"): with a
/// manifest's <error-pattern> (`pattern`, ECMAScript), the first line of `stderr_text`, else
/// of `debug_text`, that it matches (its first capture group when it has a non-empty one);
/// without a pattern, or when no line matches, the last non-empty line of `stderr_text`.
/// At most 200 characters. Throws std::regex_error only for a pattern the loader let pass.
std::string client_error_reason(const std::string& pattern, const std::string& stderr_text,
                                const std::string& debug_text);

/// How a run of the client ended.
struct ClientRun {
    std::optional<int> exit_status;  ///< nullopt when it timed out or was cancelled
    bool timed_out = false;
    bool cancelled = false;
    double seconds = 0;
};

/// Runs `argv` in `cwd` with HOME set to `home` (so no user config leaks in), stdout
/// and stderr to the given files; stops and reaps the whole group at the deadline.
/// `keylog`, when not empty, is the client's SSLKEYLOGFILE. Throws HarnessError when the
/// client cannot be started.
ClientRun run_client(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                     const std::filesystem::path& home, const std::filesystem::path& stdout_path,
                     const std::filesystem::path& stderr_path, Millis timeout, CancelToken cancel,
                     const std::filesystem::path& keylog = {});

}  // namespace fc
