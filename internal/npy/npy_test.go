package npy

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sbinet/npyio"
)

// handFile builds a .npy file byte by byte (independently of header()).
func handFile(major byte, dict string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 1 {
		b.Write([]byte{byte(len(dict)), byte(len(dict) >> 8)})
	} else {
		b.Write([]byte{byte(len(dict)), byte(len(dict) >> 8), byte(len(dict) >> 16), byte(len(dict) >> 24)})
	}
	b.WriteString(dict)
	b.Write(payload)
	return b.Bytes()
}

func TestRoundTripFloat64(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		shape []int
		n     int
	}{{[]int{2, 3}, 6}, {[]int{7}, 7}, {[]int{}, 1}, {[]int{2, 3, 4}, 24}, {[]int{0, 5}, 0}, {[]int{1, 1, 1, 1}, 1}}
	for _, c := range cases {
		data := make([]float64, c.n)
		for i := range data {
			data[i] = math.Sin(float64(i)*1.3) * math.Pow(10, float64(i%7-3))
		}
		if c.n > 2 {
			data[1] = math.Inf(-1)
			data[2] = math.SmallestNonzeroFloat64
		}
		p := filepath.Join(dir, "a.npy")
		if err := WriteFloat64(p, c.shape, data); err != nil {
			t.Fatal(err)
		}
		shape, got, err := ReadFloat64(p)
		if err != nil {
			t.Fatalf("shape %v: %v", c.shape, err)
		}
		if len(shape) != len(c.shape) || (len(shape) > 0 && !reflect.DeepEqual(shape, c.shape)) {
			t.Errorf("shape %v, want %v", shape, c.shape)
		}
		if len(got) != len(data) {
			t.Fatalf("len %d want %d", len(got), len(data))
		}
		for i := range data {
			if math.Float64bits(got[i]) != math.Float64bits(data[i]) {
				t.Errorf("shape %v elem %d: %v want %v", c.shape, i, got[i], data[i])
			}
		}
		// float32 view of a float64 file.
		_, g32, err := ReadFloat32(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range data {
			if g32[i] != float32(data[i]) {
				t.Errorf("ReadFloat32 elem %d: %v want %v", i, g32[i], float32(data[i]))
			}
		}
	}
}

func TestRoundTripFloat32(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.npy")
	data := []float32{1.5, -2.25, float32(math.Pi), 1e-30, 3e38, 0}
	if err := WriteFloat32(p, []int{3, 2}, data); err != nil {
		t.Fatal(err)
	}
	shape, got, err := ReadFloat32(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shape, []int{3, 2}) || !reflect.DeepEqual(got, data) {
		t.Fatalf("got %v %v", shape, got)
	}
	_, g64, err := ReadFloat64(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		if g64[i] != float64(data[i]) {
			t.Errorf("elem %d: %v want %v", i, g64[i], float64(data[i]))
		}
	}
}

// TestHeaderBytes checks the exact bytes of a written file against the NPY
// 1.0 specification, constructed by hand.
func TestHeaderBytes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h.npy")
	if err := WriteFloat64(p, []int{2, 3}, []float64{0, 1, 2, 3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("magic %q", b[:6])
	}
	if b[6] != 1 || b[7] != 0 {
		t.Fatalf("version %d.%d, want 1.0", b[6], b[7])
	}
	hlen := int(b[8]) | int(b[9])<<8
	if (10+hlen)%64 != 0 {
		t.Errorf("preamble length %d not a multiple of 64", 10+hlen)
	}
	dict := string(b[10 : 10+hlen])
	if !strings.HasSuffix(dict, "\n") {
		t.Errorf("header does not end in newline: %q", dict)
	}
	want := "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
	if strings.TrimRight(dict, " \n") != want {
		t.Errorf("header dict %q, want %q", dict, want)
	}
	payload := b[10+hlen:]
	if len(payload) != 48 {
		t.Fatalf("payload %d bytes, want 48", len(payload))
	}
	for i := 0; i < 6; i++ {
		v := math.Float64frombits(binary.LittleEndian.Uint64(payload[8*i:]))
		if v != float64(i) {
			t.Errorf("payload[%d] = %v", i, v)
		}
	}
	// 1-D and 0-D tuple spelling.
	for _, c := range []struct {
		shape []int
		n     int
		tuple string
	}{{[]int{5}, 5, "(5,)"}, {nil, 1, "()"}} {
		if err := WriteFloat32(p, c.shape, make([]float32, c.n)); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if !bytes.Contains(b, []byte("'descr': '<f4'")) || !bytes.Contains(b, []byte("'shape': "+c.tuple+", }")) {
			t.Errorf("header %q lacks %s", b, c.tuple)
		}
	}
}

