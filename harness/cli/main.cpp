// ftps-conform: conformance and interoperability tests for FTPS (RFC 4217).
#include <malloc.h>

#include <iostream>
#include <string>
#include <vector>

#include "harness/cli/commands.hpp"
#include "harness/cli/signals.hpp"
#include "harness/core/error.hpp"
#include "harness/core/verdict.hpp"
#include "harness/proc/process.hpp"

namespace {

void print_usage(std::ostream& out) {
    out << "usage: ftps-conform <command> [options]\n\n"
           "commands:\n"
           "  run [PATH...]       run scenarios: real FTPS servers x real clients; write\n"
           "                      results.json, junit.xml, matrix.html/.md and per-cell logs\n"
           "  list WHAT           list scenarios, servers or clients\n"
           "  validate [PATH...]  check scenario and manifest files; report every problem\n"
           "  controls [PATH...]  run each scenario under its negative control; list those\n"
           "                      that still pass (a scenario that cannot fail is a defect)\n"
           "  report RESULTS...   merge the results.json of runs (e.g. shards of `run --shard`)\n"
           "                      and write the merged run's results.json, junit.xml, matrices\n"
           "  compare RESULTS...  list the cells whose verdict differed between runs of one\n"
           "                      matrix (ci/soak)\n"
           "  explain CELL        print one cell's transcript and what crossed the wire\n"
           "                      (per TCP connection: TLS or clear, version, resumption, ...)\n"
           "  serve               run the reference FTPS server (client tests, debugging)\n"
           "  setup-servers       put ProFTPD, vsftpd and pure-ftpd into the server prefix\n\n"
           "  --help              this help; `ftps-conform <command> --help` for a command\n"
           "  --version           print the version\n\n"
           "exit status: 0 nothing failed or errored, 1 a check failed, 2 usage or\n"
           "scenario/manifest error, 3 harness or infrastructure error.\n";
}

}  // namespace

int main(int argc, char** argv) {
    // Every block of 1 MiB or more gets its own mapping, returned to the system when freed.
    // glibc's default threshold moves up after each such free (to 32 MiB), after which the
    // 16 MiB payloads, transfer buffers and TCP streams of big cells stay in the heaps of
    // the worker threads that used them: `run`'s peak RSS was 200-305 MiB, and 86 instead of
    // 220 MiB on the big-transfer cells alone with the threshold fixed (ci/bench).
    ::mallopt(M_MMAP_THRESHOLD, 1 << 20);
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        print_usage(std::cerr);
        return fc::exit_usage;
    }
    const std::string command = args.front();
    std::span<const std::string> rest(args.data() + 1, args.size() - 1);
    try {
        if (command == "--help" || command == "-h" || command == "help") {
            print_usage(std::cout);
            return fc::exit_ok;
        }
        if (command == "--version") {
            std::cout << "ftps-conform " << FTPS_CONFORM_VERSION << "\n";
            return fc::exit_ok;
        }
        if (command == "run") {
            fc::become_subreaper();
            return fc::cmd_run(rest, fc::install_cancel_handlers(), std::cout, std::cerr);
        }
        if (command == "controls") {
            fc::become_subreaper();
            return fc::cmd_controls(rest, fc::install_cancel_handlers(), std::cout, std::cerr);
        }
        if (command == "serve") {
            return fc::cmd_serve(rest, fc::install_cancel_handlers(), std::cout, std::cerr);
        }
        if (command == "setup-servers") {
            return fc::cmd_setup_servers(rest, fc::install_cancel_handlers(), std::cout, std::cerr);
        }
        if (command == "list") {
            return fc::cmd_list(rest, std::cout, std::cerr);
        }
        if (command == "report") {
            return fc::cmd_report(rest, std::cout, std::cerr);
        }
        if (command == "compare") {
            return fc::cmd_compare(rest, std::cout, std::cerr);
        }
        if (command == "explain") {
            return fc::cmd_explain(rest, std::cout, std::cerr);
        }
        if (command == "validate") {
            return fc::cmd_validate(rest, std::cout, std::cerr);
        }
        std::cerr << "ftps-conform: unknown command '" << command << "'\n\n";
        print_usage(std::cerr);
        return fc::exit_usage;
    } catch (const fc::UsageError& e) {
        std::cerr << "ftps-conform: " << e.what() << "\n";
        return fc::exit_usage;
    } catch (const fc::HarnessError& e) {
        std::cerr << "ftps-conform: harness error: " << e.what() << "\n";
        return fc::exit_harness;
    } catch (const std::exception& e) {
        std::cerr << "ftps-conform: internal error: " << e.what() << "\n";
        return fc::exit_harness;
    }
}
