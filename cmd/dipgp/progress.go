package main

import "github.com/dipgp/dipgp/internal/progress"

// newProgress returns progress bars on a terminal, unless --quiet.
func newProgress(g *Globals) *progress.Progress {
	if g != nil && g.Quiet {
		return progress.New(nil, false)
	}
	return progress.Auto()
}
