// Package experiments reproduces the figures and tables of the papers dipgp
// rests on (Cheng et al. 2019, Chakrabarty and Maji 2019, Shi et al. 2022) and
// runs the same analyses on architectures of the user's own.
//
// Each experiment is a named, seeded, documented function registered in one
// table (List, Lookup). It states up front which figure or table of which
// paper it reproduces and what it costs in each Mode (Tiny for tests, Quick
// for minutes, Full for the papers' settings). Run writes, under
// Config.Out/NAME:
//
//   - report.md: what was run (settings, seed, the dipgp command), the
//     numbers, the figures embedded with relative links, and notes on every
//     departure from the paper's setting;
//   - CSV files with the data behind every figure;
//   - figures as PNG and SVG (labelled axes with units, legends);
//   - numbers.json: the headline numbers of the report, for scripts and
//     tests.
//
// Every file is written atomically (internal/atomicfile), so an interrupted
// run never leaves a half-written file; a cancelled context stops an
// experiment at the next network, layer or iteration and the report says so.
//
// experiments only composes the other packages: arch describes networks,
// kernel computes their exact kernels, gp their spectra, samples, regression
// and predicted dynamics, netinit the Monte Carlo estimates, dip the training
// runs and their comparison with the kernel. It holds no math of its own.
//
// experiments may import every dipgp package except cmd.
package experiments
