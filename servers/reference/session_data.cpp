// The data side of a session: PASV/EPSV listeners, PORT/EPRT targets, and one transfer
// per command over a clear or TLS-protected data connection (the server is always the
// TLS server there, RFC 4217 7), with the session-reuse check and close_notify handling.
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <thread>

#include "harness/core/text.hpp"
#include "servers/reference/session.hpp"

namespace fc::ref {

namespace {

constexpr Millis kDataConnectTimeout{20000};
constexpr Millis kDataIoTimeout{60000};
constexpr Millis kHandshakeTimeout{20000};
constexpr Millis kBentTimeout{2000};
constexpr std::size_t kTailLostLimit = 64 * 1024;
// How long a command line that began to arrive during a download may take to complete.
constexpr Millis kMidTransferLineTimeout{2000};
// Commands held back during a transfer; beyond this many the control connection is no
// longer read until the transfer ends (a flood cannot grow the queue).
constexpr std::size_t kMaxQueuedLines = 16;

// Watches the control socket while a download runs and raises a flag when input arrives,
// so that a data write the client no longer drains (it sent ABOR and stopped reading) is
// interrupted. RFC 4217 14: under TLS there is no urgent data to raise SIGURG, so the
// server must look at the control channel itself. Only the socket is polled, never the
// TLS object, which the session thread owns.
class ControlWatch {
public:
    ControlWatch(int fd, bool already) : fd_(fd) { arm(already); }
    ~ControlWatch() { disarm(); }
    ControlWatch(const ControlWatch&) = delete;
    ControlWatch& operator=(const ControlWatch&) = delete;

    /// Starts watching again (after the input was read); `already`: input is buffered.
    void arm(bool already) {
        disarm();
        input_.store(already);
        done_.store(false);
        if (!already) {
            thread_ = std::thread([this] { watch(); });
        }
    }
    void disarm() {
        done_.store(true);
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    bool input() const { return input_.load(); }
    const std::atomic<bool>* flag() const { return &input_; }

private:
    void watch() {
        while (!done_.load()) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) > 0) {  // input, or the peer closed (POLLHUP/POLLERR)
                input_.store(true);
                return;
            }
        }
    }

    int fd_;
    std::atomic<bool> input_{false};
    std::atomic<bool> done_{false};
    std::thread thread_;
};

class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void add(std::string_view bytes) { EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()); }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_DigestFinal_ex(ctx_, md, &len);
        std::string out;
        char buf[3];
        for (unsigned int i = 0; i < len; ++i) {
            std::snprintf(buf, sizeof buf, "%02x", md[i]);
            out += buf;
        }
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        std::size_t at = s.find(sep, start);
        parts.push_back(s.substr(start, at - start));
        if (at == std::string::npos) {
            return parts;
        }
        start = at + 1;
    }
}

}  // namespace

void Session::reset_data() {
    data_mode_.clear();
    pasv_listener_.reset();
    port_host_.clear();
    port_port_ = 0;
}

bool Session::data_protected() const {
    if (has("implicit")) {
        return !(ccc_done_ && bad("ccc-drops-data-protection"));
    }
    bool p = prot_ == 'P';
    if (bad("prot-level-fixed-at-pasv") && !data_mode_.empty()) {
        p = prot_at_setup_;
    }
    if (ccc_done_ && bad("ccc-drops-data-protection")) {
        p = false;
    }
    return p;
}

