#pragma once
// Where the tool finds its data (scenarios, manifests, templates, the server installer) and
// its server prefix: an installed copy (bin/ftps-conform beside share/ftps-conform/) or the
// source tree it was built from.
#include <filesystem>
#include <string>

namespace fc {

/// Where the data folders are and how they got there.
struct DataLayout {
    /// Holds scenarios/, servers/ and clients/: `<exe>/../share/ftps-conform` for an installed
    /// binary, else the source tree.
    std::filesystem::path root;
    bool installed = false;  ///< true when `root` is an installed share/ftps-conform

    /// The script that puts the real servers into a prefix (one implementation: the source
    /// tree's ci/install-servers, installed as share/ftps-conform/install-servers).
    std::filesystem::path install_servers_script() const;
};

/// The layout for a binary at `exe`: installed when `<exe>/../share/ftps-conform` holds
/// scenarios/, servers/ and clients/; otherwise `source_dir`.
DataLayout data_layout_for(const std::filesystem::path& exe,
                           const std::filesystem::path& source_dir);

/// data_layout_for(/proc/self/exe, the compile-time source tree).
DataLayout data_layout();

/// What the default server prefix depends on besides the layout.
struct PrefixEnvironment {
    std::string prefix;         ///< $FTPS_CONFORM_PREFIX ("" when unset)
    bool root = false;          ///< effective user id 0
    std::string xdg_data_home;  ///< $XDG_DATA_HOME ("" when unset)
    std::string home;           ///< $HOME ("" when unset)
};

/// $FTPS_CONFORM_PREFIX if set; else `<source>/.prefix` in a source tree; else, installed,
/// /var/lib/ftps-conform/prefix for root and `${XDG_DATA_HOME:-$HOME/.local/share}/
/// ftps-conform/prefix` for anyone else.
std::filesystem::path default_prefix_for(const DataLayout& layout, const PrefixEnvironment& env);

/// The process's own PrefixEnvironment (environment variables, geteuid()).
PrefixEnvironment prefix_environment();

}  // namespace fc
