#pragma once
// The reference server's view of files: one directory tree (the root), seen by the client
// as "/". Every path a command names resolves inside the root: "..", absolute paths and
// symbolic links (anywhere in the path) cannot leave it. Errors come back as the FTP reply
// the server should send (550 not found / not allowed, 553 bad name, 450 busy, ...).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/core/socket.hpp"

namespace fc::ref {

/// An FTP reply owed for a failed file operation.
struct VfsError {
    int code = 550;
    std::string message;  ///< e.g. "No such file or directory" (never shows the real root)
};

template <typename T>
using VfsResult = std::variant<T, VfsError>;

/// Per-session file view: the root and the current directory (a virtual path).
class Vfs {
public:
    /// `root` must be an existing directory; it is made absolute and canonical once.
    explicit Vfs(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }
    /// The current directory as the client sees it, e.g. "/" or "/sub/dir".
    const std::string& pwd() const { return cwd_; }

    /// CWD arg / CDUP (CDUP at "/" stays at "/"). Error: 550.
    std::variant<std::monostate, VfsError> cwd(std::string_view arg);
    std::variant<std::monostate, VfsError> cdup();

    /// The virtual absolute path `arg` names (resolving ".", ".." lexically, never above "/").
    std::string virtual_path(std::string_view arg) const;

    /// Directory listings. `arg` may be empty (current directory), a directory or a file;
    /// options such as "-a" or "-l" at the start of the LIST/NLST argument are ignored.
    /// Each returns the whole listing with CR LF line ends.
    VfsResult<std::string> list(std::string_view arg) const;  ///< LIST: "ls -l" style lines
    VfsResult<std::string> nlst(std::string_view arg) const;  ///< NLST: one name per line
    VfsResult<std::string> mlsd(std::string_view arg) const;  ///< MLSD: RFC 3659 fact lines
    /// MLST: the single fact line for `arg` (without the leading space and CR LF).
    VfsResult<std::string> mlst(std::string_view arg) const;

    /// SIZE (regular files only, 550 otherwise) and MDTM ("YYYYMMDDHHMMSS", UTC).
    VfsResult<std::uint64_t> size(std::string_view arg) const;
    VfsResult<std::string> mdtm(std::string_view arg) const;

    /// Opens a regular file for RETR, positioned at `offset` (REST). Error 550 if missing,
    /// not a regular file, or outside; 554 if offset is past the end.
    VfsResult<UniqueFd> open_read(std::string_view arg, std::uint64_t offset) const;
    /// Opens for STOR (create/truncate, or at `offset` after REST without truncating) or
    /// APPE (create/append). Error 553 for a bad name, 550 for a directory or outside.
    VfsResult<UniqueFd> open_write(std::string_view arg, bool append, std::uint64_t offset) const;

    std::variant<std::monostate, VfsError> dele(std::string_view arg) const;
    /// MKD: the created directory's virtual path, for the 257 reply.
    VfsResult<std::string> mkd(std::string_view arg) const;
    std::variant<std::monostate, VfsError> rmd(std::string_view arg) const;
    /// RNFR: checks that `from` exists (error 550) and returns its virtual path.
    VfsResult<std::string> rename_from(std::string_view from) const;
    /// RNTO: renames the virtual path `from_virtual` (from rename_from) to `to`.
    std::variant<std::monostate, VfsError> rename_to(const std::string& from_virtual,
                                                     std::string_view to) const;

private:
    std::filesystem::path root_;
    std::string cwd_ = "/";
    /// The root opened once (O_PATH); every path is resolved beneath it, never by name.
    /// Shared so that a Vfs stays copyable.
    std::shared_ptr<const UniqueFd> root_fd_;
};

namespace detail {
/// Tests only: resolve paths with the component-by-component O_NOFOLLOW walk instead of
/// openat2(2), as on kernels or seccomp profiles without it.
void vfs_force_openat_walk(bool on);
}  // namespace detail

}  // namespace fc::ref
