package experiments

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/dipgp/dipgp/internal/atomicfile"
	"github.com/dipgp/dipgp/internal/imageio"
	"github.com/dipgp/dipgp/internal/plotting"
)

// env is what an experiment's run function works with: the context, the
// configuration, the output folder and the report being written.
type env struct {
	ctx  context.Context
	cfg  Config
	x    Experiment
	dir  string
	body bytes.Buffer
	res  *Result

	done, total int
	checks      int // Monte Carlo checks run so far (their index in a shard's files)
}

func newEnv(ctx context.Context, cfg Config, x Experiment, dir string) *env {
	return &env{ctx: ctx, cfg: cfg, x: x, dir: dir,
		res: &Result{Name: x.Name, Dir: dir, Report: filepath.Join(dir, "report.md"), Mode: cfg.Mode, Seed: cfg.Seed,
			Numbers: map[string]float64{}}}
}

// seed returns the experiment's seed offset by k, so that the draws of
// different parts of an experiment are independent and reproducible.
func (e *env) seed(k int) uint64 { return e.cfg.Seed*1000003 + uint64(k) }

// steps sets the number of progress steps of the run.
func (e *env) steps(n int) {
	e.total = n
	e.progress("")
}

// step records one more step done and checks the context.
func (e *env) step(msg string) error {
	e.done++
	e.progress(msg)
	return e.ctx.Err()
}

func (e *env) progress(msg string) {
	if e.cfg.Progress != nil {
		total := max(e.total, e.done)
		e.cfg.Progress(e.done, total, msg)
	}
}

// sub returns a progress callback for a long inner computation, shown as
// the message of the current step.
func (e *env) sub(what string) func(done, total int) {
	return func(done, total int) {
		if e.cfg.Progress != nil {
			e.cfg.Progress(e.done, max(e.total, e.done), fmt.Sprintf("%s %d/%d", what, done, total))
		}
	}
}

// note records a departure from the paper or a fall-back.
func (e *env) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	e.res.Notes = append(e.res.Notes, s)
	if e.cfg.Log != nil {
		fmt.Fprintf(e.cfg.Log, "%s: %s\n", e.x.Name, s)
	}
}

// num records a headline number. Non-finite values are not stored; they are
// reported as a note instead, so that numbers.json only holds numbers.
func (e *env) num(key string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		e.note("%s is not defined in this run (%v)", key, v)
		return
	}
	e.res.Numbers[key] = v
}

// md appends formatted Markdown to the report body.
func (e *env) md(format string, args ...any) {
	fmt.Fprintf(&e.body, format, args...)
	e.body.WriteString("\n\n")
}

// table appends a Markdown table.
func (e *env) table(header []string, rows [][]string) {
	e.body.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		e.body.WriteString(" --- |")
	}
	e.body.WriteString("\n")
	for _, r := range rows {
		e.body.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	e.body.WriteString("\n")
}

func (e *env) addFile(rel string) {
	e.res.Files = append(e.res.Files, rel)
}

