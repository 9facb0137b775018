// Package arch describes network architectures as plain data: the input
// noise, an ordered list of layers (convolution, activation, pooling,
// up-sampling, batch norm, fully connected (Dense), and skip connections
// built from Save and Concat),
// the initialization and the padding.
//
// An Arch is what every other package of dipgp speaks: kernel computes its
// infinite-width NNGP and NTK, nn builds a finite network from it. Sizes given
// to this package are always the size of the network's output (the image);
// InputSize gives the size of the noise input.
//
// Architectures come from presets ("dip-skip:scales=3,channels=64"), from
// YAML or JSON files, or are written in Go. Validate checks an architecture
// for a given image size and returns one error naming the layer and field at
// fault and how to fix it.
//
// Plan validates and lays an architecture out once for an output size: its
// layers, branches included, as a flat list of nodes in execution order,
// each with the nodes it reads, its channels and grids, and its path
// ("layers[3].concat.branch[0]"), the one name every message gives a layer.
// The packages that interpret layers walk a Plan and implement Visitor, one
// method per layer kind, so that a new layer kind does not compile until
// each of them handles it.
//
// arch imports no other dipgp package.
package arch
