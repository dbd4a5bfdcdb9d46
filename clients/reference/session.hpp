#pragma once
// Internal to the engine: one reference-client session in progress. The control steps
// live in reference_session.cpp, the data steps in session_data.cpp.
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "clients/reference/data_worker.hpp"
#include "clients/reference/reference_session.hpp"
#include "harness/core/variables.hpp"
#include "harness/ftp/control_channel.hpp"
#include "harness/ftp/data_channel.hpp"

namespace fc::detail {

class Session {
public:
    Session(const Scenario& scenario, const Target& target, const SessionOptions& options,
            Transcript& transcript);
    SessionOutcome run();

    void execute(const ConnectStep& step);
    void execute(const SendStep& step);
    void execute(const ExpectStep& step);
    void execute(const TlsHandshakeStep& step);
    void execute(const LoginStep& step);
    void execute(const TlsShutdownStep& step);
    void execute(const SendRawStep& step);
    void execute(const ExpectCloseStep& step);
    void execute(const DataOpenStep& step);
    void execute(const TransferStep& step);
    void execute(const TlsAssertStep& step);
    void execute(const PauseStep& step);
    void execute(const TlsHelloProbeStep& step);

private:
    bool done() const { return outcome_.verdict != Verdict::pass || ended_; }
    /// True when the last unguarded <expect>'s reply matches the step's if-reply.
    bool reply_branch_taken(const Step& step) const;
    static std::string if_reply_text(const Step& step);
    /// The rest of a reply="optional" transfer: waits for the data connection to end,
    /// judges a reply if one came, and fails if data arrived.
    void finish_without_reply(const TransferStep& step, const ReplyExpectation& want,
                              DataWorker& worker);
    /// The rest of an abort-after= download: waits for its 1yz and for the worker to stop
    /// reading, sends ABOR, and judges the reply that ends it (426 may come first).
    void abort_transfer(const TransferStep& step, DataWorker& worker, Deadline until);
    /// For stat-after=: waits for the worker to read slowly, sends STAT and judges its
    /// reply (211|212|213 while the transfer runs), then lets the worker read the rest.
    /// False (the step failed) if the STAT was not answered so.
    bool status_during_transfer(const TransferStep& step, DataWorker& worker, Deadline until);
    /// Waits (bounded by `until`) until the worker reads slowly or has finished; false,
    /// with the step failed, if the transfer was not running after `after` bytes.
    bool wait_for_slow_reading(const TransferStep& step, DataWorker& worker, std::uint64_t after,
                               const std::string& command, Deadline until);
    Deadline deadline() const;
    std::string seconds() const;
    std::string describe_step(const std::string& detail) const;
    void fail(const std::string& detail, std::string expected, std::string observed);
    void error(std::string why);
    std::string text(const std::string& raw) const;
    bool require_connection();
    /// True when the step after this one is an <expect close="allowed">.
    bool next_expect_allows_close() const;
    void judge_io(const IoResult& r, const std::string& what);
    std::optional<Reply> reply_for(const std::string& expected, Deadline deadline);
    std::optional<Reply> reply_for(const std::string& expected) {
        return reply_for(expected, deadline());
    }
    /// Checks `reply` against `want`; records a failure and returns false if it differs.
    bool judge_reply(const ReplyExpectation& want, const Reply& reply);
    TlsClientOptions client_tls(const TlsHandshakeStep* step) const;
    void handshake(const TlsHandshakeStep& step);
    /// Returns the alerts the server sent before it ended the connection (empty when it
    /// did not end it, which fails the step).
    std::optional<std::vector<std::string>> rejected_after_handshake();
    /// alert=: one of the server's alerts must match the step's regex.
    void judge_alert(const TlsHandshakeStep& step, const std::vector<std::string>& alerts);
    /// <tls-handshake renegotiate="true">: renegotiates the control session.
    void renegotiate(const TlsHandshakeStep& step);
    SslSessionPtr other_session();
    SslSessionPtr other_session(Transcript& scratch);
    void goodbye();

    const Scenario& scenario_;
    const Target& target_;
    const SessionOptions& options_;
    Transcript& transcript_;
    ControlChannel channel_;
    Variables vars_;
    SessionOutcome outcome_;
    const Step* step_ = nullptr;
    int index_ = 0;
    std::string last_sent_;
    bool ended_ = false;  ///< the server ended the session in a way the scenario allows
    /// The code of the last reply an <expect> without if-reply read (if-reply looks at it).
    std::optional<int> last_expect_code_;
    /// The last <data-open> got a refusal its expectation allowed: the next <transfer> is moot.
    bool data_refused_ = false;

    // Data connection prepared by <data-open> for the next <transfer>.
    std::unique_ptr<DataConnection> data_connection_;
    std::unique_ptr<DataListener> data_listener_;
    std::optional<TlsFacts> last_data_facts_;
    bool last_data_close_notify_ = false;
    std::optional<TlsFacts> ended_control_facts_;  ///< after <tls-shutdown>
    /// The options of the last control handshake: data connections and the "other"
    /// session use the same versions, ciphers and certificate, as a real client would.
    std::optional<TlsClientOptions> control_tls_;
    TlsClientOptions data_tls() const { return control_tls_ ? *control_tls_ : client_tls(nullptr); }
    /// What this session uploaded, by file name: size and SHA-256, and the bytes themselves
    /// while the file is small enough to model (offset= uploads and verified downloads).
    struct Uploaded {
        std::uint64_t size = 0;
        std::string sha256;
        std::optional<std::string> bytes;
    };
    std::map<std::string, Uploaded> uploads_;
    /// Records an upload of `payload` at `offset` of `name` (the bytes before it stay).
    void record_upload(const std::string& name, std::uint64_t size, std::uint64_t offset,
                       const std::string& payload, const std::string& sha);
    /// Checks a verified download of `name` from `offset` against what was uploaded.
    void verify_download(const std::string& name, std::uint64_t offset, const DataOutcome& data);
};

}  // namespace fc::detail