void Session::cmd_pasv(const Command& cmd) {
    bool epsv = cmd.verb == "EPSV";
    bool ipv6 = config_.host.find(':') != std::string::npos;
    const std::string own_proto = ipv6 ? "2" : "1";
    if (!epsv && ipv6 && !bad("pasv-ipv6-dead-port")) {
        reply(522, "PASV has no IPv6 form, use EPSV (2)");
        return;
    }
    if (bad(epsv ? "epsv-refused" : "pasv-refused")) {
        reply(502, cmd.verb + " not implemented");
        return;
    }
    if (!epsv && epsv_all_ && !bad("epsv-all-ignored")) {
        reply(520, "PASV refused after EPSV ALL, use EPSV");
        return;
    }
    if (epsv && !cmd.arg.empty()) {
        const std::string a = upper(cmd.arg);
        if (a == "ALL") {
            epsv_all_ = true;
            reply(200, "EPSV ALL ok: only EPSV from now on");
            return;
        }
        if (!all_digits(a)) {
            reply(501, "EPSV takes a network protocol number or ALL");
            return;
        }
        if (a != own_proto && !bad("epsv-bad-proto-accepted")) {
            reply(522, "Network protocol not supported, use (" + own_proto + ")");
            return;
        }
    }
    if (bad("pasv-needs-prot-p") && has("data-tls-required") && prot_ != 'P') {
        // RFC 4217 10.2 says to check the level at the transfer command, not here.
        reply(521, "Data connections must be protected: PROT P before " + cmd.verb);
        return;
    }
    reset_data();
    std::string error;
    pasv_listener_ = shared_.ports.listen(config_.host, &error);
    if (!pasv_listener_) {
        reply(425, "Cannot open a passive data port: " + error);
        return;
    }
    std::uint16_t port = local_port(pasv_listener_.get());
    if (epsv ? bad("epsv-dead-port") : ipv6 && bad("pasv-ipv6-dead-port")) {
        // Announce the port, then stop listening on it: the client's connection is refused
        // and the transfer command finds no data connection (425).
        pasv_listener_.reset();
    }
    data_mode_ = epsv ? "epsv" : "pasv";
    // the level that counts is the one in force at the transfer; a misbehaviour fixes it here
    prot_at_setup_ = prot_ == 'P';
    if (epsv) {
        if (bad("epsv-format-wrong")) {
            reply(229, "Entering Extended Passive Mode, port " + std::to_string(port));
        } else {
            reply(229, "Entering Extended Passive Mode (|||" + std::to_string(port) + "|)");
        }
        return;
    }
    // On IPv6 only pasv-ipv6-dead-port gets here: a 227 has only an IPv4 form.
    std::string host = bad("pasv-foreign-address") ? "127.0.0.2"
                       : ipv6                      ? "127.0.0.1"
                                                   : config_.host;
    std::replace(host.begin(), host.end(), '.', ',');
    reply(227, "Entering Passive Mode (" + host + "," + std::to_string(port / 256) + "," +
                   std::to_string(port % 256) + ")");
}

void Session::cmd_port(const Command& cmd) {
    bool eprt = cmd.verb == "EPRT";
    std::string host;
    long port = -1;
    if (eprt) {
        const std::string& a = cmd.arg;
        if (a.size() < 7) {
            reply(501, "EPRT needs |proto|address|port|");
            return;
        }
        std::vector<std::string> f = split(a.substr(1), a[0]);
        if (f.size() != 4 || !f[3].empty() || !all_digits(f[0]) || !all_digits(f[2]) ||
            f[2].size() > 5) {
            reply(501, "EPRT needs |proto|address|port|");
            return;
        }
        if (f[0] != "1" && f[0] != "2" && !bad("eprt-bad-proto-accepted")) {
            reply(522, "Network protocol not supported, use (1,2)");
            return;
        }
        unsigned char buf[16];
        bool ok = ::inet_pton(f[0] == "2" ? AF_INET6 : AF_INET, f[1].c_str(), buf) == 1;
        if (!ok && !bad("eprt-bad-proto-accepted")) {
            reply(501, "EPRT: bad network address");
            return;
        }
        host = f[1];
        port = std::stol(f[2]);
    } else {
        std::vector<std::string> f = split(cmd.arg, ',');
        bool ok = f.size() == 6;
        for (const auto& n : f) {
            ok = ok && all_digits(n) && n.size() <= 3 && std::stoi(n) <= 255;
        }
        if (!ok) {
            reply(501, "PORT needs h1,h2,h3,h4,p1,p2");
            return;
        }
        host = f[0] + "." + f[1] + "." + f[2] + "." + f[3];
        port = std::stol(f[4]) * 256 + std::stol(f[5]);
    }
    if (port <= 0 || port > 65535) {
        reply(501, "Bad port number");
        return;
    }
    if (port < 1024 && !bad("port-privileged-accepted")) {
        // RFC 2577 3: no data connections to well-known ports (the bounce attack); 504 is
        // the suggested reply.
        log_.write(log_.event(id_, "refused")
                       .str("what", "privileged-port")
                       .str("detail", cmd.verb + " to port " + std::to_string(port)));
        reply(504, cmd.verb + " to a port below 1024 is refused");
        return;
    }
    if (epsv_all_ && !bad("epsv-all-ignored")) {
        reply(520, cmd.verb + " refused after EPSV ALL, use EPSV");
        return;
    }
    if (host != peer_ip_ && !has("foreign-data-allowed")) {
        log_.write(
            log_.event(id_, "refused")
                .str("what", "foreign-port")
                .str("detail", cmd.verb + " to " + host + " (control peer " + peer_ip_ + ")"));
        reply(504, cmd.verb + " to another address than the control connection's is refused");
        return;
    }
    reset_data();
    data_mode_ = eprt ? "eprt" : "port";
    port_host_ = host;
    port_port_ = static_cast<std::uint16_t>(port);
    prot_at_setup_ = prot_ == 'P';
    reply(200, cmd.verb + " command successful");
}

