#include "servers/reference/vfs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness/testing/files.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc::ref {
namespace {

namespace fs = std::filesystem;
using fc::testing::read_file;
using fc::testing::TempDir;

void write_file(const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

void write_all(int fd, const std::string& data) {
    ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
}

template <typename T>
const T& ok(const VfsResult<T>& r) {
    static const T empty{};
    if (const auto* e = std::get_if<VfsError>(&r)) {
        ADD_FAILURE() << "VfsError " << e->code << " " << e->message;
        return empty;
    }
    return std::get<T>(r);
}

bool succeeded(const std::variant<std::monostate, VfsError>& r) {
    if (const auto* e = std::get_if<VfsError>(&r)) {
        std::cerr << "(VfsError " << e->code << " " << e->message << ")\n";
        return false;
    }
    return true;
}

template <typename T>
int error_code(const std::variant<T, VfsError>& r) {
    const auto* e = std::get_if<VfsError>(&r);
    return e == nullptr ? 0 : e->code;
}

template <typename T>
std::string error_message(const std::variant<T, VfsError>& r) {
    const auto* e = std::get_if<VfsError>(&r);
    return e == nullptr ? std::string() : e->message;
}

// base/root           the server's root: file.txt ("hello world"), sub/inner.txt
// base/outside        secret.txt, a directory the client must never reach
// root/etc_link       -> /etc
// root/secret_link    -> base/outside/secret.txt
// root/out_dir_link   -> base/outside
// root/inside_link    -> root/file.txt (inside, refused all the same)
class RefVfs : public ::testing::Test {
protected:
    RefVfs() : tmp_("refvfs"), base_(tmp_.path()), root_(base_ / "root") {
        fs::create_directories(root_ / "sub");
        fs::create_directories(base_ / "outside");
        write_file(root_ / "file.txt", "hello world");
        write_file(root_ / "sub" / "inner.txt", "inner");
        write_file(base_ / "outside" / "secret.txt", "secret");
        fs::permissions(root_ / "file.txt", fs::perms(0644));
        fs::create_directory_symlink("/etc", root_ / "etc_link");
        fs::create_symlink(base_ / "outside" / "secret.txt", root_ / "secret_link");
        fs::create_directory_symlink(base_ / "outside", root_ / "out_dir_link");
        fs::create_symlink(root_ / "file.txt", root_ / "inside_link");
    }

    /// Every escape attempt the brief lists; run with openat2 and with the fallback walk.
    void expect_no_escape() {
        Vfs vfs(root_);
        const std::string real_root = fs::canonical(root_).string();

        // "..", however many, stays at "/".
        EXPECT_EQ(vfs.virtual_path(".."), "/");
        EXPECT_EQ(vfs.virtual_path("../../etc/passwd"), "/etc/passwd");
        EXPECT_EQ(vfs.virtual_path("/../x"), "/x");
        EXPECT_TRUE(succeeded(vfs.cwd("../../..")));
        EXPECT_EQ(vfs.pwd(), "/");
        EXPECT_TRUE(succeeded(vfs.cdup()));
        EXPECT_EQ(vfs.pwd(), "/");
        EXPECT_EQ(error_code(vfs.open_read("../../etc/passwd", 0)), 550);
        EXPECT_EQ(error_code(vfs.open_read("/../x", 0)), 550);
        EXPECT_EQ(error_code(vfs.open_read("../outside/secret.txt", 0)), 550);
        // An absolute path is the root's /etc/passwd, which does not exist.
        EXPECT_EQ(error_code(vfs.open_read("/etc/passwd", 0)), 550);
        EXPECT_EQ(error_code(vfs.size("/etc/passwd")), 550);

        // A symlink inside the root pointing at /etc: no cwd, list, stat or read through it.
        EXPECT_EQ(error_code(vfs.cwd("etc_link")), 550);
        EXPECT_EQ(vfs.pwd(), "/");
        EXPECT_EQ(error_code(vfs.list("etc_link")), 550);
        EXPECT_EQ(error_code(vfs.nlst("etc_link")), 550);
        EXPECT_EQ(error_code(vfs.mlsd("etc_link")), 550);
        EXPECT_EQ(error_code(vfs.mlst("etc_link")), 550);
        EXPECT_EQ(error_code(vfs.open_read("etc_link/passwd", 0)), 550);
        EXPECT_EQ(error_code(vfs.size("etc_link/passwd")), 550);
        EXPECT_EQ(error_code(vfs.mdtm("etc_link/hostname")), 550);

        // A symlink to a file outside: no read, stat or write.
        EXPECT_EQ(error_code(vfs.open_read("secret_link", 0)), 550);
        EXPECT_EQ(error_code(vfs.size("secret_link")), 550);
        EXPECT_EQ(error_code(vfs.mdtm("secret_link")), 550);
        EXPECT_EQ(error_code(vfs.mlst("secret_link")), 550);
        EXPECT_EQ(error_code(vfs.list("secret_link")), 550);
        EXPECT_EQ(error_code(vfs.open_write("secret_link", false, 0)), 550);  // STOR
        EXPECT_EQ(error_code(vfs.open_write("secret_link", true, 0)), 550);   // APPE
        EXPECT_EQ(error_code(vfs.rename_from("secret_link")), 550);
        EXPECT_EQ(read_file(base_ / "outside" / "secret.txt"), "secret");

        // A symlinked directory in the middle of a path.
        EXPECT_EQ(error_code(vfs.open_read("out_dir_link/secret.txt", 0)), 550);
        EXPECT_EQ(error_code(vfs.open_read("/sub/../out_dir_link/secret.txt", 0)), 550);
        EXPECT_EQ(error_code(vfs.open_write("out_dir_link/new.txt", false, 0)), 550);
        EXPECT_EQ(error_code(vfs.mkd("out_dir_link/newdir")), 550);
        EXPECT_EQ(error_code(vfs.dele("out_dir_link/secret.txt")), 550);
        EXPECT_EQ(error_code(vfs.list("out_dir_link/")), 550);
        EXPECT_FALSE(fs::exists(base_ / "outside" / "new.txt"));
        EXPECT_FALSE(fs::exists(base_ / "outside" / "newdir"));
        EXPECT_TRUE(fs::exists(base_ / "outside" / "secret.txt"));

        // A symlink pointing inside the root is refused too (no symlink is ever followed).
        EXPECT_EQ(error_code(vfs.open_read("inside_link", 0)), 550);

        // RNTO outside: ".." is lexical, so the target lands in the root; through a symlink
        // it is refused.
        ASSERT_EQ(ok(vfs.rename_from("file.txt")), "/file.txt");
        EXPECT_EQ(error_code(vfs.rename_to("/file.txt", "out_dir_link/moved.txt")), 550);
        EXPECT_FALSE(fs::exists(base_ / "outside" / "moved.txt"));
        EXPECT_TRUE(succeeded(vfs.rename_to("/file.txt", "../../moved.txt")));
        EXPECT_FALSE(fs::exists(base_ / "moved.txt"));
        EXPECT_TRUE(fs::exists(root_ / "moved.txt"));
        EXPECT_TRUE(succeeded(vfs.rename_to("/moved.txt", "/file.txt")));

        // MKD outside.
        EXPECT_EQ(ok(vfs.mkd("../../escaped")), "/escaped");
        EXPECT_FALSE(fs::exists(base_ / "escaped"));
        EXPECT_TRUE(fs::is_directory(root_ / "escaped"));
        EXPECT_TRUE(succeeded(vfs.rmd("/escaped")));

        // STOR through a symlink: neither a final nor a middle symlink is followed.
        EXPECT_EQ(error_code(vfs.open_write("etc_link/ftps-conform-must-not-exist", false, 0)),
                  550);
        EXPECT_FALSE(fs::exists("/etc/ftps-conform-must-not-exist"));
        // A dangling symlink as the last component is not created through either.
        fs::create_symlink(base_ / "outside" / "dangling.txt", root_ / "dangling_link");
        EXPECT_EQ(error_code(vfs.open_write("dangling_link", false, 0)), 550);
        EXPECT_FALSE(fs::exists(base_ / "outside" / "dangling.txt"));
        fs::remove(root_ / "dangling_link");

        // Odd bytes: refused, not created.
        EXPECT_EQ(error_code(vfs.open_write("bad\r\nname", false, 0)), 553);
        EXPECT_EQ(error_code(vfs.mkd(std::string("nul\0x", 5))), 553);
        EXPECT_EQ(error_code(vfs.open_read("bad\x1bname", 0)), 550);

        // The root itself can't be removed or renamed.
        EXPECT_NE(error_code(vfs.rmd("/")), 0);
        EXPECT_NE(error_code(vfs.dele("..")), 0);
        EXPECT_NE(error_code(vfs.rename_from("/")), 0);

        // The real root never shows in replies or listings.
        for (const std::string& text :
             {error_message(vfs.open_read("nope", 0)), error_message(vfs.cwd("etc_link")),
              ok(vfs.list("")), ok(vfs.mlsd("")), ok(vfs.mlst("")), ok(vfs.nlst(""))}) {
            EXPECT_EQ(text.find(real_root), std::string::npos) << text;
        }
    }

    TempDir tmp_;
    fs::path base_;
    fs::path root_;
};

/// Forces the fallback walk for one test, whatever happens in it.
struct ForcedWalk {
    ForcedWalk() { detail::vfs_force_openat_walk(true); }
    ~ForcedWalk() { detail::vfs_force_openat_walk(false); }
    ForcedWalk(const ForcedWalk&) = delete;
    ForcedWalk& operator=(const ForcedWalk&) = delete;
};

TEST_F(RefVfs, EscapesAreRefusedWithOpenat2) {
    expect_no_escape();
}

TEST_F(RefVfs, EscapesAreRefusedWithTheFallbackWalk) {
    ForcedWalk walk;
    expect_no_escape();
}

TEST_F(RefVfs, NormalOperationsWorkWithTheFallbackWalk) {
    ForcedWalk walk;
    Vfs vfs(root_);
    EXPECT_TRUE(succeeded(vfs.cwd("sub")));
    EXPECT_EQ(vfs.pwd(), "/sub");
    EXPECT_EQ(ok(vfs.nlst("")), "inner.txt\r\n");
    EXPECT_EQ(ok(vfs.size("/file.txt")), 11u);
    auto fd = vfs.open_write("new.txt", false, 0);
    ASSERT_EQ(error_code(fd), 0);
    write_all(std::get<UniqueFd>(fd).get(), "x");
    EXPECT_EQ(read_file(root_ / "sub" / "new.txt"), "x");
    EXPECT_EQ(ok(vfs.mkd("d")), "/sub/d");
    EXPECT_TRUE(succeeded(vfs.rmd("d")));
}

TEST_F(RefVfs, CwdCdupPwd) {
    Vfs vfs(root_);
    EXPECT_EQ(vfs.pwd(), "/");
    EXPECT_TRUE(succeeded(vfs.cwd("sub")));
    EXPECT_EQ(vfs.pwd(), "/sub");
    EXPECT_EQ(vfs.virtual_path("inner.txt"), "/sub/inner.txt");
    EXPECT_EQ(vfs.virtual_path("./a//b/../c/"), "/sub/a/c");
    EXPECT_TRUE(succeeded(vfs.cdup()));
    EXPECT_EQ(vfs.pwd(), "/");
    EXPECT_TRUE(succeeded(vfs.cwd("/sub/")));
    EXPECT_EQ(vfs.pwd(), "/sub");
    EXPECT_EQ(error_code(vfs.cwd("missing")), 550);
    EXPECT_EQ(error_code(vfs.cwd("/file.txt")), 550);
    EXPECT_EQ(vfs.pwd(), "/sub");
    EXPECT_TRUE(succeeded(vfs.cwd("/")));
    EXPECT_EQ(vfs.pwd(), "/");
}

TEST_F(RefVfs, ListShowsLsLinesAndHidesSymlinks) {
    Vfs vfs(root_);
    std::string listing = ok(vfs.list(""));
    EXPECT_NE(listing.find("-rw-r--r-- 1 ftp ftp 11 "), std::string::npos) << listing;
    EXPECT_NE(listing.find(" file.txt\r\n"), std::string::npos) << listing;
    EXPECT_EQ(listing.rfind("d", 0), std::string::npos) << listing;  // file.txt sorts first
    EXPECT_NE(listing.find("\r\nd"), std::string::npos) << listing;
    EXPECT_NE(listing.find(" sub\r\n"), std::string::npos) << listing;
    EXPECT_EQ(listing.find("link"), std::string::npos) << listing;
    EXPECT_EQ(ok(vfs.list("-la")), listing);
    EXPECT_EQ(ok(vfs.list("-a -l /")), listing);
    std::string one = ok(vfs.list("file.txt"));
    EXPECT_EQ(one.rfind("-rw-r--r-- 1 ftp ftp 11 ", 0), 0u) << one;
    EXPECT_EQ(error_code(vfs.list("missing")), 550);
}

TEST_F(RefVfs, ListDateFormat) {
    Vfs vfs(root_);
    struct timespec times[2] = {{1700917200, 0}, {1700917200, 0}};  // 2023-11-25 13:00 UTC
    ASSERT_EQ(::utimensat(AT_FDCWD, (root_ / "file.txt").c_str(), times, 0), 0);
    EXPECT_EQ(ok(vfs.list("file.txt")), "-rw-r--r-- 1 ftp ftp 11 Nov 25  2023 file.txt\r\n");
    struct timespec recent[2] = {{::time(nullptr) - 60, 0}, {::time(nullptr) - 60, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root_ / "file.txt").c_str(), recent, 0), 0);
    std::string line = ok(vfs.list("file.txt"));
    EXPECT_EQ(line[line.size() - std::string(" file.txt\r\n").size() - 3], ':') << line;
}

TEST_F(RefVfs, Nlst) {
    Vfs vfs(root_);
    EXPECT_EQ(ok(vfs.nlst("")), "file.txt\r\nsub\r\n");
    EXPECT_EQ(ok(vfs.nlst("-l sub")), "inner.txt\r\n");
    EXPECT_EQ(ok(vfs.nlst("file.txt")), "file.txt\r\n");
}

TEST_F(RefVfs, MlsdAndMlstFacts) {
    Vfs vfs(root_);
    struct timespec times[2] = {{1700917200, 0}, {1700917200, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root_ / "file.txt").c_str(), times, 0), 0);
    std::string mlsd = ok(vfs.mlsd(""));
    EXPECT_NE(mlsd.find("type=file;size=11;modify=20231125130000;perm=rawfd; file.txt\r\n"),
              std::string::npos)
        << mlsd;
    EXPECT_NE(mlsd.find("type=dir;modify="), std::string::npos) << mlsd;
    EXPECT_NE(mlsd.find("; sub\r\n"), std::string::npos) << mlsd;
    EXPECT_EQ(mlsd.find("link"), std::string::npos) << mlsd;
    EXPECT_EQ(ok(vfs.mlst("file.txt")),
              "type=file;size=11;modify=20231125130000;perm=rawfd; /file.txt");
    std::string dir = ok(vfs.mlst("sub"));
    EXPECT_EQ(dir.rfind("type=dir;", 0), 0u) << dir;
    EXPECT_NE(dir.find("perm=elcmpfd; /sub"), std::string::npos) << dir;
    EXPECT_EQ(error_code(vfs.mlsd("file.txt")), 501);
    EXPECT_EQ(error_code(vfs.mlst("missing")), 550);
}

