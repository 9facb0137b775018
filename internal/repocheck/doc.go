// Package repocheck holds no code, only tests that check the repository as
// a whole, so that `go test ./...` enforces them:
//
//   - imports_test.go: every package imports only the dipgp packages the
//     layering allows (a table derived from the "must not import" rules of
//     each package's doc.go, which the test also reads and cross-checks):
//     arch and data import no dipgp package; kernel imports arch; gp imports
//     kernel and arch; nn imports arch; netinit imports nn and kernel; dip
//     imports nn, kernel and gp; experiments and cmd sit on top; internal
//     packages import no package outside internal/ (their tests may read
//     the test images of data).
//   - paths_test.go: no tracked file refers to a path outside the
//     repository (a sibling folder of the clone, a workspace or home
//     directory), so that a clone alone holds everything it refers to.
//
// repocheck imports no dipgp package.
package repocheck
