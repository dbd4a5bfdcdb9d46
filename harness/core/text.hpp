#pragma once
// Small text helpers the layers share, so that each exists once.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace fc {

/// The items of `items` (each turned into text by `project`, which by default takes the
/// item as it is) with `separator` between them: "a" and "b" joined with ", " give "a, b".
template <typename Range, typename Project = std::identity>
std::string join(Range&& items, std::string_view separator, Project project = {}) {
    std::string out;
    bool first = true;
    for (const auto& item : items) {
        if (!first) {
            out += separator;
        }
        first = false;
        out += std::invoke(project, item);
    }
    return out;
}

/// `text` with ASCII letters in upper case; other bytes as they are.
std::string upper(std::string_view text);

/// `text` without leading and trailing whitespace (space, tab, CR, LF, VT, FF).
std::string trim(std::string_view text);

/// The whole content of the file at `path`, as bytes. Throws HarnessError naming the file when
/// it cannot be read.
std::string read_file(const std::filesystem::path& path);

/// A duration for reports: seconds with one decimal ("2.5"); negative or not finite as "0.0".
std::string seconds(double value);

/// The value of a hexadecimal digit (0-9, a-f, A-F), or -1 when `c` is not one.
int hex_value(char c);

/// The candidate closest to `word` by edit distance, or "" when none is close enough to be a
/// plausible typo. Used for "did you mean" hints.
std::string closest_match(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace fc
