package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sbinet/npyio"

	"github.com/dipgp/dipgp/internal/atomicfile"
)

// maxElems bounds the element count accepted from a file header, to turn a
// corrupt header into an error instead of a huge allocation.
const maxElems = 1 << 34

// checkShape verifies that shape has non-negative entries whose product is n.
func checkShape(shape []int, n int) error {
	prod := 1
	for i, s := range shape {
		if s < 0 {
			return fmt.Errorf("npy: shape %v has negative dimension %d at axis %d; dimensions must be >= 0", shape, s, i)
		}
		if s != 0 && prod > maxElems/s {
			return fmt.Errorf("npy: shape %v has too many elements", shape)
		}
		prod *= s
	}
	if prod != n {
		return fmt.Errorf("npy: shape %v holds %d elements but data has %d; pass a shape whose product equals len(data)", shape, prod, n)
	}
	return nil
}

// ShapeString formats shape as a Python tuple the way NumPy writes it in
// .npy headers: "()", "(5,)", "(2, 3)".
func ShapeString(shape []int) string {
	switch len(shape) {
	case 0:
		return "()"
	case 1:
		return "(" + strconv.Itoa(shape[0]) + ",)"
	}
	parts := make([]string, len(shape))
	for i, s := range shape {
		parts[i] = strconv.Itoa(s)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// header returns the complete .npy preamble (magic, version, length, dict,
// padding) for a C-ordered array of the given dtype and shape.
func header(descr string, shape []int) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, ShapeString(shape))
	// Version 1.0: 6 magic + 2 version + 2 length bytes.
	pre := 10
	major := byte(1)
	if len(dict)+1+64 > math.MaxUint16 {
		pre = 12
		major = 2
	}
	total := pre + len(dict) + 1 // +1 for the final newline
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	var b bytes.Buffer
	b.Write(npyio.Magic[:])
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(hlen))
	}
	b.WriteString(dict)
	b.Write(bytes.Repeat([]byte{' '}, pad))
	b.WriteByte('\n')
	return b.Bytes()
}

// WriteFloat64 atomically writes data with the given shape (C order) to path
// as a little-endian float64 ('<f8') .npy file. The product of shape must
// equal len(data); an empty shape writes a 0-d array holding data[0].
func WriteFloat64(path string, shape []int, data []float64) error {
	if err := checkShape(shape, len(data)); err != nil {
		return err
	}
	h := header("<f8", shape)
	if littleEndian {
		return writeRaw(path, h, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(data))), 8*len(data)), 8)
	}
	return writeStream(path, h, len(data), 8, func(p []byte, from int) {
		for j, v := range data[from : from+len(p)/8] {
			binary.LittleEndian.PutUint64(p[8*j:], math.Float64bits(v))
		}
	})
}

// writeChunk is the number of bytes writeStream encodes at a time: the
// data are streamed, so writing a large array needs no second copy of it.
const writeChunk = 1 << 20

// littleEndian reports whether this machine stores numbers in .npy's byte
// order ('<'): then arrays are copied as they are, without encoding them.
// A variable so that tests can take the other path.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// writeRaw atomically writes the header h followed by the bytes p (elements
// of sz bytes, already in file order). It still copies p through the small
// buffer of writeStream: one write(2) straight from a gigabyte-sized array
// cost more system time than the copy saves (measured at 256x256 kernels).
func writeRaw(path string, h, p []byte, sz int) error {
	return writeStream(path, h, len(p)/sz, sz, func(b []byte, from int) {
		copy(b, p[from*sz:])
	})
}

