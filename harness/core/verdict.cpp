#include "harness/core/verdict.hpp"

#include <array>
#include <utility>

namespace fc {

namespace {
constexpr std::array<std::pair<Verdict, std::string_view>, 6> kNames{{
    {Verdict::pass, "pass"},
    {Verdict::fail, "fail"},
    {Verdict::error, "error"},
    {Verdict::unsupported, "unsupported"},
    {Verdict::xfail, "xfail"},
    {Verdict::xpass, "xpass"},
}};
}  // namespace

std::string_view to_string(Verdict v) {
    for (const auto& [verdict, name] : kNames) {
        if (verdict == v) {
            return name;
        }
    }
    return "error";
}

std::optional<Verdict> verdict_from_string(std::string_view name) {
    for (const auto& [verdict, text] : kNames) {
        if (text == name) {
            return verdict;
        }
    }
    return std::nullopt;
}

}  // namespace fc