// TestIndependentReader reads our output with npyio's own decoder and our
// reader reads npyio's own encoder output.
func TestIndependentReader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.npy")
	data := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	if err := WriteFloat64(p, []int{8}, data); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	if err := npyio.Read(f, &got); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if !reflect.DeepEqual(got, data) {
		t.Errorf("npyio read %v", got)
	}

	var buf bytes.Buffer
	if err := npyio.Write(&buf, []float32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "d.npy")
	os.WriteFile(q, buf.Bytes(), 0o644)
	shape, g, err := ReadFloat64(q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shape, []int{3}) || !reflect.DeepEqual(g, []float64{1, 2, 3}) {
		t.Errorf("got %v %v", shape, g)
	}
}

func TestFortranAndBigEndian(t *testing.T) {
	dir := t.TempDir()
	// 2x3 array [[0,1,2],[10,11,12]] stored column-major, big-endian f4.
	colMajor := []float32{0, 10, 1, 11, 2, 12}
	var pl bytes.Buffer
	for _, v := range colMajor {
		binary.Write(&pl, binary.BigEndian, v)
	}
	dict := "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }      \n"
	p := filepath.Join(dir, "f.npy")
	os.WriteFile(p, handFile(1, dict, pl.Bytes()), 0o644)
	shape, got, err := ReadFloat64(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shape, []int{2, 3}) || !reflect.DeepEqual(got, []float64{0, 1, 2, 10, 11, 12}) {
		t.Errorf("got %v %v", shape, got)
	}

	// 3-D Fortran f8, shape (2,3,4), value = 100*i + 10*j + k.
	var pl3 bytes.Buffer
	for k := 0; k < 4; k++ {
		for j := 0; j < 3; j++ {
			for i := 0; i < 2; i++ {
				binary.Write(&pl3, binary.LittleEndian, float64(100*i+10*j+k))
			}
		}
	}
	dict = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }\n"
	os.WriteFile(p, handFile(2, dict, pl3.Bytes()), 0o644)
	shape, g32, err := ReadFloat32(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shape, []int{2, 3, 4}) {
		t.Fatalf("shape %v", shape)
	}
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				if g := g32[(i*3+j)*4+k]; g != float32(100*i+10*j+k) {
					t.Errorf("(%d,%d,%d) = %v", i, j, k, g)
				}
			}
		}
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "e.npy")
	if err := WriteFloat64(p, []int{2, 2}, []float64{1, 2, 3}); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("shape mismatch: %v", err)
	}
	if err := WriteFloat32(p, []int{-1}, nil); err == nil {
		t.Error("negative dim: want error")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Error("failed write left a file")
	}
	if _, _, err := ReadFloat64(filepath.Join(dir, "missing.npy")); err == nil {
		t.Error("missing file: want error")
	}
	os.WriteFile(p, []byte("not a numpy file at all"), 0o644)
	if _, _, err := ReadFloat64(p); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("bad magic: %v", err)
	}
	dict := "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n"
	os.WriteFile(p, handFile(1, dict, make([]byte, 16)), 0o644)
	if _, _, err := ReadFloat64(p); err == nil || !strings.Contains(err.Error(), "dtype") {
		t.Errorf("int dtype: %v", err)
	}
	dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }\n"
	os.WriteFile(p, handFile(1, dict, make([]byte, 31)), 0o644)
	if _, _, err := ReadFloat64(p); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: %v", err)
	}
	os.WriteFile(p, handFile(1, dict, make([]byte, 40)), 0o644)
	if _, _, err := ReadFloat32(p); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("trailing: %v", err)
	}
}

