#include "harness/scenario/manifest_loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace fc {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = FTPS_CONFORM_SOURCE_DIR;
const fs::path kData = kSource / "harness/scenario/testdata/endpoints";

std::string dump(const std::vector<Diagnostic>& diags) {
    std::string out;
    for (const auto& d : diags) {
        out += d.str() + "\n";
    }
    return out;
}

TEST(ManifestLoader, EveryShippedManifestLoads) {
    std::vector<Diagnostic> diags;
    Endpoints e = load_endpoints({kSource / "servers", kSource / "clients"}, diags);
    EXPECT_TRUE(diags.empty()) << dump(diags);
    auto reference = std::find_if(e.clients.begin(), e.clients.end(),
                                  [](const ClientManifest& m) { return m.name == "reference"; });
    ASSERT_NE(reference, e.clients.end());
    EXPECT_TRUE(reference->builtin);
    for (const auto& m : e.servers) {
        EXPECT_FALSE(m.argv.empty()) << m.name;
    }
}

TEST(ManifestLoader, TextInMemoryLoadsAsTheFileDoes) {
    const fs::path file = kData / "a/proftpd/manifest.xml";
    std::ifstream in(file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<Diagnostic> diags;
    auto server = load_server_manifest_text(file, text, diags);
    ASSERT_TRUE(server) << dump(diags);
    EXPECT_EQ(server->name, "proftpd");
    EXPECT_EQ(server->files.size(), 2u);  // its templates are found beside `file`
    EXPECT_FALSE(load_client_manifest_text(file, text, diags));
    ASSERT_EQ(diags.size(), 1u);
    EXPECT_NE(diags[0].message.find("expected <client>"), std::string::npos) << dump(diags);
}

TEST(ManifestLoader, ReadsAProftpdShapedServer) {
    std::vector<Diagnostic> diags;
    auto m = load_server_manifest(kData / "a/proftpd/manifest.xml", diags);
    ASSERT_TRUE(m) << dump(diags);
    EXPECT_EQ(m->name, "proftpd");
    EXPECT_EQ(m->title, "ProFTPD with mod_tls");
    EXPECT_EQ(m->package, "proftpd-core");
    EXPECT_EQ(m->binary, "${prefix}/usr/sbin/proftpd");
    EXPECT_EQ(m->version_command, "${binary} -v");
    EXPECT_EQ(m->version_regex, "ProFTPD Version ([0-9.a-z]+)");
    EXPECT_FALSE(m->version_stdin_from_stdout);
    ASSERT_EQ(m->files.size(), 2u);
    EXPECT_EQ(m->files[0].template_name, "proftpd.conf.in");
    EXPECT_EQ(m->files[0].into, "${rundir}/proftpd.conf");
    EXPECT_EQ(m->files[0].mode, 0644u);
    EXPECT_EQ(m->files[1].mode, 0600u);
    EXPECT_EQ(m->files[1].pos.line, 6);
    EXPECT_EQ(m->argv, "${binary} -n -q -c ${rundir}/proftpd.conf");
    EXPECT_EQ(m->ready_banner, "220");
    EXPECT_EQ(m->ready_within, std::chrono::milliseconds(5000));
    ASSERT_EQ(m->features.size(), 3u);
    EXPECT_EQ(m->features[1].features,
              (std::vector<std::string>{"data-tls-required", "tls-required"}));
    EXPECT_EQ(m->features[0].text, "TLSRequired ctrl");
    EXPECT_EQ(m->features[2].text, "TLSOptions EnableDiags");
    ASSERT_EQ(m->deviations.size(), 1u);
    const Deviation* d = m->deviation_for("prot-levels");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->expect, Verdict::fail);
    EXPECT_EQ(d->source, "proftpd#1931");
    EXPECT_EQ(d->reason, "refuses PROT C");
}

TEST(ManifestLoader, LaterDirOverridesAndFoldersWithoutManifestAreSkipped) {
    std::vector<Diagnostic> diags;
    Endpoints e = load_endpoints({kData / "a", kData / "b", kData / "does-not-exist"}, diags);
    EXPECT_TRUE(diags.empty()) << dump(diags);
    ASSERT_EQ(e.servers.size(), 1u);
    EXPECT_EQ(e.servers[0].title, "my own build");
    EXPECT_TRUE(e.servers[0].version_stdin_from_stdout);
    EXPECT_EQ(e.servers[0].ready_within, std::chrono::milliseconds(2500));
    EXPECT_EQ(e.servers[0].ready_port, "${port}");
    ASSERT_EQ(e.clients.size(), 1u);
    EXPECT_EQ(e.clients[0].name, "refclient");
    EXPECT_TRUE(e.clients[0].builtin);
}

struct Expected {
    int line;
    int column;
    const char* fragment;
};

void expect_diags(const std::vector<Diagnostic>& diags, const std::vector<Expected>& want) {
    ASSERT_EQ(diags.size(), want.size()) << dump(diags);
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(diags[i].line, want[i].line) << diags[i].str();
        EXPECT_EQ(diags[i].column, want[i].column) << diags[i].str();
        EXPECT_NE(diags[i].message.find(want[i].fragment), std::string::npos) << diags[i].str();
    }
}

TEST(ManifestLoader, BadServerReportsEveryProblem) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_server_manifest(kData / "bad/server/manifest.xml", diags));
    expect_diags(diags,
                 {
                     {5, 3, "unknown element <readdy> in <server> (did you mean 'ready'?)"},
                     {2, 1, "missing required attribute 'name' on <server>"},
                     {3, 11, "unknown placeholder '${prefx}' (did you mean '${prefix}'?)"},
                     {4, 11, "template file 'missing.conf.in' not found beside the manifest"},
                     {4, 62, "bad file mode '0999'"},
                     {2, 1, "missing required element <argv> in <server>"},
                     {2, 1, "missing required element <ready> in <server>"},
                     {6, 12, "unknown feature 'tls-requird' (did you mean 'tls-required'?)"},
                     {7, 38, "bad value 'xfail' for 'expect' (use fail or error)"},
                 });
}

TEST(ManifestLoader, BadClientReportsEveryProblem) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_client_manifest(kData / "bad/client/manifest.xml", diags));
    expect_diags(diags, {
                            {2, 32, "unknown attribute 'colour' on <client>"},
                            {2, 18, "bad value 'yes' for 'builtin'"},
                            {3, 12, "unknown placeholder '${bianry}'"},
                            {3, 42, "bad regex /([/"},
                        });
}

TEST(ManifestLoader, WrongKindIsADiagnostic) {
    std::vector<Diagnostic> diags;
    EXPECT_FALSE(load_server_manifest(kData / "a/refclient/manifest.xml", diags));
    expect_diags(diags, {{2, 1, "root element is <client>, expected <server>"}});
    diags.clear();
    Endpoints e = load_endpoints({kData / "bad"}, diags);
    EXPECT_TRUE(e.servers.empty());
    EXPECT_TRUE(e.clients.empty());
    ASSERT_EQ(diags.size(), 14u) << dump(diags);
    EXPECT_NE(dump(diags).find("other/manifest.xml:2:1: error: root element is <scenario>, "
                               "expected <server> or <client>"),
              std::string::npos);
}

}  // namespace
}  // namespace fc
