#pragma once
// The data side of one transfer, run on its own thread while the session reads control
// replies: a server may refuse on the control connection before, during or after the data
// handshake, and neither side may wait for the other without a deadline.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/core/deadline.hpp"
#include "harness/ftp/data_channel.hpp"
#include "harness/tls/tls_stream.hpp"

namespace fc {

struct DataJob {
    std::unique_ptr<DataConnection> connection;  ///< passive modes: already connected
    std::unique_ptr<DataListener> listener;      ///< active modes: the server connects here
    /// active modes: the server's address on the control connection; a data connection
    /// from any other address is closed (RFC 2577 4). "" accepts any.
    std::string expected_peer;
    bool protect = true;
    TlsClientOptions tls;  ///< `resume` must stay valid until join()
    bool upload = false;
    std::string payload;       ///< uploads
    bool close_notify = true;  ///< uploads: end with close_notify
    bool reset = false;        ///< uploads: end with a TCP reset (SO_LINGER 0)
    /// downloads: after this many bytes (0: never) read slowly (8 KiB per 10 ms) until
    /// stop() or the end of the data (the session sends ABOR meanwhile)
    std::uint64_t pause_after = 0;
    /// protect: send these plaintext bytes instead of a ClientHello, then read what comes
    /// back until the server closes (a failed data-connection negotiation). Empty: TLS.
    std::string garbage;
    Deadline deadline{Clock::now()};
    CancelToken cancel;  ///< the run's; the worker also stops on stop()
};

/// What the data side saw.
struct DataOutcome {
    bool connected = false;
    std::string connect_error;
    bool handshake_ok = false;  ///< meaningful when the job asked for protection
    IoStatus handshake_status = IoStatus::ok;
    std::string handshake_error;
    std::optional<TlsFacts> facts;  ///< after the transfer (close_notify included)
    bool transferred = false;       ///< upload: every byte sent; download: clean end
    std::string transfer_error;
    ReceiveResult received;          ///< downloads (garbage: what the server sent back)
    bool alert_back = false;         ///< garbage: what came back was TLS alert records
    std::uint64_t sent = 0;          ///< uploads
    bool stopped = false;            ///< ended by stop() (the control side gave up)
    std::vector<std::string> notes;  ///< for the transcript, in order
};

/// Runs one DataJob on a thread. The destructor stops and joins.
class DataWorker {
public:
    explicit DataWorker(DataJob job);
    ~DataWorker();
    DataWorker(const DataWorker&) = delete;
    DataWorker& operator=(const DataWorker&) = delete;

    /// Asks the worker to give up (its waits return within ~100 ms).
    void stop() { stop_.store(true); }
    /// With pause_after: read the rest at full speed (after STAT was answered).
    void resume() { resume_.store(true); }
    /// With pause_after: the download has reached it and now reads slowly.
    bool paused() const { return paused_.load(); }
    /// The worker has finished (whatever the reason).
    bool finished() const { return done_.load(); }
    /// The data connection's first bytes (the ClientHello, or the garbage) are written, or
    /// the worker got as far as it could without them.
    bool hello_sent() const { return hello_sent_.load(); }
    /// Waits for the worker and returns what it saw.
    DataOutcome join();

private:
    void run();

    DataJob job_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> done_{false};
    std::atomic<bool> paused_{false};
    std::atomic<bool> resume_{false};
    std::atomic<bool> hello_sent_{false};
    DataOutcome outcome_;
    std::thread thread_;
    bool joined_ = false;
};

}  // namespace fc
