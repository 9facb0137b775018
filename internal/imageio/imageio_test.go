package imageio

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dipgp/dipgp/data"
)

// needFile writes the embedded test image name (package data) to a
// temporary file and returns its path, so that the file-based functions
// (Load, LoadMask) are tested on the real images.
func needFile(t *testing.T, name string) string {
	t.Helper()
	b, err := data.ReadImage(name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(name))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFSMatchesLoad(t *testing.T) {
	for _, name := range []string{"cameraman256.png", "house256rgb.png", "denoising9/kodim01.png"} {
		a, err := LoadFS(data.Images, name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Load(needFile(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if a.W != b.W || a.H != b.H || a.C != b.C || !slices.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: LoadFS gives %dx%dx%d, Load %dx%dx%d (or different pixels)", name, a.W, a.H, a.C, b.W, b.H, b.C)
		}
	}
	if _, err := LoadFS(data.Images, "missing.png"); err == nil {
		t.Error("LoadFS of a missing file gave no error")
	}
}

func writePNG(t *testing.T, m image.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.png")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, m); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestLoadSharedGray(t *testing.T) {
	p := needFile(t, "cameraman256.png")
	img, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if img.W != 256 || img.H != 256 || img.C != 1 || len(img.Pix) != 256*256 {
		t.Fatalf("got %dx%dx%d", img.W, img.H, img.C)
	}
	// Independent decode with image/png.
	f, _ := os.Open(p)
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, xy := range [][2]int{{0, 0}, {100, 37}, {255, 255}, {17, 200}} {
		r, _, _, _ := m.At(xy[0], xy[1]).RGBA()
		want := float64(r>>8) / 255
		if got := img.Pix[xy[1]*256+xy[0]]; got != want {
			t.Errorf("pixel %v = %v want %v", xy, got, want)
		}
	}
}

func TestLoadSharedRGB(t *testing.T) {
	p := needFile(t, "kodim03.png")
	img, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if img.W != 768 || img.H != 512 || img.C != 3 {
		t.Fatalf("got %dx%dx%d", img.W, img.H, img.C)
	}
	f, _ := os.Open(p)
	defer f.Close()
	m, _ := png.Decode(f)
	n := img.W * img.H
	for _, xy := range [][2]int{{0, 0}, {700, 37}, {767, 511}, {300, 250}} {
		r, g, b, _ := m.At(xy[0], xy[1]).RGBA()
		i := xy[1]*img.W + xy[0]
		got := [3]float64{img.Pix[i], img.Pix[n+i], img.Pix[2*n+i]}
		want := [3]float64{float64(r>>8) / 255, float64(g>>8) / 255, float64(b>>8) / 255}
		if got != want {
			t.Errorf("pixel %v = %v want %v", xy, got, want)
		}
	}
	// ToGray matches the formula.
	g := img.ToGray()
	i := 250*img.W + 300
	if w := 0.2989*img.Pix[i] + 0.5870*img.Pix[n+i] + 0.1140*img.Pix[2*n+i]; g.Pix[i] != w || g.C != 1 {
		t.Errorf("ToGray %v want %v", g.Pix[i], w)
	}
}

func TestLoadSharedPalettedAndMask(t *testing.T) {
	p := needFile(t, "phantom256.png")
	img, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 1 {
		t.Errorf("grey palette image loaded with C=%d", img.C)
	}
	mp := needFile(t, "kate_mask.png")
	mask, w, h, err := LoadMask(mp)
	if err != nil {
		t.Fatal(err)
	}
	if w != 512 || h != 512 || len(mask) != w*h {
		t.Fatalf("mask %dx%d len %d", w, h, len(mask))
	}
	obs := 0
	for _, m := range mask {
		if m {
			obs++
		}
	}
	if obs == 0 || obs == len(mask) {
		t.Errorf("mask observed count %d of %d: expected a mix", obs, len(mask))
	}
}

func TestLoadGray16(t *testing.T) {
	m := image.NewGray16(image.Rect(0, 0, 3, 2))
	vals := []uint16{0, 1, 257, 30000, 65534, 65535}
	for i, v := range vals {
		m.SetGray16(i%3, i/3, color.Gray16{Y: v})
	}
	img, err := Load(writePNG(t, m))
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 1 || img.W != 3 || img.H != 2 {
		t.Fatalf("%dx%dx%d", img.W, img.H, img.C)
	}
	for i, v := range vals {
		if want := float64(v) / 65535; img.Pix[i] != want {
			t.Errorf("pix %d = %v want %v", i, img.Pix[i], want)
		}
	}
}

func TestLoadRGB16AndAlpha(t *testing.T) {
	// 16-bit RGBA with alpha: colours are taken un-premultiplied.
	m := image.NewNRGBA64(image.Rect(0, 0, 2, 1))
	m.SetNRGBA64(0, 0, color.NRGBA64{R: 65535, G: 32768, B: 1000, A: 65535})
	m.SetNRGBA64(1, 0, color.NRGBA64{R: 20000, G: 40000, B: 60000, A: 30000})
	img, err := Load(writePNG(t, m))
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 3 {
		t.Fatalf("C = %d", img.C)
	}
	want := []float64{1, 20000.0 / 65535, 32768.0 / 65535, 40000.0 / 65535, 1000.0 / 65535, 60000.0 / 65535}
	for i := range want {
		if math.Abs(img.Pix[i]-want[i]) > 2.0/65535 {
			t.Errorf("pix %d = %v want %v", i, img.Pix[i], want[i])
		}
	}
	// 8-bit NRGBA with alpha.
	m8 := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	m8.SetNRGBA(0, 0, color.NRGBA{R: 200, G: 100, B: 50, A: 128})
	img, err = Load(writePNG(t, m8))
	if err != nil {
		t.Fatal(err)
	}
	if img.Pix[0] != 200.0/255 || img.Pix[1] != 100.0/255 || img.Pix[2] != 50.0/255 {
		t.Errorf("NRGBA alpha dropped wrongly: %v", img.Pix)
	}
}

func TestRGBWithEqualChannelsStaysRGB(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < 16; i++ {
		v := uint8(i * 16)
		m.Set(i%4, i/4, color.RGBA{v, v, v, 255})
	}
	img, err := Load(writePNG(t, m))
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 3 {
		t.Errorf("R=G=B RGB file loaded with C=%d, want 3", img.C)
	}
	// Colour palette => C=3.
	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 0, 255}})
	img, err = Load(writePNG(t, pal))
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 3 || img.Pix[0] != 1 || img.Pix[4] != 0 {
		t.Errorf("colour palette: C=%d pix %v", img.C, img.Pix)
	}
}

