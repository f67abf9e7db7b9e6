// Package coalesce gathers the calls that arrive while one batch is in
// flight into the next batch, as a database's group commit does: under load
// one round trip answers many callers, and with one caller at a time each
// call is a batch of one and waits for nothing.
package coalesce

import (
	"context"
	"fmt"
	"sync"
)

// Batcher runs batches of In through one function, one batch at a time.
type Batcher[In, Out any] struct {
	run func(ins []In) ([]Out, error)

	// mu guards whether a batch is in flight (running) and the batch the
	// calls arriving meanwhile queue for (next).
	mu      sync.Mutex
	running bool
	next    *batch[In, Out]
}

// batch is one call of run and the callers waiting for it.
type batch[In, Out any] struct {
	ins  []In
	done chan struct{} // closed once outs or err is set
	outs []Out
	err  error
}

// New returns a Batcher over run, which answers ins in order (one Out per
// In) or fails the whole batch. run is not given a caller's context: a batch
// serves many callers, so it sets its own deadline.
func New[In, Out any](run func(ins []In) ([]Out, error)) *Batcher[In, Out] {
	return &Batcher[In, Out]{run: run}
}

// Do adds in to the next batch and returns its answer. The batch is sent
// after the call arrived, so it sees everything that happened before. A
// caller whose context ends stops waiting; its input may still be run.
func (b *Batcher[In, Out]) Do(ctx context.Context, in In) (Out, error) {
	b.mu.Lock()
	r := b.next
	if r == nil {
		r = &batch[In, Out]{done: make(chan struct{})}
		b.next = r
	}
	i := len(r.ins)
	r.ins = append(r.ins, in)
	lead := !b.running
	if lead {
		b.running, b.next = true, nil
	}
	b.mu.Unlock()
	if lead {
		b.send(r)
	}
	var zero Out
	select {
	case <-r.done:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	if r.err != nil {
		return zero, r.err
	}
	return r.outs[i], nil
}

// Queued returns how many calls wait for the next batch.
func (b *Batcher[In, Out]) Queued() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next == nil {
		return 0
	}
	return len(b.next.ins)
}

// send runs r and answers its callers, then passes the batch that queued
// meanwhile, if any, to a goroutine of its own: no caller waits for more
// than the batch in flight and its own.
func (b *Batcher[In, Out]) send(r *batch[In, Out]) {
	r.outs, r.err = b.call(r.ins)
	close(r.done)

	b.mu.Lock()
	next := b.next
	b.running, b.next = next != nil, nil
	b.mu.Unlock()
	if next != nil {
		go b.send(next)
	}
}

// call runs one batch; a panic fails the batch rather than leaving every
// later caller waiting for a batch that never ends.
func (b *Batcher[In, Out]) call(ins []In) (outs []Out, err error) {
	defer func() {
		if p := recover(); p != nil {
			outs, err = nil, fmt.Errorf("coalesce: batch of %d panicked: %v", len(ins), p)
		}
	}()
	outs, err = b.run(ins)
	if err == nil && len(outs) != len(ins) {
		err = fmt.Errorf("coalesce: batch of %d answered %d", len(ins), len(outs))
	}
	return outs, err
}
