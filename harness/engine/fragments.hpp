#pragma once
// How a manifest's fragments realise a set of names (server features, client settings):
// the fragments naming most names first, each used only when every name it realises is
// asked for and still unrealised. One rule for servers and clients.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace fc {

/// The fragments of `all` that realise `wanted`, in the order they were chosen (largest
/// first, manifest order among equals); `names(fragment)` is its sorted name list. Returns
/// nullopt and sets `*missing` (sorted) when some name has no fragment left.
template <typename Fragment, typename Names>
std::optional<std::vector<const Fragment*>> choose_fragments(const std::vector<Fragment>& all,
                                                             std::vector<std::string> wanted,
                                                             Names names,
                                                             std::vector<std::string>* missing) {
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<const Fragment*> fragments;
    for (const Fragment& f : all) {
        fragments.push_back(&f);
    }
    std::stable_sort(fragments.begin(), fragments.end(), [&](const Fragment* a, const Fragment* b) {
        return names(*a).size() > names(*b).size();
    });
    std::vector<const Fragment*> used;
    for (const Fragment* f : fragments) {
        const std::vector<std::string>& own = names(*f);
        bool usable = std::all_of(own.begin(), own.end(), [&](const std::string& name) {
            return std::binary_search(wanted.begin(), wanted.end(), name);
        });
        if (!usable) {
            continue;
        }
        used.push_back(f);
        for (const std::string& name : own) {
            wanted.erase(std::find(wanted.begin(), wanted.end(), name));
        }
    }
    if (!wanted.empty()) {
        *missing = wanted;
        return std::nullopt;
    }
    return used;
}

}  // namespace fc
