package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

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
// safe for concurrent use. The zero value is a disabled Progress.
type Progress struct {
	w    io.Writer
	on   bool
	p    *mpb.Progress // live bars; nil unless drawing on a terminal
	mu   sync.Mutex
	bars []*Bar
	done bool
}

// New returns a Progress drawing on w when enabled is true. When enabled is
// false (or w is nil) every method is a no-op and nothing is written.
//
// On a terminal the bars are redrawn live. On any other writer (a file, a
// pipe, a buffer) nothing is drawn while work runs, and Wait writes one
// final summary line per bar, so logs stay clean.
func New(w io.Writer, enabled bool) *Progress {
	return newProgress(w, enabled, isTerminal(w))
}

// newProgress is New with the terminal decision made by the caller (tests
// force live drawing on a buffer).
func newProgress(w io.Writer, enabled, live bool) *Progress {
	if !enabled || w == nil {
		return &Progress{}
	}
	p := &Progress{w: w, on: true}
	if live {
		p.p = mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithAutoRefresh())
	}
	return p
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
func (p *Progress) Enabled() bool { return p != nil && p.on }

// Bar adds a bar named name that is complete when total units are done
// (total <= 0 means unknown; the bar then completes on Done). The bar shows
// the name, the count, the percentage, the elapsed time, an estimate of the
// remaining time and the latest message. On a disabled Progress it returns
// an inert Bar.
func (p *Progress) Bar(name string, total int64) *Bar {
	if !p.Enabled() {
		return &Bar{}
	}
	b := &Bar{on: true, name: name, start: time.Now()}
	b.msg.Store("")
	b.total.Store(total)
	if p.p != nil {
		b.b = p.p.AddBar(total,
			mpb.PrependDecorators(
				decor.Name(name, decor.WCSyncSpaceR),
				decor.CountersNoUnit("%d/%d", decor.WCSyncSpace),
			),
			mpb.AppendDecorators(
				decor.Percentage(decor.WC{W: 5}),
				decor.Any(func(decor.Statistics) string { return " " + b.elapsed().String() }),
				decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WC{C: decor.DindentRight}), ""),
				decor.Any(func(decor.Statistics) string {
					if s := b.msg.Load().(string); s != "" {
						return " " + s
					}
					return ""
				}),
			),
		)
	}
	p.mu.Lock()
	p.bars = append(p.bars, b)
	p.mu.Unlock()
	return b
}

// Wait completes every bar not yet marked Done and finishes the output: on
// a terminal it draws the final state of the bars; on other writers it
// writes one summary line per bar. Call it once, after all work has
// finished; later calls do nothing.
func (p *Progress) Wait() {
	if !p.Enabled() {
		return
	}
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return
	}
	p.done = true
	bars := append([]*Bar(nil), p.bars...)
	p.mu.Unlock()
	for _, b := range bars {
		b.Done()
	}
	if p.p != nil {
		p.p.Wait()
		return
	}
	width := 0
	for _, b := range bars {
		width = max(width, len(b.name))
	}
	for _, b := range bars {
		line := fmt.Sprintf("%-*s  %d/%d  %s", width, b.name, b.cur.Load(), b.total.Load(), b.elapsed())
		if s := b.msg.Load().(string); s != "" {
			line += "  " + s
		}
		fmt.Fprintln(p.w, line)
	}
}

// Bar is one progress bar. Its methods are safe for concurrent use; on a
// nil or inert Bar they do nothing.
type Bar struct {
	on    bool
	b     *mpb.Bar // live bar on a terminal, else nil
	name  string
	msg   atomic.Value
	cur   atomic.Int64
	total atomic.Int64
	once  sync.Once
	start time.Time
	took  atomic.Int64 // elapsed nanoseconds, set by Done
}

func (b *Bar) elapsed() time.Duration {
	d := time.Duration(b.took.Load())
	if d == 0 {
		d = time.Since(b.start)
	}
	return d.Round(time.Second)
}

func (b *Bar) live() bool { return b != nil && b.on }

// Add records n more units of work as done.
func (b *Bar) Add(n int) {
	if !b.live() {
		return
	}
	b.cur.Add(int64(n))
	if b.b != nil {
		b.b.IncrBy(n)
	}
}

// Set records that done units of total are finished (total <= 0 leaves the
// total unchanged).
func (b *Bar) Set(done, total int64) {
	if !b.live() {
		return
	}
	if total > 0 {
		b.total.Store(total)
		if b.b != nil {
			b.b.SetTotal(total, false)
		}
	}
	b.cur.Store(done)
	if b.b != nil {
		b.b.SetCurrent(done)
	}
}

// SetMessage sets the status text shown after the bar, e.g. the running
// error estimate.
func (b *Bar) SetMessage(s string) {
	if !b.live() {
		return
	}
	b.msg.Store(s)
}

// Done marks the bar complete at its current count (also when the work
// stopped early). Calling Done more than once is harmless.
func (b *Bar) Done() {
	if !b.live() {
		return
	}
	b.once.Do(func() {
		b.took.Store(int64(max(time.Since(b.start), time.Nanosecond)))
		b.total.Store(b.cur.Load())
		if b.b != nil {
			b.b.SetTotal(-1, true)
		}
	})
}

// Func returns a callback that drives b: each call sets the bar to done of
// total and, when msg is not empty, sets the message. For a nil or inert
// Bar it returns nil, which library code calls through Func.Report.
func (b *Bar) Func() Func {
	if !b.live() {
		return nil
	}
	return func(done, total int, msg string) {
		b.Set(int64(done), int64(total))
		if msg != "" {
			b.SetMessage(msg)
		}
	}
}
