#!/usr/bin/env bash
# tests/fuzz/run.sh - the libFuzzer harnesses: regression (CI) and exploration.
#
#   run.sh [regress] [HARNESS...]          every corpus and crash input, once
#   run.sh explore [SECONDS] [HARNESS...]  fuzz each harness for SECONDS (60)
#   run.sh coverage [HARNESS...]           line coverage of the parsers by the
#                                          corpus (and by the scratch corpus)
#   run.sh distill [HARNESS...]            add to corpus/<harness>/distilled/ the
#                                          few explored inputs that reach new code
#
# HARNESS is config, yaml, erb, dotenv or probe (default: all of them).
#
# Environment:
#   KC_FUZZ_BUILD  the build dir (-DKC_FUZZ=ON); configured with CC=clang if
#                  it has no CMakeCache.txt yet, and the harnesses are always
#                  brought up to date (incremental). Default: <repo>/build-fuzz
#   KC_FUZZ_NO_BUILD=1  use the binaries in KC_FUZZ_BUILD as they are
#   KC_FUZZ_OUT    explore: where new corpus entries and logs go (never the
#                  repo). Default: $KC_FUZZ_BUILD/fuzz-out
#   KC_FUZZ_JOBS   explore: harnesses run at the same time (default 2)
#   KC_FUZZ_COV_BUILD  coverage: its own build dir, also instrumented with
#                  -fprofile-instr-generate (default: $KC_FUZZ_BUILD-cov)
#
# regress exits non-zero when any input crashes, leaks, times out or trips
# UBSan. explore writes what it finds to tests/fuzz/crashes/<harness>/, where
# regress picks it up: every crash found stays there as a fixture once fixed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${KC_FUZZ_BUILD:-$root/build-fuzz}
all_harnesses="config yaml erb dotenv probe"

mode=regress
if [ $# -gt 0 ] && { [ "$1" = regress ] || [ "$1" = explore ] || [ "$1" = coverage ] ||
    [ "$1" = distill ]; }; then
    mode=$1
    shift
fi
seconds=60
if [ "$mode" = explore ] && [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi
harnesses=${*:-$all_harnesses}
for h in $harnesses; do
    case " $all_harnesses " in
    *" $h "*) ;;
    *)
        echo "run.sh: unknown harness '$h' (one of: $all_harnesses)" >&2
        exit 2
        ;;
    esac
done

# Sanitizers: a leak, any UBSan report or an ASan error fails the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
common=(-error_exitcode=77 -timeout=25 -rss_limit_mb=2048 -detect_leaks=1)

if [ "$mode" = coverage ]; then
    out=${KC_FUZZ_OUT:-$build/fuzz-out}
    build=${KC_FUZZ_COV_BUILD:-$build-cov}
fi

# Configure when needed, then an incremental build of the harnesses (quick
# when they are up to date), so that a stale binary never tests old code.
if [ "${KC_FUZZ_NO_BUILD:-0}" != 1 ]; then
    if [ ! -f "$build/CMakeCache.txt" ]; then
        echo "run.sh: configuring $build (CC=${CC:-clang}, KC_FUZZ=ON, KC_TESTS=OFF)"
        extra=()
        if [ "$mode" = coverage ]; then
            extra=(-DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping"
                -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate")
        fi
        CC=${CC:-clang} cmake -S "$root" -B "$build" -DKC_FUZZ=ON -DKC_TESTS=OFF "${extra[@]}" \
            >/dev/null || exit 1
    fi
    targets=()
    for h in $harnesses; do targets+=("fuzz_$h"); done
    if ! cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}" \
        >"${TMPDIR:-/tmp}/kc-fuzz-build.$$.log" 2>&1; then
        cat "${TMPDIR:-/tmp}/kc-fuzz-build.$$.log" >&2
        rm -f "${TMPDIR:-/tmp}/kc-fuzz-build.$$.log"
        echo "run.sh: build failed in $build" >&2
        exit 1
    fi
    rm -f "${TMPDIR:-/tmp}/kc-fuzz-build.$$.log"
