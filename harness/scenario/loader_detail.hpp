#pragma once
// Internal to the scenario loader: pieces shared between its source files.
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "harness/scenario/scenario.hpp"
#include "harness/scenario/xml_diag.hpp"

namespace fc::detail {

/// Server feature names in attribute `attr` of `node`; each unknown one is reported with a
/// did-you-mean hint and left out. An absent attribute gives an empty list.
std::vector<std::string> feature_list(XmlFile& file, pugi::xml_node node, std::string_view attr);

/// A step's timeout= (nullopt when absent or bad; a bad one is reported).
std::optional<std::chrono::milliseconds> step_timeout(XmlFile& file, pugi::xml_node node);

/// The attributes every kind of step may carry: timeout=, if= and unless=.
inline StepGuard load_step_guard(XmlFile& file, pugi::xml_node node) {
    return StepGuard{step_timeout(file, node), feature_list(file, node, "if"),
                     feature_list(file, node, "unless")};
}

/// Reports each unknown ${variable} in `text`, at attribute `attr` of `node` (at the
/// element when `attr` is empty).
void check_variables(XmlFile& file, pugi::xml_node node, std::string_view attr,
                     std::string_view text);
/// Reports `re` if it does not compile, at `attr` (or the element when empty).
void check_regex(XmlFile& file, pugi::xml_node node, std::string_view attr, const std::string& re);

/// The code=, text= and reason= attributes of `node` as a reply expectation; `code` is the
/// code attribute's value (no codes when nullopt). Every problem is reported.
ReplyExpectation load_reply(XmlFile& file, pugi::xml_node node,
                            const std::optional<std::string>& code);
/// load_reply when code= is given; nullopt (and an error for a text= or reason= without
/// it) otherwise.
std::optional<ReplyExpectation> optional_reply(XmlFile& file, pugi::xml_node node);

/// A true/false attribute; nullopt when absent or bad (reported).
std::optional<bool> bool_attr(XmlFile& file, pugi::xml_node node, std::string_view attr);
/// An attribute that takes one of `values`; nullopt when absent or unknown (reported with a
/// did-you-mean hint and the list of values).
std::optional<std::string> choice_attr(XmlFile& file, pugi::xml_node node, std::string_view attr,
                                       std::span<const std::string_view> values);

/// choice_attr for an enum whose values are named by to_string(): the value named in the
/// attribute, or nullopt (absent, or reported as bad with the list of names).
template <typename Enum, std::size_t N>
std::optional<Enum> enum_attr(XmlFile& file, pugi::xml_node node, std::string_view attr,
                              const std::array<Enum, N>& values) {
    std::array<std::string_view, N> names;
    for (std::size_t i = 0; i < N; ++i) {
        names[i] = to_string(values[i]);
    }
    auto chosen = choice_attr(file, node, attr, names);
    for (std::size_t i = 0; chosen && i < N; ++i) {
        if (names[i] == *chosen) {
            return values[i];
        }
    }
    return std::nullopt;
}

// One loader per step kind (loader_steps_tls.cpp, loader_steps_data.cpp). Each checks the
// element's attributes and children and reports every problem.
TlsHandshakeStep load_handshake(XmlFile& file, pugi::xml_node node);
TlsShutdownStep load_shutdown(XmlFile& file, pugi::xml_node node);
TlsAssertStep load_tls_assert(XmlFile& file, pugi::xml_node node);
TlsHelloProbeStep load_hello_probe(XmlFile& file, pugi::xml_node node);
SendRawStep load_send_raw(XmlFile& file, pugi::xml_node node);
ExpectCloseStep load_expect_close(XmlFile& file, pugi::xml_node node);
DataOpenStep load_data_open(XmlFile& file, pugi::xml_node node);
TransferStep load_transfer(XmlFile& file, pugi::xml_node node);

/// The steps inside <steps>; every problem is reported. An empty <steps> is an error.
std::vector<Step> load_steps(XmlFile& file, pugi::xml_node steps);
/// The element names of reference-client steps ("connect", "send", ...).
std::span<const std::string_view> reference_step_kinds();

// Client steps (loader_steps_client.cpp).

/// The element names of client steps ("seed", "client", "log-expect", "log-order").
std::span<const std::string_view> client_step_kinds();
/// True when <steps> holds at least one client step.
bool has_client_steps(pugi::xml_node steps);
/// The client steps inside <steps>; a reference-client step among them is reported (a
/// scenario has one kind or the other), as is every other problem.
std::vector<ClientStep> load_client_steps(XmlFile& file, pugi::xml_node steps);
/// Client setting names in attribute `attr` of `node` (its text when `attr` is empty);
/// unknown ones are reported with a did-you-mean hint and left out; duplicates dropped.
std::vector<std::string> client_setting_list(XmlFile& file, pugi::xml_node node,
                                             std::string_view attr);

/// Every <wire-expect> child of the scenario root into s.wire_expect (loader_wire.cpp).
void load_wire_expect(XmlFile& file, pugi::xml_node root, Scenario& s);

}  // namespace fc::detail
