#!/usr/bin/env bash
# Publishes samples/AotConsole trimmed (PublishTrimmed) and as native AOT (PublishAot) into temporary folders, runs
# each binary on a fresh vault folder, and fails unless both published and both printed OK and exited 0. Run from
# anywhere; .ci/run runs it after the quick start. It publishes for this machine's runtime (the SDK's) through the
# sample's SamplePublish property (see AotConsole.csproj: the same as -r <rid> -p:PublishTrimmed=true or
# -p:PublishAot=true, without restoring and compiling the library again); both reuse its Release build when current.
#
# Publishing reports the trimming and AOT warnings once per assembly (TrimmerSingleWarn): today only LiteDB's,
# IL2104 ("Assembly 'LiteDB' produced trim warnings") and IL3053 ("... AOT analysis warnings"). The sample lets those two
# codes stay warnings; any other warning fails the publish (warnings are errors), and this script fails when one of
# those two names any assembly but LiteDB. To see LiteDB's warnings one by one, publish with -p:TrimmerSingleWarn=false.
#
# Native AOT needs a C toolchain: clang or gcc on PATH (the ILCompiler package tries clang, then gcc), the C library's
# development files (crt1.o, Debian libc6-dev) and objcopy (binutils) or llvm-objcopy. zlib is not needed: the runtime
# pack brings a static libz.a (unless UseSystemZlib=true). .ci/run installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

publish_and_run() {
  local mode=$1 log="$work/$1.log" start seconds
  start=$(date +%s)
  if ! dotnet publish samples/AotConsole -c Release "-p:SamplePublish=$mode" -o "$work/$mode" >"$log" 2>&1; then
    cat "$log"
    echo "publish-and-run: the $mode publish failed" >&2
    return 1
  fi
  seconds=$(($(date +%s) - start))

  # Every trimming or AOT warning, once each (MSBuild repeats warnings in its summary).
  local warnings
  warnings=$(grep -oE "warning (IL[0-9]+|SYSLIB[0-9]+):[^[]*" "$log" | sed 's/ *$//' | sort -u || true)
  echo "$mode: published in ${seconds}s, $(grep -c . <<<"$warnings" || true) warning(s)"
  [ -z "$warnings" ] || sed 's/^/  /' <<<"$warnings"
  if grep -v "Assembly 'LiteDB' produced" <<<"$warnings" | grep -q .; then
    echo "publish-and-run: the $mode publish warns about something other than LiteDB (above)" >&2
    return 1
  fi

  local binary="$work/$mode/AotConsole" output
  if ! output=$("$binary" "$work/vault-$mode" 2>&1); then
    echo "$output"
    echo "publish-and-run: the $mode binary failed" >&2
    return 1
  fi
  sed 's/^/  /' <<<"$output"
  if [ "$(tail -n 1 <<<"$output")" != "OK" ]; then
    echo "publish-and-run: the $mode binary did not end with OK" >&2
    return 1
  fi
}

publish_and_run Trimmed || status=1
publish_and_run Aot || status=1
[ "$status" -eq 0 ] && echo "publish-and-run: trimmed and native AOT binaries published and ran"
exit "$status"
