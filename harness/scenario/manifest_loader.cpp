#include "harness/scenario/manifest_loader.hpp"

#include <algorithm>
#include <array>
#include <sstream>

#include "harness/core/features.hpp"
#include "harness/core/text.hpp"
#include "harness/scenario/loader_detail.hpp"
#include "harness/scenario/manifest_loader_detail.hpp"
#include "harness/scenario/values.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 26> kPlaceholders{"prefix",
                                                         "binary",
                                                         "rundir",
                                                         "logdir",
                                                         "workdir",
                                                         "run_cache",
                                                         "host",
                                                         "ip_version",
                                                         "port",
                                                         "pasv_min",
                                                         "pasv_max",
                                                         "user",
                                                         "password",
                                                         "password_crypt",
                                                         "uid",
                                                         "gid",
                                                         "home",
                                                         "ca_cert",
                                                         "server_cert",
                                                         "server_key",
                                                         "server_chain_and_key",
                                                         "server_cert_and_ca",
                                                         "features",
                                                         "self",
                                                         "misbehaviours",
                                                         "name"};

constexpr std::array<std::string_view, 3> kServerAttrs{"name", "title", "package"};
constexpr std::array<std::string_view, 9> kServerChildren{
    "binary", "version", "config", "prepare", "argv", "ready", "feature", "deviation", "misbehave"};
constexpr std::array<std::string_view, 1> kBinaryAttrs{"default"};
constexpr std::array<std::string_view, 3> kVersionAttrs{"command", "regex", "stdin-from-stdout"};
constexpr std::array<std::string_view, 3> kConfigAttrs{"template", "into", "mode"};
constexpr std::array<std::string_view, 3> kReadyAttrs{"banner", "within", "port"};
constexpr std::array<std::string_view, 1> kFeatureAttrs{"names"};
constexpr std::array<std::string_view, 6> kDeviationAttrs{"scenario", "expect",   "source",
                                                          "step",     "observed", "intermittent"};
// A client's deviation may be scoped to some servers (server="a b").
constexpr std::array<std::string_view, 7> kClientDeviationAttrs{
    "scenario", "expect", "source", "step", "observed", "intermittent", "server"};
constexpr std::array<std::string_view, 0> kNone{};
constexpr std::array<std::string_view, 1> kArgvAttrs{"stdin-to-stderr"};

/// Reports every ${name} in `text` that is not a manifest placeholder.
void check_placeholders(XmlFile& f, pugi::xml_node node, std::string_view attr,
                        std::string_view text) {
    detail::check_placeholders(f, node, attr, text, kPlaceholders);
}

/// A required attribute that is checked for placeholders; "" when missing.
std::string template_attr(XmlFile& f, pugi::xml_node node, std::string_view attr) {
    std::string value = f.required(node, attr).value_or("");
    check_placeholders(f, node, attr, value);
    return value;
}

}  // namespace