// writeStream atomically writes the header h followed by n elements of sz
// bytes each, put(p, from) encoding elements from, from+1, ... into p
// (len(p)/sz of them, sz bytes each) a chunk at a time.
func writeStream(path string, h []byte, n, sz int, put func(p []byte, from int)) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	per := max(writeChunk/sz, 1)
	buf := make([]byte, len(h)+min(per, n)*sz)
	fill := copy(buf, h)
	for i := 0; i < n; {
		k := min(per, n-i, (len(buf)-fill)/sz)
		if k == 0 {
			if _, err := f.Write(buf[:fill]); err != nil {
				f.Abort()
				return err
			}
			fill = 0
			continue
		}
		put(buf[fill:fill+k*sz], i)
		fill += k * sz
		i += k
	}
	if _, err := f.Write(buf[:fill]); err != nil {
		f.Abort()
		return err
	}
	return f.Close()
}

// WriteFloat32 atomically writes data with the given shape (C order) to path
// as a little-endian float32 ('<f4') .npy file. The product of shape must
// equal len(data).
func WriteFloat32(path string, shape []int, data []float32) error {
	if err := checkShape(shape, len(data)); err != nil {
		return err
	}
	h := header("<f4", shape)
	if littleEndian {
		return writeRaw(path, h, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(data))), 4*len(data)), 4)
	}
	return writeStream(path, h, len(data), 4, func(p []byte, from int) {
		for j, v := range data[from : from+len(p)/4] {
			binary.LittleEndian.PutUint32(p[4*j:], math.Float32bits(v))
		}
	})
}

// raw is a decoded file: shape, element size (4 or 8), byte order, and
// payload bytes already rearranged to C order.
type raw struct {
	shape []int
	size  int
	order binary.ByteOrder
	data  []byte
}

func readRaw(path string) (raw, error) {
	f, err := os.Open(path)
	if err != nil {
		return raw{}, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	hlen, fsize, err := checkPreamble(f, path)
	if err != nil {
		return raw{}, err
	}
	br := bufio.NewReader(f)
	r, err := npyio.NewReader(br)
	if err != nil {
		if errors.Is(err, npyio.ErrInvalidNumPyFormat) {
			return raw{}, fmt.Errorf("npy: %s is not a NumPy .npy file (bad magic bytes)", path)
		}
		return raw{}, fmt.Errorf("npy: %s: reading header: %w", path, err)
	}
	var out raw
	descr := r.Header.Descr.Type
	switch descr {
	case "<f8", "f8", "=f8":
		out.size, out.order = 8, binary.LittleEndian
	case ">f8":
		out.size, out.order = 8, binary.BigEndian
	case "<f4", "f4", "=f4":
		out.size, out.order = 4, binary.LittleEndian
	case ">f4":
		out.size, out.order = 4, binary.BigEndian
	default:
		return raw{}, fmt.Errorf("npy: %s has dtype %q; only float32 ('<f4') and float64 ('<f8') are supported, convert with numpy .astype(np.float64)", path, descr)
	}
	out.shape = append([]int{}, r.Header.Descr.Shape...)
	n := 1
	for _, s := range out.shape {
		if s < 0 || (s != 0 && n > maxElems/s) {
			return raw{}, fmt.Errorf("npy: %s has invalid shape %v", path, out.shape)
		}
		n *= s
	}
	if want := hlen + int64(n)*int64(out.size); fsize < want {
		return raw{}, fmt.Errorf("npy: %s is truncated: %d bytes, but its header (shape %v, %d-byte values) needs %d", path, fsize, out.shape, out.size, want)
	} else if fsize > want {
		return raw{}, fmt.Errorf("npy: %s has trailing bytes after the shape %v payload (%d bytes, %d expected); the file is corrupt", path, out.shape, fsize, want)
	}
	out.data = make([]byte, n*out.size)
	if _, err := io.ReadFull(br, out.data); err != nil {
		return raw{}, fmt.Errorf("npy: %s is truncated: header promises shape %v (%d bytes of data): %w", path, out.shape, n*out.size, err)
	}
	if extra, _ := br.Peek(1); len(extra) > 0 {
		return raw{}, fmt.Errorf("npy: %s has trailing bytes after the shape %v payload; the file is corrupt", path, out.shape)
	}
	if r.Header.Descr.Fortran && len(out.shape) > 1 {
		out.data = fortranToC(out.data, out.shape, out.size)
	}
	return out, nil
}

// checkPreamble validates the magic bytes, the version and the header
// length of an .npy file against the file's size, before any parser reads
// the header (a file cut inside its header made npyio panic), and leaves f
// at its start. It returns the length of the whole preamble (magic to the
// header's newline) and the file's size.
func checkPreamble(f *os.File, path string) (hlen, fsize int64, err error) {
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("npy: %w", err)
	}
	fsize = st.Size()
	var pre [12]byte
	n, _ := io.ReadFull(f, pre[:])
	if n < 10 || !bytes.Equal(pre[:6], npyio.Magic[:]) {
		return 0, 0, fmt.Errorf("npy: %s is not a NumPy .npy file (%d bytes; bad or missing magic bytes)", path, fsize)
	}
	switch pre[6] {
	case 1:
		hlen = 10 + int64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2, 3:
		if n < 12 {
			return 0, 0, fmt.Errorf("npy: %s is truncated inside its header (%d bytes)", path, fsize)
		}
		hlen = 12 + int64(binary.LittleEndian.Uint32(pre[8:12]))
	default:
		return 0, 0, fmt.Errorf("npy: %s has unknown format version %d.%d", path, pre[6], pre[7])
	}
	if hlen > fsize {
		return 0, 0, fmt.Errorf("npy: %s is truncated inside its header: the header needs %d bytes, the file has %d", path, hlen, fsize)
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, hlen-1); err != nil || last[0] != '\n' {
		return 0, 0, fmt.Errorf("npy: %s has a corrupt header (it does not end in a newline at byte %d)", path, hlen)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, 0, fmt.Errorf("npy: %w", err)
	}
	return hlen, fsize, nil
}

