package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register the JPEG decoder
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/dipgp/dipgp/internal/atomicfile"
)

// Image is a channel-planar float64 image: Pix[(c*H+y)*W+x] holds channel c
// of the pixel in column x and row y. Values are nominally in [0, 1]. C is 1
// (grey) or 3 (RGB).
type Image struct {
	W, H, C int
	Pix     []float64
}

// New returns a zero (black) image of the given size. It panics unless
// w, h >= 1 and c is 1 or 3.
func New(w, h, c int) Image {
	img := Image{W: w, H: h, C: c}
	if err := img.checkDims(); err != nil {
		panic(err)
	}
	img.Pix = make([]float64, w*h*c)
	return img
}

func (img Image) checkDims() error {
	if img.W < 1 || img.H < 1 {
		return fmt.Errorf("imageio: image size %dx%d; width and height must be >= 1", img.W, img.H)
	}
	if img.C != 1 && img.C != 3 {
		return fmt.Errorf("imageio: image has %d channels; want 1 (grey) or 3 (RGB)", img.C)
	}
	return nil
}

// Validate reports whether img is well formed: W, H >= 1, C in {1, 3},
// len(Pix) = W*H*C and no NaN or infinite values.
func (img Image) Validate() error {
	if err := img.checkDims(); err != nil {
		return err
	}
	if len(img.Pix) != img.W*img.H*img.C {
		return fmt.Errorf("imageio: image %dx%dx%d needs %d values but Pix has %d", img.W, img.H, img.C, img.W*img.H*img.C, len(img.Pix))
	}
	for i, v := range img.Pix {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			c := i / (img.W * img.H)
			y := (i / img.W) % img.H
			x := i % img.W
			return fmt.Errorf("imageio: image value at channel %d, row %d, column %d is %v; images must be finite", c, y, x, v)
		}
	}
	return nil
}

// Channel returns the plane of channel c (a sub-slice of Pix, not a copy),
// length W*H in row-major order.
func (img Image) Channel(c int) []float64 {
	n := img.W * img.H
	return img.Pix[c*n : (c+1)*n]
}

// Clone returns a deep copy of img.
func (img Image) Clone() Image {
	img.Pix = append([]float64(nil), img.Pix...)
	return img
}

// ToGray returns a one-channel copy of img. An RGB image is converted with
// the ITU-R BT.601 luma weights 0.2989 R + 0.5870 G + 0.1140 B (as MATLAB's
// rgb2gray); a grey image is copied.
func (img Image) ToGray() Image {
	if img.C == 1 {
		return img.Clone()
	}
	n := img.W * img.H
	out := Image{W: img.W, H: img.H, C: 1, Pix: make([]float64, n)}
	r, g, b := img.Pix[:n], img.Pix[n:2*n], img.Pix[2*n:3*n]
	for i := range out.Pix {
		out.Pix[i] = 0.2989*r[i] + 0.5870*g[i] + 0.1140*b[i]
	}
	return out
}

// Load reads a PNG or JPEG file. See the package documentation for how the
// channel count is chosen and how alpha is handled.
func Load(path string) (Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Image{}, fmt.Errorf("imageio: %w", err)
	}
	return decode(b, path)
}

// LoadFS is Load for the file name of the file system fsys (for example
// the test images embedded by package data).
func LoadFS(fsys fs.FS, name string) (Image, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return Image{}, fmt.Errorf("imageio: %w", err)
	}
	return decode(b, name)
}

// decode decodes the bytes b of the file path.
func decode(b []byte, path string) (Image, error) {
	m, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return Image{}, fmt.Errorf("imageio: %s is not a PNG or JPEG file; convert it to PNG", path)
		}
		return Image{}, fmt.Errorf("imageio: decoding %s: %w", path, err)
	}
	if format != "png" && format != "jpeg" {
		return Image{}, fmt.Errorf("imageio: %s is a %s file; only PNG and JPEG are supported", path, format)
	}
	img := FromImage(m)
	if img.W < 1 || img.H < 1 {
		return Image{}, fmt.Errorf("imageio: %s is empty (%dx%d)", path, img.W, img.H)
	}
	return img, nil
}

