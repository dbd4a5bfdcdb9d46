#include "harness/scenario/scenario.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace fc {

std::string_view to_string(Level level) {
    switch (level) {
        case Level::must: return "must";
        case Level::should: return "should";
        case Level::interop: return "interop";
        case Level::info: return "info";
    }
    return "must";
}

bool CodePattern::matches(int code) const {
    std::string digits = std::to_string(code);
    if (digits.size() != 3 || pattern.size() != 3) {
        return false;
    }
    for (std::size_t i = 0; i < 3; ++i) {
        if (pattern[i] != 'x' && pattern[i] != digits[i]) {
            return false;
        }
    }
    return true;
}

std::string ReplyExpectation::describe() const {
    std::string out = "code ";
    for (std::size_t i = 0; i < codes.size(); ++i) {
        out += (i ? "|" : "") + codes[i].pattern;
    }
    if (!text_regex.empty()) {
        out += " and text /" + text_regex + "/";
    }
    for (const auto& line : line_regexes) {
        out += " and a line /" + line + "/";
    }
    return out;
}

namespace {

// The names of an enum's values, in the enum's order.
template <typename Enum, std::size_t N>
std::string_view name_of(Enum value, const std::array<std::string_view, N>& names) {
    return names.at(static_cast<std::size_t>(value));
}

}  // namespace

std::string_view to_string(ResumeFrom resume) {
    return name_of(resume, std::array<std::string_view, 3>{"control", "none", "other"});
}

std::string_view to_string(DataHandshake handshake) {
    return name_of(handshake,
                   std::array<std::string_view, 3>{"after-command", "before-command", "garbage"});
}

std::string_view to_string(DataExpect expect) {
    return name_of(expect,
                   std::array<std::string_view, 4>{"success", "failure", "any", "if-accepted"});
}

std::string_view to_string(TlsChannel channel) {
    return name_of(channel, std::array<std::string_view, 2>{"control", "data"});
}

bool StepGuard::applies(const std::vector<std::string>& features) const {
    auto has = [&](const std::string& f) {
        return std::find(features.begin(), features.end(), f) != features.end();
    };
    return std::all_of(if_features.begin(), if_features.end(), has) &&
           std::none_of(unless_features.begin(), unless_features.end(), has);
}

std::string_view Step::kind() const {
    static constexpr std::array<std::string_view, std::variant_size_v<StepBody>> kKinds{
        "connect",      "send",     "expect",         "tls-handshake", "login",
        "tls-shutdown", "send-raw", "expect-close",   "data-open",     "transfer",
        "tls-assert",   "pause",    "tls-hello-probe"};
    return kKinds[body.index()];
}

std::string_view ClientStep::kind() const {
    static constexpr std::array<std::string_view, std::variant_size_v<ClientStepBody>> kKinds{
        "seed", "client", "log-expect", "log-order"};
    return kKinds[body.index()];
}

std::string EventPattern::describe() const {
    std::string out = event;
    for (const auto& f : where) {
        out += " " + f.name + "=" + f.value;
    }
    return out;
}

std::optional<Level> quote_level(std::string_view quote) {
    // Whole words only, any case: "must" in "mustn't" counts, "mayor" does not, and neither
    // does "required" inside an identifier such as the alert name "certificate_required".
    auto word_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    };
    std::optional<Level> strongest;
    std::size_t i = 0;
    while (i < quote.size()) {
        if (!word_char(quote[i])) {
            ++i;
            continue;
        }
        std::size_t start = i;
        while (i < quote.size() && word_char(quote[i])) {
            ++i;
        }
        std::string word(quote.substr(start, i - start));
        for (char& c : word) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        std::optional<Level> level;
        if (word == "MUST" || word == "SHALL" || word == "REQUIRED") {
            level = Level::must;
        } else if (word == "SHOULD" || word == "RECOMMENDED") {
            level = Level::should;
        } else if (word == "MAY" || word == "OPTIONAL") {
            level = Level::info;
        }
        // Level's order is must < should < interop < info: the smaller is the stronger.
        if (level && (!strongest || *level < *strongest)) {
            strongest = level;
        }
    }
    return strongest;
}

std::string conflict_reason(const Scenario& scenario,
                            const std::vector<std::string>& server_features) {
    std::string names;
    for (const auto& f : scenario.conflicting_features) {
        if (std::find(server_features.begin(), server_features.end(), f) != server_features.end()) {
            names += (names.empty() ? "" : " ") + f;
        }
    }
    if (names.empty()) {
        return "";
    }
    return "needs a server without " + names + " (it has " +
           (names.find(' ') == std::string::npos ? "it" : "them") + ")";
}

std::span<const std::string_view> known_variables() {
    static constexpr std::array<std::string_view, 4> kVariables{"user", "password", "host", "port"};
    return kVariables;
}

std::span<const std::string_view> wire_expect_kinds() {
    // The names of harness/wire/check.hpp's WireKind (wire_expect_test checks they agree).
    static constexpr std::array<std::string_view, 6> kKinds{"data-protected", "tls-version",
                                                            "data-resumed",   "client-cert-sent",
                                                            "close-notify",   "no-clear-data"};
    return kKinds;
}

}  // namespace fc
