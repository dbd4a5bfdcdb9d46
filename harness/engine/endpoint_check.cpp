#include "harness/engine/endpoint_check.hpp"

#include <unistd.h>

#include <regex>
#include <sstream>

#include "harness/core/text.hpp"
#include "harness/engine/client_action.hpp"
#include "harness/ftp/data_channel.hpp"
#include "harness/proc/process.hpp"

namespace fc {

namespace {

const std::string* find_in(const std::map<std::string, std::string>& map, const std::string& name) {
    auto it = map.find(name);
    return it == map.end() ? nullptr : &it->second;
}

// The endpoint as results.json records it: which manifest file (absolute path, SHA-256 of
// its bytes) it came from, so a user can tell their own manifest from the shipped one.
EndpointInfo endpoint_info(const std::string& name, const std::string& kind,
                           const std::string& version, const std::filesystem::path& manifest) {
    EndpointInfo info{name, kind, version};
    if (!manifest.empty()) {
        std::error_code ec;
        std::filesystem::path absolute = std::filesystem::absolute(manifest, ec);
        info.manifest = (ec ? manifest : absolute.lexically_normal()).string();
        try {
            info.manifest_sha256 = sha256_hex(read_file(manifest));
        } catch (const std::exception&) {
            // Loaded a moment ago; if it is gone now, the path alone is what we know.
        }
    }
    return info;
}

// "server vsftpd 3.0.3: manifest /abs/servers/vsftpd/manifest.xml (sha256 0123456789ab)"
std::string header_line(const EndpointInfo& e) {
    return e.kind + " " + e.name + " " + (e.version.empty() ? "(version unknown)" : e.version) +
           ": " + provenance_text(e);
}

}  // namespace

std::string probe_version(const std::string& command, const std::string& regex,
                          bool stdin_from_stdout, const Variables& vars, CancelToken cancel,
                          std::string* error) {
    std::istringstream words(substitute(command, vars, "version command"));
    std::vector<std::string> argv;
    for (std::string w; words >> w;) {
        argv.push_back(w);
    }
    CommandOutput out =
        run_command(argv, Deadline::after(Millis(10000)), cancel, stdin_from_stdout);
    if (out.timed_out || !out.exit_code) {
        *error = "version command did not finish: " + out.error;
        return "";
    }
    std::string text = out.output;
    if (!regex.empty()) {
        std::smatch m;
        if (std::regex_search(text, m, std::regex(regex)) && m.size() > 1) {
            return trim(m[1].str());
        }
        *error = "version output does not match /" + regex + "/: " + text.substr(0, 200);
        return "";
    }
    return trim(text.substr(0, text.find('\n')));
}

void EndpointChecks::check(const std::vector<PlannedCell>& cells,
                           const std::filesystem::path& prefix, const ExternalTarget* external,
                           CancelToken cancel, const std::function<void(const std::string&)>& note,
                           std::vector<EndpointInfo>& endpoints) {
    // Servers first, then clients: the order of the reports' endpoint lists.
    for (const PlannedCell& cell : cells) {
        check_server(*cell.server, prefix, external, cancel, note, endpoints);
    }
    for (const PlannedCell& cell : cells) {
        check_client(*cell.client, prefix, cancel, note, endpoints);
    }
}

const std::string* EndpointChecks::server_error(const std::string& name) const {
    return find_in(server_errors_, name);
}

const std::string* EndpointChecks::client_error(const std::string& name) const {
    return find_in(client_errors_, name);
}

std::string EndpointChecks::client_binary(const std::string& name) const {
    const std::string* binary = find_in(client_binaries_, name);
    return binary ? *binary : "";
}

void EndpointChecks::check_server(const ServerManifest& m, const std::filesystem::path& prefix,
                                  const ExternalTarget* external, CancelToken cancel,
                                  const std::function<void(const std::string&)>& note,
                                  std::vector<EndpointInfo>& endpoints) {
    if (!checked_servers_.insert(m.name).second) {
        return;
    }
    if (external) {
        EndpointInfo info{m.name, "server", "external"};
        const bool v6 = external->host.find(':') != std::string::npos;
        info.target = (v6 ? "[" + external->host + "]" : external->host) + ":" +
                      std::to_string(external->port);
        endpoints.push_back(info);
        note(header_line(info) + ", not started or configured by ftps-conform" +
             (external->ca_file.empty() ? "; its certificate is NOT verified (no --ca)" : ""));
        return;
    }
    Variables vars = manifest_variables(m, prefix);
    std::string error;
    std::string version;
    if (::access(vars["binary"].c_str(), X_OK) != 0) {
        error = "binary not found or not executable: " + vars["binary"] +
                " (ci/install-servers puts it there, or point <binary> elsewhere)";
    } else if (!m.version_command.empty()) {
        version = probe_version(m.version_command, m.version_regex, m.version_stdin_from_stdout,
                                vars, cancel, &error);
    }
    if (!error.empty()) {
        server_errors_[m.name] = m.name + ": " + error;
    }
    endpoints.push_back(endpoint_info(m.name, "server", version, m.file));
    note(error.empty() ? header_line(endpoints.back()) : "server " + m.name + ": " + error);
}

void EndpointChecks::check_client(const ClientManifest& m, const std::filesystem::path& prefix,
                                  CancelToken cancel,
                                  const std::function<void(const std::string&)>& note,
                                  std::vector<EndpointInfo>& endpoints) {
    if (!checked_clients_.insert(m.name).second) {
        return;
    }
    if (m.builtin) {
        endpoints.push_back(endpoint_info(m.name, "client", FTPS_CONFORM_VERSION, m.file));
        note(header_line(endpoints.back()));
        return;
    }
    std::string error;
    std::string version;
    std::string binary = resolve_client_binary(m, prefix);
    if (binary.empty()) {
        error = "binary not found or not executable: " +
                (m.binary.empty() ? std::string("(no <binary> in the manifest)") : m.binary) +
                " (install package " + (m.package.empty() ? m.name : m.package) +
                ", or point <binary> elsewhere)";
    } else if (!m.version_command.empty()) {
        Variables vars{
            {"binary", binary}, {"prefix", prefix.string()}, {"manifest_dir", m.dir().string()}};
        version = probe_version(m.version_command, m.version_regex, m.version_stdin_from_stdout,
                                vars, cancel, &error);
    }
    client_binaries_[m.name] = binary;
    if (!error.empty()) {
        client_errors_[m.name] = "client " + m.name + ": " + error;
    }
    endpoints.push_back(endpoint_info(m.name, "client", version, m.file));
    note(error.empty() ? header_line(endpoints.back()) : "client " + m.name + ": " + error);
}

}  // namespace fc
