package main

import (
	"fmt"
	"strings"

	"github.com/dipgp/dipgp/arch"
)

// This file suggests sizes to a user whose size an architecture refuses:
// only sizes that pass every check of a.Validate (a multiple of the
// divisor can still fail, e.g. batch norm over a 1-pixel grid).

// validSquares returns up to n sizes (S, or S x S in 2-D) that a accepts,
// the nearest to near first, among the multiples of a.Divisor() up to 64
// of them.
func validSquares(a arch.Arch, near, n int) []int {
	d := a.Divisor()
	var ok []int
	for k := 1; k <= 64; k++ {
		s := k * d
		size := []int{s}
		if a.Dims == 2 {
			size = []int{s, s}
		}
		if a.Validate(size) == nil {
			ok = append(ok, s)
		}
	}
	// Nearest first: sort by distance to near (stable for ties: smaller
	// first).
	for i := 1; i < len(ok); i++ {
		for j := i; j > 0 && dist(ok[j], near) < dist(ok[j-1], near); j-- {
			ok[j], ok[j-1] = ok[j-1], ok[j]
		}
	}
	return ok[:min(n, len(ok))]
}

func dist(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// largestCrop returns the largest (by area) h x w with h <= H, w <= W that
// a accepts, or ok false.
func largestCrop(a arch.Arch, H, W int) (h, w int, ok bool) {
	d := a.Divisor()
	best := 0
	for hh := H / d * d; hh >= d; hh -= d {
		if hh*(W/d*d) <= best {
			break
		}
		for ww := W / d * d; ww >= d; ww -= d {
			if hh*ww <= best {
				break
			}
			if a.Validate([]int{hh, ww}) == nil {
				h, w, best = hh, ww, hh*ww
				break
			}
		}
	}
	return h, w, best > 0
}

// sizeError explains which sizes an architecture accepts.
func sizeError(a arch.Arch, size []int, err error) error {
	near := size[0]
	s := validSquares(a, near, 3)
	if len(s) == 0 {
		return fmt.Errorf("%w\nno size up to %d per axis passes this architecture's checks; use fewer scales", err, 64*a.Divisor())
	}
	var parts []string
	for _, v := range s {
		parts = append(parts, sizeString(map[bool][]int{true: {v, v}, false: {v}}[a.Dims == 2]))
	}
	return fmt.Errorf("%w\nsizes this architecture accepts include %s (multiples of %d per axis, and large enough for every layer)", err, strings.Join(parts, ", "), a.Divisor())
}
