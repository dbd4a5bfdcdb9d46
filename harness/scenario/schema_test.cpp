// The XSDs in scenarios/schema/ accept every shipped file (editors validate with them).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fc {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;
const fs::path kSchemas = kSource / "scenarios/schema";

std::string quoted(const fs::path& p) {
    std::string out = "'";
    for (char c : p.string()) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

bool validates(const fs::path& xsd, const fs::path& file) {
    std::string cmd = "xmllint --noout --schema " + quoted(xsd) + " " + quoted(file) + " 2>&1";
    return std::system(cmd.c_str()) == 0;
}

std::vector<fs::path> manifests(const fs::path& dir) {
    std::vector<fs::path> out;
    if (fs::is_directory(dir)) {
        for (const auto& entry : fs::directory_iterator(dir)) {
            if (fs::is_regular_file(entry.path() / "manifest.xml")) {
                out.push_back(entry.path() / "manifest.xml");
            }
        }
    }
    return out;
}

class Schema : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(std::system("xmllint --version >/dev/null 2>&1"), 0)
            << "xmllint is missing (apt-get install libxml2-utils)";
    }
};

TEST_F(Schema, EveryShippedScenarioValidates) {
    int count = 0;
    for (auto it = fs::recursive_directory_iterator(kSource / "scenarios");
         it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_directory() && it->path().filename() == "schema") {
            it.disable_recursion_pending();
        } else if (it->path().extension() == ".xml" &&
                   it->path().filename() != "requirements.xml") {  // the table, not a scenario
            EXPECT_TRUE(validates(kSchemas / "scenario.xsd", it->path())) << it->path();
            ++count;
        }
    }
    EXPECT_GE(count, 3);
    for (const char* good : {"everything.xml", "tls-and-data.xml"}) {
        EXPECT_TRUE(
            validates(kSchemas / "scenario.xsd", kSource / "harness/scenario/testdata/good" / good))
            << good;
    }
}

TEST_F(Schema, EveryShippedManifestValidates) {
    for (const auto& m : manifests(kSource / "servers")) {
        EXPECT_TRUE(validates(kSchemas / "server.xsd", m)) << m;
    }
    auto clients = manifests(kSource / "clients");
    EXPECT_FALSE(clients.empty());
    for (const auto& m : clients) {
        EXPECT_TRUE(validates(kSchemas / "client.xsd", m)) << m;
    }
    const fs::path data = kSource / "harness/scenario/testdata/endpoints";
    EXPECT_TRUE(validates(kSchemas / "server.xsd", data / "a/proftpd/manifest.xml"));
    EXPECT_TRUE(validates(kSchemas / "client.xsd", data / "a/refclient/manifest.xml"));
}

TEST_F(Schema, RejectsABadFile) {
    const fs::path bad = kSource / "harness/scenario/testdata/bad/unknown-step.xml";
    EXPECT_FALSE(validates(kSchemas / "scenario.xsd", bad));
}

}  // namespace
}  // namespace fc
