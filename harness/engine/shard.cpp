#include "harness/engine/shard.hpp"

#include "harness/core/error.hpp"

namespace fc {

namespace {

[[noreturn]] void bad_shard(const std::string& text, const std::string& why) {
    throw UsageError("--shard wants I/N with 1 <= I <= N <= " + std::to_string(kMaxShards) +
                     ", not '" + text + "'" + (why.empty() ? "" : ": " + why));
}

// Digits only (no sign, no spaces), at most 4 of them, so no overflow is possible.
int parse_part(const std::string& part, const std::string& text) {
    if (part.empty() || part.size() > 4) {
        bad_shard(text, "");
    }
    int n = 0;
    for (char c : part) {
        if (c < '0' || c > '9') {
            bad_shard(text, "");
        }
        n = n * 10 + (c - '0');
    }
    return n;
}

void fnv1a(std::uint64_t& h, const std::string& s) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
}

}  // namespace

std::pair<int, int> parse_shard(const std::string& text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string::npos) {
        bad_shard(text, "");
    }
    const int index = parse_part(text.substr(0, slash), text);
    const int count = parse_part(text.substr(slash + 1), text);
    if (count < 1 || count > kMaxShards) {
        bad_shard(text, "N must be 1-" + std::to_string(kMaxShards));
    }
    if (index < 1 || index > count) {
        bad_shard(text, "I must be 1-" + std::to_string(count));
    }
    return {index, count};
}

std::uint64_t shard_key_hash(const std::string& server, const std::string& client,
                             const std::string& area, const std::string& scenario_id) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    const std::string slash = "/";
    fnv1a(h, server);
    fnv1a(h, slash);
    fnv1a(h, client);
    fnv1a(h, slash);
    fnv1a(h, area);
    fnv1a(h, slash);
    fnv1a(h, scenario_id);
    return h;
}

int shard_of(const PlannedCell& cell, int count) {
    const std::string area = cell.scenario != nullptr ? cell.scenario->area : "";
    const std::string id = cell.scenario != nullptr ? cell.scenario->id : "";
    const std::uint64_t h = shard_key_hash(cell.server_name, cell.client_name, area, id);
    return static_cast<int>(h % static_cast<std::uint64_t>(count)) + 1;
}

std::vector<PlannedCell> shard_cells(const std::vector<PlannedCell>& cells, int index, int count) {
    if (count < 1 || count > kMaxShards || index < 1 || index > count) {
        throw UsageError("shard " + std::to_string(index) + "/" + std::to_string(count) +
                         " is out of range");
    }
    std::vector<PlannedCell> out;
    for (const PlannedCell& cell : cells) {
        if (shard_of(cell, count) == index) {
            out.push_back(cell);
        }
    }
    return out;
}

}  // namespace fc
