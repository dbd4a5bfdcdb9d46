#include "harness/engine/server_instance.hpp"

#include <crypt.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>

#include "harness/core/error.hpp"
#include "harness/core/features.hpp"
#include "harness/core/paths.hpp"
#include "harness/core/text.hpp"
#include "harness/engine/fragments.hpp"
#include "harness/proc/proc_table.hpp"
#include "harness/scenario/values.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

std::string random_text(std::size_t n, std::string_view alphabet) {
    std::random_device rd;
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += alphabet[pick(rd)];
    }
    return out;
}

void write_file(const fs::path& path, const std::string& text, unsigned mode) {
    fs::create_directories(path.parent_path());
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            throw HarnessError("cannot write " + path.string());
        }
    }
    fs::permissions(path, static_cast<fs::perms>(mode), fs::perm_options::replace);
}

// One <prepare> command: its output goes to the cell's prepare.log; failure is the
// cell's harness error, with the command's last words.
void run_prepare(const std::vector<std::string>& argv, const InstanceRequest& req) {
    if (argv.empty()) {
        return;
    }
    CommandOutput out = run_command(argv, Deadline::after(Millis(10000)), req.cancel);
    const std::string line = join(argv, " ");
    std::ofstream log(req.log_dir / "prepare.log", std::ios::app);
    log << "$ " << line << "\n" << out.output;
    if (out.timed_out || !out.exit_code || *out.exit_code != 0) {
        std::string tail =
            out.output.size() > 400 ? out.output.substr(out.output.size() - 400) : out.output;
        throw HarnessError("prepare command failed (" +
                           (out.exit_code ? "exit " + std::to_string(*out.exit_code) : out.error) +
                           "): " + line + (tail.empty() ? "" : ": " + tail));
    }
}

// The unprivileged account that server sessions run as.
std::pair<unsigned, unsigned> nobody_ids() {
    unsigned uid = 65534;
    unsigned gid = 65534;
    if (const passwd* pw = ::getpwnam("nobody")) {
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    if (const group* gr = ::getgrnam("nogroup")) {
        gid = gr->gr_gid;
    }
    return {uid, gid};
}

}  // namespace

Credentials make_credentials() {
    Credentials c;
    c.password = random_text(16, "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789");
    std::string setting =
        "$6$" + random_text(16, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    crypt_data data{};
    const char* hash = ::crypt_r(c.password.c_str(), setting.c_str(), &data);
    if (hash == nullptr || hash[0] == '*') {
        throw HarnessError("crypt_r could not hash the test password");
    }
    c.password_crypt = hash;
    return c;
}

std::optional<std::string> realise_features(const ServerManifest& manifest,
                                            const std::vector<std::string>& features,
                                            std::vector<std::string>* missing) {
    auto used = choose_fragments(
        manifest.features, features,
        [](const FeatureFragment& f) -> const std::vector<std::string>& { return f.features; },
        missing);
    if (!used) {
        return std::nullopt;
    }
    std::string text;
    for (const FeatureFragment* f : *used) {
        text += f->text + "\n";
    }
    return text;
}

fs::path default_prefix() {
    return default_prefix_for(data_layout(), prefix_environment());
}

fs::path self_binary() {
    if (const char* env = std::getenv("FTPS_CONFORM_SELF"); env != nullptr && *env != '\0') {
        return env;
    }
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec && exe.filename() == "ftps-conform") {
        return exe;
    }
    return FTPS_CONFORM_BUILD_BINARY;
}

Variables manifest_variables(const ServerManifest& manifest, const fs::path& prefix) {
    Variables vars{{"prefix", prefix.string()}, {"self", self_binary().string()}};
    vars["binary"] = substitute(manifest.binary, vars, manifest.file.string());
    return vars;
}

std::unique_ptr<ServerInstance> ServerInstance::start(const InstanceRequest& req) {
    if (req.breaker == nullptr) {
        return start_unguarded(req);
    }
    std::string name = req.manifest->name;
    if (!req.misbehaviours.empty()) {
        name += " (misbehaving: " + join(req.misbehaviours, " ") + ")";
    }
    return req.breaker->guard(name, req.cancel, [&] { return start_unguarded(req); });
}

