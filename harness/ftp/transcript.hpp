#pragma once
// A timestamped record of one session as the wire saw it: lines sent and received,
// whether they were protected, and notes (handshakes, closes). Written per cell.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/deadline.hpp"

namespace fc {

class Transcript {
public:
    enum class Kind { sent, received, note };

    struct Entry {
        double at_s = 0.0;  ///< seconds since the transcript began
        Kind kind = Kind::note;
        bool tls = false;     ///< carried over TLS
        std::string channel;  ///< "ctrl", "data", "" for notes about the cell
        std::string text;     ///< raw line (without CRLF) or note text
    };

    Transcript() : start_(Clock::now()) {}

    void sent(std::string_view channel, bool tls, std::string_view line);
    void received(std::string_view channel, bool tls, std::string_view line);
    void note(std::string_view channel, std::string_view text);

    const std::vector<Entry>& entries() const { return entries_; }
    /// One line per entry: "  0.012 ctrl => PBSZ 0" (-> sent, <- received, => <= over
    /// TLS, ** note). Control bytes are escaped; PASS arguments are masked.
    std::string render() const;
    /// The last `max_lines` lines of render().
    std::string excerpt(std::size_t max_lines = 30) const;
    /// Writes render() to `path`; returns false if it cannot.
    bool write(const std::filesystem::path& path) const;

private:
    void add(Kind kind, std::string_view channel, bool tls, std::string_view text);

    Clock::time_point start_;
    std::vector<Entry> entries_;
};

}  // namespace fc
