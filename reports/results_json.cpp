#include "reports/results_json.hpp"

#include <cmath>
#include <limits>

#include "harness/core/error.hpp"
#include "reports/json.hpp"
#include "reports/text_sanitize.hpp"

namespace fc {

namespace {

// ---- writing ----

json::Value seconds(double s) {
    return std::isfinite(s) ? json::Value(s) : json::Value();
}

json::Value strings(const std::vector<std::string>& items) {
    json::Array a;
    for (const auto& item : items) {
        a.emplace_back(item);
    }
    return a;
}

json::Value failure_json(const std::optional<Failure>& f) {
    if (!f) {
        return nullptr;
    }
    json::Object o;
    o.set("step_index", f->step_index);
    o.set("line", f->line);
    o.set("step", f->step);
    o.set("expected", f->expected);
    o.set("observed", f->observed);
    return o;
}

json::Value cell_json(const CellResult& c) {
    json::Object o;
    o.set("scenario_id", c.scenario_id);
    o.set("area", c.area);
    o.set("title", c.title);
    o.set("level", c.level);
    o.set("spec_refs", strings(c.spec_refs));
    o.set("server", c.server);
    o.set("client", c.client);
    o.set("verdict", to_string(c.verdict));
    o.set("reason", c.reason);
    o.set("failure", failure_json(c.failure));
    o.set("duration_s", seconds(c.duration_s));
    o.set("cell_dir", c.cell_dir);
    o.set("transcript_path", c.transcript_path);
    o.set("transcript_excerpt", c.transcript_excerpt);
    json::Object properties;
    for (const auto& [key, value] : c.properties) {
        properties.set(key, value);
    }
    o.set("properties", std::move(properties));
    return o;
}

json::Value run_json(const RunResult& run) {
    json::Object o;
    o.set("format", kResultsFormat);
    o.set("format_version", kResultsFormatVersion);
    o.set("tool_version", run.tool_version);
    o.set("run_id", run.run_id);
    o.set("started_utc", run.started_utc);
    o.set("finished_utc", run.finished_utc);
    o.set("host", run.host);
    o.set("duration_s", seconds(run.duration_s));
    o.set("interrupted", run.interrupted);
    o.set("shard", run.shard);
    json::Array endpoints;
    for (const auto& e : run.endpoints) {
        json::Object eo;
        eo.set("name", e.name);
        eo.set("kind", e.kind);
        eo.set("version", e.version);
        endpoints.emplace_back(std::move(eo));
    }
    o.set("endpoints", std::move(endpoints));
    json::Array cells;
    for (const auto& c : run.cells) {
        cells.push_back(cell_json(c));
    }
    o.set("cells", std::move(cells));
    return o;
}

// ---- reading ----

// Reads one object of the file, naming members by their path ("cells[3].failure.line") in
// every error.
class Reader {
public:
    Reader(const std::string& file, const json::Value& value, std::string path)
        : file_(file), value_(value), path_(std::move(path)) {
        if (value.if_object() == nullptr) {
            fail(value, path_,
                 std::string("expected an object, found ") +
                     std::string(json::type_name(value.type())));
        }
    }

    [[noreturn]] void fail(const json::Value& at, const std::string& path,
                           const std::string& what) const {
        const json::Position p = at.position();
        throw UsageError(file_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) +
                         ": " + (path.empty() ? "" : path + ": ") + what);
    }

    std::string child_path(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }

    const json::Value& member(std::string_view key) const {
        const json::Value* v = value_.if_object()->find(key);
        if (v == nullptr) {
            fail(value_, child_path(key), "missing");
        }
        return *v;
    }

    Reader object(std::string_view key) const {
        return Reader(file_, member(key), child_path(key));
    }

    std::string string(std::string_view key) const {
        const json::Value& v = member(key);
        return expect<std::string>(v, v.if_string(), child_path(key), "a string");
    }

    bool boolean(std::string_view key) const {
        const json::Value& v = member(key);
        return expect<bool>(v, v.if_bool(), child_path(key), "a boolean");
    }

    double seconds(std::string_view key) const {
        const json::Value& v = member(key);
        return v.is_null() ? 0.0 : expect<double>(v, v.if_number(), child_path(key), "a number");
    }

