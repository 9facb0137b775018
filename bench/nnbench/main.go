// Command nnbench times the dipgp nn engine on the DIP skip network the way
// bench/torch_dip.py times PyTorch: a full Adam training step (zero grad,
// forward, mean squared error, backward, Adam with lr 0.01) and a forward
// pass without what backward needs (Infer), for one image. It prints one
// JSON line with the same keys as torch_dip.py. Used by bench/torch_compare.sh.
//
//	nnbench [-arch dip-skip] [-threads 2] [-clock wall|cpu] [-cpuprofile f] SIZE CHANNELS ITERS
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/internal/sgemm"
	"github.com/dipgp/dipgp/nn"
	"gorgonia.org/tensor"
)

func main() {
	spec := flag.String("arch", "dip-skip", "preset; channels=CHANNELS is appended")
	threads := flag.Int("threads", 2, "threads")
	prof := flag.String("cpuprofile", "", "write a CPU profile")
	only := flag.String("only", "", "time only 'step' or 'forward' ('none': just report)")
	clock := flag.String("clock", "wall", "wall, or cpu: process CPU time (user+system), a proxy for work on a busy machine")
	flag.Parse()
	args := flag.Args()
	size, ch, iters := 256, 128, 5
	for i, p := range []*int{&size, &ch, &iters} {
		if len(args) > i {
			v, err := strconv.Atoi(args[i])
			if err != nil {
				log.Fatalf("nnbench: argument %q: %v", args[i], err)
			}
			*p = v
		}
	}
	nn.SetThreads(*threads)
	sep := ":"
	if len(*spec) > 0 && containsColon(*spec) {
		sep = ","
	}
	a, err := arch.ParsePreset(fmt.Sprintf("%s%schannels=%d", *spec, sep, ch))
	if err != nil {
		log.Fatal(err)
	}
	sz := []int{size, size}
	net, err := nn.Build(a, sz, 0)
	if err != nil {
		log.Fatal(err)
	}
	z, err := nn.NewInput(a, sz, 1, 1)
	if err != nil {
		log.Fatal(err)
	}
	oshape := net.OutputShape(1)
	target := make([]float32, 3*size*size)
	rng := rand.New(rand.NewPCG(2, 2))
	for i := range target {
		target[i] = rng.Float32()
	}
	dyd := make([]float32, len(target))
	dy := tensor.New(tensor.WithShape(oshape...), tensor.WithBacking(dyd))
	opt := nn.NewAdam(net.Params(), 0.01)
	var loss float64
	step := func() {
		net.ZeroGrad()
		y, err := net.Forward(z)
		if err != nil {
			log.Fatal(err)
		}
		out := y.Data().([]float32)
		loss = 0
		for i, v := range out {
			d := v - target[i]
			loss += float64(d * d)
			dyd[i] = 2 * d / float32(len(out))
		}
		loss /= float64(len(out))
		if err := net.Backward(dy); err != nil {
			log.Fatal(err)
		}
		if err := opt.Step(); err != nil {
			log.Fatal(err)
		}
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	now := func() float64 { return float64(time.Now().UnixNano()) / 1e9 }
	if *clock == "cpu" {
		now = func() float64 {
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
		}
	}
	var it, fw float64
	if *only == "" || *only == "step" {
		step()
		t := now()
		for i := 0; i < iters; i++ {
			step()
		}
		it = (now() - t) / float64(iters)
	}
	if *only == "" || *only == "forward" {
		if _, err := net.Infer(z); err != nil {
			log.Fatal(err)
		}
		t := now()
		for i := 0; i < iters; i++ {
			if _, err := net.Infer(z); err != nil {
				log.Fatal(err)
			}
		}
		fw = (now() - t) / float64(iters)
	}
	js, _ := json.Marshal(map[string]any{"size": size, "channels": ch, "params": net.NumParams(), "threads": nn.Threads(),
		"gemm": sgemm.Impl(), "train_iter_s": it, "forward_s": fw, "loss": loss})
	fmt.Println(string(js))
}

func containsColon(s string) bool {
	for _, c := range s {
		if c == ':' {
			return true
		}
	}
	return false
}
