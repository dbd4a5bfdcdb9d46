#include "clients/reference/data_worker.hpp"

#include <chrono>
#include <thread>

namespace fc {

DataWorker::DataWorker(DataJob job) : job_(std::move(job)) {
    thread_ = std::thread([this] { run(); });
}

DataWorker::~DataWorker() {
    if (!joined_) {
        stop();
        join();
    }
}

DataOutcome DataWorker::join() {
    if (!joined_) {
        // The worker watches only stop_; pass the run's cancellation on while waiting.
        while (!done_.load()) {
            if (job_.cancel.cancelled()) {
                stop();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        thread_.join();
        joined_ = true;
    }
    return std::move(outcome_);
}

void DataWorker::run() {
    CancelToken token(&stop_);
    DataOutcome& out = outcome_;
    std::unique_ptr<DataConnection> conn = std::move(job_.connection);
    if (!conn && job_.listener) {
        std::string error;
        std::vector<std::string> refused;
        conn = job_.listener->accept(job_.deadline, token, &error, job_.expected_peer, &refused);
        for (const auto& from : refused) {
            out.notes.push_back("data connection from " + from + " closed: not the server's " +
                                "address " + job_.expected_peer + " (RFC 2577 4)");
        }
        if (!conn) {
            out.connect_error = "no data connection from the server: " + error;
        } else {
            out.notes.push_back("data connection from " + conn->peer());
        }
    }
    out.connected = conn != nullptr;
    if (conn) {
        conn->set_cancel(token);
    }
    if (conn && job_.protect && !job_.garbage.empty()) {
        IoResult sent = conn->send(job_.garbage, job_.deadline);
        hello_sent_.store(true);
        out.handshake_status = IoStatus::failed;
        out.handshake_error = "no handshake: the client sent plaintext instead of a ClientHello";
        out.notes.push_back("data: sent " + std::to_string(job_.garbage.size()) +
                            " bytes of plaintext instead of a ClientHello" +
                            (sent.ok() ? "" : " (" + sent.error + ")"));
        // What the server does now: close (the RFC 4217 10.2 way), answer with a TLS alert,
        // or send something that is not TLS at all, which counts as data.
        out.received = conn->receive_all(job_.deadline, 1 << 20);
        const std::string& head = out.received.head;
        out.alert_back = !head.empty() && head.size() == out.received.bytes && head[0] == 0x15;
        out.notes.push_back(
            "data: " +
            (out.received.bytes == 0 ? std::string("the server sent nothing back")
             : out.alert_back ? "the server answered with " + std::to_string(out.received.bytes) +
                                    " bytes of TLS alert records"
                              : "the server sent " + std::to_string(out.received.bytes) +
                                    " bytes that are not a TLS alert") +
            (out.received.status == IoStatus::ok ? ", then closed" : ": " + out.received.error));
        conn->finish(Deadline::after(std::min(job_.deadline.remaining(), Millis(500))), false);
    } else if (conn && job_.protect) {
        job_.tls.on_hello_sent = [this] { hello_sent_.store(true); };
        TlsHandshakeResult r = conn->protect(job_.tls, job_.deadline);
        out.handshake_status = r.status;
        out.handshake_error = r.error;
        out.handshake_ok = conn->is_protected();
        if (out.handshake_ok) {
            const TlsFacts& f = *conn->tls_facts();
            out.notes.push_back("data TLS handshake done: " + f.version + " " + f.cipher +
                                (f.resumed ? " (resumed)" : " (not resumed)"));
        } else {
            out.notes.push_back("data TLS handshake failed: " + r.error);
        }
    }
    hello_sent_.store(true);  // or as far as it got without
    bool ready = conn && (!job_.protect || out.handshake_ok);
    if (ready && job_.upload) {
        IoResult r = conn->send(job_.payload, job_.deadline);
        out.sent = r.ok() ? job_.payload.size() : r.bytes;
        out.transferred = r.ok();
        out.transfer_error = r.ok() ? "" : std::string(to_string(r.status)) + ": " + r.error;
        if (conn->tls_facts()) {
            out.facts = *conn->tls_facts();
        }
        conn->finish(Deadline::after(std::min(job_.deadline.remaining(), Millis(2000))),
                     job_.close_notify, job_.reset);
        out.notes.push_back("data: sent " + std::to_string(out.sent) + " bytes, " +
                            (job_.close_notify && job_.protect ? "close_notify, " : "") +
                            (job_.reset ? "reset (SO_LINGER 0)" : "closed") +
                            (out.transferred ? "" : " (" + out.transfer_error + ")"));
    } else if (ready && job_.pause_after > 0) {
        out.received = conn->receive_all(job_.deadline, 1ULL << 32, job_.pause_after);
        if (out.received.paused) {
            // From here on read slowly (8 KiB per 10 ms), so the transfer keeps running for
            // seconds but the server's writes never block for long: a server that reads its
            // control connection between writes sees the ABOR the session sends now. The
            // session stops this worker once the ABOR is answered.
            paused_.store(true);
            out.notes.push_back("data: " + std::to_string(out.received.bytes) +
                                " bytes received; reading 8 KiB per 10 ms from here on");
            std::uint64_t slow = 0;
            std::string ended;
            ReceiveResult last;
            while (ended.empty() && !stop_.load() && !resume_.load() && !job_.deadline.expired()) {
                last = conn->receive_all(
                    Deadline::earliest(job_.deadline, Deadline::after(Millis(200))), 1ULL << 32,
                    8 * 1024);
                slow += last.bytes;
                if (!last.paused && last.status == IoStatus::ok) {
                    ended = "the download ended";
                } else if (!last.paused && last.status != IoStatus::timeout &&
                           last.status != IoStatus::cancelled) {
                    ended = "the data connection ended: " + last.error;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            out.notes.push_back("data: " + std::to_string(slow) + " more bytes read slowly, then " +
                                (!ended.empty()   ? ended
                                 : resume_.load() ? std::string("full speed again")
                                                  : std::string("closed by the client")));
            if (resume_.load() && ended.empty() && !stop_.load()) {
                // The rest at full speed; the download is judged like any other, on its
                // byte count and clean end (no digest: it was read in pieces).
                last = conn->receive_all(job_.deadline);
                slow += last.bytes;
                ended = "resumed";
            }
            if (!ended.empty()) {
                out.received.bytes += slow;
                out.received.status = last.status;
                out.received.error = last.error;
                out.received.close_notify = last.close_notify;
                out.received.sha256.clear();
                out.transferred = last.status == IoStatus::ok;
                out.transfer_error = last.error;
                if (conn->tls_facts()) {
                    out.facts = *conn->tls_facts();
                }
                conn->finish(Deadline::after(std::min(job_.deadline.remaining(), Millis(500))));
                out.notes.push_back(
                    "data: received " + std::to_string(out.received.bytes) + " bytes in all" +
                    (job_.protect
                         ? (out.received.close_notify ? ", close_notify" : ", no close_notify")
                         : "") +
                    (out.transferred ? "" : " (" + out.transfer_error + ")"));
            }
        } else {
            out.transferred = out.received.status == IoStatus::ok;
            out.transfer_error = out.received.error;
            out.notes.push_back("data: the download ended after " +
                                std::to_string(out.received.bytes) + " bytes, before " +
                                std::to_string(job_.pause_after));
        }
    } else if (ready) {
        out.received = conn->receive_all(job_.deadline);
        out.transferred = out.received.status == IoStatus::ok;
        out.transfer_error = out.received.error;
        if (conn->tls_facts()) {
            out.facts = *conn->tls_facts();
        }
        // Answer the server's close_notify with ours (RFC 4217 12.6), bounded.
        conn->finish(Deadline::after(std::min(job_.deadline.remaining(), Millis(500))));
        out.notes.push_back(
            "data: received " + std::to_string(out.received.bytes) + " bytes, sha256 " +
            out.received.sha256.substr(0, 16) + "..." +
            (job_.protect ? (out.received.close_notify ? ", close_notify" : ", no close_notify")
                          : "") +
            (out.transferred ? "" : " (" + out.transfer_error + ")"));
    }
    if (conn && conn->tls_facts()) {
        out.facts = *conn->tls_facts();  // the connection was never used for a transfer
    }
    out.stopped = stop_.load();
    conn.reset();
    done_.store(true);
}

}  // namespace fc
