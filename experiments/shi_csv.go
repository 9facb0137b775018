package experiments

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dipgp/dipgp/dip"
)

// readShiSweep reads back the kernel.csv and runs.csv that shiSweep wrote
// into dir, for the settings sets: the sweep's table and correlations can
// be rebuilt from them (the PSNR and FBC curves are not in them).
func readShiSweep(dir string, sets []shiSetting) (*shiSweep, error) {
	idx := map[string]int{}
	for i, s := range sets {
		idx[s.key] = i
	}
	sw := &shiSweep{kernels: make([]shiKernelRow, 0, len(sets))}
	kr, err := readCSVFile(filepath.Join(dir, "kernel.csv"), 6)
	if err != nil {
		return nil, err
	}
	for i, r := range kr {
		if i >= len(sets) || r[0] != sets[i].key {
			return nil, fmt.Errorf("experiments: kernel.csv row %d is setting %q, want %q", i+1, r[0], sets[min(i, len(sets)-1)].key)
		}
		v, err := parseNums(r[3:])
		if err != nil {
			return nil, fmt.Errorf("experiments: kernel.csv row %d: %w", i+1, err)
		}
		sw.kernels = append(sw.kernels, shiKernelRow{v[0], v[1], v[2]})
	}
	rr, err := readCSVFile(filepath.Join(dir, "runs.csv"), len(shiRunHeader))
	if err != nil {
		return nil, err
	}
	for i, r := range rr {
		si, ok := idx[r[0]]
		if !ok {
			return nil, fmt.Errorf("experiments: runs.csv row %d: unknown setting %q", i+1, r[0])
		}
		v, err := parseNums(r[1:])
		if err != nil {
			return nil, fmt.Errorf("experiments: runs.csv row %d: %w", i+1, err)
		}
		// v: lambda sigma image seed hp slope hpT best_iter best final decline half[5] fbc[5] speed
		run := shiRunRow{setting: si, image: int(v[2]), seed: int(v[3]), bestIter: int(v[7]), best: v[8], final: v[9],
			decline: v[10], speed: v[11+2*dip.FBCBands]}
		copy(run.halfBand[:], v[11:11+dip.FBCBands])
		copy(run.fbcFinal[:], v[11+dip.FBCBands:11+2*dip.FBCBands])
		sw.runs = append(sw.runs, run)
	}
	return sw, nil
}

// readCSVFile reads a CSV file with a header and rows of cols fields and
// returns the rows without the header.
func readCSVFile(path string, cols int) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("experiments: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", path, err)
	}
	if len(rows) == 0 || len(rows[0]) != cols {
		return nil, fmt.Errorf("experiments: %s has no header of %d columns", path, cols)
	}
	return rows[1:], nil
}

func parseNums(s []string) ([]float64, error) {
	v := make([]float64, len(s))
	for i, x := range s {
		var err error
		if v[i], err = strconv.ParseFloat(x, 64); err != nil {
			return nil, err
		}
	}
	return v, nil
}
