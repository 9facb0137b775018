package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/dip"
	"github.com/dipgp/dipgp/internal/npy"
)

func TestLoadSignalFile(t *testing.T) {
	dir := t.TempDir()
	want := syntheticSignal(12)
	var col, row []string
	for _, v := range want {
		s := jsonNum(v)
		col = append(col, s)
		row = append(row, s)
	}
	files := map[string]string{
		"col.csv": "value\n" + strings.Join(col, "\n") + "\n",
		"row.txt": strings.Join(row, ", ") + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := npy.WriteFloat64(filepath.Join(dir, "s.npy"), []int{1, 12}, want); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"col.csv", "row.txt", "s.npy"} {
		got, err := loadSignalFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: value %d is %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	bad := map[string]string{
		"table.csv": "1,2\n3,4\n",
		"word.csv":  "1\n2\nx\n",
		"short.csv": "1\n2\n3\n",
	}
	for name, text := range bad {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadSignalFile(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v; want one naming the file", name, err)
		}
	}
}

func jsonNum(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const dipSignalArch = "dip-skip:dims=1,scales=2,channels=8,skip=4,in_channels=8,param=ntk,init=normal,sw=1.4,sb=0.1,bn=false,pad=circular,out_act=identity"

func TestSignalCommands(t *testing.T) {
	dir := t.TempDir()
	sig := filepath.Join(dir, "signal.csv")
	var lines []string
	for _, v := range syntheticSignal(32) {
		lines = append(lines, jsonNum(v))
	}
	if err := os.WriteFile(sig, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "train")
	if code := run([]string{"-q", "train", "--arch", dipSignalArch, "--signal", sig, "--opt", "gd", "--iters", "6", "--every", "2", "--out", out}); code != 0 {
		t.Fatalf("dipgp train on a signal exited with %d", code)
	}
	dipMustExist(t, out, "summary.json", "signal.csv", "signal.png", "fbc.png", "residual.png", "metrics.csv")
	if rows := dipReadCSV(t, filepath.Join(out, "signal.csv")); len(rows) != 33 || rows[0][1] != "clean" {
		t.Errorf("signal.csv has %d rows (want header + 32), header %v", len(rows), rows[0])
	}
	var sum dipSummary
	b, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Size) != 1 || sum.Size[0] != 32 || sum.PredictionNote == "" {
		t.Errorf("summary of a signal run: size %v, prediction note %q", sum.Size, sum.PredictionNote)
	}
	out = filepath.Join(dir, "compare")
	if code := run([]string{"-q", "compare", "--arch", dipSignalArch, "--size", "32", "--opt", "gd", "--iters", "8", "--every", "2", "--out", out}); code != 0 {
		t.Fatalf("dipgp compare on a signal exited with %d", code)
	}
	dipMustExist(t, out, "agreement.json", "compare.csv", "linearized.json", "step.json", "signal.csv")
	out = filepath.Join(dir, "predict")
	if code := run([]string{"-q", "predict", "--arch", dipSignalArch, "--signal", sig, "--iters", "50", "--out", out}); code != 0 {
		t.Fatalf("dipgp predict on a signal exited with %d", code)
	}
	dipMustExist(t, out, "summary.json", "fbc.csv", "residual.csv")
	// Shi's rule is for 2-D images: one clear error before training.
	c := &trainCmd{Out: filepath.Join(dir, "shi"), Stop: "shi", NoKernel: true}
	c.dipRunFlags = dipRunFlags{Arch: dipSignalArch, Size: "32", Task: "fit", Opt: "adam", LR: 0.01, Iters: 2, Every: 1, WidthKeys: "channels"}
	if err := c.Run(context.Background(), &Globals{Quiet: true}); !errors.Is(err, dip.ErrShiSignal) {
		t.Errorf("train --stop shi on a signal: %v; want dip.ErrShiSignal", err)
	}
	// A 2-D architecture with --signal, a 1-D one with --image.
	for _, args := range [][]string{
		{"-q", "train", "--arch", dipTestArch, "--signal", sig, "--out", filepath.Join(dir, "x")},
		{"-q", "predict", "--arch", dipSignalArch, "--image", sig, "--out", filepath.Join(dir, "y")},
	} {
		if code := run(args); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}