UniqueFd Session::open_data_connection(std::string* error) {
    Deadline until = Deadline::after(kDataConnectTimeout);
    if (data_mode_ == "port" || data_mode_ == "eprt") {
        // port-connect-foreign-source: every active data connection after the server's
        // first comes from 127.0.0.2, another address than the control connection's (a
        // client should refuse it, RFC 2577 4); the first shows the client can do active.
        static std::atomic<int> active_connections{0};
        bool foreign = bad("port-connect-foreign-source") && active_connections++ > 0;
        return tcp_connect(port_host_, port_port_, until, stop_, error, foreign ? "127.0.0.2" : "");
    }
    while (pasv_listener_) {
        std::string ip;
        UniqueFd fd = tcp_accept(pasv_listener_.get(), until, stop_, error, &ip);
        if (!fd) {
            return fd;
        }
        if (ip == peer_ip_ || has("foreign-data-allowed")) {
            return fd;
        }
        log_.write(log_.event(id_, "refused")
                       .str("what", "foreign-passive")
                       .str("detail", "data connection from " + remote_address(fd.get()) +
                                          " (control peer " + peer_ip_ + ")"));
    }
    *error = "no passive listener";
    return {};
}

std::unique_ptr<TlsStream> Session::protect_data(int fd, bool active, int number, Millis timeout,
                                                 bool* refused) {
    *refused = false;
    Deadline until = Deadline::after(timeout);
    if (active && bad("data-port-tls-client")) {
        TlsClientOptions o;
        o.verify_peer = false;
        TlsHandshakeResult r = TlsStream::connect(fd, o, until, stop_);
        log_tls("data", number, r, data_binding_);
        return std::move(r.stream);
    }
    const TlsServerContext* ctx = &shared_.tls;
    if (bad("data-other-cert") && shared_.tls_other_name != nullptr) {
        ctx = shared_.tls_other_name;
    } else if (bad("data-session-not-resumable") ||
               (bad("data-session-resumable-once") && data_tls_count_ >= 1)) {
        ctx = &shared_.tls_fresh;
    }
    ++data_tls_count_;
    data_binding_ = TlsBinding{id_, 0};
    TlsBinding* binding = &data_binding_;
    bool differ = bad("data-tls-version-differs");
    bool control13 = control_version_ == "TLSv1.3";
    TlsHandshakeResult r =
        TlsStream::accept(fd, *ctx, until, stop_, [binding, differ, control13](SSL* ssl) {
            bind_connection(ssl, binding);
            // Data connections issue tickets as usual (curl resumes the newest one); lftp
            // 4.9 with GnuTLS sometimes cuts an upload short when one arrives (451 here).
            if (differ && control13) {
                SSL_set_max_proto_version(ssl, TLS1_2_VERSION);
            } else if (differ) {
                SSL_set_min_proto_version(ssl, TLS1_3_VERSION);
            }
        });
    log_tls("data", number, r, data_binding_);
    if (!r.stream) {
        return nullptr;
    }
    if (has("reuse-required") && !has("reuse-optional")) {
        int from = resumed_from(r.stream->native_handle(), data_binding_);
        if (!r.stream->facts().resumed || from != id_) {
            *refused = true;
            std::string detail =
                !r.stream->facts().resumed
                    ? "the data connection did not resume a TLS session (full handshake)"
                    : "the data connection resumed the TLS session of session " +
                          std::to_string(from) + ", not of its own control connection";
            log_.write(log_.event(id_, "refused").str("what", "reuse").str("detail", detail));
            return nullptr;
        }
    }
    return std::move(r.stream);
}

