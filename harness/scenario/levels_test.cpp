// Levels from the quoted spec sentence, conflicts=, and the step attributes that let a
// scenario check exactly what it claims (if-reply, close=, offset=, preliminary=, peer=).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <variant>

#include "harness/scenario/loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;

std::string dump(const std::vector<Diagnostic>& diags) {
    std::string out;
    for (const auto& d : diags) {
        out += d.str() + "\n";
    }
    return out;
}

/// Loads one scenario written from `level`, `specs` and `steps` into a temporary file.
std::optional<Scenario> load_text(const std::string& name, const std::string& level,
                                  const std::string& head, const std::string& steps,
                                  std::vector<Diagnostic>& diags) {
    static int counter = 0;
    testing::TempDir dir("levels-" + std::to_string(++counter));
    fs::path file = dir.path() / (name + ".xml");
    std::ofstream(file) << "<?xml version=\"1.0\"?>\n<scenario id=\"" << name << "\" level=\""
                        << level << "\">\n<title>t</title>\n"
                        << head << "<steps>\n<connect/>\n<expect code=\"220\"/>\n"
                        << steps << "</steps>\n"
                        << "<negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n"
                        << "</scenario>\n";
    return load_scenario_file(file, diags);
}

TEST(QuoteLevel, FollowsTheStrongestKeyword) {
    EXPECT_EQ(quote_level("The server MUST reply 234."), Level::must);
    EXPECT_EQ(quote_level("it SHALL NOT"), Level::must);
    EXPECT_EQ(quote_level("is REQUIRED"), Level::must);
    EXPECT_EQ(quote_level("The server must also require that the user reauthorize"), Level::must);
    EXPECT_EQ(quote_level("it should respond with reply code 504"), Level::should);
    EXPECT_EQ(quote_level("RECOMMENDED"), Level::should);
    EXPECT_EQ(quote_level("the server MAY refuse"), Level::info);
    EXPECT_EQ(quote_level("OPTIONAL"), Level::info);
    EXPECT_EQ(quote_level("servers MAY do this but SHOULD do that"), Level::should);
    EXPECT_EQ(quote_level("if accepted it may reply, but it must reset"), Level::must);
    // Whole words only.
    EXPECT_EQ(quote_level("the mayor mustered shouldered"), std::nullopt);
    EXPECT_EQ(quote_level("Some servers will allow the AUTH command"), std::nullopt);
    // Identifiers are not keywords: an alert name, a word joined to others by "_" or digits.
    EXPECT_EQ(quote_level("abort the handshake with a \"certificate_required\" alert"),
              std::nullopt);
    EXPECT_EQ(quote_level("MAY abort with a \"certificate_required\" alert"), Level::info);
    EXPECT_EQ(quote_level("must_not 2must"), std::nullopt);
}

TEST(ConflictReason, NamesEachConflictingFeature) {
    Scenario s;
    s.conflicting_features = {"tls-required", "data-tls-required"};
    EXPECT_EQ(conflict_reason(s, {}), "");
    EXPECT_EQ(conflict_reason(s, {"ccc", "implicit"}), "");
    EXPECT_EQ(conflict_reason(s, {"tls-required"}),
              "needs a server without tls-required (it has it)");
    EXPECT_EQ(conflict_reason(s, {"data-tls-required", "tls-required", "ccc"}),
              "needs a server without tls-required data-tls-required (it has them)");
    Scenario free;
    EXPECT_EQ(conflict_reason(free, {"tls-required"}), "");
}

TEST(Levels, MustWithoutAMustQuoteIsALoadErrorAtTheLevel) {
    std::vector<Diagnostic> diags;
    auto s = load_text("weak", "must",
                       "<spec ref=\"RFC2228 3\" quote=\"it should respond with 504\">x</spec>\n",
                       "", diags);
    EXPECT_FALSE(s);
    ASSERT_EQ(diags.size(), 1u) << dump(diags);
    EXPECT_EQ(diags[0].line, 2);
    EXPECT_NE(diags[0].message.find("level 'must' does not follow its quotes"), std::string::npos)
        << diags[0].message;
    EXPECT_NE(diags[0].message.find("SHOULD"), std::string::npos);

    diags.clear();
    EXPECT_FALSE(
        load_text("none", "must", "<spec ref=\"RFC4217 9\" quote=\"Nothing.\"/>\n", "", diags));
    ASSERT_EQ(diags.size(), 1u) << dump(diags);
    EXPECT_NE(diags[0].message.find("no quote holds"), std::string::npos);

    diags.clear();
    EXPECT_FALSE(
        load_text("strong", "info", "<spec ref=\"RFC4217 9\" quote=\"It MUST.\"/>\n", "", diags));
    EXPECT_EQ(diags.size(), 1u) << dump(diags);

    diags.clear();
    EXPECT_TRUE(load_text("ok", "should",
                          "<spec ref=\"a\" quote=\"it SHOULD\"/><spec ref=\"b\" quote=\"MAY\"/>\n",
                          "", diags))
        << dump(diags);
    diags.clear();
    EXPECT_TRUE(load_text("unquoted", "must", "<spec ref=\"RFC4217 9\">note</spec>\n", "", diags))
        << dump(diags);
}