func TestLoadJPEG(t *testing.T) {
	dir := t.TempDir()
	// Grey JPEG.
	g := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range g.Pix {
		g.Pix[i] = uint8(10 * (i % 16))
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, g, &jpeg.Options{Quality: 100})
	p := filepath.Join(dir, "g.jpg")
	os.WriteFile(p, buf.Bytes(), 0o644)
	img, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 1 || img.W != 16 {
		t.Fatalf("grey jpeg %dx%dx%d", img.W, img.H, img.C)
	}
	for i := range g.Pix {
		if math.Abs(img.Pix[i]-float64(g.Pix[i])/255) > 3.0/255 {
			t.Errorf("grey jpeg pix %d = %v want ~%v", i, img.Pix[i], float64(g.Pix[i])/255)
		}
	}
	// Colour JPEG: flat red-ish colour survives within JPEG error.
	c := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < 256; i++ {
		c.Set(i%16, i/16, color.RGBA{200, 60, 30, 255})
	}
	buf.Reset()
	jpeg.Encode(&buf, c, &jpeg.Options{Quality: 100})
	os.WriteFile(p, buf.Bytes(), 0o644)
	img, err = Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if img.C != 3 {
		t.Fatalf("colour jpeg C=%d", img.C)
	}
	n := 256
	for k, want := range []float64{200, 60, 30} {
		if got := img.Pix[k*n+100] * 255; math.Abs(got-want) > 4 {
			t.Errorf("channel %d = %v want ~%v", k, got, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.png")); err == nil {
		t.Error("missing file: want error")
	}
	p := filepath.Join(dir, "bad.png")
	os.WriteFile(p, []byte("GIF89a not an image we read"), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "PNG") {
		t.Errorf("bad format: %v", err)
	}
	os.WriteFile(p, []byte("\x89PNG\r\n\x1a\ntruncated"), 0o644)
	if _, err := Load(p); err == nil {
		t.Error("truncated png: want error")
	}
}

func TestSaveRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []int{1, 3} {
		img := New(5, 3, c)
		for i := range img.Pix {
			img.Pix[i] = float64(i%17) / 16
		}
		img.Pix[0] = -0.3
		img.Pix[1] = 1.7
		img.Pix[2] = 0.5 // rounds to 128/255 (127.5 -> 128)
		p := filepath.Join(dir, "out.png")
		if err := Save(p, img); err != nil {
			t.Fatal(err)
		}
		got, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.W != 5 || got.H != 3 || got.C != c {
			t.Fatalf("C=%d: got %dx%dx%d", c, got.W, got.H, got.C)
		}
		for i, v := range img.Pix {
			want := math.Round(math.Min(1, math.Max(0, v))*255) / 255
			if math.Abs(got.Pix[i]-want) > 1e-12 {
				t.Errorf("C=%d pix %d: got %v want %v", c, i, got.Pix[i], want)
			}
		}
	}
}

func TestSave16RoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "deep.png")
	for _, c := range []int{1, 3} {
		img := Synthetic(17, 9, c)
		img.Pix[0] = 1.5
		if err := Save16(p, img); err != nil {
			t.Fatal(err)
		}
		got, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if got.C != c || got.W != 17 || got.H != 9 {
			t.Fatalf("dims %dx%dx%d", got.W, got.H, got.C)
		}
		for i, v := range img.Pix {
			want := math.Min(1, v)
			if math.Abs(got.Pix[i]-want) > 0.5/65535+1e-15 {
				t.Fatalf("C=%d pix %d: %v want %v", c, i, got.Pix[i], want)
			}
		}
	}
}

