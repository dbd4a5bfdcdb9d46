#include "harness/wire/keylog.hpp"

#include <fstream>
#include <iterator>

#include "harness/core/text.hpp"

namespace fc::wire {

bool from_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2 != 0) {
        return false;
    }
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out.push_back(static_cast<char>(hi << 4 | lo));
    }
    return true;
}

KeyLog KeyLog::parse(std::string_view text, const std::string& origin) {
    KeyLog log;
    int line_no = 0;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.remove_suffix(1);
        }
        if (line.empty() || line.front() == '#') {
            continue;
        }
        std::size_t a = line.find(' ');
        std::size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
        std::string random, secret;
        if (b == std::string_view::npos || line.find(' ', b + 1) != std::string_view::npos) {
            log.errors_.push_back(origin + ":" + std::to_string(line_no) +
                                  ": expected '<LABEL> <client_random> <secret>'");
            continue;
        }
        if (!from_hex(line.substr(a + 1, b - a - 1), random) || random.size() != 32 ||
            !from_hex(line.substr(b + 1), secret) || secret.empty()) {
            log.errors_.push_back(origin + ":" + std::to_string(line_no) +
                                  ": client random must be 64 hex digits, the secret hex");
            continue;
        }
        log.secrets_[random][std::string(line.substr(0, a))] = secret;
    }
    return log;
}

KeyLog KeyLog::read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        KeyLog log;
        log.errors_.push_back("cannot read key log " + path.string());
        return log;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parse(text, path.string());
}

const std::string* KeyLog::find(std::string_view client_random, std::string_view label) const {
    auto conn = secrets_.find(client_random);
    if (conn == secrets_.end()) {
        return nullptr;
    }
    auto it = conn->second.find(label);
    return it == conn->second.end() ? nullptr : &it->second;
}

}  // namespace fc::wire
