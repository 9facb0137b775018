// Package imageio loads and saves images as plain float64 arrays, and
// provides the small image utilities every dipgp command needs: a
// deterministic synthetic test image, centre cropping, grey conversion,
// PSNR, additive Gaussian noise and inpainting masks.
//
// An Image is channel-planar: Pix[(c*H+y)*W+x] is channel c of pixel (x, y),
// with values nominally in [0, 1]. C is 1 (grey) or 3 (RGB).
//
// Loading accepts PNG (8- and 16-bit, grey, RGB, palette, with or without
// alpha) and JPEG (grey or colour). Files stored as grey (grey PNG, grey
// JPEG, or a palette whose every entry is grey) load with C = 1; everything
// else loads with C = 3, even if R = G = B at every pixel, so the channel
// count reflects the file format and never depends on pixel values. Use
// Image.ToGray to convert. Alpha is dropped: colours are taken
// un-premultiplied, ignoring transparency.
//
// Saving writes 8-bit PNG (values clipped to [0, 1] and rounded to the
// nearest 1/255; Save16 writes 16-bit PNG) through internal/atomicfile, so an interrupted run never
// leaves a truncated image.
//
// Import rules: imageio may import only internal/atomicfile from
// github.com/dipgp/dipgp; it must not import any other dipgp package.
package imageio
