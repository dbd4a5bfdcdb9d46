// `ftps-conform setup-servers`: puts ProFTPD, vsftpd and pure-ftpd into the server prefix.
// They conflict with each other in apt, so an installed ftps-conform cannot depend on them;
// this runs the one implementation of that job (ci/install-servers in a source tree,
// share/ftps-conform/install-servers when installed) with the prefix the tool will use.
#include <sys/wait.h>
#include <unistd.h>

#include <ostream>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"
#include "harness/core/paths.hpp"
#include "harness/core/verdict.hpp"
#include "harness/proc/process.hpp"

namespace fc {

namespace {

const OptionSpec kSetupOptions[] = {
    {"prefix", true, "DIR", "install here instead of the default prefix (see below)"},
    {"reinstall", false, "", "download and unpack again even if the prefix is up to date"},
    {"help", false, "", "show this help"},
};

// Downloading four packages and their libraries over a slow mirror can take minutes.
constexpr Millis kSetupLimit{20 * 60 * 1000};

void print_help(std::ostream& out, const std::filesystem::path& prefix,
                const std::filesystem::path& script) {
    out << "usage: ftps-conform setup-servers [options]\n\n"
           "Downloads the Debian packages of ProFTPD (with mod_tls), vsftpd and pure-ftpd and\n"
           "unpacks them into the server prefix (they conflict in apt, so they are never\n"
           "installed system-wide; nothing is started). Installs their runtime libraries with\n"
           "apt-get when missing (that needs root). A second call is a no-op.\n\n"
        << options_help(kSetupOptions) << "\nprefix: " << prefix.string()
        << " ($FTPS_CONFORM_PREFIX overrides)\nscript: " << script.string() << "\n";
}

}  // namespace

int cmd_setup_servers(std::span<const std::string> args, CancelToken cancel, std::ostream& out,
                      std::ostream& err) {
    ParsedArgs a = parse_args(args, kSetupOptions);
    const DataLayout layout = data_layout();
    const std::filesystem::path prefix = a.value("prefix")
                                             ? std::filesystem::path(*a.value("prefix"))
                                             : default_prefix_for(layout, prefix_environment());
    const std::filesystem::path script = layout.install_servers_script();
    if (a.has("help")) {
        print_help(out, prefix, script);
        return exit_ok;
    }
    if (!a.positionals.empty()) {
        throw UsageError("setup-servers takes no arguments (see --help)");
    }
    std::vector<std::pair<std::string, std::string>> env{
        {"FTPS_CONFORM_PREFIX", std::filesystem::absolute(prefix).string()}};
    if (a.has("reinstall")) {
        env.emplace_back("FTPS_CONFORM_REINSTALL", "1");
    }
    out << "setup-servers: " << script.string() << " into " << env.front().second << std::endl;
    err.flush();
    // The script's progress goes straight to our stdout and stderr, as it happens.
    const int pid = spawn_in_group({"/bin/bash", script.string()}, {}, env, STDIN_FILENO,
                                   STDOUT_FILENO, STDERR_FILENO);
    const Deadline deadline = Deadline::after(kSetupLimit);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) != pid) {
        if (cancel.cancelled() || deadline.expired()) {
            kill_and_reap_group(pid, Millis(2000));
            throw HarnessError(std::string("setup-servers ") +
                               (cancel.cancelled() ? "cancelled" : "timed out after 20 minutes"));
        }
        ::usleep(50 * 1000);
    }
    kill_and_reap_group(pid, Millis(200));
    const int code = shell_status(status);
    if (code != 0) {
        err << "ftps-conform: setup-servers: " << script.string() << " exited with " << code
            << "\n";
        return exit_harness;
    }
    return exit_ok;
}

}  // namespace fc