std::unique_ptr<ServerInstance> ServerInstance::start_unguarded(const InstanceRequest& req) {
    const ServerManifest& m = *req.manifest;
    std::unique_ptr<ServerInstance> inst(new ServerInstance());
    inst->request_ = req;
    // The feature ipv6 is a server listening on ::1 (its fragment says how to the server;
    // the harness starts, waits for and reaches it there).
    if (has_feature(req.features, "ipv6") && req.host == "127.0.0.1") {
        inst->request_.host = "::1";
    }
    const std::string& host = inst->request_.host;

    std::string pattern =
        (fs::temp_directory_path() / ("ftps-conform-" + m.name + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw HarnessError("cannot create a work directory under " +
                           fs::temp_directory_path().string());
    }
    inst->work_dir_ = pattern;
    // Server sessions drop to nobody: the tree down to the home must be traversable.
    fs::permissions(inst->work_dir_, fs::perms(0755), fs::perm_options::replace);
    auto [uid, gid] = nobody_ids();
    fs::path rundir = inst->work_dir_ / "run";
    fs::path home = inst->work_dir_ / "home" / req.credentials->user;
    fs::create_directories(rundir);
    fs::create_directories(home);
    fs::permissions(inst->work_dir_ / "home", fs::perms(0755), fs::perm_options::replace);
    if (::chown(home.c_str(), uid, gid) != 0) {
        throw HarnessError("cannot give " + home.string() + " to uid " + std::to_string(uid));
    }
    inst->home_ = home;
    inst->owner_ = {uid, gid};
    fs::create_directories(req.log_dir);

    Variables vars = manifest_variables(m, req.prefix);
    const fs::path run_cache =
        req.run_cache.empty() ? inst->work_dir_ / "cache" : req.run_cache / ("server-" + m.name);
    fs::create_directories(run_cache);
    auto [pasv_min, pasv_max] = req.ports->range(16);
    inst->leases_.emplace_back(pasv_min, pasv_max);
    vars.insert({{"rundir", rundir.string()},
                 {"logdir", fs::absolute(req.log_dir).string()},
                 {"workdir", inst->work_dir_.string()},
                 {"run_cache", run_cache.string()},
                 {"host", host},
                 {"ip_version", host.find(':') != std::string::npos ? "6" : "4"},
                 {"pasv_min", std::to_string(pasv_min)},
                 {"pasv_max", std::to_string(pasv_max)},
                 {"user", req.credentials->user},
                 {"password", req.credentials->password},
                 {"password_crypt", req.credentials->password_crypt},
                 {"uid", std::to_string(uid)},
                 {"gid", std::to_string(gid)},
                 {"home", home.string()},
                 {"ca_cert", req.pki->ca_cert.string()},
                 {"server_cert", req.pki->server_cert.string()},
                 {"server_key", req.pki->server_key.string()},
                 {"server_chain_and_key", req.pki->server_chain_and_key.string()},
                 {"server_cert_and_ca", req.pki->server_cert_and_ca.string()},
                 {"features", req.features_text}});
    if (!req.misbehaviours.empty() && m.misbehave.empty()) {
        throw HarnessError(m.name + " has no <misbehave> switch, so it cannot act out '" +
                           req.misbehaviours.front() + "'");
    }
    vars["misbehaviours"] = join(req.misbehaviours, " ", [&](const std::string& name) {
        return substitute(m.misbehave, Variables{{"name", name}}, m.file.string() + " <misbehave>");
    });

    // Captures filter by the passive range: only a manifest that hands it to the server
    // makes it the server's.
    bool uses_pasv = m.argv.find("${pasv_min}") != std::string::npos;
    for (const TemplateFile& t : m.files) {
        uses_pasv = uses_pasv ||
                    read_file(m.dir() / t.template_name).find("${pasv_min}") != std::string::npos;
    }
    if (uses_pasv) {
        inst->passive_range_ = std::pair{pasv_min, pasv_max};
    }

    const std::string& binary = vars["binary"];
    if (::access(binary.c_str(), X_OK) != 0) {
        throw HarnessError(m.name + ": binary not found or not executable: " + binary +
                           " (ci/install-servers puts it there, or point <binary> elsewhere)");
    }

    // Implicit FTPS greets only after a TLS handshake: an accepted connection is ready.
    const bool implicit = has_feature(req.features, "implicit");
    // A port taken between our check and the server's bind: try again with another.
    std::string last_error;
    for (int attempt = 0; attempt < 3; ++attempt) {
        inst->port_ = req.ports->port();
        inst->leases_.emplace_back(inst->port_, inst->port_);
        vars["port"] = std::to_string(inst->port_);
        // Fragments may use placeholders too (e.g. ca_certs_file=${ca_cert}).
        vars["features"] = substitute(req.features_text, vars, m.file.string() + " <feature>");
        for (const TemplateFile& t : m.files) {
            std::string where = (m.dir() / t.template_name).string();
            std::string text = substitute(read_file(m.dir() / t.template_name), vars, where);
            fs::path into = substitute(t.into, vars, m.file.string());
            write_file(into, text, t.mode);
            write_file(req.log_dir / "config" / into.filename(), text, 0644);
        }
        for (const std::string& command : m.prepare) {
            run_prepare(split_words(substitute(command, vars, m.file.string())), req);
        }
        ProcessSpec spec;
        spec.argv = split_words(substitute(m.argv, vars, m.file.string()));
        spec.cwd = rundir;
        spec.stdout_path = req.log_dir / "server.stdout.log";
        spec.stderr_path = req.log_dir / "server.stderr.log";
        spec.stdin_to_stderr_log = m.argv_stdin_to_stderr;
        // The reference server (this binary, `serve`) serves sessions on threads and starts
        // no process, so nothing of it can escape its process group: the PID namespace, two
        // more processes per start (ci/bench: 11% of reference x reference's CPU), buys
        // nothing. Every other server forks per session and keeps it.
        spec.pid_namespace = spec.argv.empty() || spec.argv.front() != self_binary().string();
        inst->process_ = Process::start(spec);
        Readiness ready =
            wait_ready(host, inst->port_, implicit ? std::string() : m.ready_banner,
                       Deadline::after(m.ready_within), req.cancel, inst->process_.get());
        if (ready.ready) {
            return inst;
        }
        last_error = ready.error;
        bool port_clash = last_error.find("in use") != std::string::npos;
        inst->process_->stop();
        if (!port_clash) {
            break;
        }
    }
    throw HarnessError(m.name + " did not become ready on " + host + ":" +
                       std::to_string(inst->port_) + ": " + last_error);
}

ServerInstance::~ServerInstance() {
    stop();
    if (request_.ports != nullptr) {
        for (auto [first, last] : leases_) {
            request_.ports->release(first, last);
        }
    }
    std::error_code ec;
    fs::remove_all(work_dir_, ec);
}

Target ServerInstance::target() const {
    Target t;
    t.host = request_.host;
    t.port = port_;
    t.user = request_.credentials->user;
    t.password = request_.credentials->password;
    t.features = request_.features;
    t.ca_file = request_.pki->ca_cert;
    t.pki = *request_.pki;
    t.verify_name = request_.host;
    return t;
}

std::optional<int> ServerInstance::exited() {
    if (process_ && !process_->running()) {
        return process_->exit_status();
    }
    return std::nullopt;
}

std::optional<std::string> ServerInstance::exit_description(Millis grace) {
    if (!process_) {
        return std::nullopt;
    }
    if (grace > Millis(0)) {
        process_->wait(Deadline::after(grace), request_.cancel);
    }
    return process_->exit_description();
}

void ServerInstance::stop() {
    if (process_) {
        process_->stop();
    }
}

int ServerInstance::activity() const {
    if (!process_) {
        return 0;
    }
    int threads = 0;
    for (const ProcEntry& e : read_tree(process_->pid())) {
        if (e.state != 'Z') {
            threads += e.threads;
        }
    }
    return threads;
}

void ServerInstance::reset_home() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(home_, ec)) {
        fs::remove_all(entry.path(), ec);
    }
}

void ServerInstance::keep_work_dir(const fs::path& dest) const {
    std::error_code ec;
    fs::create_directories(dest, ec);
    fs::copy(work_dir_, dest, fs::copy_options::recursive | fs::copy_options::overwrite_existing,
             ec);
}

}  // namespace fc
