package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
)

func cmdInfo(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("info", flag.ContinueOnError)
	asJSON := fl.Bool("json", false, "print JSON")
	views := addViewFlags(fl)
	pos, err := parse(fl, args, 1, 1)
	if err != nil {
		return err
	}
	tree, _, _, done, err := openSource(pos[0], views)
	if err != nil {
		return err
	}
	defer done()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tree.Summary())
	}
	fmt.Fprint(stdout, tree.Summary().Text())
	fmt.Fprint(stdout, tree.Summary().RunText())
	for i, p := range tree.Summary().Problems {
		if i == 0 {
			fmt.Fprintln(stdout, "\nProblems:")
		}
		if i == 20 {
			fmt.Fprintf(stdout, "  ... and %d more (info/problems.txt in the mount lists all)\n", len(tree.Summary().Problems)-i)
			break
		}
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	return nil
}
