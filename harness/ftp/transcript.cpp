#include "harness/ftp/transcript.hpp"

#include <cstdio>
#include <fstream>

#include "harness/ftp/reply.hpp"

namespace fc {

void Transcript::sent(std::string_view channel, bool tls, std::string_view line) {
    add(Kind::sent, channel, tls, line);
}

void Transcript::received(std::string_view channel, bool tls, std::string_view line) {
    add(Kind::received, channel, tls, line);
}

void Transcript::note(std::string_view channel, std::string_view text) {
    add(Kind::note, channel, false, text);
}

void Transcript::add(Kind kind, std::string_view channel, bool tls, std::string_view text) {
    double at = std::chrono::duration<double>(Clock::now() - start_).count();
    entries_.push_back(Entry{at, kind, tls, std::string(channel), std::string(text)});
}

namespace {

std::string masked(const Transcript::Entry& e) {
    // Credentials given with --target may be real: never write a password to disk.
    if (e.kind == Transcript::Kind::sent && e.text.size() > 5 &&
        (e.text.compare(0, 5, "PASS ") == 0 || e.text.compare(0, 5, "pass ") == 0)) {
        return e.text.substr(0, 5) + "******";
    }
    return e.text;
}

const char* arrow(const Transcript::Entry& e) {
    switch (e.kind) {
        case Transcript::Kind::sent: return e.tls ? "=>" : "->";
        case Transcript::Kind::received: return e.tls ? "<=" : "<-";
        case Transcript::Kind::note: return "**";
    }
    return "**";
}

}  // namespace

std::string Transcript::render() const {
    std::string out;
    for (const auto& e : entries_) {
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "%8.3f ", e.at_s);
        out += stamp;
        out += e.channel.empty() ? "    " : e.channel;
        out += ' ';
        out += arrow(e);
        out += ' ';
        out += e.kind == Kind::note ? masked(e) : printable(masked(e), 4096);
        out += '\n';
    }
    return out;
}

std::string Transcript::excerpt(std::size_t max_lines) const {
    std::string all = render();
    // Walk back over max_lines line endings; everything after the last one walked is kept.
    std::size_t cut = all.size();
    for (std::size_t seen = 0; cut > 0; --cut) {
        if (all[cut - 1] == '\n' && cut != all.size() && ++seen == max_lines) {
            return "...\n" + all.substr(cut);
        }
    }
    return all;
}

bool Transcript::write(const std::filesystem::path& path) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << render();
    return static_cast<bool>(out);
}

}  // namespace fc
