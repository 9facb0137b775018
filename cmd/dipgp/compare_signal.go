package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/npy"
	"github.com/dipgp/dipgp/internal/plotting"
)

// 1-D signals for the training and prediction commands: a 1-D
// architecture (dims=1) is fitted to a signal of N samples, given as a
// .npy of N values or a text file (.csv, .txt) of N numbers, or drawn
// synthetically with --size N. dip holds it as an image of width N and
// height 1.

// loadSignalFile reads N values from a .npy (shape (N), (1, N) or (N, 1))
// or from a text file of numbers in one column or one row (comma, space
// or newline separated; a first line that is not numeric is a header).
func loadSignalFile(path string) ([]float64, error) {
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		shape, x, err := npy.ReadFloat64(path)
		if err != nil {
			return nil, err
		}
		if len(shape) > 2 || (len(shape) == 2 && shape[0] != 1 && shape[1] != 1) {
			return nil, fmt.Errorf("signal %s has shape %s; give a 1-D array of N values", path, npy.ShapeString(shape))
		}
		return checkSignal(path, x)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var x []float64
	rows, cols := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for line := 1; sc.Scan(); line++ {
		fields := strings.FieldsFunc(sc.Text(), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == ';' || r == '\r' })
		if len(fields) == 0 {
			continue
		}
		var row []float64
		for _, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				if line == 1 {
					row = nil // a header
					break
				}
				return nil, fmt.Errorf("signal %s, line %d: %q is not a number; give N numbers in one column or one row", path, line, s)
			}
			row = append(row, v)
		}
		if row == nil {
			continue
		}
		rows, cols = rows+1, max(cols, len(row))
		if rows > 1 && cols > 1 {
			return nil, fmt.Errorf("signal %s has several rows of several values (line %d); give N numbers in one column or one row", path, line)
		}
		x = append(x, row...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("signal %s: %w", path, err)
	}
	return checkSignal(path, x)
}

func checkSignal(path string, x []float64) ([]float64, error) {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("signal %s: value %d is %v; give finite values", path, i, v)
		}
	}
	if len(x) < 10 {
		return nil, fmt.Errorf("signal %s has %d values; give at least 10 (the FBC measure needs 5 frequency bands)", path, len(x))
	}
	return x, nil
}

// syntheticSignal is the default 1-D target of n samples in [0, 1]: two
// sines (2 and 9 cycles) and a step over the third quarter, so that low
// and high frequencies both carry energy.
func syntheticSignal(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		u := float64(i) / float64(n)
		x[i] = 0.45 + 0.25*math.Sin(2*math.Pi*2*u) + 0.1*math.Sin(2*math.Pi*9*u)
		if u >= 0.5 && u < 0.75 {
			x[i] += 0.15
		}
	}
	return x
}

// loadSignal returns the signal of a 1-D run (--signal, or a synthetic one
// of --size samples) after checking that the 1-D architecture a accepts its
// length.
func loadSignal(a arch.Arch, file, size string) ([]float64, string, error) {
	var x []float64
	name := file
	if file != "" {
		var err error
		if x, err = loadSignalFile(file); err != nil {
			return nil, "", err
		}
	} else {
		s, err := parseSize(size, 1)
		if err != nil {
			return nil, "", fmt.Errorf("--size: %w", err)
		}
		if s[0] < 10 {
			return nil, "", fmt.Errorf("--size %d: a signal needs at least 10 samples (the FBC measure needs 5 frequency bands)", s[0])
		}
		x, name = syntheticSignal(s[0]), fmt.Sprintf("synthetic signal of %d samples", s[0])
	}
	if err := a.Validate([]int{len(x)}); err != nil {
		return nil, "", fmt.Errorf("signal %s: %w", name, sizeError(a, []int{len(x)}, err))
	}
	return x, name, nil
}

// signalProblem builds the problem of a 1-D run: the signal, its task, and
// for inpainting a mask file of N values (> 0.5 observed) when given.
func (f *dipRunFlags) signalProblem(a arch.Arch, to dip.TaskOptions) (dip.Problem, string, error) {
	if f.Image != "" {
		return dip.Problem{}, "", fmt.Errorf("--image %s is for 2-D architectures; %s is 1-D (dims=1): give the signal with --signal (.npy or .csv of N values)", f.Image, a)
	}
	x, name, err := loadSignal(a, f.Signal, f.Size)
	if err != nil {
		return dip.Problem{}, "", err
	}
	if f.Mask != "" {
		m, err := loadSignalFile(f.Mask)
		if err != nil {
			return dip.Problem{}, "", fmt.Errorf("--mask: %w", err)
		}
		if len(m) != len(x) {
			return dip.Problem{}, "", fmt.Errorf("mask %s has %d values but the signal has %d; give one value per sample (> 0.5 = observed)", f.Mask, len(m), len(x))
		}
		to.Mask = make([]bool, len(m))
		for i, v := range m {
			to.Mask[i] = v > 0.5
		}
	}
	p, err := dip.NewSignalProblem(x, to)
	return p, name, err
}

// gridOf returns the output grid of the run's target: {N} for a signal,
// {H, W} for an image.
func gridOf(img imageio.Image) []int {
	if img.H == 1 {
		return []int{img.W}
	}
	return []int{img.H, img.W}
}

// dipWriteSignal writes a 1-D run's signals: signal.csv (per sample the
// clean and degraded signal, the mask, the start, the last and the best
// output, the averages when kept) and signal.png.
func dipWriteSignal(out string, s *dipSetup, res dip.Result) error {
	p := s.cfg.Problem
	cols := []struct {
		name string
		img  imageio.Image
	}{{"clean", p.Clean}, {"target", p.Target}, {"start", res.Start}, {"output", res.Output}, {"best", res.BestOutput},
		{"average", res.Average}, {"mean", res.Mean}}
	header := []string{"sample"}
	var have []int
	for i, c := range cols {
		if len(c.img.Pix) == p.Clean.W {
			header = append(header, c.name)
			have = append(have, i)
		}
	}
	if p.Mask != nil {
		header = append(header, "observed")
	}
	rows := make([][]float64, p.Clean.W)
	for j := range rows {
		rows[j] = []float64{float64(j)}
		for _, i := range have {
			rows[j] = append(rows[j], cols[i].img.Pix[j])
		}
		if p.Mask != nil {
			rows[j] = append(rows[j], map[bool]float64{true: 1, false: 0}[p.Mask[j]])
		}
	}
	if err := writeCSV(filepath.Join(out, "signal.csv"), header, rows); err != nil {
		return err
	}
	var series []plotting.Series
	for k, i := range have {
		if c := cols[i]; c.name == "clean" || c.name == "target" || c.name == "output" || c.name == "best" {
			y := make([]float64, len(rows))
			x := make([]float64, len(rows))
			for j := range rows {
				x[j], y[j] = float64(j), rows[j][k+1]
			}
			series = append(series, plotting.Series{Name: c.name, X: x, Y: y, Dashed: c.name == "target", Color: len(series) + 1})
		}
	}
	pl, err := plotting.Lines("Signal", "sample", "value", series, plotting.Options{LegendOutside: true})
	if err != nil {
		return err
	}
	return plotting.Save(pl, filepath.Join(out, "signal"), 8*vg.Inch, 4*vg.Inch)
}
