#include "harness/engine/shard.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "harness/core/error.hpp"

namespace fc {
namespace {

// A synthetic plan: scenarios x servers x clients, the scenarios owned by `store`.
std::vector<PlannedCell> synthetic_plan(std::deque<Scenario>& store,
                                        const std::vector<std::string>& ids) {
    std::vector<PlannedCell> cells;
    for (const std::string& id : ids) {
        Scenario& s = store.emplace_back();
        s.id = id;
        s.area = id.size() % 2 == 0 ? "control" : "data";
        for (const char* server : {"proftpd", "vsftpd", "pureftpd"}) {
            for (const char* client : {"reference", "curl"}) {
                PlannedCell c;
                c.scenario = &s;
                c.server_name = server;
                c.client_name = client;
                cells.push_back(c);
            }
        }
    }
    return cells;
}

std::string key(const PlannedCell& c) {
    return c.server_name + "/" + c.client_name + "/" + c.scenario->area + "/" + c.scenario->id;
}

std::vector<std::string> ids(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        out.push_back("scenario-" + std::to_string(i));
    }
    return out;
}

TEST(Shard, EveryCellInExactlyOneShardInPlanOrder) {
    std::deque<Scenario> store;
    const std::vector<PlannedCell> plan = synthetic_plan(store, ids(20));
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        position[key(plan[i])] = i;
    }
    ASSERT_EQ(position.size(), plan.size());
    for (int n = 1; n <= 7; ++n) {
        std::map<std::string, int> seen;
        for (int i = 1; i <= n; ++i) {
            const std::vector<PlannedCell> shard = shard_cells(plan, i, n);
            for (std::size_t k = 0; k < shard.size(); ++k) {
                ++seen[key(shard[k])];
                EXPECT_EQ(shard_of(shard[k], n), i);
                if (k > 0) {
                    EXPECT_LT(position[key(shard[k - 1])], position[key(shard[k])])
                        << "plan order kept within shard " << i << "/" << n;
                }
            }
        }
        EXPECT_EQ(seen.size(), plan.size()) << "N=" << n;
        for (const auto& [k, times] : seen) {
            EXPECT_EQ(times, 1) << k << " N=" << n;
        }
    }
}

TEST(Shard, OneShardIsTheWholePlan) {
    std::deque<Scenario> store;
    const std::vector<PlannedCell> plan = synthetic_plan(store, ids(5));
    EXPECT_EQ(shard_cells(plan, 1, 1).size(), plan.size());
}

TEST(Shard, AssignmentIsStableWhenAnUnrelatedScenarioIsAdded) {
    std::deque<Scenario> store_a, store_b;
    std::vector<std::string> more = ids(12);
    const std::vector<PlannedCell> before = synthetic_plan(store_a, more);
    more.insert(more.begin() + 3, "a-new-scenario");
    const std::vector<PlannedCell> after = synthetic_plan(store_b, more);
    for (int n = 2; n <= 7; ++n) {
        std::map<std::string, int> shard_after;
        for (const PlannedCell& c : after) {
            shard_after[key(c)] = shard_of(c, n);
        }
        for (const PlannedCell& c : before) {
            EXPECT_EQ(shard_of(c, n), shard_after.at(key(c))) << key(c) << " N=" << n;
        }
    }
}

TEST(Shard, HashIsFnv1aOfTheSlashJoinedNames) {
    // Fixed values: the assignment must be the same on every machine and build.
    EXPECT_EQ(shard_key_hash("", "", "", ""), 0xeed41417e7153e64ULL);  // FNV-1a 64 of "///"
    EXPECT_EQ(shard_key_hash("proftpd", "reference", "control", "auth-tls-234"),
              0xe98526098b9c592dULL);
    EXPECT_NE(shard_key_hash("a", "b", "c", "d"), shard_key_hash("a", "b", "d", "c"));
}

TEST(Shard, SpreadsCellsOverShards) {
    std::deque<Scenario> store;
    const std::vector<PlannedCell> plan = synthetic_plan(store, ids(50));  // 300 cells
    for (int i = 1; i <= 4; ++i) {
        EXPECT_GT(shard_cells(plan, i, 4).size(), 40u) << "shard " << i << "/4";
    }
}

TEST(Shard, ParsesGoodForms) {
    EXPECT_EQ(parse_shard("1/1"), std::make_pair(1, 1));
    EXPECT_EQ(parse_shard("2/3"), std::make_pair(2, 3));
    EXPECT_EQ(parse_shard("1000/1000"), std::make_pair(1000, 1000));
    EXPECT_EQ(parse_shard("07/10"), std::make_pair(7, 10));
}

TEST(Shard, RejectsBadForms) {
    for (const char* bad : {"",
                            "1",
                            "/",
                            "1/",
                            "/2",
                            "0/2",
                            "3/2",
                            "1/0",
                            "0/0",
                            "1/1001",
                            "-1/2",
                            "1/-2",
                            "+1/2",
                            "1 /2",
                            "1/2 ",
                            "a/b",
                            "1/2/3",
                            "1.0/2",
                            "99999999999/2",
                            "1//2",
                            "1001/1001"}) {
        try {
            parse_shard(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const UsageError& e) {
            const std::string what = e.what();
            EXPECT_NE(what.find("--shard"), std::string::npos) << what;
            EXPECT_NE(what.find(std::string("'") + bad + "'"), std::string::npos) << what;
        }
    }
}

TEST(Shard, ShardCellsRejectsOutOfRange) {
    std::deque<Scenario> store;
    const std::vector<PlannedCell> plan = synthetic_plan(store, ids(2));
    EXPECT_THROW(shard_cells(plan, 0, 2), UsageError);
    EXPECT_THROW(shard_cells(plan, 3, 2), UsageError);
    EXPECT_THROW(shard_cells(plan, 1, 0), UsageError);
}

}  // namespace
}  // namespace fc
