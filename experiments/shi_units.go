package experiments

import (
	"fmt"
	"math"

	"github.com/dipgp/dipgp/dip"
)

// shiRunUnit stores a sweep run as a unit's numbers and series: what the
// report needs (the table, the correlations, the PSNR and FBC figures).
func shiRunUnit(r shiRunRow) unitData {
	u := unitData{Numbers: map[string]float64{"best_iter": float64(r.bestIter), "best_psnr": r.best, "final_psnr": r.final,
		"decline_db": r.decline, "band_speed": r.speed},
		Series: map[string][]float64{"psnr_iter": r.psnrX, "psnr": r.psnrY}}
	for b := 0; b < dip.FBCBands; b++ {
		u.Numbers[fmt.Sprintf("half_iter_b%d", b+1)] = r.halfBand[b]
		u.Numbers[fmt.Sprintf("fbc_final_b%d", b+1)] = r.fbcFinal[b]
	}
	if r.predictErr != "" {
		u.Numbers["predict_failed"] = 1
	}
	for name, ms := range map[string][]dip.Measurement{"obs": r.obsFBC, "pred": r.predFBC} {
		if len(ms) == 0 {
			continue
		}
		u.Series[name+"_iter"] = itersOf(ms)
		for b := 0; b < dip.FBCBands; b++ {
			u.Series[fmt.Sprintf("%s_fbc_b%d", name, b+1)] = field(ms, func(m dip.Measurement) float64 { return m.FBC[b] })
		}
	}
	return u
}

// shiRunOf reads a sweep run back from its unit.
func shiRunOf(u unitData, m shiNet, si, im, sd int) shiRunRow {
	n := u.Numbers
	r := shiRunRow{setting: si, image: im, seed: sd, bestIter: int(n["best_iter"]), best: n["best_psnr"], final: n["final_psnr"],
		decline: n["decline_db"], speed: n["band_speed"], psnrX: u.Series["psnr_iter"], psnrY: u.Series["psnr"]}
	for b := 0; b < dip.FBCBands; b++ {
		// A unit stores non-finite values as null (read back as NaN); the
		// only non-finite half-fit iteration dip.HalfFit gives is +Inf.
		r.halfBand[b] = n[fmt.Sprintf("half_iter_b%d", b+1)]
		if math.IsNaN(r.halfBand[b]) {
			r.halfBand[b] = math.Inf(1)
		}
		r.fbcFinal[b] = n[fmt.Sprintf("fbc_final_b%d", b+1)]
	}
	if n["predict_failed"] == 1 {
		r.predictErr = "the kernel's FBC prediction failed (the error is in the report of the run or shard that trained it)"
	}
	r.obsFBC = shiMeasurements(u, "obs")
	r.predFBC = shiMeasurements(u, "pred")
	return r
}

func shiMeasurements(u unitData, name string) []dip.Measurement {
	it := u.Series[name+"_iter"]
	ms := make([]dip.Measurement, len(it))
	for i, t := range it {
		ms[i] = dip.Measurement{Iter: int(math.Round(t)), FBC: make([]float64, dip.FBCBands)}
		for b := 0; b < dip.FBCBands; b++ {
			if v := u.Series[fmt.Sprintf("%s_fbc_b%d", name, b+1)]; i < len(v) {
				ms[i].FBC[b] = v[i]
			}
		}
	}
	return ms
}
