package experiments

import (
	"context"
	"fmt"
	"os"
	"testing"
)

func TestZZRebuild(t *testing.T) {
	dir := os.Getenv("ZZ_DIR")
	sets := shiSettings()
	sw, err := readShiSweep(dir, sets)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(context.Background(), Config{Mode: Quick}, Experiment{Name: "x"}, t.TempDir())
	m := shiMode{side: 48, scales: 3, channels: 24, iters: 600, every: 3, sweepImages: 3, sweepSeeds: 2}
	err = e.shiSweepReport(m, sets, sw)
	fmt.Println("figure error:", err)
	fmt.Println(e.body.String())
	for k, v := range e.res.Numbers {
		fmt.Println(k, v)
	}
}
