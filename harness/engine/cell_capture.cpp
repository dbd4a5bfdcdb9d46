#include "harness/engine/cell_capture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness/core/text.hpp"
#include "harness/engine/client_action.hpp"
#include "harness/wire/capture.hpp"
#include "harness/wire/capture_hub.hpp"
#include "harness/wire/check.hpp"
#include "harness/wire/facts_json.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

wire::WireExpect to_expect(const WireExpectation& w) {
    wire::WireExpect e = wire::wire_expect(*wire::parse_wire_kind(w.kind), w.version);
    e.side = w.side == "server" ? wire::WireSide::server : wire::WireSide::client;
    if (w.scope == "data") {
        e.scope = wire::WireScope::data;
    } else if (w.scope == "control") {
        e.scope = wire::WireScope::control;
    } else if (w.scope == "all") {
        e.scope = wire::WireScope::all;
    }
    e.uploads_only = w.uploads_only;
    return e;
}

bool covers_data(const wire::WireExpect& e) {
    if (e.scope) {
        return *e.scope != wire::WireScope::control;
    }
    return e.kind != wire::WireKind::client_cert_sent;
}

// What the assertion asks for, in a failure's "expected".
std::string claim(const WireExpectation& w) {
    std::string scope = w.scope.empty() ? "" : " (" + w.scope + " connections)";
    if (w.kind == "data-protected") {
        return "every data connection in TLS from its first byte to its last" + scope;
    }
    if (w.kind == "tls-version") {
        return "TLS " + w.version + " negotiated on every connection" + scope;
    }
    if (w.kind == "data-resumed") {
        return "every data connection resuming a TLS session" + scope;
    }
    if (w.kind == "client-cert-sent") {
        return "a client certificate sent" + scope;
    }
    if (w.kind == "close-notify") {
        return "close_notify from the " + (w.side.empty() ? std::string("client") : w.side) +
               " on every " + (w.uploads_only ? "upload " : "") + "data connection" + scope;
    }
    return "no clear byte on any data connection" + scope;
}

std::string describe(const WireExpectation& w) {
    std::string out = "wire-expect " + w.kind;
    if (!w.version.empty()) {
        out += " version=" + w.version;
    }
    if (!w.side.empty()) {
        out += " side=" + w.side;
    }
    if (!w.scope.empty()) {
        out += " scope=" + w.scope;
    }
    return out + (w.uploads_only ? " uploads-only" : "");
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

}  // namespace

std::string wire_summary(const std::string& wire_json, bool capture_kept) {
    json::Value doc = json::parse(wire_json);
    std::string out;
    if (doc.contains("capture_unavailable")) {
        out += doc["capture_unavailable"].get<std::string>() + "\n";
    }
    if (doc.contains("filter")) {
        out +=
            "capture filter: " + doc["filter"].get<std::string>() +
            (capture_kept ? " (capture.pcap kept)" : " (capture.pcap deleted: the cell passed)") +
            "\n";
    }
    if (doc.contains("data_connections_missing")) {
        out += "not captured: " + doc["data_connections_missing"].get<std::string>() + "\n";
    }
    if (doc.contains("facts")) {
        const json::Value& facts = doc["facts"];
        if (facts.contains("frames")) {
            out += std::to_string(facts["frames"].get<long long>()) + " frames; key log " +
                   (facts.value("keylog_loaded", false) ? "loaded (TLS records decrypted)"
                                                        : "not loaded") +
                   "\n";
        }
        out += facts.value("table", std::string());
    }
    if (doc.contains("assertions")) {
        for (const auto& a : doc["assertions"]) {
            std::string reason = a["reason"].get<std::string>();
            out += a["assertion"].get<std::string>() + " (line " +
                   std::to_string(a["line"].get<int>()) + "): " + a["outcome"].get<std::string>() +
                   (reason.empty() ? "" : ": " + reason) + "\n";
        }
    }
    return out;
}

std::string capture_off_reason(bool wanted) {
    if (!wanted) {
        return "capture unavailable: switched off (--no-capture)";
    }
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        if (!dir.empty() && ::access((fs::path(dir) / "tcpdump").c_str(), X_OK) == 0) {
            return "";
        }
    }
    return "capture unavailable: tcpdump not found in PATH (apt-get install tcpdump)";
}

bool uses_active_mode(const Scenario& s) {
    for (const Step& step : s.steps) {
        if (const auto* d = std::get_if<DataOpenStep>(&step.body)) {
            if (d->mode == DataMode::port || d->mode == DataMode::eprt) {
                return true;
            }
        }
    }
    for (const ClientStep& step : s.client_steps) {
        if (const auto* c = std::get_if<ClientActionStep>(&step.body)) {
            auto settings = effective_settings(s.client_settings, c->settings);
            if (std::find(settings.begin(), settings.end(), "active") != settings.end()) {
                return true;
            }
        }
    }
    return false;
}

CellCapture::CellCapture(const CellContext& ctx, Transcript& transcript)
    : ctx_(ctx), transcript_(transcript) {
    unavailable_ = ctx.capture ? "" : ctx.capture_off;
}

CellCapture::~CellCapture() {
    if (capture_) {
        capture_->stop();
    }
    if (session_ >= 0) {
        ctx_.capture_hub->close(session_);
    }
}

