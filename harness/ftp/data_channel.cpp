#include "harness/ftp/data_channel.hpp"

#include <openssl/evp.h>
#include <sys/socket.h>

#include <array>
#include <cstdio>
#include <regex>

namespace fc {

namespace {

std::string hex(const unsigned char* bytes, unsigned int n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(n * 2);
    for (unsigned int i = 0; i < n; ++i) {
        out += kDigits[bytes[i] >> 4];
        out += kDigits[bytes[i] & 0x0f];
    }
    return out;
}

// Streaming SHA-256; EVP_MD_CTX through unique_ptr so every path frees it.
class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
    void update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }
    std::string hex_digest() {
        std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx_.get(), md.data(), &n);
        return hex(md.data(), n);
    }

private:
    struct Free {
        void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
    };
    std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

constexpr std::size_t kHeadBytes = 64 * 1024;

}  // namespace

std::optional<HostPort> parse_pasv_reply(const Reply& reply, std::string* error) {
    if (reply.code != 227) {
        *error = "PASV was answered " + std::to_string(reply.code) + ", not 227";
        return std::nullopt;
    }
    static const std::regex kSix(R"((\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}))");
    std::smatch m;
    std::string text = reply.text();
    if (!std::regex_search(text, m, kSix)) {
        *error = "227 reply holds no h1,h2,h3,h4,p1,p2 address: " + printable(text);
        return std::nullopt;
    }
    int n[6];
    for (int i = 0; i < 6; ++i) {
        n[i] = std::stoi(m[i + 1].str());
        if (n[i] > 255) {
            *error = "227 reply has a number above 255: " + printable(text);
            return std::nullopt;
        }
    }
    HostPort hp;
    hp.host = std::to_string(n[0]) + "." + std::to_string(n[1]) + "." + std::to_string(n[2]) + "." +
              std::to_string(n[3]);
    hp.port = static_cast<std::uint16_t>(n[4] * 256 + n[5]);
    if (hp.port == 0) {
        *error = "227 reply names port 0";
        return std::nullopt;
    }
    return hp;
}

