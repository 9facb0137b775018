package progress

import (
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// Func is a progress callback that library packages accept: done units of
// total are finished, and msg is a short status string such as the current
// loss ("" for none). A nil Func is allowed; call it through Report to get
// nil-safety.
type Func func(done, total int, msg string)

// Report calls f(done, total, msg) if f is not nil.
func (f Func) Report(done, total int, msg string) {
	if f != nil {
		f(done, total, msg)
	}
}

// Progress is a set of progress bars drawn on one writer. Its methods are
// safe for concurrent use. The zero value is not usable; use New or Auto.
type Progress struct {
	p    *mpb.Progress // nil when disabled
	mu   sync.Mutex
	bars []*Bar
}

// New returns a Progress drawing on w when enabled is true. When enabled is
// false every method is a no-op and nothing is written. Bars are redrawn
// periodically when w is a terminal; on other writers they are drawn once,
// in their final state, by Wait.
func New(w io.Writer, enabled bool) *Progress {
	if !enabled || w == nil {
		return &Progress{}
	}
	opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(40)}
	if !isTerminal(w) {
		// No periodic redraws on files and pipes: the final state is
		// drawn once, when the last bar completes.
		opts = append(opts, mpb.WithManualRefresh(make(chan any)))
	}
	return &Progress{p: mpb.New(opts...)}
}

// isTerminal reports whether w is an *os.File connected to a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Auto returns a Progress on os.Stderr that is enabled only when stderr is
// a terminal, so redirected or piped output stays free of bar drawings.
func Auto() *Progress {
	return New(os.Stderr, term.IsTerminal(int(os.Stderr.Fd())))
}

// Enabled reports whether p draws anything.
func (p *Progress) Enabled() bool { return p != nil && p.p != nil }

// Bar adds a bar named name that is complete when total units are done
// (total <= 0 means unknown; the bar then completes on Done). The bar shows
// the name, the count, the percentage, the elapsed time and the latest
// message. On a disabled Progress it returns an inert Bar.
func (p *Progress) Bar(name string, total int64) *Bar {
	b := &Bar{}
	b.msg.Store("")
	if !p.Enabled() {
		return b
	}
	b.b = p.p.AddBar(total,
		mpb.PrependDecorators(
			decor.Name(name, decor.WCSyncSpaceR),
			decor.CountersNoUnit("%d/%d", decor.WCSyncSpace),
		),
		mpb.AppendDecorators(
			decor.Percentage(decor.WC{W: 5}),
			decor.Elapsed(decor.ET_STYLE_GO, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string {
				if s := b.msg.Load().(string); s != "" {
					return " " + s
				}
				return ""
			}),
		),
	)
	p.mu.Lock()
	p.bars = append(p.bars, b)
	p.mu.Unlock()
	return b
}

// Wait completes every bar not yet marked Done, draws the final state and
// releases the drawing goroutines. Call it once, after all work has
// finished; the Progress cannot be used afterwards.
func (p *Progress) Wait() {
	if !p.Enabled() {
		return
	}
	p.mu.Lock()
	bars := append([]*Bar(nil), p.bars...)
	p.mu.Unlock()
	for _, b := range bars {
		b.Done()
	}
	p.p.Wait()
}

// Bar is one progress bar. Its methods are safe for concurrent use; on a
// nil or inert Bar they do nothing.
type Bar struct {
	b    *mpb.Bar // nil when inert
	msg  atomic.Value
	once sync.Once
}

// Add records n more units of work as done.
func (b *Bar) Add(n int) {
	if b == nil || b.b == nil {
		return
	}
	b.b.IncrBy(n)
}

// Set records that done units of total are finished (total <= 0 leaves the
// total unchanged).
func (b *Bar) Set(done, total int64) {
	if b == nil || b.b == nil {
		return
	}
	if total > 0 {
		b.b.SetTotal(total, false)
	}
	b.b.SetCurrent(done)
}

// SetMessage sets the status text shown after the bar, e.g. the running
// error estimate.
func (b *Bar) SetMessage(s string) {
	if b == nil {
		return
	}
	b.msg.Store(s)
}

// Done marks the bar complete at its current count (also when the work
// stopped early). Calling Done more than once is harmless.
func (b *Bar) Done() {
	if b == nil || b.b == nil {
		return
	}
	b.once.Do(func() { b.b.SetTotal(-1, true) })
}

// Func returns a callback that drives b: each call sets the bar to done of
// total and, when msg is not empty, sets the message. For a nil or inert
// Bar it returns nil, which library code calls through Func.Report.
func (b *Bar) Func() Func {
	if b == nil || b.b == nil {
		return nil
	}
	return func(done, total int, msg string) {
		b.Set(int64(done), int64(total))
		if msg != "" {
			b.SetMessage(msg)
		}
	}
}
