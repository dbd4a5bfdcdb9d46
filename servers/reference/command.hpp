#pragma once
// Control-connection framing and command parsing for the reference server. Pure functions
// and a small buffer: no I/O, so the parser is unit-tested and fuzzed on its own.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fc::ref {

/// One parsed command line.
struct Command {
    std::string verb;  ///< upper-cased ASCII letters, 3 or 4 of them ("AUTH", "PASV", "CWD")
    std::string arg;   ///< everything after the first space, verbatim; "" if none
    std::string line;  ///< the whole line as received, without its line ending
};

/// The outcome of parsing one line: a command, or the reply the server owes instead.
struct ParseResult {
    std::optional<Command> command;
    int code = 0;         ///< when there is no command: 500 (syntax) or 501 (argument)
    std::string message;  ///< reply text for code, e.g. "Syntax error: empty command line"
};

/// Parses one line (without CR LF). Refuses with 500: an empty line, a verb that is not
/// 3-4 ASCII letters, a verb not followed by end of line or a single space, NUL or other
/// control characters (except that a trailing lone CR is tolerated); with 501: an argument
/// longer than `max_arg` bytes. Telnet IAC sequences (RFC 959 3.4: IP, DM, as clients send
/// before ABOR) are removed before parsing. Never throws, whatever the bytes.
ParseResult parse_command(std::string_view line, std::size_t max_arg = 1024);

/// Splits a byte stream into lines ended by LF (CR LF or a bare LF). A line longer than
/// `max_line` bytes is reported once as too long and its remaining bytes are discarded
/// up to the next LF, so a hostile peer cannot grow memory.
class LineBuffer {
public:
    explicit LineBuffer(std::size_t max_line = 2048) : max_line_(max_line) {}

    /// Appends received bytes.
    void feed(std::string_view bytes);

    enum class Status { line, too_long, none };
    /// The next complete line (without CR LF) in `*line`, `too_long` for an overlong one
    /// (then `*line` holds its first max_line bytes), or `none` until more bytes arrive.
    Status next(std::string* line);

    /// Bytes buffered that are not yet a complete line (e.g. pipelined after AUTH TLS:
    /// RFC 4217 4 says they must not be executed).
    bool has_pending() const { return !buffer_.empty() || discarding_; }
    /// Drops whatever is buffered.
    void clear();
    /// Bytes held right now (tests and the fuzzer check that this stays bounded).
    std::size_t buffered_bytes() const { return buffer_.size(); }

private:
    std::size_t max_line_;
    std::string buffer_;
    bool discarding_ = false;
};

}  // namespace fc::ref
