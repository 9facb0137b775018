#!/usr/bin/env bash
# Issue 11: finite networks with batch norm against the exact and the
# mean-field infinite-width kernel (docs/batchnorm.md section 7).
#   1. dip-skip scales=2, bn, circular, Gaussian input, identity output,
#      64x64, widths 16..256;
#   2. the 1-D BN encoder-decoder on a smooth input (sigma 60), 512 points,
#      widths 32..256;
#   3. DIP's default network (dip-skip: 5 scales, 128 channels, PyTorch
#      init, uniform input, sigmoid) at 64x64.
# Each set of networks is drawn once and compared with the exact kernel
# (dipgp check, --bn exact, no cost cap); the same networks are then
# compared with the mean-field kernel (dipgp check merge --bn meanfield).
# Every step runs under a time limit and is stopped with SIGINT, which
# leaves complete files for the networks done so far (the summary then
# shows fewer networks). Sized for about 300 s on 16 cores.
# The exact kernel of DIP's default net (no cost cap) takes about 340
# CPU-seconds at BNS3=1024 fields; it needs at least 512 (docs/batchnorm.md).
# Usage: [DIPGP=binary] [N1=800 N2=800 N3=200 BNS=2048 BNS3=1024] [T1=100 T2=40 T3=150]
#        bench/bn_measure.sh OUTDIR
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: bench/bn_measure.sh OUTDIR}
N1=${N1:-800}
N2=${N2:-800}
N3=${N3:-200}
BNS=${BNS:-2048}
BNS3=${BNS3:-1024}
T1=${T1:-100}
T2=${T2:-40}
T3=${T3:-150}
W1=${W1:-16,32,64,128,256}
W2=${W2:-32,64,128,256}
S3=${S3:-64}
mkdir -p "$OUT"
if [ -z "${DIPGP:-}" ]; then # go run ./cmd/dipgp, built once
	go build -o "$OUT/dipgp" ./cmd/dipgp || exit 1
	DIPGP=$OUT/dipgp
fi
log=$OUT/bn_measure.txt
echo "# $(date -u +%FT%TZ) $(nproc) cores; N1=$N1 N2=$N2 N3=$N3 BNS=$BNS BNS3=$BNS3" | tee "$log"

# step LIMIT DIR ARGS...: dipgp check ARGS into DIR with the exact rule,
# stopped by SIGINT after LIMIT seconds, then each result folder compared
# with the mean-field kernel into DIR/mf.
step() {
	local limit=$1 dir=$2 t0=$SECONDS
	shift 2
	timeout -s INT -k 20 "$limit" $DIPGP check run -q --bn exact --bn-samples "${STEP_BNS:-$BNS}" --bn-max-flops=-1 --out "$dir" "$@" \
		>"$dir.stdout" 2>"$dir.stderr" || echo "$dir: check stopped (rc $?): $(tail -1 "$dir.stderr")" | tee -a "$log"
	echo "$dir: check $((SECONDS - t0)) s" | tee -a "$log"
	local r
	for r in "$dir" "$dir"/width*; do
		[ -f "$r/stats.json" ] || continue
		$DIPGP check merge -q --bn meanfield --out "$dir/mf/${r#"$dir"}" "$r" >/dev/null 2>"$dir.merge.stderr" ||
			echo "$r: merge failed: $(tail -1 "$dir.merge.stderr")" | tee -a "$log"
	done
}

# field FILE KEY K: the K-th value of "KEY" in a summary.json (the shape
# comparison is the second block, after the level comparison).
field() {
	local v
	v=$(grep -o "\"$2\": [^,]*" "$1" 2>/dev/null | sed -n "$3p")
	echo "${v#*: }"
}

# summary DIR WIDTHS: the shape error of each width, exact and mean field.
summary() {
	local dir=$1 w d
	echo "## $dir: shape excess RMS / variance (beyond sampling noise), within 2 SE, networks, shape stderr / variance"
	echo "width exact meanfield exact_within2 meanfield_within2 networks stderr"
	for w in ${2//,/ }; do
		d=$dir/width$w
		[ "$w" = - ] && d=$dir
		[ -f "$d/summary.json" ] || { echo "$w (not run)"; continue; }
		echo "$w $(field "$d/summary.json" excess_rms_rel_error 2) $(field "$dir/mf/${d#"$dir"}/summary.json" excess_rms_rel_error 2)" \
			"$(field "$d/summary.json" within_2se 2) $(field "$dir/mf/${d#"$dir"}/summary.json" within_2se 2)" \
			"$(field "$d/summary.json" samples 1) $(field "$d/summary.json" mean_rel_stderr 2)"
	done
}

A1=dip-skip:scales=2,bn=true,pad=circular,input=gaussian,in_scale=1,out_act=identity
A2=encdec:dims=1,scales=3,sigma=60,out_channels=1,out_act=identity,up=nearest,pad=circular
step "$T1" "$OUT/dipskip2_64" --arch "$A1" --size 64 --widths "$W1" --samples "$N1"
step "$T2" "$OUT/encdec1d_512" --arch "$A2" --size 512 --widths "$W2" --samples "$N2"
STEP_BNS=$BNS3 step "$T3" "$OUT/dipdefault_$S3" --arch dip-skip --size "$S3" --samples "$N3"
{
	summary "$OUT/dipskip2_64" "$W1"
	summary "$OUT/encdec1d_512" "$W2"
	summary "$OUT/dipdefault_$S3" -
	for v in exact mf/; do
		echo "dip-skip default ${v%/}: $(grep -o '"verdict": "[^"]*' "$OUT/dipdefault_$S3/${v#exact}summary.json" 2>/dev/null | sed -n 3p | cut -c13-)"
	done
	echo "# total $SECONDS s"
} | tee -a "$log"
