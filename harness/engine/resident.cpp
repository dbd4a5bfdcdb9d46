#include "harness/engine/resident.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "harness/core/error.hpp"
#include "harness/core/socket.hpp"
#include "harness/core/text.hpp"
#include "harness/proc/process.hpp"

namespace fc {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// How long a resident may take to say "ready": a JVM under a full run's load takes seconds.
constexpr Millis kReadyWithin{30000};
// Failed starts (never ready) after which a resident that never got ready is not tried again.
constexpr int kStartsBeforeGivingUp = 2;
// How long an action may take to end after its cancel before the resident is restarted.
constexpr Millis kCancelGrace{2000};

// Writes a line to the resident's stdin (our end of a socket pair, non-blocking): a resident
// that has just died is a failed write (EPIPE), not a SIGPIPE for the whole harness, and one
// that stopped reading is a failed write after kCancelGrace, not a harness stuck in send().
bool write_line(int fd, const std::string& line) {
    return send_all(fd, line, Deadline::after(kCancelGrace), CancelToken{}).ok();
}

// The resident's last line on stderr, for a reason: resident.log also holds the harness's
// own notes ("ftps-conform: ..."), which are left out.
std::string last_words(const Process& process) {
    std::string tail = process.stderr_tail(4000);
    std::string last;
    std::size_t from = 0;
    while (from < tail.size()) {
        std::size_t nl = tail.find('\n', from);
        std::string line = tail.substr(from, nl == std::string::npos ? nl : nl - from);
        if (!line.empty() && line.rfind("ftps-conform: ", 0) != 0) {
            last = line;
        }
        if (nl == std::string::npos) {
            break;
        }
        from = nl + 1;
    }
    return last.empty() ? "(nothing on its stderr)" : last.substr(0, 300);
}

}  // namespace

struct Resident::Instance {
    std::unique_ptr<Process> process;
    UniqueFd to;  // our end of the resident's stdin (a socket pair)
    std::thread reader;
    std::mutex write_mutex;
    std::mutex mutex;
    std::condition_variable changed;
    bool ready = false;
    bool ended = false;
    std::map<std::uint64_t, int> done;  // action id -> exit status

    // Reads the resident's answers ("ready", "done ID STATUS") until it closes its stdout.
    void read_loop(int fd) {
        std::string buf;
        char chunk[4096];
        while (true) {
            ssize_t n = ::read(fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            buf.append(chunk, static_cast<std::size_t>(n));
            std::size_t nl;
            while ((nl = buf.find('\n')) != std::string::npos) {
                std::string line = buf.substr(0, nl);
                buf.erase(0, nl + 1);
                std::vector<std::string> f;
                for (std::size_t from = 0;;) {
                    std::size_t tab = line.find('\t', from);
                    f.push_back(line.substr(from, tab - from));
                    if (tab == std::string::npos) {
                        break;
                    }
                    from = tab + 1;
                }
                std::lock_guard lock(mutex);
                if (line == "ready") {
                    ready = true;
                } else if (f.size() == 3 && f[0] == "done") {
                    try {
                        done[std::stoull(f[1])] = std::stoi(f[2]);
                    } catch (const std::exception&) {
                        // not an answer; the action then ends at its deadline
                    }
                }
                changed.notify_all();
            }
        }
        ::close(fd);
        std::lock_guard lock(mutex);
        ended = true;
        changed.notify_all();
    }

    ~Instance() {
        to.reset();  // the resident ends when its stdin closes
        if (process) {
            process->wait(Deadline::after(Millis(1000)), CancelToken{});
            process->stop(Millis(500));
        }
        if (reader.joinable()) {
            reader.join();
        }
    }
};

Resident::Resident(std::string name, std::vector<std::string> argv, fs::path dir)
    : name_(std::move(name)), argv_(std::move(argv)), dir_(std::move(dir)) {}

Resident::~Resident() {
    std::shared_ptr<Instance> last;
    {
        std::lock_guard lock(mutex_);
        last = std::move(instance_);
    }
    last.reset();
}

int Resident::starts() const {
    std::lock_guard lock(mutex_);
    return starts_;
}

void Resident::log(const std::string& line) {
    std::ofstream(dir_ / "resident.log", std::ios::app) << "ftps-conform: " << line << "\n";
}

std::shared_ptr<Resident::Instance> Resident::running(CancelToken cancel, std::string& error) {
    std::lock_guard lock(mutex_);
    if (instance_) {
        std::lock_guard inner(instance_->mutex);
        if (!instance_->ended) {
            return instance_;
        }
    }
    instance_.reset();
    // Like the servers' start breaker: a resident that has never got ready, twice, is not
    // tried again for every action of the run (each try waits up to kReadyWithin).
    if (ever_ready_ == false && failed_starts_ >= kStartsBeforeGivingUp) {
        error = "it failed to start " + std::to_string(failed_starts_) + " times (" +
                first_failure_ + "); not started again";
        return nullptr;
    }
    fs::create_directories(dir_ / "home");
    int to[2], from[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to) != 0) {
        error = std::string("cannot make a socket pair: ") + std::strerror(errno);
        return nullptr;
    }
    if (::pipe2(from, O_CLOEXEC) != 0) {
        error = std::string("cannot make a pipe: ") + std::strerror(errno);
        ::close(to[0]);
        ::close(to[1]);
        return nullptr;
    }
    auto inst = std::make_shared<Instance>();
    ProcessSpec spec;
    spec.argv = argv_;
    spec.cwd = dir_;
    spec.stdin_fd = to[0];
    spec.stdout_fd = from[1];
    spec.stderr_path = dir_ / "resident.log";
    spec.env = {{"HOME", (dir_ / "home").string()}, {"LC_ALL", "C"}};
    ++starts_;
    log("starting (" + std::to_string(starts_) + "): " + join(argv_, " "));
    try {
        inst->process = Process::start(spec);
    } catch (const HarnessError& e) {
        for (int fd : {to[0], to[1], from[0], from[1]}) {
            ::close(fd);
        }
        error = e.what();
        return nullptr;
    }
    ::close(to[0]);
    ::close(from[1]);
    ::fcntl(to[1], F_SETFL, ::fcntl(to[1], F_GETFL) | O_NONBLOCK);  // our end only
    inst->to = UniqueFd(to[1]);
    inst->reader = std::thread([raw = inst.get(), fd = from[0]] { raw->read_loop(fd); });
    std::unique_lock wait(inst->mutex);
    Deadline ready_by = Deadline::after(kReadyWithin);
    while (!inst->ready && !inst->ended && !ready_by.expired() && !cancel.cancelled()) {
        inst->changed.wait_for(wait, std::min(Millis(50), ready_by.remaining()));
    }
    if (!inst->ready) {
        wait.unlock();
        error = inst->ended ? "it exited before saying ready: " + last_words(*inst->process)
                : cancel.cancelled() ? std::string("interrupted before it said ready")
                                     : "it did not say ready within " +
                                           std::to_string(kReadyWithin.count() / 1000) + " s";
        log(error);
        if (!cancel.cancelled() && failed_starts_++ == 0) {
            first_failure_ = error;
        }
        inst->process->stop(Millis(500));
        return nullptr;  // ~Instance joins the reader
    }
    wait.unlock();
    ever_ready_ = true;
    instance_ = inst;
    return inst;
}