void Session::cmd_transfer(const Command& cmd) {
    const std::string& v = cmd.verb;
    if (data_mode_.empty()) {
        reply(425, "Use PORT, PASV, EPRT or EPSV first");
        return;
    }
    bool protect = data_protected();
    // When a misbehaviour bent the protection level, the client expects the other kind of
    // data connection and both sides would wait: short deadlines end it quickly.
    bool strict = has("implicit") || asked_prot_ == 'P';
    bool bent = strict != (protect && !bad("data-no-tls"));
    Millis io_timeout = bent ? kBentTimeout : kDataIoTimeout;
    if (has("data-tls-required") && !protect) {
        reset_data();
        reply(521, "Data connections must be protected: use PROT P");
        return;
    }
    bool upload = v == "STOR" || v == "APPE";
    bool listing = v == "LIST" || v == "NLST" || v == "MLSD";
    std::string listing_text;
    UniqueFd file;
    std::uint64_t offset = rest_;
    rest_ = 0;
    if (listing) {
        auto r = v == "LIST"   ? vfs_->list(cmd.arg)
                 : v == "NLST" ? vfs_->nlst(cmd.arg)
                               : vfs_->mlsd(cmd.arg);
        if (auto* e = std::get_if<VfsError>(&r)) {
            reset_data();
            reply(e->code, e->message);
            return;
        }
        listing_text = std::get<std::string>(r);
    } else if (upload) {
        bool append = v == "APPE" && !bad("appe-overwrites");
        // rest-stor-ignored: the REST offset is dropped, the upload replaces the file.
        std::uint64_t at = append || bad("rest-stor-ignored") ? 0 : offset;
        auto r = vfs_->open_write(cmd.arg, append, at);
        if (auto* e = std::get_if<VfsError>(&r)) {
            reset_data();
            reply(e->code, e->message);
            return;
        }
        file = std::move(std::get<UniqueFd>(r));
    } else {
        auto r = vfs_->open_read(cmd.arg, offset);
        if (auto* e = std::get_if<VfsError>(&r)) {
            reset_data();
            reply(e->code, e->message);
            return;
        }
        file = std::move(std::get<UniqueFd>(r));
    }
    bool active = data_mode_ == "port" || data_mode_ == "eprt";
    std::string mode = data_mode_;
    reply(150, std::string("Opening ") + (protect ? "protected" : "clear") +
                   " data connection for " + v + (cmd.arg.empty() ? "" : " " + cmd.arg));
    std::string error;
    UniqueFd dfd = open_data_connection(&error);
    reset_data();
    if (!dfd) {
        reply(425, "Cannot open the data connection: " + error);
        return;
    }
    int number = ++data_count_;
    log_.write(log_.event(id_, "data-open")
                   .num("data", number)
                   .str("mode", mode)
                   .str("peer", remote_address(dfd.get()))
                   .flag("protected", protect && !bad("data-no-tls")));
    if (!active && bad("data-early-bytes-dropped")) {
        // What the client sent before the command (a ClientHello, curl's order) is lost.
        char sink[4096];
        while (::recv(dfd.get(), sink, sizeof sink, MSG_DONTWAIT) > 0) {
        }
    }
    std::unique_ptr<TlsStream> tls;
    if (protect && !bad("data-no-tls")) {
        bool refused = false;
        tls = protect_data(dfd.get(), active, number, bent ? kBentTimeout : kHandshakeTimeout,
                           &refused);
        if (!tls) {
            dfd.reset();
            if (refused) {
                reply(522,
                      "TLS session reuse required: the data connection must resume the "
                      "control connection's TLS session");
            } else if (bad("data-tls-failure-226")) {
                reply(226, "Transfer complete");
            } else {
                reply(522, "TLS negotiation on the data connection failed");
            }
            return;
        }
        if (bad("prot-p-forgotten")) {
            prot_ = 'C';  // the next transfer goes in clear although PROT P is in force
        }
    }
    Sha256 sha;
    std::uint64_t bytes = 0;
    bool complete = false;
    bool aborted = false;  // by ABOR during a download
    std::string problem;
    bool cut_short = false;  // a protected upload ended without close_notify (FIN or reset)
    bool cut = false;        // download-cut-226: the download was cut short on purpose
    const char* direction = upload ? "upload" : listing ? "listing" : "download";
    if (upload) {
        char buf[65536];
        std::uint64_t stored = 0;
        for (;;) {
            Deadline d = Deadline::after(io_timeout);
            IoResult r = tls ? tls->read_some(buf, sizeof buf, d, stop_)
                             : recv_some(dfd.get(), buf, sizeof buf, d, stop_);
            if (r.status == IoStatus::closed) {
                complete = tls ? tls->facts().close_notify_received : true;
                if (!complete) {
                    // A FIN or a reset (read_some reports both as closed).
                    problem = "data connection closed without TLS close_notify";
                    cut_short = true;
                }
                break;
            }
            if (!r.ok()) {
                problem = "data connection " + std::string(to_string(r.status)) + ": " + r.error;
                break;
            }
            std::string_view chunk(buf, r.bytes);
            sha.add(chunk);
            bytes += r.bytes;
            std::string_view keep = chunk;
            if (bad("upload-tail-lost")) {
                std::uint64_t room = stored < kTailLostLimit ? kTailLostLimit - stored : 0;
                keep = chunk.substr(
                    0, static_cast<std::size_t>(std::min<std::uint64_t>(room, chunk.size())));
            }
            std::size_t done = 0;
            while (done < keep.size()) {
                ssize_t n = ::write(file.get(), keep.data() + done, keep.size() - done);
                if (n <= 0) {
                    problem = "cannot write the file";
                    break;
                }
                done += static_cast<std::size_t>(n);
            }
            stored += done;
            if (!problem.empty()) {
                break;
            }
        }
        if (tls && complete) {
            tls->shutdown(Deadline::after(Millis(1000)), stop_, false);
        }
    } else {
        // transfer-blocks-control: the control connection is not read until the transfer
        // ends, as by a server that relies on SIGURG for ABOR (RFC 4217 14 says it should not).
        std::optional<ControlWatch> watch;
        if (!bad("transfer-blocks-control")) {
            watch.emplace(fd_.get(), lines_.has_pending());
        }
        auto send = [&](std::string_view chunk) {
            for (;;) {
                Deadline d = Deadline::after(io_timeout);
                CancelToken cancel = watch ? stop_.or_when(watch->flag()) : stop_;
                IoResult r =
                    tls ? tls->write_all(chunk, d, cancel) : send_all(dfd.get(), chunk, d, cancel);
                sha.add(chunk.substr(0, r.bytes));
                bytes += r.bytes;
                chunk.remove_prefix(r.bytes);
                if (r.ok()) {
                    return true;
                }
                if (r.status == IoStatus::cancelled && watch && watch->input() &&
                    !stop_.cancelled()) {
                    watch->disarm();
                    DuringTransfer next = command_during_transfer(bytes);
                    if (next == DuringTransfer::abort) {
                        aborted = true;
                        problem = "aborted by ABOR after " + std::to_string(bytes) + " bytes";
                        return false;
                    }
                    if (next == DuringTransfer::gone) {
                        problem = "the control connection ended during the transfer";
                        return false;
                    }
                    if (queued_lines_.size() < kMaxQueuedLines) {
                        watch->arm(lines_.has_pending());
                    } else {
                        watch.reset();  // the rest waits in the socket until the transfer ends
                    }
                    continue;
                }
                problem = "data connection " + std::string(to_string(r.status)) + ": " + r.error;
                return false;
            }
        };
        if (listing) {
            send(listing_text);
        } else {
            char buf[65536];
            for (;;) {
                ssize_t n = ::read(file.get(), buf, sizeof buf);
                if (n < 0) {
                    problem = "cannot read the file";
                    break;
                }
                if (n == 0 || !send(std::string_view(buf, static_cast<std::size_t>(n)))) {
                    break;
                }
                if (bad("download-cut-226") && tls && bytes >= kTailLostLimit) {
                    cut = true;  // the rest never goes out, and no close_notify either
                    break;
                }
                if (bad("transfer-stalls") && bytes >= kTailLostLimit) {
                    pause(Millis(24 * 3600 * 1000));  // until the server stops
                    problem = "stalled (misbehaviour)";
                    break;
                }
            }
        }
        if (watch) {
            watch->disarm();
        }
        complete = problem.empty();
        if (tls && complete && !bad("data-no-close-notify") && !cut) {
            // close_notify, then a short wait for the client's (RFC 4217 12.6)
            tls->shutdown(Deadline::after(Millis(1500)), stop_, true);
        }
    }
    if (tls) {
        const TlsFacts& f = tls->facts();
        log_.write(log_.event(id_, "tls-close")
                       .str("channel", "data")
                       .num("data", number)
                       .flag("close_notify_received", f.close_notify_received)
                       .flag("close_notify_sent", f.close_notify_sent));
    }
    log_.write(log_.event(id_, "data-close")
                   .num("data", number)
                   .str("direction", direction)
                   .num("bytes", static_cast<std::int64_t>(bytes))
                   .str("sha256", sha.hex())
                   .flag("complete", complete && !cut));
    tls.reset();
    dfd.reset();
    file.reset();
    if (aborted) {
        // RFC 959 4.1.3: 426 for the aborted transfer, then 226 for the ABOR itself.
        reply(426, "Transfer aborted: " + problem);
        reply(226, "ABOR command successful");
    } else if (complete) {
        reply(226, "Transfer complete");
    } else if (upload && cut_short) {
        if (bad("truncated-upload-accepted") || bad("upload-tail-lost")) {
            reply(226, "Transfer complete");
        } else {
            reply(451, "Upload incomplete: " + problem);
        }
    } else {
        reply(426, "Transfer aborted: " + problem);
    }
}

