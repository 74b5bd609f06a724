// Reference for patchloop-version's go scheme: golang.org/x/mod/semver.
// Input: a file with one JSON array ["a","b"] per line. A "v" is prepended
// to versions that do not start with one (OSV Go records omit it). Output
// per line: -1/0/1 = semver.Compare(a, b), or ERR when either is invalid.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func withV(s string) string {
	if strings.HasPrefix(s, "v") {
		return s
	}
	return "v" + s
}

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	in := bufio.NewScanner(f)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		line := in.Text()
		if line == "" {
			continue
		}
		var pair [2]string
		if err := json.Unmarshal([]byte(line), &pair); err != nil {
			panic(err)
		}
		a, b := withV(pair[0]), withV(pair[1])
		if !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintln(out, "ERR")
			continue
		}
		fmt.Fprintln(out, semver.Compare(a, b))
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
}
