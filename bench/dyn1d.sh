#!/usr/bin/env bash
# Trained 1-D networks against the NTK's per-frequency prediction as the
# width grows (docs/linearized.md, "Finite width in 1-D", "Trained, gradient
# descent"). For each seed, one `dipgp compare --opt gd --widths` run of a 1-D
# dip-skip in the NTK parameterization with every channel count (channels,
# skip, in_channels) equal to the width, fitting dipgp's synthetic signal of
# N samples with the default step (eta_eff lambda_max = 0.9 from the larger of
# the infinite-width and the empirical NTK), into OUT/w<WIDTHS>/seed<S>/
# (commas in WIDTHS become dashes). Then prints, per width, mean ± sd over
# the seeds of: the residual-ratio RMS gap to the NTK (ratio, with its median
# beside it: the gaps are heavy-tailed), the Spearman correlation of the
# half-fit iterations (rho), the RMS log10 ratio of the half-fit iterations as
# a factor (x), the kernel clock c/eta_eff (clock), the same ratio gap and
# Spearman against the network's own linearization (lin ratio, lin rho), and
# the iteration where the network leaves its linearization (leaves: median
# over the seeds that did, "never/k" counting the seeds that stayed within
# --threshold for all ITERS iterations); then the log-log least-squares
# slopes of the mean and median ratio gaps against the width. A finished seed
# leaves OUT/w<WIDTHS>/seed<S>.done and is not rerun, so instances with
# different SEEDS or WIDTHS can share OUT (more seeds, or a wider width, in
# parallel) and every call prints the table of all the finished runs in OUT.
#
# Usage: bench/dyn1d.sh OUT
# Environment: DIPGP (dipgp binary; default: go build), THREADS (GOMAXPROCS;
#   default all cores), WIDTHS (64,256,1024), SEEDS (1 2 3 4 5), N (32),
#   SCALES (1), ITERS (100), EVERY (1).
# SEEDS="" only prints the table of what OUT holds.
# Tiny check: WIDTHS=8,16 SEEDS="1 2" ITERS=20 bench/dyn1d.sh /tmp/dyn1d
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
cd "$(dirname "$0")/.."
export GOMAXPROCS=${THREADS:-$(nproc)}
WIDTHS=${WIDTHS:-64,256,1024}
SEEDS=${SEEDS-1 2 3 4 5}
N=${N:-32} SCALES=${SCALES:-1} ITERS=${ITERS:-100} EVERY=${EVERY:-1}
if [ -z "${DIPGP:-}" ] && [ -n "$SEEDS" ]; then
	DIPGP="$OUT/dipgp.$$"
	go build -o "$DIPGP" ./cmd/dipgp
	trap 'rm -f "$DIPGP"' EXIT
fi
ARCH="dip-skip:dims=1,scales=$SCALES,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity,input=gaussian,in_scale=1"
log() { echo "[$(date +%T)] $*" >>"$OUT/commands.txt"; }
for s in $SEEDS; do
	d="$OUT/w${WIDTHS//,/-}/seed$s"
	mkdir -p "${d%/*}"
	[ -f "$d.done" ] && continue
	cmd=("$DIPGP" -q compare --opt gd --arch "$ARCH" --width-keys channels,skip,in_channels --widths "$WIDTHS"
		--size "$N" --task fit --iters "$ITERS" --every "$EVERY" --seed "$s" --force --out "$d")
	log "GOMAXPROCS=$GOMAXPROCS ${cmd[*]}"
	if "${cmd[@]}" >"$d.txt" 2>&1; then
		touch "$d.done"
		log "done seed $s"
	else
		log "FAILED (exit $?): seed $s, see $d.txt"
	fi
done

# The table, over the finished runs' widths.csv (columns named by the header).
csvs=()
for f in "$OUT"/w*/seed*.done; do
	[ -f "$f" ] && csvs+=("${f%.done}/widths.csv")
done
[ ${#csvs[@]} -gt 0 ] || { echo "no finished seed in $OUT" >&2; exit 1; }
awk -F, -v iters="$ITERS" '
function stat(key, w,   n, m, q, i, v) {
	n = cnt[w]; m = 0; q = 0
	for (i = 1; i <= n; i++) m += val[key, w, i]
	m /= n
	for (i = 1; i <= n; i++) { v = val[key, w, i] - m; q += v * v }
	mean[key, w] = m
	return n > 1 ? sprintf("%.3g ± %.2g", m, sqrt(q / (n - 1))) : sprintf("%.3g", m)
}
function sorted(key, w, a,   n, i, j, t) { # values >= 0 of key over the seeds, ascending, into a
	n = 0
	for (i = 1; i <= cnt[w]; i++) if (val[key, w, i] >= 0) a[++n] = val[key, w, i]
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	return n
}
function median(key, w,   n, a) {
	n = sorted(key, w, a)
	return n == 0 ? "-" : (n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2)
}
function leaves(w,   n, a) {
	n = sorted("departure_iter", w, a)
	return cnt[w] - n > 0 ? median("departure_iter", w) " (never/" (cnt[w] - n) ")" : median("departure_iter", w)
}
FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
	w = $col["width"]
	if (!(w in cnt)) { cnt[w] = 0; ws[++nw] = w }
	k = ++cnt[w]
	split("ratio_rms spearman half_fit_log10_rms time_ratio lin_ratio_rms lin_spearman departure_iter", keys, " ")
	for (j in keys) val[keys[j], w, k] = $col[keys[j]] == "" ? -1 : $col[keys[j]]
	val["factor", w, k] = exp(log(10) * val["half_fit_log10_rms", w, k])
}
END {
	for (i = 2; i <= nw; i++) for (j = i; j > 1 && ws[j-1] + 0 > ws[j] + 0; j--) { t = ws[j]; ws[j] = ws[j-1]; ws[j-1] = t }
	printf "| width | seeds | ratio | ratio median | rho | x | clock | lin ratio | lin rho | leaves (of %d iters) |\n", iters
	print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= nw; i++) {
		w = ws[i]
		printf "| %s | %d | %s | %.3g | %s | x%s | %s | %s | %s | %s |\n", w, cnt[w], stat("ratio_rms", w), median("ratio_rms", w),
			stat("spearman", w), stat("factor", w), stat("time_ratio", w), stat("lin_ratio_rms", w), stat("lin_spearman", w), leaves(w)
	}
	for (t = 1; t <= 2; t++) {
		key = t == 1 ? "ratio_rms" : "lin_ratio_rms"
		sx = sy = sxx = sxy = 0
		for (i = 1; i <= nw; i++) { x = log(ws[i]); y = log(mean[key, ws[i]]); sx += x; sy += y; sxx += x * x; sxy += x * y }
		if (nw > 1) printf "log-log slope of the mean %s against the width: %.2f\n", key, (nw * sxy - sx * sy) / (nw * sxx - sx * sx)
	}
	sx = sy = sxx = sxy = 0
	for (i = 1; i <= nw; i++) { x = log(ws[i]); y = log(median("ratio_rms", ws[i])); sx += x; sy += y; sxx += x * x; sxy += x * y }
	if (nw > 1) printf "log-log slope of the median ratio_rms against the width: %.2f\n", (nw * sxy - sx * sy) / (nw * sxx - sx * sx)
}' "${csvs[@]}"
