#pragma once
// The scenario model: what the loader builds from one scenario file. Immutable after
// loading; strings may still hold ${variables}, which the engine substitutes per cell.
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/core/data_mode.hpp"

namespace fc {

/// Where something stood in its source file (1-based; 0 = unknown).
struct SourcePos {
    int line = 0;
    int column = 0;
};

enum class Level { must, should, interop, info };
std::string_view to_string(Level level);

/// Which implementation fills a role: the one under test, or ftps-conform's reference.
enum class Role { under_test, reference };

struct SpecRef {
    std::string ref;   ///< e.g. "RFC4217 4.2"
    std::string note;  ///< the element's text, may be empty
    /// The sentence of the spec the scenario tests, word for word (quote=); "" if none.
    std::string quote;
    SourcePos pos;  ///< where the <spec> element stands
};

/// The level a quoted sentence sets by its keyword (RFC 2119 words, in any case, since RFC
/// 959 and 2228 predate it): MUST/MUST NOT/SHALL/SHALL NOT/REQUIRED -> must, SHOULD/SHOULD
/// NOT/RECOMMENDED -> should, MAY/OPTIONAL -> info; nullopt when it has none of them.
std::optional<Level> quote_level(std::string_view quote);

/// One acceptable reply code: exact ("234"), a class ("5xx") or a decade ("53x").
/// Well-formedness is checked by the loader.
struct CodePattern {
    std::string pattern;
    bool matches(int code) const;
};

/// What a reply must look like. Every listed condition must hold.
struct ReplyExpectation {
    std::vector<CodePattern> codes;  ///< any one may match; never empty
    std::string text_regex;          ///< ECMAScript regex searched in the whole text; "" = any
    std::vector<std::string> line_regexes;  ///< each must match some line of the reply
    std::string reason;                     ///< why a set of codes is allowed (required when >1)
    std::string describe() const;           ///< "code 234", "code 534|536 and text /.../"
};

// ---- Reference-client steps ---------------------------------------------------------

/// Open the control connection; read nothing (use <expect> for the banner).
struct ConnectStep {
    bool implicit = false;  ///< implicit FTPS: TLS handshake right after TCP connect
};
/// Send one command line; CRLF is appended.
struct SendStep {
    std::string line;
};
/// Read one reply and check it.
struct ExpectStep {
    ReplyExpectation reply;
    /// close="allowed": the server may close the connection instead of replying (a safe
    /// refusal), or reply 421 (which announces the close); the scenario then ends there and
    /// passes.
    bool close_acceptable = false;
    /// close="after-421": a 421 reply ends the scenario there (it passes); a close without
    /// a 421 first fails the step (RFC 2577 5).
    bool close_after_421 = false;
};
/// TLS handshake as client on the control connection.
struct TlsHandshakeStep {
    bool expect_success = true;
    /// expect="success-or-close": the server may instead end the connection (a safe
    /// refusal); the scenario then ends there and passes.
    bool close_acceptable = false;
    std::string min_version;  ///< "1.0" "1.1" "1.2" "1.3"; "" = 1.2 (1.0/1.1 lower SECLEVEL)
    std::string max_version;  ///< same values; "" = the library's highest
    /// Client certificate from the run's PKI: "" (none), "valid", "untrusted", "expired",
    /// "not-yet-valid", "wrong-eku", "self-signed".
    std::string client_cert;
    std::string sni;                ///< server name to send; "" = none (may hold ${host})
    bool verify = true;             ///< verify the server certificate with the run's CA and name
    std::string ciphers;            ///< OpenSSL cipher list for TLS 1.2 and lower; "" = default
    std::vector<std::string> alpn;  ///< ALPN names to offer (alpn="http/1.1"); empty = none
    /// renegotiate="true": not a new handshake but a client-initiated renegotiation of the
    /// established (TLS 1.2) control session; expect= judges whether it completed.
    bool renegotiate = false;
    /// expect="failure": an ECMAScript regex one of the alerts the server sent must match
    /// (OpenSSL's long names: "fatal: unknown CA"); "" = no alert required.
    std::string alert;
};

/// TLS shutdown on the control connection after CCC (RFC 4217 5): send close_notify,
/// wait for the server's, and go on in clear.
struct TlsShutdownStep {
    bool expect_peer_close_notify = true;
};

/// A hand-made TLS 1.2 ClientHello on the control connection, after 234, offering what no
/// TLS library here offers any more (harness/tls/hello_probe.hpp): offer="rc4", "3des" or
/// "export" (only those suites), or "deflate" (ordinary suites, DEFLATE compression first).
/// The server must not agree: an alert or a close passes, and for deflate a ServerHello
/// that chooses no compression; a ServerHello choosing an offered weak suite, or DEFLATE,
/// fails, and so does silence. The probe cannot finish a handshake, so the connection is
/// closed after it: it is the last step of its scenario.
struct TlsHelloProbeStep {
    std::string offer;
};
/// The values of <tls-hello-probe offer>, in hello_offer_names()'s order (a test checks).
inline constexpr std::array<std::string_view, 4> kHelloProbeOffers{"rc4", "3des", "export",
                                                                   "deflate"};

/// Bytes sent exactly as given (escapes \r \n \t \\ \xNN already decoded by the loader).
struct SendRawStep {
    std::string bytes;
};

/// The server must close the control connection (EOF, reset or a TLS alert) within the
/// step's deadline. Replies that arrive first must match `allow` (if it has codes), else
/// the step fails.
struct ExpectCloseStep {
    std::optional<ReplyExpectation> allow;
};

/// The TLS session a data connection offers for resumption (resume=): this control
/// connection's, none (a full handshake), or another control connection's, just made.
enum class ResumeFrom { control, none, other };
/// What a transfer's data connection must do (expect-data=).
/// if-accepted: as success when the final reply is 2yz (the whole transfer, verified if
/// asked), nothing when the server refused (4yz/5yz): "works or is refused, never a 226 with
/// less than the file".
enum class DataExpect { success, failure, any, if_accepted };
/// When and how the client starts TLS on a protected data connection (handshake=):
/// after sending the transfer command (default), before it (its ClientHello already on the
/// wire when the command goes out: curl's order), or never: plaintext bytes instead of a
/// ClientHello (a failed data-connection negotiation, RFC 4217 10.2).
enum class DataHandshake { after_command, before_command, garbage };
/// Which connection a <tls-assert> looks at (channel=).
enum class TlsChannel { control, data };
/// The attribute value of each ("other", "failure", "data"; DataMode: core/data_mode.hpp).
std::string_view to_string(ResumeFrom resume);
std::string_view to_string(DataHandshake handshake);
std::string_view to_string(DataExpect expect);
std::string_view to_string(TlsChannel channel);

/// How a data connection is set up: PASV/EPSV (client connects) or PORT/EPRT (server
/// connects back). The command is sent and its reply checked; a connection is made for
/// the next <transfer>.
struct DataOpenStep {
    DataMode mode = DataMode::epsv;
    std::string source;  ///< local address to bind or listen on; "" = 127.0.0.1 (::1 on IPv6)
    /// Default: 227 / 229 / 200 by mode. When it accepts a 4yz/5yz refusal and that comes,
    /// the next <transfer> is moot: it is skipped (nothing was set up to transfer on).
    std::optional<ReplyExpectation> reply;
    /// EPSV only, set by the builtin client's actions (not a scenario attribute): an EPSV
    /// answered 4yz/5yz, or whose port refuses the connection, is followed by PASV, as curl
    /// and basic-ftp do.
    bool pasv_fallback = false;
};

/// A transfer command on the data connection opened by the last <data-open>.
struct TransferStep {
    std::string command;  ///< "LIST", "NLST", "MLSD", "RETR f", "STOR f", "APPE f"
    bool upload = false;  ///< STOR/APPE/STOU (derived from the command by the loader)
    bool protect = true;  ///< TLS client on the data connection (RFC 4217 7)
    /// The TLS session to offer for resumption.
    ResumeFrom resume = ResumeFrom::control;
    std::uint64_t size = 4096;  ///< bytes to upload
    bool close_notify = true;   ///< upload: send close_notify before closing (false = truncate)
    /// close="reset" (uploads): after the payload (and close_notify, unless close-notify is
    /// false) the client closes at once with SO_LINGER 0: the kernel sends a reset, drops
    /// what the server sent and was not read (a TLS 1.3 ticket) and what of the upload it
    /// had not yet transmitted.
    bool reset = false;
    /// download: the bytes must equal what this session last uploaded under the same
    /// file name (SHA-256 and length)
    bool verify = false;
    /// offset= (after a REST the scenario sent): an upload writes at this byte of the file;
    /// a verified download holds the file's bytes from here on.
    std::uint64_t offset = 0;
    /// preliminary="forbidden": a 1yz reply fails the step (a refusal must come before
    /// any 1yz, RFC 4217 10.2); default allowed.
    bool preliminary_forbidden = false;
    /// reply="optional" (with expect-data="failure"): the server need not send a final
    /// reply (it may keep waiting for the right peer); the step ends when the data
    /// connection ends, and a reply that has come by then is judged.
    bool reply_optional = false;
    /// The final reply. Default 226|250. A refusal may come instead of the 1xx reply
    /// (then no data may flow) or after it (a failed data handshake).
    std::optional<ReplyExpectation> reply;
    /// "success" (default): the data handshake and transfer must work; "failure": the
    /// data connection must not carry the transfer (handshake refused, or closed);
    /// "any": record only.
    DataExpect data = DataExpect::success;
    /// abort-after= (downloads): after this many bytes the client reads slowly (16 KiB per
    /// 10 ms) and sends ABOR inside TLS; `reply` (default 225|226) then judges the reply
    /// ending the ABOR.
    std::optional<std::uint64_t> abort_after;
    /// stat-after= (downloads): after this many bytes the client reads slowly and sends
    /// STAT; a 211|212|213 reply must come while the transfer runs, then the rest is read
    /// at full speed and the transfer judged as usual.
    std::optional<std::uint64_t> stat_after;
    /// handshake=: after-command (default), before-command or garbage (DataHandshake).
    DataHandshake handshake = DataHandshake::after_command;
};

/// Assert facts of the control connection's TLS session or the last data connection's.
struct TlsAssertStep {
    TlsChannel channel = TlsChannel::control;
    std::string version;  ///< e.g. "TLSv1.3"; "" = not checked
    std::optional<bool> resumed;
    std::optional<bool> close_notify;  ///< the server sent close_notify (data: before EOF)
    /// early-data= (control only): whether the newest session ticket the server sent on the
    /// control connection offers 0-RTT (its early_data extension, max_early_data_size > 0).
    std::optional<bool> early_data;
    std::string peer_subject;  ///< regex on the server certificate's subject
    /// peer="same-as-control" (data only): the data connection's server certificate has
    /// the subject and issuer of the one the control connection got.
    bool peer_same_as_control = false;
};

/// USER then PASS (PASS only if USER answered 3xx); passes on 230 (or 202 to PASS).
struct LoginStep {
    std::string user = "${user}";
    std::string password = "${password}";
};

/// The attributes every kind of step may carry (timeout=, if=, unless=): when a step
/// applies, and how long it may take.
struct StepGuard {
    std::optional<std::chrono::milliseconds> timeout;  ///< overrides the run's step timeout
    std::vector<std::string> if_features;              ///< run only if the server has all of these
    std::vector<std::string> unless_features;          ///< skip if the server has any of these
    /// True when a server with these features runs the step (every if=, no unless=).
    bool applies(const std::vector<std::string>& features) const;
};

/// Waits `duration` doing nothing on any connection (a session that outlives the server's
/// TLS session lifetime); the run's cancel ends it early.
struct PauseStep {
    std::chrono::milliseconds duration{0};
};

using StepBody = std::variant<ConnectStep, SendStep, ExpectStep, TlsHandshakeStep, LoginStep,
                              TlsShutdownStep, SendRawStep, ExpectCloseStep, DataOpenStep,
                              TransferStep, TlsAssertStep, PauseStep, TlsHelloProbeStep>;

struct Step {
    StepBody body;
    SourcePos pos;
    StepGuard guard;
    /// if-reply="2xx|3xx": run only when the last reply read by an <expect> without
    /// if-reply matched one of these (branches between replies a spec allows); empty = always.
    std::vector<CodePattern> if_reply = {};
    /// The element name: "connect", "send", ...
    std::string_view kind() const;
};

// ---- Client steps (client-side, interop and FXP scenarios) ---------------------------

/// The harness writes a file of pseudo-random bytes (deterministic from its name) into
/// the (first) server's root.
struct SeedStep {
    std::string remote;
    std::uint64_t size = 65536;
};

/// The client under test does one action (clients/README.md) on one login.
struct ClientActionStep {
    std::string action;               ///< one of known_client_actions()
    std::vector<std::string> remote;  ///< one or more files (same length as `local`)
    std::vector<std::string> local;   ///< default: the remote names' last components
    std::string remote2;              ///< fxp: the name on the second server (default remote)
    bool expect_success = true;       ///< exit status 0 (and the file checks) or non-zero
    /// expect="any": the exit status is not judged and no file is checked; the steps after
    /// it decide (a client may refuse or succeed, but must not do a third thing).
    bool expect_any = false;
    std::vector<std::string> settings;  ///< added to the scenario's <settings>
    std::uint64_t size = 65536;         ///< put: bytes of each local file the harness makes
    std::string contains;               ///< list: a name the client's stdout must show
};

/// One field=value condition on an event of the reference server's event log.
struct EventField {
    std::string name;
    std::string value;  ///< compared with the JSON scalar rendered as text
};

/// Selects events by name and fields: "command verb=PBSZ".
struct EventPattern {
    std::string event;
    std::vector<EventField> where;
    std::string describe() const;  ///< "command verb=PBSZ"
};

/// Events of the reference server's log: how many match, and what each must show.
struct LogExpectStep {
    EventPattern select;
    std::vector<EventField> require;  ///< every selected event must match these too
    /// Count: exact (`at_least` false) or a minimum (`at_least` true); default 1+.
    std::uint64_t count = 1;
    bool at_least = true;
};

/// The first event matching `then` comes after the first matching `first`; both exist.
/// With `optional`, no event matching `first` at all also passes.
struct LogOrderStep {
    EventPattern first;
    EventPattern then;
    bool optional = false;
};

using ClientStepBody = std::variant<SeedStep, ClientActionStep, LogExpectStep, LogOrderStep>;

struct ClientStep {
    ClientStepBody body;
    SourcePos pos;
    StepGuard guard;  ///< its timeout is the action's deadline
    /// The element name: "seed", "client", "log-expect", "log-order".
    std::string_view kind() const;
};

/// The setting under which the scenario must fail (scenarios/README.md "Negative control").
// Every member has an initializer, so designated initializers may leave any out.
struct NegativeControl {
    std::string server = {};                ///< "reference" or a server name
    std::string misbehave = {};             ///< reference-server misbehaviour; "" if none
    std::vector<std::string> without = {};  ///< features withheld from the server
    std::vector<std::string> with = {};     ///< features added to the server
    SourcePos pos = {};
    /// A misbehaviour of the scenario's <requires misbehave=> switched off; "" if none.
    std::string without_misbehave = {};
};

/// An assertion on what crossed the wire (<wire-expect>), checked from the cell's packet
/// capture once its steps are done (harness/wire/README.md "Assertion kinds").
struct WireExpectation {
    std::string kind;           ///< one of wire_expect_kinds()
    std::string version;        ///< tls-version: "1.2" or "1.3"
    std::string side;           ///< close-notify: "client" or "server"; "" = client
    std::string scope;          ///< "data", "control" or "all"; "" = the kind's default
    bool uploads_only = false;  ///< close-notify: only data connections that carried an upload
    SourcePos pos;
};

/// The kinds <wire-expect kind=...> takes.
std::span<const std::string_view> wire_expect_kinds();

struct Scenario {
    std::filesystem::path file;
    std::string id;    ///< equals the file stem
    std::string area;  ///< the folder below scenarios/, e.g. "control"
    std::string title;
    std::string description;
    Level level = Level::must;
    std::vector<SpecRef> specs;
    std::vector<std::string> tags;
    Role server_role = Role::under_test;
    Role client_role = Role::reference;
    std::vector<std::string> server_features;  ///< features the server must be configured with
    /// Features the server must not have (<requires conflicts=>): the scenario assumes
    /// their absence (e.g. USER accepted in clear needs no tls-required).
    std::vector<std::string> conflicting_features;
    /// Client scenarios: reference-server misbehaviours switched on in the normal run
    /// (<requires misbehave=>; only with server role reference).
    std::vector<std::string> misbehaviours;
    /// Client scenarios: servers per cell (2 for FXP, <roles servers="2">).
    int servers = 1;
    /// Client settings applied to every <client> step (<settings>).
    std::vector<std::string> client_settings;
    /// Reference-client steps (server-side scenarios); empty in client scenarios.
    std::vector<Step> steps;
    /// Client steps (client-side, interop and FXP scenarios); empty in server-side ones.
    std::vector<ClientStep> client_steps;
    NegativeControl negative_control;
    /// Assertions on the cell's capture (<wire-expect>), in file order.
    std::vector<WireExpectation> wire_expect;

    /// True when a real client (or the reference client doing actions) is under test.
    bool client_under_test() const { return client_role == Role::under_test; }
    /// True for FXP scenarios (two servers).
    bool fxp() const { return servers == 2; }
};

/// Why `scenario` cannot run on a server configured with `server_features`: "" when it can,
/// else "needs a server without tls-required (it has it)" naming every conflicting one.
std::string conflict_reason(const Scenario& scenario,
                            const std::vector<std::string>& server_features);

/// Variables a scenario may use in step text; others are a load error.
std::span<const std::string_view> known_variables();

}  // namespace fc
