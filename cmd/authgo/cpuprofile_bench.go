//go:build benchprof

package main

import (
	"log"
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

// With the benchprof build tag (bench only: go build -tags benchprof),
// AUTHGO_CPUPROFILE=FILE writes a CPU profile of the first
// AUTHGO_CPUPROFILE_SECONDS (default 10) seconds after AUTHGO_CPUPROFILE_DELAY
// seconds (default 0) to FILE, and the allocations profile then to
// FILE.allocs.
func init() {
	path := os.Getenv("AUTHGO_CPUPROFILE")
	if path == "" {
		return
	}
	secs, _ := strconv.Atoi(os.Getenv("AUTHGO_CPUPROFILE_SECONDS"))
	if secs <= 0 {
		secs = 10
	}
	delay, _ := strconv.Atoi(os.Getenv("AUTHGO_CPUPROFILE_DELAY"))
	go func() {
		time.Sleep(time.Duration(delay) * time.Second)
		f, err := os.Create(path)
		if err != nil {
			log.Print(err)
			return
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Print(err)
			return
		}
		time.Sleep(time.Duration(secs) * time.Second)
		pprof.StopCPUProfile()
		f.Close()
		if m, err := os.Create(path + ".allocs"); err == nil {
			pprof.Lookup("allocs").WriteTo(m, 0)
			m.Close()
		}
	}()
}
