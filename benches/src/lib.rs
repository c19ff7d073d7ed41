//! Shared helpers for the benches: locating `IAMCTL_DATA` and the workloads.
