#include "harness/core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>
#include <system_error>

#include "harness/core/error.hpp"

namespace fc {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& file, int error) {
    throw HarnessError("cannot " + what + " " + file.string() + ": " + std::strerror(error));
}

// Creates ".<name>.tmp-XXXXXX" beside `file` (mkstemp: a fresh name, O_EXCL) with the mode
// of an ordinary report; returns its descriptor and sets `temporary`, or -1 with errno.
int create_temporary_beside(const fs::path& file, fs::path& temporary) {
    std::string name =
        (file.parent_path() / ("." + file.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) {
        ::fchmod(fd, 0644);
        temporary = name;
    }
    return fd;
}

// Writes everything to `fd`, fsyncs and closes it; returns 0 or the first errno.
int write_and_close(int fd, std::string_view bytes) {
    int error = 0;
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            error = errno;
            break;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    // A full disk may only show at fsync or close (delayed allocation, NFS).
    if (error == 0 && ::fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        error = errno;
    }
    if (::close(fd) != 0 && error == 0 && errno != EINTR) {
        error = errno;
    }
    return error;
}

int open_for_writing(const fs::path& file) {
    int fd = -1;
    do {
        fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

}  // namespace

void write_whole_file(const fs::path& file, std::string_view bytes) {
    const int fd = open_for_writing(file);
    if (fd < 0) {
        fail("create", file, errno);
    }
    if (const int error = write_and_close(fd, bytes); error != 0) {
        fail("write", file, error);
    }
}

void write_file_atomically(const fs::path& file, std::string_view bytes) {
    fs::path temporary;
    const int fd = create_temporary_beside(file, temporary);
    if (fd < 0) {
        fail("create a temporary file for", file, errno);
    }
    int error = write_and_close(fd, bytes);
    if (error == 0 && ::rename(temporary.c_str(), file.c_str()) != 0) {
        error = errno;
    }
    if (error != 0) {
        ::unlink(temporary.c_str());
        fail("write", file, error);
    }
}

void write_file_atomically(const fs::path& file, const std::function<void(std::ostream&)>& render) {
    std::ostringstream text;
    render(text);
    write_file_atomically(file, text.view());
}

void prepare_output_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw HarnessError("cannot create the output folder " + dir.string() + ": " + ec.message());
    }
    fs::path probe;
    const int fd = create_temporary_beside(dir / "write-probe", probe);
    if (fd < 0) {
        fail("create a file in the output folder", dir, errno);
    }
    ::close(fd);
    ::unlink(probe.c_str());
}

}  // namespace fc