    int integer(std::string_view key) const {
        const json::Value& v = member(key);
        const double d = expect<double>(v, v.if_number(), child_path(key), "an integer");
        if (d != std::floor(d) || d < std::numeric_limits<int>::min() ||
            d > std::numeric_limits<int>::max()) {
            fail(v, child_path(key), "expected an integer, found " + json::to_text(v));
        }
        return static_cast<int>(d);
    }

    const json::Array& array(std::string_view key) const {
        const json::Value& v = member(key);
        return expect<json::Array>(v, v.if_array(), child_path(key), "an array");
    }

    std::vector<std::string> strings(std::string_view key) const {
        std::vector<std::string> out;
        const json::Array& a = array(key);
        for (std::size_t i = 0; i < a.size(); ++i) {
            out.push_back(expect<std::string>(a[i], a[i].if_string(),
                                              child_path(key) + "[" + std::to_string(i) + "]",
                                              "a string"));
        }
        return out;
    }

    const std::string& file() const { return file_; }
    const json::Value& value() const { return value_; }
    const std::string& path() const { return path_; }

private:
    template <typename T>
    const T& expect(const json::Value& v, const T* content, const std::string& path,
                    const char* wanted) const {
        if (content == nullptr) {
            fail(v, path,
                 std::string("expected ") + wanted + ", found " +
                     std::string(json::type_name(v.type())));
        }
        return *content;
    }

    const std::string& file_;
    const json::Value& value_;
    std::string path_;
};

std::string indexed(const std::string& name, std::size_t i) {
    return name + "[" + std::to_string(i) + "]";
}

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
    c.server = r.string("server");
    c.client = r.string("client");
    const std::string verdict = r.string("verdict");
    if (auto v = verdict_from_string(verdict)) {
        c.verdict = *v;
    } else {
        r.fail(r.member("verdict"), r.child_path("verdict"),
               "unknown verdict \"" + one_line(verdict) + "\"");
    }
    c.reason = r.string("reason");
    if (!r.member("failure").is_null()) {
        c.failure = read_failure(r.object("failure"));
    }
    c.duration_s = r.seconds("duration_s");
    c.cell_dir = r.string("cell_dir");
    c.transcript_path = r.string("transcript_path");
    c.transcript_excerpt = r.string("transcript_excerpt");
    const Reader properties = r.object("properties");
    for (const auto& [key, value] : properties.value().if_object()->members()) {
        // Directly, not by key: a lookup per member would be quadratic on a hostile file.
        if (value.if_string() == nullptr) {
            properties.fail(
                value, properties.child_path(key),
                "expected a string, found " + std::string(json::type_name(value.type())));
        }
        c.properties[key] = *value.if_string();
    }
    return c;
}

void check_format(const Reader& r) {
    const json::Value* format = r.value().if_object()->find("format");
    if (format == nullptr || format->if_string() == nullptr ||
        *format->if_string() != kResultsFormat) {
        r.fail(format != nullptr ? *format : r.value(), "format",
               std::string("not an ftps-conform results file (expected \"format\": \"") +
                   kResultsFormat + "\")");
    }
    const int version = r.integer("format_version");
    if (version != kResultsFormatVersion) {
        r.fail(r.member("format_version"), "format_version",
               "format_version " + std::to_string(version) +
                   " is not supported (this build reads " + std::to_string(kResultsFormatVersion) +
                   ")");
    }
}

}  // namespace

void write_results_json(const RunResult& run, std::ostream& out) {
    json::write(run_json(run), out, json::WriteOptions{2});
    out << '\n';
}

RunResult read_results_json(std::istream& in, const std::string& name_for_errors) {
    // Big matrices with full transcript excerpts reach tens of megabytes.
    json::ParseOptions options;
    options.max_bytes = std::size_t{256} << 20;
    json::Value doc;
    try {
        doc = json::parse(in, options);
    } catch (const json::ParseError& e) {
        throw UsageError(name_for_errors + ":" + e.what());
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
    if (top.value().if_object()->find("shard") != nullptr) {
        run.shard = top.string("shard");
    }
    const json::Array& endpoints = top.array("endpoints");
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const Reader e(name_for_errors, endpoints[i], indexed("endpoints", i));
        run.endpoints.push_back(
            EndpointInfo{e.string("name"), e.string("kind"), e.string("version")});
    }
    const json::Array& cells = top.array("cells");
    for (std::size_t i = 0; i < cells.size(); ++i) {
        run.cells.push_back(read_cell(Reader(name_for_errors, cells[i], indexed("cells", i))));
    }
    return run;
}

}  // namespace fc
