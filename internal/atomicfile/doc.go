// Package atomicfile writes files so that readers (and a crash or Ctrl-C)
// never observe a half-written result.
//
// Data are written to a temporary file in the destination directory, flushed
// to stable storage with fsync, and then renamed over the destination. On
// POSIX systems rename within one directory is atomic, so the destination
// path holds either the old complete content or the new complete content.
//
// Import rules: atomicfile is a leaf package. It must not import any
// github.com/dipgp/dipgp package (not even other internal/ helpers).
package atomicfile
