#include "harness/engine/reference_session.hpp"

#include <algorithm>
#include <regex>

#include "harness/core/error.hpp"
#include "harness/engine/variables.hpp"
#include "harness/ftp/control_channel.hpp"

namespace fc {

bool step_applies(const Step& step, const std::vector<std::string>& features) {
    auto has = [&](const std::string& f) {
        return std::find(features.begin(), features.end(), f) != features.end();
    };
    return std::all_of(step.if_features.begin(), step.if_features.end(), has) &&
           std::none_of(step.unless_features.begin(), step.unless_features.end(), has);
}

std::string check_reply(const ReplyExpectation& expect, int code, const std::string& text,
                        const std::vector<std::string>& lines) {
    bool code_ok = std::any_of(expect.codes.begin(), expect.codes.end(),
                               [&](const CodePattern& p) { return p.matches(code); });
    if (!code_ok) {
        return "code " + std::to_string(code);
    }
    if (!expect.text_regex.empty() &&
        !std::regex_search(text, std::regex(expect.text_regex, std::regex::ECMAScript))) {
        return "text does not match /" + expect.text_regex + "/";
    }
    for (const auto& pattern : expect.line_regexes) {
        std::regex re(pattern, std::regex::ECMAScript);
        bool found = std::any_of(lines.begin(), lines.end(),
                                 [&](const std::string& l) { return std::regex_search(l, re); });
        if (!found) {
            return "no line matches /" + pattern + "/";
        }
    }
    return "";
}

namespace {

// One session in progress: the channel, what was last sent, and the verdict so far.
class Session {
public:
    Session(const Scenario& scenario, const Target& target, const SessionOptions& options,
            Transcript& transcript)
        : scenario_(scenario),
          target_(target),
          options_(options),
          transcript_(transcript),
          channel_(transcript, options.cancel),
          vars_{{"user", target.user},
                {"password", target.password},
                {"host", target.host},
                {"port", std::to_string(target.port)}} {}

    SessionOutcome run() {
        for (std::size_t i = 0; i < scenario_.steps.size() && !done(); ++i) {
            const Step& step = scenario_.steps[i];
            index_ = static_cast<int>(i) + 1;
            step_ = &step;
            if (!step_applies(step, target_.features)) {
                transcript_.note("", "step " + std::to_string(index_) + " (" +
                                         std::string(step.kind()) + ") skipped for this server");
                continue;
            }
            if (options_.cancel.cancelled()) {
                error("interrupted");
                break;
            }
            std::visit([this](const auto& body) { this->execute(body); }, step.body);
        }
        goodbye();
        return std::move(outcome_);
    }

private:
    bool done() const { return outcome_.verdict != Verdict::pass; }

    Deadline deadline() const {
        return Deadline::after(step_->timeout.value_or(options_.step_timeout));
    }
    std::string seconds() const {
        auto ms = step_->timeout.value_or(options_.step_timeout).count();
        return std::to_string(ms / 1000) +
               (ms % 1000 ? "." + std::to_string(ms % 1000 / 100) : "") + " s";
    }

    std::string describe_step(const std::string& detail) const {
        std::string text = std::string(step_->kind());
        if (!detail.empty()) {
            text += " " + detail;
        }
        if (!last_sent_.empty()) {
            text += " (after \"" + last_sent_ + "\")";
        }
        return text;
    }

    void fail(const std::string& detail, std::string expected, std::string observed) {
        Failure f;
        f.step_index = index_;
        f.line = step_->pos.line;
        f.step = describe_step(detail);
        f.expected = std::move(expected);
        f.observed = std::move(observed);
        outcome_.verdict = Verdict::fail;
        outcome_.reason = "step " + std::to_string(index_) + " (line " + std::to_string(f.line) +
                          "): expected " + f.expected + ", got " + f.observed;
        transcript_.note("", "FAIL " + outcome_.reason);
        outcome_.failure = std::move(f);
    }

    void error(std::string why) {
        outcome_.verdict = Verdict::error;
        outcome_.reason = "step " + std::to_string(index_) + " (" + std::string(step_->kind()) +
                          ", line " + std::to_string(step_->pos.line) + "): " + why;
        transcript_.note("", "ERROR " + outcome_.reason);
    }

    std::string text(const std::string& raw) const {
        return substitute(raw, vars_, scenario_.file.string());
    }

    bool require_connection() {
        if (!channel_.connected()) {
            error("no control connection: the scenario must <connect/> first");
            return false;
        }
        return true;
    }

    void execute(const ConnectStep& step) {
        std::string why = channel_.connect(target_.host, target_.port, deadline());
        if (!why.empty()) {
            error("cannot connect to the server: " + why);
            return;
        }
        if (step.implicit) {
            handshake(true);
        }
    }