/// The strongest keyword of a scenario's quotes, and whether it quotes anything at all.
struct QuotedLevel {
    bool quoted = false;
    std::optional<Level> strongest;
};

QuotedLevel quoted_level(const Scenario& s) {
    QuotedLevel out;
    for (const auto& spec : s.specs) {
        if (spec.quote.empty()) {
            continue;
        }
        out.quoted = true;
        auto level = quote_level(spec.quote);
        if (level && (!out.strongest || *level < *out.strongest)) {
            out.strongest = level;
        }
    }
    return out;
}

/// Whether `level` follows the keyword rule: must needs MUST, should needs SHOULD (and no
/// MUST), interop and info need MAY or no keyword.
bool follows(Level level, std::optional<Level> strongest) {
    if (level == Level::must || level == Level::should) {
        return strongest == level;
    }
    return !strongest || strongest == Level::info;
}

TEST(Levels, EveryShippedScenarioQuotesItsSpecAndFollowsTheKeyword) {
    std::vector<Diagnostic> diags;
    auto scenarios = load_scenarios({kSource / "scenarios"}, diags);
    EXPECT_TRUE(diags.empty()) << dump(diags);
    ASSERT_GE(scenarios.size(), 100u) << "the shipped scenarios did not load";
    std::string unquoted;
    std::string wrong;
    for (const auto& s : scenarios) {
        QuotedLevel q = quoted_level(s);
        if (!q.quoted) {
            unquoted += "  " + s.file.string() + "\n";
            continue;
        }
        if (!follows(s.level, q.strongest)) {
            wrong += "  " + s.file.string() + ": level " + std::string(to_string(s.level)) + "\n";
        }
    }
    EXPECT_EQ(unquoted, "") << "scenarios without <spec quote=\"...\">, quote the sentence "
                               "each one tests:\n"
                            << unquoted;
    EXPECT_EQ(wrong, "") << "levels that do not follow the quoted keyword:\n" << wrong;
}

// Under --target every cell shares the one server's files, and cells run in parallel: two
// scenarios that upload the same file name would read each other's bytes. So each name a
// server-side scenario uploads belongs to that scenario alone.
TEST(Levels, EachUploadedFileNameBelongsToOneScenario) {
    std::vector<Diagnostic> diags;
    auto scenarios = load_scenarios({kSource / "scenarios"}, diags);
    ASSERT_GE(scenarios.size(), 100u) << dump(diags);
    std::map<std::string, std::string> owner;
    std::string clashes;
    for (const auto& s : scenarios) {
        for (const Step& step : s.steps) {
            const auto* t = std::get_if<TransferStep>(&step.body);
            if (t == nullptr || !t->upload) {
                continue;
            }
            std::string name = t->command.substr(t->command.find(' ') + 1);
            auto [it, fresh] = owner.emplace(name, s.id);
            if (!fresh && it->second != s.id) {
                clashes += "  " + name + ": " + it->second + " and " + s.id + "\n";
            }
        }
    }
    EXPECT_EQ(clashes, "") << "file names uploaded by more than one scenario:\n" << clashes;
}

TEST(Levels, TheShippedCheckSeesAMissingQuoteAndAWrongLevel) {
    // The check above on two scenarios written here: one without a quote, one whose level
    // does not follow its quote (the loader refuses that one, so build it in memory).
    std::vector<Diagnostic> diags;
    auto bare = load_text("bare", "must", "<spec ref=\"RFC4217 9\">note</spec>\n", "", diags);
    ASSERT_TRUE(bare) << dump(diags);
    EXPECT_FALSE(quoted_level(*bare).quoted);
    Scenario weak = *bare;
    weak.specs[0].quote = "it should respond with reply code 504";
    QuotedLevel q = quoted_level(weak);
    EXPECT_TRUE(q.quoted);
    EXPECT_FALSE(follows(Level::must, q.strongest));
    EXPECT_TRUE(follows(Level::should, q.strongest));
    EXPECT_FALSE(follows(Level::info, q.strongest));
    EXPECT_TRUE(follows(Level::interop, quote_level("It is reasonable for the server")));
    EXPECT_TRUE(follows(Level::info, Level::info));
}

TEST(Levels, ConflictsAreLoadedAndCheckedAgainstRequires) {
    std::vector<Diagnostic> diags;
    auto s = load_text("c", "info", "<requires conflicts=\"tls-required ccc\"/>\n", "", diags);
    ASSERT_TRUE(s) << dump(diags);
    EXPECT_EQ(s->conflicting_features, (std::vector<std::string>{"tls-required", "ccc"}));
    diags.clear();
    EXPECT_FALSE(load_text(
        "both", "info", "<requires server=\"ccc\" conflicts=\"tls-requird ccc\"/>\n", "", diags));
    ASSERT_EQ(diags.size(), 2u) << dump(diags);
    EXPECT_NE(diags[0].message.find("did you mean 'tls-required'"), std::string::npos)
        << diags[0].message;
    EXPECT_NE(diags[1].message.find("both required"), std::string::npos);
}

