// The resident protocol against a fake resident (a bash script): statuses and output files,
// concurrent actions, deadlines and cancels, a resident that dies or never gets ready.
#include "harness/engine/resident.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Actions by their first word: `ok WORDS` prints WORDS and ends 0; `fail` prints a line on
// stderr and ends 3; `gather DIR N` ends 0 once N actions are in DIR at once (1 after 5 s);
// `wait` runs until cancelled (then ends 130); `deaf` ignores its cancel; `die` kills the
// resident.
constexpr const char* kFake = R"(#!/bin/bash
[[ ${1:-} == no-ready ]] && { echo "fake: cannot start" >&2; exit 4; }
[[ ${1:-} == mute ]] && exec sleep 60
echo ready
declare -A jobs
while IFS=$'\t' read -r -a f; do
  if [[ ${f[0]} == cancel ]]; then
    [[ -n ${jobs[${f[1]}]:-} ]] && kill "${jobs[${f[1]}]}" 2>/dev/null
    continue
  fi
  id=${f[1]} out=${f[2]} err=${f[3]} words=("${f[@]:4}")
  (
    case ${words[0]} in
      ok) echo "${words[*]:1}" >>"$out"; printf 'done\t%s\t0\n' "$id" ;;
      fail) echo "fake: it failed" >>"$err"; printf 'done\t%s\t3\n' "$id" ;;
      gather)
        touch "${words[1]}/$id"
        for i in $(seq 500); do
          (($(ls "${words[1]}" | wc -l) >= ${words[2]})) && { printf 'done\t%s\t0\n' "$id"; exit; }
          sleep 0.01
        done
        printf 'done\t%s\t1\n' "$id" ;;
      wait) trap "printf 'done\t%s\t130\n' $id; exit" TERM; while :; do sleep 0.05; done ;;
      deaf) trap "" TERM; sleep 30 ;;
      die) kill -9 $$ ;;
    esac
  ) &
  jobs[$id]=$!
done
)";

