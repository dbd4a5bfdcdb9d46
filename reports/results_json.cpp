#include "reports/results_json.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "harness/core/error.hpp"
#include "harness/core/json_util.hpp"
#include "harness/core/text_sanitize.hpp"

namespace fc {

namespace {

// ---- writing ----

json::Value strings(const std::vector<std::string>& items) {
    json::Value a = json::Value::array();
    for (const auto& item : items) {
        a.push_back(item);
    }
    return a;
}

json::Value failure_json(const std::optional<Failure>& f) {
    if (!f) {
        return nullptr;
    }
    json::Value o;
    o["step_index"] = f->step_index;
    o["line"] = f->line;
    o["step"] = f->step;
    o["expected"] = f->expected;
    o["observed"] = f->observed;
    return o;
}

// Seconds to the millisecond: finer is noise, and the file stays readable.
json::Value millis(double seconds) {
    return json::number(std::isfinite(seconds) ? std::round(seconds * 1000.0) / 1000.0 : seconds);
}

json::Value timing_json(const std::optional<CellTiming>& t) {
    if (!t) {
        return nullptr;
    }
    json::Value o;
    o["setup_s"] = millis(t->setup_s);
    o["steps_s"] = millis(t->steps_s);
    o["teardown_s"] = millis(t->teardown_s);
    if (t->started_s >= 0.0) {
        o["started_s"] = millis(t->started_s);
    }
    return o;
}

json::Value cell_json(const CellResult& c) {
    json::Value o;
    o["scenario_id"] = c.scenario_id;
    o["area"] = c.area;
    o["title"] = c.title;
    o["level"] = c.level;
    o["spec_refs"] = strings(c.spec_refs);
    o["spec_quotes"] = strings(c.spec_quotes);
    o["server"] = c.server;
    o["client"] = c.client;
    o["verdict"] = to_string(c.verdict);
    o["reason"] = c.reason;
    o["failure"] = failure_json(c.failure);
    o["duration_s"] = json::number(c.duration_s);
    o["timing"] = timing_json(c.timing);
    o["cell_dir"] = c.cell_dir;
    o["transcript_path"] = c.transcript_path;
    o["transcript_excerpt"] = c.transcript_excerpt;
    json::Value properties = json::Value::object();
    for (const auto& [key, value] : c.properties) {
        properties[key] = value;
    }
    o["properties"] = std::move(properties);
    if (!c.repeats.empty()) {
        // `run --repeat N`: every run's verdict, in order, and whether they disagreed.
        json::Value repeats = json::Value::array();
        for (Verdict v : c.repeats) {
            repeats.push_back(std::string(to_string(v)));
        }
        o["repeats"] = std::move(repeats);
        o["repeat_counts"] = c.repeat_counts();
        o["flaky"] = c.flaky();
    }
    return o;
}

json::Value run_json(const RunResult& run) {
    json::Value o;
    o["format"] = kResultsFormat;
    o["format_version"] = kResultsFormatVersion;
    o["tool_version"] = run.tool_version;
    o["run_id"] = run.run_id;
    o["started_utc"] = run.started_utc;
    o["finished_utc"] = run.finished_utc;
    o["host"] = run.host;
    o["duration_s"] = json::number(run.duration_s);
    o["interrupted"] = run.interrupted;
    o["shard"] = run.shard;
    json::Value endpoints = json::Value::array();
    for (const auto& e : run.endpoints) {
        json::Value eo;
        eo["name"] = e.name;
        eo["kind"] = e.kind;
        eo["version"] = e.version;
        eo["manifest"] = e.manifest;
        eo["manifest_sha256"] = e.manifest_sha256;
        eo["target"] = e.target;
        endpoints.push_back(std::move(eo));
    }
    o["endpoints"] = std::move(endpoints);
    json::Value cells = json::Value::array();
    for (const auto& c : run.cells) {
        cells.push_back(cell_json(c));
    }
    o["cells"] = std::move(cells);
    return o;
}

// ---- reading ----

// Reads one object of the file, naming the file and the member's path ("cells[3].failure
// .line") in every error.
class Reader {
public:
    Reader(const std::string& file, const json::Value& value, std::string path)
        : file_(file), value_(value), path_(std::move(path)) {
        if (!value.is_object()) {
            fail(path_, "expected an object, found " + std::string(json::type_name(value)));
        }
    }

