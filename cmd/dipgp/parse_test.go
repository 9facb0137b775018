package main

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseSizeStrict(t *testing.T) {
	for _, s := range []string{"1e9", "2e1", "64.5", "64abc", "", "x", "0", "-4", "+4", "64x", "x64", "0x10", "99999999999999999999", "16777217"} {
		if got, err := parseSize(s, 2); err == nil {
			t.Errorf("parseSize(%q) = %v, want an error", s, got)
		}
	}
	for s, want := range map[string][]int{"64": {64, 64}, "64x32": {64, 32}, " 8X16 ": {8, 16}} {
		got, err := parseSize(s, 2)
		if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("parseSize(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if _, err := parseSize("8x8", 1); err == nil {
		t.Error("a 2-D size for a 1-D architecture is accepted")
	}
}

func TestParseNumbersStrict(t *testing.T) {
	for _, s := range []string{"NaN", "nan", "Inf", "-Inf", "+inf", "1e400", "", "1,5", "0x"} {
		if f, err := parseFloat(s); err == nil {
			t.Errorf("parseFloat(%q) = %v, want an error", s, f)
		}
	}
	for _, s := range []string{"NaN", "Inf", "1e300GB", "-1", "0", "8XB", "GB", "1e-9"} {
		if b, err := parseBytes(s); err == nil {
			t.Errorf("parseBytes(%q) = %v, want an error", s, b)
		}
	}
	if b, err := parseBytes("8GiB"); err != nil || b != 8<<30 {
		t.Errorf("parseBytes(8GiB) = %d, %v", b, err)
	}
	if _, err := parseCounts("--widths", "16,,32"); err == nil {
		t.Error("an empty width is accepted")
	}
	if _, err := parseCounts("--widths", "16,3.5"); err == nil {
		t.Error("a fractional width is accepted")
	}
}

// FuzzParseSize checks that parseSize either refuses a string or returns
// positive sides whose decimal form is exactly the string's numbers.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64", "64x32", "1e9", "2e1", "64.5", "64abc", "0", "x", "16777216"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		size, err := parseSize(s, 2)
		if err != nil {
			return
		}
		parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), "x")
		for i, n := range size {
			if n <= 0 || n > maxSide {
				t.Fatalf("parseSize(%q) = %v", s, size)
			}
			p := parts[min(i, len(parts)-1)]
			if v, err := strconv.Atoi(strings.TrimSpace(p)); err != nil || v != n || strings.ContainsAny(p, "+-.eE") {
				t.Fatalf("parseSize(%q) = %v: side %d does not read back from %q", s, size, n, p)
			}
		}
	})
}

// FuzzParseFloat checks that parseFloat never returns a non-finite number
// and agrees with strconv on what it accepts.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"25", "NaN", "Inf", "-0", "1e308", "1e309", "0.5", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseFloat(s)
		if err != nil {
			return
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if math.IsNaN(v) || math.IsInf(v, 0) || err != nil || w != v {
			t.Fatalf("parseFloat(%q) = %v (strconv: %v, %v)", s, v, w, err)
		}
	})
}

// FuzzParseBytes checks that parseBytes returns a positive count or an
// error, never a wrapped-around value.
func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"8GB", "6GiB", "2000000000", "1e300TB", "NaN", "0.5", "1.5k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := parseBytes(s)
		if err == nil && b < 1 {
			t.Fatalf("parseBytes(%q) = %d", s, b)
		}
	})
}

// TestFlagNaN runs the commands whose flags took NaN (and panicked in
// AddNoise and RandomMask): kong must now refuse them at parse time.
func TestFlagNaN(t *testing.T) {
	for _, args := range [][]string{
		{"-q", "gp", "denoise", "--sigma", "NaN", "--size", "16", "--arch", gpTestArch, "--out", t.TempDir()},
		{"-q", "predict", "--sigma", "NaN", "--size", "16", "--arch", gpTestArch, "--out", t.TempDir()},
		{"-q", "gp", "inpaint", "--keep", "NaN", "--size", "16", "--arch", gpTestArch, "--out", t.TempDir()},
		{"-q", "gp", "inpaint", "--keep", "Inf", "--size", "16", "--arch", gpTestArch, "--out", t.TempDir()},
		{"-q", "kernel", "--size", "1e9", "--out", t.TempDir()},
		{"-q", "kernel", "--size", "64abc", "--out", t.TempDir()},
	} {
		if code := run(args); code == 0 {
			t.Errorf("%v: exit code 0, want an error", args)
		}
	}
}
