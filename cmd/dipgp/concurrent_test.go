package main

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrently checks that every job runs, that no more than the
// allowed number run at once, and that the first failing job in argument
// order is the error returned.
func TestConcurrently(t *testing.T) {
	var running, most, done atomic.Int32
	job := func(fail error) func() error {
		return func() error {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			done.Add(1)
			return fail
		}
	}
	first, second := errors.New("first"), errors.New("second")
	err := concurrently(2, job(nil), job(first), job(nil), job(second), job(nil))
	if err != first {
		t.Errorf("error %v, want the first failing job's", err)
	}
	if done.Load() != 5 {
		t.Errorf("%d jobs ran, want 5", done.Load())
	}
	if most.Load() > 2 {
		t.Errorf("%d jobs ran at once with 2 workers", most.Load())
	}
	if err := concurrently(0); err != nil {
		t.Errorf("no jobs: %v", err)
	}
}