void Resident::restart(const std::shared_ptr<Instance>& instance, const std::string& why) {
    log("stopping it: " + why);
    {
        std::lock_guard lock(mutex_);
        if (instance_ == instance) {
            instance_.reset();
        }
    }
    instance->process->stop(Millis(500));  // its other actions see it end
}

ResidentRun Resident::run(const std::vector<std::string>& words, const fs::path& stdout_path,
                          const fs::path& stderr_path, Millis timeout, CancelToken cancel) {
    ResidentRun run;
    auto started = Clock::now();
    auto finish = [&] {
        run.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        return run;
    };
    std::vector<std::string> fields = {stdout_path.string(), stderr_path.string()};
    fields.insert(fields.end(), words.begin(), words.end());
    for (const std::string& field : fields) {
        if (field.find_first_of("\t\n") != std::string::npos) {
            run.error = "cannot send the action to the " + name_ +
                        " resident: a word of its argv holds a tab or a newline";
            return finish();
        }
    }
    // The files exist even when the action writes nothing, as a started client's would.
    std::ofstream(stdout_path, std::ios::app);
    std::ofstream(stderr_path, std::ios::app);
    std::string error;
    std::shared_ptr<Instance> inst = running(cancel, error);
    if (!inst && cancel.cancelled()) {
        run.cancelled = true;
        return finish();
    }
    if (!inst) {
        run.error = "the " + name_ + " resident driver could not start: " + error + " (see " +
                    (dir_ / "resident.log").string() + ")";
        return finish();
    }
    std::uint64_t id;
    {
        std::lock_guard lock(mutex_);
        id = next_id_++;
    }
    std::string line = "run\t" + std::to_string(id);
    for (const std::string& field : fields) {
        line += "\t" + field;
    }
    line += "\n";
    bool sent;
    {
        std::lock_guard lock(inst->write_mutex);
        sent = write_line(inst->to.get(), line);
    }
    Deadline deadline = Deadline::after(timeout);
    std::unique_lock lock(inst->mutex);
    auto answered = [&] { return inst->done.count(id) > 0 || inst->ended; };
    while (sent && !answered() && !deadline.expired() && !cancel.cancelled()) {
        inst->changed.wait_for(lock, std::min(Millis(20), deadline.remaining()));
    }
    if (sent && inst->done.count(id) > 0) {
        run.exit_status = inst->done[id];
        inst->done.erase(id);
        return finish();
    }
    if (!sent || inst->ended) {
        lock.unlock();
        run.error = "the " + name_ +
                    " resident driver exited during the action: " + last_words(*inst->process);
        return finish();
    }
    // Past the deadline, or interrupted: the action is cancelled; a resident that does not
    // end it promptly is stopped (its next action starts a new one).
    run.cancelled = cancel.cancelled();
    run.timed_out = !run.cancelled;
    lock.unlock();
    {
        std::lock_guard write(inst->write_mutex);
        write_line(inst->to.get(), "cancel\t" + std::to_string(id) + "\n");
    }
    lock.lock();
    if (!inst->changed.wait_for(lock, kCancelGrace, answered)) {
        lock.unlock();
        restart(inst, "action " + std::to_string(id) + " did not end within " +
                          std::to_string(kCancelGrace.count()) + " ms of its cancel");
        return finish();
    }
    inst->done.erase(id);
    return finish();
}

}  // namespace fc
