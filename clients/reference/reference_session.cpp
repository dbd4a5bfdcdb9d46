#include "clients/reference/reference_session.hpp"

#include <algorithm>
#include <chrono>
#include <regex>
#include <thread>

#include "clients/reference/session.hpp"
#include "harness/core/error.hpp"
#include "harness/core/variables.hpp"

namespace fc {

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

namespace detail {

Session::Session(const Scenario& scenario, const Target& target, const SessionOptions& options,
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

SessionOutcome Session::run() {
    for (std::size_t i = 0; i < scenario_.steps.size() && !done(); ++i) {
        const Step& step = scenario_.steps[i];
        index_ = static_cast<int>(i) + 1;
        step_ = &step;
        if (!step.if_reply.empty() && !reply_branch_taken(step)) {
            transcript_.note(
                "",
                "step " + std::to_string(index_) + " (" + std::string(step.kind()) +
                    ") skipped: if-reply " + if_reply_text(step) + " but the reply was " +
                    (last_expect_code_ ? std::to_string(*last_expect_code_) : std::string("none")));
            continue;
        }
        if (!step.guard.applies(target_.features)) {
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

bool Session::reply_branch_taken(const Step& step) const {
    return last_expect_code_ &&
           std::any_of(step.if_reply.begin(), step.if_reply.end(),
                       [&](const CodePattern& p) { return p.matches(*last_expect_code_); });
}

std::string Session::if_reply_text(const Step& step) {
    std::string out;
    for (const auto& p : step.if_reply) {
        out += (out.empty() ? "" : "|") + p.pattern;
    }
    return out;
}

Deadline Session::deadline() const {
    return Deadline::after(step_->guard.timeout.value_or(options_.step_timeout));
}

std::string Session::seconds() const {
    auto ms = step_->guard.timeout.value_or(options_.step_timeout).count();
    return std::to_string(ms / 1000) + (ms % 1000 ? "." + std::to_string(ms % 1000 / 100) : "") +
           " s";
}

std::string Session::describe_step(const std::string& detail) const {
    std::string text = std::string(step_->kind());
    if (!detail.empty()) {
        text += " " + detail;
    }
    if (!last_sent_.empty()) {
        text += " (after \"" + last_sent_ + "\")";
    }
    return text;
}

void Session::fail(const std::string& detail, std::string expected, std::string observed) {
    Failure f;
    f.step_index = index_;
    f.line = step_->pos.line;
    f.step = describe_step(detail);
    f.expected = std::move(expected);
    f.observed = std::move(observed);
    outcome_.verdict = Verdict::fail;
    outcome_.reason = failure_reason(f);
    transcript_.note("", "FAIL " + outcome_.reason);
    outcome_.failure = std::move(f);
}

void Session::error(std::string why) {
    outcome_.verdict = Verdict::error;
    outcome_.reason = "step " + std::to_string(index_) + " (" + std::string(step_->kind()) +
                      ", line " + std::to_string(step_->pos.line) + "): " + why;
    transcript_.note("", "ERROR " + outcome_.reason);
}

std::string Session::text(const std::string& raw) const {
    return substitute(raw, vars_, scenario_.file.string());
}

bool Session::require_connection() {
    if (!channel_.connected()) {
        error("no control connection: the scenario must <connect/> first");
        return false;
    }
    return true;
}

void Session::execute(const ConnectStep& step) {
    std::string why = channel_.connect(target_.host, target_.port, deadline());
    if (!why.empty()) {
        error("cannot connect to the server: " + why);
        return;
    }
    if (step.implicit) {
        handshake(TlsHandshakeStep{});
    }
}

void Session::execute(const SendStep& step) {
    if (!require_connection()) {
        return;
    }
    std::string line = text(step.line);
    last_sent_ = line.rfind("PASS ", 0) == 0 ? "PASS ******" : line;
    IoResult r = channel_.send_line(line, deadline());
    if (!r.ok() && (r.status == IoStatus::closed || r.status == IoStatus::failed) &&
        next_expect_allows_close()) {
        // The server closed the connection before this command (after a reply the
        // scenario accepted): the next <expect close="allowed"> judges the close.
        transcript_.note("ctrl", "not sent: the connection is closed (" + r.error + ")");
        return;
    }
    judge_io(r, "sent");
}

bool Session::next_expect_allows_close() const {
    std::size_t next = static_cast<std::size_t>(index_);  // index_ counts from 1
    if (next >= scenario_.steps.size()) {
        return false;
    }
    const Step& step = scenario_.steps[next];
    if (std::holds_alternative<ExpectCloseStep>(step.body)) {
        return true;
    }
    const auto* expect = std::get_if<ExpectStep>(&step.body);
    return expect != nullptr && (expect->close_acceptable || expect->close_after_421);
}

void Session::execute(const SendRawStep& step) {
    if (!require_connection()) {
        return;
    }
    std::string bytes = text(step.bytes);
    last_sent_ = printable(bytes, 80);
    judge_io(channel_.send_raw(bytes, deadline()), "sent");
}

void Session::execute(const PauseStep& step) {
    transcript_.note("", "pausing " + std::to_string(step.duration.count()) + " ms");
    const auto until = std::chrono::steady_clock::now() + step.duration;
    for (auto now = std::chrono::steady_clock::now(); now < until;
         now = std::chrono::steady_clock::now()) {
        if (options_.cancel.cancelled()) {
            error("interrupted");
            return;
        }
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(50), until - now));
    }
}

void Session::judge_io(const IoResult& r, const std::string& what) {
    if (r.ok()) {
        return;
    }
    if (r.status == IoStatus::closed || r.status == IoStatus::failed) {
        fail("", "the command to be " + what, "connection lost: " + r.error);
    } else if (r.status == IoStatus::timeout) {
        // A live server that stops reading its control connection has failed the step.
        fail("", "the command to be " + what, "not accepted within " + seconds());
    } else {
        error(std::string(to_string(r.status)) + " while the command was " + what);
    }
}

std::optional<Reply> Session::reply_for(const std::string& expected, Deadline deadline) {
    ReplyResult r = channel_.read_reply(deadline);
    if (r.reply) {
        return r.reply;
    }
    if (r.malformed) {
        fail("", expected, "a malformed reply: " + r.error);
    } else if (r.status == IoStatus::closed || r.status == IoStatus::failed) {
        fail("", expected, r.error);
    } else if (r.status == IoStatus::timeout) {
        // Silence is the server's behaviour, not the harness's trouble: the step fails.
        fail("", expected.empty() ? "a reply" : expected, "no reply within " + seconds());
    } else {
        error(r.error);
    }
    return std::nullopt;
}

bool Session::judge_reply(const ReplyExpectation& want, const Reply& reply) {
    std::string problem = check_reply(want, reply.code, reply.text(), reply.lines);
    if (problem.empty()) {
        return true;
    }
    fail(want.describe(), want.describe(), printable(reply.text(), 600));
    return false;
}

void Session::execute(const ExpectStep& step) {
    if (!require_connection()) {
        return;
    }
    if (step.close_acceptable || step.close_after_421) {
        ReplyResult r = channel_.read_reply(deadline());
        if (!r.reply && step.close_after_421 &&
            (r.status == IoStatus::closed || r.status == IoStatus::failed)) {
            fail("", step.reply.describe() + ", or a 421 before the server closes",
                 "the connection closed without a 421: " + r.error);
            return;
        }
        if (!r.reply && (r.status == IoStatus::closed || r.status == IoStatus::failed)) {
            // A safe refusal the scenario allows: nothing more can be checked.
            transcript_.note("ctrl", "closed by the server (close=\"allowed\"): scenario ends");
            channel_.close(Deadline::after(Millis(100)));
            ended_ = true;
            return;
        }
        if (r.reply) {
            if (step_->if_reply.empty()) {
                last_expect_code_ = r.reply->code;
            }
            if (judge_reply(step.reply, *r.reply) && r.reply->code == 421) {
                // RFC 959 4.2: 421 announces that the server closes the control connection.
                transcript_.note("ctrl",
                                 std::string("421: the server closes the connection (close=\"") +
                                     (step.close_after_421 ? "after-421" : "allowed") +
                                     "\"): scenario ends");
                channel_.close(Deadline::after(Millis(100)));
                ended_ = true;
            }
            return;
        }
        // Timeouts and malformed replies are judged like any other <expect>'s.
        fail("", step.reply.describe() + " or a close",
             r.malformed                     ? "a malformed reply: " + r.error
             : r.status == IoStatus::timeout ? "no reply within " + seconds()
                                             : r.error);
        return;
    }
    if (auto reply = reply_for(step.reply.describe())) {
        if (step_->if_reply.empty()) {
            last_expect_code_ = reply->code;
        }
        judge_reply(step.reply, *reply);
    }
}

void Session::execute(const ExpectCloseStep& step) {
    if (!require_connection()) {
        return;
    }
    Deadline until = deadline();
    for (;;) {
        ReplyResult r = channel_.read_reply(until);
        if (r.reply) {
            if (step.allow &&
                check_reply(*step.allow, r.reply->code, r.reply->text(), r.reply->lines).empty()) {
                continue;
            }
            fail("",
                 "the server to close the connection" +
                     (step.allow ? " (after " + step.allow->describe() + ")" : std::string()),
                 "a reply: " + printable(r.reply->text(), 600));
            return;
        }
        if (r.status == IoStatus::closed || r.status == IoStatus::failed) {
            transcript_.note("ctrl", "closed by the server, as expected");
            channel_.close(Deadline::after(Millis(100)));
            return;
        }
        if (r.status == IoStatus::timeout) {
            fail("", "the server to close the connection within " + seconds(),
                 "it kept the connection open");
        } else {
            error(r.error);
        }
        return;
    }
}

void Session::execute(const LoginStep& step) {
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
void Session::goodbye() {
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

}  // namespace detail

SessionOutcome run_reference_session(const Scenario& scenario, const Target& target,
                                     const SessionOptions& options, Transcript& transcript) {
    try {
        return detail::Session(scenario, target, options, transcript).run();
    } catch (const HarnessError& e) {
        SessionOutcome out;
        out.verdict = Verdict::error;
        out.reason = e.what();
        return out;
    }
}

}  // namespace fc
