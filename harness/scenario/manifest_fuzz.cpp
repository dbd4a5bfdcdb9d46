// libFuzzer target for the endpoint manifest loaders (ci/fuzz, FTPS_CONFORM_FUZZ=ON):
// `--endpoints` reads manifests from users. The input is one manifest's text, loaded as a
// server and as a client manifest (at most one root element fits). Any broken invariant traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/scenario/manifest_loader.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

void check_diags(const std::vector<fc::Diagnostic>& diags, int lines) {
    for (const fc::Diagnostic& d : diags) {
        check(!d.message.empty());
        check(d.line >= 0 && d.line <= lines && d.column >= 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    int lines = 1;
    for (char c : text) {
        lines += c == '\n' ? 1 : 0;
    }
    std::vector<fc::Diagnostic> server_diags;
    auto server = fc::load_server_manifest_text("fuzz/manifest.xml", text, server_diags);
    check(server.has_value() == server_diags.empty());
    check_diags(server_diags, lines);
    std::vector<fc::Diagnostic> client_diags;
    auto client = fc::load_client_manifest_text("fuzz/manifest.xml", text, client_diags);
    check(client.has_value() == client_diags.empty());
    check_diags(client_diags, lines);
    check(!(server && client));
    if (server) {
        check(!server->name.empty());
    }
    if (client) {
        check(!client->name.empty());
    }
    return 0;
}
