// Real servers from their manifests: two instances of each at once (different ports and
// dirs, as parallel cells will need), each answering on its own port, each stopped and
// reaped. Named *RealServer* so ctest labels it "scenario".
#include "harness/engine/server_instance.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "harness/core/socket.hpp"
#include "harness/proc/ports.hpp"
#include "harness/scenario/manifest_loader.hpp"
#include "harness/testing/temp_dir.hpp"

namespace fc {
namespace {

namespace fs = std::filesystem;

// The first line the server sends on a fresh connection.
std::string banner(std::uint16_t port) {
    std::string error;
    UniqueFd fd = tcp_connect("127.0.0.1", port, Deadline::after(Millis(3000)), {}, &error);
    if (!fd) {
        return "connect failed: " + error;
    }
    std::string text;
    char buf[512];
    while (text.find('\n') == std::string::npos) {
        IoResult r = recv_some(fd.get(), buf, sizeof buf, Deadline::after(Millis(3000)), {});
        if (!r.ok()) {
            break;
        }
        text.append(buf, r.bytes);
    }
    return text.substr(0, text.find('\r'));
}

TEST(ServerInstanceRealServer, TwoInstancesOfEachServerRunSideBySide) {
    testing::TempDir dir("instances");
    PkiFiles pki = make_test_pki(dir.path() / "pki");
    Credentials credentials = make_credentials();
    PortAllocator ports;
    std::vector<std::unique_ptr<ServerManifest>> manifests;
    std::vector<std::unique_ptr<ServerInstance>> running;
    for (const char* name : {"proftpd", "vsftpd", "pureftpd"}) {
        std::vector<Diagnostic> diags;
        auto m = load_server_manifest(
            fs::path(FTPS_CONFORM_SOURCE_DIR) / "servers" / name / "manifest.xml", diags);
        ASSERT_TRUE(m) << name << ": " << (diags.empty() ? "" : diags[0].str());
        manifests.push_back(std::make_unique<ServerManifest>(*m));
        std::vector<std::string> missing;
        std::vector<std::string> features{"tls-required"};
        auto text = realise_features(*manifests.back(), features, &missing);
        ASSERT_TRUE(text) << name;
        for (int copy = 0; copy < 2; ++copy) {
            fs::path logs = dir.path() / (std::string(name) + std::to_string(copy));
            fs::create_directories(logs);
            InstanceRequest req{manifests.back().get(), features, *text,  &pki, &credentials,
                                default_prefix(),       logs,     &ports, {}};
            running.push_back(ServerInstance::start(req));
        }
    }
    ASSERT_EQ(running.size(), 6u);
    for (std::size_t i = 0; i < running.size(); ++i) {
        std::uint16_t port = running[i]->target().port;
        for (std::size_t j = 0; j < i; ++j) {
            EXPECT_NE(port, running[j]->target().port) << "two instances share a port";
        }
        EXPECT_EQ(banner(port).rfind("220", 0), 0u) << "instance " << i << " on " << port;
        EXPECT_FALSE(running[i]->exited()) << "instance " << i << " died";
    }
    std::vector<std::uint16_t> used;
    for (auto& instance : running) {
        used.push_back(instance->target().port);
        instance->stop();
    }
    for (std::uint16_t port : used) {
        std::string error;
        UniqueFd fd = tcp_connect("127.0.0.1", port, Deadline::after(Millis(1000)), {}, &error);
        EXPECT_FALSE(fd) << "port " << port << " still accepts connections after stop()";
    }
}

}  // namespace
}  // namespace fc
