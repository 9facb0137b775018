package atomicfile_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/dipgp/dipgp/internal/atomicfile"
)

func Example() {
	dir, err := os.MkdirTemp("", "atomicfile-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "result.txt")

	// Streamed write: nothing appears at path until Close succeeds.
	f, err := atomicfile.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Abort() // discards the temporary file on early return
	fmt.Fprintln(f, "psnr 31.2")
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	// One-shot write.
	if err := atomicfile.WriteFile(path, []byte("psnr 32.0\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	fmt.Print(string(b))
	// Output: psnr 32.0
}