func TestLarge(t *testing.T) {
	// Crosses bufio buffer boundaries at unaligned offsets.
	p := filepath.Join(t.TempDir(), "big.npy")
	n := 123457
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i) * 0.5
	}
	if err := WriteFloat32(p, []int{n}, data); err != nil {
		t.Fatal(err)
	}
	_, got, err := ReadFloat32(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, data) {
		t.Fatal("mismatch")
	}
	// float64 and float32 over several write chunks, by both paths (from
	// memory as it is, and encoded a chunk at a time as on a big-endian
	// machine), checked byte by byte against encoding/binary.
	n64 := 3*writeChunk/8 + 5
	d64 := make([]float64, n64)
	d32 := make([]float32, n64)
	for i := range d64 {
		d64[i] = math.Sqrt(float64(i)) - 7
		d32[i] = float32(d64[i])
	}
	var want64, want32 bytes.Buffer
	want64.Write(header("<f8", []int{n64}))
	binary.Write(&want64, binary.LittleEndian, d64)
	want32.Write(header("<f4", []int{n64}))
	binary.Write(&want32, binary.LittleEndian, d32)
	native := littleEndian
	defer func() { littleEndian = native }()
	for _, le := range []bool{native, false} {
		littleEndian = le
		p64 := filepath.Join(t.TempDir(), "big64.npy")
		p32 := filepath.Join(t.TempDir(), "big32.npy")
		if err := WriteFloat64(p64, []int{n64}, d64); err != nil {
			t.Fatal(err)
		}
		if err := WriteFloat32(p32, []int{n64}, d32); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path string
			want []byte
		}{{p64, want64.Bytes()}, {p32, want32.Bytes()}} {
			raw, err := os.ReadFile(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, c.want) {
				t.Errorf("native path %v: %s of %d bytes differs from the reference encoding (%d bytes)", le, filepath.Base(c.path), len(raw), len(c.want))
			}
		}
	}
}

// TestNumPy loads a written file with NumPy when it is installed.
func TestNumPy(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("python3 with numpy not available; NumPy cross-check skipped")
	}
	p := filepath.Join(t.TempDir(), "np.npy")
	if err := WriteFloat64(p, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6.5}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "-c", "import numpy as np,sys; a=np.load(sys.argv[1]); print(a.shape, a.dtype, a[1,2], a.sum())", p).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "(2, 3) float64 6.5 21.5" {
		t.Errorf("numpy says %q", got)
	}

	// Files written by NumPy: C and Fortran order, float32, big-endian.
	dir := t.TempDir()
	script := `import numpy as np, sys
d = sys.argv[1]
a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 8
np.save(d + "/c.npy", a)
np.save(d + "/f.npy", np.asfortranarray(a))
np.save(d + "/f32.npy", a.astype(np.float32))
np.save(d + "/be.npy", a.astype(">f8"))
np.save(d + "/i.npy", np.arange(3))
`
	if out, err := exec.Command(py, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	for _, name := range []string{"c", "f", "f32", "be"} {
		shape, data, err := ReadFloat64(filepath.Join(dir, name+".npy"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(shape, []int{2, 3, 4}) {
			t.Errorf("%s: shape %v", name, shape)
		}
		for i, v := range data {
			if v != float64(i)/8 {
				t.Errorf("%s: data[%d] = %v want %v", name, i, v, float64(i)/8)
				break
			}
		}
	}
	if _, _, err := ReadFloat64(filepath.Join(dir, "i.npy")); err == nil {
		t.Error("integer file: want error")
	}
}

// TestTruncatedFiles cuts a valid file at every length: each read must be
// an error (never a panic), and only the full file reads.
func TestTruncatedFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.npy")
	if err := WriteFloat64(p, []int{10, 10}, make([]float64, 100)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.npy")
	for n := 0; n <= len(b)+1; n++ {
		data := b[:min(n, len(b))]
		if n > len(b) {
			data = append(append([]byte(nil), b...), 0) // a trailing byte
		}
		if err := os.WriteFile(cut, data, 0o644); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%d bytes: panic %v", n, r)
				}
			}()
			_, _, err := ReadFloat64(cut)
			if (err == nil) != (n == len(b)) {
				t.Errorf("%d of %d bytes: error %v", n, len(b), err)
			}
		}()
	}
}
