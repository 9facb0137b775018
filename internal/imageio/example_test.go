package imageio_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/dipgp/dipgp/internal/imageio"
)

func Example() {
	dir, err := os.MkdirTemp("", "imageio-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	clean := imageio.Synthetic(64, 64, 1)
	noisy := imageio.AddNoise(clean, 0.1, 1)
	path := filepath.Join(dir, "noisy.png")
	if err := imageio.Save(path, noisy); err != nil {
		log.Fatal(err)
	}
	back, err := imageio.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	psnr, err := imageio.PSNR(clean, back)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%dx%d, PSNR about %.0f dB\n", back.W, back.H, back.C, psnr)
	// Output: 64x64x1, PSNR about 20 dB
}