TEST_F(RefVfs, SizeAndMdtm) {
    Vfs vfs(root_);
    struct timespec times[2] = {{1700917200, 0}, {1700917200, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root_ / "file.txt").c_str(), times, 0), 0);
    EXPECT_EQ(ok(vfs.size("file.txt")), 11u);
    EXPECT_EQ(ok(vfs.mdtm("/file.txt")), "20231125130000");
    EXPECT_EQ(error_code(vfs.size("sub")), 550);
    EXPECT_EQ(error_code(vfs.size("missing")), 550);
    EXPECT_EQ(error_code(vfs.mdtm("missing")), 550);
}

TEST_F(RefVfs, OpenReadWithOffset) {
    Vfs vfs(root_);
    auto whole = vfs.open_read("file.txt", 0);
    ASSERT_EQ(error_code(whole), 0);
    EXPECT_EQ(read_all(std::get<UniqueFd>(whole).get()), "hello world");
    auto tail = vfs.open_read("/file.txt", 6);
    ASSERT_EQ(error_code(tail), 0);
    EXPECT_EQ(read_all(std::get<UniqueFd>(tail).get()), "world");
    auto at_end = vfs.open_read("file.txt", 11);
    ASSERT_EQ(error_code(at_end), 0);
    EXPECT_EQ(read_all(std::get<UniqueFd>(at_end).get()), "");
    EXPECT_EQ(error_code(vfs.open_read("file.txt", 12)), 554);
    EXPECT_EQ(error_code(vfs.open_read("sub", 0)), 550);
    EXPECT_EQ(error_code(vfs.open_read("missing", 0)), 550);
}

