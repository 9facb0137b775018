#!/usr/bin/env bash
# Performance at scale (issue 16): one script that measures, into $OUT,
#   - the kernel of dip-skip (NNGP + NTK) at KSIZES (default 512) with 2 and
#     16 workers: peak RSS, user and system CPU seconds (/usr/bin/time -v)
#     and the estimate (estimated_bytes);
#   - the Adam training step of dip-skip at 256x256 for 1, 2, 4, 8 and 16
#     threads, dipgp (bench/nnbench) and, where python3 imports torch,
#     PyTorch (TORCH_BENCH, the same network as bench/torch_compare.sh);
#   - a CPU profile of the dipgp step at the largest thread count;
#   - dipgp check networks/s with CWORKERS workers (default all cores):
#     dip-skip 64x64, 3 scales, batch norm; and the default check at 32x32.
# Binaries come from BIN (dipgp and nnbench; default: built here with go).
# On 16 cores the defaults take about 4 to 5 minutes.
# The kernel runs use --bn KBN (default meanfield, the rule of the issue's
# baseline) plus one exact-rule run per size in KEXACT (default 256).
# Usage: OUT=dir [BIN=dir] [KSIZES=512] [KWORKERS="2 16"] [KBN=meanfield] [KEXACT=256] [TSIZE=256]
#        [THREADS="1 2 4 8 16"] [TITERS=3] [SAMPLES=480] [CWORKERS=0] bench/scaling.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:?set OUT}
KSIZES=${KSIZES:-512}
KWORKERS=${KWORKERS:-2 16}
KBN=${KBN:-meanfield}
KEXACT=${KEXACT:-256}
TSIZE=${TSIZE:-256}
THREADS=${THREADS:-1 2 4 8 16}
SAMPLES=${SAMPLES:-480}
CWORKERS=${CWORKERS:-0}
TITERS=${TITERS:-3}
PYTHON=${PYTHON:-python3}
TORCH_BENCH=${TORCH_BENCH:-bench/torch_dip.py}
mkdir -p "$OUT"
if [ -z "${BIN:-}" ]; then
	BIN=$(mktemp -d)
	go build -o "$BIN/dipgp" ./cmd/dipgp && go build -o "$BIN/nnbench" ./bench/nnbench || exit 1
fi
log=$OUT/scaling.txt
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" | tee "$log"

tv() { # tv LABEL CMD...: runs CMD under /usr/bin/time -v, prints one line
	local label=$1
	shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v -o "$OUT/time.tmp" "$@" >"$OUT/cmd.tmp" 2>"$OUT/err.tmp" || { echo "$label FAILED"; tail -3 "$OUT/err.tmp"; return; }
	else # the same fields from wait4's rusage
		"$PYTHON" - "$OUT/time.tmp" "$@" >"$OUT/cmd.tmp" 2>"$OUT/err.tmp" <<'PY' || { echo "$label FAILED"; tail -3 "$OUT/err.tmp"; return; }
import os, sys, time
t = time.time()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, st, ru = os.wait4(pid, 0)
open(sys.argv[1], "w").write(f"Maximum resident set size (kbytes): {ru.ru_maxrss}\nUser time (seconds): {ru.ru_utime:.2f}\nSystem time (seconds): {ru.ru_stime:.2f}\nElapsed (wall clock) time (s): {time.time()-t:.2f}\n")
sys.exit(os.waitstatus_to_exitcode(st))
PY
	fi
	awk -v l="$label" -F': ' '/Maximum resident/ {rss=$2} /User time/ {u=$2} /System time/ {s=$2} /Elapsed/ {e=$2}
		END {printf "%s wall %s user %s sys %s peakRSS %.0f MB", l, e, u, s, rss*1024/1e6}' "$OUT/time.tmp"
	grep -o '"estimated_bytes": [0-9]*' "$OUT/cmd.tmp" | awk '{printf " estimate %.0f MB", $2/1e6}'
	grep -o '"seconds": [0-9.]*' "$OUT/cmd.tmp" | head -1 | awk '{printf " compute %.2f s", $2}'
	echo
}

echo "## kernel dip-skip NNGP+NTK" | tee -a "$log"
for s in $KSIZES; do
	for w in $KWORKERS; do
		tv "kernel size $s workers $w ($KBN)" "$BIN/dipgp" kernel -q --force --bn "$KBN" --arch dip-skip --size "$s" --workers "$w" --json --out "$OUT/k" | tee -a "$log"
	done
done
for s in $KEXACT; do # the exact batch-norm rule's cost (issue 11: 256, 2 workers)
	tv "kernel size $s workers 2 (exact)" "$BIN/dipgp" kernel -q --force --bn exact --arch dip-skip --size "$s" --workers 2 --json --out "$OUT/k" | tee -a "$log"
done
rm -rf "$OUT/k"

echo "## training step dip-skip ${TSIZE}x${TSIZE}, 128 channels (seconds per step; forward)" | tee -a "$log"
has_torch=0
"$PYTHON" -c 'import torch' 2>/dev/null && [ -f "$TORCH_BENCH" ] && has_torch=1
for t in $THREADS; do
	d=$("$BIN/nnbench" -threads "$t" "$TSIZE" 128 "$TITERS" | tail -1)
	line="threads $t dipgp $(echo "$d" | grep -o '"train_iter_s":[0-9.e-]*' | cut -d: -f2) fwd $(echo "$d" | grep -o '"forward_s":[0-9.e-]*' | cut -d: -f2)"
	if [ $has_torch = 1 ]; then
		p=$(OMP_NUM_THREADS=$t MKL_NUM_THREADS=$t "$PYTHON" "$TORCH_BENCH" "$TSIZE" 128 "$TITERS" | tail -1)
		line="$line torch $(echo "$p" | grep -o '"train_iter_s": [0-9.e-]*' | cut -d' ' -f2) fwd $(echo "$p" | grep -o '"forward_s": [0-9.e-]*' | cut -d' ' -f2)"
	fi
	echo "$line" | tee -a "$log"
done
tmax=$(echo $THREADS | tr ' ' '\n' | tail -1)
"$BIN/nnbench" -threads "$tmax" -only step -cpuprofile "$OUT/step$tmax.prof" "$TSIZE" 128 "$TITERS" >/dev/null

check() { # check LABEL SIZE ARCH: one check run, networks/s into the log
	local label=$1 size=$2 spec=$3
	echo "## check $label ${size}x${size}, workers $CWORKERS (0 = all cores)" | tee -a "$log"
	"$BIN/dipgp" check run -q --force --bn meanfield --arch "$spec" --size "$size" --samples "$SAMPLES" --workers "$CWORKERS" \
		--out "$OUT/chk" --json >"$OUT/chk-$label.json" 2>"$OUT/chk-$label.err" || { echo "check $label FAILED"; tail -3 "$OUT/chk-$label.err"; }
	grep -E '"(networks_per_second|sample_seconds|kernel_seconds)"' "$OUT/chk-$label.json" | tr -d ' \n' | tee -a "$log"
	echo | tee -a "$log"
}
check skip3bn 64 "dip-skip:scales=3,channels=128,bn=true,pad=circular,init=normal,sw=1.4,sb=0.1,input=gaussian,in_scale=1,out_act=identity"
check default 32 "dip-skip:scales=2,channels=128,bn=false,pad=circular,init=normal,sw=1.4,sb=0.1,input=gaussian,in_scale=1,out_act=identity"
rm -rf "$OUT/chk" "$OUT"/*.tmp