    [[noreturn]] void fail(const std::string& path, const std::string& what) const {
        throw UsageError(file_ + ": " + (path.empty() ? "" : path + ": ") + what);
    }

    std::string child_path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    const json::Value* find(std::string_view key) const {
        const auto it = value_.find(key);
        return it == value_.end() ? nullptr : &*it;
    }

    const json::Value& member(std::string_view key) const {
        const json::Value* v = find(key);
        if (v == nullptr) {
            fail(child_path(key), "missing");
        }
        return *v;
    }

    Reader object(std::string_view key) const {
        return Reader(file_, member(key), child_path(key));
    }

    std::string string(std::string_view key) const {
        return string_at(member(key), child_path(key));
    }

    /// The member's string, or "" when the member is absent (members added after format 1).
    std::string optional_string(std::string_view key) const {
        return find(key) == nullptr ? std::string() : string(key);
    }

    std::string string_at(const json::Value& v, const std::string& path) const {
        expect(v, v.is_string(), path, "a string");
        return v.get<std::string>();
    }

    bool boolean(std::string_view key) const {
        const json::Value& v = member(key);
        expect(v, v.is_boolean(), child_path(key), "a boolean");
        return v.get<bool>();
    }

    double seconds(std::string_view key) const {
        const json::Value& v = member(key);
        if (v.is_null()) {
            return 0.0;
        }
        expect(v, v.is_number(), child_path(key), "a number");
        return v.get<double>();
    }

    int integer(std::string_view key) const {
        const json::Value& v = member(key);
        expect(v, v.is_number(), child_path(key), "an integer");
        const double d = v.get<double>();
        if (d != std::floor(d) || d < std::numeric_limits<int>::min() ||
            d > std::numeric_limits<int>::max()) {
            fail(child_path(key), "expected an integer, found " + json::dump(v));
        }
        return static_cast<int>(d);
    }

    const json::Value& array(std::string_view key) const {
        const json::Value& v = member(key);
        expect(v, v.is_array(), child_path(key), "an array");
        return v;
    }

    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> out;
        const json::Value& a = array(key);
        for (std::size_t i = 0; i < a.size(); ++i) {
            out.push_back(string_at(a[i], indexed(child_path(key), i)));
        }
        return out;
    }

    const std::string& file() const { return file_; }
    const json::Value& value() const { return value_; }

    static std::string indexed(const std::string& name, std::size_t i) {
        return name + "[" + std::to_string(i) + "]";
    }

private:
    void expect(const json::Value& v, bool ok, const std::string& path, const char* wanted) const {
        if (!ok) {
            fail(path,
                 std::string("expected ") + wanted + ", found " + std::string(json::type_name(v)));
        }
    }

