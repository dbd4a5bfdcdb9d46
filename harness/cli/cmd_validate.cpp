#include <ostream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"

namespace fc {

namespace {

const OptionSpec kValidateOptions[] = {
    {"endpoints", true, "DIR", "also load server/client manifests from DIR/<name>/manifest.xml"},
    {"help", false, "", "show this help"},
};

}  // namespace

int cmd_validate(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
    ParsedArgs a = parse_args(args, kValidateOptions);
    if (a.has("help")) {
        out << "usage: ftps-conform validate [PATH...] [options]\n\n"
               "Loads every scenario under PATH (files or folders; default: scenarios/) and\n"
               "every server and client manifest, and reports every problem found as\n"
               "file:line:col: error: message. Exit 0 when all is well, 2 otherwise.\n\n"
            << options_help(kValidateOptions);
        return exit_ok;
    }
    Workspace ws = load_workspace_for(a, err);
    out << "ok: " << ws.scenarios.size() << " scenario(s), " << ws.endpoints.servers.size()
        << " server(s), " << ws.endpoints.clients.size() << " client(s)\n";
    return exit_ok;
}

}  // namespace fc