fi
for h in $harnesses; do
    [ -x "$build/fuzz_$h" ] || { echo "run.sh: no $build/fuzz_$h" >&2; exit 1; }
done

# The inputs of a harness, into the array dirs: its seed corpus and its
# regression crashes.
input_dirs() {
    mkdir -p "$here/crashes/$1"
    dirs=("$here/corpus/$1" "$here/crashes/$1")
}

elapsed() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

count_files() {
    find "$@" -type f ! -name '.*' 2>/dev/null | wc -l
}

regress() {
    local failed=0 total=0 start end h log n rc
    start=$(date +%s.%N)
    log=$(mktemp -d "${TMPDIR:-/tmp}/kc-fuzz-regress.XXXXXX")
    for h in $harnesses; do
        local dirs
        input_dirs "$h"
        n=$(count_files "${dirs[@]}")
        local t0 t1
        t0=$(date +%s.%N)
        # -runs=0: execute every input of the directories once, no mutation
        "$build/fuzz_$h" "${common[@]}" -runs=0 -artifact_prefix="$log/$h-" "${dirs[@]}" \
            >"$log/$h.log" 2>&1
        rc=$?
        t1=$(date +%s.%N)
        total=$((total + n))
        if [ $rc -eq 0 ] && grep -q "INITED" "$log/$h.log"; then
            printf '%-7s %4d inputs  ok      %5.2fs\n' "$h" "$n" "$(elapsed "$t0" "$t1")"
        else
            printf '%-7s %4d inputs  FAILED  (exit %d)\n' "$h" "$n" "$rc"
            grep -E "ERROR|SUMMARY|runtime error|fuzz_$h:|Running:|Test unit written" \
                "$log/$h.log" | head -20 | sed 's/^/    /'
            echo "    full log: $log/$h.log"
            failed=1
        fi
    done
    end=$(date +%s.%N)
    printf 'fuzz: %d inputs, %d harnesses, %s in %ss\n' "$total" "$(echo $harnesses | wc -w)" \
        "$([ $failed -eq 0 ] && echo 'all ok' || echo FAILED)" "$(elapsed "$start" "$end")"
    [ $failed -eq 0 ] && rm -rf "$log"
    return $failed
}

explore_one() {
    local h=$1 out=$2
    local dirs
    input_dirs "$h"
    mkdir -p "$out/corpus/$h"
    local dict=()
    [ -f "$here/$h.dict" ] && dict=(-dict="$here/$h.dict")
    # the first directory receives new inputs: the scratch corpus, not the
    # repo; crashes go straight to crashes/<harness>/
    "$build/fuzz_$h" "${common[@]}" "${dict[@]}" -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix="$here/crashes/$h/" \
        "$out/corpus/$h" "${dirs[@]}" >"$out/$h.log" 2>&1
    echo $? >"$out/$h.rc"
}

explore() {
    local out=${KC_FUZZ_OUT:-$build/fuzz-out} jobs=${KC_FUZZ_JOBS:-2} running=0 h failed=0
    mkdir -p "$out"
    echo "explore: ${seconds}s per harness, $jobs at a time; new corpus and logs in $out"
    for h in $harnesses; do
        if [ "$running" -ge "$jobs" ]; then
            wait -n
            running=$((running - 1))
        fi
        explore_one "$h" "$out" &
        running=$((running + 1))
    done
    wait
    for h in $harnesses; do
        local rc execs speed cov ft corp
        rc=$(cat "$out/$h.rc" 2>/dev/null || echo '?')
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log")
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$h.log")
        cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$out/$h.log" | tail -1)
        printf '%-7s execs %-9s %6s/s  %s  %s\n' "$h" "${execs:-?}" "${speed:-?}" "${cov:-?}" \
            "$([ "$rc" = 0 ] && echo ok || echo "FOUND SOMETHING (exit $rc): see $out/$h.log")"
        [ "$rc" = 0 ] || failed=1
    done
    if [ $failed -ne 0 ]; then
        echo "explore: inputs saved under $here/crashes/<harness>/; fix the bug, keep the input" \
            "(regress runs it from now on)"
    fi
    return $failed
}

