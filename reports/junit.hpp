#pragma once
// JUnit XML, the report CI systems (Jenkins, GitLab, GitHub actions) read. Rendered from the
// result model only (harness/README.md "Output layout").
#include <ostream>

#include "harness/core/result.hpp"

namespace fc {

/// Writes `run` as JUnit XML (UTF-8, XML 1.0) to `os`:
///   <testsuites name="ftps-conform" tests= failures= errors= skipped= time=>
/// with one <testsuite name="<server>__<client>"> per server/client pair, in the order the pairs
/// first appear in `run.cells` (tests, failures, errors, skipped, time, timestamp and
/// hostname="localhost"; <properties> with the endpoints' names and versions), and one
/// <testcase classname="<area>" name="<scenario id>" time=...> per cell, in run order.
/// Verdicts map to: fail -> <failure type="fail">, error -> <error type="error">,
/// unsupported -> <skipped message="unsupported: ...">, xfail -> <skipped message="xfail: ...">,
/// xpass -> a pass, or with `strict` a <failure type="xpass"> saying the declared deviation is
/// stale. Each testcase has <properties> (verdict, level, spec refs, transcript path, the cell's
/// own properties such as tls.version) and the transcript excerpt as <system-out>. Times are
/// seconds with 3 decimals; counts and times of a suite add up to the totals above it. Text is
/// sanitised (invalid UTF-8 becomes U+FFFD, control characters visible escapes), so the output
/// is well-formed for any input. Deterministic. Stream failures are left for the caller.
void write_junit(const RunResult& run, std::ostream& os, bool strict);

}  // namespace fc