class ResidentTest : public ::testing::Test {
protected:
    void SetUp() override {
        script_ = dir_.path() / "fake.sh";
        std::ofstream(script_) << kFake;
        ::chmod(script_.c_str(), 0755);
    }
    Resident make(std::vector<std::string> extra = {}) {
        std::vector<std::string> argv = {"/bin/bash", script_.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return Resident("fake", argv, dir_.path() / "resident");
    }
    ResidentRun run(Resident& r, std::vector<std::string> words, Millis timeout = 5000ms) {
        ++n_;
        return r.run(words, out(n_), err(n_), timeout, CancelToken{});
    }
    fs::path out(int n) const { return dir_.path() / ("a" + std::to_string(n) + ".stdout"); }
    fs::path err(int n) const { return dir_.path() / ("a" + std::to_string(n) + ".stderr"); }
    static std::string text(const fs::path& p) {
        std::ifstream in(p);
        return std::string((std::istreambuf_iterator<char>(in)), {});
    }

    testing::TempDir dir_{"resident"};
    fs::path script_;
    int n_ = 0;
};

TEST_F(ResidentTest, ActionsGetTheirStatusAndOutputFromOneProcess) {
    Resident r = make();
    ResidentRun a = run(r, {"ok", "hello", "world"});
    EXPECT_EQ(a.error, "");
    EXPECT_EQ(a.exit_status, 0);
    EXPECT_EQ(text(out(1)), "hello world\n");
    EXPECT_EQ(text(err(1)), "");  // exists, empty: as a started client's would
    ResidentRun b = run(r, {"fail"});
    EXPECT_EQ(b.exit_status, 3);
    EXPECT_EQ(text(err(2)), "fake: it failed\n");
    EXPECT_FALSE(b.timed_out);
    EXPECT_EQ(r.starts(), 1);
}

TEST_F(ResidentTest, ConcurrentActionsRunAtOnce) {
    Resident r = make();
    fs::create_directories(dir_.path() / "gather");
    std::vector<std::future<ResidentRun>> runs;
    for (int i = 0; i < 4; ++i) {
        runs.push_back(std::async(std::launch::async, [&, i] {
            return r.run({"gather", (dir_.path() / "gather").string(), "4"}, out(10 + i),
                         err(10 + i), 10000ms, CancelToken{});
        }));
    }
    for (auto& f : runs) {
        ResidentRun a = f.get();
        EXPECT_EQ(a.error, "");
        EXPECT_EQ(a.exit_status, 0) << "the four actions were not all in flight at once";
    }
    EXPECT_EQ(r.starts(), 1);
}

TEST_F(ResidentTest, TheDeadlineCancelsTheActionAndTheResidentGoesOn) {
    Resident r = make();
    ResidentRun a = run(r, {"wait"}, 300ms);
    EXPECT_TRUE(a.timed_out);
    EXPECT_FALSE(a.exit_status);
    EXPECT_EQ(a.error, "");
    EXPECT_EQ(run(r, {"ok", "after"}).exit_status, 0);
    EXPECT_EQ(r.starts(), 1);
}

TEST_F(ResidentTest, AResidentThatIgnoresACancelIsReplaced) {
    Resident r = make();
    ResidentRun a = run(r, {"deaf"}, 300ms);
    EXPECT_TRUE(a.timed_out);
    ResidentRun b = run(r, {"ok", "again"});
    EXPECT_EQ(b.exit_status, 0) << b.error;
    EXPECT_EQ(r.starts(), 2);
    EXPECT_NE(text(dir_.path() / "resident" / "resident.log").find("did not end within"),
              std::string::npos);
}

TEST_F(ResidentTest, AResidentThatDiesIsAnErrorAndTheNextActionStartsAnother) {
    Resident r = make();
    ResidentRun a = run(r, {"die"});
    EXPECT_NE(a.error.find("resident driver exited during the action"), std::string::npos)
        << a.error;
    EXPECT_EQ(run(r, {"ok", "again"}).exit_status, 0);
    EXPECT_EQ(r.starts(), 2);
}

TEST_F(ResidentTest, AResidentThatNeverGetsReadyIsAnErrorNamingItsLog) {
    Resident r = make({"no-ready"});
    ResidentRun a = run(r, {"ok"});
    EXPECT_NE(a.error.find("could not start: it exited before saying ready"), std::string::npos)
        << a.error;
    EXPECT_NE(a.error.find("fake: cannot start"), std::string::npos) << a.error;
    EXPECT_NE(a.error.find("resident.log"), std::string::npos) << a.error;
}

TEST_F(ResidentTest, AResidentThatNeverStartsIsGivenUpAfterTwoTries) {
    Resident r = make({"no-ready"});
    EXPECT_NE(run(r, {"ok"}).error.find("exited before saying ready"), std::string::npos);
    EXPECT_NE(run(r, {"ok"}).error.find("exited before saying ready"), std::string::npos);
    ResidentRun third = run(r, {"ok"});
    EXPECT_NE(third.error.find("failed to start 2 times (it exited before saying ready: fake: "
                               "cannot start); not started again"),
              std::string::npos)
        << third.error;
    EXPECT_EQ(r.starts(), 2);
}

TEST_F(ResidentTest, AnInterruptEndsTheWaitForReady) {
    Resident r = make({"mute"});  // never says ready
    std::atomic<bool> stop{false};
    auto started = std::chrono::steady_clock::now();
    auto result = std::async(std::launch::async, [&] {
        return r.run({"ok"}, out(1), err(1), 60000ms, CancelToken(&stop));
    });
    std::this_thread::sleep_for(200ms);
    stop = true;
    ResidentRun a = result.get();
    EXPECT_TRUE(a.cancelled);
    EXPECT_EQ(a.error, "");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << "waited for ready regardless";
}

TEST_F(ResidentTest, AWordWithATabCannotBeSent) {
    Resident r = make();
    ResidentRun a = run(r, {"ok", "a\tb"});
    EXPECT_NE(a.error.find("holds a tab or a newline"), std::string::npos) << a.error;
    EXPECT_EQ(r.starts(), 0);  // nothing was started for it
}

}  // namespace
}  // namespace fc
