#!/usr/bin/env bash
# The measurements of issue 13 (does the network's own linearization
# predict its training better than the infinite-width NTK, and what
# explains the gap?), written into the folder $1:
#
#  (i)   widths/: the NTK-parameterization tanh skip network fitting an image
#        with gd, at widths $WIDTHS and seeds $SEEDS: per width, the
#        half-fit log10 RMS error of the linearized and of the infinite-width
#        prediction against the observed network (widths_summary.csv, mean
#        and sd over seeds), with eta_eff lambda_max of both NTKs. The gd
#        step is dipgp compare's default (--lr-from both: stable for both
#        predictions). widths_lr_infinite/ repeats seed 1 with the step from
#        the infinite-width NTK alone (where the linearization diverges).
#  (ii)  optimizer/: DIP's default network fitting a $SIZE2 x $SIZE2 image
#        with Adam (no input noise) and, for the same seed, with gd, both
#        with their linearizations: optimizer_summary_seed<S>.csv compares
#        observed Adam vs the NTK (fitted clock), observed Adam vs the
#        linearized Adam, linearized Adam vs linearized gd (the optimizer's
#        effect) and the NTK vs linearized gd (the width's effect).
#  (iii) figures/: predictions.png/svg (per radial frequency, the fitting
#        curve observed against both predictions, and the half-fit
#        iterations) of the widest (i) run and of the Adam and gd (ii) runs,
#        seed 1.
#
# Usage: bench/linearized_measure.sh OUT
# Environment: DIPGP (dipgp binary; default: go run ./cmd/dipgp),
#   THREADS (GOMAXPROCS; default all cores), WIDTHS (16,32,64,128,256),
#   SEEDS (1 2 3), SIZE1 (32), ITERS1 (300), EVERY1 (5),
#   SIZE2 (64), ITERS2 (2000), EVERY2 (10), ARCH2 (dipgp's default),
#   IMAGE (dipgp's synthetic image; a path to use a real one),
#   LINSUMMARY (a prebuilt bench/linsummary binary; default: go build).
# Tiny check: SIZE1=16 ITERS1=20 SIZE2=16 ITERS2=20 WIDTHS=8,16 SEEDS="1 2" \
#   bench/linearized_measure.sh /tmp/lm
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$(dirname "$0")/.."
export GOMAXPROCS=${THREADS:-$(nproc)}
WIDTHS=${WIDTHS:-16,32,64,128,256}
SEEDS=${SEEDS:-1 2 3}
SIZE1=${SIZE1:-32} ITERS1=${ITERS1:-300} EVERY1=${EVERY1:-5}
SIZE2=${SIZE2:-64} ITERS2=${ITERS2:-2000} EVERY2=${EVERY2:-10}
if [ -z "${DIPGP:-}" ]; then
	go build -o "$OUT/dipgp" ./cmd/dipgp
	DIPGP="$OUT/dipgp"
fi
if [ -n "${LINSUMMARY:-}" ]; then # a prebuilt bench/linsummary (no Go needed)
	cp "$LINSUMMARY" "$OUT/linsummary"
else
	go build -o "$OUT/linsummary" ./bench/linsummary
fi
IMG=()
[ -n "${IMAGE:-}" ] && IMG=(--image "$IMAGE")
ARCH1="dip-skip:scales=3,param=ntk,init=normal,sw=1.4,sb=0,bn=false,pad=circular,out_act=identity,act=tanh,input=gaussian,in_scale=1"
ARCH2_ARGS=()
[ -n "${ARCH2:-}" ] && ARCH2_ARGS=(--arch "$ARCH2")
mkdir -p "$OUT/widths" "$OUT/widths_lr_infinite" "$OUT/optimizer" "$OUT/figures"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/commands.txt"; }
# A failed run is logged and the script goes on with the others.
run() { log "GOMAXPROCS=$GOMAXPROCS $*"; "$@" || log "FAILED (exit $?): $*"; }
summary() { "$OUT/linsummary" "$@" || log "summary failed: linsummary $*"; }

# (i) linearized vs infinite width across widths.
dirs=()
for s in $SEEDS; do
	d="$OUT/widths/seed$s"
	run $DIPGP -q compare --opt gd --arch "$ARCH1" --width-keys channels,skip,in_channels --widths "$WIDTHS" \
		--size "$SIZE1" --task fit --iters "$ITERS1" --every "$EVERY1" --seed "$s" "${IMG[@]}" --out "$d" >"$d.txt" 2>&1
	dirs+=("$d")
done
summary widths "${dirs[@]}" | tee "$OUT/widths_summary.csv"
s1=${SEEDS%% *}
d="$OUT/widths_lr_infinite/seed$s1"
run $DIPGP -q compare --opt gd --arch "$ARCH1" --width-keys channels,skip,in_channels --widths "$WIDTHS" --lr-from infinite \
	--size "$SIZE1" --task fit --iters "$ITERS1" --every "$EVERY1" --seed "$s1" "${IMG[@]}" --out "$d" >"$d.txt" 2>&1
summary widths "$d" | tee "$OUT/widths_lr_infinite_summary.csv"

# (ii) infinite width, linearization or optimizer: DIP's default network.
for s in $SEEDS; do
	a="$OUT/optimizer/adam_seed$s" g="$OUT/optimizer/gd_seed$s"
	run $DIPGP -q compare --opt adam --reg-noise 0 "${ARCH2_ARGS[@]}" --size "$SIZE2" --task fit --iters "$ITERS2" --every "$EVERY2" \
		--seed "$s" "${IMG[@]}" --out "$a" >"$a.txt" 2>&1
	run $DIPGP -q compare --opt gd "${ARCH2_ARGS[@]}" --size "$SIZE2" --task fit --iters "$ITERS2" --every "$EVERY2" \
		--seed "$s" "${IMG[@]}" --out "$g" >"$g.txt" 2>&1
	summary optimizer "$a" "$g" | tee "$OUT/optimizer_summary_seed$s.csv"
done

# (iii) figures.
wmax=${WIDTHS##*,}
w0=${WIDTHS%%,*}
for ext in png svg; do
	for pair in "widths/seed$s1/width$wmax:widths_width${wmax}_seed$s1" "widths_lr_infinite/seed$s1/width$w0:widths_lr_infinite_width${w0}_seed$s1" \
		"optimizer/adam_seed$s1:adam_seed$s1" "optimizer/gd_seed$s1:gd_seed$s1"; do
		cp "$OUT/${pair%%:*}/predictions.$ext" "$OUT/figures/${pair##*:}.$ext" || log "no figure in ${pair%%:*}"
	done
done
log "done: $OUT"
