package nn

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"runtime"
	"syscall"
	"time"

	"github.com/dipgp/dipgp/arch"
)

func TestConvTiming(t *testing.T) {
	if os.Getenv("CONVT") == "" {
		t.Skip()
	}
	SetThreads(1)
	runtime.LockOSThread()
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(1, &ru) // RUSAGE_THREAD
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	budget, _ := strconv.Atoi(os.Getenv("CONVT"))
	_ = budget
	for _, c := range []struct{ cin, cout, k, s, hw int }{{132, 128, 3, 1, 256}, {128, 128, 3, 1, 128}, {128, 128, 1, 1, 256}, {32, 128, 3, 2, 256}} {
		a := arch.Arch{Dims: 2, Input: arch.Input{Channels: c.cin, Dist: arch.Gaussian, Std: 1}, Init: arch.Init{Scheme: arch.PyTorch}, Param: arch.Standard, Pad: arch.Reflect,
			Layers: []arch.Layer{arch.Conv{Out: c.cout, K: c.k, Stride: c.s, Bias: true}}}
		out := c.hw / c.s
		n, err := Build(a, []int{out, out}, 1)
		if err != nil {
			t.Fatal(err)
		}
		x, _ := NewInput(a, []int{out, out}, 1, 1)
		y, _ := n.Forward(x)
		n.Backward(y)
		flops := 2 * float64(c.cout*c.cin*c.k*c.k) * float64(out*out)
		t0 := cpu()
		for i := 0; i < 3; i++ {
			n.Infer(x)
		}
		f := (cpu() - t0).Seconds() / 3
		t0 = cpu()
		for i := 0; i < 3; i++ {
			n.Forward(x)
			n.Backward(y)
		}
		fb := (cpu() - t0).Seconds()/3 - f
		fmt.Printf("%v rows=%d fwd %.1f ms %.1f GF/s  bwd %.1f ms %.1f GF/s\n", c, n.nodes[0].op.(*conv).rows, f*1e3, flops/f/1e9, fb*1e3, 2*flops/fb/1e9)
	}
}
