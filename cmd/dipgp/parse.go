package main

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/alecthomas/kong"
)

// This file is the one home of the command line's number parsing: sizes,
// counts, lists of widths, byte counts, and (through finiteFloat, the
// mapper of every float64 flag) real numbers. Every parser is strict: the
// whole string must be the number, so "64abc", "64.5" (as a size), "1e9"
// (as a size) and "NaN" are errors, not 64, 1 or a silent NaN.

// parseCount reads a positive whole number written in decimal digits
// (no sign, exponent, fraction or unit).
func parseCount(s string) (int, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty")
	}
	for _, r := range t {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a whole number in decimal digits", s)
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if n <= 0 {
		return 0, fmt.Errorf("%q is not positive", s)
	}
	return n, nil
}

// maxSide is the largest side a size may have: far beyond any memory, so
// that products of sides cannot overflow.
const maxSide = 1 << 24

// parseSize reads "N", "HxW" or "S" (S x S in 2-D) for an architecture of
// the given dims.
func parseSize(s string, dims int) ([]int, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
	var size []int
	for _, p := range parts {
		n, err := parseCount(p)
		if err != nil {
			return nil, fmt.Errorf("size %q is not N or HxW with positive whole numbers (decimal digits only, e.g. 64 or 64x32)", s)
		}
		if n > maxSide {
			return nil, fmt.Errorf("size %q has a side above %d", s, maxSide)
		}
		size = append(size, n)
	}
	switch {
	case len(size) == dims:
		return size, nil
	case len(size) == 1 && dims == 2:
		return []int{size[0], size[0]}, nil
	default:
		return nil, fmt.Errorf("size %q has %d axes but the architecture is %d-D; give %s", s, len(size), dims, map[int]string{1: "N", 2: "HxW"}[dims])
	}
}

// parseCounts reads a comma-separated list of positive whole numbers, e.g.
// the widths 16,32,64.
func parseCounts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := parseCount(f)
		if err != nil || n > maxSide {
			return nil, fmt.Errorf("%s %q must be a comma-separated list of positive whole numbers, e.g. 16,32,64", flag, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseFloat reads a finite real number (NaN and infinities are refused).
func parseFloat(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a finite number", s)
	}
	return f, nil
}

// parseBytes reads a byte count: a number, optionally with a unit k, M, G,
// T (with B: decimal, e.g. GB = 1e9; with iB or alone: binary, e.g. GiB =
// G = 2^30).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := parseFloat(num)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("--max-memory %q is not a positive number of bytes (e.g. 8GB, 6GiB or 2000000000)", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	}
	m, ok := mult[unit]
	if !ok {
		return 0, fmt.Errorf("--max-memory %q has an unknown unit %q; use B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)", s, unit)
	}
	b := f * m
	if b < 1 || b > 1<<62 {
		return 0, fmt.Errorf("--max-memory %q is out of range (1 byte to 4 EiB)", s)
	}
	return int64(b), nil
}

// finiteFloat is the kong mapper of every float64 flag: it refuses NaN and
// infinities (kong's own accepts them, and a NaN noise level or keep
// fraction then runs silently or panics deep inside), and shows the
// default or "X" as the placeholder instead of kong's "FLOAT-64".
type finiteFloat struct{}

// Decode implements kong.Mapper.
func (finiteFloat) Decode(ctx *kong.DecodeContext, target reflect.Value) error {
	t, err := ctx.Scan.PopValue("number")
	if err != nil {
		return err
	}
	f, err := parseFloat(fmt.Sprint(t.Value))
	if err != nil {
		return err
	}
	target.SetFloat(f)
	return nil
}

// PlaceHolder implements kong.PlaceHolderProvider.
func (finiteFloat) PlaceHolder(f *kong.Flag) string {
	if f.HasDefault {
		return f.Default
	}
	return "X"
}
