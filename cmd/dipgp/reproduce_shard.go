package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dipgp/dipgp/experiments"
	"github.com/dipgp/dipgp/internal/atomicfile"
)

// shardInfo is what a sharded reproduce run writes into its output folder
// (reproduce-shard.json), so that merge can run the same experiments.
type shardInfo struct {
	Names   []string `json:"names"`
	Mode    string   `json:"mode"`
	Seed    uint64   `json:"seed"`
	Images  string   `json:"images"`
	Samples int      `json:"samples"`
	Iters   int      `json:"iters"`
	Shard   int      `json:"shard"`
	Shards  int      `json:"shards"`
}

// shardUnitsHelp lists the shardable experiments of the registry for
// --shard's help, grouped by the units a shard splits
// (Experiment.ShardUnits) in the order of experiments.List: "cheng-mc-1d,
// cheng-encdec-1d: random networks of each Monte Carlo check; ...".
func shardUnitsHelp() string {
	var units []string
	names := map[string][]string{}
	for _, x := range experiments.List() {
		if !x.Shardable {
			continue
		}
		if _, ok := names[x.ShardUnits]; !ok {
			units = append(units, x.ShardUnits)
		}
		names[x.ShardUnits] = append(names[x.ShardUnits], x.Name)
	}
	groups := make([]string, len(units))
	for i, u := range units {
		groups[i] = strings.Join(names[u], ", ") + ": " + u
	}
	return strings.Join(groups, "; ")
}

// parseShard reads "i/n" ("" is 0/1).
func parseShard(s string) (shard, shards int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("reproduce: --shard %q must be i/n with 0 <= i < n, e.g. --shard 0/8", s)
	}
	return i, n, nil
}

func writeShardInfo(out string, info shardInfo) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(out, "reproduce-shard.json"), append(b, '\n'), 0o644)
}

func readShardInfo(dir string) (shardInfo, error) {
	var info shardInfo
	b, err := os.ReadFile(filepath.Join(dir, "reproduce-shard.json"))
	if err != nil {
		return info, fmt.Errorf("reproduce merge: %s is not the --out folder of a sharded run (no reproduce-shard.json): %w", dir, err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("reproduce merge: %s/reproduce-shard.json: %v", dir, err)
	}
	return info, nil
}

// merge runs the experiments of the shards in dirs from their statistics
// and writes the result of one unsharded run into --out.
func (c *reproduceCmd) merge(ctx context.Context, g *Globals, dirs []string) error {
	if len(dirs) == 0 {
		return fmt.Errorf("reproduce merge: give the --out folders of the shards, e.g. 'dipgp reproduce merge out/shard-*'")
	}
	info, err := readShardInfo(dirs[0])
	if err != nil {
		return err
	}
	seen := map[int]string{}
	for _, d := range dirs {
		o, err := readShardInfo(d)
		if err != nil {
			return err
		}
		if strings.Join(o.Names, ",") != strings.Join(info.Names, ",") || o.Mode != info.Mode || o.Seed != info.Seed ||
			o.Samples != info.Samples || o.Iters != info.Iters || o.Shards != info.Shards {
			return fmt.Errorf("reproduce merge: %s and %s are not shards of the same run (experiments, mode, seed, --samples and shard count must agree)", dirs[0], d)
		}
		if prev, dup := seen[o.Shard]; dup {
			return fmt.Errorf("reproduce merge: %s and %s are both shard %d/%d", prev, d, o.Shard, o.Shards)
		}
		seen[o.Shard] = d
	}
	if len(seen) != info.Shards {
		return fmt.Errorf("reproduce merge: %d of %d shards given; every shard is needed", len(seen), info.Shards)
	}
	mode, err := experiments.ParseMode(info.Mode)
	if err != nil {
		return err
	}
	var xs []experiments.Experiment
	for _, n := range info.Names {
		if n == "all" {
			for _, x := range experiments.List() {
				if x.Shardable {
					xs = append(xs, x)
				}
			}
			continue
		}
		x, err := experiments.Lookup(n)
		if err != nil {
			return err
		}
		xs = append(xs, x)
	}
	c.Seed, c.Samples, c.Iters, c.Images = info.Seed, info.Samples, info.Iters, info.Images
	return c.runAll(ctx, g, xs, mode, 0, 1, dirs)
}