// isGray reports whether the colour model of m stores grey values only.
func isGray(m image.Image) bool {
	switch m := m.(type) {
	case *image.Gray, *image.Gray16:
		return true
	case *image.Paletted:
		for _, c := range m.Palette {
			r, g, b, _ := color.NRGBA64Model.Convert(c).RGBA()
			if r != g || g != b {
				return false
			}
		}
		return len(m.Palette) > 0
	}
	return false
}

// FromImage converts a standard library image to an Image with the same
// channel rules as Load (grey colour models give C = 1, all others C = 3,
// alpha dropped). The result has its origin at m.Bounds().Min.
func FromImage(m image.Image) Image {
	bd := m.Bounds()
	w, h := bd.Dx(), bd.Dy()
	if w < 1 || h < 1 {
		return Image{W: w, H: h}
	}
	n := w * h
	if isGray(m) {
		img := Image{W: w, H: h, C: 1, Pix: make([]float64, n)}
		switch g := m.(type) {
		case *image.Gray:
			for y := 0; y < h; y++ {
				row := g.Pix[y*g.Stride : y*g.Stride+w]
				for x, v := range row {
					img.Pix[y*w+x] = float64(v) / 255
				}
			}
		case *image.Gray16:
			for y := 0; y < h; y++ {
				row := g.Pix[y*g.Stride : y*g.Stride+2*w]
				for x := 0; x < w; x++ {
					img.Pix[y*w+x] = float64(uint16(row[2*x])<<8|uint16(row[2*x+1])) / 65535
				}
			}
		default:
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					c := color.NRGBA64Model.Convert(m.At(bd.Min.X+x, bd.Min.Y+y)).(color.NRGBA64)
					img.Pix[y*w+x] = float64(c.R) / 65535
				}
			}
		}
		return img
	}
	img := Image{W: w, H: h, C: 3, Pix: make([]float64, 3*n)}
	r, g, b := img.Pix[:n], img.Pix[n:2*n], img.Pix[2*n:]
	switch s := m.(type) {
	case *image.RGBA:
		// Opaque PNGs decode to RGBA; premultiplied with alpha 255 equals
		// the straight colour. Un-premultiply when alpha < 255.
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				i := y*w + x
				switch a := p[3]; a {
				case 255:
					r[i], g[i], b[i] = float64(p[0])/255, float64(p[1])/255, float64(p[2])/255
				case 0:
					r[i], g[i], b[i] = 0, 0, 0
				default:
					af := float64(a)
					r[i], g[i], b[i] = math.Min(float64(p[0])/af, 1), math.Min(float64(p[1])/af, 1), math.Min(float64(p[2])/af, 1)
				}
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				i := y*w + x
				r[i], g[i], b[i] = float64(p[0])/255, float64(p[1])/255, float64(p[2])/255
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBA64Model.Convert(m.At(bd.Min.X+x, bd.Min.Y+y)).(color.NRGBA64)
				i := y*w + x
				r[i], g[i], b[i] = float64(c.R)/65535, float64(c.G)/65535, float64(c.B)/65535
			}
		}
	}
	return img
}

// quant8 clips v to [0, 1] and rounds it to the nearest multiple of 1/255.
func quant8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return uint8(math.Round(v * 255))
}

// ToImage converts img to an 8-bit standard library image (*image.Gray for
// C = 1, opaque *image.NRGBA for C = 3), clipping values to [0, 1] and
// rounding. It returns an error if img is malformed or holds NaN or ±Inf.
func (img Image) ToImage() (image.Image, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	w, h, n := img.W, img.H, img.W*img.H
	if img.C == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range img.Pix {
			g.Pix[(i/w)*g.Stride+i%w] = quant8(v)
		}
		return g, nil
	}
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < n; i++ {
		o := (i/w)*m.Stride + 4*(i%w)
		m.Pix[o] = quant8(img.Pix[i])
		m.Pix[o+1] = quant8(img.Pix[n+i])
		m.Pix[o+2] = quant8(img.Pix[2*n+i])
		m.Pix[o+3] = 255
	}
	return m, nil
}

// quant16 clips v to [0, 1] and rounds it to the nearest multiple of 1/65535.
func quant16(v float64) uint16 {
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 65535
	}
	return uint16(math.Round(v * 65535))
}

