#include "servers/reference/vfs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <system_error>

#include "harness/core/error.hpp"

namespace fc::ref {
namespace {

// ---- errors -------------------------------------------------------------------------------

/// The reply for a failed system call. Never mentions a path, so the real root cannot leak.
VfsError error_from_errno(int err) {
    switch (err) {
        case ENOENT: return {550, "No such file or directory"};
        case ENOTDIR: return {550, "Not a directory"};
        case EISDIR: return {550, "Is a directory"};
        case EACCES:
        case EPERM: return {550, "Permission denied"};
        case ELOOP:
        case EXDEV: return {550, "Permission denied: symbolic links are not followed"};
        case EEXIST: return {550, "File exists"};
        case ENOTEMPTY: return {550, "Directory not empty"};
        case EINVAL: return {550, "Invalid operation"};
        case ENOSPC:
        case EDQUOT: return {552, "Insufficient storage space"};
        case EBUSY:
        case ETXTBSY:
        case EAGAIN: return {450, "File busy"};
        case ENAMETOOLONG: return {553, "File name too long"};
        default: return {550, std::string("Requested action not taken: ") + std::strerror(err)};
    }
}

VfsError bad_name() {
    return {553, "File name not allowed"};
}

// ---- paths --------------------------------------------------------------------------------

bool has_odd_byte(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

/// "/a/b" -> "a/b"; "/" -> "." (openat's name for the directory itself).
std::string relative_of(const std::string& vpath) {
    return vpath.size() <= 1 ? std::string(".") : vpath.substr(1);
}

/// Splits a virtual path into its parent and last component ("/a/b" -> "/a", "b").
std::pair<std::string, std::string> split_parent(const std::string& vpath) {
    std::size_t slash = vpath.rfind('/');
    std::string parent = slash == 0 ? std::string("/") : vpath.substr(0, slash);
    return {parent, vpath.substr(slash + 1)};
}

std::string base_name(const std::string& vpath) {
    return vpath == "/" ? std::string("/") : split_parent(vpath).second;
}

/// LIST/NLST arguments may start with ls options ("-la /dir"); they are ignored.
std::string_view strip_list_options(std::string_view arg) {
    while (!arg.empty() && arg.front() == '-') {
        std::size_t space = arg.find(' ');
        if (space == std::string_view::npos) {
            return {};
        }
        arg.remove_prefix(space + 1);
        while (!arg.empty() && arg.front() == ' ') {
            arg.remove_prefix(1);
        }
    }
    return arg;
}

// ---- confined open ------------------------------------------------------------------------

std::atomic<bool> openat2_unavailable{false};

/// Component-by-component walk for kernels (or seccomp filters) without openat2: every
/// component is opened with O_NOFOLLOW relative to the previous one, so no symlink is ever
/// followed. `rel` has no "." or ".." components (virtual paths are normalised first).
int walk_open(int root_fd, const std::string& rel, int flags, mode_t mode) {
    if (rel == ".") {
        return ::openat(root_fd, ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
    }
    UniqueFd dir;
    int at = root_fd;
    std::size_t start = 0;
    for (;;) {
        std::size_t slash = rel.find('/', start);
        std::string name = rel.substr(start, slash == std::string::npos ? slash : slash - start);
        if (slash == std::string::npos) {
            int fd = ::openat(at, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
            if (fd >= 0 && (flags & O_PATH) != 0) {  // O_PATH|O_NOFOLLOW opens a link itself
                struct stat st {};
                if (::fstat(fd, &st) != 0 || S_ISLNK(st.st_mode)) {
                    ::close(fd);
                    errno = ELOOP;
                    return -1;
                }
            }
            return fd;
        }
        int next = ::openat(at, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            return -1;
        }
        dir.reset(next);
        at = next;
        start = slash + 1;
    }
}

/// Opens `rel` (relative, normalised) beneath the root; -1 with errno set on failure.
/// openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS refuses any symlink, "..", absolute
/// path or magic link in the kernel itself; the walk above is the fallback.
int open_beneath(int root_fd, const std::string& rel, int flags, mode_t mode = 0) {
    if (!openat2_unavailable.load(std::memory_order_relaxed)) {
        open_how how{};
        how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
        how.mode = (flags & O_CREAT) != 0 ? mode : 0;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
        long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
        if (fd >= 0) {
            return static_cast<int>(fd);
        }
        if (errno != ENOSYS && errno != EPERM) {
            return -1;
        }
        if (errno == ENOSYS) {
            openat2_unavailable.store(true, std::memory_order_relaxed);
        }
        // EPERM may be a seccomp filter or a real permission problem: the walk tells.
    }
    return walk_open(root_fd, rel, flags, mode);
}

// ---- formatting ---------------------------------------------------------------------------

constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string utc_stamp(std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string ls_date(std::time_t t) {
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    std::time_t now = std::time(nullptr);
    constexpr std::time_t half_year = 182L * 24 * 3600;
    char buf[32];
    if (t > now - half_year && t < now + 3600) {
        std::snprintf(buf, sizeof buf, "%s %2d %02d:%02d", months[tm.tm_mon], tm.tm_mday,
                      tm.tm_hour, tm.tm_min);
    } else {
        std::snprintf(buf, sizeof buf, "%s %2d %5d", months[tm.tm_mon], tm.tm_mday,
                      tm.tm_year + 1900);
    }
    return buf;
}

std::string ls_mode(mode_t m) {
    std::string s = S_ISDIR(m) ? "d" : "-";
    const char* rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; ++i) {
        s.push_back((m & (0400 >> i)) != 0 ? rwx[i] : '-');
    }
    return s;
}

std::string list_line(const std::string& name, const struct stat& st) {
    return ls_mode(st.st_mode) + " " + std::to_string(st.st_nlink) + " ftp ftp " +
           std::to_string(st.st_size) + " " + ls_date(st.st_mtime) + " " + name + "\r\n";
}

/// RFC 3659 7 facts, ending with "; " and the name.
std::string mlsx_facts(const std::string& name, const struct stat& st) {
    std::string facts;
    bool dir = S_ISDIR(st.st_mode);
    bool writable = (st.st_mode & S_IWUSR) != 0;
    if (dir) {
        facts = "type=dir;";
    } else {
        facts = "type=file;size=" + std::to_string(st.st_size) + ";";
    }
    facts += "modify=" + utc_stamp(st.st_mtime) + ";perm=";
    if (dir) {
        if ((st.st_mode & S_IXUSR) != 0) {
            facts += "e";
        }
        if ((st.st_mode & S_IRUSR) != 0) {
            facts += "l";
        }
        if (writable) {
            facts += "cmpfd";
        }
    } else {
        if ((st.st_mode & S_IRUSR) != 0) {
            facts += "r";
        }
        if (writable) {
            facts += "awfd";
        }
    }
    return facts + "; " + name;
}

struct Entry {
    std::string name;
    struct stat st {};
};

/// The regular files and directories of an open directory, sorted by name. Symlinks,
/// devices, sockets and FIFOs are left out (they can't be used through the server), and so
/// are names with control characters (a CR LF in a name would forge listing lines).
std::variant<std::vector<Entry>, VfsError> read_entries(int dir_fd) {
    DIR* d = ::fdopendir(dir_fd);
    if (d == nullptr) {
        int err = errno;
        ::close(dir_fd);
        return error_from_errno(err);
    }
    std::vector<Entry> entries;
    while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == ".." || has_odd_byte(name)) {
            continue;
        }
        Entry entry;
        entry.name = name;
        if (::fstatat(::dirfd(d), e->d_name, &entry.st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }
        if (!S_ISREG(entry.st.st_mode) && !S_ISDIR(entry.st.st_mode)) {
            continue;
        }
        entries.push_back(std::move(entry));
    }
    ::closedir(d);
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return entries;
}

}  // namespace

// ---- Vfs ----------------------------------------------------------------------------------

Vfs::Vfs(std::filesystem::path root)
    : root_(std::filesystem::canonical(std::filesystem::absolute(root))) {
    int fd = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        throw HarnessError("reference server root " + root_.string() + ": " + std::strerror(errno));
    }
    root_fd_ = std::make_shared<const UniqueFd>(fd);
}

std::string Vfs::virtual_path(std::string_view arg) const {
    std::vector<std::string_view> parts;
    auto push_all = [&parts](std::string_view path) {
        while (!path.empty()) {
            std::size_t slash = path.find('/');
            std::string_view part = path.substr(0, slash);
            if (part == "..") {
                if (!parts.empty()) {
                    parts.pop_back();
                }
            } else if (!part.empty() && part != ".") {
                parts.push_back(part);
            }
            if (slash == std::string_view::npos) {
                break;
            }
            path.remove_prefix(slash + 1);
        }
    };
    if (arg.empty() || arg.front() != '/') {
        push_all(cwd_);
    }
    push_all(arg);
    if (parts.empty()) {
        return "/";
    }
    std::string out;
    for (std::string_view p : parts) {
        out += '/';
        out += p;
    }
    return out;
}

namespace {

/// Opens a virtual path beneath the root; refuses names with control bytes.
std::variant<UniqueFd, VfsError> open_virtual(int root_fd, const std::string& vpath, int flags,
                                              mode_t mode = 0) {
    if (has_odd_byte(vpath)) {
        return (flags & O_CREAT) != 0 ? bad_name() : VfsError{550, "No such file or directory"};
    }
    int fd = open_beneath(root_fd, relative_of(vpath), flags, mode);
    if (fd < 0) {
        return error_from_errno(errno);
    }
    return UniqueFd(fd);
}

/// The parent directory (opened beneath the root) and the last component of a virtual
/// path, for the *at calls that act on a name (mkdirat, unlinkat, renameat). The root
/// itself has no parent: 550.
struct ParentAndName {
    UniqueFd parent;
    std::string name;
};
std::variant<ParentAndName, VfsError> open_parent(int root_fd, const std::string& vpath) {
    if (vpath == "/") {
        return VfsError{550, "Permission denied"};
    }
    if (has_odd_byte(vpath)) {
        return bad_name();
    }
    auto [parent, name] = split_parent(vpath);
    auto dir = open_virtual(root_fd, parent, O_PATH | O_DIRECTORY);
    if (auto* e = std::get_if<VfsError>(&dir)) {
        return *e;
    }
    return ParentAndName{std::move(std::get<UniqueFd>(dir)), name};
}

std::variant<struct stat, VfsError> stat_virtual(int root_fd, const std::string& vpath) {
    auto fd = open_virtual(root_fd, vpath, O_PATH);
    if (auto* e = std::get_if<VfsError>(&fd)) {
        return *e;
    }
    struct stat st {};
    if (::fstat(std::get<UniqueFd>(fd).get(), &st) != 0) {
        return error_from_errno(errno);
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        return VfsError{550, "Not a regular file or directory"};
    }
    return st;
}

using Unit = std::variant<std::monostate, VfsError>;

// Runs `op(parent_fd, name)` (a *at(2) call returning 0 or -1) on the entry `vpath` names,
// inside its parent opened beneath the root.
template <typename Op>
Unit at_parent(int root_fd, const std::string& vpath, Op op) {
    auto pn = open_parent(root_fd, vpath);
    if (auto* e = std::get_if<VfsError>(&pn)) {
        return *e;
    }
    auto& p = std::get<ParentAndName>(pn);
    if (op(p.parent.get(), p.name.c_str()) != 0) {
        return error_from_errno(errno);
    }
    return std::monostate{};
}

}  // namespace

Unit Vfs::cwd(std::string_view arg) {
    std::string target = virtual_path(arg);
    auto fd = open_virtual(root_fd_->get(), target, O_PATH | O_DIRECTORY);
    if (auto* e = std::get_if<VfsError>(&fd)) {
        return *e;
    }
    cwd_ = target;
    return std::monostate{};
}

Unit Vfs::cdup() {
    return cwd("..");
}

namespace {

/// The listing of a directory, or of a single file, as one string of CR LF lines.
template <typename Format>
VfsResult<std::string> listing(int root_fd, const std::string& vpath, Format format) {
    auto st = stat_virtual(root_fd, vpath);
    if (auto* e = std::get_if<VfsError>(&st)) {
        return *e;
    }
    if (!S_ISDIR(std::get<struct stat>(st).st_mode)) {
        return format(base_name(vpath), std::get<struct stat>(st));
    }
    auto dir = open_virtual(root_fd, vpath, O_RDONLY | O_DIRECTORY);
    if (auto* e = std::get_if<VfsError>(&dir)) {
        return *e;
    }
    auto entries = read_entries(std::get<UniqueFd>(dir).release());
    if (auto* e = std::get_if<VfsError>(&entries)) {
        return *e;
    }
    std::string out;
    for (const Entry& entry : std::get<std::vector<Entry>>(entries)) {
        out += format(entry.name, entry.st);
    }
    return out;
}

}  // namespace

VfsResult<std::string> Vfs::list(std::string_view arg) const {
    return listing(root_fd_->get(), virtual_path(strip_list_options(arg)), list_line);
}

VfsResult<std::string> Vfs::nlst(std::string_view arg) const {
    return listing(root_fd_->get(), virtual_path(strip_list_options(arg)),
                   [](const std::string& name, const struct stat&) { return name + "\r\n"; });
}

VfsResult<std::string> Vfs::mlsd(std::string_view arg) const {
    std::string vpath = virtual_path(arg);
    auto st = stat_virtual(root_fd_->get(), vpath);
    if (auto* e = std::get_if<VfsError>(&st)) {
        return *e;
    }
    if (!S_ISDIR(std::get<struct stat>(st).st_mode)) {
        return VfsError{501, "Not a directory"};  // RFC 3659 7.2.1
    }
    return listing(root_fd_->get(), vpath, [](const std::string& name, const struct stat& s) {
        return mlsx_facts(name, s) + "\r\n";
    });
}

VfsResult<std::string> Vfs::mlst(std::string_view arg) const {
    std::string vpath = virtual_path(arg);
    auto st = stat_virtual(root_fd_->get(), vpath);
    if (auto* e = std::get_if<VfsError>(&st)) {
        return *e;
    }
    return mlsx_facts(vpath, std::get<struct stat>(st));
}

VfsResult<std::uint64_t> Vfs::size(std::string_view arg) const {
    auto st = stat_virtual(root_fd_->get(), virtual_path(arg));
    if (auto* e = std::get_if<VfsError>(&st)) {
        return *e;
    }
    const struct stat& s = std::get<struct stat>(st);
    if (!S_ISREG(s.st_mode)) {
        return VfsError{550, "Not a regular file"};
    }
    return static_cast<std::uint64_t>(s.st_size);
}

VfsResult<std::string> Vfs::mdtm(std::string_view arg) const {
    auto st = stat_virtual(root_fd_->get(), virtual_path(arg));
    if (auto* e = std::get_if<VfsError>(&st)) {
        return *e;
    }
    const struct stat& s = std::get<struct stat>(st);
    if (!S_ISREG(s.st_mode)) {
        return VfsError{550, "Not a regular file"};
    }
    return utc_stamp(s.st_mtime);
}

namespace {

/// Clears O_NONBLOCK (set while opening so that a FIFO cannot block the session) once the
/// file is known to be regular.
std::variant<std::monostate, VfsError> check_regular_and_block(int fd, struct stat* st) {
    if (::fstat(fd, st) != 0) {
        return error_from_errno(errno);
    }
    if (S_ISDIR(st->st_mode)) {
        return VfsError{550, "Is a directory"};
    }
    if (!S_ISREG(st->st_mode)) {
        return VfsError{550, "Not a regular file"};
    }
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        return error_from_errno(errno);
    }
    return std::monostate{};
}

}  // namespace

VfsResult<UniqueFd> Vfs::open_read(std::string_view arg, std::uint64_t offset) const {
    auto fd = open_virtual(root_fd_->get(), virtual_path(arg), O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (auto* e = std::get_if<VfsError>(&fd)) {
        return *e;
    }
    UniqueFd file = std::move(std::get<UniqueFd>(fd));
    struct stat st {};
    auto checked = check_regular_and_block(file.get(), &st);
    if (auto* e = std::get_if<VfsError>(&checked)) {
        return *e;
    }
    if (offset > static_cast<std::uint64_t>(st.st_size)) {
        return VfsError{554, "Requested action not taken: invalid REST parameter"};
    }
    if (offset > 0 && ::lseek(file.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
        return error_from_errno(errno);
    }
    return file;
}

VfsResult<UniqueFd> Vfs::open_write(std::string_view arg, bool append, std::uint64_t offset) const {
    std::string vpath = virtual_path(arg);
    if (arg.empty() || vpath == "/" || arg.back() == '/') {
        return bad_name();
    }
    int flags = O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK | (append ? O_APPEND : 0);
    auto fd = open_virtual(root_fd_->get(), vpath, flags, 0644);
    if (auto* e = std::get_if<VfsError>(&fd)) {
        return *e;
    }
    UniqueFd file = std::move(std::get<UniqueFd>(fd));
    struct stat st {};
    auto checked = check_regular_and_block(file.get(), &st);
    if (auto* e = std::get_if<VfsError>(&checked)) {
        return *e;
    }
    if (append) {
        return file;
    }
    if (offset > static_cast<std::uint64_t>(st.st_size)) {
        return VfsError{554, "Requested action not taken: invalid REST parameter"};
    }
    if (offset == 0) {
        if (::ftruncate(file.get(), 0) != 0) {
            return error_from_errno(errno);
        }
    } else if (::lseek(file.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
        return error_from_errno(errno);
    }
    return file;
}

Unit Vfs::dele(std::string_view arg) const {
    return at_parent(root_fd_->get(), virtual_path(arg),
                     [](int dir, const char* name) { return ::unlinkat(dir, name, 0); });
}

VfsResult<std::string> Vfs::mkd(std::string_view arg) const {
    std::string vpath = virtual_path(arg);
    if (arg.empty()) {
        return bad_name();
    }
    Unit made = at_parent(root_fd_->get(), vpath,
                          [](int dir, const char* name) { return ::mkdirat(dir, name, 0755); });
    if (auto* e = std::get_if<VfsError>(&made)) {
        return *e;
    }
    return vpath;
}

Unit Vfs::rmd(std::string_view arg) const {
    return at_parent(root_fd_->get(), virtual_path(arg),
                     [](int dir, const char* name) { return ::unlinkat(dir, name, AT_REMOVEDIR); });
}

VfsResult<std::string> Vfs::rename_from(std::string_view from) const {
    std::string vpath = virtual_path(from);
    if (vpath == "/") {
        return VfsError{550, "Permission denied"};
    }
    auto st = stat_virtual(root_fd_->get(), vpath);
    if (auto* e = std::get_if<VfsError>(&st)) {
        return *e;
    }
    return vpath;
}

Unit Vfs::rename_to(const std::string& from_virtual, std::string_view to) const {
    if (from_virtual.empty() || from_virtual.front() != '/') {
        return VfsError{503, "Bad sequence of commands: RNFR first"};
    }
    std::string from = virtual_path(from_virtual);  // absolute: normalised, cwd ignored
    if (to.empty()) {
        return bad_name();
    }
    auto src = open_parent(root_fd_->get(), from);
    if (auto* e = std::get_if<VfsError>(&src)) {
        return *e;
    }
    auto dst = open_parent(root_fd_->get(), virtual_path(to));
    if (auto* e = std::get_if<VfsError>(&dst)) {
        return e->code == 550 && virtual_path(to) == "/" ? bad_name() : *e;
    }
    auto& s = std::get<ParentAndName>(src);
    auto& d = std::get<ParentAndName>(dst);
    if (::renameat(s.parent.get(), s.name.c_str(), d.parent.get(), d.name.c_str()) != 0) {
        return error_from_errno(errno);
    }
    return std::monostate{};
}

namespace detail {
void vfs_force_openat_walk(bool on) {
    openat2_unavailable.store(on);
}
}  // namespace detail

}  // namespace fc::ref