TEST_F(RefVfs, OpenReadRefusesAFifoWithoutBlocking) {
    ASSERT_EQ(::mkfifo((root_ / "fifo").c_str(), 0644), 0);
    Vfs vfs(root_);
    EXPECT_EQ(error_code(vfs.open_read("fifo", 0)), 550);
    EXPECT_EQ(error_code(vfs.size("fifo")), 550);
    EXPECT_EQ(ok(vfs.nlst("")), "file.txt\r\nsub\r\n");
}

TEST_F(RefVfs, OpenWriteStorAppeRest) {
    Vfs vfs(root_);
    {  // STOR creates
        auto fd = vfs.open_write("new.txt", false, 0);
        ASSERT_EQ(error_code(fd), 0);
        write_all(std::get<UniqueFd>(fd).get(), "0123456789");
    }
    EXPECT_EQ(read_file(root_ / "new.txt"), "0123456789");
    {  // REST 4 + STOR overwrites from the offset without truncating
        auto fd = vfs.open_write("new.txt", false, 4);
        ASSERT_EQ(error_code(fd), 0);
        write_all(std::get<UniqueFd>(fd).get(), "ab");
    }
    EXPECT_EQ(read_file(root_ / "new.txt"), "0123ab6789");
    {  // APPE appends
        auto fd = vfs.open_write("new.txt", true, 0);
        ASSERT_EQ(error_code(fd), 0);
        write_all(std::get<UniqueFd>(fd).get(), "xyz");
    }
    EXPECT_EQ(read_file(root_ / "new.txt"), "0123ab6789xyz");
    {  // APPE creates too
        auto fd = vfs.open_write("sub/appended.txt", true, 0);
        ASSERT_EQ(error_code(fd), 0);
        write_all(std::get<UniqueFd>(fd).get(), "a");
    }
    EXPECT_EQ(read_file(root_ / "sub" / "appended.txt"), "a");
    {  // STOR truncates an existing file
        auto fd = vfs.open_write("new.txt", false, 0);
        ASSERT_EQ(error_code(fd), 0);
        write_all(std::get<UniqueFd>(fd).get(), "new");
    }
    EXPECT_EQ(read_file(root_ / "new.txt"), "new");
    EXPECT_EQ(error_code(vfs.open_write("new.txt", false, 100)), 554);
    EXPECT_EQ(error_code(vfs.open_write("sub", false, 0)), 550);
    EXPECT_EQ(error_code(vfs.open_write("sub/", false, 0)), 553);
    EXPECT_EQ(error_code(vfs.open_write("", false, 0)), 553);
    EXPECT_EQ(error_code(vfs.open_write("missing/x", false, 0)), 550);
}

