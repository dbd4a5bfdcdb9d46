// The data steps of a reference-client session: <data-open> (PASV, EPSV, PORT, EPRT) and
// <transfer> (one command over the data connection, protected or clear, judged on both
// the control replies and what the data connection carried).
#include <cctype>
#include <chrono>
#include <optional>
#include <thread>

#include "clients/reference/data_worker.hpp"
#include "clients/reference/session.hpp"

namespace fc::detail {

namespace {

ReplyExpectation expect_code(const std::string& code) {
    ReplyExpectation e;
    e.codes.push_back(CodePattern{code});
    return e;
}

ReplyExpectation transfer_done() {
    ReplyExpectation e;
    e.codes = {CodePattern{"226"}, CodePattern{"250"}};
    e.reason = "RFC 959 allows 226 or 250 after a transfer";
    return e;
}

std::string file_name(const std::string& command) {
    auto space = command.find(' ');
    return space == std::string::npos ? "" : command.substr(space + 1);
}

// After an ABOR answered by a lone 2yz, how long to look for a late 426.
constexpr Millis kLateReplyWait{300};

// Files up to this size keep their bytes, so offset= uploads and downloads can be checked.
constexpr std::uint64_t kModelledBytes = 1 << 20;

// The same <data-open> with PASV instead of EPSV, and no further fallback.
DataOpenStep pasv_instead(const DataOpenStep& step) {
    DataOpenStep pasv = step;
    pasv.mode = DataMode::pasv;
    pasv.pasv_fallback = false;
    return pasv;
}

std::string short_sha(const std::string& sha) {
    return sha.substr(0, 16) + "...";
}

}  // namespace

void Session::execute(const DataOpenStep& step) {
    if (!require_connection()) {
        return;
    }
    data_connection_.reset();
    data_listener_.reset();
    data_refused_ = false;
    Deadline until = deadline();
    // By default the data connection comes from the control connection's loopback, in its
    // family (::1 when the server is on ::1, so EPRT names |2|::1|).
    const bool v6 = target_.host.find(':') != std::string::npos;
    std::string source = !step.source.empty() ? step.source : v6 ? "::1" : "127.0.0.1";
    bool passive = step.mode == DataMode::pasv || step.mode == DataMode::epsv;
    std::string command;
    if (passive) {
        command = step.mode == DataMode::pasv ? "PASV" : "EPSV";
    } else {
        std::string why;
        data_listener_ = DataListener::open(source, &why);
        if (!data_listener_) {
            error("cannot listen on " + source + " for the server's data connection: " + why);
            return;
        }
        command = step.mode == DataMode::port
                      ? "PORT " + port_argument(source, data_listener_->port())
                      : "EPRT " + eprt_argument(source, data_listener_->port());
    }
    last_sent_ = command;
    judge_io(channel_.send_line(command, until), "sent");
    if (done()) {
        return;
    }
    ReplyExpectation success = expect_code(step.mode == DataMode::pasv   ? "227"
                                           : step.mode == DataMode::epsv ? "229"
                                                                         : "200");
    const ReplyExpectation& want = step.reply ? *step.reply : success;
    auto reply = reply_for(want.describe(), until);
    if (reply && step.pasv_fallback && (reply->code / 100 == 4 || reply->code / 100 == 5)) {
        transcript_.note(
            "data", "EPSV refused (" + std::to_string(reply->code) + "); falling back to PASV");
        execute(pasv_instead(step));
        return;
    }
    if (!reply || !judge_reply(want, *reply)) {
        return;
    }
    if (reply->code / 100 == 4 || reply->code / 100 == 5) {
        // Refused, as the scenario allows: the next <transfer> has nothing to run on.
        data_refused_ = true;
        transcript_.note("data", "refused as allowed; the next <transfer> is moot");
    }
    if (!passive || !check_reply(success, reply->code, "", {}).empty()) {
        if (!passive && reply->code / 100 != 2) {
            data_listener_.reset();  // refused as the scenario expected: nothing to connect
        }
        return;
    }
    std::string why;
    HostPort to{target_.host, 0};
    if (step.mode == DataMode::pasv) {
        auto hp = parse_pasv_reply(*reply, &why);
        if (!hp) {
            fail("", "a usable 227 address", why);
            return;
        }
        // Like curl and lftp, use only the port: a 227 address other than the control
        // connection's is ignored (it could point the data connection anywhere).
        to.port = hp->port;
        if (hp->host != target_.host) {
            transcript_.note("data", "227 announced " + hp->host + "; using the control address " +
                                         target_.host + " instead");
        }
    } else {
        auto port = parse_epsv_reply(*reply, &why);
        if (!port) {
            fail("", "a usable 229 port", why);
            return;
        }
        to.port = *port;
    }
    data_connection_ = DataConnection::connect(to, source, until, options_.cancel, &why);
    if (!data_connection_ && step.pasv_fallback) {
        transcript_.note(
            "data", "the EPSV port refused the connection (" + why + "); falling back to PASV");
        execute(pasv_instead(step));
        return;
    }
    if (!data_connection_) {
        fail("", "a data connection to " + to.host + ":" + std::to_string(to.port),
             "connect failed: " + why);
        return;
    }
    transcript_.note("data",
                     "connected to " + to.host + ":" + std::to_string(to.port) + " from " + source);
}

void Session::execute(const TransferStep& step) {
    if (!require_connection()) {
        return;
    }
    if (data_refused_) {
        data_refused_ = false;
        transcript_.note("data", "transfer \"" + text(step.command) +
                                     "\" not sent: its <data-open> was refused as allowed");
        return;
    }
    if (!data_connection_ && !data_listener_) {
        error("no data connection: a <transfer> needs a successful <data-open> before it");
        return;
    }
    Deadline until = deadline();
    std::string command = text(step.command);
    SslSessionPtr offered;
    if (step.protect && step.resume == ResumeFrom::control) {
        // A copy: OpenSSL marks a session it resumed unresumable when that connection
        // ends without close_notify, and the control session must stay offerable.
        if (SslSessionPtr control = channel_.tls_session()) {
            offered.reset(SSL_SESSION_dup(control.get()));
        }
    } else if (step.protect && step.resume == ResumeFrom::other) {
        offered = other_session();
        if (!offered) {
            error("could not make another control connection to take its TLS session");
            return;
        }
    }
    DataJob job;
    job.connection = std::move(data_connection_);
    job.listener = std::move(data_listener_);
    job.expected_peer = channel_.peer_ip();
    job.protect = step.protect;
    job.tls = data_tls();
    job.tls.resume = offered.get();
    job.upload = step.upload;
    std::string upload_sha;
    std::string job_payload;
    if (step.upload) {
        job.payload = make_payload(step.size);
        upload_sha = sha256_hex(job.payload);
        if (step.offset > 0 || step.size <= kModelledBytes) {
            job_payload = job.payload;
        }
    }
    job.close_notify = step.close_notify;
    job.reset = step.reset;
    job.pause_after = step.abort_after ? *step.abort_after : step.stat_after.value_or(0);
    // A paused download stays open until the control side has judged the ABOR or STAT: the
    // session stops the worker itself, so the worker's own deadline comes a little later.
    // Were both the same, a worker closing at the deadline would make a server that never
    // read its control connection answer the ABOR (its write fails) just in time to pass.
    job.deadline = job.pause_after > 0 ? Deadline::after(until.remaining() + Millis(1000)) : until;
    job.cancel = options_.cancel;
    if (step.handshake == DataHandshake::garbage) {
        job.garbage = "GARBAGE: plaintext, not a TLS ClientHello\r\n";
    }

    std::optional<DataWorker> started;
    if (step.handshake == DataHandshake::before_command) {
        if (job.listener) {
            error(
                "handshake=\"before-command\" needs a passive data connection (pasv or epsv): "
                "in the active modes the server connects only after the command");
            return;
        }
        // curl's order: the ClientHello is on the wire before the command goes out, so the
        // server finds it waiting when it starts TLS on the data connection.
        started.emplace(std::move(job));
        while (!started->hello_sent() && !until.expired() && !options_.cancel.cancelled()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        transcript_.note("data", started->hello_sent()
                                     ? "ClientHello sent on the data connection; now the command"
                                     : "no ClientHello within the deadline; the command anyway");
    }
    last_sent_ = command;
    judge_io(channel_.send_line(command, until), "sent");
    if (done()) {
        return;
    }
    if (!started) {
        started.emplace(std::move(job));
    }
    DataWorker& worker = *started;
    // The first reply is 1xx (then the data flows, then the final reply) or already the
    // final one: a refusal before any data.
    const ReplyExpectation want = step.reply ? *step.reply : transfer_done();
    if (step.reply_optional) {
        finish_without_reply(step, want, worker);
        return;
    }
    if (step.abort_after) {
        abort_transfer(step, worker, until);
        return;
    }
    std::optional<Reply> final_reply = reply_for(want.describe(), until);
    if (final_reply && final_reply->code / 100 == 1 && step.preliminary_forbidden) {
        worker.stop();
        worker.join();
        fail("preliminary=forbidden", want.describe() + " before any 1yz reply",
             printable(final_reply->text(), 600));
        return;
    }
    if (final_reply && final_reply->code / 100 == 1) {
        if (step.stat_after && !status_during_transfer(step, worker, until)) {
            worker.stop();
            for (const auto& note : worker.join().notes) {
                transcript_.note("data", note);
            }
            return;
        }
        final_reply = reply_for(want.describe(), until);
    }
    if (final_reply && step_->if_reply.empty()) {
        // Later steps' if-reply follows the transfer's final reply (e.g. a SIZE check only
        // after a 226).
        last_expect_code_ = final_reply->code;
    }
    if (!final_reply || final_reply->code / 100 != 2) {
        worker.stop();  // no data will flow (or the control side already failed)
    }
    DataOutcome data = worker.join();
    for (const auto& note : data.notes) {
        transcript_.note("data", note);
    }
    last_data_facts_ = data.facts;
    last_data_close_notify_ = data.received.close_notify;
    if (done() || !judge_reply(want, *final_reply)) {
        return;
    }
    // if-accepted: a refusal (judged above) ends the step; an acceptance must be the whole
    // transfer, as with success.
    const bool accepted = final_reply->code / 100 == 2;
    if (step.data == DataExpect::success || (step.data == DataExpect::if_accepted && accepted)) {
        if (!data.connected) {
            fail("", "a data connection from the server", data.connect_error);
        } else if (step.protect && !data.handshake_ok) {
            fail("", "a TLS handshake on the data connection",
                 data.stopped ? "none before the server's final reply"
                              : "it failed: " + data.handshake_error);
        } else if (!data.transferred) {
            fail("", step.upload ? "the upload to be accepted" : "the whole download",
                 data.transfer_error);
        } else if (step.upload) {
            record_upload(file_name(command), step.size, step.offset, job_payload, upload_sha);
            // The builtin client's actions compare these with the server's files.
            outcome_.digests["upload:" + file_name(command)] = upload_sha;
        } else if (!step.verify) {
            outcome_.digests["download:" + file_name(command)] = data.received.sha256;
        } else {
            verify_download(file_name(command), step.offset, data);
        }
    } else if (step.data == DataExpect::failure) {
        // A TLS 1.3 client finishes its handshake before the server has checked it, so
        // "refused" means: no file data arrived (the final reply was judged above). After
        // plaintext instead of a ClientHello, a TLS alert back is no data.
        if ((!step.upload || step.handshake == DataHandshake::garbage) && data.received.bytes > 0 &&
            !data.alert_back) {
            fail("expect-data=failure", "the data connection to be refused",
                 std::to_string(data.received.bytes) + " bytes of data were received");
        }
    }
}

bool Session::wait_for_slow_reading(const TransferStep& step, DataWorker& worker,
                                    std::uint64_t after, const std::string& command,
                                    Deadline until) {
    while (!worker.paused() && !worker.finished() && !until.expired() &&
           !options_.cancel.cancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (worker.paused()) {
        return true;
    }
    worker.stop();
    DataOutcome data = worker.join();
    for (const auto& note : data.notes) {
        transcript_.note("data", note);
    }
    last_data_facts_ = data.facts;
    std::string observed =
        !data.connected ? "no data connection: " + data.connect_error
        : step.protect && !data.handshake_ok
            ? "the data TLS handshake failed: " + data.handshake_error
            : std::to_string(data.received.bytes) + " bytes, then " +
                  (data.received.error.empty() ? std::string("the end of the data")
                                               : data.received.error);
    if (until.expired()) {
        observed = "fewer than " + std::to_string(after) + " bytes within " + seconds();
    }
    fail(command + "-after",
         "the transfer still running after " + std::to_string(after) + " bytes, to " + command,
         observed);
    return false;
}

bool Session::status_during_transfer(const TransferStep& step, DataWorker& worker, Deadline until) {
    if (!wait_for_slow_reading(step, worker, *step.stat_after, "stat", until)) {
        return false;
    }
    // RFC 959 4.1.3 STAT: sent during a transfer, it is answered with the status of the
    // operation in progress; under TLS it goes in-band, inside TLS (RFC 4217 14).
    last_sent_ = "STAT";
    judge_io(channel_.send_line("STAT", until), "sent");
    if (done()) {
        return false;
    }
    ReplyExpectation status;
    status.codes = {CodePattern{"211"}, CodePattern{"212"}, CodePattern{"213"}};
    status.reason = "RFC 959 4.2: 211 system status, 212 directory status, 213 file status";
    std::optional<Reply> reply =
        reply_for(status.describe() + " to STAT while the transfer runs", until);
    if (!reply || !judge_reply(status, *reply)) {
        return false;
    }
    worker.resume();
    return true;
}

void Session::abort_transfer(const TransferStep& step, DataWorker& worker, Deadline until) {
    const std::uint64_t after = *step.abort_after;
    const std::string running =
        "the transfer still running after " + std::to_string(after) + " bytes, to abort";
    auto stop_data = [&] {
        worker.stop();
        DataOutcome data = worker.join();
        for (const auto& note : data.notes) {
            transcript_.note("data", note);
        }
        last_data_facts_ = data.facts;
        return data;
    };
    std::optional<Reply> first = reply_for("a 1yz reply, then " + running, until);
    if (!first) {
        stop_data();
        return;
    }
    if (first->code / 100 != 1) {
        stop_data();
        fail("abort-after", "a 1yz reply, then " + running, printable(first->text(), 600));
        return;
    }
    if (!wait_for_slow_reading(step, worker, after, "abort", until)) {
        return;
    }
    // RFC 4217 14: no Telnet urgent data under TLS; ABOR goes in-band, inside TLS.
    last_sent_ = "ABOR";
    judge_io(channel_.send_line("ABOR", until), "sent");
    if (done()) {
        stop_data();
        return;
    }
    const ReplyExpectation want = step.reply ? *step.reply : [] {
        ReplyExpectation e;
        e.codes = {CodePattern{"225"}, CodePattern{"226"}};
        e.reason = "RFC 959 4.1.3: 226 after an aborted transfer, 225 when none was running";
        return e;
    }();
    std::optional<Reply> reply;
    bool transfer_reply = false;
    while ((reply = reply_for(want.describe() + " ending the ABOR", until))) {
        if (reply->code / 100 == 4 &&
            !check_reply(want, reply->code, reply->text(), reply->lines).empty()) {
            // RFC 959 4.1.3: the aborted transfer's own reply (426) comes first.
            transcript_.note("", "the aborted transfer's reply: " + printable(reply->text(), 200));
            transfer_reply = true;
            continue;
        }
        break;
    }
    stop_data();
    if (!reply || done() || !judge_reply(want, *reply)) {
        return;
    }
    if (!transfer_reply) {
        // A 426 after the reply that ended the ABOR would be taken as the answer to the
        // client's next command: look briefly for one.
        ReplyResult late = channel_.read_reply(Deadline::after(kLateReplyWait));
        if (late.reply) {
            fail("abort-after",
                 "426 for the aborted transfer before the reply ending the ABOR (RFC 959 "
                 "4.1.3), and nothing after it",
                 printable(reply->text(), 200) + ", then " + printable(late.reply->text(), 200));
        }
    }
}

void Session::finish_without_reply(const TransferStep& step, const ReplyExpectation& want,
                                   DataWorker& worker) {
    // The data connection ends (the server closed it, the transfer finished, or the step's
    // deadline passed); replies that came meanwhile are judged, none is required.
    DataOutcome data = worker.join();
    for (const auto& note : data.notes) {
        transcript_.note("data", note);
    }
    last_data_facts_ = data.facts;
    last_data_close_notify_ = data.received.close_notify;
    // What reached the foreign peer decides first; then a reply, if one came, is judged.
    if ((!step.upload || step.handshake == DataHandshake::garbage) && data.received.bytes > 0 &&
        !data.alert_back) {
        fail("expect-data=failure", "no data on the data connection",
             std::to_string(data.received.bytes) + " bytes of data were received");
        return;
    }
    Deadline grace = Deadline::earliest(deadline(), Deadline::after(Millis(300)));
    for (;;) {
        ReplyResult r = channel_.read_reply(grace);
        if (!r.reply) {
            if (r.malformed) {
                fail("", want.describe(), "a malformed reply: " + r.error);
            } else {
                transcript_.note("ctrl", "no final reply (reply=\"optional\"): judged on the data");
            }
            return;
        }
        if (r.reply->code / 100 != 1) {
            judge_reply(want, *r.reply);
            return;
        }
        if (step.preliminary_forbidden) {
            fail("preliminary=forbidden", want.describe() + " before any 1yz reply",
                 printable(r.reply->text(), 600));
            return;
        }
    }
}

void Session::record_upload(const std::string& name, std::uint64_t size, std::uint64_t offset,
                            const std::string& payload, const std::string& sha) {
    Uploaded& file = uploads_[name];
    if (offset == 0) {
        file = {size, sha, std::nullopt};
        if (size <= kModelledBytes) {
            file.bytes = payload;
        }
        return;
    }
    if (!file.bytes || file.bytes->size() < offset) {
        error("offset=" + std::to_string(offset) + " upload of '" + name +
              "': this session has no model of its first " + std::to_string(offset) +
              " bytes (upload it whole first, at most 1M)");
        return;
    }
    // Servers differ on truncating after a REST+STOR; the scenario picks sizes that end
    // where the old file ended, so both readings give these bytes.
    std::string bytes = file.bytes->substr(0, offset) + payload;
    file = {bytes.size(), sha256_hex(bytes), bytes};
}

void Session::verify_download(const std::string& name, std::uint64_t offset,
                              const DataOutcome& data) {
    auto it = uploads_.find(name);
    if (it == uploads_.end()) {
        error("verify=\"true\" but this session uploaded no '" + name + "'");
        return;
    }
    std::uint64_t size = it->second.size;
    std::string sha = it->second.sha256;
    if (offset > 0) {
        if (!it->second.bytes || offset > it->second.bytes->size()) {
            error("verify with offset=" + std::to_string(offset) + " but no model of '" + name +
                  "' that long");
            return;
        }
        std::string tail = it->second.bytes->substr(offset);
        size = tail.size();
        sha = sha256_hex(tail);
    }
    if (size != data.received.bytes || sha != data.received.sha256) {
        fail("verify",
             std::to_string(size) + " bytes with SHA-256 " + short_sha(sha) +
                 (offset > 0 ? " (the file from byte " + std::to_string(offset) + ")" : ""),
             std::to_string(data.received.bytes) + " bytes with SHA-256 " +
                 short_sha(data.received.sha256));
    }
}

}  // namespace fc::detail
