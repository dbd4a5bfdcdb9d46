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
           "CELL-FOLDER is <run>/<server>__<client>/<scenario>. A cell with capture.pcap\n"
           "(failed cells, or `run --keep`) opens decrypted in Wireshark:\n"
           "  wireshark -o tls.keylog_file:CELL/tls-keys.log CELL/capture.pcap\n\n"
        << options_help(kExplainOptions)
        << "\nexit status: 0 printed, 2 usage error or no such cell folder.\n";
}

void print_wire(const fs::path& dir, std::ostream& out) {
    fs::path wire_json = dir / "wire.json";
    if (!fs::exists(wire_json)) {
        if (fs::exists(dir / "capture.pcap")) {
            // No wire.json (an interrupted cell): read the capture itself; control
            // connections are then told by their FTP greeting.
            out << wire::wire_table(
                wire::read_wire_facts(dir / "capture.pcap", dir / "tls-keys.log", {}));
        } else {
            out << "no wire.json and no capture.pcap in " << dir.string() << "\n";
        }
        return;
    }
    json::Value doc = json::parse(read_file(wire_json));
    if (doc.contains("capture_unavailable")) {
        out << doc["capture_unavailable"].get<std::string>() << "\n";
    }
    if (doc.contains("filter")) {
        out << "capture filter: " << doc["filter"].get<std::string>()
            << (fs::exists(dir / "capture.pcap") ? " (capture.pcap kept)"
                                                 : " (capture.pcap deleted: the cell passed)")
            << "\n";
    }
    if (doc.contains("data_connections_missing")) {
        out << "not captured: " << doc["data_connections_missing"].get<std::string>() << "\n";
    }
    if (doc.contains("facts")) {
        out << doc["facts"]["table"].get<std::string>();
    }
    for (const auto& a : doc["assertions"]) {
        out << a["assertion"].get<std::string>() << " (line " << a["line"].get<int>()
            << "): " << a["outcome"].get<std::string>();
        std::string reason = a["reason"].get<std::string>();
        out << (reason.empty() ? "" : ": " + reason) << "\n";
    }
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
    out << "== wire (" << (dir / "wire.json").string() << ")\n";
    try {
        print_wire(dir, out);
    } catch (const std::exception& e) {
        err << "ftps-conform: cannot read " << (dir / "wire.json").string() << ": " << e.what()
            << "\n";
        return exit_usage;
    }
    return exit_ok;
}

}  // namespace fc
