#pragma once
// Each endpoint checked once before its cells: its binary is there and its version
// reads. An endpoint that fails the check makes its cells `error` with that one cause at
// once, instead of each cell waiting out a deadline.
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/core/result.hpp"
#include "harness/core/variables.hpp"
#include "harness/engine/cell.hpp"
#include "harness/engine/plan.hpp"

namespace fc {

/// The version an endpoint reports through its version command ("" + error if none).
std::string probe_version(const std::string& command, const std::string& regex,
                          bool stdin_from_stdout, const Variables& vars, CancelToken cancel,
                          std::string* error);

/// What the checks found, by endpoint. Filled once before the cells run, then read-only
/// (safe to read from several cells at once).
class EndpointChecks {
public:
    /// Checks every server and client the cells name, once each, and appends each to
    /// `endpoints` with its version. `note` gets one line per endpoint.
    void check(const std::vector<PlannedCell>& cells, const std::filesystem::path& prefix,
               const ExternalTarget* external, CancelToken cancel,
               const std::function<void(const std::string&)>& note,
               std::vector<EndpointInfo>& endpoints);

    /// Why the server or client cannot run, or nullptr when it can.
    const std::string* server_error(const std::string& name) const;
    const std::string* client_error(const std::string& name) const;
    /// A real client's resolved binary ("" for the builtin or one that was not found).
    std::string client_binary(const std::string& name) const;

private:
    void check_server(const ServerManifest& m, const std::filesystem::path& prefix,
                      const ExternalTarget* external, CancelToken cancel,
                      const std::function<void(const std::string&)>& note,
                      std::vector<EndpointInfo>& endpoints);
    void check_client(const ClientManifest& m, const std::filesystem::path& prefix,
                      CancelToken cancel, const std::function<void(const std::string&)>& note,
                      std::vector<EndpointInfo>& endpoints);

    std::map<std::string, std::string> server_errors_, client_errors_;
    std::map<std::string, std::string> client_binaries_;
    std::set<std::string> checked_servers_, checked_clients_;
};

}  // namespace fc