TEST(Levels, CloseAfter421LoadsAndUnknownCloseValuesAreRefused) {
    std::vector<Diagnostic> diags;
    auto s = load_text("close421", "info", "",
                       "<send>PASS x</send>\n"
                       "<expect code=\"530|421\" reason=\"r\" close=\"after-421\"/>\n",
                       diags);
    ASSERT_TRUE(s) << dump(diags);
    const auto& e = std::get<ExpectStep>(s->steps[3].body);  // after connect, 220, PASS
    EXPECT_TRUE(e.close_after_421);
    EXPECT_FALSE(e.close_acceptable);
    diags.clear();
    EXPECT_FALSE(load_text("closebad", "info", "",
                           "<send>PASS x</send>\n<expect code=\"530\" close=\"sometimes\"/>\n",
                           diags));
    ASSERT_FALSE(diags.empty());
    EXPECT_NE(diags[0].message.find("use allowed or after-421"), std::string::npos)
        << diags[0].message;
}

TEST(Levels, StepAttributesForAllowedOutcomesLoad) {
    std::vector<Diagnostic> diags;
    auto s = load_text("steps", "info", "",
                       "<send>AUTH TLS</send>\n"
                       "<expect code=\"234|5xx\" reason=\"accept or refuse\"/>\n"
                       "<send if-reply=\"5xx\">PWD</send>\n"
                       "<expect if-reply=\"234|2xx\" code=\"530\" close=\"allowed\"/>\n"
                       "<data-open mode=\"pasv\" code=\"227|5xx\" reason=\"r\"/>\n"
                       "<transfer command=\"STOR f\" size=\"3096\" offset=\"1000\"/>\n"
                       "<transfer command=\"RETR f\" verify=\"true\" offset=\"1k\"/>\n"
                       "<transfer command=\"LIST\" preliminary=\"forbidden\"/>\n"
                       "<tls-assert channel=\"data\" peer=\"same-as-control\"/>\n",
                       diags);
    ASSERT_TRUE(s) << dump(diags);
    ASSERT_EQ(s->steps.size(), 11u);
    EXPECT_TRUE(s->steps[3].if_reply.empty());
    ASSERT_EQ(s->steps[4].if_reply.size(), 1u);
    EXPECT_EQ(s->steps[4].if_reply[0].pattern, "5xx");
    EXPECT_EQ(s->steps[5].if_reply.size(), 2u);
    EXPECT_TRUE(std::get<ExpectStep>(s->steps[5].body).close_acceptable);
    EXPECT_FALSE(std::get<ExpectStep>(s->steps[3].body).close_acceptable);
    EXPECT_EQ(std::get<TransferStep>(s->steps[7].body).offset, 1000u);
    EXPECT_EQ(std::get<TransferStep>(s->steps[8].body).offset, 1024u);
    EXPECT_FALSE(std::get<TransferStep>(s->steps[8].body).preliminary_forbidden);
    EXPECT_TRUE(std::get<TransferStep>(s->steps[9].body).preliminary_forbidden);
    EXPECT_TRUE(std::get<TlsAssertStep>(s->steps[10].body).peer_same_as_control);
}

TEST(Levels, StepAttributeMistakesAreReported) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_text("bad", "info", "",
                           "<send if-reply=\"2x\">PWD</send>\n"
                           "<transfer command=\"RETR f\" offset=\"10\"/>\n"
                           "<tls-assert peer=\"same-as-control\"/>\n"
                           "<expect code=\"200\" close=\"maybe\"/>\n",
                           diags));
    ASSERT_EQ(diags.size(), 4u) << dump(diags);
    EXPECT_NE(diags[0].message.find("bad code pattern '2x'"), std::string::npos);
    EXPECT_NE(diags[1].message.find("offset on a download without verify"), std::string::npos);
    EXPECT_NE(diags[2].message.find("add channel=\"data\""), std::string::npos);
    EXPECT_EQ(diags[3].line, 10);

    diags.clear();
    testing::TempDir dir("levels-early");
    fs::path file = dir.path() / "early.xml";
    std::ofstream(file)
        << "<?xml version=\"1.0\"?>\n<scenario id=\"early\" level=\"info\">\n"
           "<title>t</title>\n<steps>\n<connect/>\n<send if-reply=\"2xx\">PWD</send>\n"
           "</steps>\n<negative-control server=\"reference\" misbehave=\"auth-tls-334\"/>\n"
           "</scenario>\n";
    EXPECT_FALSE(load_scenario_file(file, diags));
    ASSERT_EQ(diags.size(), 1u) << dump(diags);
    EXPECT_EQ(diags[0].line, 6);
    EXPECT_NE(diags[0].message.find("needs an <expect>"), std::string::npos);
}

}  // namespace
}  // namespace fc
