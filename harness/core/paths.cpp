#include "harness/core/paths.hpp"

#include <unistd.h>

#include <cstdlib>
#include <system_error>

namespace fc {

namespace fs = std::filesystem;

namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

fs::path DataLayout::install_servers_script() const {
    return installed ? root / "install-servers" : root / "ci" / "install-servers";
}

DataLayout data_layout_for(const fs::path& exe, const fs::path& source_dir) {
    std::error_code ec;
    const fs::path share = exe.parent_path().parent_path() / "share" / "ftps-conform";
    const bool installed = !exe.empty() && fs::is_directory(share / "scenarios", ec) &&
                           fs::is_directory(share / "servers", ec) &&
                           fs::is_directory(share / "clients", ec);
    if (installed) {
        return {share.lexically_normal(), true};
    }
    return {source_dir, false};
}

DataLayout data_layout() {
    std::error_code ec;
    // The link's target, so a symlink such as /usr/local/bin/ftps-conform -> /opt/... still
    // finds the share folder beside the real binary.
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        exe.clear();
    }
    return data_layout_for(exe, FTPS_CONFORM_SOURCE_DIR);
}

fs::path default_prefix_for(const DataLayout& layout, const PrefixEnvironment& env) {
    if (!env.prefix.empty()) {
        return env.prefix;
    }
    if (!layout.installed) {
        return layout.root / ".prefix";
    }
    if (env.root) {
        return "/var/lib/ftps-conform/prefix";
    }
    fs::path data_home = !env.xdg_data_home.empty() ? fs::path(env.xdg_data_home)
                         : !env.home.empty()        ? fs::path(env.home) / ".local" / "share"
                                                    : fs::temp_directory_path();
    return data_home / "ftps-conform" / "prefix";
}

PrefixEnvironment prefix_environment() {
    return {env_or_empty("FTPS_CONFORM_PREFIX"), ::geteuid() == 0, env_or_empty("XDG_DATA_HOME"),
            env_or_empty("HOME")};
}

}  // namespace fc