func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	img := New(2, 2, 1)
	img.Pix[3] = math.NaN()
	p := filepath.Join(dir, "nan.png")
	if err := Save(p, img); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN: %v", err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("failed Save left a file")
	}
	if err := Save(filepath.Join(dir, "x.jpg"), New(2, 2, 1)); err == nil {
		t.Error("jpg extension: want error")
	}
	bad := Image{W: 2, H: 2, C: 1, Pix: make([]float64, 3)}
	if err := Save(filepath.Join(dir, "b.png"), bad); err == nil {
		t.Error("short Pix: want error")
	}
	if err := Save(filepath.Join(dir, "c.png"), Image{W: 2, H: 2, C: 2, Pix: make([]float64, 8)}); err == nil {
		t.Error("C=2: want error")
	}
}

func TestCenterCrop(t *testing.T) {
	img := New(5, 4, 3)
	for i := range img.Pix {
		img.Pix[i] = float64(i)
	}
	got, err := CenterCrop(img, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	// x0 = (5-2)/2 = 1, y0 = (4-3)/2 = 0.
	for c := 0; c < 3; c++ {
		for y := 0; y < 3; y++ {
			for x := 0; x < 2; x++ {
				want := float64(c*20 + y*5 + x + 1)
				if g := got.Pix[(c*3+y)*2+x]; g != want {
					t.Errorf("(%d,%d,%d) = %v want %v", c, y, x, g, want)
				}
			}
		}
	}
	if _, err := CenterCrop(img, 6, 1); err == nil {
		t.Error("oversized crop: want error")
	}
	same, _ := CenterCrop(img, 5, 4)
	if same.Pix[59] != 59 {
		t.Error("full crop")
	}
}

func TestPSNR(t *testing.T) {
	a := New(4, 4, 3)
	b := a.Clone()
	for i := range b.Pix {
		b.Pix[i] = 0.1
	}
	p, err := PSNR(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(p-20) > 1e-12 { // MSE 0.01 -> 20 dB
		t.Errorf("PSNR %v want 20", p)
	}
	b.Pix[0] = 0.1 + 0.3 // MSE = (47*0.01 + 0.16)/48
	p, _ = PSNR(a, b)
	if want := 10 * math.Log10(48/(47*0.01+0.16)); math.Abs(p-want) > 1e-12 {
		t.Errorf("PSNR %v want %v", p, want)
	}
	if p, _ := PSNR(a, a); !math.IsInf(p, 1) {
		t.Errorf("identical: %v", p)
	}
	if _, err := PSNR(a, New(4, 4, 1)); err == nil {
		t.Error("channel mismatch: want error")
	}
	b.Pix[5] = math.NaN()
	if _, err := PSNR(a, b); err == nil {
		t.Error("NaN: want error")
	}
}

func TestSynthetic(t *testing.T) {
	for _, c := range []int{1, 3} {
		a := Synthetic(96, 80, c)
		b := Synthetic(96, 80, c)
		if a.W != 96 || a.H != 80 || a.C != c || len(a.Pix) != 96*80*c {
			t.Fatalf("dims %dx%dx%d", a.W, a.H, a.C)
		}
		if err := a.Validate(); err != nil {
			t.Fatal(err)
		}
		mean, big, small := 0.0, 0, 0
		for i, v := range a.Pix {
			if v != b.Pix[i] {
				t.Fatal("not deterministic")
			}
			if v < 0 || v > 1 {
				t.Fatalf("value %v outside [0,1]", v)
			}
			mean += v
		}
		mean /= float64(len(a.Pix))
		// Edges (large horizontal jumps) and smooth regions must both exist.
		g := a.ToGray()
		for y := 0; y < g.H; y++ {
			for x := 1; x < g.W; x++ {
				d := math.Abs(g.Pix[y*g.W+x] - g.Pix[y*g.W+x-1])
				if d > 0.2 {
					big++
				}
				if d < 0.01 {
					small++
				}
			}
		}
		if mean < 0.2 || mean > 0.8 || big < 20 || small < len(g.Pix)/3 {
			t.Errorf("C=%d: mean %v, %d edges, %d smooth steps", c, mean, big, small)
		}
	}
	// Colour channels differ.
	s := Synthetic(32, 32, 3)
	if s.Channel(0)[0] == s.Channel(2)[0] && s.Channel(0)[500] == s.Channel(2)[500] {
		t.Error("colour channels look identical")
	}
	// Grey synthetic equals luma of the colour one up to clipping.
	gs, cs := Synthetic(40, 40, 1), Synthetic(40, 40, 3).ToGray()
	for i := range gs.Pix {
		if math.Abs(gs.Pix[i]-cs.Pix[i]) > 1e-12 {
			t.Fatalf("grey synthetic differs from luma at %d: %v vs %v", i, gs.Pix[i], cs.Pix[i])
		}
	}
}

func TestMasks(t *testing.T) {
	a := RandomMask(100, 80, 0.3, 42)
	b := RandomMask(100, 80, 0.3, 42)
	c := RandomMask(100, 80, 0.3, 43)
	kept, diff := 0, 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("RandomMask not deterministic")
		}
		if a[i] {
			kept++
		}
		if a[i] != c[i] {
			diff++
		}
	}
	// Binomial(8000, 0.3): sd = sqrt(8000*.3*.7) ~ 41; allow 5 sd.
	if math.Abs(float64(kept)-2400) > 205 {
		t.Errorf("kept %d of 8000 at keep=0.3", kept)
	}
	if diff == 0 {
		t.Error("different seeds give identical masks")
	}
	for _, m := range RandomMask(10, 10, 0, 1) {
		if m {
			t.Fatal("keep=0 kept a pixel")
		}
	}
	for _, m := range RandomMask(10, 10, 1, 1) {
		if !m {
			t.Fatal("keep=1 dropped a pixel")
		}
	}
	p := filepath.Join(t.TempDir(), "mask.png")
	if err := SaveMask(p, a, 100, 80); err != nil {
		t.Fatal(err)
	}
	got, w, h, err := LoadMask(p)
	if err != nil || w != 100 || h != 80 {
		t.Fatalf("LoadMask: %v %d %d", err, w, h)
	}
	for i := range a {
		if got[i] != a[i] {
			t.Fatal("mask round trip mismatch")
		}
	}
	if err := SaveMask(p, a, 10, 10); err == nil {
		t.Error("wrong mask size: want error")
	}
}

func TestAddNoise(t *testing.T) {
	img := New(200, 100, 1)
	n1 := AddNoise(img, 0.1, 7)
	n2 := AddNoise(img, 0.1, 7)
	s, s2 := 0.0, 0.0
	for i, v := range n1.Pix {
		if v != n2.Pix[i] {
			t.Fatal("not deterministic")
		}
		s += v
		s2 += v * v
	}
	n := float64(len(n1.Pix))
	mean, sd := s/n, math.Sqrt(s2/n-(s/n)*(s/n))
	if math.Abs(mean) > 5*0.1/math.Sqrt(n) || math.Abs(sd-0.1) > 0.005 {
		t.Errorf("noise mean %v sd %v", mean, sd)
	}
	if img.Pix[0] != 0 {
		t.Error("AddNoise modified its input")
	}
}