// ToImage16 is like ToImage but produces 16-bit images (*image.Gray16 or
// opaque *image.NRGBA64).
func (img Image) ToImage16() (image.Image, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	w, h, n := img.W, img.H, img.W*img.H
	if img.C == 1 {
		g := image.NewGray16(image.Rect(0, 0, w, h))
		for i, v := range img.Pix {
			g.SetGray16(i%w, i/w, color.Gray16{Y: quant16(v)})
		}
		return g, nil
	}
	m := image.NewNRGBA64(image.Rect(0, 0, w, h))
	for i := 0; i < n; i++ {
		m.SetNRGBA64(i%w, i/w, color.NRGBA64{R: quant16(img.Pix[i]), G: quant16(img.Pix[n+i]), B: quant16(img.Pix[2*n+i]), A: 65535})
	}
	return m, nil
}

// Save writes img to path as an 8-bit PNG (grey for C = 1, RGB for C = 3),
// atomically. Values are clipped to [0, 1] and rounded to the nearest
// 1/255. Save refuses paths ending in .jpg/.jpeg (it writes PNG only) and
// images containing NaN or ±Inf.
func Save(path string, img Image) error {
	return save(path, img, false)
}

// Save16 is like Save but writes a 16-bit PNG (values rounded to the
// nearest 1/65535), for results whose precision matters.
func Save16(path string, img Image) error {
	return save(path, img, true)
}

func save(path string, img Image, deep bool) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff":
		return fmt.Errorf("imageio: Save writes PNG only, but %s has a %s extension; use a .png name", path, filepath.Ext(path))
	}
	var m image.Image
	var err error
	if deep {
		m, err = img.ToImage16()
	} else {
		m, err = img.ToImage()
	}
	if err != nil {
		return fmt.Errorf("imageio: saving %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return fmt.Errorf("imageio: encoding %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes(), 0o644)
}

// CenterCrop returns the central w×h region of img (a copy). When the
// excess is odd the extra pixel is removed from the right/bottom: the crop
// starts at column (W-w)/2 and row (H-h)/2. It returns an error if the
// requested size is not within the image.
func CenterCrop(img Image, w, h int) (Image, error) {
	if w < 1 || h < 1 || w > img.W || h > img.H {
		return Image{}, fmt.Errorf("imageio: cannot crop %dx%d image to %dx%d; crop size must be between 1x1 and the image size", img.W, img.H, w, h)
	}
	if len(img.Pix) != img.W*img.H*img.C {
		return Image{}, fmt.Errorf("imageio: image %dx%dx%d has %d values", img.W, img.H, img.C, len(img.Pix))
	}
	x0, y0 := (img.W-w)/2, (img.H-h)/2
	out := Image{W: w, H: h, C: img.C, Pix: make([]float64, w*h*img.C)}
	for c := 0; c < img.C; c++ {
		for y := 0; y < h; y++ {
			src := img.Pix[(c*img.H+y0+y)*img.W+x0:]
			copy(out.Pix[(c*h+y)*w:(c*h+y+1)*w], src[:w])
		}
	}
	return out, nil
}

// MSE returns the mean squared difference between a and b, which must have
// identical W, H and C.
func MSE(a, b Image) (float64, error) {
	if a.W != b.W || a.H != b.H || a.C != b.C {
		return 0, fmt.Errorf("imageio: comparing %dx%dx%d image with %dx%dx%d image; sizes and channel counts must match (use ToGray or CenterCrop)", a.W, a.H, a.C, b.W, b.H, b.C)
	}
	if len(a.Pix) != len(b.Pix) || len(a.Pix) != a.W*a.H*a.C || len(a.Pix) == 0 {
		return 0, fmt.Errorf("imageio: malformed image (Pix lengths %d and %d for %dx%dx%d)", len(a.Pix), len(b.Pix), a.W, a.H, a.C)
	}
	s := 0.0
	for i, v := range a.Pix {
		d := v - b.Pix[i]
		s += d * d
	}
	m := s / float64(len(a.Pix))
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return 0, errors.New("imageio: image contains NaN or infinite values; cannot compute MSE")
	}
	return m, nil
}
