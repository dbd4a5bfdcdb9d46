#pragma once
// One control connection of the reference server: the RFC 959 command loop, the RFC
// 2228/4217 security commands (session_security.cpp) and the data connections
// (session_data.cpp). Runs on its own thread; every wait has a deadline and honours the
// server's stop token.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/socket.hpp"
#include "harness/tls/tls_stream.hpp"
#include "servers/reference/command.hpp"
#include "servers/reference/server.hpp"
#include "servers/reference/tls_binding.hpp"
#include "servers/reference/vfs.hpp"

namespace fc::ref {

/// "ip:port" of a connected socket's remote end; its address alone in `*ip` when given.
std::string remote_address(int fd, std::string* ip = nullptr);

class Session {
public:
    Session(const ServerShared& shared, int number, UniqueFd fd);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Serves the connection until QUIT, the peer closes, an error, idle timeout or stop.
    void run();

private:
    enum class Read { line, too_long, closed, timeout, cancelled, failed };
    /// The next command line: a line queued during a transfer first, then the socket.
    /// `until` replaces the idle timeout (a read in the middle of a transfer).
    Read read_line(std::string* line, std::optional<Deadline> until = std::nullopt);
    /// A command line that arrived while a download ran (RFC 4217 14): ABOR ends the
    /// transfer, STAT is answered at once, anything else waits until the transfer is over.
    enum class DuringTransfer { resume, abort, gone };
    DuringTransfer command_during_transfer(std::uint64_t bytes_sent);
    /// Sends a reply: one line, or several (first "code-", middle lines as given, last
    /// "code "). `clear` writes it in clear even on a TLS control connection.
    void reply(int code, const std::vector<std::string>& lines, bool clear = false,
               bool greeting = false);
    void reply(int code, const std::string& text) { reply(code, std::vector<std::string>{text}); }
    bool write_control(std::string_view text, bool clear);
    void dispatch(const Command& cmd);
    void end(const std::string& reason);
    bool pause(Millis how_long);  ///< false when stopped meanwhile

    bool has(const char* feature) const { return config_.has(feature); }
    bool bad(const char* misbehaviour) const { return config_.bad(misbehaviour); }

    // session_security.cpp
    bool start_control_tls();
    /// weak-suites-accepted / compression-accepted: answers a ClientHello offering what
    /// OpenSSL cannot negotiate (RC4, 3DES, DES, export; DEFLATE) with a ServerHello that
    /// agrees, then closes. True when it did (the handshake is over).
    bool agree_to_weak_hello();
    void log_tls(const char* channel, int data, const TlsHandshakeResult& r,
                 const TlsBinding& binding);
    void cmd_auth(const Command& cmd);
    void cmd_pbsz(const Command& cmd);
    void cmd_prot(const Command& cmd);
    void cmd_ccc();
    void cmd_host(const Command& cmd);
    void close_control_tls();

    // session_data.cpp
    void cmd_pasv(const Command& cmd);
    void cmd_port(const Command& cmd);
    void cmd_transfer(const Command& cmd);
    void reset_data();
    bool data_protected() const;
    UniqueFd open_data_connection(std::string* error);
    std::unique_ptr<TlsStream> protect_data(int fd, bool active, int number, Millis timeout,
                                            bool* refused);

    // session.cpp: the file commands
    void cmd_files(const Command& cmd);
    std::vector<std::string> feat_lines() const;

    const ServerShared& shared_;
    const ServerConfig& config_;
    const EventLog& log_;
    CancelToken stop_;
    int id_;
    UniqueFd fd_;
    std::string peer_ip_, peer_;
    std::unique_ptr<TlsStream> tls_;
    TlsBinding control_binding_, data_binding_;
    std::string control_version_;
    LineBuffer lines_;
    std::deque<std::string> queued_lines_;  ///< commands read during a transfer, not yet run
    std::unique_ptr<Vfs> vfs_;
    bool closing_ = false;
    bool ended_ = false;

    // login
    std::string pending_user_;
    bool user_given_ = false;
    int failed_logins_ = 0;  ///< RFC 2577 5: the third one ends the session with 421
    bool logged_in_ = false;
    // security state
    bool pbsz_ = false;
    char prot_ = 'C';        ///< the level data connections get (misbehaviours may bend it)
    char asked_prot_ = 'C';  ///< the level the client set (what a strict server would use)
    bool ccc_done_ = false;
    bool epsv_all_ = false;
    // file state
    std::uint64_t rest_ = 0;
    std::optional<std::string> rename_from_;
    // data connection setup
    std::string data_mode_;  ///< "", "pasv", "epsv", "port", "eprt"
    UniqueFd pasv_listener_;
    std::string port_host_;
    std::uint16_t port_port_ = 0;
    bool prot_at_setup_ = false;
    int data_count_ = 0;      ///< data connections opened in this session
    int data_tls_count_ = 0;  ///< protected data connections since login
};

}  // namespace fc::ref
