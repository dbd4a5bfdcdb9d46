#pragma once
// FTP replies (RFC 959 4.2): single-line "ddd text" or multi-line "ddd-text" ... "ddd text".
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fc {

/// One complete reply. Lines are raw, without their line ending.
struct Reply {
    int code = 0;
    std::vector<std::string> lines;

    /// The lines joined with "\n".
    std::string text() const;
    bool multiline() const { return lines.size() > 1; }
};

/// Incremental reply parser with bounds. Feed it bytes as they arrive and take complete
/// replies out. A malformed reply puts it into a failed state with a precise message;
/// it never throws and never grows past its limits.
class ReplyParser {
public:
    struct Limits {
        std::size_t max_line = 8 * 1024;     ///< bytes in one line
        std::size_t max_lines = 2000;        ///< lines in one reply
        std::size_t max_reply = 512 * 1024;  ///< bytes in one reply
    };

    ReplyParser() = default;
    explicit ReplyParser(Limits limits) : limits_(limits) {}

    /// Adds received bytes. Parses as far as possible.
    void feed(std::string_view bytes);
    /// Takes the oldest complete reply, if any.
    std::optional<Reply> next();

    bool failed() const { return !error_.empty(); }
    /// What was wrong, e.g. "reply line does not start with a 3-digit code: \"hello\"".
    const std::string& error() const { return error_; }
    /// Bytes received but not yet taken out as replies (queued complete replies, counted
    /// with CRLF line ends, and the incomplete rest).
    std::size_t buffered() const;
    /// True once a line ended with a bare LF instead of CRLF (tolerated, recorded).
    bool saw_bare_lf() const { return saw_bare_lf_; }

private:
    void parse_lines();
    void take_line(std::string line);
    void fail(std::string message);

    Limits limits_;
    std::string pending_;           // bytes of an incomplete line
    std::optional<Reply> partial_;  // a multi-line reply still open
    std::size_t partial_bytes_ = 0;
    std::vector<Reply> complete_;
    std::string error_;
    bool saw_bare_lf_ = false;
};

/// Printable form of raw protocol text for messages: control bytes and invalid UTF-8
/// shown as \xNN, at most `max` characters (then "...").
std::string printable(std::string_view raw, std::size_t max = 200);

}  // namespace fc
