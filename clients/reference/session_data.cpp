// The data steps of a reference-client session: <data-open> (PASV, EPSV, PORT, EPRT) and
// <transfer> (one command over the data connection, protected or clear, judged on both
// the control replies and what the data connection carried).
#include <cctype>

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

}  // namespace

void Session::execute(const DataOpenStep& step) {
    if (!require_connection()) {
        return;
    }
    data_connection_.reset();
    data_listener_.reset();
    Deadline until = deadline();
    std::string source = step.source.empty() ? "127.0.0.1" : step.source;
    bool passive = step.mode == "pasv" || step.mode == "epsv";
    std::string command;
    if (passive) {
        command = step.mode == "pasv" ? "PASV" : "EPSV";
    } else {
        std::string why;
        data_listener_ = DataListener::open(source, &why);
        if (!data_listener_) {
            error("cannot listen on " + source + " for the server's data connection: " + why);
            return;
        }
        command = step.mode == "port" ? "PORT " + port_argument(source, data_listener_->port())
                                      : "EPRT " + eprt_argument(source, data_listener_->port());
    }
    last_sent_ = command;
    judge_io(channel_.send_line(command, until), "sent");
    if (done()) {
        return;
    }
    ReplyExpectation success = expect_code(step.mode == "pasv"   ? "227"
                                           : step.mode == "epsv" ? "229"
                                                                 : "200");
    const ReplyExpectation& want = step.reply ? *step.reply : success;
    auto reply = reply_for(want.describe(), until);
    if (!reply || !judge_reply(want, *reply)) {
        return;
    }
    if (!passive || !check_reply(success, reply->code, "", {}).empty()) {
        if (!passive && reply->code / 100 != 2) {
            data_listener_.reset();  // refused as the scenario expected: nothing to connect
        }
        return;
    }
    std::string why;
    HostPort to{target_.host, 0};
    if (step.mode == "pasv") {
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
    if (!data_connection_ && !data_listener_) {
        error("no data connection: a <transfer> needs a successful <data-open> before it");
        return;
    }
    Deadline until = deadline();
    std::string command = text(step.command);
    SslSessionPtr offered;
    if (step.protect && step.resume == "control") {
        // A copy: OpenSSL marks a session it resumed unresumable when that connection
        // ends without close_notify, and the control session must stay offerable.
        if (SslSessionPtr control = channel_.tls_session()) {
            offered.reset(SSL_SESSION_dup(control.get()));
        }
    } else if (step.protect && step.resume == "other") {
        offered = other_session();
        if (!offered) {
            error("could not make another control connection to take its TLS session");
            return;
        }
    }
    DataJob job;
    job.connection = std::move(data_connection_);
    job.listener = std::move(data_listener_);
    job.protect = step.protect;
    job.tls = data_tls();
    job.tls.resume = offered.get();
    job.upload = step.upload;
    std::string upload_sha;
    if (step.upload) {
        job.payload = make_payload(step.size);
        upload_sha = sha256_hex(job.payload);
    }
    job.close_notify = step.close_notify;
    job.deadline = until;
    job.cancel = options_.cancel;

    last_sent_ = command;
    judge_io(channel_.send_line(command, until), "sent");
    if (done()) {
        return;
    }
    DataWorker worker(std::move(job));
    // The first reply is 1xx (then the data flows, then the final reply) or already the
    // final one: a refusal before any data.
    const ReplyExpectation want = step.reply ? *step.reply : transfer_done();
    std::optional<Reply> final_reply = reply_for(want.describe(), until);
    if (final_reply && final_reply->code / 100 == 1) {
        final_reply = reply_for(want.describe(), until);
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
    if (step.data == "success") {
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
            uploads_[file_name(command)] = {step.size, upload_sha};
            // The builtin client's actions compare these with the server's files.
            outcome_.digests["upload:" + file_name(command)] = upload_sha;
        } else if (!step.verify) {
            outcome_.digests["download:" + file_name(command)] = data.received.sha256;
        } else {
            auto it = uploads_.find(file_name(command));
            if (it == uploads_.end()) {
                error("verify=\"true\" but this session uploaded no '" + file_name(command) + "'");
            } else if (it->second.first != data.received.bytes ||
                       it->second.second != data.received.sha256) {
                fail("verify",
                     std::to_string(it->second.first) + " bytes with SHA-256 " +
                         it->second.second.substr(0, 16) + "...",
                     std::to_string(data.received.bytes) + " bytes with SHA-256 " +
                         data.received.sha256.substr(0, 16) + "...");
            }
        }
    } else if (step.data == "failure") {
        // A TLS 1.3 client finishes its handshake before the server has checked it, so
        // "refused" means: no file data arrived (the final reply was judged above).
        if (!step.upload && data.received.bytes > 0) {
            fail("expect-data=failure", "the data connection to be refused",
                 std::to_string(data.received.bytes) + " bytes of data were received");
        }
    }
}

}  // namespace fc::detail
