package imageio

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Synthetic returns a deterministic w×h test image with c channels (1 or 3)
// generated in code, for use as a default denoising/inpainting target when
// no file is given. It contains a smooth two-direction gradient background,
// a flat disk, a dark rectangle and a triangle with sharp (anti-aliased)
// edges, a patch of fine oriented stripes (texture), and a smooth Gaussian
// bump. Geometry is defined relative to the image size, so every size shows
// the same scene. Values lie in [0, 1]. For c = 3 the shapes have distinct
// colours; for c = 1 each colour is replaced by its luma. Synthetic panics
// unless w, h >= 1 and c is 1 or 3.
func Synthetic(w, h, c int) Image {
	img := New(w, h, c)
	type rgb = [3]float64
	var (
		disk  = rgb{0.90, 0.75, 0.30}
		rect  = rgb{0.10, 0.15, 0.45}
		tri   = rgb{0.20, 0.65, 0.30}
		tex1  = rgb{0.85, 0.85, 0.80}
		tex2  = rgb{0.30, 0.20, 0.35}
		bumpC = rgb{0.20, 0.10, 0.25}
	)
	const ss = 4 // supersampling factor per axis
	n := w * h
	var acc rgb
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			acc = rgb{}
			for sy := 0; sy < ss; sy++ {
				v := (float64(y) + (float64(sy)+0.5)/ss) / float64(h)
				for sx := 0; sx < ss; sx++ {
					u := (float64(x) + (float64(sx)+0.5)/ss) / float64(w)
					// Background gradient.
					col := rgb{0.25 + 0.35*u + 0.10*v, 0.30 + 0.20*v + 0.10*u, 0.55 - 0.25*u + 0.05*v}
					// Disk.
					if du, dv := u-0.30, v-0.33; du*du+dv*dv < 0.19*0.19 {
						col = disk
					}
					// Rectangle.
					if u > 0.58 && u < 0.92 && v > 0.10 && v < 0.38 {
						col = rect
					}
					// Triangle with vertices (0.08,0.92), (0.45,0.92), (0.20,0.58).
					if inTriangle(u, v, 0.08, 0.92, 0.45, 0.92, 0.20, 0.58) {
						col = tri
					}
					// Texture patch: oriented stripes, period 1/36 of the width.
					if u > 0.56 && u < 0.92 && v > 0.56 && v < 0.92 {
						t := 0.5 + 0.5*math.Sin(2*math.Pi*(36*u*0.8+36*v*0.6))
						for k := range col {
							col[k] = tex2[k] + (tex1[k]-tex2[k])*t
						}
					}
					for k := range acc {
						acc[k] += col[k]
					}
				}
			}
			u := (float64(x) + 0.5) / float64(w)
			v := (float64(y) + 0.5) / float64(h)
			du, dv := u-0.50, v-0.52
			bump := math.Exp(-(du*du + dv*dv) / (2 * 0.07 * 0.07))
			var px rgb
			for k := range px {
				px[k] = clip01(acc[k]/(ss*ss) + bump*bumpC[k])
			}
			i := y*w + x
			if c == 1 {
				img.Pix[i] = clip01(0.2989*px[0] + 0.5870*px[1] + 0.1140*px[2])
			} else {
				img.Pix[i], img.Pix[n+i], img.Pix[2*n+i] = px[0], px[1], px[2]
			}
		}
	}
	return img
}

func clip01(v float64) float64 { return math.Min(1, math.Max(0, v)) }

// inTriangle reports whether (px, py) is strictly inside the triangle with
// the given vertices (either orientation).
func inTriangle(px, py, ax, ay, bx, by, cx, cy float64) bool {
	d1 := (px-bx)*(ay-by) - (ax-bx)*(py-by)
	d2 := (px-cx)*(by-cy) - (bx-cx)*(py-cy)
	d3 := (px-ax)*(cy-ay) - (cx-ax)*(py-ay)
	neg := d1 < 0 || d2 < 0 || d3 < 0
	pos := d1 > 0 || d2 > 0 || d3 > 0
	return !(neg && pos)
}

// AddNoise returns img plus independent Gaussian noise of standard
// deviation sigma (in the [0, 1] value scale; divide a sigma given on the
// 0..255 scale by 255) on every value, drawn from a
// PCG generator seeded by seed; values are not clipped. The same seed gives
// the same noise. AddNoise panics if sigma is negative or not finite.
func AddNoise(img Image, sigma float64, seed uint64) Image {
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		panic(fmt.Sprintf("imageio: AddNoise sigma = %v; need a finite value >= 0", sigma))
	}
	r := rand.New(rand.NewPCG(seed, 0x6e6f697365)) // "noise"
	out := img.Clone()
	for i := range out.Pix {
		out.Pix[i] += sigma * r.NormFloat64()
	}
	return out
}

// RandomMask returns a w×h row-major inpainting mask in which each pixel is
// observed (true) independently with probability keep, drawn from a
// math/rand/v2 PCG generator seeded by seed. The same arguments always give
// the same mask. RandomMask panics unless w, h >= 1 and 0 <= keep <= 1.
func RandomMask(w, h int, keep float64, seed uint64) []bool {
	if w < 1 || h < 1 {
		panic(fmt.Sprintf("imageio: RandomMask size %dx%d; need w, h >= 1", w, h))
	}
	if !(keep >= 0 && keep <= 1) {
		panic(fmt.Sprintf("imageio: RandomMask keep = %v; need a fraction in [0, 1]", keep))
	}
	r := rand.New(rand.NewPCG(seed, 0x6d61736b)) // "mask"
	m := make([]bool, w*h)
	for i := range m {
		m[i] = r.Float64() < keep
	}
	return m
}

// LoadMask reads an inpainting mask image (PNG or JPEG; RGB masks are first
// converted with ToGray). A pixel is observed (true) when its value is
// greater than 0.5. The mask is returned row-major with its width and height.
func LoadMask(path string) (mask []bool, w, h int, err error) {
	img, err := Load(path)
	if err != nil {
		return nil, 0, 0, err
	}
	g := img.ToGray()
	mask = make([]bool, len(g.Pix))
	for i, v := range g.Pix {
		mask[i] = v > 0.5
	}
	return mask, g.W, g.H, nil
}

// SaveMask writes a w×h row-major mask as a grey PNG (observed = white,
// missing = black), atomically.
func SaveMask(path string, mask []bool, w, h int) error {
	if w < 1 || h < 1 || len(mask) != w*h {
		return fmt.Errorf("imageio: SaveMask got %d mask values for %dx%d; need w*h values with w, h >= 1", len(mask), w, h)
	}
	img := New(w, h, 1)
	for i, m := range mask {
		if m {
			img.Pix[i] = 1
		}
	}
	return Save(path, img)
}
