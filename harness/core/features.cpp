#include "harness/core/features.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace fc {

namespace {
constexpr std::array<std::string_view, 13> kServerFeatures{
    "tls-required",
    "data-tls-required",
    "reuse-required",
    "reuse-optional",
    "verify-client",
    "verify-client-optional",
    "implicit",
    "min-tls12",
    "tls13-only",
    "ccc",
    "foreign-data-allowed",
    "anonymous",
    "auth-ssl",
};

// Each name is a switch the reference server implements (issue 6); the scripted test
// peer implements the ones the shipped scenarios use today.
constexpr std::array<std::string_view, 8> kMisbehaviours{
    "auth-tls-334",           // answers AUTH TLS with 334 instead of 234
    "auth-no-handshake",      // answers 234, then never completes a handshake
    "feat-hides-auth-tls",    // FEAT omits the AUTH TLS line
    "feat-hides-pbsz-prot",   // FEAT omits PBSZ and PROT
    "prot-without-pbsz",      // accepts PROT before PBSZ
    "prot-s-accepted",        // answers 200 to PROT S / PROT E
    "prot-unknown-accepted",  // answers 200 (not 504) to an unknown PROT level
    "prot-c-refused",         // refuses PROT C with 534 although no policy asks for it
};

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
            diag = up;
        }
    }
    return row[b.size()];
}
}  // namespace

std::span<const std::string_view> known_server_features() {
    return kServerFeatures;
}
std::span<const std::string_view> known_misbehaviours() {
    return kMisbehaviours;
}

bool is_known_server_feature(std::string_view name) {
    return std::find(kServerFeatures.begin(), kServerFeatures.end(), name) != kServerFeatures.end();
}
bool is_known_misbehaviour(std::string_view name) {
    return std::find(kMisbehaviours.begin(), kMisbehaviours.end(), name) != kMisbehaviours.end();
}

std::string closest_match(std::string_view word, std::span<const std::string_view> candidates) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (auto candidate : candidates) {
        std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = std::string(candidate);
        }
    }
    return best;
}

}  // namespace fc
