//! A small random SQL generator over a fixed schema (see `generate`).
