#include "harness/engine/client_action.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <sstream>

#include "harness/core/error.hpp"
#include "harness/core/features.hpp"
#include "harness/core/text.hpp"
#include "harness/engine/fragments.hpp"
#include "harness/proc/process.hpp"
#include "harness/scenario/values.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

bool has(const std::vector<std::string>& v, std::string_view name) {
    return std::find(v.begin(), v.end(), name) != v.end();
}

void set_var(std::vector<std::pair<std::string, std::string>>& vars, const std::string& name,
             const std::string& value) {
    for (auto& [n, v] : vars) {
        if (n == name) {
            v = value;
            return;
        }
    }
    vars.emplace_back(name, value);
}

}  // namespace

std::vector<std::string> effective_settings(const std::vector<std::string>& scenario,
                                            const std::vector<std::string>& step) {
    std::vector<std::string> out = scenario;
    out.insert(out.end(), step.begin(), step.end());
    if (!has(out, "explicit") && !has(out, "implicit")) {
        out.push_back("explicit");
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::optional<RealisedSettings> realise_settings(const ClientManifest& manifest,
                                                 const std::vector<std::string>& settings,
                                                 std::vector<std::string>* missing) {
    auto used = choose_fragments(
        manifest.settings, settings,
        [](const SettingFragment& f) -> const std::vector<std::string>& { return f.settings; },
        missing);
    if (!used) {
        return std::nullopt;
    }
    RealisedSettings out;
    out.vars = manifest.vars;
    // In manifest order, so that the rendered text reads like the manifest.
    std::sort(used->begin(), used->end());
    for (const SettingFragment* f : *used) {
        if (!f->text.empty()) {
            out.text += f->text;
            if (out.text.back() != '\n') {
                out.text += '\n';
            }
        }
        for (const auto& [name, value] : f->vars) {
            set_var(out.vars, name, value);
        }
    }
    return out;
}

std::string render_script(const std::string& script, const Variables& vars,
                          const std::vector<ActionFile>& files, std::string_view where) {
    Variables first = vars;
    if (!files.empty()) {
        first["remote"] = files.front().remote;
        first["local"] = files.front().local;
    }
    std::istringstream in(script);
    std::string out;
    std::vector<std::string> block;
    bool in_block = false;
    for (std::string line; std::getline(in, line);) {
        std::string word = trim(line);
        if (word == "@each") {
            in_block = true;
            block.clear();
            continue;
        }
        if (word == "@end") {
            in_block = false;
            for (const ActionFile& f : files) {
                Variables each = vars;
                each["remote"] = f.remote;
                each["local"] = f.local;
                for (const auto& l : block) {
                    out += substitute(l, each, where) + "\n";
                }
            }
            continue;
        }
        if (in_block) {
            block.push_back(line);
        } else {
            out += substitute(line, first, where) + "\n";
        }
    }
    return out;
}

RenderedAction render_action(const ClientManifest& manifest, const ClientAction& action,
                             const RealisedSettings& settings, Variables vars,
                             const std::vector<ActionFile>& files) {
    std::string where = manifest.file.string() + " <action name=\"" + action.name + "\">";
    if (!files.empty()) {
        vars["remote"] = files.front().remote;
        vars["local"] = files.front().local;
    }
    // Variables may use the fixed placeholders (e.g. scheme="ftps" or a path).
    for (const auto& [name, value] : settings.vars) {
        vars[name] = substitute(value, vars, manifest.file.string() + " <vars>/<setting>");
    }
    std::string text = settings.text;
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();  // the ${settings} line of the script ends the last fragment
    }
    vars["settings"] = substitute(text, vars, manifest.file.string() + " <setting>");
    RenderedAction out;
    out.script = render_script(action.script, vars, files, where);
    out.argv = split_words(substitute(action.argv, vars, where));
    return out;
}

namespace {

std::string clip(std::string line) {
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

std::optional<std::string> first_match(const std::regex& re, const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        std::smatch m;
        if (std::regex_search(line, m, re)) {
            return clip(m.size() > 1 && m[1].matched && m[1].length() > 0 ? m[1].str()
                                                                          : m[0].str());
        }
    }
    return std::nullopt;
}

}  // namespace

std::string client_error_reason(const std::string& pattern, const std::string& stderr_text,
                                const std::string& debug_text) {
    if (!pattern.empty()) {
        const std::regex re(pattern);
        for (const std::string* text : {&stderr_text, &debug_text}) {
            if (auto hit = first_match(re, *text)) {
                return *hit;
            }
        }
    }
    std::string last;
    std::istringstream in(stderr_text);
    for (std::string line; std::getline(in, line);) {
        if (!trim(line).empty()) {
            last = line;
        }
    }
    return clip(last);
}

std::string resolve_client_binary(const ClientManifest& manifest, const fs::path& prefix) {
    Variables vars{{"prefix", prefix.string()}};
    std::string binary = substitute(manifest.binary, vars, manifest.file.string());
    if (binary.empty()) {
        return "";
    }
    if (binary.find('/') != std::string::npos) {
        return ::access(binary.c_str(), X_OK) == 0 ? binary : "";
    }
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        fs::path candidate = fs::path(dir.empty() ? "." : dir) / binary;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
    }
    return "";
}

ClientRun run_client(const std::vector<std::string>& argv, const fs::path& cwd,
                     const fs::path& home, const fs::path& stdout_path, const fs::path& stderr_path,
                     Millis timeout, CancelToken cancel, const fs::path& keylog) {
    if (argv.empty()) {
        throw HarnessError("the action's argv is empty after substitution");
    }
    fs::create_directories(home);
    ProcessSpec spec;
    spec.argv = argv;
    spec.cwd = cwd;
    spec.stdout_path = stdout_path;
    spec.stderr_path = stderr_path;
    spec.env = {{"HOME", home.string()}, {"LC_ALL", "C"}};
    if (!keylog.empty()) {
        // OpenSSL-based curl and GnuTLS (lftp) append their TLS secrets there: the cell's
        // capture then opens decrypted.
        spec.env.emplace_back("SSLKEYLOGFILE", keylog.string());
    }
    auto started = Clock::now();
    std::unique_ptr<Process> process = Process::start(spec);
    ClientRun run;
    bool exited = process->wait(Deadline::after(timeout), cancel);
    run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (exited) {
        run.exit_status = process->exit_status();
    } else {
        run.cancelled = cancel.cancelled();
        run.timed_out = !run.cancelled;
    }
    process->stop(Millis(500));
    return run;
}

}  // namespace fc
