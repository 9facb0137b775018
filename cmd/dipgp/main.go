// Command dipgp is the command line of dipgp: exact infinite-width kernels of
// conv encoder-decoders (deep image prior), their spectra, GP inference, the
// Monte Carlo check of the GP equivalence, and training comparisons.
//
// Run "dipgp --help" for the commands. The main job is "dipgp check".
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"sort"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/dipgp/dipgp/experiments"
)

// command is one registered top-level command. Each command lives in its
// own file and registers itself in an init function, so that adding a
// command touches one file.
type command struct {
	name, help string
	cmd        any
}

var commands []command

func register(name, help string, cmd any) {
	commands = append(commands, command{name, help, cmd})
}

// Globals are the flags every command sees.
type Globals struct {
	Quiet bool `help:"No progress bars." short:"q"`
	Force bool `help:"Write into an output folder that is not empty (files of the same names are replaced, the others stay). Inputs are never overwritten."`
	// CPUProfile names a file for a pprof CPU profile of the whole command.
	CPUProfile string `name:"cpu-profile" help:"Write a CPU profile of the whole command to this file (go tool pprof reads it)." type:"path" placeholder:"FILE"`
}

type cli struct {
	Globals
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// defaultHelp rewrites "dipgp check --help" (and -h) as "dipgp check run
// --help": kong would show only check's subcommands, hiding the flags of
// the main job, which is what a user typing it wants to see.
func defaultHelp(args []string) []string {
	at := -1
	for i, a := range args {
		switch {
		case a == "check" && at < 0:
			at = i
		case at >= 0 && (a == "run" || a == "merge"):
			return args
		}
	}
	if at < 0 {
		return args
	}
	for _, a := range args[at+1:] {
		if a == "--help" || a == "-h" {
			out := append([]string{}, args[:at+1]...)
			out = append(out, "run")
			return append(out, args[at+1:]...)
		}
	}
	return args
}

// kongVars are the ${vars} the flags' help strings use.
func kongVars() kong.Vars {
	return kong.Vars{"check_arch": defaultCheckArch, "shard_units": shardUnitsHelp(),
		"iters_experiments":   strings.Join(experiments.TakingIters(), ", "),
		"samples_experiments": strings.Join(experiments.TakingSamples(), ", ")}
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var c cli
	sort.Slice(commands, func(i, j int) bool { return commands[i].name < commands[j].name })
	opts := []kong.Option{
		kong.Name("dipgp"),
		kong.Description("Exact infinite-width kernels of conv encoder-decoders (the deep image prior as a Gaussian process), and checks of the theory against real networks."),
		kong.UsageOnError(),
		kong.BindTo(ctx, (*context.Context)(nil)),
		kong.Bind(&c.Globals),
		kongVars(),
		kong.TypeMapper(reflect.TypeOf(float64(0)), finiteFloat{}),
	}
	for _, cmd := range commands {
		opts = append(opts, kong.DynamicCommand(cmd.name, cmd.help, "", cmd.cmd))
	}
	parser, err := kong.New(&c, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dipgp:", err)
		return 2
	}
	kctx, err := parser.Parse(defaultHelp(args))
	if err != nil {
		fmt.Fprintln(os.Stderr, "dipgp:", err)
		return 2
	}
	stopProfile, err := startCPUProfile(c.CPUProfile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dipgp:", err)
		return 1
	}
	err = kctx.Run()
	stopProfile()
	if err != nil {
		removeEmptyOuts()
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "dipgp: interrupted")
			return 130
		}
		fmt.Fprintln(os.Stderr, "dipgp:", err)
		return 1
	}
	return 0
}
