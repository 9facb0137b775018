#!/usr/bin/env bash
# Compare the dipgp nn engine with PyTorch on the DIP skip network
# (dip-skip defaults = bench/torch_dip.py's Skip: 5 scales, 128
# channels, skip 4, 32 input channels, reflect padding, bilinear
# up-sampling, batch norm after every conv and after each concatenation).
#
# For every size it times, in the same session and on the same number of
# threads, a forward pass (torch: no_grad; nn: Infer) and a full Adam
# training step (zero grad, forward, MSE, backward, step), and reads the
# peak resident memory of each process (/usr/bin/time -v; the torch figure
# includes the Python interpreter and libtorch). Runs are interleaved and
# repeated; the table shows the best time of REPEATS runs (the machine is
# shared, so the minimum is the least disturbed measurement) and the
# largest peak RSS.
#
# On a busy machine PyTorch's OpenMP threads spin-wait for each other and
# its wall times explode; OMP_WAIT_POLICY=passive (passed through to torch)
# makes them sleep instead, a fairer comparison there. With CLOCK=cpu both sides report process CPU seconds instead of wall
# seconds (bench/torch_dip_cpu.py, nnbench -clock cpu): use it with
# THREADS=1 on a busy machine, where wall times mostly measure the other
# processes (OpenMP's spinning threads suffer most).
#
# Usage: bench/torch_compare.sh [SIZES...]     (default: 64 128 256)
# Environment: THREADS (2), CHANNELS (128), REPEATS (3), CLOCK (wall),
#              TORCH_BENCH (bench/torch_dip.py), PYTHON (/usr/bin/python3)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
CHANNELS=${CHANNELS:-128}
REPEATS=${REPEATS:-3}
CLOCK=${CLOCK:-wall}
PYTHON=${PYTHON:-/usr/bin/python3}
TORCH_BENCH=${TORCH_BENCH:-bench/torch_dip.py}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(64 128 256)

if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
	echo "torch_compare.sh: $PYTHON cannot import torch; install python3-torch" >&2
	exit 1
fi
[ -x /usr/bin/time ] || { echo "torch_compare.sh: /usr/bin/time is needed for peak RSS (apt-get install time)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/nnbench" ./bench/nnbench

iters() { case $1 in 16|32|64) echo 10 ;; 128) echo 5 ;; *) echo 3 ;; esac; }

# run NAME SIZE CMD... : appends "fwd step rss_kb" to $tmp/NAME.SIZE
run() {
	local name=$1 size=$2
	shift 2
	"/usr/bin/time" -v -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	local rss
	rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$tmp/time")
	"$PYTHON" -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(d["forward_s"], d["train_iter_s"], sys.argv[2])' "$tmp/out" "$rss" >>"$tmp/$name.$size"
}

torch_cmd=("$PYTHON" "$TORCH_BENCH")
case $CLOCK in
wall) ;;
cpu) torch_cmd=(env TORCH_BENCH="$(realpath "$TORCH_BENCH")" "$PYTHON" bench/torch_dip_cpu.py) ;;
*) echo "torch_compare.sh: CLOCK=$CLOCK; use wall or cpu" >&2; exit 1 ;;
esac

echo "# dip-skip, $CHANNELS channels, $THREADS threads, $CLOCK clock, OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-default}, best of $REPEATS; $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg); gemm $("$tmp/nnbench" -only none 64 8 1 | sed 's/.*"gemm":"\([a-z0-9]*\)".*/\1/')"
for size in "${SIZES[@]}"; do
	it=$(iters "$size")
	for ((r = 0; r < REPEATS; r++)); do
		OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS run torch "$size" "${torch_cmd[@]}" "$size" "$CHANNELS" "$it"
		run nn "$size" "$tmp/nnbench" -threads "$THREADS" -clock "$CLOCK" "$size" "$CHANNELS" "$it"
	done
done

"$PYTHON" - "$tmp" "${SIZES[@]}" <<'PY'
import sys
tmp, sizes = sys.argv[1], sys.argv[2:]
def best(name, size):
    rows = [list(map(float, l.split())) for l in open(f"{tmp}/{name}.{size}")]
    return min(r[0] for r in rows), min(r[1] for r in rows), max(r[2] for r in rows) / 1024
hdr = ("size", "torch fwd", "nn fwd", "ratio", "torch step", "nn step", "ratio", "torch RSS", "nn RSS", "ratio")
print("| " + " | ".join(hdr) + " |")
print("|" + "|".join("---:" for _ in hdr) + "|")
for s in sizes:
    tf, ts, tr = best("torch", s)
    nf, ns, nr = best("nn", s)
    print(f"| {s} | {tf*1e3:.1f} ms | {nf*1e3:.1f} ms | {nf/tf:.2f} | {ts*1e3:.0f} ms | {ns*1e3:.0f} ms | {ns/ts:.2f} | {tr:.0f} MB | {nr:.0f} MB | {nr/tr:.2f} |")
PY
