#pragma once
// A small, strict command-line parser: --name VALUE, --name=VALUE, --flag, positionals.
// Unknown options are usage errors with a did-you-mean.
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace fc {

struct OptionSpec {
    std::string name;  ///< without dashes, e.g. "servers"
    bool takes_value = false;
    std::string value_name;  ///< for --help, e.g. "a,b"
    std::string help;
};

struct ParsedArgs {
    std::map<std::string, std::string> values;  ///< options with a value (last one wins)
    std::vector<std::string> flags;             ///< options without a value
    std::vector<std::string> positionals;

    bool has(const std::string& flag) const;
    std::optional<std::string> value(const std::string& name) const;
    /// The value split on commas, empty parts dropped.
    std::vector<std::string> list(const std::string& name) const;
};

/// Parses `args` (without the program and subcommand names). Throws UsageError.
ParsedArgs parse_args(std::span<const std::string> args, std::span<const OptionSpec> specs);

/// The options block of a --help text.
std::string options_help(std::span<const OptionSpec> specs);

/// Splits "a,b,,c" into {"a","b","c"}.
std::vector<std::string> split_commas(const std::string& text);

}  // namespace fc
