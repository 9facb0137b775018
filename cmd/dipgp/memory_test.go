package main

import (
	"runtime"
	"testing"

	"github.com/dipgp/dipgp/arch"
	"github.com/dipgp/dipgp/nn"
)

// TestNetworkParamsMatchNN checks that the estimate's parameter count is
// the number of values nn allocates (parameters and running statistics),
// for a dense network and for a conv network with batch norm.
func TestNetworkParamsMatchNN(t *testing.T) {
	for _, c := range []struct {
		spec string
		size []int
	}{
		{"dip-fc:scales=1,channels=16,in_channels=3,out_channels=3", []int{16, 8}},
		{"dip-fc:scales=2,channels=6,in_channels=2,out_channels=2,dims=1", []int{24}},
		{"dip-skip:scales=2,channels=8", []int{16, 16}},
		{"encdec:dims=1,scales=2,channels=8,mean_bn=true", []int{32}},
	} {
		a, err := arch.ParsePreset(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		n, err := nn.Build(a, c.size, 1)
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		for _, p := range n.Params() {
			want += int64(len(p.Data))
		}
		for _, b := range n.Buffers() {
			want += int64(len(b.Data))
		}
		in, err := a.InputSize(c.size)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, _ := newNetLayout(a).params(in); got != want {
			t.Errorf("%s at %v: the estimate counts %d parameters, nn allocates %d", c.spec, c.size, got, want)
		}
	}
}

// TestNetworkBytesDense checks the memory estimate of a dense network
// (dip-fc, whose first and last weights are (in*H*W) x 64 and 64 x
// (out*H*W) floats) against the heap nn's network holds after building it
// and running it forward and backward once (runtime.MemStats); the
// estimate without dense layers counted nothing for this network.
func TestNetworkBytesDense(t *testing.T) {
	a, err := arch.ParsePreset("dip-fc:scales=1,channels=64,in_channels=3,out_channels=3")
	if err != nil {
		t.Fatal(err)
	}
	size := []int{32, 32}
	// Two collections: the first leaves sync.Pool's victim cache (sgemm's
	// per-goroutine workspaces, which are not the network's).
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m0)
	n, err := nn.Build(a, size, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, err := nn.NewInput(a, size, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	y, err := n.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Backward(y); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(n)
	held := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	est := networkBytes(a, size)
	t.Logf("dip-fc at 32x32: estimate %d bytes, heap held by the network %d bytes (ratio %.3f)", est, held, float64(est)/float64(held))
	if float64(est) < 0.9*float64(held) || float64(est) > 1.5*float64(held) {
		t.Errorf("dip-fc at 32x32: estimate %d bytes, the network holds %d bytes: want within [0.9, 1.5] of it", est, held)
	}
}