std::optional<std::uint16_t> parse_epsv_reply(const Reply& reply, std::string* error) {
    if (reply.code != 229) {
        *error = "EPSV was answered " + std::to_string(reply.code) + ", not 229";
        return std::nullopt;
    }
    // RFC 2428 3: (<d><d><d><port><d>) with the same delimiter, normally '|'.
    static const std::regex kPort(R"(\(([!-~])\1\1(\d{1,5})\1\))");
    std::smatch m;
    std::string text = reply.text();
    if (!std::regex_search(text, m, kPort)) {
        *error = "229 reply holds no (|||port|): " + printable(text);
        return std::nullopt;
    }
    long port = std::stol(m[2].str());
    if (port <= 0 || port > 65535) {
        *error = "229 reply names port " + m[2].str();
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(port);
}

std::string port_argument(const std::string& ipv4, std::uint16_t port) {
    std::string out = ipv4;
    for (char& c : out) {
        if (c == '.') {
            c = ',';
        }
    }
    return out + "," + std::to_string(port / 256) + "," + std::to_string(port % 256);
}

std::string eprt_argument(const std::string& host, std::uint16_t port) {
    bool v6 = host.find(':') != std::string::npos;
    return std::string("|") + (v6 ? "2" : "1") + "|" + host + "|" + std::to_string(port) + "|";
}

std::unique_ptr<DataConnection> DataConnection::connect(const HostPort& to,
                                                        const std::string& source,
                                                        Deadline deadline, CancelToken cancel,
                                                        std::string* error) {
    UniqueFd fd = tcp_connect(to.host, to.port, deadline, cancel, error, source);
    if (!fd) {
        return nullptr;
    }
    return std::make_unique<DataConnection>(std::move(fd), to.host, cancel);
}

DataConnection::DataConnection(UniqueFd fd, std::string peer, CancelToken cancel)
    : fd_(std::move(fd)), peer_(std::move(peer)), cancel_(cancel) {}

DataConnection::~DataConnection() = default;

TlsHandshakeResult DataConnection::protect(const TlsClientOptions& options, Deadline deadline) {
    TlsHandshakeResult r = TlsStream::connect(fd_.get(), options, deadline, cancel_);
    if (r.stream) {
        tls_ = std::move(r.stream);
        r.stream = nullptr;
    }
    return r;
}

const TlsFacts* DataConnection::tls_facts() const {
    return tls_ ? &tls_->facts() : nullptr;
}

SslSessionPtr DataConnection::tls_session() const {
    return tls_ ? tls_->session() : nullptr;
}

IoResult DataConnection::send(std::string_view data, Deadline deadline) {
    return tls_ ? tls_->write_all(data, deadline, cancel_)
                : send_all(fd_.get(), data, deadline, cancel_);
}

ReceiveResult DataConnection::receive_all(Deadline deadline, std::uint64_t max_bytes,
                                          std::uint64_t pause_at) {
    ReceiveResult out;
    Sha256 hash;
    char buf[16384];
    for (;;) {
        IoResult r = tls_ ? tls_->read_some(buf, sizeof buf, deadline, cancel_)
                          : recv_some(fd_.get(), buf, sizeof buf, deadline, cancel_);
        if (r.status == IoStatus::ok) {
            std::string_view chunk(buf, r.bytes);
            hash.update(chunk);
            out.bytes += r.bytes;
            if (out.head.size() < kHeadBytes) {
                out.head.append(chunk.substr(0, kHeadBytes - out.head.size()));
            }
            if (out.bytes > max_bytes) {
                out.status = IoStatus::failed;
                out.error = "more than " + std::to_string(max_bytes) + " bytes";
                break;
            }
            if (pause_at > 0 && out.bytes >= pause_at) {
                out.paused = true;
                break;
            }
            continue;
        }
        if (r.status == IoStatus::closed) {
            out.close_notify = tls_ && tls_->facts().close_notify_received;
            if (tls_ && !out.close_notify) {
                // RFC 4217 12.6: without close_notify a truncation cannot be told apart
                // from the end of the file.
                out.status = IoStatus::closed;
                out.error = "the data connection closed without close_notify after " +
                            std::to_string(out.bytes) + " bytes";
            }
            break;
        }
        out.status = r.status;
        out.error = r.error.empty() ? std::string(fc::to_string(r.status)) : r.error;
        break;
    }
    out.sha256 = hash.hex_digest();
    return out;
}

void DataConnection::finish(Deadline deadline, bool close_notify, bool reset) {
    if (reset) {
        if (tls_ && close_notify) {
            tls_->shutdown(deadline, cancel_, false);
        }
        tls_.reset();
        if (fd_) {
            linger abort{1, 0};
            ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        }
    } else if (tls_ && close_notify) {
        // Wait for the server's close_notify (or EOF): closing with its TLS 1.3 ticket
        // still unread makes the kernel send a reset, and the server loses the upload.
        tls_->shutdown(deadline, cancel_, true);
        tls_.reset();
    } else if (fd_) {
        // FIN without close_notify (a deliberate truncation, or a clear connection), then
        // drain what the server still sends so the close is orderly, not a reset.
        tls_.reset();
        ::shutdown(fd_.get(), SHUT_WR);
        char scratch[4096];
        while (recv_some(fd_.get(), scratch, sizeof scratch, deadline, cancel_).ok()) {
        }
    }
    fd_.reset();
}

std::unique_ptr<DataListener> DataListener::open(const std::string& host, std::string* error) {
    UniqueFd fd = tcp_listen(host, 0, error, 4);
    if (!fd) {
        return nullptr;
    }
    std::uint16_t port = local_port(fd.get());
    return std::unique_ptr<DataListener>(new DataListener(std::move(fd), host, port));
}

std::unique_ptr<DataConnection> DataListener::accept(Deadline deadline, CancelToken cancel,
                                                     std::string* error,
                                                     const std::string& expected_peer,
                                                     std::vector<std::string>* refused) {
    while (true) {
        std::string peer;
        UniqueFd fd = tcp_accept(fd_.get(), deadline, cancel, error, &peer);
        if (!fd) {
            return nullptr;
        }
        if (expected_peer.empty() || peer == expected_peer) {
            return std::make_unique<DataConnection>(std::move(fd), peer, cancel);
        }
        if (refused != nullptr) {
            refused->push_back(peer);
        }
    }
}

std::string make_payload(std::uint64_t size) {
    std::string out;
    out.resize(size);
    for (std::uint64_t i = 0; i < size; ++i) {
        // Bytes depend on position (mod a prime), so a dropped or repeated block shows.
        out[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
    }
    return out;
}

std::string sha256_hex(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.hex_digest();
}

}  // namespace fc