TEST_F(RefVfs, DeleMkdRmdRename) {
    Vfs vfs(root_);
    EXPECT_EQ(ok(vfs.mkd("made")), "/made");
    EXPECT_TRUE(fs::is_directory(root_ / "made"));
    EXPECT_EQ(error_code(vfs.mkd("made")), 550);  // exists
    ASSERT_TRUE(succeeded(vfs.cwd("made")));
    EXPECT_EQ(ok(vfs.mkd("deeper")), "/made/deeper");
    EXPECT_EQ(error_code(vfs.rmd("/made")), 550);  // not empty
    EXPECT_TRUE(succeeded(vfs.rmd("deeper")));
    ASSERT_TRUE(succeeded(vfs.cdup()));
    EXPECT_TRUE(succeeded(vfs.rmd("made")));
    EXPECT_FALSE(fs::exists(root_ / "made"));
    EXPECT_EQ(error_code(vfs.rmd("file.txt")), 550);
    EXPECT_EQ(error_code(vfs.rmd("missing")), 550);

    EXPECT_EQ(error_code(vfs.dele("sub")), 550);
    EXPECT_EQ(error_code(vfs.dele("missing")), 550);
    EXPECT_TRUE(succeeded(vfs.dele("sub/inner.txt")));
    EXPECT_FALSE(fs::exists(root_ / "sub" / "inner.txt"));

    EXPECT_EQ(error_code(vfs.rename_from("missing")), 550);
    std::string from = ok(vfs.rename_from("file.txt"));
    EXPECT_EQ(from, "/file.txt");
    EXPECT_TRUE(succeeded(vfs.rename_to(from, "sub/renamed.txt")));
    EXPECT_EQ(read_file(root_ / "sub" / "renamed.txt"), "hello world");
    EXPECT_FALSE(fs::exists(root_ / "file.txt"));
    ASSERT_TRUE(succeeded(vfs.cwd("sub")));
    EXPECT_EQ(ok(vfs.rename_from("renamed.txt")), "/sub/renamed.txt");
    EXPECT_TRUE(succeeded(vfs.rename_to("/sub/renamed.txt", "back.txt")));
    EXPECT_TRUE(fs::exists(root_ / "sub" / "back.txt"));
    EXPECT_EQ(ok(vfs.rename_from("/sub")), "/sub");
    EXPECT_EQ(error_code(vfs.rename_to("/sub", "/sub/inside")), 550);  // into itself
}

TEST_F(RefVfs, RootMustExist) {
    TempDir tmp("refvfs-missing");
    EXPECT_ANY_THROW(Vfs(tmp.path() / "nope"));
}

TEST_F(RefVfs, CopiesShareTheRootButNotTheCwd) {
    TempDir tmp("refvfs-copy");
    fs::create_directory(tmp.path() / "d");
    Vfs a(tmp.path());
    Vfs b = a;
    ASSERT_TRUE(succeeded(a.cwd("d")));
    EXPECT_EQ(a.pwd(), "/d");
    EXPECT_EQ(b.pwd(), "/");
    EXPECT_EQ(b.root(), fs::canonical(tmp.path()));
}

}  // namespace
}  // namespace fc::ref
