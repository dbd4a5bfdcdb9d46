#pragma once
// ${name} substitution for scenario text and manifest templates.
#include <map>
#include <string>
#include <string_view>

namespace fc {

using Variables = std::map<std::string, std::string, std::less<>>;

/// Replaces every ${name} in `text` with its value. Throws HarnessError naming the
/// variable and `where` if one is undefined or a "${" is unterminated (the loaders
/// reject such files first, so this means a harness bug or a template outside them).
std::string substitute(std::string_view text, const Variables& vars, std::string_view where);

}  // namespace fc