void CellCapture::start(const std::vector<CaptureServer>& servers, bool active) {
    if (!ctx_.capture) {
        return;
    }
    wire::CaptureSpec spec;
    spec.file = ctx_.dir / "capture.pcap";
    spec.log = ctx_.dir / "capture.log";
    for (const CaptureServer& s : servers) {
        if (std::find(spec.addresses.begin(), spec.addresses.end(), s.host) ==
            spec.addresses.end()) {
            spec.addresses.push_back(s.host);
        }
        spec.ports.push_back({s.control, s.control});
        control_ports_.insert(s.control);
        if (s.passive) {
            spec.ports.push_back({s.passive->first, s.passive->second});
        } else if (data_gap_.empty()) {
            data_gap_ = "the server on " + s.host + ":" + std::to_string(s.control) +
                        " picks its passive ports itself: its data connections are not in the "
                        "capture";
        }
    }
    if (active) {
        data_gap_ =
            "active-mode data connections go to ports the client picks: they are not in "
            "the capture";
    }
    filter_ = wire::bpf_filter(spec);
    if (ctx_.capture_hub != nullptr) {
        wire::CaptureHub::Opened opened = ctx_.capture_hub->open(spec);
        if (opened.id < 0) {
            unavailable_ = "capture unavailable: " + opened.reason;
            transcript_.note("", unavailable_);
            return;
        }
        session_ = opened.id;
        transcript_.note("", "capturing " + filter_ + " into capture.pcap (the run's tcpdump)");
        return;
    }
    capture_ = std::make_unique<wire::WireCapture>(spec);
    wire::CaptureStart started = capture_->start(ctx_.cancel);
    if (!started.ok) {
        unavailable_ = "capture unavailable: " + started.reason;
        capture_.reset();
        transcript_.note("", unavailable_);
        return;
    }
    transcript_.note("", "capturing " + filter_ + " into capture.pcap");
}

void CellCapture::finish(CellResult& r) {
    if (finished_) {
        return;
    }
    finished_ = true;
    try {
        json::Value doc = json::Value::object();
        wire::WireFacts facts;
        bool have_facts = false;
        if (capture_ || session_ >= 0) {
            wire::CaptureStop stopped;
            if (capture_) {
                stopped = capture_->stop();
            } else {
                stopped = ctx_.capture_hub->close(session_);
                session_ = -1;
                doc["packets"] = stopped.captured;
            }
            doc["capture"] = "capture.pcap";
            doc["filter"] = filter_;
            if (!stopped.ok) {
                // Packets may be missing: facts from it could pass a claim they cannot show.
                unavailable_ = std::string("capture unavailable: ") +
                               (capture_ ? "stopping tcpdump failed: " : "capture incomplete: ") +
                               stopped.reason;
                transcript_.note("", unavailable_);
            } else {
                facts = wire::read_wire_facts(ctx_.dir / "capture.pcap", ctx_.dir / "tls-keys.log",
                                              wire::WireRoles{control_ports_});
                have_facts = true;
            }
            capture_.reset();
        }
        if (!unavailable_.empty()) {
            doc["capture_unavailable"] = unavailable_;
            r.properties["wire.capture"] = unavailable_;
        }
        if (!data_gap_.empty()) {
            doc["data_connections_missing"] = data_gap_;
        }
        if (have_facts) {
            doc["facts"] = wire::facts_to_json(facts);
            r.properties["wire.connections"] = std::to_string(facts.connections.size());
        }
        const Scenario& s = *ctx_.cell->scenario;
        json::Value checks = json::Value::array();
        std::optional<Failure> failure;
        std::string unjudged;
        std::size_t steps = s.client_steps.empty() ? s.steps.size() : s.client_steps.size();
        for (std::size_t i = 0; i < s.wire_expect.size(); ++i) {
            const WireExpectation& w = s.wire_expect[i];
            wire::WireExpect e = to_expect(w);
            wire::WireCheck c{wire::WireOutcome::unsupported, unavailable_};
            if (have_facts) {
                c = wire::check_wire(facts, e);
                if (c.outcome != wire::WireOutcome::fail && !data_gap_.empty() && covers_data(e)) {
                    c = {wire::WireOutcome::unsupported, data_gap_};
                }
            }
            checks.push_back({{"assertion", describe(w)},
                              {"line", w.pos.line},
                              {"outcome", wire::to_string(c.outcome)},
                              {"reason", c.reason}});
            transcript_.note("", describe(w) + ": " + wire::to_string(c.outcome) +
                                     (c.reason.empty() ? "" : " (" + c.reason + ")"));
            if (c.outcome == wire::WireOutcome::fail && !failure) {
                failure = Failure{static_cast<int>(steps + i + 1), w.pos.line, describe(w),
                                  claim(w), c.reason};
            } else if (c.outcome == wire::WireOutcome::unsupported && unjudged.empty()) {
                unjudged = describe(w) + " cannot be judged: " + c.reason;
            }
        }
        // Only a cell that passed its steps is judged on the wire (a failed or errored cell
        // keeps its verdict; the facts are still written for people). A violation wins over
        // an assertion that cannot be judged.
        if (r.verdict == Verdict::pass && failure) {
            r.reason = failure_reason(*failure);
            r.verdict = Verdict::fail;
            r.failure = std::move(failure);
        } else if (r.verdict == Verdict::pass && !unjudged.empty()) {
            r.verdict = Verdict::unsupported;
            r.reason = unjudged;
            // The steps passed: an intermittent deviation that did not occur still makes the
            // cell xfail (deviations.cpp), so its verdict does not move between runs.
            r.properties["wire.unjudged"] = "steps passed";
        }
        doc["assertions"] = checks;
        write_text(ctx_.dir / "wire.json", json::dump(doc, 2) + "\n");
    } catch (const std::exception& e) {
        transcript_.note("", std::string("wire facts not written: ") + e.what());
        if (!ctx_.cell->scenario->wire_expect.empty() && r.verdict == Verdict::pass) {
            r.verdict = Verdict::error;
            r.reason = std::string("cannot read the cell's capture: ") + e.what();
        }
    }
}

}  // namespace fc
