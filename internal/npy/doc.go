// Package npy reads and writes NumPy .npy files holding float32 or float64
// arrays, so results can be inspected with NumPy and reference data produced
// by Python scripts can be loaded.
//
// Arrays are plain Go slices in C (row-major) order together with a shape
// []int; for an image of height H and width W the shape is [H, W] and
// element (y, x) is data[y*W+x]. Files are written in NPY format version
// 1.0 (2.0 only if the header is too long for 1.0), little-endian, with the
// header padded to a multiple of 64 bytes as NumPy does. Writes go through
// internal/atomicfile, so an interrupted program never leaves a truncated
// file behind.
//
// Reading parses the header with github.com/sbinet/npyio and then reads
// the payload itself, checking that the file holds exactly the number of
// bytes the header promises. Files of dtype float32 or float64 in either
// byte order are accepted by both ReadFloat64 and ReadFloat32 (values are
// converted); Fortran-ordered files are transposed to C order.
//
// Import rules: npy may import only internal/atomicfile from
// github.com/dipgp/dipgp; it must not import any other dipgp package.
package npy
