package arch

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an error in an architecture or in the size asked of it. Its
// message has a single "arch: " prefix, then the source when known (the
// preset spec or the file), then the layer or field at fault and the fix:
//
//	arch: preset dip-skip:k=4: layers[1] (conv): k is 4; the kernel size must be odd ...
type Error struct {
	// Source is the preset spec or file path the architecture came from,
	// "" when not known.
	Source string
	// Msg names the layer or field at fault and how to fix it.
	Msg string
}

func (e *Error) Error() string {
	if e.Source == "" {
		return "arch: " + e.Msg
	}
	return "arch: " + e.Source + ": " + e.Msg
}

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// withSource returns err with its source set to src (an *Error keeps its
// single prefix); other errors become an *Error.
func withSource(err error, src string) error {
	var e *Error
	if errors.As(err, &e) {
		if e.Source != "" {
			return err
		}
		c := *e
		c.Source = src
		return &c
	}
	return &Error{Source: src, Msg: strings.TrimPrefix(err.Error(), "arch: ")}
}

// SizeString writes a grid size as H x W ("64x48"), or N in 1-D.
func SizeString(size []int) string {
	s := make([]string, len(size))
	for i, n := range size {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, "x")
}

// times writes a count of repetitions: "once", "2 times".
func times(k int) string {
	if k == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", k)
}
