package npy_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/dipgp/dipgp/internal/npy"
)

func Example() {
	dir, err := os.MkdirTemp("", "npy-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "img.npy")

	// A 2x3 image in row-major order: element (y, x) is data[y*3+x].
	data := []float64{0, 0.1, 0.2, 1, 1.1, 1.2}
	if err := npy.WriteFloat64(path, []int{2, 3}, data); err != nil {
		log.Fatal(err)
	}
	// Read it back as float32 (converted).
	shape, got, err := npy.ReadFloat32(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shape, got[1*3+2])
	// Output: [2 3] 1.2
}