    void execute(const SendStep& step) {
        if (!require_connection()) {
            return;
        }
        std::string line = text(step.line);
        last_sent_ = line.rfind("PASS ", 0) == 0 ? "PASS ******" : line;
        IoResult r = channel_.send_line(line, deadline());
        judge_io(r, "sent");
    }

    void judge_io(const IoResult& r, const std::string& what) {
        if (r.ok()) {
            return;
        }
        if (r.status == IoStatus::closed || r.status == IoStatus::failed) {
            fail("", "the command to be " + what, "connection lost: " + r.error);
        } else {
            error(std::string(to_string(r.status)) + " while the command was " + what + " (" +
                  seconds() + ")");
        }
    }

    // Reads one reply; on trouble records fail/error and returns nullopt.
    std::optional<Reply> reply_for(const std::string& expected) {
        ReplyResult r = channel_.read_reply(deadline());
        if (r.reply) {
            return r.reply;
        }
        if (r.malformed) {
            fail("", expected, "a malformed reply: " + r.error);
        } else if (r.status == IoStatus::closed || r.status == IoStatus::failed) {
            fail("", expected, r.error);
        } else if (r.status == IoStatus::timeout) {
            error("no reply within " + seconds() +
                  (expected.empty() ? "" : "; expected " + expected));
        } else {
            error(r.error);
        }
        return std::nullopt;
    }

    void execute(const ExpectStep& step) {
        if (!require_connection()) {
            return;
        }
        const ReplyExpectation& want = step.reply;
        auto reply = reply_for(want.describe());
        if (!reply) {
            return;
        }
        std::string problem = check_reply(want, reply->code, reply->text(), reply->lines);
        if (!problem.empty()) {
            fail(want.describe(), want.describe(), printable(reply->text(), 600));
        }
    }

    void execute(const TlsHandshakeStep& step) {
        if (require_connection()) {
            handshake(step.expect_success);
        }
    }

    void handshake(bool expect_success) {
        TlsClientOptions tls;
        tls.keylog_file = options_.keylog_file;
        if (!target_.ca_file.empty()) {
            tls.verify_peer = true;
            tls.ca_file = target_.ca_file;
            tls.verify_name = target_.verify_name;
        }
        TlsHandshakeResult r = channel_.start_tls(tls, deadline());
        bool ok = channel_.is_protected();
        if (ok) {
            const TlsFacts* facts = channel_.tls_facts();
            outcome_.properties["tls.version"] = facts->version;
            outcome_.properties["tls.cipher"] = facts->cipher;
            if (!expect_success) {
                fail("expect=failure", "the TLS handshake to fail",
                     "it succeeded with " + facts->version);
            }
            return;
        }
        if (r.status == IoStatus::timeout || r.status == IoStatus::cancelled) {
            if (!expect_success) {
                return;  // the server did not complete a handshake: what was asked
            }
            error("TLS handshake did not finish within " + seconds() + ": " + r.error);
            return;
        }
        if (expect_success) {
            fail("", "a completed TLS handshake", "handshake failed: " + r.error);
        }
    }

    void execute(const LoginStep& step) {
        if (!require_connection()) {
            return;
        }
        std::string user = text(step.user);
        last_sent_ = "USER " + user;
        judge_io(channel_.send_line(last_sent_, deadline()), "sent");
        if (done()) {
            return;
        }
        auto reply = reply_for("230 or 331 to USER");
        if (!reply) {
            return;
        }
        if (reply->code == 230) {
            return;
        }
        if (reply->code / 100 != 3) {
            fail("", "230 or 3xx to USER", printable(reply->text(), 600));
            return;
        }
        last_sent_ = "PASS ******";
        judge_io(channel_.send_line("PASS " + text(step.password), deadline()), "sent");
        if (done()) {
            return;
        }
        reply = reply_for("230 to PASS");
        if (reply && reply->code != 230 && reply->code != 202) {
            fail("", "230 to PASS", printable(reply->text(), 600));
        }
    }

    // A polite, unjudged end: QUIT and close, each bounded.
    void goodbye() {
        if (!channel_.connected()) {
            return;
        }
        transcript_.note("", "end of scenario: QUIT (not judged)");
        Deadline bye = Deadline::after(Millis(1000));
        if (channel_.send_line("QUIT", bye).ok()) {
            channel_.read_reply(bye);
        }
        channel_.close(Deadline::after(Millis(500)));
    }

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
};

}  // namespace

SessionOutcome run_reference_session(const Scenario& scenario, const Target& target,
                                     const SessionOptions& options, Transcript& transcript) {
    try {
        return Session(scenario, target, options, transcript).run();
    } catch (const HarnessError& e) {
        SessionOutcome out;
        out.verdict = Verdict::error;
        out.reason = e.what();
        return out;
    }
}

}  // namespace fc
