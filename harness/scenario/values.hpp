#pragma once
// Parsers and checkers for the values written in scenario and manifest attributes.
// Each returns a problem description (or nullopt) so the caller reports it in place.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fc {

/// "5s", "500ms", "2.5s" -> milliseconds; nullopt for anything else or for zero.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
/// True for "234", "5xx", "53x".
bool is_valid_code_pattern(std::string_view pattern);
/// Splits on ASCII whitespace; no empty words.
std::vector<std::string> split_words(std::string_view text);
/// Splits on `separator`, keeping empty fields ("a,,b" gives "a", "", "b"; "" gives one "").
std::vector<std::string> split_fields(std::string_view text, char separator);
/// Splits on '|', keeping empty alternatives (so "200|" is reported); each is trimmed.
std::vector<std::string> split_alternatives(std::string_view text);
/// Trims and collapses runs of whitespace to one space.
std::string collapse_whitespace(std::string_view text);
/// The std::regex (ECMAScript) error for `pattern`, or nullopt if it compiles.
std::optional<std::string> regex_error(const std::string& pattern);
/// One problem per ${name} not in `allowed` and per unterminated "${"; each message
/// starts with `noun` ("undefined variable") and names a close match or the allowed set.
std::vector<std::string> variable_problems(std::string_view text,
                                           std::span<const std::string_view> allowed,
                                           std::string_view noun = "undefined variable");
/// Octal file mode ("0600", "644") up to 07777; nullopt otherwise.
std::optional<unsigned> parse_mode(std::string_view text);
/// "true"/"false" (also "1"/"0"); nullopt otherwise.
std::optional<bool> parse_bool(std::string_view text);
/// A byte count: "4096", "64k", "16M" (1024-based); nullopt for anything else or above
/// kMaxSize.
inline constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 30;
std::optional<std::uint64_t> parse_size(std::string_view text);

/// One bad escape found by decode_escapes: `index` is the offset of its backslash in the
/// text given.
struct EscapeProblem {
    std::size_t index = 0;
    std::string message;
};
/// Decodes \r \n \t \\ and \xNN (two hex digits); every other escape is reported and
/// left out of the result.
std::string decode_escapes(std::string_view text, std::vector<EscapeProblem>& problems);
/// True for a numeric IPv4 address in 127.0.0.0/8 or the IPv6 address ::1.
bool is_loopback_literal(const std::string& address);

}  // namespace fc
