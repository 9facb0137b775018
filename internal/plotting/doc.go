// Package plotting makes the figures of dipgp with gonum.org/v1/plot in one
// consistent, readable style: 12 pt or larger sans-serif text, labelled
// axes, legends, distinguishable line colours (the Tableau 10 set) and a
// perceptually uniform viridis colour map with a colour bar for heat maps.
//
// Lines draws curves with optional shaded error bands on linear or
// logarithmic axes; Heatmap draws a row-major grid as an image; Save writes
// a plot as both base.png and base.svg, and SaveGrid/SideBySide write
// several plots tiled in one figure. All files are written through
// internal/atomicfile, so an interrupted run never leaves a broken figure.
//
// Invalid data (NaN or infinite values, mismatched lengths) is reported as
// an error instead of producing a broken figure. On logarithmic axes,
// non-positive points cannot be shown and are dropped.
//
// Import rules: plotting may import only internal/atomicfile from
// github.com/dipgp/dipgp; it must not import any other dipgp package.
package plotting