namespace detail {

void check_placeholders(XmlFile& f, pugi::xml_node node, std::string_view attr,
                        std::string_view text, std::span<const std::string_view> allowed) {
    for (const auto& problem : variable_problems(text, allowed, "unknown placeholder")) {
        if (attr.empty()) {
            f.error(node, problem);
        } else {
            f.error(node, attr, problem);
        }
    }
}

ManifestVersion load_version(XmlFile& f, pugi::xml_node node,
                             std::span<const std::string_view> placeholders) {
    ManifestVersion v;
    if (!node) {
        return v;
    }
    f.check_attributes(node, kVersionAttrs);
    f.check_children(node, kNone);
    v.command = f.required(node, "command").value_or("");
    check_placeholders(f, node, "command", v.command, placeholders);
    v.regex = node.attribute("regex").value();
    if (auto problem = regex_error(v.regex)) {
        f.error(node, "regex", "bad regex /" + v.regex + "/: " + *problem);
    }
    v.stdin_from_stdout = bool_attr(f, node, "stdin-from-stdout").value_or(false);
    return v;
}

// step= and observed= (required: a deviation matches one failure, not any), intermittent=.
void load_signature(XmlFile& f, pugi::xml_node node, Deviation& d) {
    if (auto step = f.required(node, "step")) {
        try {
            std::size_t used = 0;
            d.step = std::stoi(*step, &used);
            if (used != step->size() || d.step < 0) {
                throw std::invalid_argument("step");
            }
        } catch (const std::exception&) {
            f.error(node, "step",
                    "bad value '" + *step +
                        "' for 'step' (the failing step's number, as results.json gives it in "
                        "failure.step_index)");
        }
    }
    if (auto observed = f.required(node, "observed")) {
        d.observed = *observed;
        if (auto problem = regex_error(d.observed)) {
            f.error(node, "observed", "bad regex /" + d.observed + "/: " + *problem);
        }
    }
    d.intermittent = bool_attr(f, node, "intermittent").value_or(false);
}

std::vector<Deviation> load_deviations(XmlFile& f, pugi::xml_node root, bool client) {
    std::vector<Deviation> out;
    for (pugi::xml_node node : root.children("deviation")) {
        if (client) {
            f.check_attributes(node, kClientDeviationAttrs);
        } else {
            f.check_attributes(node, kDeviationAttrs);
        }
        f.check_children(node, kNone, true);
        Deviation d;
        d.pos = f.pos(node);
        d.scenario = f.required(node, "scenario").value_or("");
        if (auto expect = f.required(node, "expect")) {
            if (*expect == "fail" || *expect == "error") {
                d.expect = *expect == "fail" ? Verdict::fail : Verdict::error;
            } else {
                f.error(node, "expect",
                        "bad value '" + *expect + "' for 'expect' (use fail or error)");
            }
        }
        d.source = node.attribute("source").value();
        load_signature(f, node, d);
        if (pugi::xml_attribute server = node.attribute("server")) {
            std::istringstream names(server.value());
            for (std::string name; names >> name;) {
                d.servers.push_back(name);
            }
            if (d.servers.empty()) {
                f.error(node, "server",
                        "empty 'server' (name one or more servers, or drop the attribute)");
            }
        }
        d.reason = collapse_whitespace(node.text().get());
        if (d.reason.empty()) {
            f.error(node, "<deviation> needs a reason as its text");
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace detail

namespace {

void load_config(XmlFile& f, pugi::xml_node node, ServerManifest& m) {
    f.check_attributes(node, kConfigAttrs);
    f.check_children(node, kNone);
    TemplateFile t;
    t.pos = f.pos(node);
    if (auto name = f.required(node, "template")) {
        t.template_name = *name;
        if (!fs::is_regular_file(m.dir() / t.template_name)) {
            f.error(node, "template",
                    "template file '" + t.template_name + "' not found beside the manifest");
        }
    }
    t.into = template_attr(f, node, "into");
    if (pugi::xml_attribute mode = node.attribute("mode")) {
        auto parsed = parse_mode(mode.value());
        if (!parsed) {
            f.error(node, "mode",
                    "bad file mode '" + std::string(mode.value()) + "' (use octal, like 0600)");
        }
        t.mode = parsed.value_or(0644);
    }
    m.files.push_back(std::move(t));
}

void load_ready(XmlFile& f, pugi::xml_node node, ServerManifest& m) {
    if (!node) {
        return;
    }
    f.check_attributes(node, kReadyAttrs);
    f.check_children(node, kNone);
    if (pugi::xml_attribute banner = node.attribute("banner")) {
        m.ready_banner = banner.value();
        if (!is_valid_code_pattern(m.ready_banner)) {
            f.error(node, "banner", "bad code pattern '" + m.ready_banner + "' (like 220)");
        }
    }
    if (pugi::xml_attribute within = node.attribute("within")) {
        auto d = parse_duration(within.value());
        if (!d) {
            f.error(node, "within",
                    "bad timeout '" + std::string(within.value()) +
                        "' (use a positive duration like 5s, 500ms or 2.5s)");
        }
        m.ready_within = d.value_or(m.ready_within);
    }
    if (pugi::xml_attribute port = node.attribute("port")) {
        m.ready_port = port.value();
        check_placeholders(f, node, "port", m.ready_port);
    }
}

void load_features(XmlFile& f, pugi::xml_node root, ServerManifest& m) {
    for (pugi::xml_node node : root.children("feature")) {
        f.check_attributes(node, kFeatureAttrs);
        f.check_children(node, kNone, true);
        FeatureFragment frag;
        frag.pos = f.pos(node);
        for (auto& name : split_words(f.required(node, "names").value_or(""))) {
            if (!is_known_server_feature(name)) {
                f.error(
                    node, "names",
                    "unknown feature '" + name + "'" + did_you_mean(name, known_server_features()));
            }
            frag.features.push_back(std::move(name));
        }
        if (node.attribute("names") && frag.features.empty()) {
            f.error(node, "names", "empty 'names': list the features this fragment realises");
        }
        std::sort(frag.features.begin(), frag.features.end());
        frag.text = trim(node.text().get());
        check_placeholders(f, node, "", frag.text);
        m.features.push_back(std::move(frag));
    }
}

void load_server_body(XmlFile& f, pugi::xml_node root, ServerManifest& m) {
    f.check_attributes(root, kServerAttrs);
    f.check_children(root, kServerChildren);
    m.name = f.required(root, "name").value_or("");
    m.title = root.attribute("title").value();
    m.package = root.attribute("package").value();
    if (pugi::xml_node binary = f.single(root, "binary", true)) {
        f.check_attributes(binary, kBinaryAttrs);
        f.check_children(binary, kNone);
        m.binary = template_attr(f, binary, "default");
    }
    detail::ManifestVersion v =
        detail::load_version(f, f.single(root, "version", false), kPlaceholders);
    m.version_command = v.command;
    m.version_regex = v.regex;
    m.version_stdin_from_stdout = v.stdin_from_stdout;
    for (pugi::xml_node config : root.children("config")) {
        load_config(f, config, m);
    }
    for (pugi::xml_node prepare : root.children("prepare")) {
        f.check_attributes(prepare, kNone);
        f.check_children(prepare, kNone, true);
        std::string command = collapse_whitespace(prepare.text().get());
        if (command.empty()) {
            f.error(prepare, "empty <prepare>: write a command line or drop the element");
        }
        check_placeholders(f, prepare, "", command);
        m.prepare.push_back(command);
    }
    if (pugi::xml_node argv = f.single(root, "argv", true)) {
        f.check_attributes(argv, kArgvAttrs);
        if (pugi::xml_attribute a = argv.attribute("stdin-to-stderr")) {
            auto b = parse_bool(a.value());
            if (!b) {
                f.error(argv, "stdin-to-stderr",
                        "bad value '" + std::string(a.value()) +
                            "' for 'stdin-to-stderr' (use true or false)");
            }
            m.argv_stdin_to_stderr = b.value_or(false);
        }
        f.check_children(argv, kNone, true);
        m.argv = collapse_whitespace(argv.text().get());
        if (m.argv.empty()) {
            f.error(argv, "empty <argv>: write the command line that starts the server");
        }
        check_placeholders(f, argv, "", m.argv);
    }
    load_ready(f, f.single(root, "ready", true), m);
    load_features(f, root, m);
    if (pugi::xml_node misbehave = f.single(root, "misbehave", false)) {
        f.check_attributes(misbehave, kNone);
        f.check_children(misbehave, kNone, true);
        m.misbehave = collapse_whitespace(misbehave.text().get());
        if (m.misbehave.find("${name}") == std::string::npos) {
            f.error(misbehave, "<misbehave> must use ${name} (the misbehaviour's name)");
        }
        check_placeholders(f, misbehave, "", m.misbehave);
    }
    m.deviations = detail::load_deviations(f, root);
}

template <typename Manifest, typename Body>
std::optional<Manifest> load_kind(XmlFile& f, std::string_view kind, Body body) {
    pugi::xml_node root = f.root();
    if (root.name() != kind) {
        f.error(root, "root element is " + tag(root.name()) + ", expected " + tag(kind));
        return std::nullopt;
    }
    Manifest m;
    m.file = f.path();
    body(f, root, m);
    if (f.failed()) {
        return std::nullopt;
    }
    return m;
}

template <typename Manifest>
void add_or_replace(std::vector<Manifest>& list, Manifest m) {
    auto same = std::find_if(list.begin(), list.end(),
                             [&](const Manifest& other) { return other.name == m.name; });
    if (same != list.end()) {
        *same = std::move(m);
    } else {
        list.push_back(std::move(m));
    }
}

}  // namespace

std::span<const std::string_view> manifest_placeholders() {
    return kPlaceholders;
}

std::optional<ServerManifest> load_server_manifest(const fs::path& file,
                                                   std::vector<Diagnostic>& diags) {
    XmlFile f(file, diags);
    if (!f.ok()) {
        return std::nullopt;
    }
    return load_kind<ServerManifest>(f, "server", load_server_body);
}

std::optional<ClientManifest> load_client_manifest(const fs::path& file,
                                                   std::vector<Diagnostic>& diags) {
    XmlFile f(file, diags);
    if (!f.ok()) {
        return std::nullopt;
    }
    return load_kind<ClientManifest>(f, "client", detail::load_client_body);
}

std::optional<ServerManifest> load_server_manifest_text(const fs::path& file, std::string text,
                                                        std::vector<Diagnostic>& diags) {
    XmlFile f(file, std::move(text), diags);
    if (!f.ok()) {
        return std::nullopt;
    }
    return load_kind<ServerManifest>(f, "server", load_server_body);
}

std::optional<ClientManifest> load_client_manifest_text(const fs::path& file, std::string text,
                                                        std::vector<Diagnostic>& diags) {
    XmlFile f(file, std::move(text), diags);
    if (!f.ok()) {
        return std::nullopt;
    }
    return load_kind<ClientManifest>(f, "client", detail::load_client_body);
}

std::vector<fs::path> manifest_files(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const fs::path& base : {dir, dir / "servers", dir / "clients"}) {
        std::error_code ec;
        if (!fs::is_directory(base, ec)) {
            continue;
        }
        std::vector<fs::path> here;
        for (const auto& entry : fs::directory_iterator(base, ec)) {
            if (entry.is_directory() && fs::is_regular_file(entry.path() / "manifest.xml")) {
                here.push_back(entry.path() / "manifest.xml");
            }
        }
        std::sort(here.begin(), here.end());
        files.insert(files.end(), here.begin(), here.end());
    }
    return files;
}

Endpoints load_endpoints(const std::vector<fs::path>& dirs, std::vector<Diagnostic>& diags) {
    Endpoints out;
    for (const auto& dir : dirs) {
        for (const auto& file : manifest_files(dir)) {
            XmlFile f(file, diags);
            if (!f.ok()) {
                continue;
            }
            if (std::string_view(f.root().name()) == "client") {
                if (auto m = load_kind<ClientManifest>(f, "client", detail::load_client_body)) {
                    add_or_replace(out.clients, std::move(*m));
                }
            } else if (std::string_view(f.root().name()) == "server") {
                if (auto m = load_kind<ServerManifest>(f, "server", load_server_body)) {
                    add_or_replace(out.servers, std::move(*m));
                }
            } else {
                f.error(f.root(), "root element is " + tag(f.root().name()) +
                                      ", expected <server> or <client>");
            }
        }
    }
    return out;
}

}  // namespace fc
