// Package progress reports the progress of long computations (training
// iterations, Monte Carlo draws, kernel sweeps) as terminal progress bars
// built on github.com/vbauerster/mpb/v8.
//
// Library packages do not draw bars themselves: they accept a Func callback
// (which may be nil) and call it as work proceeds. Commands create a
// Progress (usually with Auto, which shows bars only when stderr is a
// terminal), add a Bar per task and pass Bar.Func to the library.
//
// A disabled Progress, a nil *Progress and a nil *Bar are valid and do
// nothing: they print nothing and never block.
//
// Import rules: progress must not import any github.com/dipgp/dipgp
// package.
package progress
