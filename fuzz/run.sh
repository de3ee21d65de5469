#!/usr/bin/env bash
# Builds the libFuzzer targets (bazel build --config=fuzz, Debian's clang 14
# with ASan + UBSan) and runs each in turn, one process at a time, starting
# from its seeds (corpus/<target>) and kept crash inputs (regressions/<target>).
#
#   fuzz/run.sh [-t SECONDS | -n RUNS] [-w WORKDIR] [-x JUNIT_XML] [TARGET...]
#
#   -t  time per target (default 20 s); -n: executions per target instead
#   -w  working directory: per target a growing corpus and any crash-* files
#       (default: a fresh temporary directory, removed unless a crash is in it)
#   -x  also write the results as JUnit XML (one test case per target)
#   TARGET: envelope_fuzzer, failure_fuzzer, transport_url_fuzzer,
#       transcode_fuzzer (default: all)
#
# Prints one line per target with its executions; exits 1 if any target
# crashed (its input is left in WORKDIR: copy it to regressions/<target>/ so
# the replay tests keep checking it) and 2 if the build failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=20
runs=""
workdir=""
junit=""
while getopts "t:n:w:x:" opt; do
  case "${opt}" in
    t) seconds="${OPTARG}" ;;
    n) runs="${OPTARG}" ;;
    w) workdir="${OPTARG}" ;;
    x) junit="${OPTARG}" ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
((${#targets[@]})) || targets=(envelope_fuzzer failure_fuzzer transport_url_fuzzer transcode_fuzzer)

labels=()
for t in "${targets[@]}"; do labels+=("//fuzz:${t}"); done
if ! bazel build --config=fuzz "${labels[@]}"; then
  echo "fuzz: build failed"
  exit 2
fi
bin="$(bazel info --config=fuzz bazel-bin 2>/dev/null)/fuzz"

keep_workdir=0
if [[ -z "${workdir}" ]]; then
  workdir="$(mktemp -d /tmp/fuzz.XXXXXX)"
else
  keep_workdir=1
fi
mkdir -p "${workdir}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
crashed=0
xml_cases=""
for t in "${targets[@]}"; do
  corpus="${workdir}/${t}"
  mkdir -p "${corpus}"
  cp -n fuzz/corpus/"${t}"/* "${corpus}/" 2>/dev/null
  cp -n fuzz/regressions/"${t}"/* "${corpus}/" 2>/dev/null
  limit=(-max_total_time="${seconds}")
  [[ -n "${runs}" ]] && limit=(-runs="${runs}")
  log="${workdir}/${t}.log"
  start=$(date +%s)
  "${bin}/${t}" "${limit[@]}" -print_final_stats=1 -artifact_prefix="${workdir}/${t}-" \
    -max_len=8192 -timeout=10 -rss_limit_mb=2048 "${corpus}" >"${log}" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)
  coverage=$(grep -o 'cov: [0-9]*' "${log}" | tail -1)
  if ((rc == 0)); then
    echo "fuzz: ${t}: ${execs:-?} executions in ${elapsed} s, ${coverage:-cov: ?}, no crash"
    xml_cases+="<testcase name=\"${t}\" classname=\"fuzz\" time=\"${elapsed}\"/>"
  else
    crashed=1
    keep_workdir=1
    echo "fuzz: ${t}: CRASH after ${execs:-?} executions (exit ${rc}); log ${log}, input:"
    ls "${workdir}/${t}-"* 2>/dev/null
    grep -E -m 20 'ERROR|FUZZ_CHECK|runtime error|SUMMARY|#[0-9]+ 0x' "${log}"
    xml_cases+="<testcase name=\"${t}\" classname=\"fuzz\" time=\"${elapsed}\"><failure message=\"crash\">see ${log}</failure></testcase>"
  fi
done
if [[ -n "${junit}" ]]; then
  echo "<?xml version=\"1.0\"?><testsuites><testsuite name=\"fuzz\">${xml_cases}</testsuite></testsuites>" >"${junit}"
fi
((keep_workdir)) || rm -rf "${workdir}"
exit "${crashed}"