    const std::string& file_;
    const json::Value& value_;
    std::string path_;
};

Failure read_failure(const Reader& r) {
    Failure f;
    f.step_index = r.integer("step_index");
    f.line = r.integer("line");
    f.step = r.string("step");
    f.expected = r.string("expected");
    f.observed = r.string("observed");
    return f;
}

CellResult read_cell(const Reader& r) {
    CellResult c;
    c.scenario_id = r.string("scenario_id");
    c.area = r.string("area");
    c.title = r.string("title");
    c.level = r.string("level");
    c.spec_refs = r.strings("spec_refs");
    // Optional: files written before quotes were recorded have none.
    if (r.find("spec_quotes") != nullptr) {
        c.spec_quotes = r.strings("spec_quotes");
    }
    c.server = r.string("server");
    c.client = r.string("client");
    const std::string verdict = r.string("verdict");
    if (auto v = verdict_from_string(verdict)) {
        c.verdict = *v;
    } else {
        r.fail(r.child_path("verdict"), "unknown verdict \"" + one_line(verdict) + "\"");
    }
    c.reason = r.string("reason");
    if (!r.member("failure").is_null()) {
        c.failure = read_failure(r.object("failure"));
    }
    c.duration_s = r.seconds("duration_s");
    // Optional: files written before per-cell timing existed have no "timing".
    if (const json::Value* t = r.find("timing"); t != nullptr && !t->is_null()) {
        const Reader timing = r.object("timing");
        c.timing = CellTiming{timing.seconds("setup_s"), timing.seconds("steps_s"),
                              timing.seconds("teardown_s")};
        if (timing.find("started_s") != nullptr) {  // written by later versions
            c.timing->started_s = timing.seconds("started_s");
        }
    }
    c.cell_dir = r.string("cell_dir");
    c.transcript_path = r.string("transcript_path");
    c.transcript_excerpt = r.string("transcript_excerpt");
    const Reader properties = r.object("properties");
    for (const auto& [key, value] : properties.value().items()) {
        // Directly, not by key: a lookup per member would be quadratic on a hostile file.
        c.properties[key] = properties.string_at(value, properties.child_path(key));
    }
    if (r.find("repeats") != nullptr) {  // absent unless the run used --repeat
        for (const std::string& name : r.strings("repeats")) {
            if (auto v = verdict_from_string(name)) {
                c.repeats.push_back(*v);
            } else {
                r.fail(r.child_path("repeats"), "unknown verdict \"" + one_line(name) + "\"");
            }
        }
    }
    return c;
}

void check_format(const Reader& r) {
    const json::Value* format = r.find("format");
    if (format == nullptr || !format->is_string() || *format != kResultsFormat) {
        r.fail("format", std::string("not an ftps-conform results file (expected \"format\": \"") +
                             kResultsFormat + "\")");
    }
    const int version = r.integer("format_version");
    if (version != kResultsFormatVersion) {
        r.fail("format_version", "format_version " + std::to_string(version) +
                                     " is not supported (this build reads " +
                                     std::to_string(kResultsFormatVersion) + ")");
    }
}

}  // namespace

void write_results_json(const RunResult& run, std::ostream& out) {
    out << json::dump(run_json(run), 2) << '\n';
}

RunResult read_results_json(std::istream& in, const std::string& name_for_errors) {
    // Big matrices with full transcript excerpts reach tens of megabytes; more is not ours.
    constexpr std::size_t kMaxBytes = std::size_t{256} << 20;
    std::string text;
    char buffer[1 << 16];
    while (in && text.size() <= kMaxBytes) {
        in.read(buffer, sizeof buffer);
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) {
        throw UsageError(name_for_errors + ": cannot read the file");
    }
    if (text.size() > kMaxBytes) {
        throw UsageError(name_for_errors + ": larger than the limit of " +
                         std::to_string(kMaxBytes) + " bytes");
    }
    json::Value doc;
    try {
        doc = json::parse(text);
    } catch (const json::ParseError& e) {
        throw UsageError(name_for_errors + (e.position().line > 0 ? ":" : ": ") + e.what());
    }
    const Reader top(name_for_errors, doc, "");
    check_format(top);
    RunResult run;
    run.tool_version = top.string("tool_version");
    run.run_id = top.string("run_id");
    run.started_utc = top.string("started_utc");
    run.finished_utc = top.string("finished_utc");
    run.host = top.string("host");
    run.duration_s = top.seconds("duration_s");
    run.interrupted = top.boolean("interrupted");
    // Optional: files written before sharding existed have no "shard".
    run.shard = top.optional_string("shard");
    const json::Value& endpoints = top.array("endpoints");
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const Reader e(name_for_errors, endpoints[i], Reader::indexed("endpoints", i));
        EndpointInfo info{e.string("name"), e.string("kind"), e.string("version")};
        // Optional: files written before provenance was recorded have none of these.
        info.manifest = e.optional_string("manifest");
        info.manifest_sha256 = e.optional_string("manifest_sha256");
        info.target = e.optional_string("target");
        run.endpoints.push_back(std::move(info));
    }
    const json::Value& cells = top.array("cells");
    for (std::size_t i = 0; i < cells.size(); ++i) {
        run.cells.push_back(
            read_cell(Reader(name_for_errors, cells[i], Reader::indexed("cells", i))));
    }
    return run;
}

}  // namespace fc