// csv writes name.csv with a header and rows of numbers (full precision;
// NaN where a value does not exist).
func (e *env) csv(name string, header []string, rows [][]float64) error {
	text := make([][]string, len(rows))
	for i, r := range rows {
		text[i] = make([]string, len(r))
		for j, v := range r {
			text[i][j] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return e.csvText(name, header, text)
}

// csvText writes name.csv with a header and rows of text.
func (e *env) csvText(name string, header []string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(header); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	rel := name + ".csv"
	if err := atomicfile.WriteFile(filepath.Join(e.dir, rel), b.Bytes(), 0o644); err != nil {
		return err
	}
	e.addFile(rel)
	return nil
}

// Figure sizes.
const (
	figW     = 6.5 * vg.Inch
	figH     = 4.5 * vg.Inch
	panelW   = 4.8 * vg.Inch
	panelH   = 3.8 * vg.Inch
	heatSide = 3.6 * vg.Inch
)

// figure saves a plot as name.png and name.svg and embeds it.
func (e *env) figure(name, caption string, p *plot.Plot) error {
	return e.figureSized(name, caption, p, figW, figH)
}

func (e *env) figureSized(name, caption string, p *plot.Plot, w, h vg.Length) error {
	if err := plotting.Save(p, filepath.Join(e.dir, name), w, h); err != nil {
		return fmt.Errorf("figure %s: %w", name, err)
	}
	e.embed(name, caption)
	return nil
}

// grid saves plots tiled (rows of panels) and embeds the figure.
func (e *env) grid(name, caption string, plots [][]*plot.Plot, w, h vg.Length) error {
	if err := plotting.SaveGrid(filepath.Join(e.dir, name), plots, w, h); err != nil {
		return fmt.Errorf("figure %s: %w", name, err)
	}
	e.embed(name, caption)
	return nil
}

func (e *env) embed(name, caption string) {
	e.addFile(name + ".png")
	e.addFile(name + ".svg")
	e.md("![%s](%s.png)\n\n*Figure: %s* ([SVG](%s.svg))", caption, name, caption, name)
}

// image saves an image as name.png and returns its relative path.
func (e *env) image(name string, img imageio.Image) (string, error) {
	rel := name + ".png"
	if err := imageio.Save(filepath.Join(e.dir, rel), img); err != nil {
		return "", fmt.Errorf("image %s: %w", name, err)
	}
	e.addFile(rel)
	return rel, nil
}

// images embeds saved images side by side as a table with captions.
func (e *env) images(paths, labels []string) {
	row := make([]string, len(paths))
	for i, p := range paths {
		row[i] = fmt.Sprintf("![%s](%s)", labels[i], p)
	}
	e.table(labels, [][]string{row})
}

// command returns the command line that reproduces the run.
func (e *env) command() string {
	if e.cfg.Command != "" {
		return e.cfg.Command
	}
	s := "dipgp reproduce " + e.x.Name
	switch e.cfg.Mode {
	case Quick:
		s += " --quick"
	case Tiny:
		s += " --tiny"
	}
	if e.cfg.Samples > 0 {
		s += fmt.Sprintf(" --samples %d", e.cfg.Samples)
	}
	if e.cfg.Iters > 0 {
		s += fmt.Sprintf(" --iters %d", e.cfg.Iters)
	}
	s += fmt.Sprintf(" --seed %d --out %s", e.cfg.Seed, e.cfg.Out)
	if e.cfg.Images != "" && len(e.x.Images) > 0 {
		s += " --images " + e.cfg.Images
	}
	if e.x.Name == "arch-sweep" && len(e.cfg.Archs) > 0 {
		for _, a := range e.cfg.Archs {
			s += " --arch " + strconv.Quote(a)
		}
	}
	return s
}

// samples returns the number of networks per curve: the override, or the
// mode's.
func (e *env) samples(tiny, quick, full int) int {
	if e.cfg.Samples > 0 {
		return e.cfg.Samples
	}
	return pick(e.cfg.Mode, tiny, quick, full)
}

// finish writes numbers.json and report.md.
func (e *env) finish(runErr error) error {
	// encoding/json sorts the keys; a non-finite number (which num keeps
	// out) is an error rather than a file no JSON reader accepts.
	nb, err := json.MarshalIndent(e.res.Numbers, "", "  ")
	if err != nil {
		return fmt.Errorf("numbers.json: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(e.dir, "numbers.json"), append(nb, '\n'), 0o644); err != nil {
		return err
	}
	e.addFile("numbers.json")

	var r bytes.Buffer
	x := e.x
	fmt.Fprintf(&r, "# %s\n\n%s\n\n", x.Name, x.Summary)
	fmt.Fprintf(&r, "- **Reproduces:** %s\n", x.Paper)
	fmt.Fprintf(&r, "- **Mode:** %s (%s)\n", e.cfg.Mode, x.Cost(e.cfg.Mode))
	if e.cfg.Samples > 0 {
		fmt.Fprintf(&r, "- **Override:** %d random networks per curve instead of the mode's\n", e.cfg.Samples)
	}
	if e.cfg.Iters > 0 {
		fmt.Fprintf(&r, "- **Override:** %d iterations per training run instead of the mode's\n", e.cfg.Iters)
	}
	fmt.Fprintf(&r, "- **Seed:** %d\n", e.cfg.Seed)
	fmt.Fprintf(&r, "- **Command:** `%s`\n", e.command())
	fmt.Fprintf(&r, "- **Wall time:** %s\n", time.Duration(e.res.Seconds*float64(time.Second)).Round(100*time.Millisecond))
	switch {
	case runErr != nil && e.ctx.Err() != nil:
		fmt.Fprintf(&r, "- **Status:** INTERRUPTED (%v): the numbers and figures below are those finished before the interruption.\n", runErr)
	case runErr != nil:
		fmt.Fprintf(&r, "- **Status:** FAILED: %v\n", runErr)
	default:
		r.WriteString("- **Status:** complete\n")
	}
	r.WriteString("\n")
	r.Write(e.body.Bytes())
	if len(e.res.Notes) > 0 {
		r.WriteString("## Notes\n\n")
		for _, n := range e.res.Notes {
			fmt.Fprintf(&r, "- %s\n", n)
		}
		r.WriteString("\n")
	}
	r.WriteString("## Files\n\n")
	files := append([]string{"report.md"}, e.res.Files...)
	for _, f := range files {
		fmt.Fprintf(&r, "- [%s](%s)\n", f, f)
	}
	if err := atomicfile.WriteFile(e.res.Report, r.Bytes(), 0o644); err != nil {
		return err
	}
	e.res.Files = files
	return nil
}

// f formats a number for a report table with 4 significant digits.
func f(v float64) string { return fg(v, 4) }

// fg formats a number with the given significant digits ("n/a" when not
// finite).
func fg(v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'g', digits, 64)
}

// f2 formats a number with 2 decimals (dB, fractions).
func f2(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// lines is plotting.Lines with tick labels rounded to 6 significant
// digits, so that logarithmic axes read 1e-05 rather than the float64
// rounding 9.999999999999999e-05.
func lines(title, xlabel, ylabel string, series []plotting.Series, opts plotting.Options) (*plot.Plot, error) {
	p, err := plotting.Lines(title, xlabel, ylabel, series, opts)
	if err != nil {
		return nil, err
	}
	p.X.Tick.Marker = relabel{p.X.Tick.Marker}
	p.Y.Tick.Marker = relabel{p.Y.Tick.Marker}
	return p, nil
}

// relabel rounds the labels of another ticker.
type relabel struct{ inner plot.Ticker }

// Ticks implements plot.Ticker.
func (r relabel) Ticks(min, max float64) []plot.Tick {
	ts := r.inner.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 6, 64)
		}
	}
	return ts
}