# The sources each harness is about (the coverage report's files).
sources_of() {
    case $1 in
    config) echo src/config/config.c src/config/schema.c src/config/dump.c ;;
    yaml) echo src/config/yaml.c src/config/node.c ;;
    erb) echo src/config/erb.c ;;
    dotenv) echo src/config/dotenv.c ;;
    probe) echo src/commands/accessory_probe.c src/commands/accessory_compare.c ;;
    esac
}

coverage() {
    local profdata cov h dir
    profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata) ||
        { echo "run.sh: no llvm-profdata" >&2; return 1; }
    cov=$(command -v llvm-cov-14 || command -v llvm-cov) ||
        { echo "run.sh: no llvm-cov" >&2; return 1; }
    dir=$(mktemp -d "${TMPDIR:-/tmp}/kc-fuzz-cov.XXXXXX")
    echo "coverage: lines of the parsers run by each corpus (build: $build)"
    for h in $harnesses; do
        local dirs srcs=() set label
        input_dirs "$h"
        for f in $(sources_of "$h"); do srcs+=("$root/$f"); done
        for set in seeds explored; do
            label="corpus/ + crashes/"
            if [ $set = explored ]; then
                [ -d "$out/corpus/$h" ] || continue
                dirs+=("$out/corpus/$h")
                label="+ $(count_files "$out/corpus/$h") explored inputs"
            fi
            LLVM_PROFILE_FILE="$dir/$h-$set.profraw" "$build/fuzz_$h" -runs=0 \
                -artifact_prefix="$dir/" "${dirs[@]}" >"$dir/$h-$set.log" 2>&1 ||
                { echo "$h: failed, see $dir/$h-$set.log"; return 1; }
            "$profdata" merge -sparse "$dir/$h-$set.profraw" -o "$dir/$h-$set.profdata"
            echo "== $h ($label)"
            "$cov" report "$build/fuzz_$h" -instr-profile="$dir/$h-$set.profdata" "${srcs[@]}" |
                awk 'NR > 2 && !/^-/ {
                     sub(".*/", "", $1);
                     printf "   %-22s lines %7s of %5s   branches %7s of %5s\n",
                            $1, $(NF-3), $(NF-5), $NF, $(NF-2) }'
        done
    done
    rm -rf "$dir"
}

# Exploration leaves thousands of inputs in the scratch corpus; this keeps the
# handful that reach code (edges, not hit counts) the repo's corpus and
# crashes do not, in corpus/<harness>/distilled/ (libFuzzer reads corpus
# directories recursively).
distill() {
    local out=${KC_FUZZ_OUT:-$build/fuzz-out} h tmp n
    for h in $harnesses; do
        if [ ! -d "$out/corpus/$h" ]; then
            echo "$h: no scratch corpus in $out/corpus/$h (run explore first)"
            continue
        fi
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/kc-fuzz-distill.XXXXXX")
        mkdir -p "$tmp/base/known"
        cp -r "$here/corpus/$h" "$tmp/base/known/corpus"
        cp -r "$here/crashes/$h" "$tmp/base/known/crashes" 2>/dev/null
        "$build/fuzz_$h" -merge=1 -use_counters=0 "$tmp/base" "$out/corpus/$h" \
            >"$tmp/merge.log" 2>&1 || { echo "$h: merge failed, see $tmp/merge.log"; return 1; }
        mkdir -p "$here/corpus/$h/distilled"
        n=0
        for f in "$tmp/base"/*; do
            [ -f "$f" ] || continue
            mv "$f" "$here/corpus/$h/distilled/"
            n=$((n + 1))
        done
        echo "$h: $n inputs added to corpus/$h/distilled/" \
            "($(grep -oE '[0-9]+ new coverage edges' "$tmp/merge.log" | tail -1))"
        rm -rf "$tmp"
    done
}

"$mode"
