// Pieces of client cells that need no running server: the bytes the harness seeds, and
// what a client cannot do (which makes its cell unsupported).
#include <algorithm>
#include <random>

#include "harness/core/text.hpp"
#include "harness/engine/client_action.hpp"
#include "harness/engine/client_cell.hpp"

namespace fc {

std::string seed_bytes(const std::string& name, std::uint64_t size) {
    // FNV-1a of the name seeds the generator: the same name gives the same bytes.
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : name) {
        h = (h ^ c) * 1099511628211ull;
    }
    std::mt19937_64 gen(h);
    std::string out(size, '\0');
    for (std::uint64_t i = 0; i < size; i += 8) {
        std::uint64_t word = gen();
        for (std::uint64_t j = 0; j < 8 && i + j < size; ++j) {
            out[i + j] = static_cast<char>((word >> (8 * j)) & 0xFF);
        }
    }
    return out;
}

std::string client_unsupported(const ClientManifest& client, const Scenario& scenario) {
    std::vector<std::string> actions;
    std::vector<std::string> missing_settings;
    std::vector<std::string> per_file;  // actions that log in per file, asked for several
    for (const ClientStep& step : scenario.client_steps) {
        const auto* c = std::get_if<ClientActionStep>(&step.body);
        if (c == nullptr) {
            continue;
        }
        if (!client.can(c->action)) {
            if (std::find(actions.begin(), actions.end(), c->action) == actions.end()) {
                actions.push_back(c->action);
            }
            continue;
        }
        // The action table defines several files of one step as one login; a client that
        // logs in per file would pass scenarios about that login without doing it.
        const ClientAction* action = client.action(c->action);
        if (action != nullptr && action->login_per_file && c->remote.size() > 1 &&
            std::find(per_file.begin(), per_file.end(), c->action) == per_file.end()) {
            per_file.push_back(c->action);
        }
        std::vector<std::string> settings =
            effective_settings(scenario.client_settings, c->settings);
        if (client.builtin) {
            // Its implicit connect handshakes with the defaults: no version pin, no
            // client certificate.
            bool implicit =
                std::find(settings.begin(), settings.end(), "implicit") != settings.end();
            for (const char* name : {"tls12", "tls13", "client-cert"}) {
                if (implicit &&
                    std::find(settings.begin(), settings.end(), name) != settings.end() &&
                    std::find(missing_settings.begin(), missing_settings.end(), name) ==
                        missing_settings.end()) {
                    missing_settings.push_back(std::string(name) + " (with implicit)");
                }
            }
            continue;
        }
        std::vector<std::string> missing;
        if (!realise_settings(client, settings, &missing)) {
            for (auto& m : missing) {
                if (std::find(missing_settings.begin(), missing_settings.end(), m) ==
                    missing_settings.end()) {
                    missing_settings.push_back(m);
                }
            }
        }
    }
    std::string out;
    if (!actions.empty()) {
        out = client.name + " has no action: " + join(actions, " ");
    }
    if (!per_file.empty()) {
        out += (out.empty() ? "" : "; ") + client.name + " logs in once per file (" +
               join(per_file, " ") + "): it cannot keep the step's several files on one login";
    }
    if (!missing_settings.empty()) {
        out += (out.empty() ? "" : "; ") + client.name +
               " cannot realise setting(s): " + join(missing_settings, " ");
    }
    return out;
}

}  // namespace fc