// fortranToC reorders a column-major payload of elements of sz bytes into
// row-major order.
func fortranToC(src []byte, shape []int, sz int) []byte {
	nd := len(shape)
	dst := make([]byte, len(src))
	// Fortran strides (in elements).
	fs := make([]int, nd)
	st := 1
	for k := 0; k < nd; k++ {
		fs[k] = st
		st *= shape[k]
	}
	idx := make([]int, nd)
	n := len(src) / sz
	for c := 0; c < n; c++ {
		off := 0
		for k := 0; k < nd; k++ {
			off += idx[k] * fs[k]
		}
		copy(dst[c*sz:(c+1)*sz], src[off*sz:(off+1)*sz])
		// Increment the C-order multi-index (last axis fastest).
		for k := nd - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return dst
}

// ReadFloat64 reads a float64 or float32 .npy file and returns its shape and
// data in C (row-major) order as float64. Fortran-ordered files are
// transposed; big-endian files are byte-swapped. Other dtypes give an error.
func ReadFloat64(path string) (shape []int, data []float64, err error) {
	r, err := readRaw(path)
	if err != nil {
		return nil, nil, err
	}
	n := len(r.data) / r.size
	data = make([]float64, n)
	if r.size == 8 {
		for i := range data {
			data[i] = math.Float64frombits(r.order.Uint64(r.data[8*i:]))
		}
	} else {
		for i := range data {
			data[i] = float64(math.Float32frombits(r.order.Uint32(r.data[4*i:])))
		}
	}
	return r.shape, data, nil
}

// ReadFloat32 reads a float32 or float64 .npy file and returns its shape and
// data in C (row-major) order as float32. float64 values are rounded to the
// nearest float32 (values beyond the float32 range become ±Inf).
func ReadFloat32(path string) (shape []int, data []float32, err error) {
	r, err := readRaw(path)
	if err != nil {
		return nil, nil, err
	}
	n := len(r.data) / r.size
	data = make([]float32, n)
	if r.size == 4 {
		for i := range data {
			data[i] = math.Float32frombits(r.order.Uint32(r.data[4*i:]))
		}
	} else {
		for i := range data {
			data[i] = float32(math.Float64frombits(r.order.Uint64(r.data[8*i:])))
		}
	}
	return r.shape, data, nil
}
