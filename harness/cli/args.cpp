#include "harness/cli/args.hpp"

#include <algorithm>

#include "harness/core/error.hpp"
#include "harness/core/text.hpp"

namespace fc {

bool ParsedArgs::has(const std::string& flag) const {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<std::string> ParsedArgs::list(const std::string& name) const {
    auto v = value(name);
    return v ? split_commas(*v) : std::vector<std::string>{};
}

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string::npos) {
            comma = text.size();
        }
        if (comma > start) {
            out.push_back(text.substr(start, comma - start));
        }
        start = comma + 1;
    }
    return out;
}

ParsedArgs parse_args(std::span<const std::string> args, std::span<const OptionSpec> specs) {
    ParsedArgs parsed;
    bool only_positionals = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (only_positionals || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
            if (!only_positionals && arg.size() > 1 && arg[0] == '-' && arg != "-") {
                throw UsageError("unknown option '" + arg + "' (options are spelled --name)");
            }
            parsed.positionals.push_back(arg);
            continue;
        }
        if (arg == "--") {
            only_positionals = true;
            continue;
        }
        std::string name = arg.substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        auto spec = std::find_if(specs.begin(), specs.end(),
                                 [&](const OptionSpec& s) { return s.name == name; });
        if (spec == specs.end()) {
            std::vector<std::string_view> names;
            for (const auto& s : specs) {
                names.push_back(s.name);
            }
            std::string hint = closest_match(name, names);
            throw UsageError("unknown option '--" + name + "'" +
                             (hint.empty() ? "" : " (did you mean --" + hint + "?)"));
        }
        if (!spec->takes_value) {
            if (inline_value) {
                throw UsageError("option --" + name + " takes no value");
            }
            parsed.flags.push_back(name);
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= args.size()) {
                throw UsageError("option --" + name + " needs a value (" + spec->value_name + ")");
            }
            inline_value = args[++i];
        }
        parsed.values[name] = *inline_value;
    }
    return parsed;
}

std::string options_help(std::span<const OptionSpec> specs) {
    std::string out;
    for (const auto& s : specs) {
        std::string left = "  --" + s.name + (s.takes_value ? " " + s.value_name : "");
        if (left.size() < 26) {
            left.resize(26, ' ');
        } else {
            left += "\n" + std::string(26, ' ');
        }
        out += left + s.help + "\n";
    }
    return out;
}

}  // namespace fc
