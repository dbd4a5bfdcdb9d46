// Client manifests with <binary>, <vars>, <action> and <setting> (clients/README.md).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

class ClientManifestLoader : public ::testing::Test {
protected:
    std::optional<ClientManifest> load(const std::string& text) {
        fs::path file = dir_.path() / "c" / "manifest.xml";
        fs::create_directories(file.parent_path());
        std::ofstream(file) << text;
        return load_client_manifest(file, diags_);
    }
    std::string dump() const {
        std::string out;
        for (const auto& d : diags_) {
            out += d.str() + "\n";
        }
        return out;
    }
    struct Expected {
        int line;
        int column;
        const char* fragment;
    };
    void expect_diags(const std::vector<Expected>& want) {
        ASSERT_EQ(diags_.size(), want.size()) << dump();
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(diags_[i].line, want[i].line) << diags_[i].str();
            EXPECT_EQ(diags_[i].column, want[i].column) << diags_[i].str();
            EXPECT_NE(diags_[i].message.find(want[i].fragment), std::string::npos)
                << diags_[i].str();
        }
    }

    testing::TempDir dir_{"client-manifest"};
    std::vector<Diagnostic> diags_;
};

TEST_F(ClientManifestLoader, ReadsActionsSettingsAndVars) {
    auto m = load(R"m(<client name="curl" package="curl">
  <binary default="/usr/bin/curl"/>
  <version command="${binary} --version" regex="^curl ([0-9.]+)"/>
  <vars scheme="ftp" ssl="ssl-reqd"/>
  <action name="get" argv="${binary}   --config ${script}">
    ${ssl}
      ${settings}
    @each
    url = "${scheme}://${host}:${port}/${remote}"
    @end
  </action>
  <setting names="implicit" scheme="ftps"/>
  <setting names="tls12 verify">
    cacert = "${ca_cert}"
    tlsv1.2
  </setting>
</client>
)m");
    ASSERT_TRUE(m) << dump();
    EXPECT_EQ(m->binary, "/usr/bin/curl");
    EXPECT_EQ(m->vars, (std::vector<std::pair<std::string, std::string>>{{"scheme", "ftp"},
                                                                         {"ssl", "ssl-reqd"}}));
    ASSERT_EQ(m->actions.size(), 1u);
    const ClientAction* get = m->action("get");
    ASSERT_NE(get, nullptr);
    EXPECT_EQ(get->argv, "${binary} --config ${script}");
    EXPECT_EQ(
        get->script,
        "${ssl}\n  ${settings}\n@each\nurl = \"${scheme}://${host}:${port}/${remote}\"\n@end\n");
    EXPECT_EQ(get->pos.line, 5);
    EXPECT_TRUE(m->can("get"));
    EXPECT_FALSE(m->can("fxp"));
    ASSERT_EQ(m->settings.size(), 2u);
    EXPECT_EQ(m->settings[0].settings, std::vector<std::string>{"implicit"});
    EXPECT_EQ(m->settings[0].text, "");
    EXPECT_EQ(m->settings[0].vars,
              (std::vector<std::pair<std::string, std::string>>{{"scheme", "ftps"}}));
    EXPECT_EQ(m->settings[1].settings, (std::vector<std::string>{"tls12", "verify"}));
    EXPECT_EQ(m->settings[1].text, "cacert = \"${ca_cert}\"\ntlsv1.2\n");
    EXPECT_EQ(m->realisable_settings(), (std::vector<std::string>{"implicit", "tls12", "verify"}));
}

// <prologue> goes before every action's script; CDATA keeps shell text as written;
// ${manifest_dir} is a placeholder; logins="per-file" and <error-pattern> are read.
TEST_F(ClientManifestLoader, PrologueErrorPatternLoginsAndManifestDir) {
    auto m = load(R"m(<client name="drv">
  <binary default="/usr/bin/node"/>
  <error-pattern>^Error: (.*)$</error-pattern>
  <prologue><![CDATA[
    export SSL_CERT_FILE=${ca_cert}
    [ -n "$X" ] && echo "a<b" >&2
  ]]></prologue>
  <action name="get" argv="/bin/sh ${script}" logins="per-file">
    exec ${binary} ${manifest_dir}/driver.js get
  </action>
  <action name="list" argv="/bin/sh ${script}" logins="one">
    exec ${binary} ${manifest_dir}/driver.js list
  </action>
</client>
)m");
    ASSERT_TRUE(m) << dump();
    EXPECT_EQ(m->error_pattern, "^Error: (.*)$");
    EXPECT_EQ(m->prologue, "export SSL_CERT_FILE=${ca_cert}\n[ -n \"$X\" ] && echo \"a<b\" >&2\n");
    ASSERT_NE(m->action("get"), nullptr);
    EXPECT_EQ(m->action("get")->script,
              m->prologue + "exec ${binary} ${manifest_dir}/driver.js get\n");
    EXPECT_TRUE(m->action("get")->login_per_file);
    EXPECT_FALSE(m->action("list")->login_per_file);
}

