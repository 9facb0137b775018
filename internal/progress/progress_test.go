package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDisabledPrintsNothing(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, false)
	if p.Enabled() {
		t.Fatal("disabled Progress reports Enabled")
	}
	b := p.Bar("train", 100)
	for i := 0; i < 100; i++ {
		b.Add(1)
		b.SetMessage("loss 0.1")
	}
	f := b.Func()
	if f != nil {
		t.Error("inert bar should give nil Func")
	}
	f.Report(3, 10, "x") // nil-safe
	b.Set(5, 10)
	b.Done()
	b.Done()
	p.Wait()
	if buf.Len() != 0 {
		t.Errorf("disabled progress wrote %q", buf.String())
	}
	// nil receivers.
	var np *Progress
	np.Bar("x", 1).Add(1)
	np.Wait()
	var nb *Bar
	nb.Add(1)
	nb.SetMessage("m")
	nb.Done()
	nb.Set(1, 2)
	if nb.Func() != nil {
		t.Error("nil bar Func")
	}
}

func TestEnabledWritesFinalState(t *testing.T) {
	var buf safeBuffer
	p := New(&buf, true)
	b := p.Bar("sweep", 10)
	f := b.Func()
	for i := 1; i <= 4; i++ {
		f.Report(i, 10, "err 0.25")
	}
	b.Done() // stopped early at 4
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return")
	}
	out := buf.String()
	for _, want := range []string{"sweep", "4/4", "err 0.25"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}

func TestWaitFinishesForgottenBars(t *testing.T) {
	var buf safeBuffer
	p := New(&buf, true)
	var wg sync.WaitGroup
	bars := []*Bar{p.Bar("a", 50), p.Bar("b", 0)}
	for _, b := range bars {
		wg.Add(1)
		go func(b *Bar) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				b.Add(1)
			}
		}(b)
	}
	wg.Wait()
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait hung on bars that were never Done")
	}
	out := buf.String()
	if !strings.Contains(out, "a  20/20") || !strings.Contains(out, "b  20/20") {
		t.Errorf("output %q lacks the final counts", out)
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("non-terminal output should be one line per bar, got %d lines: %q", n, out)
	}
	p.Wait() // second Wait is a no-op
	if buf.String() != out {
		t.Error("second Wait wrote more output")
	}
}

func TestLiveBars(t *testing.T) {
	var buf safeBuffer
	p := newProgress(&buf, true, true)
	b := p.Bar("sweep", 10)
	f := b.Func()
	for i := 1; i <= 10; i++ {
		f.Report(i, 10, "err 0.125")
	}
	c := p.Bar("train", 0) // unknown total, completed by Wait
	c.Add(7)
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return")
	}
	out := buf.String()
	for _, want := range []string{"sweep", "10/10", "err 0.125", "100 %", "train", "7/7"} {
		if !strings.Contains(out, want) {
			t.Errorf("live output %q lacks %q", out, want)
		}
	}
}

func TestFuncReport(t *testing.T) {
	var got []int
	f := Func(func(done, total int, msg string) { got = append(got, done, total) })
	f.Report(2, 5, "")
	if len(got) != 2 || got[0] != 2 || got[1] != 5 {
		t.Errorf("got %v", got)
	}
}

// safeBuffer is a bytes.Buffer safe for the concurrent writes of mpb and
// reads of the test.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
