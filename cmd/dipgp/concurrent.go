package main

import (
	"runtime"
	"sync"
)

// concurrently runs the jobs on at most workers goroutines (0 = all cores)
// and returns the error of the first job, in the order given, that failed.
// Jobs must not depend on each other's results.
func concurrently(workers int, jobs ...func() error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = job()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
