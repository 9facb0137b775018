// Package checkreport presents the results of netinit's equivalence check:
// it writes a check's maps (.npy), its comparison table (compare.csv), its
// summary (summary.json and a plain-text table) and its figures (analytic
// against empirical profiles, the two maps side by side), and a width
// sweep's table (sweep.csv) and error-against-width figure.
//
// netinit computes (sampling, statistics, comparison, fits); this package
// only writes and draws. It imports netinit, kernel and the internal
// writers (atomicfile, npy, plotting); the CLI and the experiments use it.
package checkreport
