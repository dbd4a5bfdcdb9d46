#include "harness/core/paths.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

// An install tree as `cmake --install --prefix <root>` lays it out.
void make_install_tree(const fs::path& root) {
    fs::create_directories(root / "bin");
    std::ofstream(root / "bin" / "ftps-conform") << "";
    for (const char* d : {"scenarios", "servers", "clients"}) {
        fs::create_directories(root / "share" / "ftps-conform" / d);
    }
}

TEST(DataLayout, BinaryBesideShareFolderIsInstalled) {
    testing::TempDir tmp("paths");
    make_install_tree(tmp.path());
    DataLayout l = data_layout_for(tmp.path() / "bin" / "ftps-conform", "/src/tree");
    EXPECT_TRUE(l.installed);
    EXPECT_EQ(l.root, tmp.path() / "share" / "ftps-conform");
    EXPECT_EQ(l.install_servers_script(),
              tmp.path() / "share" / "ftps-conform" / "install-servers");
}

TEST(DataLayout, BuildFolderBinaryUsesTheSourceTree) {
    testing::TempDir tmp("paths");
    fs::create_directories(tmp.path() / "build");
    DataLayout l = data_layout_for(tmp.path() / "build" / "ftps-conform", "/src/tree");
    EXPECT_FALSE(l.installed);
    EXPECT_EQ(l.root, fs::path("/src/tree"));
    EXPECT_EQ(l.install_servers_script(), fs::path("/src/tree/ci/install-servers"));
}

TEST(DataLayout, IncompleteShareFolderIsNotAnInstall) {
    testing::TempDir tmp("paths");
    make_install_tree(tmp.path());
    fs::remove_all(tmp.path() / "share" / "ftps-conform" / "clients");
    EXPECT_FALSE(data_layout_for(tmp.path() / "bin" / "ftps-conform", "/src").installed);
    EXPECT_FALSE(data_layout_for("", "/src").installed);
}

TEST(DefaultPrefix, EnvironmentWinsEverywhere) {
    PrefixEnvironment env{"/opt/p", true, "/x", "/home/u"};
    EXPECT_EQ(default_prefix_for({"/src", false}, env), fs::path("/opt/p"));
    EXPECT_EQ(default_prefix_for({"/usr/share/ftps-conform", true}, env), fs::path("/opt/p"));
}

TEST(DefaultPrefix, SourceTreeKeepsItsDotPrefix) {
    EXPECT_EQ(default_prefix_for({"/src", false}, {"", true, "", "/root"}),
              fs::path("/src/.prefix"));
}

TEST(DefaultPrefix, InstalledUsesVarLibForRootAndDataHomeForOthers) {
    const DataLayout inst{"/usr/share/ftps-conform", true};
    EXPECT_EQ(default_prefix_for(inst, {"", true, "/x", "/root"}),
              fs::path("/var/lib/ftps-conform/prefix"));
    EXPECT_EQ(default_prefix_for(inst, {"", false, "/x", "/home/u"}),
              fs::path("/x/ftps-conform/prefix"));
    EXPECT_EQ(default_prefix_for(inst, {"", false, "", "/home/u"}),
              fs::path("/home/u/.local/share/ftps-conform/prefix"));
}

}  // namespace
}  // namespace fc
