#pragma once
// What every kind of cell needs from the run, and the one boundary around a cell: any
// exception a cell throws becomes that cell's `error`, never the run's end.
#include <cstdint>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "clients/reference/reference_session.hpp"
#include "harness/core/deadline.hpp"
#include "harness/core/result.hpp"
#include "harness/engine/plan.hpp"
#include "harness/engine/server_instance.hpp"
#include "harness/ftp/transcript.hpp"

namespace fc {

class Resident;
class ServerPool;

namespace wire {
class CaptureHub;
}

/// A server that already listens (--target): the harness neither starts nor configures
/// it; scenarios run with the features the user declared.
struct ExternalTarget {
    std::string name = "target";  ///< its row in the results
    std::string host;
    std::uint16_t port = 0;
    std::string user, password;
    std::filesystem::path ca_file;  ///< empty: the server certificate is not verified
    std::vector<std::string> features;
};

/// A manifest standing for an external target: it "realises" exactly the declared
/// features (with empty fragments) and has no binary.
ServerManifest external_manifest(const ExternalTarget& target);

/// Times one cell's phases: made when the cell starts; the cell marks the end of its setup
/// (its servers ready) and of its steps; `finish` gives the split, the rest being teardown.
/// A phase never marked takes no time (a cell that stops before its servers start spent
/// everything on setup).
class PhaseClock {
public:
    void setup_done() { setup_ = Clock::now(); }
    void steps_done() { steps_ = Clock::now(); }
    /// The split up to now.
    CellTiming finish() const;

private:
    Clock::time_point start_ = Clock::now();
    std::optional<Clock::time_point> setup_, steps_;
};

/// What one cell needs from the run. Pointers are owned by the run and outlive the cell.
struct CellContext {
    const PlannedCell* cell = nullptr;
    std::filesystem::path dir;  ///< the cell folder (exists, absolute)
    std::string features_text;  ///< the server's realised feature fragments
    const PkiFiles* pki = nullptr;
    const Credentials* credentials = nullptr;
    PortAllocator* ports = nullptr;
    std::filesystem::path prefix;
    CancelToken cancel;
    Millis step_timeout{10000};  ///< the run's; a client action gets 3 times this by default
    std::string client_binary;   ///< resolved binary of a real client; "" for the builtin
    bool keep = false;           ///< keep the servers' work dirs even when the cell passes
    const ExternalTarget* external = nullptr;  ///< --target: no server is started
    PhaseClock* clock = nullptr;               ///< the cell marks its phases here
    bool capture = false;  ///< capture the cell's traffic (harness/engine/cell_capture.hpp)
    /// The run's tcpdump that cells take their sessions from; null: a tcpdump of the cell's own
    wire::CaptureHub* capture_hub = nullptr;
    std::string capture_off;          ///< when not capturing: why ("capture unavailable: ...")
    StartBreaker* breaker = nullptr;  ///< the run's: servers that cannot start are not retried
    /// The client's resident driver, which runs its actions; null: each is a process
    Resident* resident = nullptr;
    /// The run's cache folder (`${run_cache}` is a subfolder per endpoint); removed when
    /// the run ends unless --keep. Empty: each server instance or action gets its own.
    std::filesystem::path run_cache;
    /// The run's server pool when this cell may use a pooled server (server_pool.hpp);
    /// null: the cell starts servers of its own.
    ServerPool* pool = nullptr;
};

/// Copies what a reference session found into the cell's result (verdict, reason,
/// failure; properties are added to those already there).
void apply_outcome(const SessionOutcome& outcome, CellResult& result);

/// Makes the cell an `error` for `why` (a harness or environment problem), noted in the
/// transcript; a failure already recorded is replaced, since the cell could not finish.
void cell_error(CellResult& result, Transcript& transcript, const std::string& why);

/// Runs `body`; whatever it throws ends this cell only, as its `error`.
template <typename Body>
void guard_cell(CellResult& result, Transcript& transcript, Body&& body) {
    try {
        body();
    } catch (const std::exception& e) {
        cell_error(result, transcript, e.what());
    } catch (...) {
        cell_error(result, transcript, "unknown exception");
    }
}

/// Writes the transcript into the cell folder and records its path and excerpt.
void finish_transcript(const Transcript& transcript, const std::filesystem::path& dir,
                       CellResult& result);

}  // namespace fc