Session::DuringTransfer Session::command_during_transfer(std::uint64_t bytes_sent) {
    std::string line;
    Read r = read_line(&line, Deadline::after(kMidTransferLineTimeout));
    if (r == Read::timeout) {
        return DuringTransfer::resume;  // no whole line (e.g. a TLS record with no data)
    }
    if (r != Read::line && r != Read::too_long) {
        return DuringTransfer::gone;
    }
    ParseResult p = r == Read::line ? parse_command(line) : ParseResult{};
    std::string verb = p.command ? p.command->verb : "";
    if (p.command && verb != "ABOR" && verb != "STAT") {
        // Run (and logged) after the transfer, in order, like any other command.
        queued_lines_.push_back(line);
        return DuringTransfer::resume;
    }
    log_.write(log_.event(id_, "command")
                   .str("verb", verb)
                   .str("arg", p.command ? p.command->arg : line)
                   .flag("protected", tls_ != nullptr)
                   .flag("during_transfer", true));
    if (verb == "ABOR") {
        return DuringTransfer::abort;
    }
    if (verb == "STAT") {
        reply(213, "Status: transfer in progress, " + std::to_string(bytes_sent) + " bytes sent");
    } else if (r == Read::too_long) {
        reply(500, "Command line too long");
    } else {
        reply(p.code, p.message);
    }
    return DuringTransfer::resume;
}

}  // namespace fc::ref
