#!/usr/bin/env bash
# Compile-checks C# produced for hub-codegen against the compile-time stand-in of the real
# packages (standin/SignalRClientStandIn.cs), with Mono's mcs.
#
#   bash hub-codegen/tests/csharp/check.sh a.cs b.cs ...  # checks the given files together
#   (tests/csharp.rs calls it for the generated clients and the usage files)
#   CHECK_DOC=1 bash hub-codegen/tests/csharp/check.sh ... # also checks XML documentation
#                                                          # (well-formed, on every public member)
#
# The stand-in is compiled into its own assembly first, so `internal` members of the
# stand-in are invisible to the checked code, as they are in the real assemblies.
#
# Language version: the target is C# 7.3, but mcs (Mono 6.8, Debian 12) accepts at most
# -langversion:7.2. Every 7.3 addition (tuple ==, ref reassignment, stackalloc initializers,
# unmanaged/Enum/Delegate constraints, [field:] attributes on auto-properties, expression
# variables in initializers) is therefore rejected here, which is the safe direction.
# mcs also does not implement every 7.x feature: local functions and type patterns in
# `switch` (`case int i:`, `when`) fail to compile, so generated code must not use them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! command -v mcs >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "check.sh: mcs not found; installing mono-devel" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mono-devel >/dev/null
    else
        echo "check.sh: mcs not found; install Debian's mono-devel (apt-get install mono-devel)" >&2
        exit 2
    fi
fi

if [ "$#" -eq 0 ]; then
    echo "usage: check.sh FILE.cs..." >&2
    exit 2
fi
files=("$@")

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

flags=(-langversion:7.2 -target:library -warn:4 -warnaserror+ -nologo)

echo "check.sh: $(mcs --version)"

mcs "${flags[@]}" -out:"$out/StandIn.dll" "$here/standin/SignalRClientStandIn.cs"

doc_flags=()
if [ "${CHECK_DOC:-}" = "1" ]; then
    # mcs then reports malformed XML (CS1570) and undocumented public members (CS1591).
    doc_flags=(-doc:"$out/Checked.xml")
fi

mcs "${flags[@]}" "${doc_flags[@]}" -r:"$out/StandIn.dll" -out:"$out/Checked.dll" "${files[@]}"

# Negative controls: each snippet must FAIL to compile, or the stand-in / the language
# guard has become more permissive than the real API / C# 7.3.
must_fail() {
    local name="$1" body="$2"
    printf '%s\n' "using System; using System.Text.Json; using Microsoft.AspNetCore.SignalR.Client;" \
        "public static class NegativeControl { $body }" >"$out/neg.cs"
    if mcs "${flags[@]}" -r:"$out/StandIn.dll" -out:"$out/Neg.dll" "$out/neg.cs" >/dev/null 2>&1; then
        echo "check.sh: negative control '$name' compiled but must not" >&2
        exit 1
    fi
}
must_fail "no public HubConnection constructor" 'static object M() { return new HubConnection(); }'
must_fail "full WriteString overload set (null is ambiguous)" 'static void M(Utf8JsonWriter w) { w.WriteString("a", null); }'
must_fail "C# 8 nullable annotations" 'static string? M() { return null; }'
must_fail "C# 8 async streams" 'static async System.Threading.Tasks.Task M(System.Collections.Generic.IAsyncEnumerable<int> e) { await foreach (int x in e) { } }'

echo "check.sh: OK (${#files[@]} file(s) compiled against the stand-in)"
