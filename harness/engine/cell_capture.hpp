#pragma once
// The packet capture of one cell (harness/wire): started once the cell's servers listen,
// filtered to exactly their control ports and passive ranges (a session of the run's
// CaptureHub, or a tcpdump of its own without one), stopped when the cell ends; its facts
// go to wire.json and the scenario's <wire-expect> assertions are judged on them.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/core/result.hpp"
#include "harness/engine/cell.hpp"

namespace fc {

namespace wire {
class WireCapture;
class CaptureHub;
}  // namespace wire

/// One server of the cell as its capture filters it.
struct CaptureServer {
    std::string host;
    std::uint16_t control = 0;
    /// Its passive range; nullopt when the server picks its passive ports itself.
    std::optional<std::pair<std::uint16_t, std::uint16_t>> passive;
};

/// The capture of one cell. With ctx.capture off, or when tcpdump cannot start, it records
/// why, and the scenario's wire assertions become `unsupported` with that reason.
class CellCapture {
public:
    CellCapture(const CellContext& ctx, Transcript& transcript);
    ~CellCapture();
    CellCapture(const CellCapture&) = delete;
    CellCapture& operator=(const CellCapture&) = delete;

    /// Starts capturing these servers' traffic into <cell>/capture.pcap. `active` says the
    /// cell opens active-mode data connections (their ports are the client's: not captured).
    void start(const std::vector<CaptureServer>& servers, bool active);
    /// Stops the capture, writes <cell>/wire.json and, when the cell has passed so far,
    /// judges the scenario's <wire-expect> into `result` (fail naming the connection, or
    /// unsupported with the reason). Never throws.
    void finish(CellResult& result);

private:
    const CellContext& ctx_;
    Transcript& transcript_;
    std::unique_ptr<wire::WireCapture> capture_;  // a tcpdump of the cell's own (no hub)
    int session_ = -1;                            // the cell's session of ctx.capture_hub
    std::string filter_;                          // what the capture keeps, for wire.json
    std::string unavailable_;                     // why there is no capture ("" when there is)
    std::string data_gap_;  // why data connections are missing from it ("" when none)
    std::set<std::uint16_t> control_ports_;
    bool finished_ = false;
};

/// What a cell's wire.json says, as `explain` prints it: the capture filter (and whether
/// capture.pcap is kept), what could not be captured, the frames and whether the key log
/// decrypted them, one short entry per TCP connection, and each <wire-expect>'s outcome.
/// Throws if `wire_json` is not JSON.
std::string wire_summary(const std::string& wire_json, bool capture_kept);

/// Why the run's cells cannot be captured: "" when `wanted` and tcpdump is in PATH, else
/// "capture unavailable: switched off (--no-capture)" or "... tcpdump not found in PATH".
std::string capture_off_reason(bool wanted);

/// True when a server-side scenario's steps or a client scenario's settings use active
/// mode (PORT/EPRT): the data connections then go to ports the client picks.
bool uses_active_mode(const Scenario& scenario);

}  // namespace fc
