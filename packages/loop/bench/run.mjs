#!/usr/bin/env node
// This package has no benchmarks yet; see packages/ring/bench for the ring-level figures.
console.log('@uring/loop: no benchmarks yet');
