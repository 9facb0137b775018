package progress_test

import (
	"fmt"
	"os"

	"github.com/dipgp/dipgp/internal/progress"
)

// train stands for a library routine: it accepts a progress.Func, which may
// be nil.
func train(steps int, report progress.Func) float64 {
	loss := 1.0
	for i := 1; i <= steps; i++ {
		loss *= 0.9
		report.Report(i, steps, fmt.Sprintf("loss %.3f", loss))
	}
	return loss
}

func Example() {
	// Auto() would enable bars only on a terminal; here they are disabled
	// explicitly so the example prints only its result.
	p := progress.New(os.Stderr, false)
	bar := p.Bar("train", 10)
	loss := train(10, bar.Func())
	bar.Done()
	p.Wait()
	fmt.Printf("final loss %.3f\n", loss)
	// Output: final loss 0.349
}