TEST_F(ClientManifestLoader, BadPrologueErrorPatternAndLoginsAreReported) {
    EXPECT_FALSE(load(R"m(<client name="drv">
  <binary default="/usr/bin/node"/>
  <error-pattern>(unclosed</error-pattern>
  <prologue>${setings}</prologue>
  <action name="get" argv="x" logins="some"/>
</client>
)m"));
    ASSERT_EQ(diags_.size(), 3u) << dump();
    EXPECT_NE(dump().find("unknown placeholder '${setings}' (did you mean '${settings}'?)"),
              std::string::npos)
        << dump();
    EXPECT_NE(dump().find("bad regular expression '(unclosed'"), std::string::npos) << dump();
    EXPECT_NE(dump().find("bad value 'some' for 'logins'"), std::string::npos) << dump();
}

// <resident argv>: the run's placeholders only (it starts before any cell has a server).
TEST_F(ClientManifestLoader, ResidentArgvIsReadWithTheRunsPlaceholdersOnly) {
    auto m = load(R"m(<client name="drv">
  <binary default="/usr/bin/node"/>
  <resident argv="${binary} ${manifest_dir}/driver.mjs --serve"/>
  <action name="get" argv="${binary} ${manifest_dir}/driver.mjs ${script}">get</action>
</client>
)m");
    ASSERT_TRUE(m) << dump();
    EXPECT_EQ(m->resident_argv, "${binary} ${manifest_dir}/driver.mjs --serve");

    EXPECT_FALSE(load(R"m(<client name="drv">
  <binary default="/usr/bin/node"/>
  <resident argv="${binary} --port ${port}" stdin="yes"/>
  <action name="get" argv="${binary} ${script}">get</action>
</client>
)m"));
    ASSERT_EQ(diags_.size(), 2u) << dump();
    EXPECT_NE(dump().find("${port}"), std::string::npos) << dump();
    EXPECT_NE(dump().find("stdin"), std::string::npos) << dump();
    EXPECT_NE(dump().find(":3:"), std::string::npos) << dump();
}

TEST_F(ClientManifestLoader, ReportsEveryProblemWithHints) {
    EXPECT_FALSE(load(R"m(<client name="x">
  <binary default="/bin/${prefx}"/>
  <vars scheme="ftp" host="h"/>
  <action name="gett" argv="${binary} ${scirpt}">
    ${remote} ${schme}
  </action>
  <action name="put" argv="x">
    @each
    @eahc
  </action>
  <setting names="tls14 verify" schema="ftps">${settings}</setting>
</client>
)m"));
    expect_diags({
        {3, 22, "variable 'host' would hide the placeholder ${host}"},
        {2, 11, "unknown placeholder '${prefx}' (did you mean '${prefix}'?)"},
        {4, 11, "unknown action 'gett' (did you mean 'get'?)"},
        {4, 23, "unknown placeholder '${scirpt}' (did you mean '${script}'?)"},
        {4, 3, "unknown placeholder '${schme}' (did you mean '${scheme}'?)"},
        {7, 3, "unknown directive '@eahc' (did you mean '@each'?)"},
        {7, 3, "@each without @end"},
        {11, 33, "<setting> sets 'schema', which <vars> does not declare (did you mean 'scheme'?)"},
        {11, 12, "unknown setting 'tls14' (did you mean 'tls12'?)"},
        {11, 3, "a <setting> cannot use ${settings}"},
    });
}

TEST_F(ClientManifestLoader, DeviationsCarryASignatureAndMayBeScopedToServers) {
    auto m = load(R"m(<client name="curl">
  <binary default="/usr/bin/curl"/>
  <deviation scenario="s1" expect="fail" step="2" observed="exit status 1" source="curl#1" server="proftpd">only there</deviation>
  <deviation scenario="s2" expect="fail" step="1" observed="." source="curl#2">everywhere</deviation>
  <deviation scenario="s3" expect="fail" step="1" observed="." source="curl#3" server="proftpd vsftpd" intermittent="true">two servers</deviation>
</client>
)m");
    ASSERT_TRUE(m) << dump();
    ASSERT_EQ(m->deviations.size(), 3u);
    EXPECT_EQ(m->deviations[0].servers, std::vector<std::string>{"proftpd"});
    EXPECT_EQ(m->deviations[0].step, 2);
    EXPECT_EQ(m->deviations[0].observed, "exit status 1");
    EXPECT_FALSE(m->deviations[0].intermittent);
    EXPECT_TRUE(m->deviations[1].servers.empty());
    EXPECT_TRUE(m->deviations[2].intermittent);
    EXPECT_NE(m->deviation_for("s3", "vsftpd"), nullptr);
    EXPECT_NE(m->deviation_for("s3", "proftpd"), nullptr);
    EXPECT_EQ(m->deviation_for("s3", "pureftpd"), nullptr);
    const Deviation* d = m->deviation_for("s1", "proftpd");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->source, "curl#1");
    EXPECT_EQ(m->deviation_for("s1", "vsftpd"), nullptr);
    EXPECT_EQ(m->deviation_for("s1"), nullptr);
    EXPECT_NE(m->deviation_for("s2", "vsftpd"), nullptr);
    EXPECT_NE(m->deviation_for("s2"), nullptr);

    diags_.clear();
    EXPECT_FALSE(load(R"m(<client name="curl">
  <binary default="/usr/bin/curl"/>
  <deviation scenario="s1" expect="fail" step="1" observed="." server="">empty</deviation>
</client>
)m"));
    ASSERT_EQ(diags_.size(), 1u) << dump();
    EXPECT_NE(diags_[0].message.find("empty 'server'"), std::string::npos) << dump();

    // A deviation without its signature could excuse any failure: refused, at its place.
    diags_.clear();
    EXPECT_FALSE(load(R"m(<client name="curl">
  <binary default="/usr/bin/curl"/>
  <deviation scenario="s1" expect="fail" step="x" observed="(">no signature</deviation>
  <deviation scenario="s2" expect="fail">none at all</deviation>
</client>
)m"));
    ASSERT_EQ(diags_.size(), 4u) << dump();
    EXPECT_EQ(diags_[0].line, 3);
    EXPECT_NE(diags_[0].message.find("bad value 'x' for 'step'"), std::string::npos) << dump();
    EXPECT_NE(diags_[1].message.find("bad regex /(/"), std::string::npos) << dump();
    EXPECT_EQ(diags_[2].line, 4);
    EXPECT_NE(diags_[2].message.find("step"), std::string::npos) << dump();
    EXPECT_NE(diags_[3].message.find("observed"), std::string::npos) << dump();
}

TEST_F(ClientManifestLoader, ActionsNeedABinaryAndTheBuiltinHasNone) {
    EXPECT_FALSE(load(R"m(<client name="x">
  <action name="login" argv="lftp -f ${script}"/>
  <action name="login" argv="lftp"/>
</client>
)m"));
    expect_diags({
        {3, 11, "second <action name=\"login\">"},
        {1, 1, "missing required element <binary> in <client>"},
    });
    diags_.clear();
    EXPECT_FALSE(load(R"m(<client name="reference" builtin="true">
  <binary default="/bin/true"/>
  <setting names="verify"/>
</client>
)m"));
    expect_diags({
        {2, 3, "the builtin client has no <binary>"},
        {1, 1, "the builtin client runs actions natively"},
    });
}

// The placeholder tables of clients/README.md and servers/README.md list every placeholder
// the loaders accept, so a manifest author never has to read the loader to find one.
TEST(ManifestPlaceholders, EveryPlaceholderIsInItsReadmeTable) {
    auto read = [](const char* relative) {
        std::ifstream in(fs::path(FTPS_CONFORM_SOURCE_DIR) / relative);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    };
    const std::string clients = read("clients/README.md");
    const std::string servers = read("servers/README.md");
    ASSERT_FALSE(clients.empty());
    ASSERT_FALSE(servers.empty());
    for (std::string_view p : client_placeholders()) {
        EXPECT_NE(clients.find("`${" + std::string(p) + "}`"), std::string::npos)
            << "clients/README.md does not list ${" << p << "}";
    }
    for (std::string_view p : manifest_placeholders()) {
        EXPECT_NE(servers.find("`${" + std::string(p) + "}`"), std::string::npos)
            << "servers/README.md does not list ${" << p << "}";
    }
}

}  // namespace
}  // namespace fc
