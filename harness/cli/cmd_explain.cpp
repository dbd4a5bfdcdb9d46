// `ftps-conform explain CELL`: what one cell did, for a person: its transcript and what
// crossed the wire (wire.json: one short entry per TCP connection, and the cell's
// <wire-expect> verdicts).
#include <iostream>

#include <nlohmann/json.hpp>

#include "harness/cli/args.hpp"
#include "harness/cli/commands.hpp"
#include "harness/core/error.hpp"
#include "harness/core/json_util.hpp"
#include "harness/core/text.hpp"
#include "harness/engine/cell_capture.hpp"
#include "harness/engine/cell_files.hpp"
#include "harness/wire/facts.hpp"
#include "harness/wire/table.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

const OptionSpec kExplainOptions[] = {
    {"wire", false, "", "print only the wire facts, not the transcript"},
    {"help", false, "", "show this help"},
};

void print_help(std::ostream& out) {
    out << "usage: ftps-conform explain CELL-FOLDER [options]\n\n"
           "Prints what one cell of a run did: its transcript (transcript.txt), then what\n"
           "crossed the wire, one entry per TCP connection of its capture (wire.json):\n"
           "control or data, how it began (TLS or clear), TLS version and suite, resumed or\n"
           "full handshake, client certificate, close_notify from each side, application\n"
           "and clear bytes, reset; then the verdict of each <wire-expect> of the scenario.\n"
           "A cell that passed (or was unsupported, or failed as its endpoint declares) keeps\n"
           "one file, transcript.txt, with these wire facts at its end (run --keep keeps\n"
           "wire.json). CELL-FOLDER is <run>/<server>__<client>/<scenario>. A cell with\n"
           "capture.pcap (failed cells, or `run --keep`) opens decrypted in Wireshark:\n"
           "  wireshark -o tls.keylog_file:CELL/tls-keys.log CELL/capture.pcap\n\n"
        << options_help(kExplainOptions)
        << "\nexit status: 0 printed, 2 usage error or no such cell folder.\n";
}

// `transcript_shown`: the transcript was printed just before (a settled cell's wire facts are
// its last part, so they are not printed twice).
void print_wire(const fs::path& dir, std::ostream& out, bool transcript_shown) {
    fs::path wire_json = dir / "wire.json";
    if (!fs::exists(wire_json)) {
        if (fs::exists(dir / "capture.pcap")) {
            // No wire.json (an interrupted cell): read the capture itself; control
            // connections are then told by their FTP greeting.
            out << wire::wire_table(
                wire::read_wire_facts(dir / "capture.pcap", dir / "tls-keys.log", {}));
            return;
        }
        // A settled cell keeps one file: its wire facts are the transcript's last part.
        const std::string transcript =
            fs::exists(dir / "transcript.txt") ? read_file(dir / "transcript.txt") : "";
        if (auto at = transcript.find(kWireFactsHeading); at != std::string::npos) {
            if (transcript_shown) {
                out << "in transcript.txt above (a cell that passed keeps that one file; run "
                       "--keep keeps wire.json)\n";
                return;
            }
            at += std::string_view(kWireFactsHeading).size();
            at = transcript.find('\n', at);
            auto end = transcript.find("\n== ", at);
            out << transcript.substr(at + 1, end == std::string::npos ? end : end - at);
            return;
        }
        out << "no wire.json and no capture.pcap in " << dir.string() << "\n";
        return;
    }
    out << wire_summary(read_file(wire_json), fs::exists(dir / "capture.pcap"));
}

}  // namespace

int cmd_explain(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
    ParsedArgs a = parse_args(args, kExplainOptions);
    if (a.has("help")) {
        print_help(out);
        return exit_ok;
    }
    if (a.positionals.size() != 1) {
        throw UsageError("explain takes one cell folder (<run>/<server>__<client>/<scenario>)");
    }
    fs::path dir = a.positionals.front();
    if (!fs::is_directory(dir)) {
        err << "ftps-conform: " << dir.string() << " is not a folder\n";
        return exit_usage;
    }
    if (!a.has("wire")) {
        out << "== transcript (" << (dir / "transcript.txt").string() << ")\n";
        out << (fs::exists(dir / "transcript.txt") ? read_file(dir / "transcript.txt")
                                                   : std::string("(none)\n"));
        out << "\n";
    }
    // A settled cell's wire facts are the end of its transcript (cell_files.hpp).
    const bool folded = !fs::exists(dir / "wire.json") && !fs::exists(dir / "capture.pcap") &&
                        fs::exists(dir / "transcript.txt");
    out << "== wire (" << (dir / (folded ? "transcript.txt" : "wire.json")).string() << ")\n";
    try {
        print_wire(dir, out, !a.has("wire"));
    } catch (const std::exception& e) {
        err << "ftps-conform: cannot read " << (dir / "wire.json").string() << ": " << e.what()
            << "\n";
        return exit_usage;
    }
    return exit_ok;
}

}  // namespace fc
